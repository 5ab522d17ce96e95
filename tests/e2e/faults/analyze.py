#!/usr/bin/env python3
"""analyze.py - what happened to every call of tests/e2e/faults.sh.

    analyze.py WORK N

Reads, in WORK:
  be<i>.pcap   the SIP requests backend i's namespace received (i = 1..N)
  uac.tsv      the caller's sipp -trace_shortmsg log (epoch, S/R, Call-ID,
               CSeq, start line of every message)
  uac.csv      the caller's sipp -trace_stat statistics (cross-check)
  events       the schedule as it happened: "EPOCH WHAT [BACKEND [STATE]]"
               (kill_worker I, restart_worker I, link_down I, link_up I,
               state I up|unhealthy, siplbd_term, siplbd_kill,
               siplbd_started, load_start, load_stop, bindings_lost WHEN)

A call is the Call-ID of an INVITE the caller sent; it completed if the
caller got the 200 to its BYE. Its backend ("home") is where its first
INVITE arrived. A backend is *failed* from the moment its worker is
killed (or its link cut) until the worker is restarted (the link is back).

Prints per fault and in total: calls attempted, completed, failed and why;
then "error ..." lines for what must not happen, and exits 1 if there is
any:
  - a call whose backend did not fail while the call lasted failed, or its
    requests reached more than one backend (affinity), or its INVITE, ACK
    or BYE is missing at its backend;
  - a new call reached a backend while siplbd showed it unhealthy;
  - a call failed and no fault explains it.
A failed call is explained if its backend failed while it lasted and it
was either in progress there when the backend failed, or sent there after
it failed and before the health checks marked it down. (A call whose
INVITE went to a dead worker before the mark usually completes anyway: the
INVITE's retransmission after the mark goes to a survivor.)
"""
import collections
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'cp'))
from calls import pcap_requests  # noqa: E402  (tests/e2e/cp/calls.py)

SIPLBD_SLACK = 1.0      # seconds around a siplbd outage counted as "during"
LOST_FIRST = 0.3        # s: a first INVITE seen later was a retransmission
                        # (sipp retransmits after 0.5 s)


def read_uac(path):
    """Call-ID -> {'t0': first INVITE sent, 't_end': last message,
    'ok': 200 to BYE received, 'final': last final response to INVITE}."""
    calls = {}
    for line in open(path, errors='replace'):
        f = line.rstrip('\n').split('\t')
        if len(f) < 7:
            continue
        try:
            t = float(f[2])
        except ValueError:
            continue
        direction, cid, cseq, start = f[3], f[4], f[5], f[6]
        c = calls.get(cid)
        if c is None:
            if not (direction == 'S' and start.startswith('INVITE ')):
                continue
            c = calls[cid] = {'t0': t, 't_end': t, 'ok': False,
                              'final': None, 'provisional': False}
        c['t_end'] = max(c['t_end'], t)
        if direction == 'R' and start.startswith('SIP/2.0 '):
            code = start.split(' ')[1]
            if cseq.endswith(' BYE') and code == '200':
                c['ok'] = True
            elif cseq.endswith(' INVITE') and code[:1] in '23456':
                c['final'] = code
            if cseq.endswith(' INVITE') and code[:1] == '1':
                c['provisional'] = True
    return calls


def read_events(path):
    ev = []
    for line in open(path):
        f = line.split()
        if f:
            ev.append((float(f[0]), f[1], f[2:]))
    return ev


class Fault:
    """One backend failure: [start, end) failed; siplbctl showed it
    unhealthy at mark, still unhealthy at still (the last poll before it
    showed up again, at up). None: never seen."""

    def __init__(self, kind, backend, start):
        self.kind, self.backend, self.start = kind, backend, start
        self.end = self.mark = self.up = self.still = None

    def name(self):
        what = {'kill_worker': 'worker %d killed',
                'link_down': 'backend %d link cut'}[self.kind]
        return what % self.backend


def faults_of(events):
    faults, open_ = [], {}
    for t, what, args in events:
        if what in ('kill_worker', 'link_down'):
            f = Fault(what, int(args[0]), t)
            faults.append(f)
            open_[f.backend] = f
        elif what in ('restart_worker', 'link_up'):
            f = open_.get(int(args[0]))
            if f:
                f.end = t
        elif what == 'state_was':
            # The last time the old state was seen before a change.
            f = open_.get(int(args[0]))
            if f and args[1] == 'unhealthy':
                f.still = t
        elif what == 'state':
            f = open_.get(int(args[0]))
            if not f:
                continue
            if args[1] == 'unhealthy' and f.mark is None:
                f.mark = t
            elif args[1] == 'up' and f.end is not None and f.up is None:
                f.up = t
                del open_[f.backend]
    for f in faults:
        if f.end is None:
            f.end = float('inf')
    return faults


