#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Real TCP benchmark (figures only, never pass/fail): wrk in a client
# namespace against three nginx back ends, four ways:
#   direct   wrk to one back end (198.18.0.11), no balancer on the path
#   xdp-lb   wrk to the VIP through xdp-lb (DSR, replies bypass it)
#   haproxy  wrk to the VIP through HAProxy, mode tcp, roundrobin
#   nft-dnat wrk to the VIP through nftables DNAT (numgen) + masquerade
# each keep-alive and one connection per request (Connection: close).
# The balancer namespace (xbt-lb) hosts whichever of the three is under
# test, one at a time. Scenarios rotate within each round; the summary
# gives the median (min-max) of ROUNDS rounds and each round's ratio to
# "direct" measured in the same round.
#   ROUNDS=3 DURATION=5s THREADS=1 CONNS=16 bash bench/tcp.sh
# Needs root, build/xdp-lb (make all), wrk, nginx, haproxy, nft.
# Namespaces xbt-*; everything (processes, namespaces, pins) removed on exit.
source "$(dirname "$0")/../tests/e2e/lib.sh"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
THREADS=${THREADS:-1}
CONNS=${CONNS:-16}
SCEN=(${SCEN:-direct xdp-lb haproxy nft-dnat})
MODES=(keepalive close)

for t in wrk nginx haproxy nft; do
	command -v "$t" >/dev/null || {
		echo "bench: $t missing (apt-get install nginx-light haproxy wrk nftables)" >&2
		exit 1
	}
done
[ -x "$BIN" ] || { echo "bench: $BIN missing (make all)" >&2; exit 1; }

topo_up xbt || { echo "bench: topology failed" >&2; exit 1; }
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
for h in b1 b2 b3; do
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

vip_up() { wait_for 50 in_ns "$P-cl" bash -c "exec 3<>/dev/tcp/$VIP4/80"; }

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

# to_us VALUE: wrk latency (e.g. 512.00us, 1.20ms, 2.01s) in microseconds.
to_us() {
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
		f = (u == "s") ? 1e6 : (u == "ms") ? 1e3 : 1; printf "%.0f", n * f }'
}

# bench_one ROUND SCENARIO MODE: one wrk run, one line in $T/raw.
bench_one() {
	local r=$1 s=$2 m=$3 hdr=() out rps p50 p99 errs
	[ "$m" = close ] && hdr=(-H 'Connection: close')
	in_ns "$P-cl" wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${hdr[@]}" "$URL" >/dev/null 2>&1
	out=$(in_ns "$P-cl" timeout 60 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" \
		--latency "${hdr[@]}" "$URL" 2>&1)
	rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
	p50=$(to_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
	p99=$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
	errs=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' \n' ' ')
	echo "$r $s $m ${rps:-0} ${p50:-0} ${p99:-0}" >>"$T/raw"
	printf '  %-9s %-9s %10s req/s  p50 %6s us  p99 %6s us %s\n' \
		"$s" "$m" "${rps:-FAILED}" "$p50" "$p99" "${errs:+ [$errs]}"
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
python3 - "$T/raw" <<'PY'
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
print("| mode | path | req/s | ratio to direct | p50 us | p99 us |")
print("| --- | --- | --- | --- | --- | --- |")
for m in ("keepalive", "close"):
    for s in ("direct", "xdp-lb", "haproxy", "nft-dnat"):
        runs = d.get((s, m), {})
        base = d.get(("direct", m), {})
        ratios = [runs[r][0] / base[r][0] for r in runs if r in base and base[r][0] > 0]
        print("| %s | %s | %s | %s | %s | %s |" % (
            m, s, fmt([x[0] for x in runs.values()], "%.0f"),
            fmt(ratios, "%.2f"),
            fmt([x[1] for x in runs.values()], "%.0f"),
            fmt([x[2] for x in runs.values()], "%.0f")))
PY
