#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Draining: a long download to a drained back end runs to its end; drain
# --wait returns only after it ends (or fails on its timeout); del drains
# first; a closed connection's late ACK is no live flow; idle flows expire
# by state timeouts.
source "$(dirname "$0")/lib.sh"
topo_up xed || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
SLOW=/tmp/xlb-e2e-$P-slow.txt
CLEAN_FILES+=("$CFG" "$SLOW")
write_config "$CFG" 1 1 1
cat >>"$CFG" <<YAML
flow_timeouts:
  tcp_fin: 2
  tcp_rst: 2
sweep_interval: 1
YAML
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }

# busy_backend: the address of the back end of web with live flows.
busy_backend() {
	status_get "([b['addr'] for b in s['services'][0]['backends'] if b['flows']>0] or [''])[0]"
}
slow_start() { # SECONDS
	# earlier connections' flows (closing: tcp_fin 2 s) must be gone, so
	# that the back end with a live flow is the download's
	wait_until 15 status_is "sum(b['flows'] for b in s['services'][0]['backends'])" 0 ||
		diag "earlier flows still live after 15 s"
	in_ns "$P-cl" python3 "$E2E_DIR/client.py" slow $VIP4 80 "$1" >"$SLOW" 2>&1 &
	SLOW_PID=$!
	wait_for 30 bash -c '[ -n "$(busy_backend)" ]'
	BUSY=$(busy_backend)
}
export -f busy_backend status_get xlb
export P BIN

slow_start 20 # long enough for the checks below on a busy machine
check "a slow download is pinned to a back end ($BUSY)" [ -n "$BUSY" ]
DRAIN_END=/tmp/xlb-e2e-$P-drain-end.txt
CLEAN_FILES+=("$DRAIN_END")
rm -f "$DRAIN_END"
# the drain's exit status and end time (wall ms), from its own subshell
(xlb backend drain web "$BUSY" --wait --timeout 30 >/dev/null 2>&1
	echo "$? $(date +%s%3N)" >"$DRAIN_END") &
drain_pid=$!
wait_until 10 status_is "[b['state'] for b in s['services'][0]['backends'] if b['addr']=='$BUSY'][0]" draining
st=$(status_get "[(b['state'],b['flows']) for b in s['services'][0]['backends'] if b['addr']=='$BUSY'][0]")
check "status shows $BUSY draining with its live flow: $st" [ "$st" = "('draining', 1)" ]
check "drain --wait has not returned while the download runs" kill -0 $drain_pid
t=$(count $VIP4 60)
busy_name=b${BUSY##*.1}
check "no new connection to the drained $busy_name ($t)" \
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and t.get(sys.argv[2],0)==0))' "$t" "$busy_name"
wait $SLOW_PID
check "the download to the drained back end completed: $(cat "$SLOW")" [ $? -eq 0 ]
slow_end=$(date -r "$SLOW" +%s%3N) # the client wrote it as it finished
wait $drain_pid
read -r rc drain_end <"$DRAIN_END"
check "drain --wait returned 0 after the download ended ($((drain_end - slow_end)) ms after it)" \
	[ "$rc" -eq 0 -a "$drain_end" -ge "$slow_end" ]

run xlb backend undrain web "$BUSY"
st=$(status_get "[b['state'] for b in s['services'][0]['backends'] if b['addr']=='$BUSY'][0]")
check "undrain: $BUSY active again ($st)" [ "$st" = active ]

slow_start 12
out=$(xlb backend drain web "$BUSY" --wait --timeout 1 2>&1)
rc=$?
check "drain --wait --timeout 1 fails while a flow is live (rc $rc: $out)" \
	bash -c '[ "$1" -eq 1 ] && [[ $2 == *"still has 1 live flows after 1 s"* ]]' _ "$rc" "$out"
wait $SLOW_PID
run xlb backend undrain web "$BUSY"

slow_start 12
run xlb backend del web "$BUSY"
st=$(status_get "[b['state'] for b in s['services'][0]['backends'] if b['addr']=='$BUSY'][0]")
check "del without --now: $BUSY is removing while its download runs ($st)" [ "$st" = removing ]
wait $SLOW_PID
check "the download to the removed back end completed: $(cat "$SLOW")" [ $? -eq 0 ]
gone() { [ "$(status_get "len([b for b in s['services'][0]['backends'] if b['addr']=='$BUSY'])")" = 0 ]; }
wait_for 40 gone
check "after its last flow ended, $BUSY is gone" gone

# A closed connection's late packet: the client's FIN, then the back end's
# FIN 6 s later (past tcp_fin=2 s and a sweep: the entry is gone) and the
# client's last ACK to it. That ACK finds no entry: it is pinned by the
# table as a pickup, never as a live flow (it would hold a drain or a
# removal for tcp_established, 900 s).
nf() { status_get "sum(b['new_flows'] for b in s['services'][0]['backends'])"; }
nf0=$(nf)
late=$(in_ns "$P-cl" python3 "$E2E_DIR/client.py" lateclose $VIP4 80 6 2>&1)
check "a connection whose back end closed 6 s after the client ($late)" \
	bash -c '[[ $1 == b? ]]' _ "$late"
# (the late ACK may go to another back end if the table changed since:
# that one resets it, and the first one's FIN resends add more pickups)
nf_from() { [ "$(nf)" -ge "$1" ]; }
wait_until 5 nf_from $((nf0 + 2))
nf1=$(nf)
live=$(status_get "sum(b['flows'] for b in s['services'][0]['backends'])")
check "its late packets were pinned again (new flows +$((nf1 - nf0)), want >= 2) and are no live flow ($live)" \
	[ "$((nf1 - nf0))" -ge 2 -a "$live" -eq 0 ]

e=$(status_get "s['expired_flows']")
check "closed flows expire after tcp_fin=2 s (expired_flows $e)" [ "$e" -gt 0 ]
