#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# A long-lived connection keeps its back end and keeps working across a
# weight change and across a controller stop and restart; new connections
# are served while no controller runs (fail-static); the restarted
# controller re-adopts the pinned flows. IPv4 and IPv6.
source "$(dirname "$0")/lib.sh"
topo_up xep || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
write_config "$CFG" 1 1 1
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }

for vip in $VIP4 $VIP6; do
	HOLD_OUT=/tmp/xlb-e2e-$P-hold.txt
	CLEAN_FILES+=("$HOLD_OUT")
	hold_start "$vip" "$HOLD_OUT" # until hold_end, after the checks
	hold_pid=$HOLD_PID
	wait_for 30 grep -q "answered by" "$HOLD_OUT"
	held=$(sed -n 's/^held connection answered by \(b[0-9]\).*/\1/p' "$HOLD_OUT")
	check "$vip: long-lived connection is up (on $held)" [ -n "$held" ]
	if [ "$vip" = "$VIP4" ]; then svc=web; addr=198.18.0.1${held#b}; else svc=web6; addr=fd00::1${held#b}; fi

	# 1. Its back end gets weight 0, the others much more: the connection
	# must stay where it is.
	run xlb backend weight "$svc" "$addr" 0
	for other in 1 2 3; do
		[ "$other" = "${held#b}" ] && continue
		o=${addr%?}$other
		run xlb backend weight "$svc" "$o" 1000
	done
	sleep 1
	LB_PID_OLD=$LB_PID
	# 2. The controller stops: the data path keeps forwarding.
	lb_stop || not_ok "controller stops"
	check "$vip: the controller is gone" bash -c "! kill -0 $LB_PID_OLD 2>/dev/null"
	t=$(count "$vip" 50)
	diag "$vip with no controller running, 50 new connections: $t"
	e=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["errors"])' "$t")
	check "$vip: new connections served with the controller stopped (errors $e)" [ "$e" -eq 0 ]
	check "$vip: no new connection to the drained $held while stopped" \
		python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1]).get(sys.argv[2],0))' "$t" "$held"
	# 3. A new controller re-adopts the maps (and the config sets 1:1:1
	# again: pinned flows still must not move).
	lb_start "$CFG" || not_ok "controller restarts"
	grep -q "re-adopted" "$LB_LOG" && ok "$vip: restarted controller re-adopted the pinned maps" ||
		not_ok "$vip: restarted controller re-adopted the pinned maps"
	if [ "$vip" = "$VIP4" ]; then i=0; else i=1; fi
	flows=$(status_get "[b['flows'] for b in s['services'][$i]['backends'] if b['addr']=='$addr'][0]")
	check "$vip: after restart status shows $held's pinned flows ($flows)" [ "$flows" -gt 0 ]
	hold_end "$hold_pid"
	rc=$?
	diag "$(tail -1 "$HOLD_OUT")"
	check "$vip: the long-lived connection never failed nor moved" [ $rc -eq 0 ]
done
