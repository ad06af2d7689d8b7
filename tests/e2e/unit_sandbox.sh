#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# unit_sandbox.sh CAPS COMMAND...: run COMMAND roughly as the unit
# xdp-lb@.service has systemd run it, without systemd: a mount namespace of
# its own in which every file system is read-only (ProtectSystem=strict,
# ProtectKernelTunables) except /sys/fs/bpf and /run/xdp-lb (ReadWritePaths,
# RuntimeDirectory), /dev and /proc, with an empty private /tmp
# (PrivateTmp); then the capability bounding set CAPS (setpriv's
# "+sys_admin,+net_admin") and no_new_privs. Every step execs: COMMAND keeps
# this script's PID. The namespace is private: nothing leaks to the host.
caps=$1
shift
mkdir -p /run/xdp-lb # RuntimeDirectory=xdp-lb
exec unshare -m --propagation private sh -c '
	caps=$1
	shift
	mount --bind /run/xdp-lb /run/xdp-lb || exit 1
	findmnt -rn -o TARGET | while read -r m; do
		case $m in
		/dev | /dev/* | /proc | /proc/* | /sys/fs/bpf | /run/xdp-lb) ;;
		*) mount -o remount,bind,ro "$m" 2>/dev/null ;;
		esac
	done
	mount -t tmpfs -o mode=1777 tmpfs /tmp || exit 1
	exec setpriv --bounding-set=-all,"$caps" --inh-caps=-all \
		--no-new-privs -- "$@"' sh "$caps" "$@"
