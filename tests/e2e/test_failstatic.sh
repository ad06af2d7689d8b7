#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Fail-static: kill -9 of the controller during traffic loses no
# connection and a restarted controller shows the same flows; `xdp-lb
# upgrade` replaces the program under traffic and loses no connection.
source "$(dirname "$0")/lib.sh"
topo_up xef || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
write_config "$CFG" 1 1 1
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }

# hold N: N long-lived connections in the background, until holds_ok.
HOLDS=()
hold() {
	local i
	HOLDS=()
	for ((i = 0; i < $1; i++)); do
		hold_start $VIP4 /dev/null
		HOLDS+=($HOLD_PID)
	done
	wait_for 30 bash -c "[ \$($BIN -i $P-lb0 status --json | python3 -c 'import json,sys; print(sum(b[\"flows\"] for b in json.load(sys.stdin)[\"services\"][0][\"backends\"]))') -ge $1 ]"
}
holds_ok() {
	local pid bad=0
	for pid in "${HOLDS[@]}"; do hold_end "$pid" || bad=$((bad + 1)); done
	[ $bad -eq 0 ]
}
flows_by_backend() {
	status_get "[(b['addr'],b['flows']) for b in s['services'][0]['backends']]"
}

hold 6
before=$(flows_by_backend)
diag "live flows before kill -9: $before"
# the counters (derived from the pinned maps) survive the restart
pk0=$(status_get "s['services'][0]['packets']")
fw0=$(status_get "s['outcomes']['tx_forwarded']")
count $VIP4 300 >/tmp/xlb-e2e-$P-count.txt &
count_pid=$!
CLEAN_FILES+=(/tmp/xlb-e2e-$P-count.txt)
sleep 0.3
kill -9 "$LB_PID"
wait "$LB_PID" 2>/dev/null
LB_PID=
check "the controller is gone after kill -9" bash -c "! $BIN -i $P-lb0 status >/dev/null 2>&1"
wait $count_pid
t=$(cat /tmp/xlb-e2e-$P-count.txt)
check "300 new connections across the kill -9 all served ($t)" \
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and sum(t.values())==300))' "$t"
lb_start "$CFG" || not_ok "controller restarts after kill -9"
after=$(flows_by_backend)
check "the restarted controller shows the same live flows ($after)" [ "$after" = "$before" ]
check "6 long-lived connections survived kill -9 and restart" holds_ok
pk1=$(status_get "s['services'][0]['packets']")
fw1=$(status_get "s['outcomes']['tx_forwarded']")
check "service packets and tx_forwarded kept across the restart ($pk0 -> $pk1, $fw0 -> $fw1)" \
	eval '[ "$pk0" -gt 0 ] && [ "$pk1" -gt "$pk0" ] && [ "$fw1" -gt "$fw0" ]'

hold 6
id0=$(ip -n $P-lb -j link show $P-lb0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
count $VIP4 300 >/tmp/xlb-e2e-$P-count.txt &
count_pid=$!
sleep 0.3
out=$(lb_ns "$BIN" upgrade $P-lb0 2>&1)
check "upgrade under traffic succeeds ($out)" [ $? -eq 0 ]
id1=$(ip -n $P-lb -j link show $P-lb0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
check "upgrade replaced the program (id $id0 -> $id1)" [ "$id0" != "$id1" ]
wait $count_pid
t=$(cat /tmp/xlb-e2e-$P-count.txt)
check "300 new connections across the upgrade all served ($t)" \
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and sum(t.values())==300))' "$t"
check "6 long-lived connections survived the upgrade" holds_ok
check "the controller still answers after the upgrade" api_running
expect_usage=$(lb_ns "$BIN" upgrade nosuch0 2>&1)
check "upgrade of an unknown interface fails clearly ($expect_usage)" \
	grep -q "unknown interface 'nosuch0'" <<<"$expect_usage"

# A pin layout of an older version: upgrade refuses it with one line
# naming the old map, non-zero, and leaves the program as it was.
pins=/sys/fs/bpf/xdp-lb/$P-lb0
# old_pin_refused NAME what... (the rest: bpftool map create arguments)
old_pin_refused() {
	local name=$1 what=$2 out rc id2
	shift 2
	bpftool map create "$pins/$name" "$@" name "$name" || {
		not_ok "cannot make an old $name pin"
		return
	}
	out=$(lb_ns "$BIN" upgrade $P-lb0 2>&1)
	rc=$?
	id2=$(ip -n $P-lb -j link show $P-lb0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
	check "upgrade over an old $name pin ($what) fails with one line naming it ($rc: $out)" \
		eval '[ $rc -ne 0 ] && [ "$(wc -l <<<"$out")" = 1 ] && grep -q "older xdp-lb ($name" <<<"$out"'
	check "and leaves the program as it was ($id1 -> $id2)" [ "$id1" = "$id2" ]
	rm -f "$pins/$name"
}
old_pin_refused vips_v4 "the VIP hash map before the VIP tables" \
	type hash key 8 value 8 entries 4 flags 1
old_pin_refused flows_v4 "the IPv4 LRU flow table before flows4" \
	type lru_hash key 16 value 16 entries 16
old_pin_refused stats_svc "the per-service counters before derived ones" \
	type percpu_array key 4 value 24 entries 4
old_pin_refused flows_v6 "the IPv6 LRU flow table before flows6" \
	type lru_hash key 40 value 16 entries 16
