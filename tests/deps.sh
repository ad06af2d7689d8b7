#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install what building and testing xdp-lb needs (Debian 12), if missing,
# and make sure bpffs is mounted.
set -e
PKGS="clang llvm make gcc pkg-config libbpf-dev libxdp-dev bpftool
      libcmocka-dev libyaml-dev libjson-c-dev libevent-dev libelf-dev
      zlib1g-dev libnl-3-dev libnl-route-3-dev libsystemd-dev iproute2 iputils-ping procps ethtool python3 curl
      bird2
      ${EXTRA_PKGS:-}"
# make deb and tests/e2e/test_package.sh: the Debian tools, and systemd
# for systemd-analyze verify (not as PID 1)
PKGS="$PKGS debhelper dpkg-dev lintian systemd man-db"
# The HTTP listener's tests: promtool checks /metrics, headless Chromium
# drives the console over the DevTools protocol (tests/e2e/console.py).
PKGS="$PKGS prometheus chromium python3-websocket"
# make fuzz-ctl: clang's libFuzzer and sanitizer runtimes
PKGS="$PKGS libclang-rt-14-dev"
# test_cluster: what the routed hop forwards to the tunnel back ends
PKGS="$PKGS tcpdump"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq $missing >/dev/null
fi
mountpoint -q /sys/fs/bpf 2>/dev/null || mount -t bpf bpf /sys/fs/bpf
