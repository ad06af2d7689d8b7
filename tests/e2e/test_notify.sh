#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The controller under a service manager, without systemd: notify_listen.py
# plays systemd's side of NOTIFY_SOCKET. READY=1 comes once the program is
# attached and the whole config is in the maps (checked with the controller
# frozen at READY), with a STATUS= summary that follows changes; WATCHDOG=1
# comes from the loop every WATCHDOG_USEC/2; SIGTERM sends STOPPING=1.
# The controller runs in the unit's sandbox as unit_sandbox.sh builds it:
# read-only file systems but /sys/fs/bpf and /run/xdp-lb, a private /tmp,
# the unit's capability bounding set and no_new_privs.
source "$(dirname "$0")/lib.sh"
topo_up xsd || { not_ok "topology"; exit 1; }
# Not in /tmp: the controller's /tmp is private (systemd's socket is in
# /run too).
CFG=/run/xlb-e2e-$P.yaml
SOCK=/run/xlb-e2e-$P.notify
NLOG=/tmp/xlb-e2e-$P.notify.log
CLEAN_FILES+=("$CFG" "$SOCK" "$NLOG")
write_config "$CFG" 100 100 100
WD_US=2000000 # the watchdog systemd would ask for: pings every 1 s

# At READY=1 (controller stopped): attached, and both services and all
# six back ends written to the pinned maps.
ready_state() {
	local pins=/sys/fs/bpf/xdp-lb/$P-lb0
	ip -n "$P-lb" link show "$P-lb0" | grep -q 'prog/xdp id' || return 1
	python3 - "$pins" <<'PY'
import json, subprocess, sys
def dump(*where):
    out = subprocess.run(["bpftool", "-j", "map", "dump"] + list(where),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)
def pinned(m):
    return dump("pinned", sys.argv[1] + "/" + m)
def fmt(e, part):
    return e.get("formatted", {}).get(part, {})
# each VIP has its service's key and one for ICMP (proto 1): count the
# used slots of the VIP tables (vip_tab4/6 [0]: the inner table's id;
# its slots raw bytes: the proto is byte 6 of an IPv4 slot, byte 18 of an
# IPv6 one)
def tcp_vips(m, at):
    n = 0
    for outer in pinned(m):
        inner = int.from_bytes(bytes(int(b, 16) for b in outer["value"]),
                               "little")
        for e in dump("id", str(inner)):
            if int(e["value"][at], 16) == 6:
                n += 1
    return n
vips = tcp_vips("vip_tab4", 6) + tcp_vips("vip_tab6", 18)
active = sum(1 for e in pinned("backends")
             if fmt(e, "value").get("state") == 1)
print("# at READY=1: %d VIPs, %d active back ends in the maps" % (vips, active))
sys.exit(0 if vips == 2 and active == 6 else 1)
PY
}
export -f ready_state
export P
python3 "$E2E_DIR/notify_listen.py" "$SOCK" "$NLOG" --on-ready ready_state \
	--lifetime 100 &
PIDS+=($!)
wait_until 30 test -S "$SOCK" || { not_ok "notify listener up"; exit 1; }

# The unit's CapabilityBoundingSet=CAP_A CAP_B as setpriv's +a,+b.
UNIT=$ROOT/dist/xdp-lb@.service.in
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr 'A-Z' 'a-z' |
	sed 's/cap_/+/g; s/ /,/g')
SANDBOX=/tmp/xlb-e2e-$P.sandbox
CLEAN_FILES+=("$SANDBOX")
printf '#!/bin/sh\nexec %s %s %s "$@"\n' "$E2E_DIR/unit_sandbox.sh" "$caps" "$BIN" >"$SANDBOX"
chmod +x "$SANDBOX"

# lines FIELD: the notify log's lines carrying FIELD (e.g. WATCHDOG=1).
lines() { grep -F -- "$1" "$NLOG"; }
export NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=$WD_US
BIN=$SANDBOX lb_start "$CFG" || { not_ok "controller starts with the unit's capabilities ($caps)"; exit 1; }
unset NOTIFY_SOCKET WATCHDOG_USEC
bnd=$(awk '/^CapBnd:/ {print $2}' "/proc/$LB_PID/status")
# CAP_NET_ADMIN is bit 12, CAP_SYS_ADMIN bit 21
check "the controller runs with the unit's capabilities only ($caps: CapBnd $bnd)" \
	[ "$bnd" = 0000000000201000 ]
