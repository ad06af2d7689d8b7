#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Run the test layers (unit, prog, e2e or all), count TAP results across
# them and end with one line: "N passed, N failed". Exits 1 on any failure.
# XLB_TEST_FILTER=REGEX runs only the binaries/scripts whose name matches.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
layers=${1:-all}
[ "$layers" = all ] && layers="unit prog san e2e"
# san: the unit and prog tests again, built with ASan+UBSan into
# build-san/ (make san), and one e2e test against an ASan controller.
SAN_BUILD=${SAN_BUILD:-build-san}
SAN_E2E=${SAN_E2E:-test_ctl_faults}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
passed=0
failed=0
failures=()

run_one() { # layer name command...
	local layer=$1 name=$2 out rc p f
	shift 2
	if [ -n "${XLB_TEST_FILTER:-}" ] && ! [[ $name =~ $XLB_TEST_FILTER ]]; then
		return
	fi
	echo "=== $layer: $name"
	out=$(mktemp)
	CMOCKA_MESSAGE_OUTPUT=TAP "$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # exited non-zero without a failing test line: count it
		echo "not ok - $name exited with status $rc"
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1 # ran no test at all
		echo "not ok - $name ran no test"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -gt 0 ] && failures+=("$layer/$name")
	rm -f "$out"
}

for layer in $layers; do
	case $layer in
	unit | prog)
		for src in tests/$layer/test_*.c; do
			[ -e "$src" ] || continue
			name=$(basename "$src" .c)
			run_one "$layer" "$name" "$BUILD/tests/$name"
		done
		;;
	san)
		for src in tests/unit/test_*.c tests/prog/test_*.c; do
			name=$(basename "$src" .c)
			run_one san "$name" "$SAN_BUILD/tests/$name"
		done
		# the controller under ASan: any report fails the test
		asan=$(mktemp -d /tmp/xlb-asan.XXXXXX)
		run_one san "$SAN_E2E (ASan controller)" env BIN="$PWD/$SAN_BUILD/xdp-lb" \
			ASAN_OPTIONS="log_path=$asan/report:detect_leaks=0" \
			bash -c 'bash "$1"; rc=$?; if ls "$2" | grep -q .; then
				echo "not ok - sanitizer reports from the controller:"
				cat "$2"/* | head -40; exit 1; fi
			echo "ok - no sanitizer report from the controller"; exit $rc' \
			_ "tests/e2e/$SAN_E2E.sh" "$asan"
		rm -rf "$asan"
		;;
	e2e)
		for t in tests/e2e/test_*.sh; do
			[ -e "$t" ] || continue
			run_one e2e "$(basename "$t" .sh)" bash "$t"
		done
		;;
	*)
		echo "unknown layer '$layer' (unit, prog, san, e2e, all)" >&2
		exit 2
		;;
	esac
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
