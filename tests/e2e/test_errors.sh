#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Bad input gives one clear line and the right exit code (2 usage/config,
# 1 runtime), and never changes the running data path.
source "$(dirname "$0")/lib.sh"
topo_up xee || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
BAD=/tmp/xlb-e2e-$P-bad.yaml
ERR=/tmp/xlb-e2e-$P.err
CLEAN_FILES+=("$CFG" "$BAD" "$ERR")

# expect CODE PATTERN DESCRIPTION -- COMMAND...: exit code CODE, exactly one
# line on stderr, matching PATTERN.
expect() {
	local code=$1 pat=$2 d=$3 rc lines
	shift 4
	"$@" >/dev/null 2>"$ERR"
	rc=$?
	lines=$(wc -l <"$ERR")
	if [ $rc -eq "$code" ] && [ "$lines" -eq 1 ] && grep -qE -- "$pat" "$ERR"; then
		ok "$d: exit $rc, \"$(cat "$ERR")\""
	else
		not_ok "$d: exit $rc (want $code), $lines lines (want 1): $(head -3 "$ERR")"
	fi
}

# A fresh attach whose config cannot be applied leaves the interface bare.
cat >"$CFG" <<YAML
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    backends:
      - addr: 198.18.0.99
YAML
expect 1 "cannot resolve the MAC of back end 198.18.0.99" \
	"attach with an unreachable back end" -- lb_ns "$BIN" attach "$P-lb0" -c "$CFG"
check "failed fresh attach left no XDP program on $P-lb0" \
	bash -c "! ip -n $P-lb link show $P-lb0 | grep -q xdp"
check "failed fresh attach left no pins" [ ! -e "/sys/fs/bpf/xdp-lb/$P-lb0" ]

sed -i 's/198.18.0.99/198.18.0.11\n        weight: 70000/' "$CFG"
expect 2 "^xdp-lb: $CFG:8: services\[0\]\.backends\[0\]\.weight: 70000 is out of range" \
	"attach with a weight out of range" -- lb_ns "$BIN" attach "$P-lb0" -c "$CFG"
expect 2 "unknown interface 'nosuch0'" "attach to an unknown interface" -- \
	lb_ns "$BIN" attach nosuch0 -c /dev/null
expect 2 "cannot open" "attach with a missing file" -- \
	lb_ns "$BIN" attach "$P-lb0" -c /nonexistent.yaml
expect 2 "attach needs -c FILE" "attach without -c" -- lb_ns "$BIN" attach "$P-lb0"
expect 2 "--xdp-mode: 'turbo' is not native or skb" "attach with a bad mode" -- \
	lb_ns "$BIN" attach "$P-lb0" -c "$CFG" --xdp-mode turbo
expect 2 "unknown command 'frobnicate'" "an unknown command" -- "$BIN" frobnicate

write_config "$CFG" 1 1 1
# Another XDP program on the interface: refused with one line, left alone.
ip -n "$P-lb" link set dev "$P-lb0" xdpdrv obj "$ROOT/build/xdp_pass.bpf.o" sec xdp
expect 1 "'$P-lb0' already has an XDP program \(id [0-9]+, name 'xdp_pass'\): detach it first" \
	"attach over another XDP program" -- lb_ns "$BIN" attach "$P-lb0" -c "$CFG"
check "the other program is still attached, no pins made" \
	bash -c "ip -n $P-lb link show $P-lb0 | grep -q 'prog/xdp' && [ ! -e /sys/fs/bpf/xdp-lb/$P-lb0 ]"
ip -n "$P-lb" link set dev "$P-lb0" xdpdrv off

