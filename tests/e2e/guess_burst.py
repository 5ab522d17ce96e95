#!/usr/bin/env python3
"""guess_burst.py - a password-guessing client that does not wait, for
tests/e2e/bruteforce.sh.

From each --bind address in turn: one REGISTER without credentials (its
401 gives a nonce), then --count REGISTERs with credentials computed from
--password (a wrong one) and that nonce, nc 1, 2, 3..., each its own CSeq,
sent back to back as fast as the socket takes them, at most --rate per
second. Then it listens for --linger seconds and counts the answers to the
guesses by status. A tool like svcrack waits for each answer; this one
shows how many guesses get answered when the guesser does not, i.e. how
many are already on their way to the registrar when the block lands.

Prints one line per address:
  "guesser ADDR sent N answered A 401 X 403 Y other Z first_unanswered K"
(K: the lowest guess number without an answer, 0 if all were answered).
Exit status 0 if it ran, 2 if the first REGISTER got no 401.
"""
import argparse
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from digest_client import Client, Surprise, parse  # noqa: E402


def guesser(a, bind):
    a.bind = bind
    c = Client(a)
    r = c.exchange(c.build(1), 1)
    if r is None or r['code'] != 401:
        raise Surprise('%s: no 401 to the first REGISTER' % bind)
    alg, ch = c.challenge_of(r)
    start = time.monotonic()
    for i in range(a.count):
        delay = start + i / a.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        cseq = 2 + i
        data = c.build(cseq, c.authorization(alg, ch, a.password, nc=i + 1))
        try:
            c.sock.sendto(data, c.server)
        except BlockingIOError:
            pass
    codes = {}
    deadline = time.monotonic() + a.linger
    c.sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            resp, _ = c.sock.recvfrom(65535)
        except socket.timeout:
            continue
        msg = parse(resp)
        if msg is None or msg['hdrs'].get('call-id', [''])[0] != c.call_id:
            continue
        cs = msg['hdrs'].get('cseq', [''])[0].split()
        if not cs or not cs[0].isdigit() or int(cs[0]) < 2:
            continue
        codes.setdefault(int(cs[0]) - 1, msg['code'])
    answered = len(codes)
    by = lambda code: sum(1 for v in codes.values() if v == code)
    other = answered - by(401) - by(403)
    first = next((i for i in range(1, a.count + 1) if i not in codes), 0)
    print('guesser %s sent %d answered %d 401 %d 403 %d other %d '
          'first_unanswered %d' % (bind, a.count, answered, by(401), by(403),
                                   other, first))
    sys.stdout.flush()
    c.sock.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--bind', required=True, action='append',
                    help='local address (repeat for several guessers)')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--server', required=True)
    ap.add_argument('--server-port', type=int, default=5060)
    ap.add_argument('--user', required=True)
    ap.add_argument('--domain', required=True)
    ap.add_argument('--password', default='not-the-password')
    ap.add_argument('--count', type=int, default=1000)
    ap.add_argument('--rate', type=float, default=100000.0)
    ap.add_argument('--linger', type=float, default=3.0)
    a = ap.parse_args()
    binds = a.bind
    # What digest_client's Client reads from its arguments.
    a.expires, a.alg, a.auth_user, a.call_id = 3600, 'MD5', None, None
    a.verbose, a.timeout = False, 2.0
    a.rport, a.outbound, a.instance, a.reg_id = False, False, None, None
    try:
        for b in binds:
            guesser(a, b)
    except Surprise as e:
        print('error %s' % e)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
