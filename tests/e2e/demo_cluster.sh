#!/bin/bash
# demo_cluster.sh - `make demo-cluster` runs, reports what it promises and
# leaves nothing behind.
#
#   1. scripts/demo_cluster.sh with quick settings (4 phones, 60 calls at
#      10/s, a balancer down halfway) exits 0;
#   2. its report has the calls per phase (before, during, after the
#      failover) with calls attempted in each of before and after, each
#      node's REGISTER count, the bindings of Redis and of every live host
#      equal, and a replication lag from every live host's mirror;
#   3. afterwards no namespace of its testbed and no pin directory of it
#      is left.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_skip_without redis-server
lib_tap
lib_init democluster
PREFIX=dcl$$

rc=0
SIPLB_TB_PREFIX=$PREFIX SIPLB_DEMO_PHONES=4 SIPLB_DEMO_CALLS=60 \
	SIPLB_DEMO_RATE=10 timeout -s INT 300 "$ROOT/scripts/demo_cluster.sh" \
	>"$LIB_WORK/demo.out" 2>&1 || rc=$?
sed "s/^/  /" "$LIB_WORK/demo.out"
if [ "$rc" -eq 0 ]; then
	pass "the cluster demo ran (4 phones, 60 calls, lb1 down halfway)"
else
	fail "the cluster demo failed with status $rc"
fi

out=$LIB_WORK/demo.out
# phase WORDS: the "attempted" column of the report's phase line.
phase() {
	awk -v p="$1" 'index($0, p) == 3 { print $(NF - 3) }' "$out"
}
before=$(phase "before the failover") after=$(phase "after (lb2 alone)")
during=$(phase "during (the window)")
if [ "${before:-0}" -gt 0 ] && [ "${after:-0}" -gt 0 ] && [ -n "$during" ]; then
	pass "calls per phase: $before attempted before, $during during," \
		"$after after the failover"
else
	fail "no calls per phase in the report (before '$before'," \
		"during '$during', after '$after')"
fi
regs=$(awk '$1 ~ /^lb[12]$/ && NF == 5 { print $1 ":" $4 }' "$out" | xargs)
if [ "$regs" = "lb1:2 lb2:2" ]; then
	pass "REGISTERs per node: $regs (200 OK each)"
else
	fail "REGISTERs per node in the report: '$regs' (expected lb1:2 lb2:2)"
fi
equal=$(awk '$1 ~ /^(lb2|w[123])$/ && $3 == "yes" && $2 == 4' "$out" | wc -l)
if [ "$equal" = 4 ]; then
	pass "lb2, w1, w2 and w3 hold Redis's 4 bindings"
else
	fail "$equal of 4 live hosts shown holding Redis's 4 bindings"
fi
lags=$(awk '$1 ~ /^(lb2|w[123])$/ && $3 == "ms" && $2 ~ /^[0-9]+$/' "$out" |
	wc -l)
if [ "$lags" = 4 ]; then
	pass "a replication lag from each live host's mirror"
else
	fail "$lags of 4 replication lags in the report"
fi

left=$(ip netns list | awk '{ print $1 }' | grep -c "^$PREFIX-" || true)
pins=$(find /sys/fs/bpf -maxdepth 1 -name "siplb-ctb-$PREFIX-*" | wc -l)
if [ "$left" = 0 ] && [ "$pins" = 0 ]; then
	pass "no namespace and no pin directory of the demo left"
else
	fail "left behind: $left namespaces, $pins pin directories ($PREFIX)"
fi
[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
