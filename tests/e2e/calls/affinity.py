#!/usr/bin/env python3
"""affinity.py - which worker saw which call, from packet captures.

    affinity.py NAME=FILE.pcap [NAME=FILE.pcap ...]

Each FILE is a tcpdump capture (Ethernet, IPv4 or IPv6) of the UDP
packets one worker received. Prints one line per worker
("worker NAME messages N calls N"), then "calls N" (distinct Call-IDs),
then one "split CALL-ID NAME,NAME" line for every Call-ID seen at more
than one worker. OPTIONS transactions (siplbd's health probes, one per
worker with the same Call-ID) are left out. Exits 1 if a file cannot be
read.
"""
import collections
import re
import struct
import sys

CALL_ID = re.compile(rb'^(?:call-id|i)[ \t]*:[ \t]*(.*?)[ \t]*$', re.I | re.M)
CSEQ = re.compile(rb'^cseq[ \t]*:[ \t]*\d+[ \t]+(\S+)', re.I | re.M)


def packets(path):
    """UDP payloads of the Ethernet frames in a pcap file."""
    with open(path, 'rb') as f:
        data = f.read()
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        endian = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        endian = '>'
    else:
        raise ValueError('%s: not a pcap file' % path)
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    if linktype != 1:
        raise ValueError('%s: link type %d, expected Ethernet' %
                         (path, linktype))
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + 'I', data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        payload = udp_payload(frame)
        if payload is not None:
            yield payload


def udp_payload(frame):
    ethertype = struct.unpack('>H', frame[12:14])[0]
    ip = frame[14:]
    if ethertype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17:
            return None
        udp = ip[ihl:]
    elif ethertype == 0x86dd and len(ip) >= 40:
        if ip[6] != 17:
            return None
        udp = ip[40:]
    else:
        return None
    return udp[8:] if len(udp) >= 8 else None


def main(args):
    where = collections.defaultdict(set)
    for arg in args:
        name, _, path = arg.partition('=')
        msgs, calls = 0, set()
        try:
            for p in packets(path):
                head = p.split(b'\r\n\r\n', 1)[0]
                cid, cseq = CALL_ID.search(head), CSEQ.search(head)
                if not cid or (cseq and cseq.group(1) == b'OPTIONS'):
                    continue
                msgs += 1
                calls.add(cid.group(1))
                where[cid.group(1)].add(name)
        except (OSError, ValueError) as e:
            print('affinity.py: %s' % e, file=sys.stderr)
            return 1
        print('worker %s messages %d calls %d' % (name, msgs, len(calls)))
    print('calls %d' % len(where))
    for cid in sorted(where):
        if len(where[cid]) > 1:
            print('split %s %s' % (cid.decode(errors='replace'),
                                   ','.join(sorted(where[cid]))))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
