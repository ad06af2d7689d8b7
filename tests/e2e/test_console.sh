#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The web console in a real browser (headless Chromium in the balancer's
# namespace, driven by tests/e2e/console.py over the DevTools protocol):
# it shows every back end; a back end whose server is killed shows down
# within a few seconds without a reload; a drain from the page needs the
# token and then changes the state in `xdp-lb status`. Screenshot:
# build/console-e2e.png.
source "$(dirname "$0")/lib.sh"
topo_up xco || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
TOK=/tmp/xlb-e2e-$P.token
CLEAN_FILES+=("$CFG" "$TOK")
echo "console-$RANDOM$RANDOM" >"$TOK"
write_config "$CFG" 1 1 1
# probes every 200 ms, down after 2 failures: down in ~0.4 s, shown at the
# page's next refresh (1.5 s)
sed -i 's/^    proto: tcp$/    proto: tcp\n    health: { interval_ms: 200, timeout_ms: 200, fall: 2 }/' "$CFG"
cat >>"$CFG" <<YAML
http:
  listen: 127.0.0.1:9180
  token_file: $TOK
YAML
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
t=$(count $VIP4 30)
diag "traffic: $t"
wait_until 10 status_is "s['services'][0]['backends'][2]['health']" up
mkdir -p "$ROOT/build"
# Chromium runs in the balancer's namespace (the listener is on its
# loopback); console.py bounds its own time and kills Chromium on exit
# (also on SIGTERM: the trap's kill of PIDS).
out=$(mktemp)
CLEAN_FILES+=("$out")
ip netns exec "$P-lb" /usr/bin/python3 "$E2E_DIR/console.py" \
	http://127.0.0.1:9180/ "$BIN -i $P-lb0 status --json" \
	"kill ${BE_PID[b1]}" 198.18.0.11 198.18.0.12 "$(cat "$TOK")" \
	"$ROOT/build/console-e2e.png" >"$out" 2>&1 &
PIDS+=($!)
wait $!
rc=$?
while read -r verdict desc; do
	case $verdict in
	PASS) ok "$desc" ;;
	FAIL) not_ok "$desc" ;;
	*) diag "$verdict $desc" ;;
	esac
done <"$out"
check "the browser session ended by itself (status $rc)" [ $rc -eq 0 ] || [ $rc -eq 1 ]
echo "1..$TAP_N"
