#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make deb builds a Debian package; it installs into a scratch root
# (dpkg --root), ships exactly the expected files, its binary runs and
# checks the shipped example config, its bash completion is driven by the
# installed binary, its unit passes systemd-analyze verify, lintian finds
# nothing, and it purges cleanly. No namespace, no systemd as PID 1.
cd "$(dirname "$0")/../.." || exit 1
n=0
fail=0
check() { # description, command...
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fail=1; fi
}
diag() { echo "# $*"; }
R=$(mktemp -d /tmp/xlb-pkg.XXXXXX)
V=$(mktemp -d /tmp/xlb-pkg-unit.XXXXXX)
trap 'rm -rf "$R" "$V"' EXIT
# Tags lintian may report (none today; name each with its reason).
LINTIAN_ALLOWED=""

t0=$SECONDS
make -s deb >/dev/null
rc=$?
deb=$(ls build/deb/xdp-lb_*.deb 2>/dev/null | grep -v dbgsym | head -1)
check "make deb builds a package ($deb, rc=$rc, $((SECONDS - t0)) s)" \
	[ $rc -eq 0 -a -f "$deb" ]
[ -f "$deb" ] || exit 1

unit=$(dpkg-deb -c "$deb" | awk '{print $6}' | grep '/systemd/system/xdp-lb@.service$')
unitdir=${unit#.}
unitdir=${unitdir%/*}
want=$(sort <<EOF2
./usr/sbin/xdp-lb
./usr/share/man/man8/xdp-lb.8.gz
.$unitdir/xdp-lb@.service
./usr/share/bash-completion/completions/xdp-lb
./usr/share/doc/xdp-lb/examples/example.yaml
./usr/share/doc/xdp-lb/README.md.gz
./usr/share/doc/xdp-lb/config.md.gz
./usr/share/doc/xdp-lb/modes.md.gz
./usr/share/doc/xdp-lb/changelog.gz
./usr/share/doc/xdp-lb/copyright
EOF2
)
have=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort)
check "the package ships exactly the expected files" [ "$have" = "$want" ]
[ "$have" = "$want" ] || diff <(echo "$want") <(echo "$have") | sed 's/^/# /'
check "the unit lands in systemd's unit directory ($unitdir)" \
	[ "$unitdir" = "$(pkg-config --variable=systemdsystemunitdir systemd)" ]
check "/etc/xdp-lb is created for the configs" \
	bash -c "dpkg-deb -c '$deb' | grep ' ./etc/xdp-lb/$' >/dev/null"
deps=$(dpkg-deb -f "$deb" Depends)
check "Depends has the libraries it links (libbpf1, libxdp1, libsystemd0: $deps)" \
	bash -c "grep -q 'libbpf1' <<<'$deps' && grep -q 'libxdp1' <<<'$deps' && grep -q 'libsystemd0' <<<'$deps'"

mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
touch "$R/var/lib/dpkg/status"
# The scratch root has no libraries: the dependencies are the host's.
out=$(dpkg --root="$R" --log=/dev/null --force-depends -i "$deb" 2>&1)
rc=$?
check "dpkg --root installs it (rc=$rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/# /' <<<"$out"
check "dpkg knows it as installed" \
	bash -c "dpkg --root='$R' -s xdp-lb | grep -q '^Status: install ok installed'"
X=$R/usr/sbin/xdp-lb
ver=$("$X" --version)
check "installed binary: --version ($ver) matches the package version" \
	[ "$ver" = "xdp-lb $(dpkg-deb -f "$deb" Version)" ]
ex=$R/usr/share/doc/xdp-lb/examples/example.yaml
out=$("$X" check -c "$ex")
rc=$?
check "installed binary: check -c on the shipped example exits 0 ($out)" \
	[ $rc -eq 0 ]
check "the man page has a SYSTEMD section naming the unit" \
	bash -c "zcat '$R/usr/share/man/man8/xdp-lb.8.gz' | sed -n '/^\.SH SYSTEMD/,/^\.SH /p' | grep -F 'xdp-lb@.service' >/dev/null"

# Completion from the installed binary's own command list.
comp() { # words...: prints COMPREPLY
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _xdp_lb; echo "${COMPREPLY[*]}"' \
		_ "$R/usr/share/bash-completion/completions/xdp-lb" "$@"
}
got=$(comp "$X" backend "")
check "completion: xdp-lb backend <TAB> -> $got" [ "$got" = "add del drain undrain weight" ]
got=$(comp "$X" ba)
check "completion: xdp-lb ba<TAB> -> $got" [ "$got" = "backend" ]
got=$(comp "$X" attach lo --xdp-mode "")
check "completion: attach IFACE --xdp-mode <TAB> -> $got" [ "$got" = "native skb" ]
got=$(comp "$X" attach l)
check "completion: attach <TAB> offers interfaces ($got)" [ "$got" = "lo" ]
got=$(comp "$X" -i lo status -)
check "completion: status - offers its options ($got)" [ "$got" = "--json --fresh --help" ]

# systemd-analyze verify on the shipped unit: ExecStart must point at the
# installed binary (here under the scratch root) and man:xdp-lb(8) exist.
u=$R$unitdir/xdp-lb@.service
sed "s|/usr/sbin/xdp-lb|$X|g" "$u" >"$V/xdp-lb@.service"
out=$(MANPATH=$R/usr/share/man systemd-analyze verify "$V/xdp-lb@.service" 2>&1)
rc=$?
check "systemd-analyze verify passes on the unit, silent (rc=$rc)" \
	[ $rc -eq 0 -a -z "$out" ]
[ -z "$out" ] || sed 's/^/# /' <<<"$out"
for k in 'Type=notify' 'WatchdogSec=' 'ExecStart=/usr/sbin/xdp-lb attach %I -c /etc/xdp-lb/%I.yaml' \
	'ExecReload=/usr/sbin/xdp-lb -i %I reload' 'ProtectSystem=strict' \
	'ReadWritePaths=/sys/fs/bpf' 'RuntimeDirectory=xdp-lb' 'PrivateTmp=yes' \
	'CapabilityBoundingSet='; do
	check "unit has $k" grep -q "^$k" "$u"
done

if command -v lintian >/dev/null; then
	t1=$SECONDS
	tags=$(lintian --pedantic -E "$deb" 2>/dev/null | grep -E '^[EWIPX]: ')
	for a in $LINTIAN_ALLOWED; do tags=$(grep -v " $a\( \|$\)" <<<"$tags"); done
	check "lintian --pedantic: no tags ($((SECONDS - t1)) s)" [ -z "$tags" ]
	[ -z "$tags" ] || sed 's/^/# /' <<<"$tags"
else
	check "lintian is installed (tests/deps.sh)" false
fi

out=$(dpkg --root="$R" --log=/dev/null -P xdp-lb 2>&1)
check "dpkg -P removes it and every file it shipped" \
	bash -c "[ ! -e '$X' ] && [ ! -e '$u' ] && [ ! -e '$R/usr/share/doc/xdp-lb' ]"
diag "package test: $((SECONDS - t0)) s in all"
exit $fail
