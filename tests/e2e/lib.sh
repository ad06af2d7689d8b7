# SPDX-License-Identifier: GPL-2.0-only
# Shared by the end-to-end tests: a namespace topology, the controller, TAP
# output. Source it, then call topo_up PREFIX (teardown is trapped).
#
#   PREFIX-sw  bridge br0 (a switch)
#   PREFIX-cl  client      198.18.0.1   fd00::1
#   PREFIX-lb  balancer    198.18.0.2   fd00::2   (xdp-lb on PREFIX-lb0)
#   PREFIX-b1..b3 back ends 198.18.0.11-13 fd00::11-13, VIPs on lo
#
# XLB_E2E_PAUSE=1 stops before teardown (inspect, then press enter).
# XLB_E2E_TAG=X (one or two letters) prefixes every namespace and link
# name, so two checkouts can run the suite at the same time.
# XLB_E2E_VERBOSE=1 echoes every command.

# Debian's python3 (tests/deps.sh installs it; the scripts need only its
# standard library and python3-websocket) before any other on PATH: a
# version manager's shim costs about a second per start on a busy machine.
PATH=/usr/bin:$PATH
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
BIN=${BIN:-$ROOT/build/xdp-lb}
VIP4=198.18.0.100
VIP6=fd00::100
TAP_N=0
TAP_FAIL=0
PIDS=()
CLEAN_FILES=()
# Files in CLEAN_FILES are removed at teardown.

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAIL=1; echo "not ok $TAP_N - $*"; }
diag() { echo "# $*"; }
# check DESCRIPTION COMMAND...: one TAP line from the command's status.
check() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

# run COMMAND...: echo it with its status (STYLE: every command echoed).
run() {
	local rc
	"$@"
	rc=$?
	[ -n "${XLB_E2E_VERBOSE:-}" ] || [ $rc -ne 0 ] && diag "[rc=$rc] $*"
	return $rc
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# Loaders keep the root bpffs: nsenter, not ip netns exec (docs/testing.md).
lb_ns() { nsenter --net="/run/netns/$P-lb" "$@"; }
xlb() { "$BIN" -i "$P-lb0" "$@"; }
# api_running: a controller answers on the control socket.
api_running() { xlb status >/dev/null 2>&1; }

topo_up() {
	P=${XLB_E2E_TAG:-}$1
	trap topo_down EXIT
	trap 'exit 130' INT TERM
	topo_down_quiet
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	ip netns add "$P-sw" || return 1
	ip -n "$P-sw" link add br0 type bridge
	ip -n "$P-sw" link set br0 up
	local h n=11
	for h in cl lb b1 b2 b3; do
		ip netns add "$P-$h"
		ip link add "$P-${h}0" type veth peer name "$P-${h}p"
		ip link set "$P-${h}0" netns "$P-$h"
		ip link set "$P-${h}p" netns "$P-sw"
		ip -n "$P-sw" link set "$P-${h}p" master br0 up
		ip -n "$P-$h" link set lo up
		ip -n "$P-$h" link set "$P-${h}0" up
		in_ns "$P-$h" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done
	ip -n "$P-cl" addr add 198.18.0.1/24 dev "$P-cl0"
	ip -n "$P-cl" addr add fd00::1/64 dev "$P-cl0" nodad
	ip -n "$P-lb" addr add 198.18.0.2/24 dev "$P-lb0"
	ip -n "$P-lb" addr add fd00::2/64 dev "$P-lb0" nodad
	for h in b1 b2 b3; do
		ip -n "$P-$h" addr add "198.18.0.$n/24" dev "$P-${h}0"
		ip -n "$P-$h" addr add "fd00::$n/64" dev "$P-${h}0" nodad
		ip -n "$P-$h" addr add "$VIP4/32" dev lo
		ip -n "$P-$h" addr add "$VIP6/128" dev lo nodad
		in_ns "$P-$h" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2
		n=$((n + 1))
	done
	# The client reaches the VIPs through the balancer.
	ip -n "$P-cl" route add "$VIP4/32" via 198.18.0.2
	ip -n "$P-cl" -6 route add "$VIP6/128" via fd00::2
	# Native XDP loses checksum offload state (docs/testing.md).
	in_ns "$P-cl" ethtool -K "$P-cl0" tx off >/dev/null
	# XDP_TX on a veth needs an XDP program on its peer.
	ip -n "$P-sw" link set dev "$P-lbp" xdpdrv obj "$ROOT/build/xdp_pass.bpf.o" sec xdp ||
		return 1
}

# backend_start NAME [PORT]: backend.py NAME in namespace PREFIX-NAME.
# backend_ready_ms NAME then prints when it began listening (wall ms).
declare -A BE_PID
backend_start() {
	local h=$1 port=${2:-80}
	rm -f "/tmp/xlb-e2e-$P-$h.ready"
	CLEAN_FILES+=("/tmp/xlb-e2e-$P-$h.ready")
	# Not through a shell function: $! must be the server itself.
	XLB_READY="/tmp/xlb-e2e-$P-$h.ready" \
		ip netns exec "$P-$h" python3 "$E2E_DIR/backend.py" "$h" "$port" >/dev/null 2>&1 &
	BE_PID[$h]=$!
	PIDS+=($!)
	wait_for 50 in_ns "$P-$h" python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)"
}

