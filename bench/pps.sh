#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Packets per second through a real path (figures only, never pass/fail).
# Build first: make -C bench (build/bench/gen, floor.bpf.o) and make
# (build/xdp-lb). Needs root. See docs/benchmarks.md, "Packets per second
# through veth".
#   ROUNDS=3 SECS=1 FLOWS="1024 65536" CPU=0 ./bench/pps.sh
#   THREADED=1 LB_CPU=1 SINK_CPU=1: xbp-lb0's NAPI in a kthread pinned to
#   LB_CPU and xbp-gen0's (where the sink runs) to SINK_CPU, the generator
#   alone on CPU. Default (THREADED=0): everything runs in softirq on the
#   generator's CPU (measured: see docs/benchmarks.md).
#   XDPLB=path/to/xdp-lb picks the controller binary (copied at start).
#
# Topology: namespace xbp-gen (xbp-gen0 198.18.1.1/24: the live-frame
# generator, and the counting XDP_DROP sink on the same veth) and xbp-lb
# (xbp-lb0 198.18.1.2/24: the path under test). VIP 198.18.1.100:80/tcp,
# back ends 198.18.1.11-13, all with xbp-gen0's MAC, so whatever the
# balancer forwards comes back to the sink. Clients 198.19.0.0/16.
# Scenarios, rotated within each round:
#   floor   bench/floor.bpf.c on xbp-lb0 (parse, swap MACs, XDP_TX)
#   xdp-lb  the real controller: xdp-lb attach xbp-lb0 -c CFG (DSR, 3 back
#           ends with mac:), stopped and detached after the scenario
#   nft     no XDP on xbp-lb0 (GRO on, for veth NAPI), ip_forward, an
#           nftables DNAT rule (numgen inc mod 3) over the same back ends,
#           permanent neighbour entries for them
# Removes its namespaces, pins and processes on exit, whatever happens.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$ROOT/build/bench}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-1}
CHUNK=${CHUNK:-262144}
FLOWS=${FLOWS:-"1024 65536"}
CPU=${CPU:-0}
THREADED=${THREADED:-0}
LB_CPU=${LB_CPU:-1}
SINK_CPU=${SINK_CPU:-$LB_CPU}
XDPLB=${XDPLB:-$ROOT/build/xdp-lb}
SCENARIOS=(floor xdp-lb nft)
GNS=xbp-gen LNS=xbp-lb GIF=xbp-gen0 LIF=xbp-lb0
PIN=/sys/fs/bpf/xdp-lb/$LIF
VIP=198.18.1.100

