#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Every usage or input error of the command line is one line naming the
# problem (usage errors with the --help to read), exit 2, JSON with
# --json, values echoed with their control characters escaped. No
# namespace: the commands here fail before they touch the kernel.
cd "$(dirname "$0")/../.." || exit 1
BIN=${BIN:-$PWD/build/xdp-lb}
ERR=$(mktemp /tmp/xlb-usage.XXXXXX)
OUT=$(mktemp /tmp/xlb-usage.XXXXXX)
DIR=$(mktemp -d /tmp/xlb-usage.XXXXXX)
trap 'rm -rf "$ERR" "$OUT" "$DIR"' EXIT
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; fail=1; }

# expect CODE PATTERN DESCRIPTION -- COMMAND...: exit CODE, one line on
# stderr matching PATTERN, nothing on stdout.
expect() {
	local code=$1 pat=$2 d=$3 rc lines
	shift 4
	"$@" >"$OUT" 2>"$ERR"
	rc=$?
	lines=$(wc -l <"$ERR")
	if [ $rc -eq "$code" ] && [ "$lines" -eq 1 ] && [ ! -s "$OUT" ] &&
		grep -qE -- "$pat" "$ERR"; then
		ok "$d: exit $rc, \"$(cat "$ERR")\""
	else
		not_ok "$d: exit $rc (want $code), $lines lines (want 1): $(head -3 "$ERR")"
	fi
}
# expect_json DESCRIPTION PATTERN -- COMMAND...: exit 2, one JSON object
# with "error" matching PATTERN on stdout, nothing on stderr.
expect_json() {
	local d=$1 pat=$2 rc
	shift 3
	"$@" >"$OUT" 2>"$ERR"
	rc=$?
	if [ $rc -eq 2 ] && [ ! -s "$ERR" ] && [ "$(wc -l <"$OUT")" -eq 1 ] &&
		python3 -c 'import json,re,sys; e=json.load(open(sys.argv[1]))["error"]; sys.exit(not re.search(sys.argv[2], e))' "$OUT" "$pat"; then
		ok "$d: $(cat "$OUT")"
	else
		not_ok "$d: exit $rc, stdout $(head -2 "$OUT"), stderr $(head -2 "$ERR")"
	fi
}

# ---- defect 11: usage errors ----
expect 2 "^xdp-lb: no command given \(xdp-lb --help lists them\)$" \
	"xdp-lb alone" -- "$BIN"
expect 2 "^xdp-lb: unknown option '--bogus'; usage: xdp-lb .* \(xdp-lb --help\)$" \
	"an unknown global option" -- "$BIN" --bogus
expect 2 "^xdp-lb: unknown option '--bogus'; usage: xdp-lb status .* \(xdp-lb status --help\)$" \
	"an unknown option of a command" -- "$BIN" status --bogus
expect 2 "^xdp-lb: missing arguments; usage: xdp-lb backend add SERVICE ADDR .* \(xdp-lb backend add --help\)$" \
	"a command without its arguments" -- "$BIN" backend add
expect 2 "unexpected argument 'extra'.*--help" \
	"a command with one argument too many" -- "$BIN" backend add web 198.18.0.11 extra
expect 2 "unknown command 'frob'.*--help" "an unknown command" -- "$BIN" frob
expect_json "--json --bogus: the error is JSON" "unknown option '--bogus'" -- \
	"$BIN" --json --bogus
expect_json "--json alone: the error is JSON" "no command given" -- "$BIN" --json
expect_json "status --bogus --json: the error is JSON" "unknown option" -- \
	"$BIN" status --bogus --json

# ---- defect 9: strict MACs on the command line ----
expect 2 "'-1:-1:-1:-1:-1:-1' is not a MAC address" "--mac of signed numbers" -- \
	"$BIN" backend add web 198.18.0.11 --mac -1:-1:-1:-1:-1:-1
expect 2 "'\+2:\+0: 0: 0: 0:12' is not a MAC address" "--mac with signs and spaces" -- \
	"$BIN" backend add web 198.18.0.11 --mac "+2:+0: 0: 0: 0:12"
expect 2 "'ff:ff:ff:ff:ff:ff' is not a unicast MAC address" "a broadcast --mac" -- \
	"$BIN" backend add web 198.18.0.11 --mac ff:ff:ff:ff:ff:ff
expect 2 "'01:00:5e:00:00:01' is not a unicast MAC address" "a multicast --mac" -- \
	"$BIN" backend add web 198.18.0.11 --mac 01:00:5e:00:00:01
expect 2 "'00:00:00:00:00:00' is not a unicast MAC address" "an all-zero --mac" -- \
	"$BIN" backend add web 198.18.0.11 --mac 00:00:00:00:00:00

# ---- defect 10: control characters escaped ----
expect 2 "'1\\\\n2\\\\x1b\[2J' is not a number" "a value with a newline and an escape" -- \
	"$BIN" backend weight web 198.18.0.11 $'1\n2\e[2J'
printf 'services:\n  - name: "we\\nb\\e[2J"\n    vip: 198.18.0.100\n    port: 80\n    proto: tcp\n' >"$DIR/ctl.yaml"
expect 2 "we\\\\nb\\\\x1b\[2J" "a config value with a newline: one line, escaped" -- \
	"$BIN" check -c "$DIR/ctl.yaml"

# ---- defects 6, 12 and a directory as -c ----
printf 'max_flows: 2048\n---\nbogus: 1\n' >"$DIR/two.yaml"
expect 2 "^$DIR/two.yaml:2: a second YAML document" "a second YAML document" -- \
	"$BIN" check -c "$DIR/two.yaml"
python3 -c 'print("a: " + "[" * 200000)' >"$DIR/deep.yaml"
expect 2 "^$DIR/deep.yaml:1: nested deeper than 32 levels$" "200 KB of nested lists" -- \
	"$BIN" check -c "$DIR/deep.yaml"
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$DIR/big.yaml"
expect 2 "^$DIR/big.yaml: .*larger than the limit of 8388608 bytes$" "a 9 MiB file" -- \
	"$BIN" check -c "$DIR/big.yaml"
expect 2 "^$DIR: is a directory, not a configuration file$" "a directory as -c" -- \
	"$BIN" check -c "$DIR"

# ---- "unknown interface": exit 2 for every command (root only) ----
if [ "$(id -u)" -eq 0 ]; then
	for c in "detach" "upgrade" "decap attach" "decap detach" "decap status"; do
		# shellcheck disable=SC2086
		expect 2 "^xdp-lb: unknown interface 'nosuch0'$" "$c of an unknown interface" -- \
			"$BIN" $c nosuch0
	done
	expect 2 "^xdp-lb: unknown interface 'nosuch0'$" "attach to an unknown interface" -- \
		"$BIN" attach nosuch0 -c /dev/null
fi
echo "1..$n"
exit $fail
