#!/usr/bin/env python3
"""mapsum.py - digests of the maps that decide where a call goes, so that
two balancers' maps can be compared without printing them.

    mapsum.py PINDIR VIP PORT

prints "backends SHA256" (all of siplb_backends), "rings SHA256" (both
Maglev tables of VIP:PORT, IPv4) and "hashkey SHA256" (siplb_config: a
digest, never the key). Through the bpf(2) system call, as cp/rings.py.
"""
import ctypes
import hashlib
import os
import platform
import socket
import struct
import sys

RING_SIZE = 65537                       # SIPLB_RING_SIZE
RINGS_PER_VIP = 2                       # SIPLB_RINGS_PER_VIP
MAX_BACKENDS = 1024                     # SIPLB_MAX_BACKENDS
NR_BPF = {'x86_64': 321, 'aarch64': 280}[platform.machine()]
BPF_MAP_LOOKUP_ELEM, BPF_OBJ_GET = 1, 7

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    buf = ctypes.create_string_buffer(
        struct.pack('=QII', ctypes.addressof(p), 0, 0), 128)
    fd = libc.syscall(NR_BPF, BPF_OBJ_GET, buf, 128)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, '%s: %s' % (path, os.strerror(err)))
    return fd


def digest(fd, first, count, value_size):
    """sha256 of values [first, first+count) of an array map."""
    h = hashlib.sha256()
    k = ctypes.create_string_buffer(4)
    v = ctypes.create_string_buffer(value_size)
    attr = ctypes.create_string_buffer(
        struct.pack('=IIQQQ', fd, 0, ctypes.addressof(k),
                    ctypes.addressof(v), 0), 128)
    for i in range(first, first + count):
        struct.pack_into('=I', k, 0, i)
        if libc.syscall(NR_BPF, BPF_MAP_LOOKUP_ELEM, attr, 128) < 0:
            err = ctypes.get_errno()
            raise OSError(err, 'index %d: %s' % (i, os.strerror(err)))
        h.update(v.raw)
    return h.hexdigest()


def main():
    pindir, vip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    vips = obj_get(os.path.join(pindir, 'siplb_vips'))
    key = socket.inet_aton(vip) + bytes(12) + struct.pack('!H', port) \
        + bytes([socket.AF_INET, 0])
    k = ctypes.create_string_buffer(key, len(key))
    v = ctypes.create_string_buffer(8)
    attr = ctypes.create_string_buffer(
        struct.pack('=IIQQQ', vips, 0, ctypes.addressof(k),
                    ctypes.addressof(v), 0), 128)
    if libc.syscall(NR_BPF, BPF_MAP_LOOKUP_ELEM, attr, 128) < 0:
        sys.exit('VIP %s:%d not in %s' % (vip, port, pindir))
    vip_id = struct.unpack('=II', v.raw)[0]
    print('backends', digest(obj_get(os.path.join(pindir, 'siplb_backends')),
                             0, MAX_BACKENDS, 32))
    print('rings', digest(obj_get(os.path.join(pindir, 'siplb_rings')),
                          vip_id * RINGS_PER_VIP * RING_SIZE,
                          RINGS_PER_VIP * RING_SIZE, 4))
    print('hashkey', digest(obj_get(os.path.join(pindir, 'siplb_config')),
                            0, 1, 16))


main()
