#!/usr/bin/env python3
"""digest_client.py - a minimal SIP REGISTER client with Digest
authentication (RFC 3261 22, RFC 8760), for tests/e2e/register.sh.

Plain UDP sockets and hashlib; one request at a time, no retransmission,
so "no answer" means no answer. Every command prints one line per step,
"<step> <status>" where status is the response code or "timeout", and
then, for 2xx responses, the Contact lines the registrar returned as
"contact <value>", the top Via as "via <value>" and any Require as
"require <value>". Exit status 0 if the command ran (whatever the server
answered), 2 on bad usage or a protocol surprise (a 401 without a usable
challenge, say).

Commands (common options below):
  register   REGISTER -> 401 -> REGISTER with credentials. Steps:
             "challenge", "register".
  replay     as register, then the very same authenticated datagram again
             (same nonce, same nc). Steps: "challenge", "register",
             "replay". With --replay-after PATH the replay waits (at most
             60 s) until PATH exists: a test restarts siplbd meanwhile.
  cseq       on one Call-ID: CSeq 10 (200 expected), then CSeq 4/5 (a
             lower CSeq with fresh credentials: 500 expected), then
             CSeq 20/21 (200 expected). Steps: "challenge", "register",
             "lower-challenge", "lower", "higher-challenge", "higher".
  guess      one unauthenticated REGISTER ("challenge"), then --count
             REGISTERs with credentials computed from --password (give it
             a wrong one), each with the nonce of the latest challenge
             ("guess1".."guessN").
  probe      one REGISTER without credentials ("probe").
  bulk       register every line of --csv (sipp -inf format: "user;password;
             domain;expires", a first line SEQUENTIAL is skipped) in turn,
             at most --rate per second, as register does: prints "bulk
             total N ok M failed K" and a "fail USER STATUS" line for each
             of the first 10 failures. An alternative to sipp for
             register.sh (SIPLB_E2E_REG_CLIENT=python).
"""
import argparse
import hashlib
import os
import re
import socket
import sys
import time

HASHES = {
    'MD5': hashlib.md5,
    'SHA-256': hashlib.sha256,
}


class Surprise(Exception):
    pass


def host_port(addr, port):
    return ('[%s]:%d' % (addr, port)) if ':' in addr else ('%s:%d' % (addr, port))


