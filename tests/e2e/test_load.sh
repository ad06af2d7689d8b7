#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Load feedback and standby back ends, with real agents (agent.py, the
# HAProxy agent-check text protocol) and real servers:
#  1. a back end whose agent reports 100% gets a clearly smaller share of
#     1,000 new connections than the two reporting 10% (one cut, to 40%,
#     that does not compound); its share comes
#     back when its load falls; an agent's "drain" stops new connections;
#  2. with every back end reporting overload, the standby's start command
#     starts a server in its namespace, it passes its probes and receives
#     new connections; when the load goes away it is drained, removed and
#     its stop command stops the server.
source "$(dirname "$0")/lib.sh"
topo_up xel || { not_ok "topology"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
AG=/tmp/xlb-e2e-$P-agent
SB_PIDS=/tmp/xlb-e2e-$P-standby.pids
CLEAN_FILES+=("$CFG" "$AG-b1" "$AG-b2" "$AG-b3" "$SB_PIDS")
# The standby's server, started by xdp-lb, is not ours to track by $!.
stop_standby() { [ -f "$SB_PIDS" ] && kill $(cat "$SB_PIDS") 2>/dev/null; rm -f "$SB_PIDS"; }
trap 'stop_standby; topo_down' EXIT

report() { echo "$2" >"$AG-$1"; } # report b1 "100%"
declare -A AG_PID
agent_start() {
	ip netns exec "$P-$1" python3 "$E2E_DIR/agent.py" 9999 "$AG-$1" >/dev/null 2>&1 &
	AG_PID[$1]=$!
	PIDS+=($!)
	wait_for 50 in_ns "$P-$1" python3 -c "import socket; socket.create_connection(('127.0.0.1', 9999), 1)"
}
be_field() { status_get "[b['$2'] for b in s['services'][0]['backends'] if b['addr']=='$1'][0]"; }
# wait_status SECONDS EXPR VALUE: poll status until EXPR is VALUE, with a
# deadline.
wait_status() { wait_until "$1" status_is "$2" "$3"; }

for h in b1 b2 b3; do
	report $h "up 10%"
	backend_start $h || { not_ok "back end $h starts"; exit 1; }
	agent_start $h || { not_ok "agent on $h starts"; exit 1; }
done

# ---- 1. the share follows the reported load ----
cat >"$CFG" <<YAML
sweep_interval: 1
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    agent: { port: 9999, interval_ms: 200 }
    load: { interval_ms: 300 }
    backends:
      - addr: 198.18.0.11
      - addr: 198.18.0.12
      - addr: 198.18.0.13
YAML
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
check "agents' loads show in status" \
	wait_status 10 "[b['load'] for b in s['services'][0]['backends']]" "[10, 10, 10]"
report b1 "100%"
# 100% against a mean of 40%: one cut to 40% of its weight, where a load
# that follows the share would meet the mean; it must not compound while
# the report stays the same (docs/config.md, load).
check "b1 reporting 100% is cut to 40% of its weight" \
	wait_status 15 "s['services'][0]['backends'][0]['load_factor']" "40.0"
sleep 1.5 # five load evaluations (interval_ms 300) with the same report
f=$(be_field 198.18.0.11 load_factor)
cuts=$(grep -c "back end 198.18.0.11 load 100%: share" "$LB_LOG")
check "five evaluations later the cut has not compounded: factor $f%, $cuts cut logged" \
	[ "$f" = "40.0" -a "$cuts" = 1 ]
diag "b1: $(xlb status --json | python3 -c 'import json,sys; b=json.load(sys.stdin)["services"][0]["backends"][0]; print("load", b["load"], "effective weight", b["effective_weight"], "share", b["share"])')"
T=$(count $VIP4 1000)
S1=$(share "$T" b1) S2=$(share "$T" b2) S3=$(share "$T" b3)
diag "1000 connections: $T (b1 $S1%, b2 $S2%, b3 $S3%)"
check "b1 at 100% gets a clearly smaller share of 1000 connections ($S1% vs $S2%, $S3%)" \
	python3 -c "import sys; a,b,c=$S1,$S2,$S3; sys.exit(not (a < 0.6*b and a < 0.6*c and a+b+c > 99))"
check "no connection failed ($T)" python3 -c "import json,sys; sys.exit(json.loads('$T')['errors'] != 0)"
report b1 "up 10%"
check "b1's share comes back when its load falls" \
	wait_status 20 "s['services'][0]['backends'][0]['load_factor']" "100.0"
report b2 "drain"
check "agent 'drain' takes b2 out of new connections" \
	wait_status 10 "s['services'][0]['backends'][1]['state']" "draining"
T=$(count $VIP4 100)
check "no new connection to b2 while its agent says drain ($T)" [ "$(share "$T" b2)" = "0.0" ]
report b2 "ready 10%"
check "agent 'ready' brings b2 back" \
	wait_status 10 "s['services'][0]['backends'][1]['state']" "active"
report b3 "down#disk full"
check "agent 'down' marks b3 down" \
	wait_status 10 "s['services'][0]['backends'][2]['state']" "down"
T=$(count $VIP4 100)
check "no new connection to b3 while its agent says down ($T)" [ "$(share "$T" b3)" = "0.0" ]
report b3 "up 10%"
check "agent 'up' brings b3 back" \
	wait_status 10 "s['services'][0]['backends'][2]['state']" "active"
lb_stop
run lb_ns "$BIN" detach "$P-lb0" >/dev/null
backend_kill b3
kill "${AG_PID[b3]}"; wait "${AG_PID[b3]}" 2>/dev/null

# ---- 2. a standby back end started and stopped by the controller ----
cat >"$CFG" <<YAML
sweep_interval: 1
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    agent: { port: 9999, interval_ms: 200 }
    health: { type: tcp, interval_ms: 200, timeout_ms: 200, rise: 2, fall: 2 }
    load: { interval_ms: 300 }
    slow_start: 1
    backends:
      - addr: 198.18.0.11
      - addr: 198.18.0.12
    standby:
      - addr: 198.18.0.13
        start: >-
          ip netns exec $P-b3 python3 $E2E_DIR/backend.py b3 80 >/dev/null 2>&1 &
          echo \$! > $SB_PIDS;
          ip netns exec $P-b3 python3 $E2E_DIR/agent.py 9999 $AG-b3 >/dev/null 2>&1 &
          echo \$! >> $SB_PIDS; echo standby b3 started
        stop: kill \$(cat $SB_PIDS) && rm -f $SB_PIDS && echo standby b3 stopped
    scale: { high: 80, low: 30, for: 1, command_timeout: 10, ready_timeout: 20, drain_timeout: 20 }
YAML
report b3 "up 50%"
lb_start "$CFG" || { not_ok "controller starts with a standby"; exit 1; }
check "the standby starts off, with no server" \
	[ "$(status_get "s['services'][0]['scale']['standby'][0]['state']")" = "off" ] && ! [ -f "$SB_PIDS" ]
T=$(count $VIP4 100)
check "no connection to the standby while it is off ($T)" [ "$(share "$T" b3)" = "0.0" ]
report b1 "95%"
report b2 "90%"
check "all back ends overloaded: the standby is started and passes its probes" \
	wait_status 20 "s['services'][0]['scale']['standby'][0]['state']" "on"
check "its start command ran in its namespace (server pid $(head -1 "$SB_PIDS" 2>/dev/null))" \
	kill -0 "$(head -1 "$SB_PIDS" 2>/dev/null)"
check "the controller logged the start command's output" grep -q "standby 198.18.0.13 start: standby b3 started" "$LB_LOG"
# slow start (1 s): wait until its ramp is complete
wait_status 10 "[b['slow_start'] for b in s['services'][0]['backends'] if b['addr']=='198.18.0.13'][0]" "100.0" ||
	diag "b3's slow start did not complete within 10 s"
T=$(count $VIP4 300)
diag "300 connections with the standby on: $T"
check "the standby receives new connections ($T)" \
	python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t.get('b3',0) >= 30 and t['errors']==0))"
report b1 "10%"
report b2 "10%"
report b3 "10%"
check "load gone: the standby is drained, removed and stopped" \
	wait_status 30 "s['services'][0]['scale']['standby'][0]['state']" "off"
check "its stop command stopped the server" \
	wait_for 30 sh -c "! [ -f $SB_PIDS ] && ! ip netns exec $P-b3 python3 -c \"import socket; socket.create_connection(('127.0.0.1', 80), 1)\""
check "it left the service" \
	[ "$(status_get "[b['addr'] for b in s['services'][0]['backends']]")" = "['198.18.0.11', '198.18.0.12']" ]
T=$(count $VIP4 100)
check "clients keep being served by b1, b2 ($T)" python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t['errors']==0 and t.get('b1',0)+t.get('b2',0)==100))"
check "every scaling step is logged" grep -q "standby 198.18.0.13 draining" "$LB_LOG"
grep "standby" "$LB_LOG" | sed 's/^/#   /'
echo "1..$TAP_N"
