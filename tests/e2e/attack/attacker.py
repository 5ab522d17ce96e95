#!/usr/bin/env python3
"""attacker.py - what a toll fraudster and a framer send, for
tests/e2e/attack.sh. Plain UDP, one request at a time, no
retransmission; every step prints one line "<step> <status>" (the response
code, or "timeout"). Exit status 0 if the steps ran, 2 on bad usage.

Commands (common options: --vip ADDR:PORT, --domain D, --src ADDR):
  toll     an INVITE to a premium-rate number at a foreign gateway, from
           --src: first without credentials ("toll-plain"), then with
           Proxy-Authorization for --user computed from --password
           ("toll-guess": a wrong one is a guess; the right one is an
           insider calling out), then claiming the user in From with no
           credentials ("toll-as-user"). --prefix goes before the names.
  forged   an "in-dialog" INVITE (a To tag, a Route naming the VIP without
           our token, a foreign Request-URI): "forged".
  frame    fetch a nonce from --src ("nonce"), then send --count REGISTERs
           for --user with a wrong password and that nonce from
           --victim's address ("frame1".."frameN"): a framer who forges the
           victim's address to get it blocked.
  guess    fetch a nonce from --src and guess --count times from --src
           itself ("guess1".."guessN"): real failures, to show the block
           works for the one who fails.
"""
import argparse
import hashlib
import random
import re
import socket
import sys

TOLL_TARGET = 'sip:+882999000111@198.18.7.7'


def host_port(addr, port):
    return ('[%s]:%d' % (addr, port)) if ':' in addr else ('%s:%d' % (addr, port))


def split_ep(text):
    m = re.fullmatch(r'\[?([^\]]+?)\]?:(\d+)', text)
    if not m:
        raise SystemExit('bad endpoint: %s' % text)
    return m.group(1), int(m.group(2))


class Peer:
    """A UDP socket bound to addr (port chosen by the kernel)."""

    def __init__(self, addr, vip):
        fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_DGRAM)
        self.s.bind((addr, 0))
        self.s.settimeout(2.0)
        self.addr, self.port = addr, self.s.getsockname()[1]
        self.vip = vip

    def ask(self, text):
        """Send one request; the final response (skipping 1xx), or None."""
        self.s.sendto(text.encode(), self.vip)
        while True:
            try:
                data = self.s.recv(65535).decode(errors='replace')
            except socket.timeout:
                return None
            m = re.match(r'SIP/2\.0 (\d{3})', data)
            if m and not m.group(1).startswith('1'):
                return data

    def via(self):
        return 'Via: SIP/2.0/UDP %s;branch=z9hG4bK%08x;rport\r\n' % (
            host_port(self.addr, self.port), random.getrandbits(32))


def status(resp):
    return resp.split(' ', 2)[1] if resp else 'timeout'


def challenge(resp, header):
    m = re.search(r'^%s:\s*Digest\s+(.*)$' % header, resp or '', re.M | re.I)
    if not m:
        return None
    return dict((k.lower(), v.strip('"')) for k, v in
                re.findall(r'(\w+)=("[^"]*"|[^,\s]+)', m.group(1)))


def authorization(ch, user, password, method, uri, header):
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
    ha1 = md5('%s:%s:%s' % (user, ch['realm'], password))
    ha2 = md5('%s:%s' % (method, uri))
    cnonce = '%08x' % random.getrandbits(32)
    resp = md5('%s:%s:00000001:%s:auth:%s' % (ha1, ch['nonce'], cnonce, ha2))
    return ('%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=MD5, qop=auth, nc=00000001, '
            'cnonce="%s"%s\r\n' % (header, user, ch['realm'], ch['nonce'],
                                   uri, resp, cnonce,
                                   ', opaque="%s"' % ch['opaque']
                                   if 'opaque' in ch else ''))


