#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The HTTP listener (config http): /metrics passes promtool and equals
# status --json; a scrape while 1,000 connections run; the JSON API; the
# action endpoint's token (401 without, 403 wrong, 200 right, and the drain
# shows in status and in the events); an address that cannot be bound is
# one line at reload and at attach, and nothing else changes.
source "$(dirname "$0")/lib.sh"
topo_up xht || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
TOK=/tmp/xlb-e2e-$P.token
M=/tmp/xlb-e2e-$P.metrics
S=/tmp/xlb-e2e-$P.status
CLEAN_FILES+=("$CFG" "$TOK" "$M" "$S")
echo "s3cret-$RANDOM$RANDOM" >"$TOK"
TOKEN=$(cat "$TOK")
URL=http://127.0.0.1:9180
# config LISTEN WEIGHT1: web over b1..b3 with tcp probes, and web6
config() {
	write_config "$CFG" "$2" 1 1
	cat >>"$CFG" <<YAML
sweep_interval: 1
http:
  listen: $1
  token_file: $TOK
YAML
	sed -i 's/^    proto: tcp$/    proto: tcp\n    health: { interval_ms: 200, timeout_ms: 200 }/' "$CFG"
}
hcurl() { in_ns "$P-lb" curl -s --max-time 5 "$@"; }
code() { hcurl -o /dev/null -w '%{http_code}' "$@"; }
config 127.0.0.1:9180 1
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
check "the log says where it listens" grep -q "http: listening on 127.0.0.1:9180" "$LB_LOG"

# --- metrics ---
t=$(count $VIP4 30)
diag "traffic: $t"
wait_until 10 status_is "s['services'][0]['backends'][0]['health']" up
hcurl "$URL/metrics" >"$M"
check "GET /metrics answers ($(wc -l <"$M") lines)" [ -s "$M" ]
out=$(promtool check metrics <"$M" 2>&1)
check "promtool check metrics is clean${out:+: $out}" [ -z "$out" ]
for name in xdp_lb_backend_state xdp_lb_event_loop_lag_seconds_bucket \
	xdp_lb_probe_duration_seconds_bucket xdp_lb_outcome_packets_total \
	xdp_lb_flow_table_capacity xdp_lb_sweep_duration_seconds xdp_lb_build_info \
	xdp_lb_service_table_rebuilds_total; do
	grep -q "^$name" "$M" || not_ok "metric $name is missing"
done
# The same moment: no traffic; status (which sweeps), the scrape (which
# uses that sweep's counts), status again: every value is the first
# status's, or between the two (probes and neighbour packets go on).
xlb status --json >"$S" && hcurl "$URL/metrics" >"$M" && xlb status --json >"$S.2"
CLEAN_FILES+=("$S.2")
check "metric values equal status --json: $(python3 "$E2E_DIR/metrics_check.py" "$M" "$S" "$S.2" | tail -1)" \
	python3 "$E2E_DIR/metrics_check.py" "$M" "$S" "$S.2"
hcurl "$URL/api/v1/status" >"$S.api"
CLEAN_FILES+=("$S.api")
check "/api/v1/status is the status object" \
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(not (a.keys()==b.keys() and [x["name"] for x in a["services"]]==[x["name"] for x in b["services"]]))' "$S" "$S.api"

# --- a scrape while 1,000 connections run (bounded: 120 s) ---
in_ns "$P-cl" python3 "$E2E_DIR/client.py" count $VIP4 80 1000 >"$S.load" 2>&1 &
load=$!
PIDS+=($load)
CLEAN_FILES+=("$S.load")
scrapes=0 bad=0 end=$((SECONDS + 120))
while kill -0 $load 2>/dev/null && [ $SECONDS -lt $end ]; do
	hcurl "$URL/metrics" >"$M" && out=$(promtool check metrics <"$M" 2>&1) &&
		[ -z "$out" ] || bad=$((bad + 1))
	scrapes=$((scrapes + 1))
	sleep 0.2
done
wait $load
check "1,000 connections ran during the scrapes: $(cat "$S.load")" \
	python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); sys.exit(not (t["errors"]==0 and sum(v for k,v in t.items() if k!="errors")==1000))' "$S.load"
check "$scrapes scrapes during them, every one clean ($bad bad)" [ $scrapes -gt 2 ] && [ $bad -eq 0 ]

# --- actions and their token ---
body='{"cmd":"backend_drain","service":"web","addr":"198.18.0.12"}'
c=$(code -X POST -H 'Content-Type: application/json' -d "$body" "$URL/api/v1/action")
check "an action without the token: 401 ($c)" [ "$c" = 401 ]
c=$(code -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer wrong" -d "$body" "$URL/api/v1/action")
check "an action with a wrong token: 403 ($c)" [ "$c" = 403 ]
check "refused actions changed nothing" status_is "s['services'][0]['backends'][1]['state']" active
c=$(code -X GET -H "Authorization: Bearer $TOKEN" "$URL/api/v1/action")
check "GET on the action endpoint: 405 ($c)" [ "$c" = 405 ]
c=$(code -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d "$body" "$URL/api/v1/action")
check "a drain with the token: 200 ($c)" [ "$c" = 200 ]
check "status shows 198.18.0.12 draining" status_is "s['services'][0]['backends'][1]['state']" draining
check "the drain is in /api/v1/events" \
	bash -c "ip netns exec $P-lb curl -s $URL/api/v1/events | grep -q '\"kind\":\"drain\",\"service\":\"web\",\"backend\":\"198.18.0.12\"'"
c=$(code -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
	-d '{"cmd":"backend_weight","service":"web","addr":"198.18.0.11","weight":7}' "$URL/api/v1/action")
check "a weight with the token: 200 ($c), status weight 7" \
	[ "$c" = 200 ] && status_is "s['services'][0]['backends'][0]['weight']" 7
c=$(code -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
	-d '{"cmd":"reload"}' "$URL/api/v1/action")
check "commands other than the back-end actions: 400 ($c)" [ "$c" = 400 ]

# --- an address that cannot be bound ---
in_ns "$P-lb" python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",9181)); s.listen(); time.sleep(120)' &
holder=$!
PIDS+=($holder)
wait_for 30 in_ns "$P-lb" python3 -c "import socket; socket.create_connection(('127.0.0.1', 9181), 1)"
config 127.0.0.1:9181 3
out=$(xlb reload 2>&1)
rc=$?
check "reload onto a bound port fails ($rc) with one line: $out" \
	[ $rc -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ $out == *"http.listen 127.0.0.1:9181: cannot listen: Address already in use"* ]]
check "... and nothing changed: weight 7 kept, still served on 9180" \
	status_is "s['services'][0]['backends'][0]['weight']" 7 && [ "$(code "$URL/metrics")" = 200 ]
config 127.0.0.1:9182 3
check "a reload onto a free port moves the listener" xlb reload
check "... served on 9182, not on 9180 any more" \
	[ "$(code "http://127.0.0.1:9182/metrics")" = 200 ] && [ "$(code "$URL/metrics")" = 000 ]
lb_stop
config 127.0.0.1:9181 1
out=$(lb_ns "$BIN" attach "$P-lb0" -c "$CFG" 2>&1)
rc=$?
check "attach with a bound port exits $rc with one line: $out" \
	[ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ $out == *"cannot listen: Address already in use"* ]]
kill $holder 2>/dev/null
echo "1..$TAP_N"
