#!/usr/bin/env python3
"""report.py DIR - results.md and PNG plots from the rows the scenario
scripts of scripts/bench/run.sh wrote into DIR (s1_steer.tsv,
s2_pps.tsv, s3_register.tsv, s4_calls.tsv, s5_xdp.txt, machine.txt).

Every derived figure is computed here, once:
- achieved/s = successful calls / sipp's elapsed time;
- clean = no failure, retransmissions under 0.1% of the requests sipp sent
  (3 a call: INVITE, ACK, BYE; 2 a registration), achieved within 5% of
  offered;
- per message = per call / 5 (INVITE, 200, ACK, BYE, 200 all cross the
  balancer); the XDP figure is run_time_ns / run_cnt itself;
- "added" whole-test CPU = whole-test CPU of a path minus that of the
  no-balancer path at the same offered rate, per call.
"""
import csv
import os
import statistics
import subprocess
import sys

MSGS_PER_CALL = 5


ORDER = ['none', 'kamailio', 'siplb', 'siplbd', 'siplbd-cluster']


def read_tsv(path):
    """The rows, by path in ORDER and then by rate (the scenarios write
    them in turns)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        rows = list(csv.DictReader(f, delimiter='\t'))
    key = lambda r: (ORDER.index(r.get('path', r.get('registrar'))) if
                     r.get('path', r.get('registrar')) in ORDER else 9,
                     int(r['rate']) if r.get('rate', '').isdigit() else 0)
    if rows and 'rate' in rows[0]:
        rows.sort(key=key)
    return rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, spec='%.1f'):
    return '-' if v is None else spec % v


def clean(r, requests_per):
    ok, created = num(r['ok']), num(r['created'])
    achieved = ok / num(r['elapsed']) if num(r['elapsed']) else 0
    return (num(r['failed']) == 0
            and num(r['retrans']) < 0.001 * requests_per * created
            and achieved >= 0.95 * num(r['rate'])), achieved


def rtt(r):
    v = num(r.get('rtt_ms'))
    if v is None:
        return '-'
    return '<1' if v < 1 else '%.0f' % v


CLIENT_NOTE = ('*sipp client CPU*: the load generator\'s own CPU time over the '
               'step\'s wall time; near 100% the generator, not the balancer, '
               'is the limit (one sipp process is single-threaded). *resp. ms*: '
               'sipp\'s mean INVITE-to-200 time, in whole milliseconds (none '
               'for registrations: the scenario times no response).')


def client(r):
    e, u = num(r['elapsed']), num(r.get('uac_cpu_s'))
    return '-' if not e or u is None else '%.0f%%' % (100 * u / e)


def highest(rows, key, requests_per):
    best = {}
    for r in rows:
        c, _ = clean(r, requests_per)
        best.setdefault(r[key], 0)
        if c:
            best[r[key]] = max(best[r[key]], int(r['rate']))
    return best


class Report:
    def __init__(self, d):
        self.d = d
        self.md = []
        self.head = {}
        self.plots = []

    def w(self, *lines):
        self.md.extend(lines)

    def table(self, header, rows):
        self.w('| ' + ' | '.join(header) + ' |',
               '|' + '|'.join('---:' if i else '---' for i in
                              range(len(header))) + '|')
        for r in rows:
            self.w('| ' + ' | '.join(str(x) for x in r) + ' |')
        self.w('')

    def dat(self, name, series):
        """gnuplot data: one block per series, 'x y' lines."""
        path = os.path.join(self.d, name)
        with open(path, 'w') as f:
            for title, pts in series:
                f.write('# %s\n' % title)
                for x, y in pts:
                    f.write('%s %s\n' % (x, y))
                f.write('\n\n')
        return path

    # -- scenario 1 ---------------------------------------------------------
    def s1(self):
        rows = read_tsv(os.path.join(self.d, 's1_steer.tsv'))
        if not rows:
            return
        base = {r['rate']: num(r['all_cpu_s']) / num(r['ok'])
                for r in rows if r['path'] == 'none' and num(r['ok'])}
        self.w('## 1. Calls through the balancer (scripts/bench/s1_steer.sh)', '',
               'sipp\'s built-in uac to sipp UAS backends (the built-in uas '
               'without its 180: scripts/bench/sipp/), %d SIP messages a call '
               'through the balancer. Paths: **none** (the UAC calls a backend '
               'directly, through the balancer namespace\'s kernel routing), '
               '**kamailio** (dispatcher.cfg: stateless, Call-ID hash, '
               'record_route, 2 UDP workers), **siplb** (the XDP program; no '
               'daemon).' % MSGS_PER_CALL, '',
               '- *balancer CPU*: Kamailio: utime+stime of all its processes. '
               'siplb: the XDP programs\' own run time (bpf_stats run_time_ns), '
               'which is all siplb runs per packet; the veth transmit after a '
               'redirect is not in it (it is in the whole-test figure).',
               '- *whole test*: utime+stime of every process of the testbed '
               '(sipp UAC and UASes, Kamailio) and of ksoftirqd, which with no '
               'IRQ time accounting includes all softirq work (veths, XDP). '
               '*added* = whole test minus the **none** path at the same rate.',
               '')
        out, per = [], {}
        for r in rows:
            ok = num(r['ok'])
            c, ach = clean(r, 3)
            if r['path'] == 'siplb':
                lb_call = num(r['xdp_ns']) / 1000 / ok if ok else None
                xdp_pkt = (num(r['xdp_ns']) / num(r['xdp_runs'])
                           if num(r['xdp_runs']) else None)
                runs_call = num(r['xdp_runs']) / ok if ok else None
            else:
                lb_call = num(r['lb_cpu_s']) * 1e6 / ok if ok else None
                xdp_pkt = runs_call = None
            if r['path'] == 'none':
                lb_call = None
            whole = num(r['all_cpu_s']) * 1e6 / ok if ok else None
            b = base.get(r['rate'])
            added = (whole - b * 1e6) if (whole is not None and b is not None
                                          and r['path'] != 'none') else None
            per[(r['path'], int(r['rate']))] = (lb_call, whole, added)
            out.append([r['path'], r['rate'], '%.0f' % ach, r['failed'],
                        r['retrans'], rtt(r), fmt(lb_call),
                        fmt(lb_call / MSGS_PER_CALL if lb_call else None, '%.2f'),
                        fmt(xdp_pkt, '%.0f'), fmt(runs_call, '%.2f'),
                        fmt(whole, '%.0f'), fmt(added, '%.0f'), client(r),
                        'yes' if c else 'no'])
        self.table(['path', 'offered/s', 'achieved/s', 'failed', 'retrans',
                    'resp. ms', 'balancer CPU µs/call', 'µs/msg',
                    'XDP ns/pkt', 'XDP runs/call', 'whole test µs/call',
                    'added µs/call', 'sipp client CPU', 'clean'], out)
        self.w(CLIENT_NOTE, '')
        best = highest(rows, 'path', 3)
        self.w('Highest clean rate: ' + ', '.join(
            '%s %s/s' % (k, v or 'none') for k, v in best.items()) + '.', '')
        ratios, added_ratio = [], []
        for (p, rate), (lb, whole, added) in per.items():
            if p != 'kamailio' or not lb:
                continue
            s = per.get(('siplb', rate))
            if s and s[0]:
                ratios.append((rate, lb / s[0]))
            if s and added and s[2] is not None:
                added_ratio.append((rate, added, s[2]))
        if ratios:
            med = statistics.median(r for _, r in ratios)
            self.head['s1_ratio'] = med
            self.w('**Balancer CPU per steered message, Kamailio / siplb XDP: '
                   'median %.0fx** (%s). The claim is at least 100x.' % (
                       med, ', '.join('%d/s: %.0fx' % x for x in sorted(ratios))),
                   '')
        if added_ratio:
            self.w('Whole-test CPU added over no balancer, per call: ' +
                   '; '.join('%d/s: Kamailio %.0f µs, siplb %.0f µs' % x
                             for x in sorted(added_ratio)) + '.', '')
        self.s1_best = best
        # Plots.
        series = []
        for p, label in (('kamailio', 'Kamailio dispatcher (all processes)'),
                         ('siplb', 'siplb XDP program (run time)')):
            pts = sorted((rate, v[0] / MSGS_PER_CALL) for (q, rate), v in
                         per.items() if q == p and v[0])
            series.append((label, pts))
        self.plot('s1_cpu_per_msg', series,
                  'Balancer CPU per SIP message (scenario 1)',
                  'offered calls/s', 'µs of CPU per message', logy=True)
        series = []
        for p in ('none', 'kamailio', 'siplb'):
            pts = sorted((rate, v[1]) for (q, rate), v in per.items()
                         if q == p and v[1])
            series.append((p if p != 'none' else 'no balancer', pts))
        self.plot('s1_whole_per_call', series,
                  'Whole-test CPU per call (scenario 1)',
                  'offered calls/s', 'µs of CPU per call')

    # -- scenario 2 ---------------------------------------------------------
    def s2(self):
        rows = read_tsv(os.path.join(self.d, 's2_pps.tsv'))
        if not rows:
            return
        self.w('## 2. Replayed SIP messages at packet rates (scripts/bench/s2_pps.sh)', '',
               'An in-kernel generator (BPF_PROG_TEST_RUN with '
               'BPF_F_TEST_XDP_LIVE_FRAMES on the client\'s veth, one thread '
               'per CPU) replays one INVITE frame whose Call-ID it rewrites '
               'from a pool of 65,536 distinct values on every packet. Each '
               'phase counts the packets that reach its sink (an XDP_DROP '
               'program, counted by bpf_stats run_cnt); the three phases take '
               'turns, several rounds:', '',
               '- **generator ceiling**: a drop program on the balancer\'s '
               'veth: what the generator offers with nothing to do at the far end;',
               '- **XDP_TX ceiling**: bench_floor (parse, swap, XDP_TX) on the '
               'balancer\'s veth, counted back at the client;',
               '- **siplb**: siplb\'s XDP program steering to the backends, '
               'counted at the backends\' veths.', '')
        out = []
        by = {}
        for r in rows:
            mpps = num(r['delivered']) / num(r['secs']) / 1e6
            off = num(r['offered']) / num(r['secs']) / 1e6
            ns = (num(r['xdp_ns']) / num(r['xdp_runs'])
                  if num(r.get('xdp_runs')) else None)
            by.setdefault(r['phase'], []).append((off, mpps, ns, r['mode']))
        rounds = len(by.get('siplb', []))
        for phase in ('generator', 'xdp_tx', 'siplb'):
            v = by.get(phase)
            if not v:
                continue
            ns = [x[2] for x in v if x[2] is not None]
            out.append([phase, v[0][3],
                        '%.2f' % statistics.median(x[0] for x in v),
                        '%.2f' % statistics.median(x[1] for x in v),
                        ' '.join('%.2f' % x[1] for x in v),
                        fmt(statistics.median(ns) if ns else None, '%.0f')])
        self.table(['phase', 'XDP mode', 'offered Mpps (median)',
                    'delivered Mpps (median)', 'delivered, each round',
                    'balancer XDP ns/pkt'], out)
        tx, sl = by.get('xdp_tx', []), by.get('siplb', [])
        fr = [b[1] / a[1] for a, b in zip(tx, sl) if a[1]]
        if fr:
            med = statistics.median(fr)
            self.head['s2_frac'] = med
            self.head['s2_mpps'] = statistics.median(x[1] for x in sl)
            self.w('**siplb steered %.2f Mpps (median of %d rounds); in each '
                   'round against the XDP_TX ceiling of the same path: %s, '
                   'median %.0f%%.** The claim is at least 60%%.' % (
                       self.head['s2_mpps'], rounds,
                       ', '.join('%.0f%%' % (100 * f) for f in fr), 100 * med), '')
        gen = by.get('generator', [])
        if gen and sl and statistics.median(x[1] for x in sl) > \
                0.9 * statistics.median(x[1] for x in gen):
            self.w('The generator, not the balancer, was the limit here.', '')
        pts = [(i, statistics.median(x[1] for x in by[p]))
               for i, p in enumerate(('generator', 'xdp_tx', 'siplb')) if p in by]
        self.plot('s2_mpps', [('Mpps', pts)],
                  'Packets delivered, median of rounds (scenario 2)', '', 'Mpps',
                  bars=['generator', 'XDP_TX', 'siplb'])

    # -- scenario 3 ---------------------------------------------------------
    def s3(self):
        rows = read_tsv(os.path.join(self.d, 's3_register.tsv'))
        if not rows:
            return
        self.w('## 3. Registrations with digest authentication (scripts/bench/s3_register.sh)', '',
               'The same sipp scenario (REGISTER, 401, REGISTER with '
               'Authorization, 200) for the same users, taken in turn. '
               '**kamailio**: registrar.cfg (auth\'s pv_auth_check against the '
               'users\' HA1s in an in-memory htable, usrloc in memory, 2 UDP '
               'workers); **siplbd**: siplbd '
               'with its users file and the pinned location map.', '',
               '- *registrar CPU*: utime+stime of every process in the '
               'balancer namespace (Kamailio\'s), or of that siplbd (by PID) '
               'plus its XDP program\'s run time (bpf_stats), which answers '
               'the 401s (SIP cookies): *of it XDP*.',
               '- *whole test*: the testbed\'s processes, the sipp client, '
               'ksoftirqd.', '')
        out, per, side = [], {}, {}
        cluster = any(num(r.get('redis_cpu_s')) is not None for r in rows)
        if cluster:
            self.w('**siplbd-cluster** (BENCH_S3_CLUSTER=1): a second siplbd '
                   'with a cluster block, every REGISTER decided by the script '
                   'in a redis-server on the balancer (AOF, fsync every '
                   'second), siplb-mirror writing the bindings into its maps. '
                   '*Redis* and *mirror*: redis-server\'s and siplb-mirror\'s '
                   'CPU in its steps; its registrar CPU is siplbd\'s alone.',
                   '')
        for r in rows:
            ok = num(r['ok'])
            c, ach = clean(r, 2)
            # siplb's cost includes its XDP program's run time, which
            # answers the 401s (SIP cookies); Kamailio's rows: its own.
            xdp = num(r.get('xdp_ns'))
            xdp = (xdp * 1e-3 / ok if ok and xdp is not None and
                   r['registrar'].startswith('siplbd') else None)
            us = num(r['lb_cpu_s']) * 1e6 / ok if ok else None
            if us is not None and xdp is not None:
                us += xdp
            whole = num(r['all_cpu_s']) * 1e6 / ok if ok else None
            rd, mi = (num(r.get(k)) for k in ('redis_cpu_s', 'mirror_cpu_s'))
            rd = rd * 1e6 / ok if ok and rd is not None else None
            mi = mi * 1e6 / ok if ok and mi is not None else None
            per[(r['registrar'], int(r['rate']))] = us
            side[int(r['rate'])] = side.get(int(r['rate']), {})
            if rd is not None:
                side[int(r['rate'])] = {'redis': rd, 'mirror': mi}
            out.append([r['registrar'], r['rate'], '%.0f' % ach, r['failed'],
                        r['retrans'], fmt(us), fmt(xdp),
                        fmt(us / 4 if us else None),
                        fmt(1e6 / us if us else None, '%.0f')] +
                       ([fmt(rd), fmt(mi)] if cluster else []) +
                       [fmt(whole, '%.0f'), client(r), 'yes' if c else 'no'])
        self.table(['registrar', 'offered/s', 'achieved/s', 'failed',
                    'retrans', 'registrar CPU µs/reg', 'of it XDP µs/reg',
                    'µs/msg (4 a reg.)',
                    'registrations per CPU-second'] +
                   (['Redis CPU µs/reg', 'mirror CPU µs/reg'] if cluster
                    else []) +
                   ['whole test µs/reg', 'sipp client CPU', 'clean'], out)
        self.w(CLIENT_NOTE, '')
        best = highest(rows, 'registrar', 2)
        self.w('Highest clean rate: ' + ', '.join(
            '%s %s/s' % (k, v or 'none') for k, v in best.items()) + '.', '')
        ratios = [(rate, v / per[('siplbd', rate)]) for (p, rate), v in per.items()
                  if p == 'kamailio' and v and per.get(('siplbd', rate))]
        if ratios:
            med = statistics.median(r for _, r in ratios)
            self.head['s3_ratio'] = med
            self.w('**Registrations per CPU-second, siplbd / Kamailio: median '
                   '%.2fx** (%s). The claim is at least 3x.' % (
                       med, ', '.join('%d/s: %.2fx' % x for x in sorted(ratios))),
                   '')
        if cluster:
            self.s3_cluster(per, side)
        self.plot('s3_cpu_per_reg', [
            (p, sorted((rate, v) for (q, rate), v in per.items() if q == p and v))
            for p in ('kamailio', 'siplbd', 'siplbd-cluster')],
            'Registrar CPU per registration (scenario 3)',
            'offered registrations/s', 'µs of CPU per registration', ymin0=True)

    def s3_cluster(self, per, side):
        """The cluster's cost, per rate of the same run: siplbd with the
        cluster against alone, and with Redis and the mirror added."""
        on_off, total, redis = [], [], []
        for rate in sorted(side):
            on, off = per.get(('siplbd-cluster', rate)), per.get(('siplbd', rate))
            kam, s = per.get(('kamailio', rate)), side[rate]
            if on and off:
                on_off.append((rate, on / off))
            if s.get('redis') is not None:
                redis.append((rate, s['redis']))
            if on and kam and s.get('redis') is not None:
                total.append((rate, (on + s['redis'] + (s['mirror'] or 0)) / kam))
        def median_of(what, pts, spec):
            return '- %s: median %s (%s)' % (
                what, spec % statistics.median(v for _, v in pts),
                ', '.join(('%d/s: ' + spec) % x for x in pts))
        lines = [median_of(what, pts, spec) for what, pts, spec in (
            ('siplbd CPU per registration, cluster on / off', on_off, '%.2fx'),
            ('redis-server CPU per registration, µs', redis, '%.1f'),
            ('siplbd + redis-server + siplb-mirror per registration / '
             'Kamailio', total, '%.2fx')) if pts]
        if lines:
            self.w('**The cluster (same run):**', '', *lines)
            self.w('')

    # -- scenario 4 ---------------------------------------------------------
    def s4(self):
        rows = read_tsv(os.path.join(self.d, 's4_calls.tsv'))
        if not rows:
            return
        self.w('## 4. Calls to registered phones (scripts/bench/s4_calls.sh)', '',
               'Phones registered with digest auth, then calls through the VIP '
               'to them (INVITE, 100 from a stateful proxy, 200, ACK, BYE, 200; '
               'ACK and BYE follow '
               'the Record-Route). **kamailio**: proxy.cfg (tm, registrar '
               'lookup, record_route); **siplb**: XDP steering to siplb-worker '
               'on each backend, siplbd as the registrar.', '',
               '- *proxy CPU*: Kamailio: its processes. siplb: the workers\' '
               'and siplbd\'s utime+stime plus the XDP programs\' run time.', '')
        out = []
        for r in rows:
            ok = num(r['ok'])
            c, ach = clean(r, 3)
            us = num(r['lb_cpu_s']) * 1e6 / ok if ok else None
            whole = num(r['all_cpu_s']) * 1e6 / ok if ok else None
            out.append([r['path'], r['rate'], '%.0f' % ach, r['failed'],
                        r['retrans'], rtt(r), fmt(us),
                        fmt(us / MSGS_PER_CALL if us else None),
                        fmt(whole, '%.0f'), client(r), 'yes' if c else 'no'])
        self.table(['path', 'offered/s', 'achieved/s', 'failed', 'retrans',
                    'resp. ms', 'proxy CPU µs/call', 'µs/msg (5 a call)',
                    'whole test µs/call',
                    'sipp client CPU', 'clean'], out)
        self.w(CLIENT_NOTE, '')
        best = highest(rows, 'path', 3)
        self.w('Highest clean rate: ' + ', '.join(
            '%s %s/s' % (k, v or 'none') for k, v in best.items()) + '.', '')

    # -- scenario 5 ---------------------------------------------------------
    def s5(self):
        path = os.path.join(self.d, 's5_xdp.txt')
        if not os.path.exists(path) or not os.path.getsize(path):
            return
        self.w('## 5. Fast-path cost by message size and Call-ID position (scripts/bench/xdp.sh)', '',
               'BPF_PROG_TEST_RUN of the siplb program against a native C '
               'reference, in the same run (docs/PERFORMANCE.md explains the '
               'columns).', '')
        self.w(*open(path).read().rstrip().splitlines())
        self.w('')

    # -- plots --------------------------------------------------------------
    def plot(self, name, series, title, xlabel, ylabel, logy=False,
             bars=None, ymin0=False):
        series = [(t, p) for t, p in series if p]
        if not series:
            return
        dat = self.dat(name + '.dat', series)
        png = os.path.join(self.d, name + '.png')
        g = ['set terminal pngcairo size 720,420 font "sans,10"',
             'set output "%s"' % png, 'set title "%s"' % title,
             'set xlabel "%s"' % xlabel, 'set ylabel "%s"' % ylabel,
             'set grid', 'set key top left']
        if logy:
            g.append('set logscale y')
        if ymin0:
            g.append('set yrange [0:*]')
        if bars:
            g += ['set style fill solid 0.6', 'set boxwidth 0.6',
                  'set xtics (%s)' % ', '.join('"%s" %d' % (b, i)
                                               for i, b in enumerate(bars)),
                  'set xrange [-0.6:%f]' % (len(bars) - 0.4), 'set yrange [0:*]',
                  'unset key',
                  'plot "%s" index 0 using 1:2 with boxes' % dat]
        else:
            g.append('plot ' + ', '.join(
                '"%s" index %d using 1:2 with linespoints lw 2 title "%s"'
                % (dat, i, t) for i, (t, _) in enumerate(series)))
        try:
            subprocess.run(['gnuplot'], input='\n'.join(g) + '\n', text=True,
                           check=True)
            self.plots.append(name + '.png')
        except (OSError, subprocess.CalledProcessError) as e:
            print('report.py: gnuplot failed for %s: %s' % (name, e),
                  file=sys.stderr)

    def profiles(self):
        names = sorted(f for f in os.listdir(self.d)
                       if f.startswith('profile-') and f.endswith('.txt'))
        if not names:
            return
        self.w('## Profiles (run.sh -p)', '',
               'One more step per path under `perf record -F 999`, not in the '
               'tables above; the top of `perf report --no-children`. '
               's1-siplb profiles the whole machine, reported for sipp and '
               'ksoftirqd, the tasks the XDP program runs in (as a share of '
               'their samples).', '')
        for n in names:
            lines = open(os.path.join(self.d, n)).read().rstrip().splitlines()
            self.w('### ' + n[8:-4], '', '```')
            self.w(*lines[:26])
            self.w('```', '')

    def write(self):
        m = {}
        try:
            for line in open(os.path.join(self.d, 'machine.txt')):
                k, _, v = line.rstrip('\n').partition('=')
                m[k] = v
        except OSError:
            pass
        top = ['# siplb against Kamailio: results of scripts/bench/run.sh', '',
               '- Date (UTC): %s; commit %s' % (m.get('date_utc', '?'),
                                                m.get('commit', '?')),
               '- Machine: %s, %s CPUs, Linux %s; Kamailio %s, sipp %s' % (
                   m.get('cpu', '?'), m.get('cpus', '?'), m.get('kernel', '?'),
                   m.get('kamailio', '?'), m.get('sipp', '?')),
               '- Load average at start / end: %s / %s (other work on the '
               'machine competes for the CPUs)' % (m.get('loadavg_start', '?'),
                                                    m.get('loadavg_end', '?')),
               '- Seconds per step: %s%s' % (m.get('secs', '?'),
                                             ' (QUICK SMOKE RUN: not figures)'
                                             if m.get('quick') == '1' else ''),
               '']
        h = self.head
        if h:
            top.append('Headline:')
            if 's1_ratio' in h:
                top.append('- CPU per steered message, Kamailio dispatcher / '
                           'siplb XDP: %.0fx (claim: >= 100x)' % h['s1_ratio'])
            if 's2_frac' in h:
                top.append('- siplb steering %.2f Mpps = %.0f%% of the XDP_TX '
                           'ceiling (claim: >= 60%%)' % (h['s2_mpps'],
                                                        100 * h['s2_frac']))
            if 's3_ratio' in h:
                top.append('- registrations per CPU-second, siplbd / Kamailio: '
                           '%.2fx (claim: >= 3x)' % h['s3_ratio'])
            top.append('')
        plots = ['![%s](%s)' % (p[:-4], p) for p in self.plots]
        text = '\n'.join(top + self.md + (['## Plots', ''] + plots + ['']
                                          if plots else []))
        with open(os.path.join(self.d, 'results.md'), 'w') as f:
            f.write(text)
        print(text)


def main():
    r = Report(sys.argv[1])
    r.s1()
    r.s2()
    r.s3()
    r.s4()
    r.s5()
    r.profiles()
    r.write()


if __name__ == '__main__':
    main()
