#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Health probes under a steady stream of new connections: a back end whose
# server dies, or whose link goes down, is marked down within
# fall x interval + timeout; no new connection goes to it afterwards, its
# pinned flows are deleted, clients that retry succeed; it comes back
# after rise good probes. All down: loud, and the last table is kept.
source "$(dirname "$0")/lib.sh"
topo_up xeh || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
STREAM=/tmp/xlb-e2e-$P-stream.txt
CLEAN_FILES+=("$CFG" "$STREAM")
INTERVAL=200 TIMEOUT=200 RISE=2 FALL=2
BOUND=$((FALL * INTERVAL + TIMEOUT))
write_config "$CFG" 1 1 1
python3 - "$CFG" <<PY
import sys
p = sys.argv[1]
s = open(p).read().replace("    proto: tcp\n", """    proto: tcp
    health:
      type: tcp
      interval_ms: $INTERVAL
      timeout_ms: $TIMEOUT
      rise: $RISE
      fall: $FALL
""", 1)
open(p, "w").write(s)
PY
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
health_of() { status_get "[b['health'] for b in s['services'][0]['backends'] if b['addr']=='$1'][0]"; }
check "all back ends start up" [ "$(status_get "[b['health'] for b in s['services'][0]['backends']]")" = "['up', 'up', 'up']" ]

# Detection is timed by the controller's own clock: health_since_ms (when
# it flipped the back end, wall clock ms) minus the time of the action,
# taken in this script right at the action. Bounds come from the probe
# settings plus SLACK for timer and scheduling slack; waits poll against a
# deadline that a slow machine cannot outrun.
SLACK=250
be_get() { status_get "[b['$2'] for b in s['services'][0]['backends'] if b['addr']=='$1'][0]"; }
health_is() { [ "$(health_of "$1")" = "$2" ]; }
# since_after ADDR STATE T0: wait (10 s at most) for ADDR to be STATE; print
# health_since_ms - T0, or "never".
since_after() {
	if ! wait_until 10 health_is "$1" "$2"; then
		echo never
		return
	fi
	echo $(($(be_get "$1" health_since_ms) - $3))
}
# in_bounds MS LO HI: MS is a number with LO <= MS <= HI.
in_bounds() { [[ $1 =~ ^-?[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
why() { diag "$1 changed by: $(be_get "$2" health_changed_by)"; }
DETECT=()
# stream: 400 new connections with retries in the background.
stream_start() {
	in_ns "$P-cl" python3 "$E2E_DIR/client.py" retry $VIP4 80 400 >"$STREAM" 2>&1 &
	STREAM_PID=$!
	sleep 0.5
}
stream_check() { # what
	wait $STREAM_PID
	local t
	t=$(cat "$STREAM")
	check "$1: every client succeeded, retrying where it had to ($t)" \
		python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and sum(v for k,v in t.items() if k.startswith("b"))==400))' "$t"
}
no_new_to() { # NAME
	local t
	t=$(count $VIP4 150)
	check "no new connection to $1, none failed ($t)" \
		python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and t.get(sys.argv[2],0)==0))' "$t" "$1"
}

HOLDS=()
# 1. A server dies while idle keep-alive connections are pinned to it.
for i in 1 2 3 4 5 6; do
	in_ns "$P-cl" python3 "$E2E_DIR/client.py" hold $VIP4 80 30 >/dev/null 2>&1 &
	HOLDS+=($!)
