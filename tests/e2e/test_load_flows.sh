#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Load feedback from the flow table alone (no agents): a back end holding
# many more live flows than its weight's share gets a clearly smaller share
# of new connections, and its share comes back once those flows end.
source "$(dirname "$0")/lib.sh"
topo_up xlf || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
IDLE=/tmp/xlb-e2e-$P-idle.txt
CLEAN_FILES+=("$CFG" "$IDLE")
write_cfg() { # W1 W2 W3
	cat >"$CFG" <<YAML
sweep_interval: 1
flow_timeouts: { tcp_fin: 1, tcp_rst: 1 }
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    load: { interval_ms: 300, min_flows: 5 }
    backends:
      - addr: 198.18.0.11
        weight: $1
      - addr: 198.18.0.12
        weight: $2
      - addr: 198.18.0.13
        weight: $3
YAML
}
factor() { status_get "[b['load_factor'] for b in s['services'][0]['backends']][$1]"; }
write_cfg 100 0 0
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
# 40 idle connections, all on b1 (the others have weight 0 for now)
# not through in_ns: $! must be the client itself, which the kill below
# ends (a shell function in the background is a subshell: killing it left
# the client holding its 40 flows until its 25 s were up)
ip netns exec "$P-cl" python3 "$E2E_DIR/client.py" idle $VIP4 80 25 40 >"$IDLE" 2>&1 &
IDLE_PID=$!
PIDS+=($IDLE_PID)
wait_for 50 test -s "$IDLE"
check "40 long-lived connections open on b1 ($(cat "$IDLE"))" \
	python3 -c "import json,sys; t=json.load(open('$IDLE')); sys.exit(not (t.get('b1',0)==40 and t['errors']==0))"
write_cfg 100 100 100
run xlb reload >/dev/null
check "weights equal again; b1 holds the live flows" \
	wait_for 50 bash -c "[ \"\$($BIN -i $P-lb0 status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"backends\"][0][\"flows\"])')\" -ge 40 ]"
wait_for 50 bash -c "[ \"\$($BIN -i $P-lb0 status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"backends\"][0][\"load_factor\"] < 100)')\" = True ]"
F=$(factor 0)
check "b1's load factor drops for its 40 live flows against 0 and 0 ($F%)" \
	python3 -c "import sys; sys.exit(not ($F < 50))"
# The table's share for b1 (status) is the cut: at most 20% where its
# weight alone gives 33.3%. The connections' share is a sample of it:
# within 5 sigma (lib.sh, sigma5).
SH1=$(status_get "round(s['services'][0]['backends'][0]['share'], 1)")
check "b1's share of the table is cut below its weight's 33% ($SH1%)" \
	python3 -c "import sys; sys.exit(not ($SH1 < 20))"
T=$(count $VIP4 500)
S1=$(share "$T" b1)
diag "500 new connections while b1 holds 40: $T (b1 $S1%)"
check "b1's share of 500 new connections follows the table's ($S1%, want $SH1% +-$(sigma5 "$SH1" 500))" \
	share_near "$S1" "$SH1" 500
check "no connection failed ($T)" python3 -c "import json,sys; sys.exit(json.loads('$T')['errors'] != 0)"
kill $IDLE_PID 2>/dev/null
wait $IDLE_PID 2>/dev/null
check "the long-lived flows end: b1's share comes back (factor 100%)" \
	wait_for 150 bash -c "[ \"\$($BIN -i $P-lb0 status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"backends\"][0][\"load_factor\"])')\" = 100.0 ]"
echo "1..$TAP_N"
