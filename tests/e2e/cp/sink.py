#!/usr/bin/env python3
"""sink.py ADDR PORT LOG READY - a stand-in SIP backend for control_plane.sh.

Binds a UDP socket to ADDR:PORT (a backend's endpoint, inside its
namespace) and appends one tab-separated line per datagram to LOG:

    epoch  source-address  source-port  length  Call-ID  start-line

so the test sees which backend got which Call-ID, from which source, and
how big it was once the kernel reassembled it. OPTIONS requests (siplbd's
health probes) are answered 200 OK and not logged, so the backend stays
"up" while it stands in for sipp. READY is created once the socket is bound.
Runs until it is signalled.
"""
import socket
import sys
import time


def header(lines, names):
    """The value of the first header line whose name is in names."""
    for line in lines[1:]:
        if not line:
            break
        name, sep, value = line.partition(':')
        if sep and name.strip().lower() in names:
            return value.strip()
    return ''


def answer_options(sock, lines, src):
    keep = []
    for line in lines[1:]:
        if not line:
            break
        name = line.partition(':')[0].strip().lower()
        if name in ('via', 'v', 'from', 'f', 'to', 't', 'call-id', 'i',
                    'cseq'):
            keep.append(line)
    reply = 'SIP/2.0 200 OK\r\n' + '\r\n'.join(keep) + \
        '\r\nContent-Length: 0\r\n\r\n'
    sock.sendto(reply.encode(), src)


def main():
    addr, port, logpath, ready = sys.argv[1:5]
    family = socket.AF_INET6 if ':' in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((addr, int(port)))
    open(ready, 'w').close()
    with open(logpath, 'a', buffering=1) as log:
        while True:
            data, src = sock.recvfrom(65535)
            text = data.decode('utf-8', 'replace')
            lines = text.split('\r\n')
            start = lines[0]
            if start.startswith('OPTIONS '):
                answer_options(sock, lines, src)
                continue
            callid = header(lines, ('call-id', 'i'))
            log.write('%.6f\t%s\t%d\t%d\t%s\t%s\n' % (
                time.time(), src[0], src[1], len(data), callid,
                start.replace('\t', ' ')))


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
