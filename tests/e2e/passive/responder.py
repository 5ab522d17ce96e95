#!/usr/bin/env python3
"""responder.py - a SIP backend that answers with a fixed code.

    responder.py ADDR PORT MODE READY_FILE

MODE:
  calls-503    OPTIONS 200, every other request 503 (a backend whose probes
               look fine while it refuses every call)
  all-503      every request 503
  retry-after  every request 503 with Retry-After: 30
ACKs are not answered. Writes READY_FILE once bound; runs until killed.
"""
import socket
import sys


def header_lines(msg, names):
    out = []
    for line in msg.split('\r\n')[1:]:
        if not line:
            break
        name = line.split(':', 1)[0].strip().lower()
        if name in names:
            out.append(line)
    return out


def answer(msg, mode):
    method = msg.split(' ', 1)[0]
    if method == 'ACK' or msg.startswith('SIP/2.0'):
        return None
    code, extra = '503 Service Unavailable', []
    if mode == 'calls-503' and method == 'OPTIONS':
        code = '200 OK'
    if mode == 'retry-after':
        extra = ['Retry-After: 30']
    lines = ['SIP/2.0 ' + code]
    lines += header_lines(msg, ('via', 'v', 'from', 'f', 'call-id', 'i',
                                'cseq'))
    for to in header_lines(msg, ('to', 't')):
        lines.append(to if ';tag=' in to else to + ';tag=resp503')
    lines += extra + ['Content-Length: 0', '', '']
    return '\r\n'.join(lines).encode()


def main():
    addr, port, mode, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    open(ready, 'w').close()
    while True:
        data, peer = s.recvfrom(65535)
        reply = answer(data.decode('utf-8', 'replace'), mode)
        if reply:
            s.sendto(reply, peer)


if __name__ == '__main__':
    main()
