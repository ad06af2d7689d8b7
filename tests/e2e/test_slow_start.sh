#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Slow start from the first table: a back end added with `backend add`, or
# up again after failed probes, shows the ramp's start (5% of its weight)
# in the first status, and gets a share of the first connections that
# fits the ramp, not a full third. Load evaluations are 10 s apart, so a
# ramp that only began at an evaluation would show weight 100 here.
source "$(dirname "$0")/lib.sh"
topo_up xss || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
cat >"$CFG" <<YAML
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    health: { type: tcp, interval_ms: 200, timeout_ms: 200, rise: 2, fall: 2 }
    load: { interval_ms: 10000 }
    slow_start: 120
    backends:
      - { addr: 198.18.0.11, weight: 100 }
      - { addr: 198.18.0.12, weight: 100 }
YAML
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }

# ramp_check SINCE_MS: b3's (effective weight, share, ramp) from one
# status, and whether the ramp is at most where it may be SINCE_MS (the
# CLOCK_MONOTONIC ms it began; 0: status's health_since_mono_ms) later:
# 5% + 95% x elapsed / 120 s. A ramp that only began at a load
# evaluation reads 100 here.
ramp_check() {
	xlb status --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
b = [b for b in s["services"][0]["backends"] if b["addr"] == "198.18.0.13"][0]
since = int(sys.argv[1]) or b["health_since_mono_ms"]
el = (s["now_mono_ms"] - since) / 1000
top = 5 + 95 * el / 120 + 0.5
print("(%d, %.1f%%, %.1f%%) %.1f s after it began, ramp at most %.1f%%" %
      (b["effective_weight"], b["share"], b["slow_start"], el, top))
sys.exit(not (b["slow_start"] <= top and b["effective_weight"] <= top + 1))' "$1"
}
mono_ms() { python3 -c 'import time; print(int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1000))'; }

t0=$(mono_ms)
w0=$(now_ms)
run xlb backend add web 198.18.0.13 --weight 100
out=$(ramp_check "$t0")
check "first status after backend add: (effective weight, share, ramp) = $out" [ $? -eq 0 ]
# The first connections: ramp at their end = 5% + 95% x elapsed / 120 s
# of b3's weight; allow 5 sigma over that share (lib.sh, sigma5), and 2
# more. Without slow start b3 would get a third: 20.
T=$(count $VIP4 60)
el=$(($(now_ms) - w0))
bound=$(python3 -c 'import math,sys; n=60; t=int(sys.argv[1])/1000; w=5+95*min(t,120)/120; p=w/(200+w); print(int(n*p+5*math.sqrt(n*p*(1-p))+2))' "$el")
check "the first 60 connections ($el ms after the add): b3 got $(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("b3", 0))' "$T"), at most $bound ($T)" \
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"] == 0 and t.get("b3", 0) <= int(sys.argv[2])))' "$T" "$bound"

# Down after failed probes, then up again: the ramp starts over at once.
health() { status_is "[b['health'] for b in s['services'][0]['backends'] if b['addr']=='198.18.0.13'][0]" "$1"; }
backend_kill b3
check "b3 down after its server stopped" wait_until 10 health down
backend_start b3 || not_ok "b3 restarts"
check "b3 up again" wait_until 10 health up
out=$(ramp_check 0)
check "first status after it came up: (effective weight, share, ramp) = $out" [ $? -eq 0 ]
