#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Weights 2:1:1 split 1,000 new TCP connections as 50/25/25 (IPv4 and
# IPv6), each share within 5 sigma of its weight's (lib.sh, sigma5);
# status shows flows and packets; weight 0 stops new connections to a back
# end, and the others split them by their weights.
source "$(dirname "$0")/lib.sh"
topo_up xew || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
write_config "$CFG" 2 1 1
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
ok "controller attached and answering"

for vip in $VIP4 $VIP6; do
	t=$(count "$vip" 1000)
	diag "$vip 1000 connections: $t"
	errors=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["errors"])' "$t")
	check "$vip: 1000 connections, no errors ($errors)" [ "$errors" -eq 0 ]
	for pair in b1:50 b2:25 b3:25; do
		b=${pair%:*} want=${pair#*:}
		got=$(share "$t" "$b")
		check "$vip: $b got $got% (want $want +-$(sigma5 "$want" 1000))" share_near "$got" "$want" 1000
	done
done

st=$(xlb status --json)
nb=$(status_get 'len(s["services"][0]["backends"])')
check "status lists 3 back ends for web ($nb)" [ "$nb" -eq 3 ]
for i in 0 1 2; do
	f=$(status_get "s['services'][0]['backends'][$i]['new_flows']")
	p=$(status_get "s['services'][0]['backends'][$i]['packets']")
	a=$(status_get "s['services'][0]['backends'][$i]['addr']")
	check "status: $a counted new flows ($f) and packets ($p)" [ "$f" -gt 0 -a "$p" -gt 0 ]
done
f6=$(status_get "sum(b['new_flows'] for b in s['services'][1]['backends'])")
check "status: web6 counted 1000 new flows ($f6)" [ "$f6" -eq 1000 ]
live=$(status_get "sum(b['flows'] for b in s['services'][0]['backends'])")
check "status: closed connections are not live flows ($live)" [ "$live" -eq 0 ]

run xlb backend weight web 198.18.0.13 0 || not_ok "backend weight web 198.18.0.13 0"
state=$(status_get "s['services'][0]['backends'][2]['state']")
check "weight 0 shows as draining ($state)" [ "$state" = draining ]
t=$(count $VIP4 500)
diag "after weight 0 for b3, 500 connections: $t"
b3=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("b3",0))' "$t")
check "weight 0: no new connection to b3 ($b3)" [ "$b3" -eq 0 ]
got=$(share "$t" b1)
check "weight 0: b1 now gets 2/3 ($got%, want 66.7 +-$(sigma5 66.7 500))" share_near "$got" 66.7 500
