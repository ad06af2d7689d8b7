#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Real TCP benchmark (figures only, never pass/fail): wrk in a client
# namespace against three nginx back ends, these ways:
#   direct    wrk to one back end (198.18.0.11), no balancer on the path
#   xdp-lb    wrk to the VIP through xdp-lb (DSR, replies bypass it)
#   xdp-lb-1  the same with only b1 in the table: as many busy processes
#             as direct (wrk and one nginx)
#   haproxy   wrk to the VIP through HAProxy, mode tcp, roundrobin
#   nft-dnat  wrk to the VIP through nftables DNAT (numgen) + masquerade
#   xdp-lb-nat  wrk to the VIP through xdp-lb, mode nat: two-armed, the
#             same three back ends on a second, internal link (198.18.2.0/24)
#   direct-rt wrk to one tunnel back end (198.18.1.11) through the router
#             xbt-rt: the baseline of the tunnel path (one router hop)
#   xdp-lb-tunnel  wrk to VIP 198.18.0.102 through xdp-lb, mode tunnel
#             (IPIP) to three other nginx back ends t1..t3 behind xbt-rt,
#             which decapsulate (xdp-lb decap attach) and reply via xbt-rt
# each keep-alive and one connection per request (Connection: close).
# The balancer namespace (xbt-lb) hosts whichever is under test, one at a
# time.
#
#   xbt-cl .1 --+                 +-- xbt-b1..b3 .11-.13 (VIP on lo)
#   xbt-lb .2 --+-- xbt-sw br0 ---+-- xbt-rt 198.18.0.4
#   (198.18.0.0/24)                   xbt-rt 198.18.1.1 -- xbt-sw2 --
#                                       xbt-t1..t3 198.18.1.11-13 (decap)
#   xbt-lb xbt-lb1 198.18.2.1 -- xbt-sw1 -- xbt-b1..b3 xbt-bNn 198.18.2.11-13
#
# Scenarios rotate within each round; the summary
# gives the median (min-max) of ROUNDS rounds and each round's ratio to
# "direct" (and to "direct-rt", the same with a router hop) measured in
# the same round.
#   ROUNDS=3 DURATION=5s THREADS=1 CONNS=16 bash bench/tcp.sh
# Needs root, build/xdp-lb (make all), wrk, nginx, haproxy, nft.
# Namespaces xbt-*; everything (processes, namespaces, pins) removed on exit.
source "$(dirname "$0")/../tests/e2e/lib.sh"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
THREADS=${THREADS:-1}
CONNS=${CONNS:-16}
SCEN=(${SCEN:-direct xdp-lb xdp-lb-1 haproxy nft-dnat xdp-lb-nat direct-rt xdp-lb-tunnel})
ALL_SCEN="direct xdp-lb xdp-lb-1 haproxy nft-dnat xdp-lb-nat direct-rt xdp-lb-tunnel"
MODES=(keepalive close)

for t in wrk nginx haproxy nft; do
	command -v "$t" >/dev/null || {
		echo "bench: $t missing (apt-get install nginx-light haproxy wrk nftables)" >&2
		exit 1
	}
done
[ -x "$BIN" ] || { echo "bench: $BIN missing (make all)" >&2; exit 1; }

