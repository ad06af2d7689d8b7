#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Live changes: service add/del, backend add (MAC resolved or given) / del,
# and reload applying only the differences of an edited file.
source "$(dirname "$0")/lib.sh"
topo_up xer || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
VIP2=198.18.0.101
for h in b1 b2 b3; do ip -n "$P-$h" addr add "$VIP2/32" dev lo; done
ip -n "$P-cl" route add "$VIP2/32" via 198.18.0.2
cat >"$CFG" <<YAML
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    backends:
      - addr: 198.18.0.11
      - addr: 198.18.0.12
YAML
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
tally() { python3 -c 'import json,sys; t=json.loads(sys.argv[1]); print(" ".join(f"{k}={v}" for k,v in sorted(t.items())))' "$1"; }
# only TALLY NAMES...: every connection answered by one of NAMES, none failed.
only() {
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); ok=set(sys.argv[2:]); sys.exit(not (t["errors"]==0 and sum(t.values())>0 and all(k in ok for k,v in t.items() if v and k!="errors")))' "$@"
}
drops() { status_get "s['outcomes']['drop_no_backend']"; }

run xlb service add api "$VIP2:80/tcp"
check "service add: api listed" [ "$(status_get "[x['endpoint'] for x in s['services'] if x['name']=='api'][0]")" = "$VIP2:80/tcp" ]
d0=$(drops)
t=$(count $VIP2 1)
d1=$(drops)
check "a service without back ends drops its packets (drop_no_backend $d0 -> $d1)" [ "$d1" -gt "$d0" ]

run xlb backend add api 198.18.0.13 --weight 10
mac=$(status_get "[b['mac'] for x in s['services'] if x['name']=='api' for b in x['backends']][0]")
want=$(ip -n "$P-b3" -j link show "$P-b30" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
check "backend add without --mac: MAC resolved by ARP ($mac = $want)" [ "$mac" = "$want" ]
t=$(count $VIP2 60)
check "new service serves traffic from b3 only ($(tally "$t"))" only "$t" b3

b2mac=$(ip -n "$P-b2" -j link show "$P-b20" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
run xlb backend add "$VIP2:80/tcp" 198.18.0.12 --weight 10 --mac "$b2mac"
t=$(count $VIP2 100)
check "backend add by VIP:PORT/PROTO with --mac: b2 and b3 share ($(tally "$t"))" \
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and t.get("b2",0)>25 and t.get("b3",0)>25))' "$t"

run xlb backend del api 198.18.0.13
n=$(status_get "[len(x['backends']) for x in s['services'] if x['name']=='api'][0]")
check "backend del: api has one back end left ($n)" [ "$n" -eq 1 ]
t=$(count $VIP2 50)
check "after backend del only b2 answers ($(tally "$t"))" only "$t" b2

run xlb service del api
check "service del: api gone" [ "$(status_get "len([x for x in s['services'] if x['name']=='api'])")" -eq 0 ]
p0=$(status_get "s['outcomes']['pass_not_vip']")
t=$(count $VIP2 1)
p1=$(status_get "s['outcomes']['pass_not_vip']")
check "after service del its packets are no longer balanced (pass_not_vip $p0 -> $p1)" [ "$p1" -gt "$p0" ]

# reload: web gets b3 with weight 200, b1 weight 0; a connection held
# must not notice.
HOLD_OUT=/tmp/xlb-e2e-$P-hold.txt
CLEAN_FILES+=("$HOLD_OUT")
hold_start $VIP4 "$HOLD_OUT" # until hold_end, after the reload's checks
hold_pid=$HOLD_PID
wait_for 30 grep -q "answered by" "$HOLD_OUT"
cat >"$CFG" <<YAML
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    backends:
      - addr: 198.18.0.11
        weight: 0
      - addr: 198.18.0.12
        weight: 100
      - addr: 198.18.0.13
        weight: 200
YAML
sleep 1
id2=$(status_get "[b['id'] for b in s['services'][0]['backends'] if b['addr']=='198.18.0.12'][0]")
run xlb reload
check "reload: weights 0/100/200" [ "$(status_get "[b['weight'] for b in s['services'][0]['backends']]")" = "[0, 100, 200]" ]
check "reload kept b2's id ($id2): its pinned flows stay valid" \
	[ "$(status_get "[b['id'] for b in s['services'][0]['backends'] if b['addr']=='198.18.0.12'][0]")" = "$id2" ]
t=$(count $VIP4 150)
check "after reload no new connection to b1, b3 gets the most ($(tally "$t"))" \
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and t.get("b1",0)==0 and t.get("b3",0)>t.get("b2",0)>0))' "$t"
hold_end "$hold_pid"
check "a connection held across the reload never failed nor moved ($(tail -1 "$HOLD_OUT"))" [ $? -eq 0 ]
grep -q "service web: removed" "$LB_LOG" && not_ok "reload re-created web" || ok "reload changed web in place"
