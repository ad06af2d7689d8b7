#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Two-armed NAT with real TCP: back ends on an internal link need no setup
# at all (no VIP, no route: they answer the balancer's internal address).
# 1 MB downloads come back byte-identical (IPv4 and IPv6), a port-mapped
# service works, 1,000 connections run without a mapping collision, and
# mappings of finished flows are expired by the controller.
#
#   xen-cl 198.18.0.1 fd00::1 --br0-- xen-lb0 198.18.0.2 fd00::2
#   xen-lb1 198.18.2.1 fd00:2::1 --br0(sw1)-- xen-b1 .11, xen-b2 .12
source "$(dirname "$0")/lib.sh"
P=${XLB_E2E_TAG:-}xen
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
NSS="sw sw1 cl lb b1 b2"
own_topo_begin || { not_ok "namespaces"; exit 1; }

nat_topology "b1 b2" v6 || { not_ok "topology and back ends"; exit 1; }

cat >"$CFG" <<YAML
sweep_interval: 1
flow_timeouts: { tcp_fin: 2, tcp_rst: 2, nat_time_wait: 20 }
nat_ports: 20000-60999
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    mode: nat
    backends:
      - addr: 198.18.2.11
      - addr: 198.18.2.12
  - name: web6
    vip: $VIP6
    port: 80
    proto: tcp
    mode: nat
    backends:
      - addr: fd00:2::11
      - addr: fd00:2::12
  - name: mapped
    vip: $VIP4
    port: 8080
    proto: tcp
    mode: nat
    backends:
      - addr: 198.18.2.11
        port: 80
      - addr: 198.18.2.12
        port: 80
YAML
out=$(nsenter --net=/run/netns/$P-lb "$BIN" attach $P-lb0 -c "$CFG" 2>&1)
check "nat without --internal: one clear line, exit 2 ($out)" \
	bash -c "[ \$(printf '%s\n' \"\$1\" | wc -l) -eq 1 ] && [[ \"\$1\" == *'mode nat needs an internal interface'* ]]" _ "$out"
check "and nothing was left attached" bash -c "! ip -n $P-lb link show $P-lb0 | grep -q xdp"
lb_start "$CFG" --internal $P-lb1 || { not_ok "controller starts with --internal"; exit 1; }
check "status shows nat with the internal interface and its address" \
	[ "$(status_get "(s['nat']['internal'], s['nat']['source'], s['services'][0]['mode'])")" = "('$P-lb1', '198.18.2.1', 'nat')" ]
for v in "$VIP4 IPv4" "$VIP6 IPv6"; do
	set -- $v
	T=$(count $1 200)
	diag "$2, 200 connections: $T"
	check "$2: 200 connections through nat, both back ends, no error ($T)" \
		python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t['errors']==0 and t.get('b1',0)>40 and t.get('b2',0)>40))"
	D=$(in_ns "$P-cl" python3 "$E2E_DIR/client.py" download $1 80 1048576 10)
	diag "$2, 10 downloads of 1 MB: $D"
	check "$2: 10 downloads of 1 MB, every byte identical ($D)" \
		python3 -c "import json,sys; t=json.loads('$D'); sys.exit(not (t['ok']==10 and t['bad']==0 and t['errors']==0))"
done
T=$(in_ns "$P-cl" python3 "$E2E_DIR/client.py" count $VIP4 8080 100)
check "port mapping: VIP:8080 -> back ends :80 ($T)" \
	python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t['errors']==0 and t.get('b1',0)+t.get('b2',0)==100))"
# A closed connection keeps its source port for nat_time_wait (20 s here),
# past tcp_fin (2 s): the back end holds TIME_WAIT for that port, and the
# same client address and port reconnecting gets it back.
A=$(in_ns "$P-cl" python3 "$E2E_DIR/client.py" peer $VIP4 80 45001)
t0=$(now_ms)
# the closed flow leaves the flow table (tcp_fin 2 s + a sweep), not yet
# its mapping (nat_time_wait 20 s)
wait_until 15 status_is "s['services'][0]['flows']" 0 ||
	diag "the closed flows were not expired within 15 s"
waited=$(($(now_ms) - t0))
B=$(in_ns "$P-cl" python3 "$E2E_DIR/client.py" peer $VIP4 80 45001)
check "a client reconnecting from the same port after its closed flow expired ($waited ms) gets the same back end and source port ($A / $B)" \
	bash -c "[[ '$A' =~ ^b[12]' '(::ffff:)?'198.18.2.1 '[0-9]+$ ]] && [ '$A' = '$B' ]"
T=$(count $VIP4 1000)
M=$(status_get "s['nat']['mappings']")
diag "1000 connections: $T, mappings now $M"
check "1,000 connections, none failed: no mapping collision ($T)" \
	python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t['errors']==0 and t.get('b1',0)+t.get('b2',0)==1000))"
NP=$(status_get "s['outcomes']['drop_nat_no_port']")
check "no port ran out (drop_nat_no_port $NP)" [ "$NP" = 0 ]
# closed flows: nat_time_wait 20 s, sweep every second (deadline 40 s)
wait_until 40 status_below "s['nat']['mappings']" 50
M2=$(status_get "s['nat']['mappings']")
E=$(status_get "s['nat']['expired']")
check "finished flows' mappings are expired ($M -> $M2, $E expired)" test "$M2" -lt 50 -a "$E" -gt 1000
lb_stop
run lb_ns "$BIN" detach $P-lb0 >/dev/null
check "detach removes the program from both interfaces" \
	bash -c "! ip -n $P-lb link show $P-lb0 | grep -q xdp && ! ip -n $P-lb link show $P-lb1 | grep -q xdp"
echo "1..$TAP_N"
