#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make soak: a bounded soak (SOAK_SECONDS, default 600; not in make test).
# Long-lived connections (on b1 and b2) and new connections run while,
# cycle after cycle: weights change, b3's health check fails and comes
# back (its service port keeps answering, so a new flow sent to it while
# it is down is seen), a service comes and goes, the controller is killed
# (-9) and restarted (re-adopting the pins), the program is upgraded.
# At the end: long-lived connections broken (target 0), new flows answered
# by b3 after the controller showed it down (target 0), new-connection
# errors, and the controller's RSS and fd count over time (flat).
# XLB_E2E_TAG applies (lib.sh naming); everything is cleaned up on exit.
source "$(dirname "$0")/e2e/lib.sh"
SOAK=${SOAK_SECONDS:-600}
HOLDS=4
topo_up xsk || { echo "soak: topology failed"; exit 1; }
backends_start || { echo "soak: back ends failed"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
declare -A HP # health servers (port 81) by back end
health_up() {
	ip netns exec "$P-$1" python3 "$E2E_DIR/backend.py" "$1-health" 81 >/dev/null 2>&1 &
	HP[$1]=$!
	PIDS+=($!)
	wait_for 50 in_ns "$P-$1" python3 -c "import socket; socket.create_connection(('127.0.0.1', 81), 1)"
}
health_down() { kill "${HP[$1]}" 2>/dev/null; wait "${HP[$1]}" 2>/dev/null; }
for h in b1 b2 b3; do health_up $h; done
cat >"$CFG" <<YAML
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    health: { type: tcp, port: 81, interval_ms: 200, timeout_ms: 200, rise: 2, fall: 2 }
    backends:
      - addr: 198.18.0.11
      - addr: 198.18.0.12
      - addr: 198.18.0.13
YAML
lb_start "$CFG" || { echo "soak: controller failed"; exit 1; }
wait_until 10 status_is "[b['health'] for b in s['services'][0]['backends']]" "['up', 'up', 'up']"

# long-lived connections, kept only when they landed on b1 or b2 (b3 flaps
# and a down back end's flows move by design)
HOLD_PIDS=()
tries=0
while [ ${#HOLD_PIDS[@]} -lt $HOLDS ] && [ $tries -lt 40 ]; do
	tries=$((tries + 1))
	f=/tmp/xlb-e2e-$P-hold$tries.log
	CLEAN_FILES+=("$f")
	hold_start $VIP4 "$f" $((SOAK + 120))
	wait_for 50 grep -q "answered by" "$f"
	if grep -q "answered by b3" "$f" || ! grep -q "answered by" "$f"; then
		hold_end $HOLD_PID >/dev/null
	else
		HOLD_PIDS+=($HOLD_PID)
		HOLD_LOGS+=("$f")
	fi
done

samples=()
sample() {
	local rss fds
	rss=$(awk '/^VmRSS/{print $2}' "/proc/$LB_PID/status" 2>/dev/null)
	fds=$(ls "/proc/$LB_PID/fd" 2>/dev/null | wc -l)
	samples+=("$((SECONDS - t0))s:pid$LB_PID:${rss}kB:${fds}fd")
}
tally() { # JSON NAME -> count
	python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2],0))' "$1" "$2"
}
t0=$SECONDS
cycles=0 restarts=0 upgrades=0 new=0 errors=0 to_down=0 downs=0 svc_churn=0
sample
while [ $((SECONDS - t0)) -lt "$SOAK" ]; do
	cycles=$((cycles + 1))
	xlb backend weight web 198.18.0.11 $((50 + RANDOM % 100)) >/dev/null
	xlb backend weight web 198.18.0.12 $((50 + RANDOM % 100)) >/dev/null
	# b3's health check fails: once status shows it down, no new flow
	# may reach it (its service port still answers if one did)
	health_down b3
	if wait_until 10 status_is "[b['health'] for b in s['services'][0]['backends'] if b['addr']=='198.18.0.13'][0]" down; then
		downs=$((downs + 1))
		t=$(count $VIP4 30)
		to_down=$((to_down + $(tally "$t" b3)))
		new=$((new + 30))
		errors=$((errors + $(tally "$t" errors)))
	fi
	health_up b3
	wait_until 10 status_is "[b['health'] for b in s['services'][0]['backends'] if b['addr']=='198.18.0.13'][0]" up
	# a service comes and goes
	xlb service add tmp 198.18.0.101:80/tcp >/dev/null &&
		xlb backend add tmp 198.18.0.12 >/dev/null &&
		xlb service del tmp >/dev/null && svc_churn=$((svc_churn + 1))
	t=$(count $VIP4 30)
	new=$((new + 30))
	errors=$((errors + $(tally "$t" errors)))
	case $((cycles % 3)) in
	1) # killed and restarted: re-adopts the pins
		kill -9 "$LB_PID"
		wait "$LB_PID" 2>/dev/null
		LB_PID=
		lb_start "$CFG" && restarts=$((restarts + 1))
		wait_until 10 status_is "[b['health'] for b in s['services'][0]['backends']]" "['up', 'up', 'up']"
		;;
	2)
		lb_ns "$BIN" upgrade "$P-lb0" >/dev/null && upgrades=$((upgrades + 1))
		;;
	esac
	sample
done

broken=0
for i in "${!HOLD_PIDS[@]}"; do
	hold_end "${HOLD_PIDS[$i]}" || { broken=$((broken + 1)); echo "# broken: $(tail -1 "${HOLD_LOGS[$i]}")"; }
done
echo "soak: $((SECONDS - t0)) s, $cycles cycles: $restarts kill -9 + restarts, $upgrades upgrades, $downs b3 down/up flaps, $svc_churn service add/del, weights changed twice a cycle"
echo "soak: long-lived connections: ${#HOLD_PIDS[@]} held, $broken broken"
echo "soak: new connections: $new, $errors errors; new flows to a back end after it was seen down: $to_down"
echo "soak: controller (time:pid:RSS:fds) ${samples[*]}"
[ "$broken" -eq 0 ] && [ "$to_down" -eq 0 ] && [ ${#HOLD_PIDS[@]} -eq $HOLDS ]
