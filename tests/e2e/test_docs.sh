#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every option that `xdp-lb --help` or a command's --help shows has a
# heading in the man page, and --help exits 0.
cd "$(dirname "$0")/../.." || exit 1
BIN=${BIN:-build/xdp-lb}
MAN=docs/xdp-lb.8
n=0
fail=0
check() { # description, command...
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fail=1; fi
}
helps=$( { $BIN --help
	for c in attach detach upgrade status reload; do $BIN $c --help; done
	for c in add del weight drain undrain; do $BIN backend $c --help; done
	for c in add del; do $BIN service $c --help; done
	for c in attach detach status; do $BIN decap $c --help; done; } 2>&1)
check "every --help exits 0" bash -c "$BIN --help >/dev/null && $BIN status --help >/dev/null && $BIN backend add --help >/dev/null"
opts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$helps" | sort -u)
[ -n "$opts" ] || { echo "not ok - no options found in --help"; exit 1; }
for o in $opts; do
	esc=${o//-/\\\\-}
	check "man page documents $o" grep -q "^\.SS.*${esc}" "$MAN"
done
check "man page documents every command" bash -c \
	'for c in attach detach upgrade status "service add" "service del" "backend add" "backend del" "backend weight" "backend drain" "backend undrain" reload "decap attach" "decap detach" "decap status"; do grep -q "^\.SS $c" '"$MAN"' || exit 1; done'
check "unknown command exits 2" bash -c "$BIN nosuchcmd >/dev/null 2>&1; [ \$? -eq 2 ]"
exit $fail