class Client:
    def __init__(self, args):
        self.a = args
        fam = socket.AF_INET6 if ':' in args.bind else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((args.bind, args.port))
        self.local = self.sock.getsockname()
        self.server = (args.server, args.server_port)
        self.ruri = 'sip:%s' % host_port(args.server, args.server_port)
        self.aor = 'sip:%s@%s' % (args.user, args.domain)
        self.contact = 'sip:%s@%s' % (args.user,
                                      host_port(self.local[0], self.local[1]))
        self.call_id = args.call_id or '%s@%s' % (os.urandom(8).hex(),
                                                   self.local[0])
        self.from_tag = os.urandom(4).hex()
        self.branch_n = 0

    def build(self, cseq, auth=None, expires=None):
        self.branch_n += 1
        exp = self.a.expires if expires is None else expires
        lines = [
            'REGISTER %s SIP/2.0' % self.ruri,
            'Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s-%d%s' % (
                host_port(self.local[0], self.local[1]),
                os.urandom(4).hex(), self.branch_n,
                ';rport' if self.a.rport else ''),
            'Max-Forwards: 70',
            'From: <%s>;tag=%s' % (self.aor, self.from_tag),
            'To: <%s>' % self.aor,
            'Call-ID: %s' % self.call_id,
            'CSeq: %d REGISTER' % cseq,
            'Contact: <%s>%s' % (self.contact, self.contact_params()),
            'Expires: %d' % exp,
        ]
        if self.a.outbound:
            lines.append('Supported: outbound')
        if auth:
            lines.append('Authorization: ' + auth)
        lines += ['Content-Length: 0', '', '']
        return '\r\n'.join(lines).encode()

    def contact_params(self):
        """RFC 5626: +sip.instance and reg-id, if asked for."""
        p = ''
        if self.a.instance:
            p += ';+sip.instance="<%s>"' % self.a.instance
        if self.a.reg_id:
            p += ';reg-id=%d' % self.a.reg_id
        return p

    def exchange(self, data, cseq):
        """Send data; the response to (our Call-ID, cseq), or None."""
        if self.a.verbose:
            sys.stderr.write(data.decode('utf-8', 'replace') + '\n---\n')
        self.sock.sendto(data, self.server)
        self.sock.settimeout(self.a.timeout)
        while True:
            try:
                resp, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                return None
            if self.a.verbose:
                sys.stderr.write(resp.decode('utf-8', 'replace') + '\n---\n')
            msg = parse(resp)
            if msg is None:
                continue
            if msg['hdrs'].get('call-id', [''])[0] != self.call_id:
                continue
            cs = msg['hdrs'].get('cseq', [''])[0].split()
            if not cs or cs[0] != str(cseq):
                continue
            return msg

    def challenge_of(self, msg):
        """(algorithm, params) of the challenge we answer."""
        offers = {}
        for v in msg['hdrs'].get('www-authenticate', []):
            m = re.match(r'\s*Digest\s+(.*)$', v, re.I | re.S)
            if not m:
                continue
            p = auth_params(m.group(1))
            alg = p.get('algorithm', 'MD5').upper()
            offers.setdefault(alg, p)
        want = self.a.alg.upper()
        if want not in offers:
            raise Surprise('no %s challenge in the 401 (offered: %s)'
                           % (want, ', '.join(sorted(offers)) or 'none'))
        return want, offers[want]

    def authorization(self, alg, ch, password, nc=1):
        h = HASHES[alg]
        hx = lambda s: h(s.encode()).hexdigest()
        realm, nonce = ch['realm'], ch['nonce']
        qops = [q.strip() for q in ch.get('qop', '').split(',') if q.strip()]
        user = self.a.auth_user or self.a.user
        ha1 = hx('%s:%s:%s' % (user, realm, password))
        ha2 = hx('REGISTER:%s' % self.ruri)
        parts = ['username="%s"' % user, 'realm="%s"' % realm,
                 'nonce="%s"' % nonce, 'uri="%s"' % self.ruri,
                 'algorithm=%s' % alg]
        if 'auth' in qops:
            cnonce = os.urandom(8).hex()
            ncs = '%08x' % nc
            resp = hx('%s:%s:%s:%s:auth:%s' % (ha1, nonce, ncs, cnonce, ha2))
            parts += ['qop=auth', 'nc=%s' % ncs, 'cnonce="%s"' % cnonce]
        else:
            resp = hx('%s:%s:%s' % (ha1, nonce, ha2))
        parts.append('response="%s"' % resp)
        if 'opaque' in ch:
            parts.append('opaque="%s"' % ch['opaque'])
        return 'Digest ' + ', '.join(parts)

    def step(self, name, msg):
        print('%s %s' % (name, msg['code'] if msg else 'timeout'))
        if msg and 200 <= msg['code'] < 300:
            for c in msg['hdrs'].get('contact', []):
                print('contact %s' % c.strip())
            for v in msg['hdrs'].get('via', [])[:1]:
                print('via %s' % v.strip())
            for v in msg['hdrs'].get('require', []):
                print('require %s' % v.strip())
        sys.stdout.flush()

    def login(self, cseq, names=('challenge', 'register'), password=None):
        """REGISTER, 401, REGISTER with credentials: (datagram, response)."""
        r = self.exchange(self.build(cseq), cseq)
        self.step(names[0], r)
        if r is None or r['code'] != 401:
            return None, r
        alg, ch = self.challenge_of(r)
        if self.a.answer_server:    # a cluster: another node answers
            self.server = (self.a.answer_server, self.a.server_port)
        data = self.build(cseq + 1, self.authorization(
            alg, ch, self.a.password if password is None else password))
        r = self.exchange(data, cseq + 1)
        self.step(names[1], r)
        return data, r


def bulk(c, a):
    lines = [l.strip() for l in open(a.csv) if l.strip()]
    if lines and lines[0] == 'SEQUENTIAL':
        lines = lines[1:]
    ok = failed = 0
    start = time.monotonic()
    for n, line in enumerate(lines):
        user, password, domain, expires = line.split(';')[:4]
        delay = start + n / a.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        a.user, a.domain, a.expires = user, domain, int(expires)
        c.aor = 'sip:%s@%s' % (user, domain)
        c.contact = 'sip:%s@%s' % (user, host_port(c.local[0], c.local[1]))
        c.call_id = '%s@%s' % (os.urandom(8).hex(), c.local[0])
        r = c.exchange(c.build(1), 1)
        if r is not None and r['code'] == 401:
            alg, ch = c.challenge_of(r)
            r = c.exchange(c.build(2, c.authorization(alg, ch, password)), 2)
        if r is not None and r['code'] == 200:
            ok += 1
        else:
            failed += 1
            if failed <= 10:
                print('fail %s %s' % (user, r['code'] if r else 'timeout'))
    print('bulk total %d ok %d failed %d' % (len(lines), ok, failed))
    return 0


def auth_params(s):
    p = {}
    for m in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]+)', s):
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r'\\(.)', r'\1', v[1:-1])
        p[m.group(1).lower()] = v
    return p


