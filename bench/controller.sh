#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Controller figures (printed, never pass/fail):
#  1. flow sweep time at 0, 10^5 and 10^6 pinned flows (batched walk of
#     the pinned flow table, as `status` runs it), and at 10^6 the longest
#     step of the timer's stepped sweep (what the event loop waits);
#  2. controller CPU while probing 500 back ends every second, against
#     the same controller with the same 500 back ends and no probes;
#  3. resident memory of the controller and size of the maps.
# Runs in namespaces with the prefix xbc; cleans up after itself.
source "$(dirname "$0")/../tests/e2e/lib.sh"
FILL=$ROOT/build/fill_flows
[ -x "$FILL" ] || { echo "bench: $FILL missing (make build/fill_flows)" >&2; exit 1; }
ROUNDS=${ROUNDS:-3}
SECTIONS=${SECTIONS:-"1 4 2"} # 1 includes 3 (memory)
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
topo_up xbc || { echo "bench: topology failed" >&2; exit 1; }
backends_start || { echo "bench: back ends failed" >&2; exit 1; }
CFG=/tmp/xlb-bench-$P.yaml
CLEAN_FILES+=("$CFG")
median() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%s (min %s, max %s)", m, a[1], a[NR]}'; }

if want 1; then
echo "== 1. flow sweep (flows4 and flows6 through their mmaps), $ROUNDS rounds"
cat >"$CFG" <<YAML
max_flows: 2097152
sweep_interval: 1
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    backends:
      - addr: 198.18.0.11
YAML
lb_start "$CFG" || exit 1
sweep_us() { # one full sweep: status --fresh sweeps whatever the size
	xlb status --json --fresh | python3 -c 'import json,sys; print(json.load(sys.stdin)["sweep_last_us"])'
}
printf "%-12s %s\n" "flows" "sweep time, us: median (min, max)"
for n in 0 100000 1000000; do
	[ "$n" -gt 0 ] && "$FILL" "/sys/fs/bpf/xdp-lb/$P-lb0" "$n" 0 >/dev/null
	for ((r = 0; r < ROUNDS; r++)); do sweep_us; done | median | xargs -0 printf "%-12s %s\n" "$n"
done
live=$(status_get "s['services'][0]['flows']")
echo "(live flows counted by the last sweep: $live)"
sleep 3
echo "timer sweep in steps at 10^6 flows: longest step (the loop's stall) $(status_get "s['sweep_step_max_us']") us, whole round $(status_get "s['sweep_round_us']") us"
for ((r = 0; r < ROUNDS; r++)); do
	t0=$(date +%s%N)
	xlb status --json >/dev/null
	echo $((($(date +%s%N) - t0) / 1000))