def outages_of(events):
    """siplbd outages: (kind, stopped, started again)."""
    out, cur = [], None
    for t, what, _ in events:
        if what in ('siplbd_term', 'siplbd_kill'):
            cur = (what, t)
        elif what == 'siplbd_started' and cur:
            out.append((cur[0], cur[1], t))
            cur = None
    return out


def main():
    work, n = sys.argv[1], int(sys.argv[2])
    calls = read_uac(os.path.join(work, 'uac.tsv'))
    events = read_events(os.path.join(work, 'events'))
    faults = faults_of(events)
    outages = outages_of(events)
    errors = []

    seen = collections.defaultdict(list)        # Call-ID -> [(t, be, m)]
    for i in range(1, n + 1):
        for t, method, cid in pcap_requests('%s/be%d.pcap' % (work, i)):
            if method in ('INVITE', 'ACK', 'BYE', 'CANCEL'):
                seen[cid].append((t, i, method))
    for ev in seen.values():
        ev.sort()

    def home_of(cid):
        inv = [e for e in seen.get(cid, []) if e[2] == 'INVITE']
        return (inv[0][1], inv[0][0]) if inv else (None, None)

    def faults_hitting(cid, c):
        """Faults of a backend the call used, overlapping its life."""
        used = {be for _, be, _ in seen.get(cid, [])}
        hit = []
        for f in faults:
            if f.start > c['t_end'] or f.end < c['t0']:
                continue
            # A cut link leaves no trace in its backend's capture: a call
            # none of whose requests was seen, or whose first INVITE was
            # lost (the first one seen is a retransmission) while the
            # link was cut and not yet marked down, may have been
            # steered there.
            home, t_home = home_of(cid)
            lost_first = home is None or (
                t_home > c['t0'] + LOST_FIRST and
                f.start - LOST_FIRST <= c['t0'] <= (f.mark or f.end))
            if f.backend in used or (f.kind == 'link_down' and lost_first):
                hit.append(f)
        return hit

    reasons = collections.Counter()
    per_fault = collections.defaultdict(collections.Counter)
    for cid, c in sorted(calls.items(), key=lambda kv: kv[1]['t0']):
        hit = faults_hitting(cid, c)
        for f in hit:
            per_fault[f]['attempted'] += 1
            per_fault[f]['completed' if c['ok'] else 'failed'] += 1
        for f in hit:
            when = 'in progress' if c['t0'] < f.start else \
                'before the mark' if f.mark is None or c['t0'] < f.mark \
                else 'after the mark'
            per_fault[f][when] += 1
            per_fault[f][when + ' completed'] += c['ok']
        if c['ok']:
            continue
        if not hit:
            reason = 'UNEXPLAINED: its backend did not fail'
            home = home_of(cid)[0]
            errors.append('call %s (home backend %s) failed on a live '
                          'backend; its requests: %s; final response %s' % (
                              cid, home, ' '.join(
                                  '%s@b%d' % (m, be)
                                  for _, be, m in seen.get(cid, [])) or
                              'none seen', c['final']))
        else:
            f = hit[0]
            if c['t0'] < f.start:
                reason = 'in progress on backend %d when it failed' % \
                    f.backend
            elif f.mark is None or c['t0'] < f.mark:
                reason = ('sent to backend %d after it failed, before the '
                          'health checks marked it down' % f.backend)
            else:
                reason = 'UNEXPLAINED: sent after backend %d was marked ' \
                    'down' % f.backend
                errors.append('call %s failed: started %.2f s after '
                              'backend %d was marked down' % (
                                  cid, c['t0'] - f.mark, f.backend))
            # Why it could not recover: where the call stood.
            if c['final'] == '200':
                reason += ' (answered: its ACK or BYE was lost)'
            elif c['provisional']:
                reason += (' (1xx received, so the INVITE was no longer '
                           'retransmitted; the 200 went to the failed '
                           'backend)')
            else:
                reason += ' (its INVITE got no answer at all)'
            per_fault[f]['failed: ' + reason] += 1
        reasons[reason] += 1

    # Calls whose backend did not fail while they lasted: one backend,
    # INVITE, ACK and BYE all there (affinity held, nothing lost).
    clean = [cid for cid, c in calls.items() if not faults_hitting(cid, c)]
    split = [cid for cid in clean
             if len({be for _, be, _ in seen.get(cid, [])}) > 1]
    incomplete = [cid for cid in clean if calls[cid]['ok'] and
                  {'INVITE', 'ACK', 'BYE'} -
                  {m for _, _, m in seen.get(cid, [])}]
    for cid in split[:5]:
        errors.append('call %s on a live backend reached backends %s' % (
            cid, sorted({be for _, be, _ in seen[cid]})))
    for cid in incomplete[:5]:
        errors.append('call %s: no %s at its backend' % (
            cid, '/'.join(sorted({'INVITE', 'ACK', 'BYE'} -
                                 {m for _, _, m in seen[cid]}))))

    # No new call reaches a backend while it is marked unhealthy.
    for f in faults:
        if f.mark is None:
            errors.append('%s: never marked unhealthy' % f.name())
            continue
        # From when it was seen unhealthy to the last time it still was:
        # both inside the real span, whatever the polling lag.
        until = f.still if f.still is not None else f.end
        bad = [cid for cid in calls
               if home_of(cid)[0] == f.backend and
               f.mark <= home_of(cid)[1] <= until]
        per_fault[f]['new calls on it while unhealthy'] = len(bad)
        # Back up, it takes new calls again.
        if f.up is not None:
            back = [cid for cid in calls if home_of(cid)[0] == f.backend
                    and home_of(cid)[1] > f.up]
            per_fault[f]['new calls on it once up'] = len(back)
            if not back:
                errors.append('%s: no new call reached it after it was up '
                              'again' % f.name())
        if per_fault[f]['attempted'] == 0:
            errors.append('%s: no call touched it (the load did not reach '
                          'it: nothing was tested)' % f.name())
        for cid in bad[:5]:
            errors.append('new call %s reached backend %d while it was '
                          'marked unhealthy (sent %.3f s, arrived %.3f s '
                          'after the mark; still unhealthy %.3f s after)' % (
                              cid, f.backend, calls[cid]['t0'] - f.mark,
                              home_of(cid)[1] - f.mark, until - f.mark))

    # Report.
    total = len(calls)
    ok = sum(1 for c in calls.values() if c['ok'])
    print('calls attempted %d, completed %d, failed %d' % (
        total, ok, total - ok))
    for r, k in reasons.most_common():
        print('  failed %d: %s' % (k, r))
    for f in faults:
        pf = per_fault[f]
        print('%s at +%.1f s: marked unhealthy after %s, restored after %s, '
              'up after %s' % (
                  f.name(), f.start - events[0][0],
                  '%.1f s' % (f.mark - f.start) if f.mark else 'never',
                  '%.1f s' % (f.end - f.start) if f.end < 1e18 else 'never',
                  '%.1f s' % (f.up - f.start) if f.up else 'never'))
        print('  calls touching it: attempted %d, completed %d, failed %d; '
              'new calls on it while unhealthy %d, once up again %d' % (
                  pf['attempted'], pf['completed'], pf['failed'],
                  pf['new calls on it while unhealthy'],
                  pf['new calls on it once up']))
        print('  in progress on it when it failed %d (completed %d); sent '
              'to it after it failed, before the mark %d (completed %d: '
              'the INVITE retransmitted after the mark reached a '
              'survivor)' % (pf['in progress'], pf['in progress completed'],
                             pf['before the mark'],
                             pf['before the mark completed']))
        for k, v in sorted(pf.items()):
            if k.startswith('failed: '):
                print('    %d %s' % (v, k))
    for kind, t1, t2 in outages:
        during = [cid for cid, c in calls.items()
                  if c['t0'] <= t2 + SIPLBD_SLACK and
                  c['t_end'] >= t1 - SIPLBD_SLACK]
        live = [cid for cid in during
                if not faults_hitting(cid, calls[cid])]
        done = [cid for cid in live if calls[cid]['ok']]
        if not live:
            errors.append('siplbd outage at +%.1f s: no call on a live '
                          'worker spanned it (nothing was tested)' % (
                              t1 - events[0][0]))
        print('siplbd %s at +%.1f s, down %.2f s: calls in progress or '
              'started meanwhile (+-%.0f s) %d, on live workers %d, '
              'completed %d, failed %d' % (
                  'SIGTERM' if kind == 'siplbd_term' else 'SIGKILL',
                  t1 - events[0][0], t2 - t1, SIPLBD_SLACK, len(during),
                  len(live), len(done), len(live) - len(done)))
    print('calls on live backends %d: on more than one backend %d, '
          'a request missing %d' % (len(clean), len(split), len(incomplete)))
    unseen = [cid for cid in calls if cid not in seen]
    print('calls no backend saw %d' % len(unseen))
    for t, what, args in events:
        if what == 'bindings_lost':
            errors.append('bindings lost: %s' % ' '.join(args))

    # sipp's own count, for comparison (it counts a call failed on any
    # unexpected message too).
    try:
        rows = [r for r in csv.reader(open(os.path.join(work, 'uac.csv')),
                                      delimiter=';') if r]
        head, last = rows[0], rows[-1]
        print('sipp: created %s, successful %s, failed %s' % tuple(
            last[head.index(k)] for k in ('TotalCallCreated',
                                          'SuccessfulCall(C)',
                                          'FailedCall(C)')))
    except (OSError, IndexError, ValueError) as e:
        print('sipp: no statistics (%s)' % e)

    if total == 0:
        errors.append('no call was made')
    for e in errors:
        print('error ' + e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
