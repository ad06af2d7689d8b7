#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Test back end: an HTTP/1.1 server that names itself.

GET /            -> "NAME\n"
GET /slow?secs=N -> one line "NAME i\n" per second for N seconds (a long download)
GET /echo        -> every line the client sends after the request, sent
                    back as "NAME line" (a long-lived stream)
GET /bytes?n=N   -> N bytes of a fixed pseudo-random stream (blob(N)), with
                    an X-Backend: NAME header (byte-exact transfer checks)
GET /lateclose?secs=N -> "NAME\n"; once the client has closed its side,
                    waits N seconds before closing (its FIN, and the
                    client's last ACK, come N s after the client's FIN)
Usage: backend.py NAME [PORT]   (listens on :: and 0.0.0.0)
With XLB_READY=FILE in the environment, writes the wall-clock time (ms
since the epoch) at which it started listening to FILE.
"""
import functools
import hashlib
import http.server
import os
import socket
import sys
import time
import urllib.parse

NAME = sys.argv[1]
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 80


@functools.lru_cache(maxsize=4)
def blob(n):
    """n bytes: sha256 of 0, 1, 2, ... (4-byte big endian), concatenated."""
    return b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()
                    for i in range((n + 31) // 32))[:n]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/bytes":
            n = min(int(urllib.parse.parse_qs(url.query).get("n", ["0"])[0]), 16 << 20)
            body = blob(n)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Backend", NAME)
            self.end_headers()
            self.wfile.write(body)
            return
        if url.path == "/echo":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            prefix = NAME.encode() + b" "
            while True:
                line = self.rfile.readline(4096)
                if not line:
                    break
                self.wfile.write(prefix + line)
            self.close_connection = True
            return
        if url.path == "/peer":  # who connected: address and port as seen here
            body = f"{NAME} {self.client_address[0]} {self.client_address[1]}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if url.path == "/lateclose":
            secs = min(float(urllib.parse.parse_qs(url.query).get("secs", ["1"])[0]), 30)
            body = f"{NAME}\n".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.rfile.read()  # to the client's FIN
            time.sleep(secs)
            self.close_connection = True
            return
        if url.path == "/slow":
            secs = min(int(urllib.parse.parse_qs(url.query).get("secs", ["5"])[0]), 120)
            self.send_response(200)
            self.send_header("Content-Length", str(sum(len(f"{NAME} {i}\n") for i in range(secs))))
            self.end_headers()
            for i in range(secs):
                self.wfile.write(f"{NAME} {i}\n".encode())
                self.wfile.flush()
                time.sleep(1)
            return
        body = f"{NAME}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    request_queue_size = 512

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


server = Server(("::", PORT), Handler)  # bound and listening
if os.environ.get("XLB_READY"):
    with open(os.environ["XLB_READY"] + ".tmp", "w") as f:
        f.write(f"{time.time_ns() // 1000000}\n")
    os.replace(os.environ["XLB_READY"] + ".tmp", os.environ["XLB_READY"])
server.serve_forever()
