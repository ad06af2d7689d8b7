#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Tunnel mode with real TCP: back ends in another subnet behind a router
# namespace, running the decap program (`xdp-lb decap attach`), answer
# clients directly. IPv4-in-IPv4, IPv6-in-IPv6 and IPv4-in-IPv6.
#
#   xet-cl 198.18.0.1 fd00::1 ---+            +--- xet-b1 198.18.1.11 fd00:1::11
#   xet-lb 198.18.0.2 fd00::2 ---+-- br0 --+  |    (VIPs on lo, decap on eth)
#   xet-rt 198.18.0.3 fd00::3 ---+    xet-rt 198.18.1.1 fd00:1::1 -- br1 --+
#                                              +--- xet-b2 198.18.1.12 fd00:1::12
source "$(dirname "$0")/lib.sh"
P=${XLB_E2E_TAG:-}xet
VIP46=198.18.0.101
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
NSS="sw sw1 cl lb rt b1 b2"
own_pre_down() { # the decap programs stay attached otherwise
	local n
	for n in b1 b2; do
		nsenter --net=/run/netns/$P-$n "$BIN" decap detach $P-${n}0 >/dev/null 2>&1
	done
}
own_topo_begin || { not_ok "namespaces"; exit 1; }

setup() {
	local n
	own_link cl $P-cl0 sw && own_link lb $P-lb0 sw && own_link rt $P-rt0 sw &&
		own_link rt $P-rt1 sw1 && own_link b1 $P-b10 sw1 && own_link b2 $P-b20 sw1 || return 1
	ip -n $P-cl addr add 198.18.0.1/24 dev $P-cl0
	ip -n $P-cl addr add fd00::1/64 dev $P-cl0 nodad
	ip -n $P-lb addr add 198.18.0.2/24 dev $P-lb0
	ip -n $P-lb addr add fd00::2/64 dev $P-lb0 nodad
	ip -n $P-rt addr add 198.18.0.3/24 dev $P-rt0
	ip -n $P-rt addr add fd00::3/64 dev $P-rt0 nodad
	ip -n $P-rt addr add 198.18.1.1/24 dev $P-rt1
	ip -n $P-rt addr add fd00:1::1/64 dev $P-rt1 nodad
	ip netns exec $P-rt sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	local i=11
	for n in b1 b2; do
		ip -n $P-$n addr add 198.18.1.$i/24 dev $P-${n}0
		ip -n $P-$n addr add fd00:1::$i/64 dev $P-${n}0 nodad
		ip -n $P-$n route add default via 198.18.1.1
		ip -n $P-$n -6 route add default via fd00:1::1
		ip -n $P-$n addr add $VIP4/32 dev lo
		ip -n $P-$n addr add $VIP46/32 dev lo
		ip -n $P-$n addr add $VIP6/128 dev lo nodad
		i=$((i + 1))
	done
	# the balancer reaches the back ends' subnet through the router
	ip -n $P-lb route add 198.18.1.0/24 via 198.18.0.3
	ip -n $P-lb -6 route add fd00:1::/64 via fd00::3
	# the client reaches the VIPs through the balancer; MTU leaves room
	# for the outer header
	ip -n $P-cl route add $VIP4/32 via 198.18.0.2
	ip -n $P-cl route add $VIP46/32 via 198.18.0.2
	ip -n $P-cl -6 route add $VIP6/128 via fd00::2
	ip -n $P-cl link set $P-cl0 mtu 1400
	ip netns exec $P-cl ethtool -K $P-cl0 tx off >/dev/null
	ip -n $P-sw link set dev $P-lb0p xdpdrv obj "$ROOT/build/xdp_pass.bpf.o" sec xdp
	# health probes go to the VIPs through the tunnel (tc egress): the
	# balancer needs a route for them (here the VIPs sit in its own
	# subnet, so a /32 via the router), and on veth software checksums,
	# as the probe crosses the back end's native-XDP hop
	ip -n $P-lb route add $VIP4/32 via 198.18.0.3
	ip -n $P-lb route add $VIP46/32 via 198.18.0.3
	ip -n $P-lb -6 route add $VIP6/128 via fd00::3
	ip netns exec $P-lb ethtool -K $P-lb0 tx off >/dev/null
}
setup || { not_ok "topology"; exit 1; }
for n in b1 b2; do
	ip netns exec "$P-$n" python3 "$E2E_DIR/backend.py" "$n" 80 >/dev/null 2>&1 &
	PIDS+=($!)
done
for n in b1 b2; do
	wait_for 50 in_ns "$P-$n" python3 -c "import socket; socket.create_connection(('127.0.0.1', 80), 1)" ||
		{ not_ok "back end $n starts"; exit 1; }
	check "decap attach on $n" nsenter --net=/run/netns/$P-$n "$BIN" decap attach $P-${n}0