def invite(p, ruri, from_uri, extra='', to_tag='', call_id=None, cseq=1):
    """An INVITE; a retry after a 407 keeps the Call-ID, as clients do
    (the balancer steers it to the worker that issued the nonce)."""
    call_id = call_id or '%016x@attacker' % random.getrandbits(64)
    return p.ask('INVITE %s SIP/2.0\r\n%sMax-Forwards: 70\r\n'
                 'From: <%s>;tag=%08x\r\nTo: <%s>%s\r\nCall-ID: %s\r\n'
                 'CSeq: %d INVITE\r\nContact: <sip:x@%s>\r\n%s'
                 'Content-Length: 0\r\n\r\n' %
                 (ruri, p.via(), from_uri, random.getrandbits(32), ruri,
                  to_tag, call_id, cseq, host_port(p.addr, p.port), extra))


def register(p, a, auth=''):
    aor = 'sip:%s@%s' % (a.user, a.domain)
    return p.ask('REGISTER sip:%s SIP/2.0\r\n%sMax-Forwards: 70\r\n'
                 'From: <%s>;tag=%08x\r\nTo: <%s>\r\nCall-ID: %016x@frame\r\n'
                 'CSeq: 1 REGISTER\r\nContact: <sip:%s@%s>\r\n%s'
                 'Content-Length: 0\r\n\r\n' %
                 (a.domain, p.via(), aor, random.getrandbits(32), aor,
                  random.getrandbits(64), a.user, host_port(p.addr, p.port),
                  auth))


def cmd_toll(a, vip):
    p = Peer(a.src, vip)
    stranger = 'sip:fraud@%s' % a.src
    call_id = '%016x@attacker' % random.getrandbits(64)
    r = invite(p, TOLL_TARGET, stranger, call_id=call_id)
    print(a.prefix + 'toll-plain', status(r))
    ch = challenge(r, 'Proxy-Authenticate')
    if ch:
        auth = authorization(ch, a.user, a.password, 'INVITE', TOLL_TARGET,
                             'Proxy-Authorization')
        r = invite(p, TOLL_TARGET, 'sip:%s@%s' % (a.user, a.domain), auth,
                   call_id=call_id, cseq=2)
        print(a.prefix + 'toll-guess', status(r))
    r = invite(p, TOLL_TARGET, 'sip:%s@%s' % (a.user, a.domain))
    print(a.prefix + 'toll-as-user', status(r))


def cmd_forged(a, vip):
    p = Peer(a.src, vip)
    route = 'Route: <sip:%s;lr>\r\n' % host_port(*vip)
    r = invite(p, TOLL_TARGET, 'sip:%s@%s' % (a.user, a.domain), route,
               ';tag=%08x' % random.getrandbits(32))
    print('forged', status(r))


def nonce_from(p, a):
    r = register(p, a)
    print('nonce', status(r))
    ch = challenge(r, 'WWW-Authenticate')
    if not ch:
        raise SystemExit(2)
    return ch


def cmd_frame(a, vip):
    ch = nonce_from(Peer(a.src, vip), a)
    victim = Peer(a.victim, vip)
    uri = 'sip:%s' % a.domain
    for i in range(1, a.count + 1):
        auth = authorization(ch, a.user, a.password, 'REGISTER', uri,
                             'Authorization')
        print('frame%d' % i, status(register(victim, a, auth)))


def cmd_guess(a, vip):
    p = Peer(a.src, vip)
    uri = 'sip:%s' % a.domain
    for i in range(1, a.count + 1):
        ch = challenge(register(p, a), 'WWW-Authenticate')
        if not ch:
            print('guess%d' % i, 'no-challenge')
            continue
        auth = authorization(ch, a.user, a.password, 'REGISTER', uri,
                             'Authorization')
        print('guess%d' % i, status(register(p, a, auth)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('command', choices=['toll', 'forged', 'frame', 'guess'])
    ap.add_argument('--vip', required=True)
    ap.add_argument('--domain', required=True)
    ap.add_argument('--src', required=True)
    ap.add_argument('--victim')
    ap.add_argument('--user', default='alice')
    ap.add_argument('--password', default='not-the-password')
    ap.add_argument('--count', type=int, default=10)
    ap.add_argument('--prefix', default='', help='before each step name')
    a = ap.parse_args()
    vip = split_ep(a.vip)
    if a.command == 'frame' and not a.victim:
        ap.error('frame needs --victim')
    {'toll': cmd_toll, 'forged': cmd_forged, 'frame': cmd_frame,
     'guess': cmd_guess}[a.command](a, vip)


if __name__ == '__main__':
    sys.exit(main())
