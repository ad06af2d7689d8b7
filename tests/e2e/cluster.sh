# SPDX-License-Identifier: GPL-2.0-only
# Several balancer nodes behind a router with ECMP, in namespaces: shared by
# test_cluster.sh and demo_cluster.sh (docs/cluster.md draws it).
#
#   PREFIX-cl  client   198.18.1.1   fd00:1::1    (default via the router)
#   PREFIX-rt  router   198.18.1.254 fd00:1::fe   client side (tc: L4 hash)
#                       198.18.2.254 fd00:2::fe   fabric; BIRD: BGP + BFD to
#                                                 every node, ECMP (merge paths)
#   PREFIX-sw  bridge br0: the fabric, one L2 segment
#   PREFIX-n1..nN nodes 198.18.2.11..  fd00:2::11.. BIRD + xdp-lb attach,
#                       VIP routes in table 100 (proto 201) -> BGP
#   PREFIX-b1..b3 back ends 198.18.2.21..23 fd00:2::21..23, VIPs on lo,
#                       replies straight to the client through the router (dsr)
#   PREFIX-hp  hop      198.18.2.250 on the fabric, 198.18.4.254 on br1: a
#                       router between the nodes and the tunnel back ends
#   PREFIX-t1,t2 tunnel back ends 198.18.4.21,22 on br1 (`xdp-lb decap
#                       attach`), VIP 198.18.3.101 on lo, replies through
#                       the hop and the router
#
# Every link from the nodes to the tunnel back ends carries the outer IPv4
# header: the fabric and br1 have MTU 1500 + 20, the client's side 1500.
# XLB_E2E_TAG applies as in lib.sh; PREFIX = TAG + "k".
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The system's python3 first: a version manager's shim (pyenv) costs up to
# 2 s per start on a busy machine, and this test starts python often.
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH

CVIP4=198.18.3.100
CVIP6=fd00:3::100
CVIP4T=198.18.3.101 # the tunnel-mode service, tun (services[2])
SVC_T=2
HOP4=198.18.2.250
FABRIC_MTU=${CL_FABRIC_MTU:-$((1500 + 20))} # CL_FABRIC_MTU=1500 shows what breaks
CL_NODES=${CL_NODES:-3}
# BFD: 100 ms x 5 = a dead node is dropped within 0.5 s. Every deadline
# below derives from these with a wide margin for a busy 2-core machine.
BFD_MS=100
BFD_MULT=5
CONVERGE_S=$(((BFD_MS * BFD_MULT + 999) / 1000 * 8)) # 8 s
ESTABLISH_S=30 # BGP sessions up after a start or a link back
declare -A NODE_PID

xlbn() { local i=$1; shift; "$BIN" -i "$P-n${i}x" "$@"; }
birdc_of() { local h=$1; shift; birdc -s "$CL_DIR/$h.ctl" "$@"; }

# nexthops ADDR: how many next hops the router's route to ADDR has.
nexthops() {
	local fam=-4
	[[ $1 == *:* ]] && fam=-6
	ip -n "$P-rt" "$fam" route show "$1" 2>/dev/null | grep -c 'via'
}
nexthops_is() { [ "$(nexthops "$1")" = "$2" ]; }

# node_status I EXPR: status_get on node I.
node_status() {
	timeout 10 "$BIN" -i "$P-n${1}x" status --json |
		python3 -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}
# new_flows I [SVC]: node I's new flows to service SVC (0 web, 1 web6,
# 2 tun).
new_flows() { node_status "$1" "s['services'][${2:-0}]['new_flows']"; }
# live_flows I [SVC]: node I's live flows of SVC (default web).
live_flows() { node_status "$1" "s['services'][${2:-0}]['flows']"; }
fingerprint() { node_status "$1" "s['services'][$2]['fingerprint']"; }

cl_link() { # NS IFACE PEER [BRIDGE]: a veth from NS into br0 (or BRIDGE)
	ip link add "$2" mtu "$FABRIC_MTU" type veth peer name "$3" \
		mtu "$FABRIC_MTU" || return 1
	ip link set "$2" netns "$1"
	ip link set "$3" netns "$P-sw"
	ip -n "$P-sw" link set "$3" master "${4:-br0}" up
	ip -n "$1" link set "$2" up
}

