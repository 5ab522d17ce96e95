#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Fuzz siplb's parsers for longer than `make fuzz` does:
#
#   scripts/fuzz-long.sh [SECONDS [TARGET...]]
#
# SECONDS per target (default 3600); targets default to all of them
# (sip_msg uri digest config users). FUZZ_JOBS targets run at once
# (default: one per CPU). The corpus each run grows is kept in
# $FUZZ_WORK/<target>/corpus (default build/fuzz/long), so a second run
# starts where the first stopped. A crash stops that target and leaves its
# input in $FUZZ_WORK/<target>/: fix it, then keep the input as
# tests/fuzz/<target>/regressions/<what-it-is> so that `make fuzz` replays
# it. The seeds in the repository are never changed; the end of the run
# says how to fold new coverage into them.
set -u
cd "$(dirname "$0")/.."

secs=${1:-3600}
[ $# -gt 0 ] && shift
targets=${*:-sip_msg uri digest config users}
work=${FUZZ_WORK:-build/fuzz/long}
jobs=${FUZZ_JOBS:-$(nproc)}

case $secs in
'' | *[!0-9]*) echo "usage: $0 [SECONDS [TARGET...]]" >&2; exit 2 ;;
esac

make --no-print-directory fuzz-build || exit 1
mkdir -p "$work"
echo "fuzzing $targets for ${secs}s each, $jobs at a time; corpus in $work"
# One TAP stream per target (a "# " summary, then ok or not ok) as each
# finishes; the exit status is xargs's:
# non-zero if any target failed.
printf '%s\n' $targets |
	xargs -P "$jobs" -I{} tests/fuzz/run.sh -t "$secs" -w "$work" {}
rc=$?

echo "to fold new coverage into the committed seeds (keep them small):"
for t in $targets; do
	echo "  build/fuzz/fuzz_$t -merge=1 tests/fuzz/$t/seeds $work/$t/corpus"
done
exit $rc
