#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Per-packet and controller benchmarks (figures only, never pass/fail).
# Build first: make -C bench (or `make bench` from the top). Needs root.
#   ROUNDS=5 REPEAT=1000000 CALLS=131072 OUT=build/bench ./bench/run.sh
#   FT=1: also issue 14's prototype flow table (bench/flowtab.bpf.c), each
#   row beside its current-path twin; FOCUS=1: only issue 14's rows (dsr
#   and tunnel, 100 back ends; no nat, IPv6, single or ablation rows);
#   FT6=1: the IPv6 layouts of the prototype (bench/flowtab6.bpf.c)
#   beside the current IPv6 path (with FOCUS=1: only those rows);
#   BIG=1: hits over 2^22 flows too (~2 GiB more kernel memory); TWO=1:
#   two CPUs inserting new flows at once (IPv4 and IPv6), beside the floor
#   run the same way; CTL=0:
#   no controller figures; OTHER=path/xdp_lb.bpf.o: another build of the
#   data path (e.g. main's) on the same maps, each dsr/tunnel/nat hit row
#   (100 back ends) beside its twin ("-O ..." rows, and the pairs), and
#   the cache-hot and not-a-VIP issue 14 rows; ONLY=text: only the rows
#   whose name has it, and the floors (e.g. to profile one row with perf);
#   TOUCH=1: the never-used instance's flows4 read once a page through the
#   kernel before its run (no first page touches in that row).
# Makes one namespace, xbn-pkt, with six idle (down) veth pairs: the
# programs that BPF_PROG_TEST_RUN runs are attached there so that a test
# run does not pay the XDP dispatcher update (see bench_pkt.c). Removed on
# exit, whatever happens.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT:-$ROOT/build/bench}
ROUNDS=${ROUNDS:-5}
REPEAT=${REPEAT:-1000000}
CALLS=${CALLS:-131072}
T=${XLB_E2E_TAG:-}
NS=${T}xbn-pkt

for b in bench_pkt bench_ctl; do
	[ -x "$OUT/$b" ] || { echo "bench: $OUT/$b missing (make -C bench)" >&2; exit 1; }
done
cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup
ip netns add "$NS" || { echo "bench: cannot create namespace $NS" >&2; exit 1; }
IFS_LIST=
for i in 0 1 2 3 4 5; do
	ip -n "$NS" link add "${T}xbn-p${i}a" type veth peer name "${T}xbn-p${i}b" || exit 1
	IFS_LIST+="${T}xbn-p${i}a,${T}xbn-p${i}b,"
done

echo "# $(date -u +%F) $(uname -r), $(nproc) CPUs: $(lscpu | sed -n 's/^Model name: *//p')"
echo
echo "== per-packet cost (BPF_PROG_TEST_RUN), $ROUNDS rounds"
# nsenter keeps the root bpffs and /sys (docs/testing.md).
OPTS=()
[ "${FT:-0}" = 1 ] && OPTS+=(-f -P)
[ "${FT6:-0}" = 1 ] && OPTS+=(-6)
[ "${FOCUS:-0}" = 1 ] && OPTS+=(-F)
[ "${BIG:-0}" = 1 ] && OPTS+=(-B)
[ "${TWO:-0}" = 1 ] && OPTS+=(-2)
[ "${TOUCH:-0}" = 1 ] && OPTS+=(-T)
[ -n "${OTHER:-}" ] && OPTS+=(-O "$OTHER")
[ -n "${ONLY:-}" ] && OPTS+=(-s "$ONLY")
nsenter --net="/run/netns/$NS" "$OUT/bench_pkt" -r "$ROUNDS" -n "$REPEAT" \
	-c "$CALLS" -o "$OUT/pkt.dat" -i "${IFS_LIST%,}" "${OPTS[@]}" || exit 1
echo
if [ "${CTL:-1}" = 1 ]; then
	"$OUT/bench_ctl" -r "$ROUNDS" || exit 1
fi

if command -v gnuplot >/dev/null; then
	gnuplot -e "datafile='$OUT/pkt.dat'; outfile='$OUT/bench_pkt.png'" \
		"$HERE/plot.gp" && echo && echo "plot: $OUT/bench_pkt.png"
else
	echo "(gnuplot not installed: no plot)"
fi
exit 0