done
wait_for 50 bash -c "[ \$($BIN -i $P-lb0 status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"flows\"])') -ge 6 ]"
VADDR=$(status_get "max(s['services'][0]['backends'], key=lambda b: b['flows'])['addr']")
VICTIM=b${VADDR##*.1}
f=$(status_get "[b['flows'] for b in s['services'][0]['backends'] if b['addr']=='$VADDR'][0]")
check "$VICTIM has live pinned flows before its server dies ($f)" [ "$f" -gt 0 ]
stream_start
t_kill=$(now_ms)
backend_kill $VICTIM
t_dead=$(now_ms) # the server process has exited
ms=$(since_after $VADDR down "$t_dead")
early=$((t_dead - t_kill))
check "dead server: $VICTIM down $ms ms after its server exited (bound fall x interval + timeout = $BOUND ms, + $SLACK ms slack)" \
	in_bounds "$ms" "-$early" $((BOUND + SLACK))
why "$VICTIM down" $VADDR
DETECT+=("kill:$ms")
since=$(be_get $VADDR health_since)
line=$(xlb status | grep -F "health down since")
check "status shows when $VICTIM went down and why ($line)" \
	grep -qF "health down since $since: connect: Connection refused" <<<"$line"
detail=$(status_get "[b['health_detail'] for b in s['services'][0]['backends'] if b['addr']=='$VADDR'][0]")
diag "$VICTIM health detail: $detail"
f=$(status_get "[b['flows'] for b in s['services'][0]['backends'] if b['addr']=='$VADDR'][0]")
check "$VICTIM's pinned flows were deleted ($f)" [ "$f" -eq 0 ]
for pid in "${HOLDS[@]}"; do kill "$pid" 2>/dev/null; done
stream_check "server killed during the stream"
no_new_to $VICTIM
backend_start $VICTIM
ms=$(since_after $VADDR up "$(backend_ready_ms $VICTIM)")
check "$VICTIM back up $ms ms after its server listened again (bound rise x interval = $((RISE * INTERVAL)) ms, + $SLACK ms slack)" \
	in_bounds "$ms" 0 $((RISE * INTERVAL + SLACK))
why "$VICTIM up" $VADDR
DETECT+=("restart:$ms")
t=$(count $VIP4 150)
check "$VICTIM takes new connections again ($t)" python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and t.get(sys.argv[2],0)>10))' "$t" "$VICTIM"

# 2. b3's link goes down (probes time out instead of being refused).
stream_start
t0=$(now_ms)
ip -n "$P-b3" link set "$P-b30" down
ms=$(since_after 198.18.0.13 down "$t0")
check "link down: b3 down $ms ms after its link went down (bound $BOUND ms, + $SLACK ms slack)" \
	in_bounds "$ms" 0 $((BOUND + SLACK))
why "b3 down" 198.18.0.13
DETECT+=("link-down:$ms")
stream_check "link down during the stream"
no_new_to b3
t0=$(now_ms)
ip -n "$P-b3" link set "$P-b30" up
ms=$(since_after 198.18.0.13 up "$t0")
# The link's carrier and the neighbour entry come back first: a probe sent
# before that times out, so one more interval + timeout is allowed.
check "b3 back up $ms ms after its link came back (bound rise x interval + interval + timeout = $(((RISE + 1) * INTERVAL + TIMEOUT)) ms, + $SLACK ms slack)" \
	in_bounds "$ms" 0 $(((RISE + 1) * INTERVAL + TIMEOUT + SLACK))
why "b3 up" 198.18.0.13
DETECT+=("link-up:$ms")
diag "detection times (ms): ${DETECT[*]}"

# 3. Everything down: loud, and the last table stays (fail-open).
for h in b1 b2 b3; do backend_kill $h; done
wait_for 50 bash -c "[ \"\$($BIN -i $P-lb0 status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"all_down\"])')\" = True ]"
check "status says all back ends of web are down" [ "$(status_get "s['services'][0]['all_down']")" = True ]
check "the controller log says so loudly" grep -q "ALL 3 back ends are DOWN: keeping the last table" "$LB_LOG"
tx0=$(status_get "s['outcomes']['tx_forwarded']")
d0=$(status_get "s['outcomes']['drop_no_backend']")
count $VIP4 5 >/dev/null
tx1=$(status_get "s['outcomes']['tx_forwarded']")
d1=$(status_get "s['outcomes']['drop_no_backend']")
check "with all down, packets still go to the last table (tx $tx0 -> $tx1, drops $d0 -> $d1)" [ "$tx1" -gt "$tx0" -a "$d1" -eq "$d0" ]
backends_start
wait_for 50 bash -c "[ \"\$($BIN -i $P-lb0 status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"all_down\"])')\" = False ]"
# all_down clears with the first back end up; count once all three are
wait_for 50 bash -c "[ \"\$($BIN -i $P-lb0 status --json | python3 -c 'import json,sys; print([b[\"health\"] for b in json.load(sys.stdin)[\"services\"][0][\"backends\"]])')\" = \"['up', 'up', 'up']\" ]"
t=$(count $VIP4 90)
check "after recovery all three serve again ($t)" python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and all(t.get(b,0)>5 for b in ("b1","b2","b3"))))' "$t"
