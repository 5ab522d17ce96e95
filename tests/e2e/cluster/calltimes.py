#!/usr/bin/env python3
"""calltimes.py - when each call began and whether it completed, by phase,
from a capture at the phones (both directions), for a balancer failover.

    calltimes.py PCAP CLIENT_IP CALLEE_PORTS T_START T_DOWN T_FROM T_TO

PCAP: tcpdump of the client namespace's link (Ethernet, IPv4). A call is
one Call-ID whose INVITE the phones sent from a port not in CALLEE_PORTS
(comma-separated: the callees' ports, whose INVITEs come from a worker);
it began when that INVITE was first sent, and it completed when the
caller received the 200 to its BYE; calls begun before T_START are left
out. T_DOWN is when the balancer went down; T_FROM and T_TO (epoch
seconds) bound the failover window. Prints, for the phases "before"
(began before T_FROM), "during" and "after" (at or after T_TO), a line
"phase NAME started N completed N failed N retransmitted N" (requests
the callers sent again: their first copy or its answer was lost or
late), then "spanning N completed N" (calls begun before T_DOWN that had
not completed by then), then "failed CALL-ID +SECONDS" for every call
that did not complete (its start from T_DOWN).
"""
import re
import socket
import struct
import sys

CALL_ID = re.compile(rb'^(?:call-id|i)[ \t]*:[ \t]*(.*?)[ \t]*$', re.I | re.M)
CSEQ = re.compile(rb'^cseq[ \t]*:[ \t]*\d+[ \t]+(\S+)', re.I | re.M)


def udp_packets(path):
    """(time, src, sport, dst, dport, payload) of the IPv4 UDP frames."""
    data = open(path, 'rb').read()
    if data[:4] == b'\xd4\xc3\xb2\xa1':
        e, scale = '<', 1e-6
    elif data[:4] == b'\x4d\x3c\xb2\xa1':
        e, scale = '<', 1e-9
    else:
        raise ValueError('%s: not a little-endian pcap file' % path)
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen = struct.unpack(e + 'III', data[off:off + 12])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(frame) < 42 or frame[12:14] != b'\x08\x00' or frame[23] != 17:
            continue
        ihl = (frame[14] & 15) * 4
        udp = frame[14 + ihl:]
        sport, dport = struct.unpack('>HH', udp[:4])
        yield (sec + frac * scale, socket.inet_ntoa(frame[26:30]), sport,
               socket.inet_ntoa(frame[30:34]), dport, udp[8:])


def read_calls(pcap, client, callees):
    """Call-ID -> [began, completed or None, requests sent again]."""
    calls, sent = {}, set()
    for t, src, sport, dst, dport, payload in udp_packets(pcap):
        head = payload.split(b'\r\n\r\n', 1)[0]
        cid, cseq = CALL_ID.search(head), CSEQ.search(head)
        if not cid or not cseq:
            continue
        cid, method = cid.group(1), cseq.group(1)
        caller_side = (src == client and sport not in callees) or \
            (dst == client and dport not in callees)
        if not caller_side:
            continue
        if head.startswith(b'INVITE ') and src == client:
            calls.setdefault(cid, [t, None, 0])
        call = calls.get(cid)
        if call is None:
            continue
        if src == client and not head.startswith(b'SIP/2.0'):
            # The start line and CSeq name one request: seen before, it
            # is a retransmission.
            key = (cid, head.split(b'\r\n', 1)[0], cseq.group(0))
            if key in sent:
                call[2] += 1
            sent.add(key)
        elif (head.startswith(b'SIP/2.0 200') and method == b'BYE' and
              call[1] is None):
            call[1] = t
    return calls


def main(pcap, client, callee_ports, t_start, t_down, t_from, t_to):
    callees = {int(p) for p in callee_ports.split(',')}
    calls = read_calls(pcap, client, callees)
    phases = {p: [0, 0, 0] for p in ('before', 'during', 'after')}
    spanning = [0, 0]
    failed = []
    for cid, (began, done, again) in calls.items():
        if began < t_start:
            continue
        name = ('before' if began < t_from else
                'during' if began < t_to else 'after')
        phases[name][0] += 1
        phases[name][2] += again
        if done is not None:
            phases[name][1] += 1
        else:
            failed.append((began, cid))
        if began < t_down and (done is None or done > t_down):
            spanning[0] += 1
            spanning[1] += done is not None
    for name in ('before', 'during', 'after'):
        started, completed, again = phases[name]
        print('phase %s started %d completed %d failed %d retransmitted %d'
              % (name, started, completed, started - completed, again))
    print('spanning %d completed %d' % tuple(spanning))
    for t, cid in sorted(failed):
        print('failed %s %+.3f' % (cid.decode(errors='replace'), t - t_down))
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3],
                  *(float(a) for a in sys.argv[4:])))
