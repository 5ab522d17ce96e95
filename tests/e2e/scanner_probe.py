#!/usr/bin/env python3
"""scanner_probe.py - what a scanner sees: one request per (method, user)
to the VIP, and the answers compared byte for byte.

    scanner_probe.py VIP_IP PORT LOCAL_IP DOMAIN REAL_USER FAKE_USER...

For each of REGISTER, INVITE, OPTIONS and SUBSCRIBE, sends the same
request for REAL_USER and for every FAKE_USER (only the user differs, and
the Call-ID, branch and From tag, which are fresh per request as a
scanner's are), takes the answer's first final response, and masks what
is fresh per answer: the user (as the request named it), Call-ID, branch,
From tag, our To tag and the nonces. Prints one line per comparison,
"same METHOD STATUS" or "DIFFERENT METHOD" followed by both answers, and
"median-us METHOD USER N" (the answer's time); exits 1 if any differ.
"""
import re
import socket
import statistics
import sys
import time

vip, port, local, domain, real = sys.argv[1:6]
fakes = sys.argv[6:]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind((local, 0))
sock.settimeout(3)
lport = sock.getsockname()[1]
seq = [0]


def request(method, user):
    seq[0] += 1
    n = seq[0]
    uri = 'sip:%s@%s' % (user, domain)
    ruri = 'sip:%s' % domain if method == 'REGISTER' else uri
    lines = [
        '%s %s SIP/2.0' % (method, ruri),
        'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKprobe%06d;rport' % (local, lport, n),
        'Max-Forwards: 70',
        'From: <%s>;tag=probe%06d' % (uri, n),
        'To: <%s>' % uri,
        'Call-ID: probe%06d@%s' % (n, local),
        'CSeq: 1 %s' % method,
        'Contact: <sip:%s@%s:%d>' % (user, local, lport),
        'User-Agent: siplb-scanner-probe',
    ]
    if method == 'SUBSCRIBE':
        lines.append('Event: presence')
        lines.append('Expires: 60')
    if method == 'REGISTER':
        lines.append('Expires: 60')
    lines += ['Content-Length: 0', '', '']
    return n, '\r\n'.join(lines).encode()


def ask(method, user):
    n, data = request(method, user)
    t0 = time.monotonic()
    sock.sendto(data, (vip, int(port)))
    while True:
        try:
            resp, _ = sock.recvfrom(65535)
        except socket.timeout:
            return None, 0
        text = resp.decode('latin-1')
        if ('probe%06d' % n) not in text:
            continue        # a late answer to an earlier request
        status = int(text.split(' ', 2)[1])
        if status >= 200:
            return text, time.monotonic() - t0


def mask(text, user):
    text = text.replace(user, 'USER')
    text = re.sub(r'probe\d{6}', 'probeN', text)
    text = re.sub(r'tag=[^;>\r\n]+', 'tag=T', text)
    text = re.sub(r'nonce="[^"]*"', 'nonce="N"', text)
    text = re.sub(r'received=[^;\r\n]+', 'received=R', text)
    return text


bad = 0
for method in ('REGISTER', 'INVITE', 'OPTIONS', 'SUBSCRIBE'):
    times = {}
    want, _ = ask(method, real)
    if want is None:
        print('DIFFERENT %s: no answer for %s' % (method, real))
        bad += 1
        continue
    status = want.split(' ', 2)[1]
    for user in [real] + fakes:
        times[user] = []
        for _ in range(20):
            got, dt = ask(method, user)
            times[user].append(dt * 1e6)
            if got is None or mask(got, user) != mask(want, real):
                print('DIFFERENT %s %s vs %s:\n%s\n---\n%s' %
                      (method, real, user, want, got))
                bad += 1
                break
    if not bad:
        print('same %s %s' % (method, status))
    for user, ts in times.items():
        if ts:
            print('median-us %s %s %d' % (method, user,
                                          statistics.median(ts)))
sys.exit(1 if bad else 0)
