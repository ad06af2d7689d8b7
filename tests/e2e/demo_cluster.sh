#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo-cluster: three xdp-lb nodes behind a BIRD router with ECMP and
# BFD (docs/cluster.md), in namespaces. Prints the spread of 1,000 new
# connections over the nodes and back ends, for a dsr service and for a
# tunnel-mode service whose back ends sit behind a routed hop, then kills
# the node that carries the most long-lived streams of both and shows that
# they survived.
# shellcheck source=tests/e2e/cluster.sh
. "$(dirname "$0")/cluster.sh"

say() { printf '\n== %s\n' "$*"; }

# show_spread N HOST SVC WEIGHTS: N new connections, per node and back end.
show_spread() {
	local sp i
	read -r -a sp < <(spread_stable "$1" "$2" "$3")
	for ((i = 1; i <= CL_NODES; i++)); do
		echo "node $i: ${sp[i - 1]} new flows"
	done
	echo "back ends (weights $4): ${sp[*]:CL_NODES}"
}

# show_streams OUT WHAT: the streams' report in words.
show_streams() {
	tail -1 "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(sys.argv[1] + ": %(streams)d streams, %(broken)d broken, %(lines)d lines echoed byte for byte, each by one back end; longest wait for an echo %(max_gap_ms)d ms" % r)' "$2"
}

say "bringing up: client, router (BIRD, ECMP, BFD), 3 nodes (BIRD + xdp-lb), 3 dsr back ends, a routed hop and 2 tunnel back ends behind it"
t0=$(now_ms)
cluster_up || { echo "cluster did not come up" >&2; exit 1; }
echo "up in $(ms_since "$t0") ms; the router's routes to $CVIP4 (dsr) and $CVIP4T (tunnel):"
ip -n "$P-rt" route show "$CVIP4"
ip -n "$P-rt" route show "$CVIP4T"

say "xdp-lb status on node 1"
xlbn 1 status | sed -n '1,8p'

say "1000 new connections to $CVIP4:80 (dsr)"
show_spread 1000 "$CVIP4" 0 100/100/200

say "1000 new connections to $CVIP4T:80 (tunnel, through the hop)"
HCAP=$(mktemp /tmp/xlb-demo-hop.XXXXXX)
CLEAN_FILES+=("$HCAP")
hop_capture "$HCAP"
show_spread 1000 "$CVIP4T" "$SVC_T" 100/200
wait "$HOP_CAP_PID"
echo "a packet as the hop forwards it to a tunnel back end (outer TTL 63: routed):"
grep -A2 'proto IPIP' "$HCAP" | head -3

say "table fingerprints (equal on every node)"
for ((i = 1; i <= CL_NODES; i++)); do
	echo "node $i: web $(fingerprint "$i" 0)  web6 $(fingerprint "$i" 1)  tun $(fingerprint "$i" "$SVC_T")"
done

say "24 streams to $CVIP4 and 12 to $CVIP4T (a line every 100 ms each, echoed)"
SOUT=$(mktemp /tmp/xlb-demo-streams.XXXXXX)
TOUT=$(mktemp /tmp/xlb-demo-streams.XXXXXX)
CLEAN_FILES+=("$SOUT" "$TOUT")
streams_start 24 "$SOUT"
SPID=$STREAMS_PID
streams_start 12 "$TOUT" "$CVIP4T"
TPID=$STREAMS_PID
ready() { streams_ready "$SOUT" && streams_ready "$TOUT"; }
wait_until 20 ready || { echo "streams did not open" >&2; exit 1; }
wait_until 10 flows_total_is "24 12" 0 "$SVC_T"
K=$(busiest_node 0 "$SVC_T")
read -r kd kt < <(flows_of "$K" 0 "$SVC_T")
echo "node $K carries $kd dsr and $kt tunnel streams: its link goes down now"
t0=$(now_ms)
ip -n "$P-n$K" link set "$P-n${K}x" down
wait_until "$CONVERGE_S" nexthops_is "$CVIP4" $((CL_NODES - 1))
echo "the router dropped node $K after $(ms_since "$t0") ms (BFD); routes now:"
ip -n "$P-rt" route show "$CVIP4"
ip -n "$P-rt" route show "$CVIP4T"
wait_until "$CONVERGE_S" flows_elsewhere_at_least "$K" "24 12" 0 "$SVC_T"
sleep 1 # the moved streams go on for a while on their new nodes
streams_end "$SPID"
streams_end "$TPID"
say "the streams"
show_streams "$SOUT" "dsr"
show_streams "$TOUT" "tunnel"