backend_ready_ms() { cat "/tmp/xlb-e2e-$P-$1.ready"; }

# now_ms: the wall clock in ms since the epoch (as status --json's *_ms).
now_ms() { date +%s%3N; }

# wait_until SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds or
# SECONDS have passed (a deadline, not a count: slow polls do not stretch
# it).
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

# hold_start HOST OUT [SECS]: one long-lived keep-alive connection from the
# client (client.py hold, 120 s at most) writing to OUT; HOLD_PID is the
# client itself. hold_end PID: end it now (SIGUSR1); returns its status.
hold_start() {
	ip netns exec "$P-cl" python3 "$E2E_DIR/client.py" hold "$1" 80 "${3:-120}" >"$2" 2>&1 &
	HOLD_PID=$!
	PIDS+=($!)
}
hold_end() {
	kill -USR1 "$1" 2>/dev/null
	wait "$1"
}

# backend_kill NAME: stop that back end's server.
backend_kill() {
	kill "${BE_PID[$1]}" 2>/dev/null
	wait "${BE_PID[$1]}" 2>/dev/null
}

# backends_start [PORT]: b1..b3.
backends_start() {
	local h
	for h in b1 b2 b3; do
		backend_start "$h" "${1:-80}" || return 1
	done
}

# wait_for TRIES COMMAND...: retry every 0.1 s.
wait_for() {
	local tries=$1 i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# lb_start CONFIG [attach options]: the controller in the background.
lb_start() {
	local cfg=$1
	shift
	LB_LOG=${LB_LOG:-$(mktemp /tmp/xlb-e2e.XXXXXX)}
	# Not through a shell function: $! must be the controller itself.
	nsenter --net="/run/netns/$P-lb" "$BIN" attach "$P-lb0" -c "$cfg" "$@" \
		>>"$LB_LOG" 2>&1 &
	LB_PID=$!
	if ! wait_for 100 xlb status; then
		diag "controller did not come up; log:"
		sed 's/^/#   /' "$LB_LOG"
		return 1
	fi
}

lb_stop() {
	[ -n "${LB_PID:-}" ] || return 0
	kill -TERM "$LB_PID" 2>/dev/null
	wait "$LB_PID" 2>/dev/null
	LB_PID=
	! api_running
}

# count HOST N: N new connections from the client; prints the JSON tally.
count() {
	in_ns "$P-cl" python3 "$E2E_DIR/client.py" count "$1" 80 "$2"
}

# share JSON NAME: percentage of NAME in a tally (errors excluded).
share() {
	python3 -c 'import json,sys; t=json.loads(sys.argv[1]); n=sum(v for k,v in t.items() if k not in ("errors","retries")); print(round(100.0*t.get(sys.argv[2],0)/max(n,1),1))' "$1" "$2"
}

# within A B TOLERANCE: |A - B| <= TOLERANCE (floats).
within() {
	python3 -c 'import sys; a,b,t=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b)<=t else 1)' "$1" "$2" "$3"
}

# Shares of new connections are samples: N connections that each land on a
# back end with probability P spread around N x P with a standard deviation
# of sqrt(N P (1 - P)). A check 3 sigma wide fails a correct product once in
# 370 runs, and the suite makes a dozen such checks: CI would go red every
# few dozen runs. These are 5 sigma wide: once in 1.7 million per check.
# sigma5 P N: 5 standard deviations, in percentage points, of the share of
# N connections that land where a share of P percent should.
sigma5() {
	python3 -c 'import math,sys; p=float(sys.argv[1])/100; n=int(sys.argv[2]); print(round(500*math.sqrt(p*(1-p)/n),1))' "$1" "$2"
}
# share_near GOT P N: GOT percent is within 5 sigma of P percent for N.
share_near() {
	within "$1" "$2" "$(sigma5 "$2" "$3")"
}

# jq-like access to status --json with python: status_get 'EXPR' where
# EXPR is evaluated with s = the parsed status.
status_get() {
	xlb status --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# status_is EXPR VALUE: status_get EXPR prints VALUE (for wait_until).
status_is() { [ "$(status_get "$1" 2>/dev/null)" = "$2" ]; }
# status_below EXPR N: status_get EXPR prints a number below N.
status_below() {
	local v
	v=$(status_get "$1" 2>/dev/null)
	[[ $v =~ ^[0-9]+$ ]] && [ "$v" -lt "$2" ]
}

topo_down_quiet() {
	local h
	[ -n "${P:-}" ] || return 0
	for h in sw cl lb b1 b2 b3; do
		ip netns del "$P-$h" 2>/dev/null
	done
	rm -rf "/sys/fs/bpf/xdp-lb/$P-lb0" "/run/xdp-lb/$P-lb0.sock"
}

topo_down() {
	local rc=$? pid
	trap - EXIT
	if [ -n "${XLB_E2E_PAUSE:-}" ]; then
		echo "# paused before teardown (prefix $P); press enter"
		read -r _
	fi
	lb_stop
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${LB_LOG:-}" ] && rm -f "$LB_LOG"
	rm -f "${CLEAN_FILES[@]}"
	topo_down_quiet
	[ $TAP_FAIL -ne 0 ] && rc=1
	exit $rc
}

# write_config FILE W1 W2 W3: web (IPv4) and web6 (IPv6) over b1..b3.
write_config() {
	cat >"$1" <<YAML
services:
  - name: web
    vip: $VIP4
    port: 80
    proto: tcp
    backends:
      - addr: 198.18.0.11
        weight: $2
      - addr: 198.18.0.12
        weight: $3
      - addr: 198.18.0.13
        weight: $4
  - name: web6
    vip: $VIP6
    port: 80
    proto: tcp
    backends:
      - addr: fd00::11
        weight: $2
      - addr: fd00::12
        weight: $3
      - addr: fd00::13
        weight: $4
YAML
}

# ---- tests that build their own topology (tunnel, nat) ----
# Set P and NSS (their namespaces, without the prefix; sw* hold a bridge
# br0), define own_pre_down if something must go first, then call
# own_topo_begin. own_link NS IFACE BRIDGE_NS joins NS to a bridge.
own_topo_down() {
	local rc=$? n pid
	trap - EXIT
	lb_stop
	[ -n "$(type -t own_pre_down)" ] && own_pre_down
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${LB_LOG:-}" ] && rm -f "$LB_LOG"
	rm -f "${CLEAN_FILES[@]}"
	for n in $NSS; do ip netns del "$P-$n" 2>/dev/null; done
	rm -rf "/sys/fs/bpf/xdp-lb/$P-lb0" "/run/xdp-lb/$P-lb0.sock"
	[ $TAP_FAIL -ne 0 ] && rc=1
	exit $rc
}

own_topo_begin() {
	local n
	trap own_topo_down EXIT
	trap 'exit 130' INT TERM
	for n in $NSS; do ip netns del "$P-$n" 2>/dev/null; done
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	for n in $NSS; do
		ip netns add "$P-$n" || return 1
		ip -n "$P-$n" link set lo up
		ip netns exec "$P-$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
		if [[ $n == sw* ]]; then
			ip -n "$P-$n" link add br0 type bridge &&
				ip -n "$P-$n" link set br0 up || return 1
		fi
	done
}

own_link() {
	ip link add "$2" type veth peer name "${2}p" || return 1
	ip link set "$2" netns "$P-$1"
	ip link set "${2}p" netns "$P-$3"
	ip -n "$P-$3" link set "${2}p" master br0 up
	ip -n "$P-$1" link set "$2" up
}

# nat mode's two arms (test_nat, test_nat_iface_gone, test_links_nat):
#   P-cl 198.18.0.1 --br0(sw)-- P-lb0 198.18.0.2 [xdp-lb]
#   P-lb1 198.18.2.1 --br0(sw1)-- back ends 198.18.2.11, .12, ...
# and with v6 fd00::1, fd00::2, fd00:2::1, fd00:2::11, ... NSS must hold
# "sw sw1 cl lb" and the back ends.
nat_int_link_up() { # [MAC]: the internal arm, P-lb1
	own_link lb $P-lb1 sw1 || return 1
	[ -n "${1:-}" ] && ip -n $P-lb link set $P-lb1 address "$1"
	ip -n $P-lb addr add 198.18.2.1/24 dev $P-lb1
	[ -n "${NAT_V6:-}" ] && ip -n $P-lb addr add fd00:2::1/64 dev $P-lb1 nodad
	# XDP_REDIRECT into a veth needs NAPI on its peer
	ip -n $P-sw1 link set dev $P-lb1p xdpdrv obj "$ROOT/build/xdp_pass.bpf.o" sec xdp
}
nat_topology() { # "b1 b2 ..." [v6]: links, addresses, routes, backend.py on :80
	local n i=11
	NAT_V6=${2:-}
	own_link cl $P-cl0 sw && own_link lb $P-lb0 sw && nat_int_link_up ||
		return 1
	ip -n $P-cl addr add 198.18.0.1/24 dev $P-cl0
	ip -n $P-lb addr add 198.18.0.2/24 dev $P-lb0
	ip -n $P-cl route add $VIP4/32 via 198.18.0.2
	if [ -n "$NAT_V6" ]; then
		ip -n $P-cl addr add fd00::1/64 dev $P-cl0 nodad
		ip -n $P-lb addr add fd00::2/64 dev $P-lb0 nodad
		ip -n $P-cl -6 route add $VIP6/128 via fd00::2
	fi
	ip netns exec $P-cl ethtool -K $P-cl0 tx off >/dev/null
	for n in $1; do
		own_link $n $P-${n}0 sw1 || return 1
		ip -n $P-$n addr add 198.18.2.$i/24 dev $P-${n}0
		[ -n "$NAT_V6" ] && ip -n $P-$n addr add fd00:2::$i/64 dev $P-${n}0 nodad
		# replies cross the balancer's native XDP: software checksums
		ip netns exec $P-$n ethtool -K $P-${n}0 tx off >/dev/null
		i=$((i + 1))
	done
	ip -n $P-sw link set dev $P-lb0p xdpdrv obj "$ROOT/build/xdp_pass.bpf.o" sec xdp ||
		return 1
	for n in $1; do
		ip netns exec "$P-$n" python3 "$E2E_DIR/backend.py" "$n" 80 >/dev/null 2>&1 &
		PIDS+=($!)
	done
	for n in $1; do
		wait_for 50 in_ns "$P-$n" python3 -c "import socket; socket.create_connection(('127.0.0.1', 80), 1)" ||
			return 1
	done
}
