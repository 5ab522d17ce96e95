#!/bin/sh
# xdp.sh - `make bench`: what the XDP fast path costs per packet.
# Builds what is missing or stale, then runs build/bench/bench_xdp as root:
# ns per packet of the siplb program under BPF_PROG_TEST_RUN for an
# INVITE, a 200 OK, an ACK, a REGISTER, a 1400-byte message with the
# Call-ID last and non-SIP UDP, next to three references in the same run
# (the floor: an XDP program that only swaps addresses and returns XDP_TX;
# scan+hash: an XDP program that runs only siplb's scan and Call-ID hash;
# and native C finding and hashing the same Call-ID with glibc), with the
# ratios. The table is ready to paste into docs/PERFORMANCE.md.
# Arguments go to bench_xdp (--runs N, --repeat N, --iters N, --kv).
# The benchmark works in a private network namespace and removes the maps
# it pinned; nothing on the host changes.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$ROOT/build/bench/bench_xdp
FLOOR=$ROOT/build/bench/bench_floor.bpf.o
SCAN=$ROOT/build/bench/bench_scan.bpf.o

die() {
	printf 'xdp.sh: %s\n' "$*" >&2
	exit 1
}

# Only the targets the benchmark needs: make decides what is stale.
make -s -C "$ROOT" --no-print-directory build/bench/bench_xdp \
	build/bench/bench_floor.bpf.o build/bench/bench_scan.bpf.o >&2 ||
	die "build failed (see above)"

if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 ||
		die "needs root (BPF, a network namespace); run it as root"
	exec sudo "$BENCH" --floor-obj "$FLOOR" --scan-obj "$SCAN" "$@"
fi

# The fixture pins its maps under /sys/fs/bpf.
if ! grep -qs ' /sys/fs/bpf bpf ' /proc/mounts; then
	mount -t bpf bpf /sys/fs/bpf ||
		die "no bpffs at /sys/fs/bpf and could not mount one"
fi

exec "$BENCH" --floor-obj "$FLOOR" --scan-obj "$SCAN" "$@"
