#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Test back end: an HTTP/1.1 server that names itself.

GET /            -> "NAME\n"
GET /slow?secs=N -> one line "NAME i\n" per second for N seconds (a long download)
Usage: backend.py NAME [PORT]   (listens on :: and 0.0.0.0)
"""
import http.server
import socket
import sys
import time
import urllib.parse

NAME = sys.argv[1]
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 80


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
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


Server(("::", PORT), Handler).serve_forever()
