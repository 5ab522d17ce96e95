#!/bin/bash
# run.sh - siplb against Kamailio, side by side, in one run on one machine:
# the one command behind the figures in docs/PERFORMANCE.md.
#
#   scripts/bench/run.sh [-o DIR] [-s "1 2 3 4 5"] [-q] [-n] [-p]
#
#   -o  results folder (default results/YYYY-MM-DD-HHMMSS in the repo)
#   -s  scenarios to run (default all):
#         1 calls through the balancer: no balancer / Kamailio dispatcher /
#           siplb XDP                                     (s1_steer.sh)
#         2 replayed SIP messages at packet rates: generator ceiling,
#           XDP_TX ceiling of the same veth path, siplb   (s2_pps.sh)
#         3 registrations with digest auth: Kamailio registrar+auth /
#           siplbd, 10,000 users                          (s3_register.sh)
#         4 calls to registered phones: Kamailio stateful proxy with
#           registrar lookup / siplb + siplb-worker       (s4_calls.sh)
#         5 the fast path's cost by message size and Call-ID position,
#           BPF_PROG_TEST_RUN against native C            (scripts/bench/xdp.sh)
#   -q  quick smoke run: two low rates, 2 s steps, 1,000 users (checks that
#       every scenario works end to end in a few minutes; not figures)
#   -n  no package installation (everything is there already)
#   -p  profiles too: one more step per path in scenarios 1 and 3, and of
#       the first siplb-worker in scenario 4, under `perf record`, the top
#       symbols in DIR/profile-*.txt
#
# It installs what it needs from Debian (kamailio, sip-tester, gnuplot-nox,
# ...), builds siplb, turns on kernel.bpf_stats_enabled for the run (and
# restores it), runs each scenario on a namespace testbed of its own (each
# tears its testbed down, failures included), then writes DIR/results.md
# (tables), DIR/*.png (plots), DIR/*.tsv (one row per step) and DIR/raw/
# (sipp statistics, logs). Knobs, environment:
#   BENCH_SECS          seconds per step (10)
#   BENCH_CALL_RATES    scenario 1, calls/s ("1000 2000 4000 6000 8000")
#   BENCH_REG_RATES     scenario 3, registrations/s ("2000 4000 8000 12000 16000")
#   BENCH_USERS         scenario 3 users (10000)
#   BENCH_S3_CLUSTER    scenario 3: 1 adds siplbd with the cluster block, a
#                       redis-server and siplb-mirror, in turns with the
#                       others (0)
#   BENCH_S4_RATES      scenario 4, calls/s ("500 1000 2000 4000")
#   BENCH_PPS_SECS      scenario 2, seconds per measurement (5)
#   BENCH_PPS_ROUNDS    scenario 2, rounds of the three phases (3)
#   BENCH_KAM_CHILDREN  Kamailio UDP worker processes (2)
#   BENCH_KAM_MEM       Kamailio memory manager, -x (tlsf; fm, qm)
#   BENCH_WORKER_ARGS   scenario 4, more siplb-worker options ("-t 262144")
# Needs root. A full run takes about 10-15 minutes.
set -eu -o pipefail

SELF=${0##*/}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH_DIR=$ROOT/scripts/bench
SCENARIOS="1 2 3 4 5"
OUT=""
QUICK=0
INSTALL=1

die() {
	printf '%s: %s\n' "$SELF" "$*" >&2
	exit 1
}

usage() {
	sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

while getopts o:s:qnph opt; do
	case $opt in
	o) OUT=$OPTARG ;;
	s) SCENARIOS=$OPTARG ;;
	q) QUICK=1 ;;
	n) INSTALL=0 ;;
	p) export BENCH_PROFILE=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, XDP, BPF statistics)"

