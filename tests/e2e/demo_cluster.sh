#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make demo-cluster: three xdp-lb nodes behind a BIRD router with ECMP and
# BFD (docs/cluster.md), in namespaces. Prints the spread of 1,000 new
# connections over the nodes and back ends, then kills the node that
# carries the most of 24 long-lived streams and shows that they survived.
# shellcheck source=tests/e2e/cluster.sh
. "$(dirname "$0")/cluster.sh"

say() { printf '\n== %s\n' "$*"; }

say "bringing up: client, router (BIRD, ECMP, BFD), 3 nodes (BIRD + xdp-lb), 3 back ends"
t0=$(now_ms)
cluster_up || { echo "cluster did not come up" >&2; exit 1; }
echo "up in $(ms_since "$t0") ms; the router's route to $CVIP4:"
ip -n "$P-rt" route show "$CVIP4"

say "xdp-lb status on node 1"
xlbn 1 status | sed -n '1,6p'

say "1000 new connections to $CVIP4:80"
read -r -a sp < <(spread_stable 1000)
for ((i = 1; i <= CL_NODES; i++)); do
	echo "node $i: ${sp[i - 1]} new flows"
done
echo "back ends (weights 100/100/200): ${sp[*]:CL_NODES}"

say "table fingerprints (equal on every node)"
for ((i = 1; i <= CL_NODES; i++)); do
	echo "node $i: web $(fingerprint "$i" 0)  web6 $(fingerprint "$i" 1)"
done

say "24 streams (a line every 100 ms each, echoed)"
SOUT=$(mktemp /tmp/xlb-demo-streams.XXXXXX)
CLEAN_FILES+=("$SOUT")
streams_start 24 "$SOUT"
wait_until 20 streams_ready "$SOUT" || { echo "streams did not open" >&2; exit 1; }
wait_until 10 flows_total_is 24
K=$(busiest_node)
echo "node $K carries $(live_flows "$K") of them: its link goes down now"
t0=$(now_ms)
ip -n "$P-n$K" link set "$P-n${K}x" down
wait_until "$CONVERGE_S" nexthops_is "$CVIP4" $((CL_NODES - 1))
echo "the router dropped node $K after $(ms_since "$t0") ms (BFD); route now:"
ip -n "$P-rt" route show "$CVIP4"
wait_until "$CONVERGE_S" flows_elsewhere_at_least "$K" 24
streams_end "$STREAMS_PID"
say "the streams"
tail -1 "$SOUT" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("%(streams)d streams, %(broken)d broken, %(lines)d lines echoed byte for byte, each by one back end; longest wait for an echo %(max_gap_ms)d ms" % r)'

