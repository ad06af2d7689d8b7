#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Several balancer nodes behind ECMP (docs/cluster.md), with real TCP: the
# router (BIRD, BGP + BFD, L4 multipath hash) spreads new connections over
# the nodes; every node builds the same tables, so a flow keeps its back end
# whichever node it crosses. Checks: spread over nodes and back ends, equal
# fingerprints, long-lived streams through a node whose link dies (0 broken,
# recovery time), the node back, node drain and undrain, one node's probes
# failing (only it withdraws), a weight change on every node, and the
# routes at SIGTERM (withdraw_on_exit) and kill -9 (they stay). The same
# for a tunnel-mode service whose back ends sit behind a routed hop:
# spread, fingerprints, full-size segments (MTU), streams through the
# node's death.
# shellcheck source=tests/e2e/cluster.sh
. "$(dirname "$0")/cluster.sh"

T_START=$(now_ms)
N=$CL_NODES
NODEP=$(python3 -c "print(round(100 / $N, 1))")
STREAMS=24
TSTREAMS=12 # through the tunnel

if ! cluster_up; then
	not_ok "cluster up: every node announces both VIPs (router: $(nexthops "$CVIP4") and $(nexthops "$CVIP6") paths)"
	exit 1
fi
ok "cluster up: $N nodes, the router has $N paths to $CVIP4, $CVIP6 and $CVIP4T (tunnel: each node's probes pass through the hop) ($(ms_since "$T_START") ms)"

# ---- the same tables everywhere ----
fp_equal() { # SVC: every node's fingerprint of SVC equal; prints it
	local i f first
	for ((i = 1; i <= N; i++)); do
		f=$(fingerprint "$i" "$1") || return 1
		[ -z "$first" ] && first=$f
		[ "$f" = "$first" ] && [ "$f" != none ] || return 1
	done
	echo "$first"
}
fp4=$(fp_equal 0)
check "web's table fingerprint equal on every node ($fp4)" [ -n "$fp4" ]
fp6=$(fp_equal 1)
check "web6's table fingerprint equal on every node ($fp6)" [ -n "$fp6" ]
fpt=$(fp_equal $SVC_T)
check "tun's (tunnel mode) table fingerprint equal on every node ($fpt)" [ -n "$fpt" ]
tun_up_everywhere() { # every node's probes reach t1 and t2 through the hop
	local i
	for ((i = 1; i <= N; i++)); do
		[ "$(node_status "$i" "[b['health'] for b in s['services'][$SVC_T]['backends']]")" = "['up', 'up']" ] ||
			return 1
	done
}
check "every node's tunnelled probes reach both tunnel back ends through the hop: up" \
	tun_up_everywhere
check "node 1 status: web announced, why '3 of 3 back ends up'" \
	[ "$(node_status 1 's["services"][0]["announce"]["announced"]') $(node_status 1 's["services"][0]["announce"]["why"]')" = "True 3 of 3 back ends up" ]

# ---- spread over nodes and back ends ----
# tun's spread runs at the same time as web's (each counts its own
# service's new flows), under a capture of what the hop forwards.
TSP=$(mktemp /tmp/xlb-e2e-spread.XXXXXX)
HCAP=$(mktemp /tmp/xlb-e2e-hop.XXXXXX)
CLEAN_FILES+=("$TSP" "$HCAP")
hop_capture "$HCAP"
spread_stable 1200 "$CVIP4T" $SVC_T >"$TSP" &
TSP_PID=$!
read -r -a sp < <(spread_stable 1200)
tally=${sp[*]:N}
diag "1200 connections: nodes ${sp[*]:0:N}; back ends $tally"
total=0
for ((i = 0; i < N; i++)); do total=$((total + sp[i])); done
check "every connection answered ($tally)" [ "$(share "$tally" errors)" = 0.0 -a "$total" -ge 1200 ]
for ((i = 0; i < N; i++)); do
	pct=$(python3 -c "print(round(100*${sp[i]}/max($total,1),1))")
	check "node $((i + 1)) took $pct% of new connections (1/$N = $NODEP% +- $(sigma5 "$NODEP" 1200))" \
		share_near "$pct" "$NODEP" 1200