topo_up xbt || { echo "bench: topology failed" >&2; exit 1; }
# Beyond topo_up: the nat internal link and the tunnel side. Removed by
# bench_down, then topo_down (trapped by topo_up) removes the rest.
XNSS="sw1 sw2 rt t1 t2 t3"
VIPT=198.18.0.102
bench_down() {
	local rc=$? h
	lb_stop
	for h in t1 t2 t3; do
		nsenter --net="/run/netns/$P-$h" "$BIN" decap detach "$P-${h}0" >/dev/null 2>&1
	done
	lb_ns "$BIN" detach "$P-lb0" >/dev/null 2>&1
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	for h in $XNSS; do ip netns del "$P-$h" 2>/dev/null; done
	rm -rf "/sys/fs/bpf/xdp-lb/$P-lb0" "/sys/fs/bpf/xdp-lb/$P-lb1"
	(exit $rc)
	topo_down
}
trap bench_down EXIT
for h in $XNSS; do ip netns del "$P-$h" 2>/dev/null; done
# xlink NS IFACE BRIDGE_NS ADDR: a veth from NS to br0 in BRIDGE_NS.
xlink() {
	ip link add "$2" type veth peer name "${2}p" || return 1
	ip link set "$2" netns "$P-$1"
	ip link set "${2}p" netns "$P-$3"
	ip -n "$P-$3" link set "${2}p" master br0 up
	ip -n "$P-$1" link set "$2" up
	ip -n "$P-$1" addr add "$4" dev "$2"
}
xtopo_up() {
	local h n
	for h in $XNSS; do
		ip netns add "$P-$h" || return 1
		ip -n "$P-$h" link set lo up
	done
	for h in sw1 sw2; do
		ip -n "$P-$h" link add br0 type bridge && ip -n "$P-$h" link set br0 up || return 1
	done
	# nat: the balancer's internal arm, a second link on each back end
	xlink lb "$P-lb1" sw1 198.18.2.1/24 || return 1
	n=11
	for h in b1 b2 b3; do
		xlink "$h" "$P-${h}n" sw1 "198.18.2.$n/24" || return 1
		# nat replies cross the balancer's native XDP: software checksums
		in_ns "$P-$h" ethtool -K "$P-${h}n" tx off >/dev/null
		n=$((n + 1))
	done
	# XDP_REDIRECT into a veth needs an XDP program on its peer
	ip -n "$P-sw1" link set dev "$P-lb1p" xdpdrv obj "$ROOT/build/xdp_pass.bpf.o" sec xdp ||
		return 1
	# tunnel: a router between 198.18.0.0/24 and 198.18.1.0/24
	xlink rt "$P-rt0" sw 198.18.0.4/24 && xlink rt "$P-rt1" sw2 198.18.1.1/24 || return 1
	in_ns "$P-rt" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$P-rt0.rp_filter=0" \
		"net.ipv4.conf.$P-rt1.rp_filter=0"
	n=11
	for h in t1 t2 t3; do
		xlink "$h" "$P-${h}0" sw2 "198.18.1.$n/24" || return 1
		ip -n "$P-$h" route add default via 198.18.1.1
		ip -n "$P-$h" addr add "$VIPT/32" dev lo
		n=$((n + 1))
	done
	# the balancer reaches the tunnel back ends through the router; the
	# client reaches them (direct-rt) through the router too, and the
	# tunnel VIP through the balancer, with room for the outer header
	ip -n "$P-lb" route add 198.18.1.0/24 via 198.18.0.4
	ip -n "$P-cl" route add 198.18.1.0/24 via 198.18.0.4
	ip -n "$P-cl" route add "$VIPT/32" via 198.18.0.2 mtu 1400
}
xtopo_up || { echo "bench: nat/tunnel topology failed" >&2; exit 1; }
T=/tmp/xbt-tcp.$$
mkdir -p "$T"
CLEAN_FILES+=("-r" "$T")

# No ICMP redirects from the box that forwards out the interface it
# received on (DNAT), none taken by the client.
in_ns "$P-lb" sysctl -qw net.ipv4.conf.all.send_redirects=0 \
	net.ipv4.conf.default.send_redirects=0 "net.ipv4.conf.$P-lb0.send_redirects=0"
in_ns "$P-cl" sysctl -qw net.ipv4.conf.all.accept_redirects=0 \
	net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1

# nginx on each back end: one process, tiny static body.
for h in b1 b2 b3 t1 t2 t3; do
	cat >"$T/nginx-$h.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx-$h.pid;
error_log stderr error;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	keepalive_timeout 60s;
	client_body_temp_path $T/nginx-$h-body;
	proxy_temp_path $T/nginx-$h-proxy;
	fastcgi_temp_path $T/nginx-$h-fcgi;
	uwsgi_temp_path $T/nginx-$h-uwsgi;
	scgi_temp_path $T/nginx-$h-scgi;
	server {
		listen 0.0.0.0:80 backlog=4096;
		location / { return 200 "$h\n"; }
	}
}
EOF
	ip netns exec "$P-$h" nginx -e stderr -c "$T/nginx-$h.conf" 2>>"$T/nginx-$h.log" &
	PIDS+=($!)
	wait_for 50 in_ns "$P-$h" bash -c 'exec 3<>/dev/tcp/127.0.0.1/80' ||
		{ echo "bench: nginx on $h did not start:" >&2; cat "$T/nginx-$h.log" >&2; exit 1; }
