#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Test client.

count HOST PORT N      N new TCP connections, one GET / each; prints a JSON
                       tally {"b1": n, ..., "errors": n}. Bounded: 2 s per
                       connection, 120 s in all.
hold HOST PORT SECS    one keep-alive connection, GET / every 0.2 s for SECS
                       seconds, or until SIGUSR1 (then it finishes the
                       request under way and reports); prints who answered;
                       exits 1 if a request failed or the answering back end
                       ever changed.
slow HOST PORT SECS    one GET /slow?secs=SECS; exits 1 unless all SECS lines
                       arrive from one back end.
lateclose HOST PORT SECS
                       one GET /lateclose: half-closes after the answer; the
                       back end closes SECS s later (the client's last ACK
                       comes after the balancer forgot the flow if
                       tcp_fin < SECS); prints the back end's name.
download HOST PORT SIZE N
                       N downloads of SIZE bytes from /bytes, each on a new
                       connection, each compared byte for byte with the
                       stream the back end sends (backend.py blob());
                       prints {"ok": n, "bad": n, "errors": n, "b1": n, ...}.
idle HOST PORT SECS N  N connections, one GET / each, then held open and
                       idle for SECS seconds (live flows pinned to their back
                       ends); prints the tally once they are open, then
                       closes them. Bounded by SECS + 2 s per connection.
peer HOST PORT SPORT   one GET /peer with Connection: close from source port
                       SPORT, read to the server's close (the back end
                       closes first and holds TIME_WAIT); prints the body
                       ("bN ADDR PORT": the back end and the source it saw).
ports HOST PORT LIST    one GET /peer per source port in LIST ("46000-46035"
                       or "46001,46007"), each bound to that port, read to
                       the server's close (the back end closes first, so
                       the port is free again at once on the client); prints
                       JSON {"b1": [ports], ..., "errors": [ports]}.
                       Bounded: 3 s per connection, 120 s in all.
holdport HOST PORT SPORT SECS
                       one keep-alive GET / from source port SPORT; prints
                       who answered, then holds the connection open SECS
                       seconds (or until SIGTERM) and closes it.
streams HOST PORT N SECS
                       N long-lived connections to /echo, each sending a
                       numbered line every 100 ms and checking that every
                       echo comes back byte for byte, in order, from the
                       back end that answered first; until SIGUSR1 or SECS.
                       Prints "ready" once all are open, then at the end a
                       JSON report: broken (with why), moved back ends,
                       lines, max_gap_ms (the longest wait for an echo: the
                       recovery time when a path dies).
bigecho HOST PORT SIZE N
                       N connections to /echo, each sending one SIZE-byte
                       line (at most 4,000: full-size segments) and reading
                       it back byte for byte; prints {"b1": n, ...,
                       "errors": n}. Bounded: 3 s per read, 60 s in all.
retry HOST PORT N      like count, but a failed request is retried on a new
                       connection (up to 10 times, 0.1 s apart), as a client
                       would; "errors" counts requests that never succeeded,
                       "retries" the failed attempts.