# Two attaches at once on a bare interface: the controller lock (flock)
# lets exactly one through; the other fails at once with one line.
R1=/tmp/xlb-e2e-$P-r1.log
R2=/tmp/xlb-e2e-$P-r2.log
CLEAN_FILES+=("$R1" "$R2")
# Not through a shell function: $! must be the attach itself.
nsenter --net="/run/netns/$P-lb" "$BIN" attach "$P-lb0" -c "$CFG" >"$R1" 2>&1 &
r1=$!
nsenter --net="/run/netns/$P-lb" "$BIN" attach "$P-lb0" -c "$CFG" >"$R2" 2>&1 &
r2=$!
wait -n "$r1" "$r2"
rc=$?
if kill -0 "$r1" 2>/dev/null; then win=$r1 lose_log=$R2; else win=$r2 lose_log=$R1; fi
check "two racing attaches: one exits 1 ($rc) with one line: $(cat "$lose_log")" \
	bash -c "[ $rc -eq 1 ] && [ \$(wc -l <$lose_log) -eq 1 ] && grep -q 'is running already' $lose_log"
check "two racing attaches: the other runs the controller" wait_for 100 xlb status
kill -TERM "$win"
wait "$win"
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
# The configured state (names, back ends, weights, MACs), counters left out.
state_sig() {
	xlb status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(json.dumps([[x["name"],[(b["addr"],b["weight"],b["mac"]) for b in x["backends"]]] for x in s["services"]]))'
}
before=$(state_sig)
same_state() { [ "$(state_sig)" = "$before" ]; }

expect 1 "a controller for '$P-lb0' is running already" "a second attach on the same interface" -- \
	lb_ns "$BIN" attach "$P-lb0" -c "$CFG"
check "the second attach changed nothing: the first controller answers, same state" \
	bash -c "kill -0 $LB_PID && $BIN -i $P-lb0 status >/dev/null && [ -S /run/xdp-lb/$P-lb0.sock ]"
check "the same state after the second attach" same_state
# Attach holds the controller lock for its life: it is locked now, and
# two attaches racing on a fresh interface cannot both get it (flock).
check "the controller holds /run/xdp-lb/$P-lb0.lock" \
	bash -c "! flock -n /run/xdp-lb/$P-lb0.lock true"
expect 1 "a controller for '$P-lb0' is running" "detach while a controller runs" -- \
	lb_ns "$BIN" detach "$P-lb0"
expect 1 "no service 'nosuchsvc'" "backend add to an unknown service" -- \
	xlb backend add nosuchsvc 198.18.0.14
expect 2 "'198.18.0.300' is not an IPv4 or IPv6 address" "backend add with a bad address" -- \
	xlb backend add web 198.18.0.300
expect 2 "weight '70000' is not a number in 0..65535" "backend weight out of range" -- \
	xlb backend weight web 198.18.0.11 70000
expect 2 "not of the same family" "an IPv6 back end for an IPv4 service" -- \
	xlb backend add web fd00::14
expect 1 "has back end 198.18.0.11 already" "a duplicate back end" -- \
	xlb backend add web 198.18.0.11
expect 1 "cannot resolve the MAC of back end 198.18.0.99" "backend add of an unreachable address" -- \
	xlb backend add web 198.18.0.99
expect 2 "is not a MAC address" "backend add with a bad MAC" -- \
	xlb backend add web 198.18.0.14 --mac 02:00
expect 1 "service 'web' has no back end 198.18.0.14" "backend del of an unknown back end" -- \
	xlb backend del web 198.18.0.14
expect 2 "is not VIP:PORT/PROTO" "service add with a bad endpoint" -- \
	xlb service add api 198.18.0.100:80/sctp
expect 1 "service 'web' has 198.18.0.100:80/tcp already" "service add of an existing VIP" -- \
	xlb service add web2 198.18.0.100:80/tcp
expect 1 "no service 'nope'" "service del of an unknown service" -- xlb service del nope
expect 1 "no controller is running for 'nosuch0'" "a command for an interface without controller" -- \
	"$BIN" -i nosuch0 status
expect 1 "Permission denied \(run as root\)" "status without privilege" -- \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" -i "$P-lb0" status
json_err=$("$BIN" -i nosuch0 --json status 2>/dev/null)
check "--json errors are JSON ($json_err)" python3 -c 'import json,sys; assert "error" in json.loads(sys.argv[1])' "$json_err"