done

CFG=$T/xdp-lb.yaml
write_config "$CFG" 100 100 100
CFG1=$T/xdp-lb-1.yaml
write_config "$CFG1" 100 0 0

# nat: default flow timeouts, so a closed connection holds its source port
# for nat_time_wait (60 s, the back ends' TIME_WAIT), and a client port
# reused by wrk gets its old source port back. Every round uses another
# nat_source (NATSRC, added to xbt-lb1 for the run): the balancer starts
# empty each round, while the back ends still hold the previous rounds'
# TIME_WAIT for the old source's ports.
cat >"$T/xdp-lb-nat.yaml.in" <<EOF
sweep_interval: 1
nat_ports: 1024-65535
nat_source: NATSRC
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    mode: nat
    backends:
      - addr: 198.18.2.11
      - addr: 198.18.2.12
      - addr: 198.18.2.13
EOF
cat >"$T/xdp-lb-tunnel.yaml" <<EOF
tunnel_source: 198.18.9.0/24
services:
  - name: web
    vip: $VIPT
    port: 80
    proto: tcp
    mode: tunnel
    backends:
      - addr: 198.18.1.11
      - addr: 198.18.1.12
      - addr: 198.18.1.13
EOF

cat >"$T/haproxy.cfg" <<EOF
global
	maxconn 4096
	log stderr format raw local0 err
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
listen vip
	bind $VIP4:80
	balance roundrobin
	server b1 198.18.0.11:80
	server b2 198.18.0.12:80
	server b3 198.18.0.13:80
EOF

# Source NAT to an address of its own (masquerade with a dedicated
# address): from 198.18.0.2 the back ends would still hold HAProxy's
# TIME_WAIT sockets for the same ports, and SYNs into them stall for 1 s.
SNAT4=198.18.0.3
cat >"$T/dnat.nft" <<EOF
table ip xbt {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr $VIP4 tcp dport 80 dnat to numgen inc mod 3 map { 0 : 198.18.0.11, 1 : 198.18.0.12, 2 : 198.18.0.13 }
	}
	chain post {
		type nat hook postrouting priority srcnat;
		ip daddr 198.18.0.0/24 oif "$P-lb0" snat to $SNAT4
	}
}
EOF

vip_up() { wait_for 50 in_ns "$P-cl" bash -c "exec 3<>/dev/tcp/${1:-$VIP4}/80"; }