done
for b in b1:25 b2:25 b3:50; do
	check "back end ${b%:*} took $(share "$tally" "${b%:*}")% (weight: ${b#*:}% +- $(sigma5 "${b#*:}" 1200))" \
		share_near "$(share "$tally" "${b%:*}")" "${b#*:}" 1200
done
wait "$TSP_PID"
read -r -a spt <"$TSP"
ttally=${spt[*]:N}
diag "tun, 1200 connections: nodes ${spt[*]:0:N}; back ends $ttally"
total=0
for ((i = 0; i < N; i++)); do total=$((total + spt[i])); done
check "tun: every connection answered through the tunnel ($ttally)" \
	[ "$(share "$ttally" errors)" = 0.0 -a "$total" -ge 1200 ]
for ((i = 0; i < N; i++)); do
	pct=$(python3 -c "print(round(100*${spt[i]}/max($total,1),1))")
	check "tun: node $((i + 1)) took $pct% of new connections (1/$N = $NODEP% +- $(sigma5 "$NODEP" 1200))" \
		share_near "$pct" "$NODEP" 1200
done
for b in t1:33.3 t2:66.7; do
	check "tun: back end ${b%:*} took $(share "$ttally" "${b%:*}")% (weight: ${b#*:}% +- $(sigma5 "${b#*:}" 1200))" \
		share_near "$(share "$ttally" "${b%:*}")" "${b#*:}" 1200
done
wait "$HOP_CAP_PID"
check "the hop routed the nodes' IP-in-IP packets: outer TTL 63, its own source MAC" \
	hop_routed "$HCAP"
grep -A1 'proto IPIP' "$HCAP" | head -2 | sed 's/^/#   /'
tally=$(in_ns "$P-cl" python3 "$E2E_DIR/client.py" bigecho "$CVIP4T" 80 4000 6)
check "tun: full-size segments (1500-byte packets, 1520 with the outer header) echoed byte for byte on 6 connections ($tally)" \
	[ "$(share "$tally" errors)" = 0.0 ]
read -r -a sp6 < <(spread 150 "$CVIP6" 1)
used=0
for ((i = 0; i < N; i++)); do [ "${sp6[i]}" -gt 0 ] && used=$((used + 1)); done
check "IPv6: 150 connections answered over $used nodes (${sp6[*]})" \
	[ "$(share "${sp6[*]:N}" errors)" = 0.0 -a "$used" -ge 2 ]

# ---- a node dies under long-lived streams ----
SOUT=$(mktemp /tmp/xlb-e2e-streams.XXXXXX)
TOUT=$(mktemp /tmp/xlb-e2e-streams.XXXXXX)
CLEAN_FILES+=("$SOUT" "$TOUT")
streams_start "$STREAMS" "$SOUT"
SPID=$STREAMS_PID
streams_start "$TSTREAMS" "$TOUT" "$CVIP4T"
TPID=$STREAMS_PID
all_ready() { streams_ready "$SOUT" && streams_ready "$TOUT"; }
check "$STREAMS streams open, $TSTREAMS through the tunnel" wait_until 20 all_ready
check "the nodes' live flows are the $STREAMS + $TSTREAMS streams" \
	wait_until 10 flows_total_is "$STREAMS $TSTREAMS" 0 $SVC_T
K=$(busiest_node 0 $SVC_T)
read -r kflows ktflows < <(flows_of "$K" 0 $SVC_T)
check "node $K, to be killed, carries streams of both services ($kflows, $ktflows)" \
	[ "${kflows:-0}" -gt 0 -a "${ktflows:-0}" -gt 0 ]
diag "node $K carries $kflows of the $STREAMS streams and $ktflows of the $TSTREAMS tunnel streams: its link goes down"
t0=$(now_ms)
ip -n "$P-n$K" link set "$P-n${K}x" down
if wait_until "$CONVERGE_S" nexthops_is "$CVIP4" $((N - 1)); then
	KILL_MS=$(ms_since "$t0")
	ok "node $K dead: the router dropped it after $KILL_MS ms (BFD ${BFD_MS} ms x $BFD_MULT)"
else
	not_ok "node $K dead: the router still has $(nexthops "$CVIP4") paths after ${CONVERGE_S} s"
fi
check "its $kflows streams and $ktflows tunnel streams flow through the other nodes" \
	wait_until "$CONVERGE_S" flows_elsewhere_at_least "$K" "$STREAMS $TSTREAMS" 0 $SVC_T
tally=$(count "$CVIP4" 150)
check "150 new connections while node $K is dead: all answered ($tally)" \
	[ "$(share "$tally" errors)" = 0.0 ]

# ---- the node comes back ----
t0=$(now_ms)
node_link_up "$K"
if wait_until "$ESTABLISH_S" nexthops_is "$CVIP4" "$N"; then
	ok "node $K back: announced again after $(ms_since "$t0") ms (BGP re-established)"
else
	not_ok "node $K back: the router has $(nexthops "$CVIP4") paths after ${ESTABLISH_S} s"
fi
check "node $K back: tun announced again (its probes pass through the hop)" \
	wait_until "$CONVERGE_S" nexthops_is "$CVIP4T" "$N"
read -r -a sp < <(spread 150)
check "node $K takes new connections again (${sp[K - 1]} of 150; errors: $(share "${sp[*]:N}" errors)%)" \
	[ "${sp[K - 1]}" -gt 0 -a "$(share "${sp[*]:N}" errors)" = 0.0 ]

# ---- node drain ----
wait_until 10 flows_total_is "$STREAMS $TSTREAMS" 0 $SVC_T ||
	diag "live flows: $(flows_elsewhere 0 0 $SVC_T)"
D=$(busiest_node 0 $SVC_T)
t0=$(now_ms)
check "xdp-lb node drain on node $D" xlbn "$D" node drain
if wait_until "$CONVERGE_S" nexthops_is "$CVIP4" $((N - 1)); then
	DRAIN_MS=$(ms_since "$t0")
	ok "node $D drained: withdrawn at the router after $DRAIN_MS ms"
else
	not_ok "node $D drained: the router still has $(nexthops "$CVIP4") paths"
fi
check "node $D status: drained, web not announced ('node drained')" \
	[ "$(node_status "$D" 's["node"]["drained"]') $(node_status "$D" 's["services"][0]["announce"]["why"]')" = "True node drained" ]
read -r -a sp < <(spread 300)
check "no new connection reaches drained node $D (${sp[D - 1]} of 300; errors $(share "${sp[*]:N}" errors)%)" \
	[ "${sp[D - 1]}" = 0 -a "$(share "${sp[*]:N}" errors)" = 0.0 ]
check "its streams flow through the other nodes, the tunnel streams too" \
	wait_until "$CONVERGE_S" flows_elsewhere_at_least "$D" "$STREAMS $TSTREAMS" 0 $SVC_T
t0=$(now_ms)
check "xdp-lb node undrain on node $D" xlbn "$D" node undrain
check "node $D announced again" wait_until "$CONVERGE_S" nexthops_is "$CVIP4" "$N"
diag "undrain -> announced: $(ms_since "$t0") ms"
read -r -a sp < <(spread 150)
check "node $D takes new connections again (${sp[D - 1]} of 150)" [ "${sp[D - 1]}" -gt 0 ]

# ---- the streams ----
streams_end "$SPID"
streams_end "$TPID"
rep=$(tail -1 "$SOUT")
diag "streams: $rep"
broken=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["broken"])' "$rep" 2>/dev/null)
gap=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["max_gap_ms"])' "$rep" 2>/dev/null)
check "$STREAMS streams through a node death, a node back, a drain and an undrain: $broken broken, each on one back end, byte-exact (longest wait for an echo: $gap ms)" \
	[ "$broken" = 0 ]
