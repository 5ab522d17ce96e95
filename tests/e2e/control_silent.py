#!/usr/bin/env python3
"""control_silent.py - silent clients on siplbd's control socket, for
register.sh: siplbd must go on answering REGISTERs and control requests
while clients that connect and say nothing hold connections open.

    control_silent.py SOCKET SRC SPORT VIP VPORT DOMAIN READY GO

1. Connects to SOCKET and says nothing. At once, a REGISTER without
   credentials from SRC:SPORT to VIP:VPORT: prints
   "register CODE SECONDS" (the time to the answer; "timeout" after 3 s).
2. Creates the file READY, waits (10 s at most) for the file GO, which
   the caller makes once it has run its own control requests, and prints
   "silent_open_at_go yes|no" (was the silent connection still open).
3. Waits for siplbd to close the silent connection for idleness: prints
   "idle_closed SECONDS" since it connected ("idle_closed never" after 12 s).
4. Opens CROWD silent connections, more than siplbd keeps: prints
   "crowd_evicted N" (closed by siplbd within 1 s), then sends "stats"
   on one more connection: "crowd_stats ok|..." and its SECONDS.
"""
import os
import select
import socket
import sys
import time

CROWD = 20


def unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def closed(s, timeout):
    """True if the peer closed s within timeout seconds."""
    r, _, _ = select.select([s], [], [], timeout)
    if not r:
        return False
    try:
        return s.recv(1) == b''
    except ConnectionResetError:
        return True


def register(src, sport, vip, vport, domain):
    fam = socket.AF_INET6 if ':' in vip else socket.AF_INET
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((src, sport))
    u.settimeout(3)
    tag = '%x' % int(time.time() * 1e6)
    msg = ('REGISTER sip:%s SIP/2.0\r\n'
           'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKsilent%s\r\n'
           'Max-Forwards: 70\r\nFrom: <sip:silent@%s>;tag=%s\r\n'
           'To: <sip:silent@%s>\r\nCall-ID: silent-%s@x\r\n'
           'CSeq: 1 REGISTER\r\nContact: <sip:silent@%s:%d>\r\n'
           'Content-Length: 0\r\n\r\n'
           % (domain, src, sport, tag, domain, tag, domain, tag, src, sport))
    t0 = time.monotonic()
    u.sendto(msg.encode(), (vip, vport))
    try:
        data = u.recv(65535)
    except socket.timeout:
        return 'timeout', time.monotonic() - t0
    code = data.decode(errors='replace').split('\r\n')[0].split(' ')[1]
    return code, time.monotonic() - t0


def main():
    path, src, sport, vip, vport, domain, ready, go = sys.argv[1:9]
    silent = unix(path)
    t_conn = time.monotonic()
    code, secs = register(src, int(sport), vip, int(vport), domain)
    print('register %s %.4f' % (code, secs), flush=True)

    open(ready, 'w').close()
    deadline = time.monotonic() + 10
    while not os.path.exists(go) and time.monotonic() < deadline:
        time.sleep(0.05)
    gone = closed(silent, 0)
    print('silent_open_at_go %s' % ('no' if gone else 'yes'), flush=True)

    if gone or closed(silent, max(0, t_conn + 12 - time.monotonic())):
        print('idle_closed %.1f' % (time.monotonic() - t_conn), flush=True)
    else:
        print('idle_closed never', flush=True)
    silent.close()

    crowd = [unix(path) for _ in range(CROWD)]
    t0 = time.monotonic()
    evicted = 0
    for s in crowd:
        if closed(s, max(0, t0 + 1 - time.monotonic())):
            evicted += 1
    print('crowd_evicted %d' % evicted, flush=True)
    t0 = time.monotonic()
    s = unix(path)
    s.sendall(b'stats\n')
    s.settimeout(3)
    reply = b''
    try:
        while True:
            part = s.recv(65536)
            if not part:
                break
            reply += part
    except socket.timeout:
        pass
    first = reply.decode(errors='replace').split('\n')[0] or 'nothing'
    print('crowd_stats %s %.3f' % (first, time.monotonic() - t0), flush=True)
    for c in crowd + [s]:
        c.close()


if __name__ == '__main__':
    main()
