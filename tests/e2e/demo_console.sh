#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The console during a demo-like run: the demo's topology, weights 2:1:1,
# probes, steady client traffic, one back end drained and one whose server
# stops; after a couple of minutes a screenshot of the page in headless
# Chromium: build/console.png (docs/console.png is one of these).
# Not a test. SECS=N sets how long the page records (default 100).
source "$(dirname "$0")/lib.sh"
topo_up xdc || { echo "demo_console: cannot build the topology" >&2; exit 1; }
backends_start || exit 1
CFG=/tmp/xlb-e2e-$P.yaml
TOK=/tmp/xlb-e2e-$P.token
CLEAN_FILES+=("$CFG" "$TOK")
echo "demo-$RANDOM$RANDOM" >"$TOK"
write_config "$CFG" 2 1 1
sed -i 's/^    proto: tcp$/    proto: tcp\n    health: { interval_ms: 500, timeout_ms: 300 }/' "$CFG"
cat >>"$CFG" <<YAML
sweep_interval: 1
http:
  listen: 127.0.0.1:9180
  token_file: $TOK
YAML
lb_start "$CFG" || exit 1
secs=${SECS:-100}
# steady traffic: batches of new connections on both families
(end=$((SECONDS + secs + 20)); while [ $SECONDS -lt $end ]; do
	count $VIP4 40 >/dev/null; count $VIP6 20 >/dev/null; sleep 0.3; done) &
PIDS+=($!)
ip netns exec "$P-lb" /usr/bin/python3 "$E2E_DIR/console.py" shot \
	http://127.0.0.1:9180/ "$ROOT/build/console.png" "$secs" &
shot=$!
PIDS+=($shot)
sleep $((secs / 3))
xlb backend drain web 198.18.0.13 >/dev/null
sleep $((secs / 3))
backend_kill b2
wait $shot
echo "demo_console: wrote $ROOT/build/console.png"
