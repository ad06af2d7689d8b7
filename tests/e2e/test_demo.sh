#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The README's first command runs tests/e2e/demo.sh: it must run clean on
# this machine's python and tools, send real traffic with no error, and
# leave nothing behind.
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp /tmp/xlb-demo-out.XXXXXX)
trap 'rm -f "$OUT"' EXIT
n=0 fail=0
check() { n=$((n + 1)); if "${@:2}"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; }
timeout 300 bash "$E2E_DIR/demo.sh" >"$OUT" 2>&1
rc=$?
check "the demo exits 0 (rc=$rc)" [ $rc -eq 0 ]
check "no Python traceback or shell error in its output" \
	sh -c "! grep -E 'Traceback|SyntaxError|command not found|No such file' '$OUT'"
tallies=$(grep -c '  errors: 0$' "$OUT")
check "its traffic tallies print, every one with 0 errors ($tallies)" \
	sh -c "[ $tallies -ge 3 ] && ! grep -E '  errors: [1-9]' '$OUT'"
check "it cleaned up its namespaces" sh -c "! ip netns list | grep -q '^xd-'"
[ $fail -ne 0 ] && sed 's/^/#   /' "$OUT" | tail -40
echo "1..$n"
exit $fail