done
expect_err() { # WANT CMD...: one line on stderr containing WANT, exit != 0
	local out rc
	out=$("${@:2}" 2>&1 >/dev/null)
	rc=$?
	[ $rc -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ "$out" == *"$1"* ]] ||
		{ diag "rc=$rc: $out"; return 1; }
}
check "decap on an unknown interface: one clear line" \
	expect_err "unknown interface 'nope0'" nsenter --net=/run/netns/$P-b1 "$BIN" decap attach nope0

cat >"$CFG" <<YAML
tunnel_source: 198.18.9.0/24
tunnel_source6: fd00:9::/64
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    mode: tunnel
    health: { type: tcp, interval_ms: 200, timeout_ms: 200, rise: 2, fall: 2 }
    backends:
      - addr: 198.18.1.11
      - addr: 198.18.1.12
  - name: web6
    vip: $VIP6
    port: 80
    proto: tcp
    mode: tunnel
    health: { type: http, interval_ms: 200, timeout_ms: 200, rise: 2, fall: 2 }
    backends:
      - addr: fd00:1::11
      - addr: fd00:1::12
  - name: web46
    vip: $VIP46
    port: 80
    proto: tcp
    mode: tunnel
    health: { type: tcp, interval_ms: 200, timeout_ms: 200, rise: 2, fall: 2 }
    backends:
      - addr: fd00:1::11
      - addr: fd00:1::12
YAML
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
RT_MAC=$(ip -n $P-rt -j link show $P-rt0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
check "back ends' MAC is the router's (resolved through the route)" \
	[ "$(status_get "s['services'][0]['backends'][0]['mac']")" = "$RT_MAC" ]
check "status shows mode tunnel" [ "$(status_get "s['services'][0]['mode']")" = tunnel ]
for v in "$VIP4 IPv4-in-IPv4" "$VIP6 IPv6-in-IPv6" "$VIP46 IPv4-in-IPv6"; do
	set -- $v
	T=$(count $1 200)
	diag "$2, 200 connections: $T"
	check "$2: 200 connections through the tunnel, both back ends, no error ($T)" \
		python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t['errors']==0 and t.get('b1',0)>40 and t.get('b2',0)>40))"
done
in_ns "$P-cl" python3 "$E2E_DIR/client.py" slow $VIP4 80 3 >/dev/null
check "a 3-second download over the tunnel stays on one back end" [ $? -eq 0 ]
D1=$(nsenter --net=/run/netns/$P-b1 "$BIN" --json decap status $P-b10 | python3 -c 'import json,sys; print(json.load(sys.stdin)["decapsulated"])')
check "b1's decap program counted the packets it unwrapped ($D1)" [ "${D1:-0}" -gt 100 ]
check "the balancer counted no encapsulation drop" [ "$(status_get "s['outcomes']['drop_encap']")" = 0 ]
health() { status_get "[b['health'] for b in s['services'][$1]['backends']]"; }
wait_health() { # SERVICE_INDEX WANT
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(health "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
check "tunnel probes pass: web and web6 back ends up ($(health 0) $(health 1))" \
	wait_health 0 "['up', 'up']"
check "IPv6 http probes through the tunnel pass" wait_health 1 "['up', 'up']"
check "IPv4 probes through IPv6 tunnels pass (web46)" wait_health 2 "['up', 'up']"
nsenter --net=/run/netns/$P-b2 "$BIN" decap detach $P-b20 >/dev/null
T0=$(date +%s%3N)
check "b2 without decap fails its tunnelled probes: down (server still up)" \
	wait_health 0 "['up', 'down']"
diag "b2 down $(( $(date +%s%3N) - T0 )) ms after its decap went (fall 2 x 200 ms + 200 ms timeout)"
check "b2 down for web6 too" wait_health 1 "['up', 'down']"
check "and for web46 (IPv4 in IPv6)" wait_health 2 "['up', 'down']"
T=$(count $VIP4 100)
check "clients all reach b1 while b2's decap is broken ($T)" \
	python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t['errors']==0 and t.get('b1',0)==100))"
nsenter --net=/run/netns/$P-b2 "$BIN" decap attach $P-b20 >/dev/null
check "decap back on b2: up again" wait_health 0 "['up', 'up']"
check "decap detach on b1" nsenter --net=/run/netns/$P-b1 "$BIN" decap detach $P-b10
check "decap detach twice: one clear line" \
	expect_err "no decap program on '$P-b10'" nsenter --net=/run/netns/$P-b1 "$BIN" decap detach $P-b10
echo "1..$TAP_N"
