#!/bin/bash
# demo.sh - `make demo` leaves bpffs as it found it.
#
# scripts/demo.sh attaches XDP the operator's way (`ip link ... xdp obj`),
# and iproute2 then creates /sys/fs/bpf/tc/globals and the symlinks
# /sys/fs/bpf/ip and /sys/fs/bpf/xdp (to tc) if they are missing. The
# demo's cleanup must remove exactly what it made, symlinks included (it
# once used rmdir, which fails on a symlink and left them dangling).
#
#   1. A listing of /sys/fs/bpf (every entry's type, name and symlink
#      target, and everything under tc/) before a short demo;
#   2. the demo (SIPLB_DEMO_PHONES=4, SIPLB_DEMO_CALLS=20) succeeds, and
#      the phones' 401s came from XDP: siplbd, adopting ip link's
#      attachment (siplb_xdp alone), added the challenge program;
#   3. the same listing after it is identical.
#
# bpffs is global to the machine: other tests' pin directories (siplb-*:
# siplb-tb-*, siplb-ctb-*, ...) come and go meanwhile and are left out of
# the comparison, except the demo's own testbed's. If siplb maps are pinned in
# tc/globals already (another siplb, another demo), the demo refuses to
# run: the test skips.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

BPFFS=/sys/fs/bpf
if [ -e "$BPFFS/tc/globals/siplb_vips" ]; then
	echo "1..0 # SKIP siplb maps are pinned in $BPFFS/tc/globals already"
	exit 0
fi
lib_init demotest
DEMO_PREFIX=demo$$

# bpffs_listing: one line per entry, "TYPE NAME -> TARGET", sorted; other
# tests' pin directories left out.
bpffs_listing() {
	(
		cd "$BPFFS"
		find . -mindepth 1 -maxdepth 1 -printf '%y %p -> %l\n'
		[ ! -d tc ] || find tc/ -mindepth 1 -printf '%y %p -> %l\n'
	) | grep -Ev "^d \./siplb-" | sort
	ls -d "$BPFFS/siplb-tb-$DEMO_PREFIX" 2>/dev/null || true
}

mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS"
ls -la "$BPFFS" | sed "s/^/$LIB_NAME:   before: /"
bpffs_listing >"$LIB_WORK/before.txt"

rc=0
SIPLB_TB_PREFIX=$DEMO_PREFIX SIPLB_DEMO_PHONES=4 SIPLB_DEMO_CALLS=20 \
	SIPLB_DEMO_RATE=10 timeout -s INT 300 "$ROOT/scripts/demo.sh" \
	>"$LIB_WORK/demo.out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ]; then
	pass "the demo ran (4 phones, 20 calls)"
else
	fail "the demo failed with status $rc"
	tail -n 20 "$LIB_WORK/demo.out" | sed "s/^/$LIB_NAME:   /" >&2
fi
# siplbd adopted `ip link`'s program, which loads siplb_xdp alone: it
# must have added the challenge program (lb_progs_ensure).
n=$(awk '/challenged in XDP \(cookie_401\)/ { print $1; exit }' "$LIB_WORK/demo.out")
if [ "${n:-0}" -ge 4 ]; then
	pass "the phones' 401s came from XDP on ip link's attachment ($n)"
else
	fail "cookie_401 is '${n:-none}' after 4 phones registered (expected"\
		"at least 4: siplbd adds the challenge program to ip link's)"
fi
grep -E 'created|symlink|/sys/fs/bpf' "$LIB_WORK/demo.out" |
	sed "s/^/$LIB_NAME:   demo: /" | head -n 5 || true

ls -la "$BPFFS" | sed "s/^/$LIB_NAME:   after: /"
bpffs_listing >"$LIB_WORK/after.txt"
if diff -u "$LIB_WORK/before.txt" "$LIB_WORK/after.txt" >"$LIB_WORK/diff.txt"; then
	pass "bpffs as before the demo (names, types, symlink targets)"
else
	fail "the demo changed bpffs:"
	sed "s/^/$LIB_NAME:   /" "$LIB_WORK/diff.txt" >&2
fi

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
