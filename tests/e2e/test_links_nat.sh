#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# nat's internal interface deleted and created again under a running
# controller (issue 12, defect 2, the controller's half): noticed (log,
# status), and when it is back the program is attached to it again and
# its tx_ports slot and size record are rewritten, so nat works again and
# upgrade finds the interface.
#
#   P-cl --br0(sw)-- P-lb0 [xdp-lb] P-lb1 --br0(sw1)-- P-b1, P-b2
source "$(dirname "$0")/lib.sh"
P=${XLB_E2E_TAG:-}xln2
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
NSS="sw sw1 cl lb b1 b2"
own_topo_begin || { not_ok "namespaces"; exit 1; }

nat_topology "b1 b2" || { not_ok "topology and back ends"; exit 1; }
cat >"$CFG" <<YAML
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    mode: nat
    backends:
      - addr: 198.18.2.11
      - addr: 198.18.2.12
YAML
lb_start "$CFG" --internal $P-lb1 || { not_ok "controller starts"; exit 1; }
balanced() {
	local t
	t=$(count $VIP4 40)
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and all(t.get(b,0)>5 for b in ("b1","b2"))))' "$t" ||
		{ diag "tally: $t"; return 1; }
}
check "nat balances before" balanced
mac=$(ip -n "$P-lb" -br link show "$P-lb1" | awk '{print $3}')

ip -n "$P-lb" link del "$P-lb1"
check "the controller notices within 5 s (status json: internal gone)" \
	wait_until 5 status_is "s['links']['internal']['state']" gone
check "the log says so in one line" \
	grep -q "internal interface '$P-lb1' is gone: nat replies from back ends are dropped" "$LB_LOG"
out=$(xlb status 2>&1)
check "status (human) warns: $(grep WARNING <<<"$out")" \
	grep -q "^WARNING: internal interface $P-lb1: gone" <<<"$out"

nat_int_link_up "$mac" || not_ok "internal interface back"
check "the controller re-attaches within 5 s (status json: up, back 1)" \
	wait_until 5 status_is "(s['links']['internal']['state'], s['links']['internal']['back'])" "('up', 1)"
check "the log says its nat port is restored" \
	grep -q "internal interface '$P-lb1' is back as ifindex [0-9]*: xdp-lb re-attached (native mode), its nat port restored" "$LB_LOG"
check "the new internal interface has the program" \
	bash -c "ip -n $P-lb link show $P-lb1 | grep -q 'prog/xdp'"
check "nat balances again (the tx_ports slot is back)" balanced
out=$(lb_ns "$BIN" upgrade "$P-lb0" 2>&1)
check "upgrade finds the new internal interface in the size record ($out)" \
	grep -q "replaced the xdp-lb program" <<<"$out"
check "nat balances after the upgrade" balanced
