#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ICMP echo to a VIP answered by the balancer (v4 and v6), source-IP
# persistence (every connection of the client on one back end, while a
# service without it spreads them), and the new-flow flood guard (over the
# rate, connections still work, forwarded by table without being pinned).
source "$(dirname "$0")/lib.sh"
topo_up xei || { not_ok "topology"; exit 1; }
backends_start || { not_ok "back ends start"; exit 1; }
CFG=/tmp/xlb-e2e-$P.yaml
CLEAN_FILES+=("$CFG")
write_config "$CFG" 1 1 1
python3 - "$CFG" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace("    proto: tcp\n", "    proto: tcp\n    persistence: src-ip/24\n", 1)
open(p, "w").write(s)
PY
lb_start "$CFG" || { not_ok "controller starts"; exit 1; }
outcome() { status_get "s['outcomes']['$1']"; }

check "ping $VIP4 from the client is answered" in_ns "$P-cl" ping -c 3 -i 0.2 -W 1 -q $VIP4
check "ping $VIP6 from the client is answered" in_ns "$P-cl" ping -6 -c 3 -i 0.2 -W 1 -q $VIP6
N=$(outcome tx_icmp_echo_reply)
check "the balancer answered them itself (tx_icmp_echo_reply $N >= 6)" [ "$N" -ge 6 ]
check "status shows the persistence" [ "$(status_get "s['services'][0]['persistence']")" = "src-ip/24" ]

T=$(count $VIP4 100)
diag "persistent service, 100 connections: $T"
check "src-ip persistence: 100 connections of one client on one back end ($T)" \
	python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t['errors']==0 and sorted(v for k,v in t.items() if k!='errors')==[100]))"
T6=$(count $VIP6 100)
diag "service without persistence, 100 connections: $T6"
check "without persistence the same client spreads over the back ends ($T6)" \
	python3 -c "import json,sys; t=json.loads('$T6'); sys.exit(not (t['errors']==0 and len([k for k in t if k!='errors'])==3))"
lb_stop
run lb_ns "$BIN" detach "$P-lb0" >/dev/null

# flood guard: 2 new flows a second per CPU, burst 2
python3 - "$CFG" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
open(p, "w").write("new_flow_rate: 2\nnew_flow_burst: 2\n" + s)
PY
lb_start "$CFG" || { not_ok "controller starts with the flood guard"; exit 1; }
check "status shows the guard" [ "$(status_get "s['flood_guard']['new_flow_rate']")" = "2" ]
t0=$(now_ms)
T=$(count $VIP6 60)
secs=$((($(now_ms) - t0 + 999) / 1000))
# per CPU: the burst, then the rate over the time the 60 took
MAXF=$(($(nproc) * (2 + 2 * secs)))
U=$(outcome tx_unpinned)
F=$(status_get "s['services'][1]['new_flows']")
diag "60 connections under the guard: $T, tx_unpinned $U, pinned new flows $F"
check "over the rate every connection still works ($T)" \
	python3 -c "import json,sys; t=json.loads('$T'); sys.exit(not (t['errors']==0 and sum(v for k,v in t.items() if k!='errors')==60))"
check "packets over the rate were forwarded unpinned (tx_unpinned $U > 0)" [ "$U" -gt 0 ]
check "only the guard's share of the 60 were pinned (0 < $F <= $MAXF: $(nproc) CPUs x (burst 2 + 2/s x $secs s), and < 60)" \
	test "$F" -gt 0 -a "$F" -le "$MAXF" -a "$F" -lt 60
echo "1..$TAP_N"
