#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Drive the web console in headless Chromium over the DevTools protocol
(Debian chromium and python3-websocket; run it with Debian's python3).

console.py URL STATUS_CMD KILL_CMD KILL_ADDR DRAIN_ADDR TOKEN SCREENSHOT
console.py shot URL SCREENSHOT SECS   (open the page, SECS later print how
                                      often it read the status, and save a
                                      screenshot unless SCREENSHOT is -)

Bounded in time (SIGALRM); SIGTERM ends it too, killing Chromium.
STATUS_CMD prints `xdp-lb status --json`; KILL_CMD stops the server of
back end KILL_ADDR (service web). Checks, one line each (PASS/FAIL text):
the page shows every back end of status; KILL_ADDR shows down without a
reload; a drain of DRAIN_ADDR without the token is refused and changes
nothing; with the token it changes the state in status. Saves a
screenshot. Every wait is bounded; Chromium is killed on exit.
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Page:
    def __init__(self, ws):
        self.ws, self.n = ws, 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({'id': self.n, 'method': method,
                                 'params': params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get('id') == self.n:
                if 'error' in m:
                    raise RuntimeError(f'{method}: {m["error"]}')
                return m.get('result', {})

    def js(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True,
                      awaitPromise=True)
        if 'exceptionDetails' in r:
            raise RuntimeError(f'{expr}: {r["exceptionDetails"]}')
        return r['result'].get('value')

    def wait(self, expr, secs):
        end = time.time() + secs
        while time.time() < end:
            try:
                if self.js(expr):
                    return True
            except RuntimeError:
                pass
            time.sleep(0.1)
        return False


def launch(tmp):
    chrome = subprocess.Popen(
        ['chromium', '--headless=new', '--no-sandbox', '--disable-gpu',
         '--no-first-run', '--no-default-browser-check',
         '--user-data-dir=' + tmp, '--remote-debugging-port=0',
         '--window-size=1500,1000', 'about:blank'],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own process group: killed whole
    try:
        port_file = os.path.join(tmp, 'DevToolsActivePort')
        end = time.time() + 30
        while time.time() < end and not os.path.exists(port_file):
            time.sleep(0.1)
        with open(port_file) as f:
            port = int(f.readline())
        with urllib.request.urlopen(f'http://127.0.0.1:{port}/json/list',
                                    timeout=10) as r:
            targets = [t for t in json.load(r) if t['type'] == 'page']
        ws = websocket.create_connection(targets[0]['webSocketDebuggerUrl'],
                                         timeout=20, suppress_origin=True)
    except BaseException:
        stop(chrome)
        raise
    return chrome, Page(ws)


def stop(chrome):
    try:
        os.killpg(chrome.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    chrome.wait()


def backend_state(status_cmd, addr):
    st = json.loads(subprocess.run(status_cmd, shell=True, check=True,
                                   capture_output=True, timeout=10).stdout)
    for b in st['services'][0]['backends']:
        if b['addr'] == addr:
            return b['state']
    return None


def row(addr):
    return f'document.querySelector(\'tr.be[data-svc="web"][data-addr="{addr}"]\')'


def take_shot(url, out, secs):
    tmp = tempfile.mkdtemp(prefix='xlb-chromium-')
    chrome = None
    try:
        chrome, page = launch(tmp)
        page.call('Page.enable')
        page.call('Page.navigate', url=url)
        start = time.time()
        page.wait('window.xlbPolls >= 2', secs)  # loaded, read once
        t0, p0 = time.time(), page.js('window.xlbPolls')
        time.sleep(max(1.0, start + secs - time.time()))
        n, dt = page.js('window.xlbPolls') - p0, time.time() - t0
        print(f'polls {n} in {dt:.1f} s: every {dt / max(n, 1):.2f} s; '
              f'render_ms {page.js("window.xlbRenderMs")}', flush=True)
        if out == '-':
            return
        png = page.call('Page.captureScreenshot', format='png',
                        captureBeyondViewport=True)
        with open(out, 'wb') as f:
            f.write(base64.b64decode(png['data']))
    finally:
        if chrome:
            stop(chrome)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if sys.argv[1] == 'shot':
        return take_shot(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    url, status_cmd, kill_cmd, kill_addr, drain_addr, token, shot = sys.argv[1:8]
    results = []

    def check(desc, ok):
        results.append(ok)
        print(('PASS ' if ok else 'FAIL ') + desc, flush=True)

    tmp = tempfile.mkdtemp(prefix='xlb-chromium-')
    chrome = None
    try:
        chrome, page = launch(tmp)
        page.call('Page.enable')
        page.call('Page.navigate', url=url)
        st = json.loads(subprocess.run(status_cmd, shell=True, check=True,
                                       capture_output=True).stdout)
        want = sorted((s['name'], b['addr']) for s in st['services']
                      for b in s['backends'])
        page.wait(f'document.querySelectorAll("tr.be").length >= {len(want)}', 15)
        got = sorted(tuple(x) for x in page.js(
            '[...document.querySelectorAll("tr.be")].map(r => [r.dataset.svc, r.dataset.addr])'))
        check(f'the page shows every back end of status ({len(got)} of {len(want)})',
              got == want)
        page.js('window.__xlbMark = 42')
        t0 = time.time()
        subprocess.run(kill_cmd, shell=True, timeout=10)
        down = page.wait(f'{row(kill_addr)}.querySelector(".state").textContent === "down"', 10)
        check(f'{kill_addr} shows down {time.time() - t0:.1f} s after its server was killed',
              down)
        check('... without a reload of the page', page.js('window.__xlbMark') == 42)

        drain = f'[...{row(drain_addr)}.querySelectorAll("button")].find(b => b.textContent === "drain").click()'
        page.js('document.getElementById("token").value = ""')
        page.js(drain)
        refused = page.wait('document.getElementById("msg").textContent.includes("401")', 10)
        check('a drain from the page without the token is refused (401 shown)', refused)
        check('... and the back end stays active in status',
              backend_state(status_cmd, drain_addr) == 'active')
        page.js(f'document.getElementById("token").value = {json.dumps(token)}')
        page.js(drain)
        end, state = time.time() + 10, None
        while time.time() < end and state != 'draining':
            state = backend_state(status_cmd, drain_addr)
            time.sleep(0.2)
        check(f'a drain from the page with the token: status says {state}',
              state == 'draining')
        shown = page.wait(f'{row(drain_addr)}.querySelector(".state").textContent === "draining"', 10)
        logged = page.wait('[...document.querySelectorAll("#evbody tr")].some(r => r.dataset.kind === "drain")', 10)
        check('the page shows it draining and the drain in its event log',
              shown and logged)
        time.sleep(1.6)  # one more refresh: the charts have points
        png = page.call('Page.captureScreenshot', format='png',
                        captureBeyondViewport=True)
        with open(shot, 'wb') as f:
            f.write(base64.b64decode(png['data']))
        check(f'screenshot saved as {shot}', os.path.getsize(shot) > 10000)
    except Exception as e:  # a broken step is a failure, not a crash
        check(f'the browser session ran to its end ({e})', False)
    finally:
        if chrome:
            stop(chrome)
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(0 if all(results) else 1)


# SIGTERM (the test's trap, timeout) ends through the finally blocks,
# which kill Chromium.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
# and the whole run is bounded: 60 s more than the longest wait asked for
signal.signal(signal.SIGALRM, lambda *_: sys.exit('console.py: out of time'))
signal.alarm(60 + (int(float(sys.argv[4])) if sys.argv[1] == 'shot' else 60))
main()