trep=$(tail -1 "$TOUT")
diag "tunnel streams: $trep"
tbroken=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["broken"])' "$trep" 2>/dev/null)
tgap=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["max_gap_ms"])' "$trep" 2>/dev/null)
check "$TSTREAMS tunnel streams through the same: $tbroken broken, each on one back end, byte-exact (longest wait for an echo: $tgap ms)" \
	[ "$tbroken" = 0 ]
fpt2=$(fp_equal $SVC_T)
check "after node $K's back ends went down and up there, tun's fingerprints are equal and as before ($fpt2)" \
	[ -n "$fpt2" -a "$fpt2" = "$fpt" ]

# ---- every back end down on one node only ----
# (After the streams: a node that believes its back ends down re-picks the
# flows pinned to them, as a single balancer does; docs/cluster.md.)
H=$(((D % N) + 1))
for b in 1 2 3; do ip -n "$P-n$H" route add blackhole "198.18.2.2$b/32"; done
t0=$(now_ms)
if wait_until "$CONVERGE_S" nexthops_is "$CVIP4" $((N - 1)); then
	ok "node $H, whose probes fail: $CVIP4 withdrawn after $(ms_since "$t0") ms (fall 2 x 200 ms + BGP)"
else
	not_ok "node $H, whose probes fail: still $(nexthops "$CVIP4") paths"
fi
check "node $H status: web not announced ('no back end up'), web6 still is" \
	[ "$(node_status "$H" 's["services"][0]["announce"]["why"]') $(node_status "$H" 's["services"][1]["announce"]["announced"]')" = "no back end up True" ]