"""
import hashlib
import http.client
import json
import select
import signal
import socket
import sys
import time


def get(conn):
    conn.request("GET", "/")
    return conn.getresponse().read().decode().strip()


def count(host, port, n):
    tally = {"errors": 0}
    deadline = time.monotonic() + 120
    for _ in range(n):
        if time.monotonic() > deadline:
            tally["errors"] += 1
            continue
        conn = http.client.HTTPConnection(host, port, timeout=2)
        try:
            name = get(conn)
            tally[name] = tally.get(name, 0) + 1
        except (OSError, http.client.HTTPException):
            tally["errors"] += 1
        finally:
            conn.close()
    print(json.dumps(tally, sort_keys=True))
    return 0


def retry(host, port, n):
    tally = {"errors": 0, "retries": 0}
    deadline = time.monotonic() + 120
    for _ in range(n):
        for attempt in range(10):
            if time.monotonic() > deadline:
                break
            conn = http.client.HTTPConnection(host, port, timeout=1)
            try:
                name = get(conn)
                tally[name] = tally.get(name, 0) + 1
                break
            except (OSError, http.client.HTTPException):
                tally["retries"] += 1
                time.sleep(0.1)
            finally:
                conn.close()
        else:
            tally["errors"] += 1
    print(json.dumps(tally, sort_keys=True))
    return 0


def hold(host, port, secs):
    conn = http.client.HTTPConnection(host, port, timeout=2)
    first, n = None, 0
    end = time.monotonic() + secs
    stop = []
    signal.signal(signal.SIGUSR1, lambda *_: stop.append(1))
    try:
        while time.monotonic() < end and not stop:
            name = get(conn)
            n += 1
            if first is None:
                first = name
                print(f"held connection answered by {name}", flush=True)
            elif name != first:
                print(f"MOVED: request {n} answered by {name}, not {first}")
                return 1
            time.sleep(0.2)
    except OSError as e:
        print(f"FAILED after {n} requests to {first}: {e}")
        return 1
    print(f"held connection: {n} requests, all answered by {first}")
    return 0


class Stream:
    def __init__(self, host, port, idx):
        self.idx, self.seq, self.pending, self.buf = idx, 0, [], b""
        self.name, self.why, self.lines, self.max_gap = None, None, 0, 0.0
        self.sock = socket.create_connection((host, port), timeout=3)
        self.sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            b = self.sock.recv(1)
            if not b:
                raise OSError("closed before the reply header")
            head += b
        if b" 200 " not in head.split(b"\r\n")[0]:
            raise OSError("bad reply %r" % head[:40])
        self.sock.setblocking(False)

    def line(self, seq):
        return b"s%d %d %s\n" % (self.idx, seq, b"x" * (seq % 37))

    def send(self, now):
        if self.why:
            return
        try:
            self.sock.send(self.line(self.seq))
        except BlockingIOError:
            return  # counted as a gap when the echo is late
        except OSError as e:
            self.why = f"send: {e}"
            return
        self.pending.append((self.seq, now))
        self.seq += 1

    def recv(self, now):
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            self.why = f"recv: {e}"
            return
        if not data:
            self.why = "closed by the peer"
            return
        self.buf += data
        while b"\n" in self.buf and not self.why:
            got, self.buf = self.buf.split(b"\n", 1)
            name, _, rest = got.partition(b" ")
            if not self.pending:
                self.why = "an echo nobody sent"
                break
            seq, sent = self.pending.pop(0)
            if self.name is None:
                self.name = name.decode()
            if name.decode() != self.name:
                self.why = f"moved from {self.name} to {name.decode()}"
            elif rest + b"\n" != self.line(seq):
                self.why = f"line {seq} came back changed"
            self.lines += 1
            self.max_gap = max(self.max_gap, now - sent)

    def gap(self, now):
        return max(self.max_gap, now - self.pending[0][1] if self.pending else 0)


def streams(host, port, n, secs):
    stop = []
    signal.signal(signal.SIGUSR1, lambda *_: stop.append(1))
    ss = [Stream(host, port, i) for i in range(n)]
    end, tick = time.monotonic() + secs, time.monotonic()
    ready = False
    while time.monotonic() < end and not stop:
        now = time.monotonic()
        if now >= tick:
            for s in ss:
                s.send(now)
            tick += 0.1
        r, _, _ = select.select([s.sock for s in ss if not s.why], [], [],
                                max(0, min(tick - time.monotonic(), 0.1)))
        for s in ss:
            if s.sock in r:
                s.recv(time.monotonic())
        if not ready and all(s.name or s.why for s in ss):
            ready = True
            print("ready " + json.dumps({s.idx: s.name for s in ss}), flush=True)
    drain_end = time.monotonic() + 5  # the echoes still under way
    while any(s.pending and not s.why for s in ss) and time.monotonic() < drain_end:
        r, _, _ = select.select([s.sock for s in ss if not s.why], [], [], 0.1)
        for s in ss:
            if s.sock in r:
                s.recv(time.monotonic())
    now = time.monotonic()
    for s in ss:
        if not s.why and s.pending:
            s.why = f"{len(s.pending)} lines never echoed"
        s.sock.close()
    rep = {"streams": n, "broken": sum(1 for s in ss if s.why),
           "lines": sum(s.lines for s in ss),
           "max_gap_ms": round(1000 * max(s.gap(now) for s in ss)),
           "why": sorted({s.why for s in ss if s.why}),
           "backends": {}}
    for s in ss:
        rep["backends"][s.name] = rep["backends"].get(s.name, 0) + 1
    print(json.dumps(rep, sort_keys=True), flush=True)
    return 1 if rep["broken"] else 0


def bigecho(host, port, size, n):
    line = bytes(48 + i % 10 for i in range(min(size, 4000) - 1)) + b"\n"
    tally = {"errors": 0}
    deadline = time.monotonic() + 60
    for _ in range(n):
        if time.monotonic() > deadline:
            tally["errors"] += 1
            continue
        try:
            with socket.create_connection((host, port), timeout=3) as s:
                s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n" + line)
                s.shutdown(socket.SHUT_WR)
                data = b""
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    data += b
        except OSError:
            tally["errors"] += 1
            continue
        head, _, body = data.partition(b"\r\n\r\n")
        name, _, rest = body.partition(b" ")
        if b" 200 " in head.split(b"\r\n")[0] and rest == line:
            tally[name.decode()] = tally.get(name.decode(), 0) + 1
        else:
            tally["errors"] += 1
    print(json.dumps(tally, sort_keys=True))
    return 0


def slow(host, port, secs):
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", f"/slow?secs={secs}")
        lines = conn.getresponse().read().decode().split()
    except OSError as e:
        print(f"FAILED: {e}")
        return 1
    names = set(lines[0::2])
    ok = len(lines) == 2 * secs and len(names) == 1
    print(f"slow download: {len(lines) // 2} of {secs} lines from {sorted(names)}")
    return 0 if ok else 1




def read_answer(s):
    """The body of a one-line answer on socket s (headers skipped)."""
    data = b""
    while not data.partition(b"\r\n\r\n")[2].endswith(b"\n"):
        b = s.recv(4096)
        if not b:
            break
        data += b
    return data.partition(b"\r\n\r\n")[2].decode().strip()


def lateclose(host, port, secs):
    """GET /lateclose?secs=SECS, half-close, read to the server's FIN;
    prints the back end's name. Bounded by SECS + 5 s."""
    try:
        with socket.create_connection((host, port), timeout=secs + 5) as s:
            s.sendall(f"GET /lateclose?secs={secs} HTTP/1.1\r\n"
                      f"Host: {host}\r\n\r\n".encode())
            name = read_answer(s)
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):  # to the server's FIN, SECS s later
                pass
    except OSError as e:
        print(f"FAILED: {e}")
        return 1
    print(name)
    return 0


