#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The HTTP listener's cost to the controller at 500 back ends (printed,
# never pass/fail): controller CPU with nobody asking (the baseline), with
# the console open in headless Chromium (it reads /api/v1/status and
# /api/v1/events every 1.5 s), and per /metrics scrape and per
# /api/v1/status request (back to back with curl). Scenarios rotate within
# each round; figures are medians over ROUNDS (default 3) of SECS (20) s.
# Runs in namespaces with the prefix xbh; cleans up after itself.
source "$(dirname "$0")/../tests/e2e/lib.sh"
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-20}
N=${N:-200} # requests per scrape round
topo_up xbh || { echo "bench: topology failed" >&2; exit 1; }
backends_start || { echo "bench: back ends failed" >&2; exit 1; }
CFG=/tmp/xlb-bench-$P.yaml
OUT=$ROOT/build/bench
mkdir -p "$OUT"
CLEAN_FILES+=("$CFG" "$CFG.r" "$CFG.page" "$CFG.t")
b1mac=$(ip -n "$P-b1" -j link show "$P-b10" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
python3 - "$b1mac" >"$CFG" <<'PY'
import sys
print("http:\n  listen: 127.0.0.1:9180\nsweep_interval: 1")
print("services:\n  - name: many\n    vip: 198.18.0.100\n    port: 80\n    proto: tcp\n    backends:")
for i in range(500):
    print(f"      - addr: 198.18.{2 + i // 250}.{1 + i % 250}\n        mac: \"{sys.argv[1]}\"")
PY
lb_start "$CFG" || exit 1
URL=http://127.0.0.1:9180
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$LB_PID/stat"; }
median() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%s (min %s, max %s)", m, a[1], a[NR]}'; }
size=$(ip netns exec "$P-lb" curl -s "$URL/metrics" | wc -c)
lines=$(ip netns exec "$P-lb" curl -s "$URL/metrics" | grep -vc '^#')
ssize=$(ip netns exec "$P-lb" curl -s "$URL/api/v1/status" | wc -c)
echo "500 back ends: /metrics $size bytes ($lines samples), /api/v1/status $ssize bytes"
# idle|page: controller CPU ms/s over SECS (page: and how often the
# console read /api/v1/status in SECS + 4 s)
rate() {
	local c0 c1 pid= polls=
	if [ "$1" = page ]; then
		ip netns exec "$P-lb" /usr/bin/python3 "$ROOT/tests/e2e/console.py" shot \
			"$URL/" - $((SECS + 4)) >"$CFG.page" 2>&1 &
		pid=$!
		PIDS+=($pid)
		sleep 4 # Chromium starts, the page loads
	fi
	c0=$(cpu)
	sleep "$SECS"
	c1=$(cpu)
	[ -n "$pid" ] && wait $pid && polls=$(awk '/^polls/ {print $7, $10}' "$CFG.page")
	echo "$(((c1 - c0) * 1000 / tck)) $SECS $polls" | awk '{printf "%.2f %s %s\n", $1 / $2, $3, $4}'
}
# PATH: controller CPU ms per request, N back to back; and the median
# time curl saw from its request to the last byte
per_req() {
	local c0 c1
	c0=$(cpu)
	ip netns exec "$P-lb" bash -c "for i in \$(seq $N); do curl -s -o /dev/null -w '%{time_total}\n' $URL$1 || exit 1; done" >"$CFG.t"
	c1=$(cpu)
	echo "$(((c1 - c0) * 1000 / tck)) $N $(sort -n "$CFG.t" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] * 1000}')" |
		awk '{printf "%.3f %.2f\n", $1 / $2, $3}'
}
: >"$CFG.r"
for ((r = 0; r < ROUNDS; r++)); do
	echo "idle $(rate idle)" >>"$CFG.r"
	echo "page $(rate page)" >>"$CFG.r"
	echo "metrics $(per_req /metrics)" >>"$CFG.r"
	echo "status $(per_req /api/v1/status)" >>"$CFG.r"
done
idle=$(awk '$1 == "idle" {print $2}' "$CFG.r" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
page=$(awk '$1 == "page" {print $2}' "$CFG.r" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "controller CPU, ms per s: idle $(awk '$1 == "idle" {print $2}' "$CFG.r" | median)"
echo "controller CPU, ms per s: console open $(awk '$1 == "page" {print $2}' "$CFG.r" | median)"
echo "  console open / idle: $(echo "$page $idle" | awk '{printf "%.1fx (+%.2f ms/s, %.2f%% of one core)", $1 / ($2 > 0 ? $2 : 0.01), $1 - $2, ($1 - $2) / 10}')"
echo "  the console read /api/v1/status and /api/v1/events every $(awk '$1 == "page" {print $3}' "$CFG.r" | median) s (1.5 s + its render); its last render took $(awk '$1 == "page" {print $4}' "$CFG.r" | median) ms"
echo "per /metrics scrape: controller CPU ms $(awk '$1 == "metrics" {print $2}' "$CFG.r" | median); request to last byte, ms $(awk '$1 == "metrics" {print $3}' "$CFG.r" | median)"
echo "per /api/v1/status: controller CPU ms $(awk '$1 == "status" {print $2}' "$CFG.r" | median); request to last byte, ms $(awk '$1 == "status" {print $3}' "$CFG.r" | median)"
echo "(idle includes the 250 ms tick and a sweep every second; per-request CPU includes the idle work of its duration)"
