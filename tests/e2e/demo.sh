#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The demo: a client, xdp-lb and three back ends (real HTTP servers) on a
# bridge in network namespaces (prefix xd); real TCP through the balancer.
source "$(dirname "$0")/lib.sh"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
topo_up xd || { echo "demo: cannot build the topology" >&2; exit 1; }
say "topology: client 198.18.0.1 -> xdp-lb on xd-lb0 (198.18.0.2) -> back ends b1..b3 (198.18.0.11-13), VIPs $VIP4 and $VIP6"
backends_start || { echo "demo: back ends did not start" >&2; exit 1; }
CFG=/tmp/xlb-demo.yaml
CLEAN_FILES+=("$CFG")
write_config "$CFG" 2 1 1
say "config ($CFG): weights 2:1:1"
cat "$CFG"
say "xdp-lb attach xd-lb0 -c $CFG"
lb_start "$CFG" || { echo "demo: the controller did not start" >&2; exit 1; }
cat "$LB_LOG"

show() { python3 -c 'import json,sys; t=json.loads(sys.argv[1]); e=t.pop("errors",0); n=sum(t.values()); print("   ".join(f"{k}: {v} ({100*v/max(n,1):.0f}%)" for k,v in sorted(t.items())), f"  errors: {e}")' "$1"; }
say "300 new TCP connections (HTTP GET) to $VIP4:80"
show "$(count $VIP4 300)"
say "300 new TCP connections to [$VIP6]:80"
show "$(count $VIP6 300)"
say "xdp-lb status"
xlb status
say "xdp-lb backend weight web 198.18.0.11 0   (drain b1: no new connections, pinned ones stay)"
xlb backend weight web 198.18.0.11 0
say "300 new TCP connections to $VIP4:80"
show "$(count $VIP4 300)"
say "xdp-lb status --json (web)"
xlb status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(json.dumps(s["services"][0], indent=1))'
say "bpftool map dump pinned /sys/fs/bpf/xdp-lb/xd-lb0/backends (first entry)"
bpftool map dump pinned /sys/fs/bpf/xdp-lb/xd-lb0/backends 2>/dev/null | head -16
say "tearing down"
