#!/usr/bin/env python3
"""rings.py - read a VIP's active Maglev table from the pinned maps.

    rings.py dump PINDIR VIP PORT OUT
        write the active table of VIP:PORT (IPv4) to OUT, one backend id
        per slot (array of 65537 u32), and print "ring RING_ID" and one
        "backend ID SLOTS" line per backend in it
    rings.py diff BEFORE AFTER GONE_ID
        compare two dumps: print "slots N", "gone_slots N" (slots BEFORE
        gave to GONE_ID), "moved N" (slots whose backend changed), and
        "moved_other N" (slots that changed although they were not
        GONE_ID's: the disruption beyond the removed backend's own share)
    rings.py same A B
        print "differ N": how many slots differ

The XDP program picks slot SipHash(Call-ID) % 65537, so the share of slots
whose backend changes is the share of new Call-IDs that land elsewhere.
Uses the bpf(2) system call through ctypes (no bpftool JSON of 65537
entries); works from any network namespace, bpffs is global.
"""
import array
import ctypes
import os
import platform
import socket
import struct
import sys

RING_SIZE = 65537                       # SIPLB_RING_SIZE
NR_BPF = {'x86_64': 321, 'aarch64': 280}[platform.machine()]
BPF_MAP_LOOKUP_ELEM, BPF_OBJ_GET = 1, 7

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    ret = libc.syscall(NR_BPF, cmd, buf, 128)
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return ret


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, struct.pack('=QII', ctypes.addressof(p), 0, 0))


def lookup(fd, key, value_size):
    k = ctypes.create_string_buffer(key, len(key))
    v = ctypes.create_string_buffer(value_size)
    bpf(BPF_MAP_LOOKUP_ELEM, struct.pack('=IIQQQ', fd, 0, ctypes.addressof(k),
                                         ctypes.addressof(v), 0))
    return v.raw


def dump(pindir, vip, port, out):
    vips = obj_get(os.path.join(pindir, 'siplb_vips'))
    rings = obj_get(os.path.join(pindir, 'siplb_rings'))
    # struct siplb_endpoint: __be32 addr[4], __be16 port, u8 family, u8 pad
    key = socket.inet_aton(vip) + bytes(12) + struct.pack('!H', int(port)) \
        + bytes([socket.AF_INET, 0])
    vip_id, ring_id = struct.unpack('=II', lookup(vips, key, 8))
    table = array.array('I')
    k = ctypes.create_string_buffer(4)
    v = ctypes.create_string_buffer(4)
    attr = ctypes.create_string_buffer(
        struct.pack('=IIQQQ', rings, 0, ctypes.addressof(k),
                    ctypes.addressof(v), 0), 128)
    base = ring_id * RING_SIZE
    for slot in range(RING_SIZE):
        struct.pack_into('=I', k, 0, base + slot)
        if libc.syscall(NR_BPF, BPF_MAP_LOOKUP_ELEM, attr, 128) < 0:
            err = ctypes.get_errno()
            raise OSError(err, 'siplb_rings[%d]: %s' % (base + slot,
                                                       os.strerror(err)))
        table.append(struct.unpack('=I', v.raw)[0])
    with open(out, 'wb') as f:
        table.tofile(f)
    print('ring', ring_id)
    for be in sorted(set(table)):
        print('backend', be, table.count(be))


def load(path):
    t = array.array('I')
    with open(path, 'rb') as f:
        t.fromfile(f, RING_SIZE)
    return t


def main():
    cmd = sys.argv[1]
    if cmd == 'dump':
        dump(*sys.argv[2:6])
    elif cmd == 'diff':
        a, b, gone = load(sys.argv[2]), load(sys.argv[3]), int(sys.argv[4])
        moved = sum(1 for x, y in zip(a, b) if x != y)
        other = sum(1 for x, y in zip(a, b) if x != y and x != gone)
        print('slots', RING_SIZE)
        print('gone_slots', a.count(gone))
        print('gone_left', b.count(gone))
        print('moved', moved)
        print('moved_other', other)
    elif cmd == 'same':
        a, b = load(sys.argv[2]), load(sys.argv[3])
        print('differ', sum(1 for x, y in zip(a, b) if x != y))
    else:
        sys.exit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
