#!/usr/bin/env python3
"""crosscall.py - calls whose messages cross different balancers.

    crosscall.py CLIENT_IP VIP PORT CALLS PORT_A PORT_B BYE_TRIES TAG

For each call: INVITE and ACK from CLIENT_IP:PORT_A, BYE from PORT_B (the
cluster testbed routes the two source ports through different
balancers). Replies are taken on either socket: sipp's UAS answers a call
at the address its INVITE came from. Prints one line per call, "callid
ID ok" or "callid ID fail WHY", then "calls N ok K". BYE_TRIES (3) is
how often a BYE is sent, 3 s apart, before the call counts as failed: 1
where a BYE is expected to reach a UAS that never saw the call. Call-IDs
are xnode-TAG-N-RANDOM@CLIENT_IP.
"""
import secrets
import select
import socket
import sys

client, vip, port, calls, pa, pb = sys.argv[1], sys.argv[2], \
    int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
bye_tries, phase = int(sys.argv[7]), sys.argv[8]
socks = {}
for p in (pa, pb):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((client, p))
    socks[p] = s


def request(method, cseq, callid, tag, totag, via_port, n):
    to = '<sip:service@%s>' % vip + (';tag=%s' % totag if totag else '')
    return ('%s sip:service@%s:%d SIP/2.0\r\n'
            'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%s-%d\r\n'
            'Max-Forwards: 70\r\n'
            'From: <sip:phone@%s>;tag=%s\r\n'
            'To: %s\r\n'
            'Call-ID: %s\r\n'
            'CSeq: %d %s\r\n'
            'Contact: <sip:phone@%s:%d>\r\n'
            'Content-Length: 0\r\n\r\n'
            % (method, vip, port, client, via_port, tag, n, client, tag, to,
               callid, cseq, method, client, pa)).encode()


def wait_final(callid, cseq_method, timeout=3.0):
    """The final response to CSeq method of callid, or None."""
    while True:
        r, _, _ = select.select(list(socks.values()), [], [], timeout)
        if not r:
            return None
        for s in r:
            msg = s.recv(65535).decode(errors='replace')
            head = msg.split('\r\n')
            if not head[0].startswith('SIP/2.0 '):
                continue
            code = int(head[0].split()[1])
            hdrs = {l.split(':', 1)[0].strip().lower(): l.split(':', 1)[1].strip()
                    for l in head[1:] if ':' in l}
            if hdrs.get('call-id') != callid or \
                    not hdrs.get('cseq', '').endswith(cseq_method):
                continue
            if code >= 200:
                return code, hdrs


def one_call(i):
    callid = 'xnode-%s-%d-%s@%s' % (phase, i, secrets.token_hex(6), client)
    tag = secrets.token_hex(4)
    for attempt in range(3):
        socks[pa].sendto(request('INVITE', 1, callid, tag, None, pa, 1),
                         (vip, port))
        got = wait_final(callid, 'INVITE')
        if got:
            break
    if not got or got[0] != 200:
        return callid, 'INVITE answered %s' % (got[0] if got else 'never')
    to = got[1].get('to', '')
    totag = to.split('tag=', 1)[1].split(';')[0] if 'tag=' in to else None
    socks[pa].sendto(request('ACK', 1, callid, tag, totag, pa, 2),
                     (vip, port))
    for attempt in range(bye_tries):
        socks[pb].sendto(request('BYE', 2, callid, tag, totag, pb, 3),
                         (vip, port))
        got = wait_final(callid, 'BYE')
        if got:
            break
    if not got or got[0] != 200:
        return callid, 'BYE answered %s' % (got[0] if got else 'never')
    return callid, None


ok = 0
for i in range(calls):
    callid, why = one_call(i)
    print('callid %s %s' % (callid, 'ok' if not why else 'fail ' + why))
    ok += why is None
print('calls %d ok %d' % (calls, ok))
