#!/usr/bin/env python3
"""mwi_server.py ADDR PORT COUNT - a minimal message-summary notifier for
tests/e2e/events.sh: answers each SUBSCRIBE 200 (To tag, Record-Route
copied), then sends a NOTIFY in that dialog (RFC 6665: Request-URI the
subscriber's Contact, Route from the Record-Route, so it goes back through
the VIP) and waits for its 200, retransmitting on Timer E's schedule.
Prints one line per step and "served N" at the end; exits 1 on a
timeout."""
import re
import socket
import sys

addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(30)


def headers(msg, name):
    return [m.group(1) for m in
            re.finditer(r'(?im)^%s[ \t]*:[ \t]*(.*?)\r$' % name, msg)]


def uri_of(value):
    m = re.search(r'<([^>]*)>', value)
    return m.group(1) if m else value.split(';')[0].strip()


def hostport(uri):
    m = re.match(r'sips?:(?:[^@]*@)?([^;:>]+)(?::(\d+))?', uri)
    return m.group(1), int(m.group(2) or 5060)


served = 0
while served < count:
    data, peer = s.recvfrom(65535)
    msg = data.decode(errors='replace')
    if not msg.startswith('SUBSCRIBE '):
        continue
    call_id = headers(msg, 'Call-ID')[0]
    to = headers(msg, 'To')[0] + ';tag=mwi%d' % served
    rr = headers(msg, 'Record-Route')
    reply = ['SIP/2.0 200 OK']
    reply += ['Via: ' + v for v in headers(msg, 'Via')]
    reply += ['Record-Route: ' + v for v in rr]
    reply += ['From: ' + headers(msg, 'From')[0], 'To: ' + to,
              'Call-ID: ' + call_id, 'CSeq: ' + headers(msg, 'CSeq')[0],
              'Contact: <sip:mwi@%s:%d>' % (addr, port), 'Expires: 600',
              'Content-Length: 0', '', '']
    s.sendto('\r\n'.join(reply).encode(), peer)
    print('SUBSCRIBE %s from %s:%d: 200' % (call_id, peer[0], peer[1]))
    target = uri_of(headers(msg, 'Contact')[0])
    first_hop = hostport(uri_of(rr[0])) if rr else peer
    body = 'Messages-Waiting: yes\r\nVoice-Message: 1/0\r\n'
    notify = ['NOTIFY %s SIP/2.0' % target,
              'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKmwi%d' % (addr, port,
                                                             served),
              'Max-Forwards: 70']
    notify += ['Route: ' + v for v in rr]
    notify += ['From: ' + to, 'To: ' + headers(msg, 'From')[0],
               'Call-ID: ' + call_id, 'CSeq: 1 NOTIFY',
               'Contact: <sip:mwi@%s:%d>' % (addr, port),
               'Event: message-summary',
               'Subscription-State: active;expires=600',
               'Content-Type: application/simple-message-summary',
               'Content-Length: %d' % len(body), '', body]
    wait = 0.5
    for _ in range(7):
        s.sendto('\r\n'.join(notify).encode(), first_hop)
        s.settimeout(wait)
        try:
            while True:
                data, _ = s.recvfrom(65535)
                ans = data.decode(errors='replace')
                if ans.startswith('SIP/2.0 200') and 'NOTIFY' in \
                        headers(ans, 'CSeq')[0]:
                    break
            break
        except socket.timeout:
            wait = min(wait * 2, 4)
    else:
        print('NOTIFY %s: no 200' % call_id)
        sys.exit(1)
    s.settimeout(30)
    print('NOTIFY %s via %s:%d: 200' % (call_id, first_hop[0], first_hop[1]))
    served += 1
print('served %d' % served)