for f in "$OUT/gen" "$OUT/floor.bpf.o" "$XDPLB"; do
	[ -e "$f" ] || { echo "pps: $f missing (make -C bench; make)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "pps: needs root" >&2; exit 1; }
command -v nft >/dev/null || { echo "pps: nft missing" >&2; exit 1; }

TMP=$(mktemp -d /tmp/xbp-pps.XXXXXX) || exit 1
CTL_PID=
cleanup() {
	if [ -n "$CTL_PID" ]; then
		kill -TERM "$CTL_PID" 2>/dev/null
		wait "$CTL_PID" 2>/dev/null
		CTL_PID=
	fi
	if [ -d "$PIN" ] && [ -e /run/netns/$LNS ]; then
		nsenter --net=/run/netns/$LNS "$TMP/xdp-lb" detach $LIF >/dev/null 2>&1
	fi
	# A pin the controller's detach does not know (another build) goes too.
	[ -d "$PIN" ] && { rm -f "$PIN"/* 2>/dev/null; rmdir "$PIN" 2>/dev/null; }
	ip netns del $GNS 2>/dev/null
	ip netns del $LNS 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns del $GNS 2>/dev/null
ip netns del $LNS 2>/dev/null
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
# The binary may be rebuilt by someone else during the run: keep a copy.
cp "$XDPLB" "$TMP/xdp-lb" || exit 1

fail() { echo "pps: $*" >&2; exit 1; }
ip netns add $GNS && ip netns add $LNS || fail "cannot create namespaces"
ip link add $GIF netns $GNS type veth peer name $LIF netns $LNS || fail "veth"
# Idle, down veth: the generator program is attached there for the run so
# it stays in the XDP dispatcher (see gen.c).
ip -n $GNS link add xbp-i0a type veth peer name xbp-i0b || fail "idle veth"
for ns in $GNS $LNS; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n $ns link set lo up
done
ip -n $GNS addr add 198.18.1.1/24 dev $GIF
ip -n $LNS addr add 198.18.1.2/24 dev $LIF
ip -n $GNS link set $GIF up
ip -n $LNS link set $LIF up
GMAC=$(ip netns exec $GNS cat /sys/class/net/$GIF/address)
LMAC=$(ip netns exec $LNS cat /sys/class/net/$LIF/address)
# Kernel path: forwarding, no reverse-path filter or redirects, the back
# ends' MACs fixed (no ARP in the measurement), a route back to clients.
ip netns exec $LNS sysctl -qw net.ipv4.ip_forward=1 \
	net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.$LIF.rp_filter=0 net.ipv4.conf.all.send_redirects=0 \
	net.ipv4.conf.$LIF.send_redirects=0 || fail "sysctl"
for i in 11 12 13; do
	ip -n $LNS neigh replace 198.18.1.$i lladdr "$GMAC" dev $LIF nud permanent
done
ip -n $LNS route add 198.19.0.0/16 via 198.18.1.1
# Live frames are redirected into xbp-gen0, which needs NAPI on xbp-lb0:
# an XDP program there, or GRO when there is none (nft).
ip netns exec $LNS ethtool -K $LIF gro on >/dev/null || fail "gro"
if [ "$THREADED" = 1 ]; then
	# GRO keeps xbp-gen0's NAPI (and so its kthread) between runs.
	ip netns exec $GNS ethtool -K $GIF gro on >/dev/null || fail "gro"
	ip netns exec $LNS sh -c "echo 1 > /sys/class/net/$LIF/threaded" &&
	ip netns exec $GNS sh -c "echo 1 > /sys/class/net/$GIF/threaded" ||
		fail "threaded NAPI"
fi

cat > "$TMP/lb.yaml" <<EOC
services:
  - name: bench
    vip: $VIP
    port: 80
    proto: tcp
    backends:
      - { addr: 198.18.1.11, mac: "$GMAC" }
      - { addr: 198.18.1.12, mac: "$GMAC" }
      - { addr: 198.18.1.13, mac: "$GMAC" }
EOC

pin_napi() { # threaded NAPI: pin the kthreads (they exist once NAPI is on)
	[ "$THREADED" = 1 ] || return 0
	local p
	for p in $(pgrep "^napi/$LIF-"); do
		taskset -pc "$LB_CPU" "$p" >/dev/null
	done
	for p in $(pgrep "^napi/$GIF-"); do
		taskset -pc "$SINK_CPU" "$p" >/dev/null
	done
}

up() {
	case $1 in
	floor)
		ip -n $LNS link set dev $LIF xdpdrv obj "$OUT/floor.bpf.o" sec xdp ;;
	xdp-lb)
		nsenter --net=/run/netns/$LNS "$TMP/xdp-lb" attach $LIF \
			-c "$TMP/lb.yaml" >"$TMP/ctl.log" 2>&1 &
		CTL_PID=$!
		local i
		for i in $(seq 100); do
			[ -S /run/xdp-lb/$LIF.sock ] && return 0
			kill -0 $CTL_PID 2>/dev/null || break
			sleep 0.1
		done
		cat "$TMP/ctl.log" >&2
		return 1 ;;
	nft)
		ip netns exec $LNS nft -f - <<-'EON'
		table ip xbp {
			chain pre {
				type nat hook prerouting priority -100;
				ip daddr 198.18.1.100 tcp dport 80 dnat to numgen inc mod 3 map { 0 : 198.18.1.11, 1 : 198.18.1.12, 2 : 198.18.1.13 }
			}
		}
		EON
		;;
	esac
}

down() {
	case $1 in
	floor)
		ip -n $LNS link set dev $LIF xdpdrv off ;;
	xdp-lb)
		kill -TERM $CTL_PID 2>/dev/null
		wait $CTL_PID 2>/dev/null
		CTL_PID=
		nsenter --net=/run/netns/$LNS "$TMP/xdp-lb" detach $LIF >/dev/null 2>&1
		[ -d "$PIN" ] && { rm -f "$PIN"/* 2>/dev/null; rmdir "$PIN" 2>/dev/null; }
		ip -n $LNS link set dev $LIF xdpdrv off 2>/dev/null
		;;
	nft)
		ip netns exec $LNS nft delete table ip xbp ;;
	esac
}

LOG=$OUT/pps.log
: >"$LOG"
echo "# $(date -u +%F) $(uname -r), $(nproc) CPUs: $(lscpu | sed -n 's/^Model name: *//p')" | tee -a "$LOG"
echo "# rounds $ROUNDS, ${SECS}s a run, flows $FLOWS, generator on CPU $CPU," \
	"threaded NAPI $THREADED$([ "$THREADED" = 1 ] && echo " (balancer NAPI on CPU $LB_CPU, sink NAPI on CPU $SINK_CPU)")" | tee -a "$LOG"
n=${#SCENARIOS[@]}
for ((r = 0; r < ROUNDS; r++)); do
	for ((k = 0; k < n; k++)); do
		s=${SCENARIOS[$(((k + r) % n))]}
		up "$s" || fail "cannot set up $s"
		pin_napi
		for f in $FLOWS; do
			line=$(nsenter --net=/run/netns/$GNS "$OUT/gen" -i $GIF \
				-I xbp-i0a -d "$LMAC" -v $VIP -f "$f" -t "$SECS" \
				-c "$CHUNK" -C "$CPU") || fail "gen failed in $s"
			echo "round=$r scenario=$s $line" | tee -a "$LOG"
		done
		down "$s"
	done
done

# median (min-max) over rounds; x floor against the floor of the same round
# and flow count; + ns/pkt = 1/rate - 1/floor rate (the whole path runs on
# one core, so that is what the scenario adds per packet); loss = 1 - sink /
# generator, largest over rounds.
echo
awk -v scen="${SCENARIOS[*]}" -v flows="$FLOWS" '
function get(k,   i, kv) {
	for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] }
	return ""
}
function stat(a, m,   i, j, t, b) {
	for (i = 1; i <= m; i++) b[i] = a[i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
		if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
	med = (m % 2) ? b[(m + 1) / 2] : (b[m / 2] + b[m / 2 + 1]) / 2
	lo = b[1]; hi = b[m]
}
/^round=/ {
	r = get("round"); s = get("scenario"); f = get("flows")
	mpps[s, f, r] = get("mpps"); loss[s, f, r] = get("loss"); R[r] = 1
}
END {
	ns = split(scen, S, " "); nf = split(flows, F, " ")
	printf "| scenario | flows | Mpps at the sink | x floor | + ns/pkt over floor | loss (max) |\n| --- | --- | --- | --- | --- | --- |\n"
	for (i = 1; i <= ns; i++) for (j = 1; j <= nf; j++) {
		s = S[i]; f = F[j]; m = 0; delete v; delete x; delete d; ml = 0
		for (r in R) if ((s, f, r) in mpps) {
			m++; v[m] = mpps[s, f, r]; x[m] = mpps[s, f, r] / mpps["floor", f, r]
			d[m] = 1000 / mpps[s, f, r] - 1000 / mpps["floor", f, r]
			if (loss[s, f, r] > ml) ml = loss[s, f, r]
		}
		if (!m) continue
		stat(v, m); a = sprintf("%.2f (%.2f-%.2f)", med, lo, hi)
		stat(x, m); b = sprintf("%.2f (%.2f-%.2f)", med, lo, hi)
		stat(d, m); c = sprintf("%.0f (%.0f-%.0f)", med, lo, hi)
		printf "| %s | %d | %s | %s | %s | %.2f%% |\n", s, f, a, b, c, 100 * ml
	}
}' "$LOG" | tee -a "$LOG"
echo
echo "log: $LOG"
exit 0