def blob(n):
    return b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest()
                    for i in range((n + 31) // 32))[:n]


def download(host, port, size, n):
    want = blob(size)
    tally = {"ok": 0, "bad": 0, "errors": 0}
    deadline = time.monotonic() + 120
    for _ in range(n):
        if time.monotonic() > deadline:
            tally["errors"] += 1
            continue
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.request("GET", f"/bytes?n={size}")
            r = conn.getresponse()
            body = r.read()
            who = r.getheader("X-Backend", "?")
            tally[who] = tally.get(who, 0) + 1
            tally["ok" if body == want else "bad"] += 1
        except (OSError, http.client.HTTPException):
            tally["errors"] += 1
        finally:
            conn.close()
    print(json.dumps(tally))


def idle(host, port, secs, n):
    conns, tally = [], {"errors": 0}
    for _ in range(n):
        conn = http.client.HTTPConnection(host, port, timeout=2)
        try:
            name = get(conn)
            tally[name] = tally.get(name, 0) + 1
            conns.append(conn)
        except (OSError, http.client.HTTPException):
            tally["errors"] += 1
            conn.close()
    print(json.dumps(tally, sort_keys=True), flush=True)
    time.sleep(secs)
    for conn in conns:
        conn.close()
    return 0


def peer(host, port, sport):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(3)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
        s.connect((host, port))
        s.sendall(b"GET /peer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.") or b" 200 " not in head.split(b"\r\n")[0]:
        print("bad reply: %r" % data[:80])
        sys.exit(1)
    print(body.decode().strip())


def port_list(spec):
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += range(int(a), int(b or a) + 1)
    return out


def connect_from(host, port, sport, timeout):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(timeout)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    s.connect((host, port))
    return s


def ports(host, port, spec):
    out = {"errors": []}
    deadline = time.monotonic() + 120
    for sport in port_list(spec):
        try:
            if time.monotonic() > deadline:
                raise OSError("out of time")
            with connect_from(host, port, sport, 3) as s:
                s.sendall(b"GET /peer HTTP/1.1\r\nHost: x\r\n"
                          b"Connection: close\r\n\r\n")
                data = b""
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    data += b
            name = data.partition(b"\r\n\r\n")[2].split()[0].decode()
            out.setdefault(name, []).append(sport)
        except (OSError, IndexError):
            out["errors"].append(sport)
    print(json.dumps(out, sort_keys=True))
    return 0


def holdport(host, port, sport, secs):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = connect_from(host, port, sport, 3)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    print(read_answer(s), flush=True)
    time.sleep(secs)
    s.close()
    return 0


def main():
    if sys.argv[1] == "ports":
        return ports(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    if sys.argv[1] == "holdport":
        return holdport(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                        int(sys.argv[5]))
    cmd, host, port, arg = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if cmd == "idle":
        return idle(host, port, arg, int(sys.argv[5]))
    if cmd == "streams":
        return streams(host, port, arg, int(sys.argv[5]))
    if cmd == "download":
        return download(host, port, arg, int(sys.argv[5]))
    if cmd == "lateclose":
        return lateclose(host, port, arg)
    if cmd == "bigecho":
        return bigecho(host, port, arg, int(sys.argv[5]))
    return {"count": count, "hold": hold, "slow": slow, "retry": retry,
            "peer": peer}[cmd](host, port, arg)


sys.exit(main())
