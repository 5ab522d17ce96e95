#!/usr/bin/env python3
"""notify_sink.py - stand in for systemd's notification socket (units.sh).

    notify_sink.py SOCKET OUT [CHECK...]

Binds the AF_UNIX datagram SOCKET (what $NOTIFY_SOCKET names) and appends
to OUT one line per message received: its sender's PID (SCM_CREDENTIALS,
as systemd reads it) and the message with newlines as '|'. On a message
with READY=1 it runs CHECK (a command) at once and appends "check RC", so
the test can tell what was true when readiness was reported. Runs until
killed.
"""
import os
import socket
import struct
import subprocess
import sys

path, out, check = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
ucred = struct.calcsize('3i')
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(ucred))
    pid = 0
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('3i', data[:ucred])[0]
    text = msg.decode('utf-8', 'replace')
    with open(out, 'a') as f:
        f.write('%d %s\n' % (pid, text.replace('\n', '|')))
        if check and 'READY=1' in text.split('\n'):
            rc = subprocess.call(check, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            f.write('check %d\n' % rc)