check "the sandbox holds: the controller's / is read-only" \
	bash -c '! nsenter -t "$1" -m touch /var/tmp/xlb-e2e-probe 2>/dev/null' _ "$LB_PID"
check "the sandbox holds: its /tmp is private" \
	bash -c '! nsenter -t "$1" -m test -e "$2"' _ "$LB_PID" "$NLOG"
wait_until 10 grep -q on_ready_check= "$NLOG"
ready=$(lines READY=1)
check "READY=1 sent once, by the controller ($LB_PID)" \
	[ "$(wc -l <<<"$ready")" -eq 1 -a "$(awk '{print $2}' <<<"$ready")" = "$LB_PID" ]
first_ready_ok() { grep -m1 " on_ready_check=" "$NLOG" | grep -q "=0$"; }
check "at (the first) READY=1 the program is attached and the config applied" \
	first_ready_ok
want="STATUS=$P-lb0: 2 services, 6 back ends (6 active, 0 down, 0 draining)"
check "READY=1 carries the summary ($ready)" grep -qF "$want" <<<"$ready"

# WATCHDOG=1: the first comes within WatchdogSec of the controller's
# resuming after the READY check (which froze it); the later ones at the
# period (WD_US/2) on average, and no gap reaches WatchdogSec (systemd
# would kill the controller).
pings_ge() { [ "$(lines WATCHDOG=1 | wc -l)" -ge "$1" ]; }
wait_until 20 pings_ge 8
first=$(lines WATCHDOG=1 | head -1 | awk '{print $1}')
resumed=$(grep -m1 " on_ready_check=" "$NLOG" | awk '{print $1}')
check "first WATCHDOG=1 within 2 s of READY=1 (controller resumed $resumed, ping $first)" \
	python3 -c 'import sys; a,b=map(float,sys.argv[1:]); sys.exit(not b-a < 2.0)' "$resumed" "$first"
gaps=$(lines WATCHDOG=1 | awk 'NR > 2 { printf "%.3f ", $1 - t } { t = $1 }')
check "watchdog pings: mean gap within [0.8, 1.5] s of a 1 s period, every gap < 2 s ($gaps)" \
	python3 -c 'import sys; g=[float(x) for x in sys.argv[1:]]; sys.exit(not (len(g) >= 6 and 0.8 <= sum(g)/len(g) <= 1.5 and max(g) < 2.0))' $gaps

# STATUS= follows the state: a drained back end shows within its 1 s check.
run xlb backend drain web 198.18.0.11
check "STATUS= updated after a drain" \
	wait_until 5 grep -qF "STATUS=$P-lb0: 2 services, 6 back ends (5 active, 0 down, 1 draining)" "$NLOG"

# The unit's ExecReload= as systemctl reload runs it (same sandbox), on a
# config without web6: the STATUS= line follows.
reload_cmd=$(sed -n 's/^ExecReload=//p' "$UNIT" |
	sed "s|@SBINDIR@/xdp-lb|$SANDBOX|; s|%I|$P-lb0|g")
sed -i '/name: web6/,$d' "$CFG"
out=$($reload_cmd 2>&1)
rc=$?
check "the unit's ExecReload ($reload_cmd) exits 0 ($out)" [ $rc -eq 0 ]
check "STATUS= follows the reload" \
	wait_until 5 grep -qF "STATUS=$P-lb0: 1 service, 3 back ends" "$NLOG"

pid=$LB_PID
kill -TERM "$pid"
wait "$pid"
rc=$?
LB_PID=
check "SIGTERM: the controller exits 0 ($rc)" [ "$rc" -eq 0 ]
check "SIGTERM: STOPPING=1 sent" grep -q "^[0-9.]* $pid STOPPING=1" "$NLOG"
check "no watchdog ping after STOPPING=1" \
	bash -c '! sed -n "/STOPPING=1/,\$p" "$1" | grep -q WATCHDOG=1' _ "$NLOG"

# Without NOTIFY_SOCKET nothing is sent (a plain foreground controller).
n0=$(wc -l <"$NLOG")
WATCHDOG_USEC=$WD_US lb_start "$CFG" || not_ok "controller restarts"
sleep 1.5 # one watchdog period and a half: a ping would have come
lb_stop
check "without NOTIFY_SOCKET: no message ($n0 -> $(wc -l <"$NLOG") lines)" \
	[ "$(wc -l <"$NLOG")" -eq "$n0" ]
diag "notify log:"
sed 's/^/#   /' "$NLOG"
