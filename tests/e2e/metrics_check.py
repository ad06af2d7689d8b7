#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Compare a /metrics scrape with `xdp-lb status --json` taken just before
and just after it (no traffic in between).

metrics_check.py METRICS_FILE STATUS_BEFORE STATUS_AFTER
Every value the status has must be in the scrape and equal the value
before, or lie between before and after (counters that moved: probes,
neighbour packets). Prints one line per mismatch and a summary; exits 1 on
any mismatch.
"""
import json
import re
import sys

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    out = {}
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        m = LINE.match(line)
        if not m:
            raise SystemExit(f'unparsable line: {line!r}')
        labels = tuple(sorted(LABEL.findall(m.group(2) or '')))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def main():
    metrics = parse(open(sys.argv[1]).read())
    st = json.load(open(sys.argv[2]))
    after = json.load(open(sys.argv[3]))
    bad, n = [], 0

    def want(name, labels, get):
        """get(status) -> the value in a status object."""
        nonlocal n
        try:
            value, hi = get(st), get(after)
        except (KeyError, IndexError, TypeError):
            value, hi = get(st), None
        if value is None:
            return
        value = float(value)
        hi = value if hi is None else float(hi)
        n += 1
        key = (name, tuple(sorted(labels.items())))
        got = metrics.get(key)
        lo, hi = min(value, hi), max(value, hi)
        eps = 1e-6 * max(1.0, abs(value))
        if got is None:
            bad.append(f'missing {name}{labels} (status: {value})')
        elif not lo - eps <= got <= hi + eps:
            bad.append(f'{name}{labels}: metrics {got} not in status {lo}..{hi}')

    for i, s in enumerate(st['services']):
        sl = {'service': s['name'], 'vip': s['endpoint'], 'mode': s['mode']}
        for f, k in (('packets_total', 'packets'), ('bytes_total', 'bytes'),
                     ('new_flows_total', 'new_flows'), ('flows', 'flows'),
                     ('all_down', 'all_down'),
                     ('table_rebuilds_total', 'table_rebuilds')):
            want('xdp_lb_service_' + f, sl,
                 lambda o, i=i, k=k: o['services'][i][k])
        for j, b in enumerate(s['backends']):
            bl = {'service': s['name'], 'backend': b['addr']}

            def be(o, i=i, j=j):
                return o['services'][i]['backends'][j]
            for f, k in (('packets_total', 'packets'), ('bytes_total', 'bytes'),
                         ('new_flows_total', 'new_flows'), ('flows', 'flows'),
                         ('weight', 'weight'),
                         ('effective_weight', 'effective_weight'),
                         ('share_percent', 'share'),
                         ('actual_share_percent', 'actual_share'),
                         ('load_percent', 'load')):
                want('xdp_lb_backend_' + f, bl,
                     lambda o, k=k, be=be: be(o)[k])
            for state in ('active', 'down', 'draining', 'maint', 'removing'):
                want('xdp_lb_backend_state', dict(bl, state=state),
                     lambda o, state=state, be=be: int(be(o)['state'] == state))
            if b['health'] != 'none':
                want('xdp_lb_backend_health_up', bl,
                     lambda o, be=be: int(be(o)['health'] == 'up'))
                for r, k in (('ok', 'probes_ok'), ('failed', 'probes_failed')):
                    want('xdp_lb_backend_probes_total', dict(bl, result=r),
                         lambda o, k=k, be=be: be(o)[k])
    for reason in st['outcomes']:
        want('xdp_lb_outcome_packets_total', {'reason': reason},
             lambda o, r=reason: o['outcomes'][r])
    for fam in ('ipv4', 'ipv6'):
        for k in ('entries', 'capacity'):
            want('xdp_lb_flow_table_' + k, {'family': fam},
                 lambda o, fam=fam, k=k: o['flow_table'][fam][k])
    want('xdp_lb_flows_expired_total', {}, lambda o: o['expired_flows'])
    want('xdp_lb_build_info', {'version': st['version'],
                               'interface': st['interface']}, lambda o: 1)
    for line in bad:
        print(line)
    print(f'{n - len(bad)} of {n} values equal')
    sys.exit(1 if bad or n == 0 else 0)


main()
