#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Tiny HAProxy agent-check agent for the tests: on every connection it
writes the first line of FILE (what the test wants this back end to
report, e.g. "75%", "up 10%", "drain"; "up" when the file is missing)
and closes.

Usage: agent.py PORT FILE   (listens on :: and 0.0.0.0)
"""
import socket
import sys

PORT = int(sys.argv[1])
FILE = sys.argv[2]

srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
srv.bind(("::", PORT))
srv.listen(64)
while True:
    conn, _ = srv.accept()
    try:
        with open(FILE) as f:
            line = f.readline().strip()
    except OSError:
        line = "up"
    try:
        conn.sendall((line + "\n").encode())
    except OSError:
        pass
    conn.close()