done | median | xargs -0 printf "status without --fresh at 10^6 flows (answers from the timer's last round), us: %s\n"
rss=$(awk '/VmRSS/ {print $2, $3}' /proc/$LB_PID/status)
echo
echo "== 3. memory at max_flows=2097152 (per family), defaults otherwise"
echo "controller resident memory: $rss"
for m in /sys/fs/bpf/xdp-lb/$P-lb0/*; do
	bpftool map show pinned "$m" 2>/dev/null | awk -v n="$(basename "$m")" '/memlock/ {for (i=1;i<=NF;i++) if ($i=="memlock") printf "  %-14s %10.1f MiB\n", n, $(i+1)/1048576}'
done
lb_stop
lb_ns "$BIN" detach "$P-lb0" >/dev/null
fi

if want 4; then
echo
echo "== 4. nat mode: every flow with a source port and a reply mapping, $ROUNDS rounds"
# A second interface for --internal: a veth pair inside the balancer
# namespace (no traffic; the mappings are written by fill_flows).
ip -n "$P-lb" link add "$P-lbi" type veth peer name "$P-lbj" &&
	ip -n "$P-lb" addr add 198.18.7.1/24 dev "$P-lbi" &&
	ip -n "$P-lb" link set "$P-lbi" up && ip -n "$P-lb" link set "$P-lbj" up ||
	{ echo "bench: internal veth failed" >&2; exit 1; }
cat >"$CFG" <<YAML
max_flows: 2097152
sweep_interval: 1
nat_scan_interval: 2
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    mode: nat
    backends:
      - addr: 198.18.7.11
        mac: "02:00:00:00:07:11"
YAML
lb_start "$CFG" --internal "$P-lbi" || exit 1
status_ms() { # wall time of one `status --json` (it runs a full sweep)
	local t0 t1
	t0=$(date +%s%N)
	xlb status --json --fresh >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
printf "%-10s %-26s %-28s %-28s %s\n" "mappings" "status, ms" "sweep_last_us" "nat scan, us" "longest step, us"
for n in 0 100000 1000000; do
	[ "$n" -gt 0 ] && "$FILL" "/sys/fs/bpf/xdp-lb/$P-lb0" "$n" 0 nat >/dev/null
	sleep 5 # a whole orphan scan (every 2 s) over the new mappings
	for ((r = 0; r < ROUNDS; r++)); do
		echo "$(status_ms) $(status_get "s['sweep_last_us']") $(status_get "s['nat']['scan_us']") $(status_get "s['sweep_step_max_us']")"
		sleep 2
	done >"$CFG.nat"
	printf "%-10s %-26s %-28s %-28s %s\n" "$n" "$(awk '{print $1}' "$CFG.nat" | median)" \
		"$(awk '{print $2}' "$CFG.nat" | median)" "$(awk '{print $3}' "$CFG.nat" | median)" \
		"$(awk '{print $4}' "$CFG.nat" | median)"
done
echo "mappings in status: $(status_get "s['nat']['mappings']") (all owned: orphans deleted $(status_get "s['nat']['orphans']"))"
lb_stop
lb_ns "$BIN" detach "$P-lb0" >/dev/null
rm -f "$CFG.nat"
ip -n "$P-lb" link del "$P-lbi"
fi

want 2 || exit 0
echo
echo "== 2. probing 500 back ends every second (tcp connect; agent-check), 20 s each"
b1mac=$(ip -n "$P-b1" -j link show "$P-b10" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
for i in $(seq 0 499); do
	echo "address add 198.18.$((2 + i / 250)).$((1 + i % 250))/32 dev $P-b10"
done | ip -n "$P-b1" -batch -
ip -n "$P-lb" route add 198.18.2.0/23 dev "$P-lb0"
gen_cfg() { # no|tcp|agent
	python3 - "$1" "$b1mac" <<'PY' >"$CFG"
import sys
health, mac = sys.argv[1], sys.argv[2]
print("services:\n  - name: many\n    vip: 198.18.0.100\n    port: 80\n    proto: tcp")
if health == "tcp":
    print("    health:\n      type: tcp\n      interval_ms: 1000\n      timeout_ms: 500\n      rise: 2\n      fall: 3")
if health == "agent":
    print("    agent: { port: 9999, interval_ms: 1000, timeout_ms: 500 }\n    load: {}")
print("    backends:")
for i in range(500):
    print(f"      - addr: 198.18.{2 + i // 250}.{1 + i % 250}\n        mac: \"{mac}\"")
PY
}
cpu_ms() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tck=$(getconf CLK_TCK)
echo "45%" >"$CFG.agent"
ip netns exec "$P-b1" python3 "$ROOT/tests/e2e/agent.py" 9999 "$CFG.agent" >/dev/null 2>&1 &
PIDS+=($!)
CLEAN_FILES+=("$CFG.agent")
for mode in no tcp agent no tcp agent; do
	gen_cfg $mode
	lb_start "$CFG" || exit 1
	sleep 2
	c0=$(cpu_ms "$LB_PID")
	sleep 20
	c1=$(cpu_ms "$LB_PID")
	up=$(status_get "sum(1 for b in s['services'][0]['backends'] if b['health']=='up' or b['load']==45)")
	ms=$(((c1 - c0) * 1000 / tck))
	printf "probes %-5s: %5d ms CPU in 20 s = %5.1f ms/s (%s back ends up / reporting)\n" "$mode" "$ms" "$(echo "$ms / 20" | bc -l)" "$up"
	lb_stop
	lb_ns "$BIN" detach "$P-lb0" >/dev/null
done
