#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A stand-in for systemd's side of sd_notify(3): bind the datagram socket
that NOTIFY_SOCKET names and log every message, one line each:

    SECONDS PID FIELD=VALUE|FIELD=VALUE...

SECONDS is the kernel's receive time (SO_TIMESTAMP, wall clock), so a busy
listener does not shift it.
With --on-ready CMD, the sender of READY=1 is stopped (SIGSTOP) as soon as
the message arrives, CMD runs (bash -c) against the frozen state, its exit
status is logged as "SECONDS PID on_ready_check=STATUS" (SECONDS: when the
sender continues), and the sender continues (SIGCONT). So CMD sees what was done before READY=1, nothing
after. Exits after --lifetime seconds at most, or on SIGTERM.
"""
import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import time

# Linux's SO_TIMESTAMP (asm-generic; Python does not name it)
SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("log")
    ap.add_argument("--on-ready")
    ap.add_argument("--lifetime", type=float, default=120)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        os.unlink(a.path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
    s.bind(a.path)
    end = time.monotonic() + a.lifetime
    creds = struct.calcsize("3i")
    tv = struct.calcsize("ll")
    with open(a.log, "a", buffering=1) as log:
        while time.monotonic() < end:
            s.settimeout(max(0.1, end - time.monotonic()))
            try:
                msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(creds) +
                                         socket.CMSG_SPACE(tv))
            except socket.timeout:
                continue
            now, pid = time.time(), 0
            for level, kind, data in anc:
                if level != socket.SOL_SOCKET:
                    continue
                if kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", data[:creds])[0]
                elif kind == SO_TIMESTAMP:
                    sec, usec = struct.unpack("ll", data[:tv])
                    now = sec + usec / 1e6
            fields = msg.decode(errors="replace").strip("\n").split("\n")
            if a.on_ready and "READY=1" in fields and pid > 0:
                os.kill(pid, signal.SIGSTOP)
                try:
                    rc = subprocess.run(["bash", "-c", a.on_ready],
                                        timeout=30).returncode
                finally:
                    resumed = time.time()
                    os.kill(pid, signal.SIGCONT)
                log.write("%.6f %d %s\n" % (now, pid, "|".join(fields)))
                log.write("%.6f %d on_ready_check=%d\n" % (resumed, pid, rc))
                continue
            log.write("%.6f %d %s\n" % (now, pid, "|".join(fields)))


if __name__ == "__main__":
    main()