# setup_S / teardown_S: put the scenario's path in place, remove it.
setup_direct() { URL=http://198.18.0.11/; }
teardown_direct() { :; }
setup_xdp-lb() {
	URL=http://$VIP4/
	lb_start "$CFG" && vip_up
}
teardown_xdp-lb() {
	lb_stop
	lb_ns "$BIN" detach "$P-lb0" >/dev/null 2>&1
	rm -rf "/sys/fs/bpf/xdp-lb/$P-lb0"
}
# xdp-lb with the same service but only b1 in the table (b2, b3 weight
# 0): as many busy processes as direct (wrk and one nginx), so what is
# left of the difference to direct is the balancer's path itself
setup_xdp-lb-1() {
	URL=http://$VIP4/
	lb_start "$CFG1" && vip_up
}
teardown_xdp-lb-1() { teardown_xdp-lb; }
setup_haproxy() {
	URL=http://$VIP4/
	ip -n "$P-lb" addr add "$VIP4/32" dev lo
	ip netns exec "$P-lb" haproxy -db -f "$T/haproxy.cfg" >>"$T/haproxy.log" 2>&1 &
	HAP_PID=$!
	PIDS+=($HAP_PID)
	vip_up || { sed 's/^/  haproxy: /' "$T/haproxy.log" >&2; return 1; }
}
teardown_haproxy() {
	kill "$HAP_PID" 2>/dev/null
	wait "$HAP_PID" 2>/dev/null
	ip -n "$P-lb" addr del "$VIP4/32" dev lo
}
setup_nft-dnat() {
	URL=http://$VIP4/
	in_ns "$P-lb" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$P-lb" addr add "$SNAT4/24" dev "$P-lb0"
	in_ns "$P-lb" nft -f "$T/dnat.nft" && vip_up
}
teardown_nft-dnat() {
	in_ns "$P-lb" nft delete table ip xbt
	ip -n "$P-lb" addr del "$SNAT4/24" dev "$P-lb0"
	in_ns "$P-lb" sysctl -qw net.ipv4.ip_forward=0
}

setup_xdp-lb-nat() {
	URL=http://$VIP4/
	NATSRC=198.18.2.$((20 + r))
	ip -n "$P-lb" addr add "$NATSRC/24" dev "$P-lb1" || return 1
	sed "s/NATSRC/$NATSRC/" "$T/xdp-lb-nat.yaml.in" >"$T/xdp-lb-nat.yaml"
	lb_start "$T/xdp-lb-nat.yaml" --internal "$P-lb1" && vip_up
}
teardown_xdp-lb-nat() {
	echo "  xdp-lb-nat: $(status_get "'mappings %d, drop_nat_no_port %d, sweep_revived %d, sweep_lost %d' % (s['nat']['mappings'], s['outcomes']['drop_nat_no_port'], s.get('sweep_revived', 0), s.get('sweep_lost', 0))" 2>&1)"
	teardown_xdp-lb
	ip -n "$P-lb" addr del "$NATSRC/24" dev "$P-lb1"
	ip -n "$P-lb" link show "$P-lb1" | grep -q xdp &&
		echo "  xdp-lb-nat: program still on $P-lb1 after detach" >&2
}
setup_direct-rt() { URL=http://198.18.1.11/; }
teardown_direct-rt() { :; }
setup_xdp-lb-tunnel() {
	local h
	URL=http://$VIPT/
	for h in t1 t2 t3; do
		nsenter --net="/run/netns/$P-$h" "$BIN" decap attach "$P-${h}0" >/dev/null || return 1
	done
	lb_start "$T/xdp-lb-tunnel.yaml" && vip_up "$VIPT"
}
teardown_xdp-lb-tunnel() {
	local h c=
	for h in t1 t2 t3; do
		c+=" $h $(nsenter --net="/run/netns/$P-$h" "$BIN" --json decap status "$P-${h}0" |
			python3 -c 'import json,sys; print(json.load(sys.stdin)["decapsulated"])' 2>&1)"
	done
	echo "  xdp-lb-tunnel: decapsulated$c"
	teardown_xdp-lb
	for h in t1 t2 t3; do
		nsenter --net="/run/netns/$P-$h" "$BIN" decap detach "$P-${h}0" >/dev/null 2>&1
	done
}

# to_us VALUE: wrk latency (e.g. 512.00us, 1.20ms, 2.01s) in microseconds.
to_us() {
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
		f = (u == "s") ? 1e6 : (u == "ms") ? 1e3 : 1; printf "%.0f", n * f }'
}

# With DIAG=1, the TCP counters (nstat) of the client and the back ends
# that moved during each run are printed: where resets and stalls come from.
nstat_abs() { # NS: absolute TCP counters, one "name value" a line
	in_ns "$1" nstat -a -z 2>/dev/null | awk '/^(Tcp|TcpExt)/ { print $1, $2 }'
}
diag_snap() {
	local h pid
	for h in cl b1 b2 b3; do nstat_abs "$P-$h" | sed "s/^/$h /"; done >"$T/nstat.$1"
	# softirq work deferred to the ksoftirqd threads: their CPU ticks, and
	# softnet time_squeeze (net_rx_action out of budget or time)
	for pid in $(pgrep -x 'ksoftirqd/[0-9]+'); do
		awk '{ print "sys ksoftirqd_ticks", $14 + $15 }' "/proc/$pid/stat"
	done >>"$T/nstat.$1"
	while read -r _ _ sq _; do echo "sys time_squeeze $((16#$sq))"; done \
		</proc/net/softnet_stat >>"$T/nstat.$1"
	# time the servers and wrk spent runnable but waiting for a CPU (ms)
	for pid in $(pgrep -x nginx) $(pgrep -x haproxy); do
		awk '{ print "sys server_runq_wait_ms", int($2 / 1e6) }' "/proc/$pid/schedstat"
	done >>"$T/nstat.$1"
	awk '/NET_RX/ { s = 0; for (i = 2; i <= NF; i++) s += $i; print "sys net_rx_softirqs", s }' \
		/proc/softirqs >>"$T/nstat.$1"
}
diag_print() {
	python3 - "$T/nstat.a" "$T/nstat.b" <<'PY'
import sys
def load(p):
    d = {}
    for l in open(p):
        h, k, v = l.split()
        d[(h, k)] = d.get((h, k), 0) + int(v)
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
skip = ("InSegs", "OutSegs", "ActiveOpens", "PassiveOpens", "CurrEstab",
        "TCPHPHits", "TCPPureAcks", "TCPHPAcks", "DelayedACKs", "TCPOrigDataSent",
        "TCPDelivered", "TCPAutoCorking", "TCPRcvCoalesce", "TCPBacklogCoalesce")
out = {}
for (h, k), v in sorted(b.items()):
    dv = v - a.get((h, k), 0)
    if dv and not k.endswith(skip):
        out.setdefault(h, []).append("%s=%d" % (k.replace("TcpExt", "").replace("Tcp", ""), dv))
for h in ("cl", "b1", "b2", "b3", "sys"):
    if h in out:
        print("    nstat %s: %s" % (h, " ".join(out[h])))
PY
}

