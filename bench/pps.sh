#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Packets per second through a real path (figures only, never pass/fail).
# Build first: make -C bench (build/bench/gen, floor.bpf.o) and make
# (build/xdp-lb). Needs root. See docs/benchmarks.md, "Packets per second
# through veth".
#   ROUNDS=3 SECS=1 FLOWS="1024 65536" CPU=0 ./bench/pps.sh
#   THREADED=1 LB_CPU=1 SINK_CPU=1: xbp-lb0's (and xbp-lb1's) NAPI in a
#   kthread pinned to LB_CPU and xbp-gen0's and xbp-gen1's (where the sink
#   runs) to SINK_CPU, the generator
#   alone on CPU. Default (THREADED=0): everything runs in softirq on the
#   generator's CPU (measured: see docs/benchmarks.md).
#   XDPLB=path/to/xdp-lb picks the controller binary (copied at start).
#   XDPLB_BASE=path/to/an-earlier/xdp-lb: scenario xdp-lb-base, the dsr
#   scenario with that binary (its own BPF program), rotated with the
#   others, so that before/after is measured in the same rounds; the
#   summary adds xdp-lb / xdp-lb-base per flow count.
#   SCEN="floor xdp-lb ft" picks scenarios (default: all but ft and ft3).
#   MAX_FLOWS=N: max_flows of the dsr scenarios' config (default: the
#   product's); the flow table's size for the same live flows.
#   XLB_E2E_TAG=X prefixes the namespaces and interfaces (as e2e tests).
#
# Topology: namespace xbp-gen (xbp-gen0 198.18.1.1/24: the live-frame
# generator, and the counting XDP_DROP sink on the same veth) and xbp-lb
# (xbp-lb0 198.18.1.2/24: the path under test). VIP 198.18.1.100:80/tcp,
# back ends 198.18.1.11-13, all with xbp-gen0's MAC, so whatever the
# balancer forwards comes back to the sink. Clients 198.19.0.0/16. A second
# pair, xbp-gen1 198.18.2.2/24 - xbp-lb1 198.18.2.1/24, is the nat
# scenario's internal link; the generator puts the same counting sink on
# xbp-gen1 too (every scenario; its count, rx2, is part of rx).
# Scenarios, rotated within each round:
#   floor   bench/floor.bpf.c on xbp-lb0 (parse, swap MACs, XDP_TX)
#   xdp-lb  the real controller: xdp-lb attach xbp-lb0 -c CFG (DSR, 3 back
#           ends with mac:), stopped and detached after the scenario
#   nft     no XDP on xbp-lb0 (GRO on, for veth NAPI), ip_forward, an
#           nftables DNAT rule (numgen inc mod 3) over the same back ends,
#           permanent neighbour entries for them
#   xdp-lb-tunnel  the controller, service in mode tunnel (tunnel_source
#           198.18.9.0/24), the same back ends and MACs: IPv4-in-IPv4
#           frames, 20 bytes longer, XDP_TX back to the sink on xbp-gen0
#   xdp-lb-nat  the controller with --internal xbp-lb1, service in mode nat,
#           back ends 198.18.2.11-13 with xbp-gen1's MAC: translated frames
#           are redirected into xbp-lb1 and counted by the sink on xbp-gen1
#           (which is also the XDP program the redirect into a veth needs);
#           one nat mapping per flow
#   xdp-lb-base  as xdp-lb, with the controller XDPLB_BASE
#   floor6, xdp-lb6  IPv6: the floor's xdp_floor6, and the controller
#           with a dsr service on fd00:1::100 (back ends fd00:1::11-13,
#           xbp-gen0's MAC); the generator sends 74-byte IPv6 frames
#           from fd00:19:: (gen -6); x floor is against floor6
#   line    bench/floorline.bpf.c: the floor plus the flow's line of a
#           32 MiB array (four ways' key words compared; no clock, VIP
#           lookup or back end): the least a balancer that keeps a flow in
#           one cache line pays (line4: a 4 MiB array). Checked from its
#           own counts: every packet found its flow, inserted it, or (at
#           most 1% of them: line4 at 65,536 flows) found its line full
#           of four others, which reads the line as a hit does.
#   ft      issue 14's prototype (bench/flowtab.bpf.c via bench/ft_attach):
#           parse, inline VIP table, cache-line flow table, MAC rewrite,
#           XDP_TX; one per-CPU per-service counter (ft3: the three
#           counters of the data path). Checked by the sink's count only.
# Every xdp-lb run is checked: the outcome counters (xdp-lb status --json)
# before and after must have grown by warm-up + sent packets in the
# expected outcome (tx_forwarded; redirect_nat) and nothing in any drop_*,
# and the sink must have seen the frames on the expected interface
# (check=... on the log line; a failed check stops the script).
# Removes its namespaces, pins and processes on exit, whatever happens.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$ROOT/build/bench}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-1}
CHUNK=${CHUNK:-262144}
FLOWS=${FLOWS:-"1024 65536"}
MAX_FLOWS=${MAX_FLOWS:-}
CPU=${CPU:-0}
THREADED=${THREADED:-0}
LB_CPU=${LB_CPU:-1}
SINK_CPU=${SINK_CPU:-$LB_CPU}
XDPLB=${XDPLB:-$ROOT/build/xdp-lb}
read -r -a SCENARIOS <<<"${SCEN:-floor xdp-lb nft xdp-lb-tunnel xdp-lb-nat}"
T=${XLB_E2E_TAG:-}
GNS=${T}xbp-gen LNS=${T}xbp-lb GIF=${T}xbp-gen0 LIF=${T}xbp-lb0
GIF1=${T}xbp-gen1 LIF1=${T}xbp-lb1 IDLE=${T}xbp-i0
PIN=/sys/fs/bpf/xdp-lb/$LIF
VIP=198.18.1.100
VIP6=fd00:1::100 # floor6, xdp-lb6: IPv6 frames (gen -6)