# --- what it needs --------------------------------------------------------------
if [ "$INSTALL" = 1 ]; then
	"$ROOT/scripts/deps.sh" >&2 || die "scripts/deps.sh failed"
	need=""
	command -v kamailio >/dev/null || need="$need kamailio"
	command -v gnuplot >/dev/null || need="$need gnuplot-nox"
	command -v sipp >/dev/null || need="$need sip-tester"
	[ "${BENCH_PROFILE:-0}" = 1 ] && ! command -v perf >/dev/null &&
		need="$need linux-perf"
	if [ -n "$need" ]; then
		echo "$SELF: installing$need" >&2
		# shellcheck disable=SC2086 # package list
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
			install -y -q $need >&2 || die "apt-get install$need failed"
	fi
fi
for tool in kamailio gnuplot sipp bpftool python3 ethtool clang \
	$([ "${BENCH_PROFILE:-0}" = 1 ] && echo perf); do
	command -v "$tool" >/dev/null || die "$tool not found (run without -n)"
done
make -s -C "$ROOT" --no-print-directory bench-build >&2 || die "build failed (see above)"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
	die "no bpffs at /sys/fs/bpf and could not mount one"

if [ "$QUICK" = 1 ]; then
	export BENCH_SECS=${BENCH_SECS:-2}
	export BENCH_CALL_RATES=${BENCH_CALL_RATES:-200 500}
	export BENCH_REG_RATES=${BENCH_REG_RATES:-200 500}
	export BENCH_S4_RATES=${BENCH_S4_RATES:-100 200}
	export BENCH_USERS=${BENCH_USERS:-1000}
	export BENCH_PPS_SECS=${BENCH_PPS_SECS:-1}
fi
[ -n "$OUT" ] || OUT=$ROOT/results/$(date -u +%Y-%m-%d-%H%M%S)
mkdir -p "$OUT/raw" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd)
export BENCH_OUT=$OUT

# --- the run ----------------------------------------------------------------------
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
sysctl -qw kernel.bpf_stats_enabled=1 || die "cannot set kernel.bpf_stats_enabled"

# The machine, for the report.
{
	echo "date_utc=$(date -u '+%Y-%m-%d %H:%M')"
	echo "kernel=$(uname -r)"
	echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "cpus=$(nproc)"
	echo "kamailio=$(kamailio -v 2>/dev/null | awk '/^version:/ { print $3; exit }')"
	echo "sipp=$(sipp -v 2>&1 | grep -o 'v[0-9][0-9.]*' | head -n 1)"
	echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "quick=$QUICK"
	echo "kamailio_mem=${BENCH_KAM_MEM:-tlsf}"
	echo "kamailio_children=${BENCH_KAM_CHILDREN:-2}"
	echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "secs=${BENCH_SECS:-10}"
} >"$OUT/machine.txt"

failed=""
for s in $SCENARIOS; do
	case $s in
	1) cmd=$BENCH_DIR/s1_steer.sh ;;
	2) cmd=$BENCH_DIR/s2_pps.sh ;;
	3) cmd=$BENCH_DIR/s3_register.sh ;;
	4) cmd=$BENCH_DIR/s4_calls.sh ;;
	5) cmd=$ROOT/scripts/bench/xdp.sh ;;
	*) die "no scenario '$s' (1-5)" ;;
	esac
	echo "$SELF: scenario $s: ${cmd#"$ROOT"/} ($(date -u +%T))" >&2
	if [ "$s" = 5 ]; then
		args=""
		[ "$QUICK" = 1 ] && args="--runs 3 --repeat 20000 --iters 100000"
		# shellcheck disable=SC2086 # optional arguments
		"$cmd" $args >"$OUT/s5_xdp.txt" 2>"$OUT/raw/s5_xdp.err" ||
			failed="$failed $s"
	else
		"$cmd" 2>&1 | tee "$OUT/raw/s$s.log" >&2 ||
			failed="$failed $s"
	fi
done
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

python3 "$BENCH_DIR/report.py" "$OUT" || die "report failed"
echo "$SELF: results in $OUT (results.md, *.png, *.tsv, raw/)" >&2
[ -z "$failed" ] || die "scenarios that failed:$failed (see $OUT/raw/)"
