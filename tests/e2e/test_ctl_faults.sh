#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Faults from outside the controller (issue 12): attaches racing on one
# interface, running out of file descriptors under a flood of idle
# control connections, and hostile requests on the socket.
source "$(dirname "$0")/lib.sh"
topo_up xcf || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
R1=/tmp/xlb-e2e-$P-r1.log
R2=/tmp/xlb-e2e-$P-r2.log
CLEAN_FILES+=("$CFG" "$R1" "$R2")
PIN=/sys/fs/bpf/xdp-lb/$P-lb0
cat >"$CFG" <<YAML
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    health:
      type: tcp
      interval_ms: 200
      timeout_ms: 200
      fall: 2
    backends:
      - addr: 198.18.0.11
      - addr: 198.18.0.12
      - addr: 198.18.0.13
YAML

# ---- defect 1: two attaches at once, several tries ----
# The loser says one line and touches nothing: the winner's pins stay,
# upgrade works against them, and a restart re-adopts them.
race_once() {
	local try=$1 r1 r2 rc win lose_log
	nsenter --net="/run/netns/$P-lb" "$BIN" attach "$P-lb0" -c "$CFG" >"$R1" 2>&1 &
	r1=$!
	nsenter --net="/run/netns/$P-lb" "$BIN" attach "$P-lb0" -c "$CFG" >"$R2" 2>&1 &
	r2=$!
	wait -n "$r1" "$r2"
	rc=$?
	if kill -0 "$r1" 2>/dev/null; then win=$r1 lose_log=$R2; else win=$r2 lose_log=$R1; fi
	PIDS+=("$win")
	check "race $try: the loser exits 1 ($rc) with one line: $(head -2 "$lose_log")" \
		bash -c "[ $rc -eq 1 ] && [ \$(wc -l <$lose_log) -eq 1 ] && grep -q 'is running already' $lose_log"
	check "race $try: the winner's controller answers" wait_until 10 xlb status
	check "race $try: the pins are intact" \
		bash -c "[ -e $PIN/flows4 ] || ls $PIN | grep -q ."
	out=$(lb_ns "$BIN" upgrade "$P-lb0" 2>&1)
	check "race $try: upgrade works after the race ($out)" \
		grep -q "replaced the xdp-lb program" <<<"$out"
	kill -TERM "$win"
	wait "$win" 2>/dev/null
}
for try in 1 2 3 4; do
	race_once $try
done
ls "$PIN" >/dev/null 2>&1 && pins_before=$(ls "$PIN" | wc -l)
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
check "a restart after the races re-adopts the pinned maps" \
	grep -q "re-adopted" "$LB_LOG"

# ---- hostile requests ----
# sock_req JSON: one raw request on the control socket; prints the reply.
sock_req() {
	python3 - "/run/xdp-lb/$P-lb0.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().strip())
PY
}
rep=$(sock_req '{"cmd":"service_del","service":"web\u0000x"}')
check "a service name with a NUL byte is refused ($rep)" \
	bash -c "grep -q 'NUL byte' <<<'$rep' && $BIN -i $P-lb0 status | grep -q web"
rep=$(sock_req '{"cmd":"backend_add","service":"web","addr":"198.18.0.14","mac":"ff:ff:ff:ff:ff:ff"}')
check "a broadcast MAC over the socket is refused ($rep)" grep -q 'not a unicast MAC' <<<"$rep"
rep=$(sock_req '{"cmd":"backend_add","service":"web","addr":"198.18.0.14","mac":"-1:-1:-1:-1:-1:-1"}')
check "a MAC of signed numbers over the socket is refused ($rep)" grep -q 'not a MAC address' <<<"$rep"

# ---- defects 5 and 6: a reload that parses for seconds does not hold the
# loop: status, sent while the controller parses, answers first ----
cp "$CFG" "$CFG.good"
CLEAN_FILES+=("$CFG.good" "$CFG.rl")
python3 -c 'print("services: []\nbogus: [" + "1," * 1500000 + "1]")' >"$CFG"
( xlb reload >"$CFG.rl" 2>&1; echo "rc=$? at $(date +%s%N)" >>"$CFG.rl" ) &
rl=$!
sleep 0.2
xlb status >/dev/null
st_ns=$(date +%s%N)
wait "$rl"
rl_ns=$(sed -n 's/^rc=.* at //p' "$CFG.rl")
check "status sent during a 3 MB reload answers before the reload ($(((rl_ns - st_ns) / 1000000)) ms earlier)" \
	test "$st_ns" -lt "$rl_ns"
check "the reload is rejected in one line: $(head -1 "$CFG.rl")" \
	grep -q "bogus: unknown key" "$CFG.rl"
cp "$CFG.good" "$CFG"
check "a good reload after it works" xlb reload

# ---- defect 4: out of file descriptors ----
# The controller gets a descriptor limit just above what it uses; 150
# idle root connections then exhaust it. Expected: accept pauses (no
# busy loop: a handful of log lines, not millions), status still answers
# (the oldest silent connection makes room), and the back ends stay up
# although probes cannot open sockets for a while.
nfd=$(ls /proc/$LB_PID/fd | wc -l)
soft=$(prlimit --pid "$LB_PID" --nofile -o SOFT --noheadings)
prlimit --pid "$LB_PID" --nofile=$((nfd + 8)):
lines_before=$(wc -l <"$LB_LOG")
python3 - "/run/xdp-lb/$P-lb0.sock" 150 3 >/dev/null 2>&1 <<'PY' &
import socket, sys, time
held = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except (BlockingIOError, OSError):
        pass
    held.append(s)
time.sleep(float(sys.argv[3]))
PY
flood=$!
PIDS+=("$flood")
sleep 1
out=$(xlb status 2>&1)
rc=$?
check "status answers during the flood (rc $rc)" test $rc -eq 0
wait "$flood"
prlimit --pid "$LB_PID" --nofile="$soft":
check "status answers after the flood" wait_until 10 xlb status
spam=$(($(wc -l <"$LB_LOG") - lines_before))
diag "log lines during the flood: $spam:"
tail -n "$spam" "$LB_LOG" | head -5 | sed 's/^/#   /'
check "no accept busy loop: $spam log lines (at most 20)" test "$spam" -le 20
check "every back end stayed up (local probe failures not counted)" \
	status_is "[b['health'] for b in s['services'][0]['backends']]" "['up', 'up', 'up']"
check "the controller still runs" kill -0 "$LB_PID"
