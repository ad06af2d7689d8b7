#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# status over a big flow table answers from the timer's last stepped sweep
# instead of running a full sweep itself (which holds the event loop: about
# 0.3 s at 10^6 flows); over a small one it sweeps, so its counts are fresh.
source "$(dirname "$0")/lib.sh"
FILL=$ROOT/build/fill_flows
[ -x "$FILL" ] || { not_ok "build/fill_flows missing (make build/fill_flows)"; exit 1; }
topo_up xss || { not_ok "topology"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
cat >"$CFG" <<YAML
max_flows: 262144
sweep_interval: 1
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    backends:
      - addr: 198.18.0.11
        mac: "02:00:00:00:00:11"
YAML
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
j() { status_get "$1"; }
check "empty table: status counts 0 flows" [ "$(j "s['table_flows']")" = 0 ]
# 50,000 flows: below STATUS_SWEEP_MAX_FLOWS (65,536) whenever the timer
# counted them, so status sweeps itself and counts them all
run "$FILL" "/sys/fs/bpf/xdp-lb/$P-lb0" 50000 0 >/dev/null
F0=$(j "s['services'][0]['flows']")
T0=$(j "s['table_flows']")
check "over a small table (50,000 flows) status sweeps itself and counts them all ($F0 flows, $T0 in the table)" \
	test "$F0" = 50000 -a "$T0" = 50000
# the same keys and 50,000 more: 100,000
run "$FILL" "/sys/fs/bpf/xdp-lb/$P-lb0" 100000 0 >/dev/null
S1=$(j "s['sweep_last_us']")
sleep 2.5 # at least two timer rounds (sweep_interval 1)
out=$(j "'%d %d %d %d %d %d' % (s['services'][0]['flows'], s['table_flows'], s['sweep_last_us'], s['counts_age_ms'], s['sweep_round_us'], s['loop']['lag_max_ms'])")
read -r F2 T2 S2 AGE ROUND LAG <<<"$out"
# the counts are at most one interval + one stepped round + the loop's
# worst lag old, + 500 ms slack
AGE_MAX=$((1000 + ROUND / 1000 + LAG + 500))
diag "flows $F2, table_flows $T2, sweep_last_us $S1 -> $S2, counts_age_ms $AGE, round $ROUND us, loop lag max $LAG ms"
check "over 100,000 flows, status runs no full sweep of its own (sweep_last_us stays $S1)" \
	[ "$S2" = "$S1" ]
check "and reports the timer's round: 100,000 live flows, counted ${AGE} ms ago (at most $AGE_MAX: sweep_interval 1 s + round + loop lag + 500 ms)" \
	test "$F2" = 100000 -a "$AGE" -le "$AGE_MAX"
S3=$(xlb status --json --fresh | python3 -c 'import json,sys; print(json.load(sys.stdin)["sweep_last_us"])')
check "status --fresh sweeps now anyway (sweep_last_us $S1 -> $S3)" test -n "$S3" -a "$S3" != "$S1"
echo "1..$TAP_N"
