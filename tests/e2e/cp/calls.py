#!/usr/bin/env python3
"""calls.py - what happened to every call around a backend's death.

    calls.py WORK N KILLED T_KILL T_MARK T_STILL T_UP

Reads WORK/be<i>.pcap (i = 1..N: the SIP requests each backend received,
captured in its namespace; siplbd's OPTIONS probes are ignored) and
WORK/uac.tsv (the sipp client's -trace_shortmsg log). Backend KILLED's
sipp was killed at T_KILL; siplbctl showed it "unhealthy" from T_MARK and
still at T_STILL; "up" again at T_UP (epoch seconds; 0 if never).

Prints "name value" figures, then "error ..." lines for what must not
happen:
  - a call that never touched the killed backend reached two backends,
    missed its INVITE/ACK/BYE at its backend, or failed at the client;
  - a new call (first INVITE) reached the killed backend while it was
    marked unhealthy;
  - the client saw a failure on a call that never touched the killed
    backend.
A call's backend is where its first INVITE arrived.
"""
import collections
import struct
import sys


def pcap_requests(path):
    """(time, method, Call-ID) of every SIP request in an Ethernet pcap."""
    out = []
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return out
    magic = struct.unpack('<I', data[:4])[0]
    endian, nano = {0xa1b2c3d4: ('<', False), 0xa1b23c4d: ('<', True),
                    0xd4c3b2a1: ('>', False), 0x4d3cb2a1: ('>', True)}[magic]
    link = struct.unpack(endian + 'I', data[20:24])[0]
    if link != 1:
        raise SystemExit('%s: link type %d, expected Ethernet' % (path, link))
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / (1e9 if nano else 1e6)
        eth_type = struct.unpack('!H', pkt[12:14])[0]
        if eth_type != 0x0800:
            continue
        ip = pkt[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17 or struct.unpack('!H', ip[6:8])[0] & 0x3fff:
            continue            # not UDP, or a fragment
        payload = ip[ihl + 8:]
        lines = payload.split(b'\r\n')
        start = lines[0].decode('utf-8', 'replace')
        if start.startswith('SIP/2.0') or ' ' not in start:
            continue
        callid = ''
        for line in lines[1:]:
            if not line:
                break
            name, sep, value = line.partition(b':')
            if sep and name.strip().lower() in (b'call-id', b'i'):
                callid = value.strip().decode('utf-8', 'replace')
                break
        method = start.split(' ', 1)[0]
        if method == 'OPTIONS' and callid.startswith('siplb-health-'):
            continue
        out.append((t, method, callid))
    return out


def uac_results(path):
    """Call-IDs the client started, and those whose BYE got a 200."""
    started, ok = set(), set()
    for line in open(path, errors='replace'):
        f = line.rstrip('\n').split('\t')
        if len(f) < 7:
            continue
        direction, callid, cseq, start = f[3], f[4], f[5], f[6]
        if direction == 'S' and start.startswith('INVITE '):
            started.add(callid)
        elif direction == 'R' and cseq.endswith(' BYE') and \
                start.startswith('SIP/2.0 200'):
            ok.add(callid)
    return started, ok


def main():
    work, n, killed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    t_kill, t_mark, t_still, t_up = map(float, sys.argv[4:8])
    seen = collections.defaultdict(list)      # Call-ID -> [(t, be, method)]
    for i in range(1, n + 1):
        for t, method, callid in pcap_requests('%s/be%d.pcap' % (work, i)):
            seen[callid].append((t, i, method))
    started, ok = uac_results(work + '/uac.tsv')
    errors = []

    home, first_t = {}, {}
    for cid, ev in seen.items():
        ev.sort()
        inv = [e for e in ev if e[2] == 'INVITE']
        if inv:
            first_t[cid], home[cid] = inv[0][0], inv[0][1]
    touched = {cid for cid, ev in seen.items()
               if any(be == killed for _, be, _ in ev)}

    per_be = collections.Counter(home.values())
    for i in range(1, n + 1):
        print('backend_calls_%d %d' % (i, per_be[i]))

    # Calls on the killed backend when it died: INVITE there before, BYE
    # (anywhere) after. Their dialogs died with it.
    before = [c for c in home if first_t[c] < t_kill]
    on_k = [c for c in before if home[c] == killed]
    in_progress = [c for c in before
                   if any(m == 'BYE' and t >= t_kill for t, _, m in seen[c])]
    # (An INVITE the backend got just before dying, never answered, is
    # retransmitted and answered by a survivor: that call is not lost.)
    lost = [c for c in in_progress if home[c] == killed and
            not any(m == 'INVITE' and be != killed for _, be, m in seen[c])]
    print('calls_before_kill %d' % len(before))
    print('calls_before_kill_on_killed %d' % len(on_k))
    print('in_progress_at_kill %d' % len(in_progress))
    print('lost_on_killed %d' % len(lost))
    moved_bye = [c for c in lost
                 if any(m == 'BYE' and be != killed for _, be, m in seen[c])]
    print('lost_bye_moved %d' % len(moved_bye))

    # New calls sent to the dead backend before the mark, whose INVITE
    # retransmission then reached a survivor.
    window = [c for c in home if home[c] == killed and
              t_kill <= first_t[c] < t_mark]
    rescued = [c for c in window if any(m == 'INVITE' and be != killed
                                        for _, be, m in seen[c])]
    print('window_calls %d' % len(window))
    print('window_rescued %d' % len(rescued))

    # While marked unhealthy, no new call may reach the killed backend.
    marked = [c for c in home if t_mark <= first_t[c] <= t_still]
    marked_k = [c for c in marked if home[c] == killed]
    print('calls_while_unhealthy %d' % len(marked))
    print('calls_while_unhealthy_on_killed %d' % len(marked_k))
    for c in marked_k[:5]:
        errors.append('new call %s reached the killed backend while it was '
                      'marked unhealthy' % c)
    if t_up:
        back = [c for c in home if first_t[c] > t_up and home[c] == killed]
        print('calls_after_up_on_killed %d' % len(back))

    # Survivors' calls that spanned the mark: the BYE must stay.
    span = [c for c in before if home[c] != killed and
            any(m == 'BYE' and t > t_mark for t, _, m in seen[c])]
    span_moved = [c for c in span
                  if any(be != home[c] for _, be, _ in seen[c])]
    print('survivor_calls_spanning_mark %d' % len(span))
    print('survivor_calls_moved %d' % len(span_moved))

    # Every call that never touched the killed backend: one backend, and
    # INVITE, ACK and BYE all there.
    clean = [c for c in seen if c not in touched]
    split = [c for c in clean if len({be for _, be, _ in seen[c]}) != 1]
    incomplete = [c for c in clean
                  if {'INVITE', 'ACK', 'BYE'} - {m for _, _, m in seen[c]}]
    print('calls_not_touching_killed %d' % len(clean))
    print('calls_split %d' % len(split))
    print('calls_incomplete %d' % len(incomplete))
    for c in split[:5]:
        errors.append('call %s reached backends %s' % (
            c, sorted({be for _, be, _ in seen[c]})))
    for c in incomplete[:5]:
        errors.append('call %s: no %s at its backend' % (
            c, '/'.join(sorted({'INVITE', 'ACK', 'BYE'} -
                               {m for _, _, m in seen[c]}))))

    failed = sorted(started - ok)
    failed_clean = [c for c in failed if c not in touched]
    print('uac_started %d' % len(started))
    print('uac_completed %d' % len(started & ok))
    print('uac_failed %d' % len(failed))
    print('uac_failed_touched_killed %d' % (len(failed) - len(failed_clean)))
    print('uac_failed_not_touching_killed %d' % len(failed_clean))
    for c in failed_clean[:5]:
        errors.append('call %s failed at the client but never touched the '
                      'killed backend (its requests: %s)' % (
                          c, ' '.join('%s@b%d' % (m, be)
                                      for _, be, m in seen.get(c, []))
                          or 'none seen'))
    unseen = started - set(seen)
    print('uac_calls_unseen %d' % len(unseen))
    for c in sorted(unseen)[:5]:
        errors.append('call %s: no backend saw any of its requests' % c)
    for e in errors:
        print('error ' + e)


if __name__ == '__main__':
    main()