# bench_one ROUND SCENARIO MODE: one wrk run, one line in $T/raw.
bench_one() {
	local r=$1 s=$2 m=$3 hdr=() out rps p50 p99 errs
	[ "$m" = close ] && hdr=(-H 'Connection: close')
	in_ns "$P-cl" wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${hdr[@]}" "$URL" >/dev/null 2>&1
	[ "${DIAG:-0}" = 1 ] && diag_snap a
	out=$(in_ns "$P-cl" timeout 60 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" \
		--latency "${hdr[@]}" "$URL" 2>&1)
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p50=$(to_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	p99=$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	errs=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' \n' ' ')
	echo "$r $s $m ${rps:-0} ${p50:-0} ${p99:-0}" >>"$T/raw"
	[ "${DIAG:-0}" = 1 ] && diag_snap b
	printf '  %-13s %-9s %10s req/s  p50 %6s us  p99 %6s us %s\n' \
		"$s" "$m" "${rps:-FAILED}" "$p50" "$p99" "${errs:+ [$errs]}"
	[ "${DIAG:-0}" = 1 ] && diag_print
}

echo "# $(date -u +%F) $(uname -r), $(nproc) CPUs: $(lscpu | sed -n 's/^Model name: *//p')"
echo "# wrk -t$THREADS -c$CONNS -d$DURATION --latency (after a $WARMUP warm-up), $ROUNDS rounds"
: >"$T/raw"
n=${#SCEN[@]}
for ((r = 1; r <= ROUNDS; r++)); do
	echo "== round $r"
	for ((i = 0; i < n; i++)); do
		s=${SCEN[$(((i + r - 1) % n))]}
		if ! "setup_$s"; then
			echo "  $s: setup failed, skipped this round" >&2
			"teardown_$s" 2>/dev/null
			continue
		fi
		for m in "${MODES[@]}"; do
			bench_one "$r" "$s" "$m"
		done
		"teardown_$s"
	done
done

echo
echo "== summary: median (min-max) over $ROUNDS rounds; ratio = req/s / direct req/s in the same round"
python3 - "$T/raw" "$ALL_SCEN" <<'PY'
import sys
from collections import defaultdict
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
d = defaultdict(dict)  # (scenario, mode) -> round -> (rps, p50, p99)
for r, s, m, rps, p50, p99 in rows:
    d[(s, m)][r] = (float(rps), float(p50), float(p99))
def med(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
def fmt(v, f):
    return "%s (%s-%s)" % (f % med(v), f % min(v), f % max(v)) if v else "-"
def ratios(runs, base):
    return [runs[r][0] / base[r][0] for r in runs if r in base and base[r][0] > 0]
print("| mode | path | req/s | ratio to direct | ratio to direct-rt | p50 us | p99 us |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for m in ("keepalive", "close"):
    for s in sys.argv[2].split():
        runs = d.get((s, m), {})
        if not runs:
            continue
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            m, s, fmt([x[0] for x in runs.values()], "%.0f"),
            fmt(ratios(runs, d.get(("direct", m), {})), "%.2f"),
            fmt(ratios(runs, d.get(("direct-rt", m), {})), "%.2f"),
            fmt([x[1] for x in runs.values()], "%.0f"),
            fmt([x[2] for x in runs.values()], "%.0f")))
PY
