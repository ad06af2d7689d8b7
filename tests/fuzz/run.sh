#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make fuzz-ctl: run the controller's libFuzzer harnesses (ASan+UBSan) for
# FUZZ_SECONDS each (default 120), starting from the seed corpus in
# tests/fuzz/corpus/ (read only: new inputs go to a scratch directory;
# copy an interesting one into the corpus by hand). Prints per harness the
# inputs run and any crash; exits 1 on a crash or sanitizer report.
set -u
cd "$(dirname "$0")/../.." || exit 1
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-120}
WORK=$(mktemp -d /tmp/xlb-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
rc=0
for h in config api; do
	mkdir -p "$WORK/$h" "$WORK/$h-crash"
	log="$WORK/$h.log"
	"$FUZZ_BUILD/fuzz_$h" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$WORK/$h-crash/" \
		"$WORK/$h" "tests/fuzz/corpus/$h" >"$log" 2>&1
	r=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	crashes=$(ls "$WORK/$h-crash" | wc -l)
	reports=$(grep -c 'ERROR: AddressSanitizer\|runtime error:\|ERROR: libFuzzer' "$log")
	echo "fuzz_$h: ${runs:-0} inputs in ${SECS} s, corpus $(ls "$WORK/$h" | wc -l) new inputs, $crashes crashes, $reports sanitizer reports (exit $r)"
	if [ "$r" -ne 0 ] || [ "$crashes" -ne 0 ] || [ "$reports" -ne 0 ]; then
		rc=1
		grep -m5 -A15 'ERROR\|runtime error' "$log"
		for f in "$WORK/$h-crash"/*; do
			[ -e "$f" ] && cp "$f" "/tmp/xlb-fuzz-$h-$(basename "$f")" &&
				echo "kept /tmp/xlb-fuzz-$h-$(basename "$f")"
		done
	fi
done
exit $rc