def parse(data):
    try:
        text = data.decode('utf-8', 'replace')
    except Exception:
        return None
    head = text.split('\r\n\r\n', 1)[0]
    lines = head.split('\r\n')
    m = re.match(r'SIP/2\.0 (\d{3}) ', lines[0] + ' ')
    if not m:
        return None
    hdrs = {}
    compact = {'i': 'call-id', 'm': 'contact', 'v': 'via', 'f': 'from',
               't': 'to', 'l': 'content-length'}
    for line in lines[1:]:
        if ':' not in line:
            continue
        k, v = line.split(':', 1)
        k = k.strip().lower()
        k = compact.get(k, k)
        v = v.strip()
        # Contact may list several values in one header field.
        if k == 'contact':
            hdrs.setdefault(k, []).extend(
                x for x in re.split(r',(?=\s*<)', v) if x.strip())
        else:
            hdrs.setdefault(k, []).append(v)
    return {'code': int(m.group(1)), 'hdrs': hdrs, 'raw': text}


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('command', choices=('register', 'replay', 'cseq', 'guess',
                                        'probe', 'bulk'))
    ap.add_argument('--bind', required=True, help='local address')
    ap.add_argument('--port', type=int, default=0, help='local port (0: any)')
    ap.add_argument('--server', required=True, help='registrar address (VIP)')
    ap.add_argument('--server-port', type=int, default=5060)
    ap.add_argument('--replay-server',
                    help='replay: send the replayed datagram to this '
                    'registrar (another node of a cluster)')
    ap.add_argument('--replay-after', metavar='PATH',
                    help='replay: wait until PATH exists (60 s at most)')
    ap.add_argument('--answer-server',
                    help='register: send the credentials to this registrar '
                    'instead (another node of a cluster)')
    ap.add_argument('--user', default='', help='user of the AOR')
    ap.add_argument('--password', default='')
    ap.add_argument('--auth-user',
                    help='username in the credentials (default: --user, the '
                         'user of the AOR in From/To)')
    ap.add_argument('--domain', default='', help='host part of the AOR')
    ap.add_argument('--expires', type=int, default=3600)
    ap.add_argument('--alg', default='SHA-256', choices=sorted(HASHES),
                    help='which of the offered challenges to answer')
    ap.add_argument('--call-id')
    ap.add_argument('--count', type=int, default=1, help='guess: attempts')
    ap.add_argument('--csv', help='bulk: the users to register')
    ap.add_argument('--rate', type=float, default=200,
                    help='bulk: registrations per second at most')
    ap.add_argument('--rport', action='store_true',
                    help='ask for rport in Via (RFC 3581); 2xx: prints '
                         'the top Via as "via VALUE"')
    ap.add_argument('--instance', help='+sip.instance URN of the Contact')
    ap.add_argument('--reg-id', type=int, default=0,
                    help='reg-id of the Contact (RFC 5626)')
    ap.add_argument('--outbound', action='store_true',
                    help='Supported: outbound; 2xx: prints Require lines')
    ap.add_argument('-v', '--verbose', action='store_true',
                    help='copy every datagram to stderr')
    ap.add_argument('--timeout', type=float, default=2.0,
                    help='seconds to wait for each response')
    a = ap.parse_args()
    c = Client(a)
    try:
        if a.command == 'register':
            c.login(1)
        elif a.command == 'replay':
            data, r = c.login(1)
            if r is not None and r['code'] == 200:
                if a.replay_server:
                    c.server = (a.replay_server, a.server_port)
                sys.stdout.flush()
                deadline = time.monotonic() + 60
                while a.replay_after and not os.path.exists(a.replay_after):
                    if time.monotonic() > deadline:
                        raise Surprise('%s never appeared' % a.replay_after)
                    time.sleep(0.05)
                c.step('replay', c.exchange(data, 2))
        elif a.command == 'cseq':
            c.login(10)
            c.login(4, ('lower-challenge', 'lower'))
            c.login(20, ('higher-challenge', 'higher'))
        elif a.command == 'guess':
            r = c.exchange(c.build(1), 1)
            c.step('challenge', r)
            if r is None or r['code'] != 401:
                raise Surprise('no 401 to the first REGISTER')
            alg, ch = c.challenge_of(r)
            for i in range(a.count):
                cseq = 2 + i
                r = c.exchange(c.build(cseq, c.authorization(alg, ch, a.password)),
                               cseq)
                c.step('guess%d' % (i + 1), r)
                if r is not None and r['code'] == 401:
                    alg, ch = c.challenge_of(r)
        elif a.command == 'probe':
            c.step('probe', c.exchange(c.build(1), 1))
        elif a.command == 'bulk':
            return bulk(c, a)
    except Surprise as e:
        print('error %s' % e)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
