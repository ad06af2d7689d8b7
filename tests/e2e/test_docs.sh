#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The command table in the binary, its --help texts, the man page and the
# README agree: the commands come from `xdp-lb help --commands` (one
# synopsis a line), never from a list kept here. Every --help exits 0 and
# every option it shows has a heading in the man page.
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
roff() { sed 's/-/\\-/g' <<<"$1"; }
# The command's name: the words before its first argument or option.
cmd_name() { sed -E 's/ ([A-Z[-]|VIP:).*//' <<<"$1"; }

mapfile -t synopses < <($BIN help --commands)
check "help --commands lists the commands (${#synopses[@]})" [ ${#synopses[@]} -ge 16 ]
root_help=$($BIN --help)
root_syn=$(sed -n 's/^usage: //p' <<<"$root_help")
man_syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$MAN")
man_cmds=$(sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$MAN" | sed -n 's/^\.SS //p')
check "man SYNOPSIS opens with xdp-lb --help's usage ($root_syn)" \
	grep -qxF -- "$(roff "$root_syn")" <<<"$man_syn"

helps=$root_help
for s in "${synopses[@]}"; do
	name=$(cmd_name "$s")
	# shellcheck disable=SC2086 # the name's words are separate arguments
	h=$($BIN $name --help)
	rc=$?
	helps+=$'\n'$h
	first=$(head -1 <<<"$h")
	check "$name: --help exits 0 ($rc) and starts with its synopsis" \
		test $rc -eq 0 -a "$first" = "usage: xdp-lb $s"
	check "$name: xdp-lb --help lists it" grep -qxF -- "  $s" <<<"$root_help"
	check "$name: man page has a heading '$s'" grep -qxF -- "$(roff "$s")" <<<"$man_cmds"
	check "$name: man SYNOPSIS has it" grep -qxF -- "$(roff "xdp-lb $s")" <<<"$man_syn"
done
# README's command table is an overview: each entry, its "a|b" sub-command
# alternatives expanded, must start a synopsis of the binary, and it must
# name every command.
readme_check() {
	python3 - "$1" <<'PY'
import re, sys
syn = sys.argv[1].splitlines()
rows, on = [], False
for line in open("README.md"):
    if line.startswith("| command |"):
        on = True
    elif on and not line.startswith("|"):
        break
    elif on:
        rows.append(line.split("|")[1] if "\\|" not in line else
                    re.split(r"(?<!\\)\|", line)[1])
bad, seen = [], set()
for cell in rows:
    for item in re.findall(r"`([^`]*)`", cell.replace("\\|", "|")):
        w = item.split(" ", 2)
        alts = w[1].split("|") if len(w) > 1 and "|" in w[1] else [None]
        for a in alts:
            e = item if a is None else " ".join([w[0], a] + w[2:])
            seen.add(e.split(" ")[0])
            if not any(s == e or s.startswith(e + " ") for s in syn):
                bad.append(e)
missing = {s.split(" ")[0] for s in syn} - seen
for b in bad:
    print("# README names '%s': no such synopsis" % b)
for m in sorted(missing):
    print("# README's command table lacks '%s'" % m)
sys.exit(1 if bad or missing else 0)
PY
}
check "README's command table agrees with the binary and names every command" \
	readme_check "$(printf '%s\n' "${synopses[@]}")"
check "every command heading in the man page is a command of the binary" \
	bash -c 'while IFS= read -r h; do grep -qxF -- "$h" <<<"$1" || { echo "# unknown: $h"; exit 1; }; done <<<"$2"' \
	_ "$(for s in "${synopses[@]}"; do roff "$s"; done)" "$man_cmds"
for g in backend service decap; do
	check "$g --help exits 0 and lists its commands" \
		bash -c "$BIN $g --help | grep -q '^  xdp-lb $g '"
done
opts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$helps" | sort -u)
[ -n "$opts" ] || { echo "not ok - no options found in --help"; exit 1; }
for o in $opts; do
	esc=${o//-/\\\\-}
	check "man page documents $o" grep -q "^\.SS.*${esc}" "$MAN"
done
check "unknown command exits 2" bash -c "$BIN nosuchcmd >/dev/null 2>&1; [ \$? -eq 2 ]"
check "a bare group exits 2" bash -c "$BIN backend >/dev/null 2>&1; [ \$? -eq 2 ]"
exit $fail