others_kept() { nexthops_is "$CVIP6" "$N" && nexthops_is "$CVIP4T" "$N"; }
check "the router keeps $N paths to $CVIP6 and $CVIP4T" others_kept
read -r -a sp < <(spread 150)
check "the others serve $CVIP4: 150 answered, none through node $H (${sp[H - 1]})" \
	[ "${sp[H - 1]}" = 0 -a "$(share "${sp[*]:N}" errors)" = 0.0 ]
for b in 1 2 3; do ip -n "$P-n$H" route del blackhole "198.18.2.2$b/32"; done
check "node $H's back ends up again: $CVIP4 announced" \
	wait_until "$CONVERGE_S" nexthops_is "$CVIP4" "$N"

# ---- a weight change on every node ----
for ((i = 1; i <= N; i++)); do
	xlbn "$i" backend weight web 198.18.2.23 50 || not_ok "weight on node $i"
done
fp4b=$(fp_equal 0)
check "after a weight change on every node the fingerprints are equal again ($fp4b, was $fp4)" \
	[ -n "$fp4b" -a "$fp4b" != "$fp4" ]

# ---- what a weight change costs flows that then move to another node ----
# Streams pinned by the old table keep their back end on their node; moved
# to another node after the change, those whose slot changed owner go to
# another back end, which resets them (docs/cluster.md: about 30% of the
# slots change with this weight change).
SOUT2=$(mktemp /tmp/xlb-e2e-streams.XXXXXX)
CLEAN_FILES+=("$SOUT2")
streams_start 30 "$SOUT2"
wait_until 20 streams_ready "$SOUT2" && wait_until 10 flows_total_is 30
for ((i = 1; i <= N; i++)); do
	xlbn "$i" backend weight web 198.18.2.23 200 >/dev/null || not_ok "weight on node $i"
done
W=$(busiest_node)
wm=$(live_flows "$W")
xlbn "$W" node drain >/dev/null
wait_until "$CONVERGE_S" nexthops_is "$CVIP4" $((N - 1))
sleep 2 # an observation window: each moved stream sends 20 lines
streams_end "$STREAMS_PID"
wrep=$(tail -1 "$SOUT2")
wbroken=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["broken"])' "$wrep" 2>/dev/null)
check "weight change, then node $W drained with $wm of 30 streams: $wbroken broken (at most the $wm that moved; about 30% of them expected)" \
	[ "${wbroken:-99}" -le "$wm" ]
diag "weight-change streams: $wrep"
WEIGHT_BROKEN="$wbroken of $wm moved"
xlbn "$W" node undrain >/dev/null
wait_until "$CONVERGE_S" nexthops_is "$CVIP4" "$N"

# ---- SIGTERM withdraws (withdraw_on_exit), kill -9 leaves the route ----
routes_in_100() {
	{ ip -n "$P-n$1" -4 route show table 100 proto 201
	  ip -n "$P-n$1" -6 route show table 100 proto 201; } | grep -c .
}
node_stop 1 KILL
check "kill -9: node 1's routes stay in table 100 ($(routes_in_100 1))" [ "$(routes_in_100 1)" = 3 ]
check "kill -9: the router keeps node 1's paths (fail-static)" nexthops_is "$CVIP4" "$N"
node_stop 2 TERM
check "SIGTERM with withdraw_on_exit: node 2's table 100 is empty" [ "$(routes_in_100 2)" = 0 ]
check "the router drops node 2" wait_until "$CONVERGE_S" nexthops_is "$CVIP4" $((N - 1))

# ---- a restarted controller clears what an earlier run left, only that ----
ip -n "$P-n2" route add 198.18.3.200/32 dev "$P-n2x" table 100 proto 201
ip -n "$P-n2" route add 198.18.3.201/32 dev lo table 100 proto 201
ip -n "$P-n2" route add 198.18.3.202/32 dev "$P-n2x" table 100 proto static
node_launch 2
node_wait 2
has_route() { [ -n "$(ip -n "$P-n2" route show table 100 "$1" ${2:+proto $2})" ]; }
check "restart: its VIP routes are back in table 100" wait_until 5 has_route "$CVIP4" 201
stale_gone() { ! has_route 198.18.3.200; }
check "restart: a stale route of its own (proto 201, its device) was withdrawn" stale_gone
both_stay() { has_route 198.18.3.201 201 && has_route 198.18.3.202 static; }
check "restart: routes of another device or protocol stay" both_stay

diag "cluster test: $(ms_since "$T_START") ms; node killed -> moved ${KILL_MS:-?} ms; drained -> withdrawn ${DRAIN_MS:-?} ms; streams broken $broken, longest echo wait $gap ms; tunnel streams broken $tbroken, longest echo wait $tgap ms; after a weight change ${WEIGHT_BROKEN:-?} broke"
