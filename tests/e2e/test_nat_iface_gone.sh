#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# nat: the internal interface deleted under a running controller (issue
# 12, defect 2, the data path's half). Its tx_ports slot empties; packets
# the program would redirect there are dropped and counted as
# drop_nat_no_iface, where bpf_redirect_map gave XDP_ABORTED (counted as
# redirect_nat) before. The counters are read from the pinned map, as
# `xdp-lb status` reads them.
#
#   xgo-cl 198.18.0.1 --br0-- xgo-lb0 198.18.0.2
#   xgo-lb1 198.18.2.1 --br0(sw1)-- xgo-b1 198.18.2.11
source "$(dirname "$0")/lib.sh"
P=${XLB_E2E_TAG:-}xgo
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
NSS="sw sw1 cl lb b1"
own_topo_begin || { not_ok "namespaces"; exit 1; }

nat_topology b1 || { not_ok "topology and back end"; exit 1; }
cat >"$CFG" <<YAML
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    mode: nat
    backends:
      - addr: 198.18.2.11
YAML
lb_start "$CFG" --internal $P-lb1 || { not_ok "controller starts"; exit 1; }

# reason N's packets, summed over the CPUs, from the pinned counters
reason() {
	bpftool -j map lookup pinned "/sys/fs/bpf/xdp-lb/$P-lb0/stats_reason" \
		key $1 0 0 0 | python3 -c 'import json,sys
v=json.load(sys.stdin)
v=v.get("formatted", v)
print(sum(c["value"]["packets"] for c in v["values"]))'
}
NAT=12	 # XLB_REDIRECT_NAT
GONE=17	 # XLB_DROP_NAT_NO_IFACE

T=$(count $VIP4 20)
check "20 connections through nat ($T)" \
	python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t['errors']==0 and t.get('b1',0)==20))"
n0=$(reason $NAT)
run ip -n $P-lb link del $P-lb1
# a few connection attempts: SYNs (and their retransmissions) to nat
in_ns $P-cl python3 -c "
import socket
for i in range(4):
    s = socket.socket(); s.settimeout(0.5)
    try: s.connect(('$VIP4', 80))
    except OSError: pass
    s.close()"
n1=$(reason $NAT)
g=$(reason $GONE)
diag "redirect_nat $n0 -> $n1, drop_nat_no_iface $g"
check "packets toward the deleted interface: dropped and counted (drop_nat_no_iface $g >= 4)" \
	[ "$g" -ge 4 ]
check "none counted as redirected (redirect_nat $n0 -> $n1)" [ "$n1" = "$n0" ]
echo "1..$TAP_N"