for f in "$OUT/gen" "$OUT/floor.bpf.o" "$XDPLB"; do
	[ -e "$f" ] || { echo "pps: $f missing (make -C bench; make)" >&2; exit 1; }
done
case " ${SCENARIOS[*]} " in *" xdp-lb-base "*)
	[ -x "${XDPLB_BASE:-}" ] || { echo "pps: scenario xdp-lb-base needs XDPLB_BASE=path to a controller binary" >&2; exit 1; } ;;
esac
[ "$(id -u)" = 0 ] || { echo "pps: needs root" >&2; exit 1; }
case " ${SCENARIOS[*]} " in *" nft "*)
	command -v nft >/dev/null || { echo "pps: nft missing" >&2; exit 1; } ;;
esac
command -v jq >/dev/null || { echo "pps: jq missing" >&2; exit 1; }

TMP=$(mktemp -d /tmp/xbp-pps.XXXXXX) || exit 1
CTL_PID=
CTL_BIN=$TMP/xdp-lb # the controller of the scenario running
cleanup() {
	if [ -n "$CTL_PID" ]; then
		kill -TERM "$CTL_PID" 2>/dev/null
		wait "$CTL_PID" 2>/dev/null
		CTL_PID=
	fi
	if [ -d "$PIN" ] && [ -e /run/netns/$LNS ]; then
		nsenter --net=/run/netns/$LNS "$CTL_BIN" detach $LIF >/dev/null 2>&1
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
if [ -n "${XDPLB_BASE:-}" ]; then cp "$XDPLB_BASE" "$TMP/xdp-lb-base" || exit 1; fi

fail() { echo "pps: $*" >&2; exit 1; }
ip netns add $GNS && ip netns add $LNS || fail "cannot create namespaces"
ip link add $GIF netns $GNS type veth peer name $LIF netns $LNS || fail "veth"
ip link add $GIF1 netns $GNS type veth peer name $LIF1 netns $LNS ||
	fail "internal veth"
# Idle, down veth: the generator program is attached there for the run so
# it stays in the XDP dispatcher (see gen.c).
ip -n $GNS link add ${IDLE}a type veth peer name ${IDLE}b || fail "idle veth"
for ns in $GNS $LNS; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n $ns link set lo up
done
ip -n $GNS addr add 198.18.1.1/24 dev $GIF
ip -n $LNS addr add 198.18.1.2/24 dev $LIF
ip -n $GNS addr add 198.18.2.2/24 dev $GIF1
ip -n $LNS addr add 198.18.2.1/24 dev $LIF1
ip -n $GNS link set $GIF up
ip -n $LNS link set $LIF up
ip -n $GNS link set $GIF1 up
ip -n $LNS link set $LIF1 up
GMAC=$(ip netns exec $GNS cat /sys/class/net/$GIF/address)
GMAC1=$(ip netns exec $GNS cat /sys/class/net/$GIF1/address)
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
	ip netns exec $GNS ethtool -K $GIF1 gro on >/dev/null || fail "gro"
	ip netns exec $LNS sh -c "echo 1 > /sys/class/net/$LIF/threaded" &&
	ip netns exec $GNS sh -c "echo 1 > /sys/class/net/$GIF/threaded" &&
	ip netns exec $LNS sh -c "echo 1 > /sys/class/net/$LIF1/threaded" &&
	ip netns exec $GNS sh -c "echo 1 > /sys/class/net/$GIF1/threaded" ||
		fail "threaded NAPI"
fi

cat > "$TMP/lb.yaml" <<EOC
${MAX_FLOWS:+max_flows: $MAX_FLOWS}
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
cat > "$TMP/lb6.yaml" <<EOC
${MAX_FLOWS:+max_flows: $MAX_FLOWS}
services:
  - name: bench6
    vip: $VIP6
    port: 80
    proto: tcp
    backends:
      - { addr: "fd00:1::11", mac: "$GMAC" }
      - { addr: "fd00:1::12", mac: "$GMAC" }
      - { addr: "fd00:1::13", mac: "$GMAC" }
EOC
cat > "$TMP/lb-tunnel.yaml" <<EOC
tunnel_source: 198.18.9.0/24
services:
  - name: bench
    vip: $VIP
    port: 80
    proto: tcp
    mode: tunnel
    backends:
      - { addr: 198.18.1.11, mac: "$GMAC" }
      - { addr: 198.18.1.12, mac: "$GMAC" }
      - { addr: 198.18.1.13, mac: "$GMAC" }
EOC
cat > "$TMP/lb-nat.yaml" <<EOC
nat_source: 198.18.2.1
services:
  - name: bench
    vip: $VIP
    port: 80
    proto: tcp
    mode: nat
    backends:
      - { addr: 198.18.2.11, mac: "$GMAC1" }
      - { addr: 198.18.2.12, mac: "$GMAC1" }
      - { addr: 198.18.2.13, mac: "$GMAC1" }
EOC

pin_napi() { # threaded NAPI: pin the kthreads (they exist once NAPI is on)
	[ "$THREADED" = 1 ] || return 0
	local p
	for p in $(pgrep "^napi/($LIF|$LIF1)-"); do
		taskset -pc "$LB_CPU" "$p" >/dev/null
	done
	for p in $(pgrep "^napi/($GIF|$GIF1)-"); do
		taskset -pc "$SINK_CPU" "$p" >/dev/null
	done
}

ctl_up() { # CONFIG [attach options]: start the controller, wait for it
	local cfg=$1 i
	shift
	nsenter --net=/run/netns/$LNS "$CTL_BIN" attach $LIF -c "$cfg" "$@" \
		>"$TMP/ctl.log" 2>&1 &
	CTL_PID=$!
	for i in $(seq 100); do
		[ -S /run/xdp-lb/$LIF.sock ] && return 0
		kill -0 $CTL_PID 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/ctl.log" >&2
	return 1
}

ctl_down() {
	kill -TERM $CTL_PID 2>/dev/null
	wait $CTL_PID 2>/dev/null
	CTL_PID=
	nsenter --net=/run/netns/$LNS "$CTL_BIN" detach $LIF >/dev/null 2>&1
	[ -d "$PIN" ] && { rm -f "$PIN"/* 2>/dev/null; rmdir "$PIN" 2>/dev/null; }
	ip -n $LNS link set dev $LIF xdpdrv off 2>/dev/null
	ip -n $LNS link set dev $LIF1 xdpdrv off 2>/dev/null
}

status() { # the controller's status, JSON
	nsenter --net=/run/netns/$LNS "$CTL_BIN" -i $LIF status --json
}

up() {
	CTL_BIN=$TMP/xdp-lb
	case $1 in
	floor)
		ip -n $LNS link set dev $LIF xdpdrv obj "$OUT/floor.bpf.o" sec xdp ;;
	floor6)
		ip -n $LNS link set dev $LIF xdpdrv obj "$OUT/floor.bpf.o" \
			program xdp_floor6 ;;
	xdp-lb6)
		ctl_up "$TMP/lb6.yaml" ;;
	xdp-lb)
		ctl_up "$TMP/lb.yaml" ;;
	xdp-lb-base)
		CTL_BIN=$TMP/xdp-lb-base
		ctl_up "$TMP/lb.yaml" ;;
	xdp-lb-tunnel)
		ctl_up "$TMP/lb-tunnel.yaml" ;;
	xdp-lb-nat)
		ctl_up "$TMP/lb-nat.yaml" --internal $LIF1 ;;
	line*) # line: floorline.bpf.o, line4: floorline4.bpf.o, ...
		ip -n $LNS link set dev $LIF xdpdrv obj "$OUT/floor$1.bpf.o" sec xdp ;;
	ft | ft3)
		nsenter --net=/run/netns/$LNS "$OUT/ft_attach" $LIF $VIP "$GMAC" "$LMAC" \
			"$([ "$1" = ft3 ] && echo 3 || echo 1)" ;;
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
	floor | floor6 | line* | ft | ft3)
		ip -n $LNS link set dev $LIF xdpdrv off ;;
	xdp-lb*)
		ctl_down ;;
	nft)
		ip netns exec $LNS nft delete table ip xbp ;;
	esac
}

# The line scenarios' counts (bench/floorline.bpf.c's fl_stats, summed
# over CPUs) as status --json would give outcomes: found, inserted, full.
line_stats() {
	# a value is a number (with BTF) or its 8 bytes, little-endian
	bpftool -j map dump name fl_stats | jq -c '
		def num: if type == "array"
			then reduce (reverse[] | ltrimstr("0x") | ascii_downcase
				| explode | map(if . > 57 then . - 87 else . - 48 end)
				| .[0] * 16 + .[1]) as $b (0; . * 256 + $b)
			else . end;
		[.[] | [.values[].value | num] | add] as $n
		| {outcomes: {found: $n[0], inserted: $n[1], full: $n[2]}}'
}

# check SCENARIO STATUS_BEFORE STATUS_AFTER GEN_LINE: did the packets take
# the intended path? Prints check=ok ... or check=FAIL(...) ...
check() {
	local s=$1 before=$2 after=$3 line=$4 want on2 warm tx rxl rx2
	case $s in
	xdp-lb | xdp-lb-base | xdp-lb-tunnel | xdp-lb6) want=tx_forwarded on2=0 ;;
	xdp-lb-nat) want=redirect_nat on2=1 ;;
	line*) # every packet counted once; at most 1% found their line
		# full (a flow whose line has four others: read like a hit)
		jq -rn --argjson a "$before" --argjson b "$after" \
			--argjson sent $(($(get warm "$line") + $(get tx "$line"))) '
			def d(k): $b.outcomes[k] - $a.outcomes[k];
			(d("found") + d("inserted") + d("full")) as $n
			| (if $n != $sent then "counted \($n), sent \($sent)"
			   elif d("full") * 100 > $sent then "\(d("full")) found their line full"
			   else "" end) as $bad
			| "check=\(if $bad == "" then "ok" else "FAIL(" + $bad + ")" end | gsub(" "; "_"))"
			+ " found=\(d("found")) inserted=\(d("inserted")) full=\(d("full"))"'
		return ;;
	*) return 0 ;;
	esac
	warm=$(get warm "$line") tx=$(get tx "$line")
	rxl=$(get rx_late "$line") rx2=$(get rx2 "$line")
	jq -rn --argjson a "$before" --argjson b "$after" --arg want $want \
		--argjson sent $((warm + tx)) --argjson rxl "$rxl" \
		--argjson rx2 "${rx2:-0}" --argjson on2 $on2 '
		def d(k): ($b.outcomes[k] // 0) - ($a.outcomes[k] // 0);
		[$b.outcomes | keys[] | select(startswith("drop_"))] as $dk
		| ([$dk[] | d(.)] | add // 0) as $drops
		| ([$b.outcomes | keys[] | select(. != $want) | d(.)] | add // 0)
			as $other
		| (if $on2 == 1 then $rx2 == $rxl else $rx2 == 0 end) as $where
		| (if d($want) != $sent then "\($want) grew by \(d($want)), sent \($sent)"
		   elif $drops != 0 then "\($drops) dropped"
		   elif $other != 0 then "\($other) in other outcomes"
		   elif ($where | not) then "sink counted \($rx2) of \($rxl) on the second interface"
		   else "" end) as $bad
		| "check=\(if $bad == "" then "ok" else "FAIL(" + $bad + ")" end | gsub(" "; "_"))"
		+ " \($want)=\(d($want)) drops=\($drops)"
		+ (if $b.nat then " nat_mappings=\($b.nat.mappings)" else "" end)'
}
get() { # KEY LINE: the value of KEY=... in LINE
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }
	done
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
			before=
			case $s in
			xdp-lb*) before=$(status) || fail "no status in $s" ;;
			line*) before=$(line_stats) || fail "no counts in $s" ;;
			esac
			case $s in
			*6) fam=(-6 -v "$VIP6") ;;
			*) fam=(-v "$VIP") ;;
			esac
			line=$(nsenter --net=/run/netns/$GNS "$OUT/gen" -i $GIF \
				-I ${IDLE}a -S $GIF1 -d "$LMAC" "${fam[@]}" -f "$f" \
				-t "$SECS" -c "$CHUNK" -C "$CPU") ||
				fail "gen failed in $s"
			chk=
			if [ -n "$before" ]; then
				case $s in
				line*) after=$(line_stats) || fail "no counts in $s" ;;
				*) after=$(status) || fail "no status in $s" ;;
				esac
				chk=" $(check "$s" "$before" "$after" "$line")" ||
					fail "check failed in $s"
			fi
			echo "round=$r scenario=$s $line$chk" | tee -a "$LOG"
			case $chk in *check=FAIL*) fail "$s: wrong path" ;; esac
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
			fl = (s ~ /6$/) ? "floor6" : "floor" # IPv6 against its own floor
			m++; v[m] = mpps[s, f, r]; x[m] = mpps[s, f, r] / mpps[fl, f, r]
			d[m] = 1000 / mpps[s, f, r] - 1000 / mpps[fl, f, r]
			if (loss[s, f, r] > ml) ml = loss[s, f, r]
		}
		if (!m) continue
		stat(v, m); a = sprintf("%.2f (%.2f-%.2f)", med, lo, hi)
		stat(x, m); b = sprintf("%.2f (%.2f-%.2f)", med, lo, hi)
		stat(d, m); c = sprintf("%.0f (%.0f-%.0f)", med, lo, hi)
		printf "| %s | %d | %s | %s | %s | %.2f%% |\n", s, f, a, b, c, 100 * ml
	}
	for (j = 1; j <= nf; j++) {
		f = F[j]; m = 0; delete x
		for (r in R) if (("xdp-lb", f, r) in mpps && ("xdp-lb-base", f, r) in mpps) {
			m++; x[m] = mpps["xdp-lb", f, r] / mpps["xdp-lb-base", f, r]
		}
		if (!m) continue
		stat(x, m)
		printf "xdp-lb / xdp-lb-base, %d flows: %.2f (%.2f-%.2f) (per-round ratios, %d rounds)\n", f, med, lo, hi, m
	}
}' "$LOG" | tee -a "$LOG"
echo
echo "log: $LOG"
exit 0
