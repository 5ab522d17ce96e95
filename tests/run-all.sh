#!/bin/sh
# Run every test of siplb: the C unit tests, the BPF program tests
# (BPF_PROG_TEST_RUN) and the end-to-end tests on the namespace testbed.
# `make check` builds and then runs this; it needs root (BPF, namespaces).
# Exits non-zero if any test program fails.
set -u
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "run-all.sh: the BPF and network tests need root" >&2
	exit 1
fi
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

failed=""
run() {
	name=$1
	shift
	echo "=== $name"
	if "$@"; then
		echo "=== $name: PASS"
	else
		echo "=== $name: FAIL"
		failed="$failed $name"
	fi
}

for t in build/tests/test_*; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done

if [ -n "$failed" ]; then
	echo "FAILED:$failed"
	exit 1
fi
echo "all tests passed"
