#!/usr/bin/env python3
"""sipsend.py - one-shot SIP senders for control_plane.sh (client side).

    sipsend.py invite SRC SPORT VIP VPORT CALLID [SIZE [compact]]
        one INVITE; with SIZE (0: as it comes), padded with an X-Padding
        header to SIZE bytes, so that a SIZE above the MTU leaves the
        kernel as IP fragments; with "compact", the Call-ID header is
        written "i :<TAB> VALUE  " (compact name, blanks around the colon
        and after the value: RFC 3261 7.3.1), not "Call-ID: VALUE"
    sipsend.py batch SRC SPORT VIP VPORT PREFIX COUNT
        COUNT INVITEs, Call-IDs PREFIX-1..PREFIX-COUNT, 2 ms apart
    sipsend.py register SRC SPORT VIP VPORT USER DOMAIN
        one REGISTER without credentials; waits 3 s for the answer and
        prints "SOURCE-ADDR SOURCE-PORT START-LINE" and then the
        WWW-Authenticate header line(s), or "timeout"

SRC:SPORT is the local address and port to send from (the client's).
"""
import socket
import sys
import time


def host(a):
    return '[%s]' % a if ':' in a else a


def sock_for(src, sport):
    s = socket.socket(socket.AF_INET6 if ':' in src else socket.AF_INET,
                      socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, int(sport)))
    return s


def invite(src, sport, vip, vport, callid, branch, size=0, compact=False):
    sdp = ('v=0\r\no=cp 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n'
           'm=audio 6000 RTP/AVP 0\r\n' % (src, src))
    head = ('INVITE sip:service@%s:%s SIP/2.0\r\n'
            'Via: SIP/2.0/UDP %s:%s;branch=z9hG4bK-%s\r\n'
            'Max-Forwards: 70\r\n'
            'From: <sip:cp@%s>;tag=cp-%s\r\n'
            'To: <sip:service@%s>\r\n'
            '%s\r\n'
            'CSeq: 1 INVITE\r\n'
            'Contact: <sip:cp@%s:%s>\r\n'
            'Content-Type: application/sdp\r\n'
            % (host(vip), vport, host(src), sport, branch, host(src), branch,
               host(vip), ('i :\t %s  ' if compact else 'Call-ID: %s') % callid,
               host(src), sport))
    tail = 'Content-Length: %d\r\n\r\n%s' % (len(sdp), sdp)
    msg = head + tail
    if size:
        # X-Padding: ... \r\n adds 13 bytes around the padding itself.
        pad = size - len(msg) - 13
        if pad < 1:
            sys.exit('size %d is too small' % size)
        msg = head + 'X-Padding: ' + 'p' * pad + '\r\n' + tail
        assert len(msg) == size, (len(msg), size)
    return msg.encode()


def main():
    cmd, src, sport, vip, vport = sys.argv[1:6]
    args = sys.argv[6:]
    s = sock_for(src, sport)
    dest = (vip, int(vport))
    if cmd == 'invite':
        size = int(args[1]) if len(args) > 1 else 0
        compact = len(args) > 2 and args[2] == 'compact'
        msg = invite(src, sport, vip, vport, args[0],
                     'cp%d' % time.time_ns(), size, compact)
        s.sendto(msg, dest)
        print('sent %d bytes' % len(msg))
    elif cmd == 'batch':
        prefix, count = args[0], int(args[1])
        for i in range(1, count + 1):
            s.sendto(invite(src, sport, vip, vport, '%s-%d' % (prefix, i),
                            '%s%d' % (prefix, i)), dest)
            time.sleep(0.002)
    elif cmd == 'register':
        user, domain = args
        msg = ('REGISTER sip:%s SIP/2.0\r\n'
               'Via: SIP/2.0/UDP %s:%s;branch=z9hG4bK-cp-reg-%d\r\n'
               'Max-Forwards: 70\r\n'
               'From: <sip:%s@%s>;tag=cp-reg\r\n'
               'To: <sip:%s@%s>\r\n'
               'Call-ID: cp-register-%d@%s\r\n'
               'CSeq: 1 REGISTER\r\n'
               'Contact: <sip:%s@%s:%s>\r\n'
               'Expires: 60\r\n'
               'Content-Length: 0\r\n\r\n'
               % (domain, host(src), sport, time.time_ns(), user, domain,
                  user, domain, time.time_ns(), host(src), user, host(src),
                  sport))
        s.sendto(msg.encode(), dest)
        s.settimeout(3)
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            print('timeout')
            return
        lines = data.decode('utf-8', 'replace').split('\r\n')
        print(peer[0], peer[1], lines[0])
        for line in lines[1:]:
            if line.lower().startswith('www-authenticate:'):
                print(line)
    else:
        sys.exit('unknown command %s' % cmd)


if __name__ == '__main__':
    main()