# check: validates a file without the kernel, as any user.
printf 'services:\n  - name: web\n    vip: %s\n    port: 80\n    proto: tcp\n    backends:\n      - addr: 198.18.0.11\n        weight: 70000\n' "$VIP4" >"$BAD"
chmod 644 "$BAD" "$CFG"
expect 2 "^$BAD:8: services\[0\]\.backends\[0\]\.weight: 70000 is out of range" \
	"check of a file with an error: FILE:LINE" -- "$BIN" check -c "$BAD"
expect 2 "needs -c FILE" "check without -c" -- "$BIN" check
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" check -c "$CFG" 2>&1)
rc=$?
check "check of a valid file, without root: exit $rc, \"$out\"" \
	test $rc -eq 0 -a "$out" = "$CFG: ok (2 services, 6 back ends)"
json_err=$("$BIN" --json check -c "$BAD" 2>/dev/null)
check "check --json: the error is JSON ($json_err)" \
	python3 -c 'import json,sys; assert ":8:" in json.loads(sys.argv[1])["error"]' "$json_err"
# check: every error of the file, one line each, in file order.
BAD3=$BAD.3
CLEAN_FILES+=("$BAD3")
printf 'services:\n  - name: web\n    vip: %s\n    port: 99999\n    proto: tcp\n    backends:\n      - addr: 198.18.0.11\n        weight: 70000\n      - addr: 198.18.0.300\n' "$VIP4" >"$BAD3"
out=$("$BIN" check -c "$BAD3" 2>&1)
rc=$?
want="$BAD3:4: services[0].port: 99999 is out of range 1..65535
$BAD3:8: services[0].backends[0].weight: 70000 is out of range 0..65535
$BAD3:9: services[0].backends[1].addr: '198.18.0.300' is not an IPv4 or IPv6 address"
check "check prints every error, one line each in file order, exit 2 (exit $rc: ${out//$'\n'/ | })" \
	test "$rc" -eq 2 -a "$out" = "$want"
json_err=$("$BIN" --json check -c "$BAD3" 2>/dev/null)
check "check --json: every error in 'errors', the first in 'error' ($json_err)" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["count"]==3 and len(d["errors"])==3 and d["error"]==d["errors"][0] and ":4:" in d["error"]' "$json_err"
check "check touched nothing: same state" same_state

# decap status IFACE --json, as documented (on a back end's interface).
nsenter --net="/run/netns/$P-b1" "$BIN" decap attach "$P-b10" >/dev/null
json=$(nsenter --net="/run/netns/$P-b1" "$BIN" decap status "$P-b10" --json)
check "decap status IFACE --json prints JSON ($json)" \
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["interface"]==sys.argv[2] and "decapsulated" in d' "$json" "$P-b10"
nsenter --net="/run/netns/$P-b1" "$BIN" decap detach "$P-b10" >/dev/null
json_err=$(nsenter --net="/run/netns/$P-b1" "$BIN" decap status "$P-b10" --json 2>/dev/null)
check "decap status --json without decap: the error is JSON ($json_err)" \
	python3 -c 'import json,sys; assert "error" in json.loads(sys.argv[1])' "$json_err"

# A broken file on reload: rejected, nothing changes, traffic still flows.
cp "$CFG" "$CFG.good"
CLEAN_FILES+=("$CFG.good")
printf 'services:\n  - name: web\n    vip: %s\n    port: 80\n    proto: tcp\n    backends:\n      - addr: 198.18.0.11\n        wieght: 5\n' "$VIP4" >"$CFG"
expect 2 "$CFG:8: services\[0\]\.backends\[0\]\.wieght: unknown key \(did you mean 'weight'\?\)" \
	"reload of a broken file" -- xlb reload
printf 'services: [\n' >"$CFG"
expect 2 "invalid YAML" "reload of invalid YAML" -- xlb reload
check "state unchanged after every rejected command" same_state
t=$(count $VIP4 90)
diag "after the rejected commands, 90 connections: $t"
check "traffic still balanced over b1..b3" python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and all(t.get(b,0)>10 for b in ("b1","b2","b3"))))' "$t"
