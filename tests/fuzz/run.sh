#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Run fuzz targets built by `make fuzz-build` (build/fuzz/fuzz_<target>):
#
#   tests/fuzz/run.sh [-t SECONDS] [-w WORKDIR] TARGET...
#
# For each target, first replay every file of tests/fuzz/<target>/
# regressions/ (crashers found before, fixed since), then fuzz for SECONDS
# (default 60) starting from the seeds and the regressions. New corpus
# entries go to WORKDIR/<target>/corpus (default build/fuzz/work), never
# into the repository; a crash leaves its input in WORKDIR/<target>/ and
# fails the run. The output is TAP, for prove (tests/check.sh): one test
# per target, "ok N - fuzz_<target>" or "not ok ...", after a "# " line
# that says how it went (on failure, the end of its log too). `make fuzz`
# runs this; scripts/fuzz-long.sh runs it for longer.
set -u
cd "$(dirname "$0")/../.."

secs=60
work=build/fuzz/work
bindir=${FUZZ_BIN_DIR:-build/fuzz}
while getopts t:w: opt; do
	case $opt in
	t) secs=$OPTARG ;;
	w) work=$OPTARG ;;
	*) echo "usage: $0 [-t SECONDS] [-w WORKDIR] TARGET..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -eq 0 ]; then
	echo "usage: $0 [-t SECONDS] [-w WORKDIR] TARGET..." >&2
	exit 2
fi

# The dictionary a target's mutations draw tokens from.
dict_of() {
	case $1 in
	sip_msg | uri) echo tests/fuzz/sip.dict ;;
	*) echo "tests/fuzz/$1.dict" ;;
	esac
}

# Print why a run failed: the end of its log and how to reproduce it.
explain() {
	echo "--- last lines of $2:"
	tail -n 40 "$2"
	for a in "$work/$1"/crash-* "$work/$1"/leak-* "$work/$1"/timeout-* \
		"$work/$1"/oom-*; do
		[ -e "$a" ] || continue
		echo "--- reproduce: $bindir/fuzz_$1 $a"
		echo "--- once fixed, keep it: cp $a tests/fuzz/$1/regressions/"
	done
}

# Replay the recorded crashers: each must now run clean.
replay() {
	replay_bin=$bindir/fuzz_$1 replay_log=$2
	set -- "tests/fuzz/$1/regressions"/*
	[ -e "$1" ] || return 0
	"$replay_bin" -rss_limit_mb=2048 -timeout=10 "$@" >"$replay_log" 2>&1
}

fuzz_one() {
	t=$1
	bin=$bindir/fuzz_$t
	log=$work/$t.log
	mkdir -p "$work/$t/corpus" "tests/fuzz/$t/regressions"
	if [ ! -x "$bin" ]; then
		echo "fuzz_$t: $bin missing (run make fuzz-build)"
		return 1
	fi
	if ! replay "$t" "$work/$t.replay.log"; then
		echo "fuzz_$t: FAIL: a regression input crashes again"
		explain "$t" "$work/$t.replay.log"
		return 1
	fi
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: 2 GiB
	# is a leak or a runaway allocation, on a 2-core CI machine.
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-dict="$(dict_of "$t")" -artifact_prefix="$work/$t/" \
		-print_final_stats=1 "$work/$t/corpus" "tests/fuzz/$t/seeds" \
		"tests/fuzz/$t/regressions" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
	if [ "$rc" -ne 0 ]; then
		echo "fuzz_$t: FAIL after ${runs:-?} runs (exit $rc)"
		explain "$t" "$log"
		return 1
	fi
	echo "fuzz_$t: ok: ${runs:-?} runs in ${secs}s (${rate:-?}/s)," \
		"coverage ${cov:-?}, corpus ${corp:-?}"
}

echo "TAP version 13"
echo "1..$#"
n=0 status=0
for t in "$@"; do
	n=$((n + 1))
	result=ok
	out=$(fuzz_one "$t") || result="not ok"
	[ "$result" = ok ] || status=1
	printf '%s\n' "$out" | sed 's/^/# /'
	echo "$result $n - fuzz_$t"
done
exit "$status"
