#!/usr/bin/env python3
"""count.py - what a backend was sent.

    count.py calls PCAP T0 T1
    count.py requests PINDIR IPV4

calls: the number of distinct Call-IDs whose first INVITE in PCAP (the
requests a backend received, captured in its namespace) arrived within
[T0, T1] (epoch seconds).
requests: the requests XDP steered to IPV4 (any port), ACK aside, from
the pinned siplb_passive map (summed over CPUs).
"""
import ipaddress
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'cp'))
from calls import pcap_requests  # noqa: E402


def xdp_requests(pindir, addr):
    out = subprocess.run(['bpftool', '-j', 'map', 'dump', 'pinned',
                          os.path.join(pindir, 'siplb_passive')],
                         check=True, capture_output=True, text=True).stdout
    want = list(ipaddress.IPv4Address(addr).packed)
    total = 0
    for entry in json.loads(out):
        key = [int(b, 16) for b in entry['key']]
        if key[:4] != want or key[18] != 2:
            continue
        for v in entry['values']:
            val = bytes(int(b, 16) for b in v['value'])
            total += int.from_bytes(val[:8], 'little')
    return total


def main():
    if sys.argv[1] == 'requests':
        print(xdp_requests(sys.argv[2], sys.argv[3]))
        return
    path, t0, t1 = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    first = {}
    for t, method, cid in pcap_requests(path):
        if method == 'INVITE' and cid not in first:
            first[cid] = t
    print(sum(1 for t in first.values() if t0 <= t <= t1))


if __name__ == '__main__':
    main()