cl_ns() {
	ip netns add "$P-$1" || return 1
	ip -n "$P-$1" link set lo up
	in_ns "$P-$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

cl_router() {
	cl_ns rt || return 1
	ip link add "$P-cl0" type veth peer name "$P-rtc"
	ip link set "$P-cl0" netns "$P-cl"
	ip link set "$P-rtc" netns "$P-rt"
	ip -n "$P-cl" link set "$P-cl0" up
	ip -n "$P-rt" link set "$P-rtc" up
	ip -n "$P-cl" addr add 198.18.1.1/24 dev "$P-cl0"
	ip -n "$P-cl" addr add fd00:1::1/64 dev "$P-cl0" nodad
	ip -n "$P-cl" route add default via 198.18.1.254
	ip -n "$P-cl" -6 route add default via fd00:1::fe
	in_ns "$P-cl" ethtool -K "$P-cl0" tx off >/dev/null
	ip -n "$P-rt" addr add 198.18.1.254/24 dev "$P-rtc"
	ip -n "$P-rt" addr add fd00:1::fe/64 dev "$P-rtc" nodad
	cl_link "$P-rt" "$P-rtf" "$P-rtp"
	ip -n "$P-rt" addr add 198.18.2.254/24 dev "$P-rtf"
	ip -n "$P-rt" addr add fd00:2::fe/64 dev "$P-rtf" nodad
	in_ns "$P-rt" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 \
		net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv6.fib_multipath_hash_policy=1 \
		net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.default.rp_filter=2
	# veth hands the sender's socket hash to the router: clear it so the
	# multipath hash is the packet's L4 hash, per flow.
	ip netns exec "$P-rt" tc qdisc add dev "$P-rtc" clsact &&
		ip netns exec "$P-rt" tc filter add dev "$P-rtc" ingress bpf da \
			obj "$ROOT/build/tc_rehash.bpf.o" sec tc || return 1
}

listening() { [ -n "$(in_ns "$P-$1" ss -Hltn 'sport = :80')" ]; }

# The routed hop: a router of its own between the fabric and the tunnel
# back ends' segment (br1), so the nodes' IP-in-IP packets are routed
# (TTL, MACs), not switched. Loose rp_filter: the back ends' replies come
# from the VIP, which the hop routes the other way (to the router).
cl_hop() {
	cl_ns hp || return 1
	ip -n "$P-sw" link add br1 type bridge
	ip -n "$P-sw" link set br1 up
	cl_link "$P-hp" "$P-hpf" "$P-hpp" || return 1
	cl_link "$P-hp" "$P-hpt" "$P-hpq" br1 || return 1
	ip -n "$P-hp" addr add "$HOP4/24" dev "$P-hpf"
	ip -n "$P-hp" addr add 198.18.4.254/24 dev "$P-hpt"
	ip -n "$P-hp" route add default via 198.18.2.254
	in_ns "$P-hp" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=2
}

# Tunnel back ends t1, t2: the decap program on their link, the VIP on lo.
cl_tunnel_backends() {
	local i
	for i in 1 2; do
		cl_ns "t$i" || return 1
		cl_link "$P-t$i" "$P-t${i}0" "$P-t${i}p" br1 || return 1
		ip -n "$P-t$i" addr add "198.18.4.2$i/24" dev "$P-t${i}0"
		ip -n "$P-t$i" addr add "$CVIP4T/32" dev lo
		ip -n "$P-t$i" route add default via 198.18.4.254
		nsenter --net="/run/netns/$P-t$i" "$BIN" decap attach \
			"$P-t${i}0" >/dev/null || return 1
		ip netns exec "$P-t$i" python3 "$E2E_DIR/backend.py" "t$i" 80 \
			>/dev/null 2>&1 &
		BE_PID[t$i]=$!
		PIDS+=($!)
	done
}

cl_backends() {
	local i
	for i in 1 2 3; do
		cl_ns "b$i" || return 1
		cl_link "$P-b$i" "$P-b${i}0" "$P-b${i}p"
		ip -n "$P-b$i" link set "$P-b${i}0" address "02:00:00:00:02:2$i"
		ip -n "$P-b$i" addr add "198.18.2.2$i/24" dev "$P-b${i}0"
		ip -n "$P-b$i" addr add "fd00:2::2$i/64" dev "$P-b${i}0" nodad
		ip -n "$P-b$i" addr add "$CVIP4/32" dev lo
		ip -n "$P-b$i" addr add "$CVIP6/128" dev lo nodad
		ip -n "$P-b$i" route add default via 198.18.2.254
		ip -n "$P-b$i" -6 route add default via fd00:2::fe
		in_ns "$P-b$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2
		# Not through a shell function: $! must be the server itself.
		ip netns exec "$P-b$i" python3 "$E2E_DIR/backend.py" "b$i" 80 \
			>/dev/null 2>&1 &
		BE_PID[b$i]=$!
		PIDS+=($!)
	done
	cl_tunnel_backends || return 1
	for i in b1 b2 b3 t1 t2; do # all start at once; then each listens
		wait_until 20 listening "$i" || return 1
	done
}

# The same file on every node (docs/cluster.md: same config, same tables).
cl_node_config() { # FILE W1 W2 W3
	local f=$1 svc vip fam
	cat >"$f" <<YAML
table_size: 4099
# Outer sources of the tunnel service (its flow hash fills the host bits).
tunnel_source: 198.18.5.0/24
# Short idle timeouts so that live flow counts show the streams alone:
# closed connections go after 1 s, flows a node stopped seeing after 3 s.
flow_timeouts: { tcp_syn: 3, tcp_established: 3, tcp_fin: 1, tcp_rst: 1 }
sweep_interval: 1
announce:
  enabled: true
  table: 100
  protocol: 201
  hold_ms: 1000
  withdraw_on_exit: true
services:
YAML
	for svc in web web6; do
		if [ $svc = web ]; then vip=$CVIP4 fam=198.18.2.2; else vip=$CVIP6 fam=fd00:2::2; fi
		cat >>"$f" <<YAML
  - name: $svc
    vip: $vip
    port: 80
    proto: tcp
    health: { type: tcp, interval_ms: 200, timeout_ms: 200, rise: 2, fall: 2 }
    backends:
      - { addr: ${fam}1, weight: $2, mac: "02:00:00:00:02:21" }
      - { addr: ${fam}2, weight: $3, mac: "02:00:00:00:02:22" }
      - { addr: ${fam}3, weight: $4, mac: "02:00:00:00:02:23" }
YAML
	done
	# Behind the hop: the next hop's MAC (the hop's) comes from the route;
	# the probes go through the tunnel to the VIP.
	cat >>"$f" <<YAML
  - name: tun
    vip: $CVIP4T
    port: 80
    proto: tcp
    mode: tunnel
    health: { type: tcp, interval_ms: 200, timeout_ms: 200, rise: 2, fall: 2 }
    backends:
      - { addr: 198.18.4.21, weight: 100 }
      - { addr: 198.18.4.22, weight: 200 }
YAML
}

cl_bird_common() { # ROUTER_ID
	cat <<EOF
router id $1;
protocol device { scan time 10; }
protocol bfd {
	interface "*" { interval $BFD_MS ms; multiplier $BFD_MULT; };
}
EOF
}

cl_bird_router() {
	local i
	{
		cl_bird_common 198.18.2.254
		cat <<EOF
protocol kernel k4 { ipv4 { import none; export all; }; merge paths yes limit 8; }
protocol kernel k6 { ipv6 { import none; export all; }; merge paths yes limit 8; }
template bgp node {
	local as 65000;
	bfd yes;
	hold time 3; keepalive time 1;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
}
EOF
		for ((i = 1; i <= CL_NODES; i++)); do
			cat <<EOF
protocol bgp n${i}v4 from node { neighbor 198.18.2.1$i as 65001; ipv4 { import all; export none; }; }
protocol bgp n${i}v6 from node { neighbor fd00:2::1$i as 65001; ipv6 { import all; export none; }; }
EOF
		done
	} >"$CL_DIR/rt.conf"
}

cl_bird_node() { # I
	{
		cl_bird_common "198.18.2.1$1"
		cat <<EOF
# Only the routes xdp-lb keeps in table 100 (proto 201), learned as they
# come and go, then announced to the router.
protocol kernel vip4 {
	kernel table 100; learn; scan time 10;
	ipv4 { import where krt_source = 201; export none; };
}
protocol kernel vip6 {
	kernel table 100; learn; scan time 10;
	ipv6 { import where krt_source = 201; export none; };
}
template bgp uplink {
	local as 65001;
	bfd yes;
	hold time 3; keepalive time 1;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
}
protocol bgp r4 from uplink { neighbor 198.18.2.254 as 65000; ipv4 { import none; export all; }; }
protocol bgp r6 from uplink { neighbor fd00:2::fe as 65000; ipv6 { import none; export all; }; }
EOF
	} >"$CL_DIR/n$1.conf"
}

bird_start() { # HOST (rt, n1, ...)
	ip netns exec "$P-$1" bird -c "$CL_DIR/$1.conf" -s "$CL_DIR/$1.ctl" \
		-P "$CL_DIR/$1.pid" || return 1
}

bird_stop() {
	local pid
	pid=$(cat "$CL_DIR/$1.pid" 2>/dev/null) && kill "$pid" 2>/dev/null
}

node_up() { # I
	local i=$1
	cl_ns "n$i" || return 1
	# A link that goes down and up again keeps its IPv6 addresses.
	in_ns "$P-n$i" sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 \
		net.ipv6.conf.default.keep_addr_on_down=1
	cl_link "$P-n$i" "$P-n${i}x" "$P-n${i}p"
	ip -n "$P-n$i" addr add "198.18.2.1$i/24" dev "$P-n${i}x"
	# No unknown-unicast floods to a node: when a node's port dies the
	# bridge forgets its MAC at once (a switch ages it out in minutes), and
	# XDP on the other nodes would forward the flooded frames (it does not
	# look at the destination MAC), hiding the node's death.
	bridge -n "$P-sw" link set dev "$P-n${i}p" flood off
	ip -n "$P-n$i" addr add "fd00:2::1$i/64" dev "$P-n${i}x" nodad
	# XDP_TX on a veth needs an XDP program on its peer.
	ip -n "$P-sw" link set dev "$P-n${i}p" xdpdrv \
		obj "$ROOT/build/xdp_pass.bpf.o" sec xdp || return 1
	# The tunnel service's probes cross the back ends' native-XDP hop:
	# software checksums (docs/modes.md).
	in_ns "$P-n$i" ethtool -K "$P-n${i}x" tx off >/dev/null
	node_routes "$i" || return 1
	cl_bird_node "$i"
	bird_start "n$i" || return 1
	node_launch "$i"
}

# node_routes I: the node's static routes (its network configuration): the
# tunnel back ends through the hop, and a default route (the tunnel
# service's probes connect to its VIP). The kernel drops them when the
# link goes down: node_link_up puts them back, as a network manager would.
node_routes() {
	ip -n "$P-n$1" route replace 198.18.4.0/24 via "$HOP4" &&
		ip -n "$P-n$1" route replace default via 198.18.2.254
}
node_link_up() { # I
	ip -n "$P-n$1" link set "$P-n${1}x" up && node_routes "$1"
}

node_launch() { # I: the controller in the background
	local i=$1
	nsenter --net="/run/netns/$P-n$i" "$BIN" attach "$P-n${i}x" \
		-c "$CL_DIR/node.yaml" >>"$CL_DIR/n$i.log" 2>&1 &
	NODE_PID[$i]=$!
}

node_wait() { # I: its controller answers
	local i=$1
	if ! wait_until 30 xlbn "$i" status; then
		diag "node $i: controller did not come up; log:"
		sed 's/^/#   /' "$CL_DIR/n$i.log"
		return 1
	fi
}

# node_stop I [SIGNAL]
node_stop() {
	[ -n "${NODE_PID[$1]:-}" ] || return 0
	kill "-${2:-TERM}" "${NODE_PID[$1]}" 2>/dev/null
	wait "${NODE_PID[$1]}" 2>/dev/null
	NODE_PID[$1]=
}

# cluster_up: everything, then waits until the router has a path over
# every node for both VIPs.
cluster_up() {
	local i
	P=${XLB_E2E_TAG:-}k
	CL_DIR=/tmp/xlb-e2e-$P
	trap cluster_down EXIT
	trap 'exit 130' INT TERM
	cluster_down_quiet
	mkdir -p "$CL_DIR"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	cl_ns sw || return 1
	ip -n "$P-sw" link add br0 type bridge
	ip -n "$P-sw" link set br0 up
	cl_ns cl || return 1
	cl_router || return 1
	cl_hop || return 1
	cl_backends || return 1
	cl_node_config "$CL_DIR/node.yaml" 100 100 200
	cl_bird_router
	bird_start rt || return 1
	for ((i = 1; i <= CL_NODES; i++)); do
		node_up "$i" || return 1
	done
	for ((i = 1; i <= CL_NODES; i++)); do
		node_wait "$i" || return 1
	done
	wait_until "$ESTABLISH_S" nexthops_is "$CVIP4" "$CL_NODES" &&
		wait_until "$ESTABLISH_S" nexthops_is "$CVIP6" "$CL_NODES" &&
		wait_until "$ESTABLISH_S" nexthops_is "$CVIP4T" "$CL_NODES" &&
		wait_until "$ESTABLISH_S" bfd_up_is $((2 * CL_NODES))
}

# bfd_up_is N: the router has N BFD sessions up (BGP sessions come up
# first; one whose BFD session is not up yet may still be reset).
bfd_up_is() {
	[ "$(birdc_of rt show bfd sessions | grep -c ' Up ')" = "$1" ]
}

cluster_down_quiet() {
	local h i
	[ -n "${P:-}" ] || return 0
	for h in rt n1 n2 n3; do
		bird_stop "$h"
	done
	for ((i = 1; i <= 3; i++)); do
		# the lock of a node killed with -9 stays behind: ours too
		rm -rf "/sys/fs/bpf/xdp-lb/$P-n${i}x" "/run/xdp-lb/$P-n${i}x.sock" \
			"/run/xdp-lb/$P-n${i}x.drained" "/run/xdp-lb/$P-n${i}x.lock" \
			"/run/xdp-lb/$P-n${i}x.dp.lock"
	done
	for h in sw cl rt hp n1 n2 n3 b1 b2 b3 t1 t2; do
		ip netns del "$P-$h" 2>/dev/null
	done
	rm -rf "${CL_DIR:?}"
}

cluster_down() {
	local rc=$? i pid
	trap - EXIT
	if [ -n "${XLB_E2E_PAUSE:-}" ]; then
		echo "# paused before teardown (prefix $P); press enter"
		read -r _
	fi
	for ((i = 1; i <= CL_NODES; i++)); do
		node_stop "$i"
	done
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -f "${CLEAN_FILES[@]}"
	cluster_down_quiet
	[ $TAP_FAIL -ne 0 ] && rc=1
	exit $rc
}

# streams_start N OUT [HOST]: N long-lived echo streams from the client
# (client.py streams) to HOST (default web's VIP); STREAMS_PID.
# streams_ready OUT: all are open.
streams_start() {
	ip netns exec "$P-cl" python3 "$E2E_DIR/client.py" streams "${3:-$CVIP4}" 80 \
		"$1" 150 >"$2" 2>&1 &
	STREAMS_PID=$!
	PIDS+=($!)
}
streams_ready() { grep -q '^ready' "$1"; }
# streams_end PID: stop them (not in a subshell: it waits for them); the
# JSON report is then the last line of their output.
streams_end() {
	kill -USR1 "$1" 2>/dev/null
	wait "$1"
}

# hop_capture OUT: tcpdump on the hop's link to the tunnel back ends, the
# first 3 IP-in-IP packets it forwards from the client (inner source
# 198.18.1.1: the balancers' data path, not their probes; outer header,
# MACs); HOP_CAP_PID.
# hop_routed OUT: all 3 left the hop from its own MAC with TTL 63 (the
# nodes send 64): routed, not switched.
hop_capture() {
	ip netns exec "$P-hp" timeout 60 tcpdump -c 3 -l -env -i "$P-hpt" \
		'ip proto 4 and ip[32:4] = 0xc6120101' >"$1" 2>&1 &
	HOP_CAP_PID=$!
	PIDS+=($!)
	wait_until 10 grep -q 'listening on' "$1"
}
hop_routed() {
	local mac
	mac=$(ip -n "$P-hp" -j link show "$P-hpt" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
	[ "$(grep -c "^[0-9:.]* $mac > .* ttl 63, .*proto IPIP" "$1")" = 3 ]
}

# ms_since T0: milliseconds since T0 (from now_ms).
ms_since() { echo $(($(now_ms) - $1)); }

# flows_of I SVC...: node I's live flows of each SVC (0 web, 2 tun), on one
# line, from one status call.
flows_of() {
	local i=$1 k
	k=$(IFS=,; echo "${*:2}")
	node_status "$i" "' '.join(str(s['services'][k]['flows']) for k in ($k,))"
}

# busiest_node [SVC...]: the node that carries the most live flows of the
# services SVC (default web), summed, among those that carry flows of each
# (node 1 if none does): its streams.
busiest_node() {
	local i f n best=0 max=-1 fl
	for ((i = 1; i <= CL_NODES; i++)); do
		read -r -a fl < <(flows_of "$i" "${@:-0}")
		n=0
		for f in "${fl[@]}"; do
			[ "$f" -gt 0 ] || n=-1
			[ "$n" -ge 0 ] && n=$((n + f))
		done
		[ "${#fl[@]}" -gt 0 ] && [ "$n" -gt "$max" ] && max=$n best=$i
	done
	echo "$((best ? best : 1))"
}

# flows_elsewhere I [SVC...]: live flows of each SVC (default web) summed
# over the nodes except I (moved streams show there), on one line.
flows_elsewhere() {
	local skip=$1 i j fl sum=()
	shift
	[ $# -gt 0 ] || set -- 0
	for ((i = 1; i <= CL_NODES; i++)); do
		[ "$i" = "$skip" ] && continue
		read -r -a fl < <(flows_of "$i" "$@")
		for j in "${!fl[@]}"; do sum[j]=$((${sum[j]:-0} + fl[j])); done
	done
	echo "${sum[*]}"
}
# flows_total_is "N..." [SVC...]: all nodes' live flows of each SVC are N
# (the streams, once closed connections are gone).
flows_total_is() { [ "$(flows_elsewhere 0 "${@:2}")" = "$1" ]; }
# flows_elsewhere_at_least I "N..." [SVC...]: each SVC's sum at least N.
flows_elsewhere_at_least() {
	local got want j
	read -r -a got < <(flows_elsewhere "$1" "${@:3}")
	read -r -a want <<<"$2"
	[ "${#got[@]}" = "${#want[@]}" ] || return 1
	for j in "${!want[@]}"; do [ "${got[j]}" -ge "${want[j]}" ] || return 1; done
}

# The router's BGP sessions and since when they are in their state: a
# session that flapped (BFD under heavy load) shows a new time.
sessions() { birdc_of rt show protocols | awk '$2 == "BGP" {print $1, $4, $5}'; }

# spread_stable N [HOST SVC]: spread, run again (once) if a session flapped
# meanwhile, so that the shares measure ECMP, not the flap.
spread_stable() {
	local before out
	before=$(sessions)
	out=$(spread "$@")
	if [ "$(sessions)" != "$before" ]; then
		diag "a BGP session flapped during the spread (busy machine): once more" >&2
		diff <(echo "$before") <(sessions) | sed 's/^/#   /' >&2
		before=$(sessions)
		out=$(spread "$@")
	fi
	echo "$out"
}

# spread N [HOST SVC]: N new connections; prints the new flows each node
# took over them, then the client's tally.
spread() {
	local i before=() after=() tally host=${2:-$CVIP4} svc=${3:-0}
	for ((i = 1; i <= CL_NODES; i++)); do before[$i]=$(new_flows "$i" "$svc"); done
	tally=$(count "$host" "$1")
	for ((i = 1; i <= CL_NODES; i++)); do
		after[$i]=$(new_flows "$i" "$svc")
		printf '%s ' $((after[i] - before[i]))
	done
	echo "$tally"
}
