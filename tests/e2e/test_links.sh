#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The balancer's interface deleted and created again under a running
# controller (issue 12, defect 3): the controller notices (log, status
# human and json), keeps running, and when an interface of that name is
# back attaches the program to it again; the pinned flows carry on.
source "$(dirname "$0")/lib.sh"
topo_up xln || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
write_config "$CFG" 1 1 1
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
mac=$(ip -n "$P-lb" -br link show "$P-lb0" | awk '{print $3}')
link_is() { status_is "s['links']['external']['state']" "$1"; }
check "status shows the interface up" link_is up
t=$(count $VIP4 30)
check "traffic before: $t" python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(t["errors"] != 0)' "$t"
flows_id() { bpftool map show pinned "/sys/fs/bpf/xdp-lb/$P-lb0/flows4" | sed -n 's/^\([0-9]*\):.*/\1/p'; }
flows_before=$(flows_id)

# ---- the interface goes ----
ip -n "$P-lb" link del "$P-lb0"
check "the controller notices within 5 s (status json: gone)" wait_until 5 link_is gone
check "the log says so in one line" \
	grep -q "interface '$P-lb0' is gone: nothing is balanced; re-attaching when an interface of that name is back" "$LB_LOG"
out=$(xlb status 2>&1)
check "status (human) warns: $(grep WARNING <<<"$out")" \
	grep -q "^WARNING: interface $P-lb0: gone" <<<"$out"
check "the controller keeps running" kill -0 "$LB_PID"

# ---- an interface of that name comes back (same MAC: the client's ARP
# entry stays right) ----
ip link add "$P-lb0" address "$mac" type veth peer name "$P-lbp"
ip link set "$P-lb0" netns "$P-lb"
ip link set "$P-lbp" netns "$P-sw"
ip -n "$P-sw" link set "$P-lbp" master br0 up
ip -n "$P-sw" link set dev "$P-lbp" xdpdrv obj "$ROOT/build/xdp_pass.bpf.o" sec xdp
ip -n "$P-lb" addr add 198.18.0.2/24 dev "$P-lb0"
ip -n "$P-lb" addr add fd00::2/64 dev "$P-lb0" nodad
ip -n "$P-lb" link set "$P-lb0" up
check "the controller re-attaches within 5 s (status json: up, back 1)" \
	wait_until 5 status_is "(s['links']['external']['state'], s['links']['external']['back'])" "('up', 1)"
check "the log says it re-attached" grep -q "interface '$P-lb0' is back as ifindex [0-9]*: xdp-lb re-attached (native mode)" "$LB_LOG"
check "the new interface has the program" \
	bash -c "ip -n $P-lb link show $P-lb0 | grep -q 'prog/xdp'"
t=$(count $VIP4 60)
check "new connections are balanced again: $t" \
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); sys.exit(not (t["errors"]==0 and all(t.get(b,0)>5 for b in ("b1","b2","b3"))))' "$t"
check "the pinned flow table is the same map (id $flows_before)" \
	test -n "$flows_before" -a "$(flows_id)" = "$flows_before"
out=$(xlb status 2>&1)
check "status (human) notes it: $(grep 'note:' <<<"$out")" \
	grep -q "^note: interface $P-lb0: back as ifindex" <<<"$out"
