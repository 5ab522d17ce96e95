#!/usr/bin/env python3
"""invite.py - one INVITE and its final answer (units.sh).

    invite.py SRC VIP PORT USER DOMAIN

Sends INVITE sip:USER@DOMAIN from SRC (an ephemeral port) to VIP:PORT and
prints the status line of the first final (>= 200) response, or
"timeout" after 5 s.
"""
import socket
import sys
import time

src, vip, port, user, domain = sys.argv[1:6]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
sport = s.getsockname()[1]
cid = 'units-%d@%s' % (time.time_ns(), src)
msg = ('INVITE sip:%s@%s SIP/2.0\r\n'
       'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%d;rport\r\n'
       'Max-Forwards: 70\r\n'
       'From: <sip:trunk@%s>;tag=u1\r\n'
       'To: <sip:%s@%s>\r\n'
       'Call-ID: %s\r\n'
       'CSeq: 1 INVITE\r\n'
       'Contact: <sip:trunk@%s:%d>\r\n'
       'Content-Length: 0\r\n\r\n' % (user, domain, src, sport,
                                      time.time_ns(), src, user, domain,
                                      cid, src, sport))
s.sendto(msg.encode(), (vip, int(port)))
s.settimeout(0.5)
deadline = time.time() + 5
while time.time() < deadline:
    try:
        data = s.recv(65535).decode('utf-8', 'replace')
    except socket.timeout:
        continue
    first = data.split('\r\n', 1)[0]
    parts = first.split(' ')
    if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) >= 200 \
            and cid in data:
        print(first)
        sys.exit(0)
print('timeout')
