#!/bin/bash
# calls.sh - calls per second set up and torn down through siplb with
# N workers, and the CPU time of every component, on the namespace testbed.
#
# siplbd attaches XDP and registers 20 phones (digest auth); one
# siplb-worker runs per backend; sipp phones call each other through the
# VIP (tests/e2e/calls/uac_caller_bye.xml: INVITE, 100, 180, 200, ACK,
# BYE, 200, with 0.5 s between ACK and BYE). For each offered rate the
# script runs SECONDS of calls and prints:
#   offered and achieved calls/s (calls completed over the caller sipp's
#   ElapsedTime), failed calls, retransmissions;
#   CPU microseconds per call of: the XDP program (its own run time from
#   kernel.bpf_stats_enabled: run_time_ns over all its runs, wherever the
#   kernel billed them), siplbd (CPU time of the process), the workers
#   (all of them) and ksoftirqd (where softirq work spills when the cores
#   are busy);
#   the XDP program's nanoseconds per packet; and the CPU time of the two
#   sipp phones, to show when the load generator is the limit.
# Process times come from /proc/PID/task/*/schedstat (nanoseconds on a
# CPU, user and system; /proc/stat is tick-sampled and undercounts).
# Knobs: SIPLB_BENCH_WORKERS (3), SIPLB_BENCH_RATES ("100 200 400 800"),
# SIPLB_BENCH_SECONDS (10).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
WORKERS=${SIPLB_BENCH_WORKERS:-3}
RATES=${SIPLB_BENCH_RATES:-100 200 400 800}
SECONDS_PER_STEP=${SIPLB_BENCH_SECONDS:-10}
PHONES=20
REALM=siplb.test
DOMAIN=siplb.test

lib_init benchcalls
command -v /usr/bin/time >/dev/null || die "/usr/bin/time not found: run scripts/deps.sh"
PHONES_CPU=$LIB_WORK
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
bench_cleanup() {
	local rc=$?
	sysctl -q -w kernel.bpf_stats_enabled="$stats_was" || true
	(exit "$rc")
	lib_cleanup
}
trap bench_cleanup EXIT
sysctl -q -w kernel.bpf_stats_enabled=1

tb_up "$WORKERS"
users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" \
	"$PHONES" phone
phones_conf "$LIB_WORK/siplb.conf" "$REALM" users.htdigest
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"

csv=$LIB_WORK/reg.csv
echo SEQUENTIAL >"$csv"
sed "s/\$/;$DOMAIN;3600/" "$LIB_WORK/users.list" >>"$csv"
phones_register 5072 "$csv" || die "registration failed"
echo SEQUENTIAL >"$LIB_WORK/calls.csv"
for i in $(seq 1 "$PHONES"); do
	printf 'caller%d;%s;%s\n' "$i" \
		"$(sed -n "${i}p" "$LIB_WORK/users.list" | cut -d';' -f1)" \
		"$DOMAIN" >>"$LIB_WORK/calls.csv"
done

# The XDP programs attached on the balancer (one per interface siplbd
# attached to), by id.
XDP_IDS=$(ip -n "$TB_NS_LB" -j link show | python3 -c '
import json, sys
ids = {l["xdp"]["prog"]["id"] for l in json.load(sys.stdin)
       if "xdp" in l and "prog" in l["xdp"]}
print(" ".join(map(str, sorted(ids))))')
[ -n "$XDP_IDS" ] || die "no XDP program attached on the balancer"

# snapshot FILE: one JSON object with the counters above.
snapshot() {
	local file=$1 id ksoft
	ksoft=$(grep -l '^ksoftirqd/' /proc/[0-9]*/comm 2>/dev/null |
		cut -d/ -f3 | tr '\n' ' ')
	{
		echo "{\"xdp\":["
		local first=1
		for id in $XDP_IDS; do
			[ "$first" = 1 ] || echo ","
			first=0
			bpftool -j prog show id "$id"
		done
		echo "],\"siplbd\":\"$SIPLBD_PID\",\"workers\":\"$WORKER_PIDS\","
		echo "\"ksoftirqd\":\"$ksoft\"}"
	} >"$file.raw"
	python3 - "$file.raw" >"$file" <<'EOF'
import json, os, sys
s = json.load(open(sys.argv[1]))
def cpu_us(pids):
    """CPU time of every thread of the processes, from schedstat (ns)."""
    total = 0
    for pid in pids.split():
        try:
            tasks = os.listdir('/proc/%s/task' % pid)
        except OSError:
            continue
        for t in tasks:
            try:
                total += int(open('/proc/%s/task/%s/schedstat'
                                  % (pid, t)).read().split()[0]) / 1e3
            except (OSError, ValueError, IndexError):
                pass
    return total
out = {'xdp_ns': sum(p.get('run_time_ns', 0) for p in s['xdp']),
       'xdp_cnt': sum(p.get('run_cnt', 0) for p in s['xdp'])}
for k in ('siplbd', 'workers', 'ksoftirqd'):
    out[k] = cpu_us(s[k])
json.dump(out, sys.stdout)
EOF
}

printf '%s\n' "siplb calls through $WORKERS workers: $SECONDS_PER_STEP s per step, $(date -u +%F), $(uname -r), $(nproc) CPUs"
printf '%8s %8s %6s %7s | %7s %9s %9s %11s | %7s | %8s\n' \
	offered achieved failed retrans \
	xdp_us siplbd_us worker_us ksoftirq_us xdp_ns sipp_us
printf '%8s %8s %6s %7s | %s | %7s | %8s\n' "calls/s" "calls/s" "" "" \
	"CPU microseconds per call, by component" "/packet" "phones"
step=0
for rate in $RATES; do
	step=$((step + 1))
	calls=$((rate * SECONDS_PER_STEP))
	uas="" uac=""
	phones_answer uas "$CALLS_XML/uas_answer.xml" 5072 "$calls"
	snapshot "$LIB_WORK/before$step.json"
	phones_call uac "$CALLS_XML/uac_caller_bye.xml" $((5100 + step)) \
		"$LIB_WORK/calls.csv" "$calls" "$rate"
	rc=0
	sipp_wait "$uac" || rc=$?
	snapshot "$LIB_WORK/after$step.json"
	lib_stop "$uas" NONE 10 || true
	python3 - "$LIB_WORK/before$step.json" "$LIB_WORK/after$step.json" \
		"$LIB_WORK/uac-$((5100 + step)).csv" "$rate" "$rc" \
		"$LIB_WORK/uac-$((5100 + step)).cpu" "$LIB_WORK/uas-5072.cpu" <<'EOF'
import csv, json, sys
b, a = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def sipp_cpu(path):
    try:
        return sum(map(float, open(path).read().split()[-2:])) * 1e6
    except (OSError, ValueError):
        return float('nan')
rows = [r for r in csv.reader(open(sys.argv[3]), delimiter=';') if r]
head, last = rows[0], rows[-1]
col = lambda k: last[head.index(k)]
def sipp_seconds(text):
    """sipp's durations: HH:MM:SS:usec, or HH:MM:SS.usec in some columns."""
    h, m, rest = text.split(':', 2)
    return int(h) * 3600 + int(m) * 60 + float(rest.replace(':', '.'))
ok = int(col('SuccessfulCall(C)')) or 1
elapsed = sipp_seconds(col('ElapsedTime(C)'))
d = {k: a[k] - b[k] for k in a}
pkts = d['xdp_cnt'] or 1
print('%8s %8.1f %6s %7s | %7.2f %9.1f %9.1f %11.1f | %7.0f | %8.1f%s' % (
    sys.argv[4], int(col('SuccessfulCall(C)')) / max(elapsed, 0.001),
    col('FailedCall(C)'),
    col('Retransmissions(C)'),
    d['xdp_ns'] / 1e3 / ok, d['siplbd'] / ok, d['workers'] / ok,
    d['ksoftirqd'] / ok, d['xdp_ns'] / pkts,
    (sipp_cpu(sys.argv[6]) + sipp_cpu(sys.argv[7])) / ok,
    '' if sys.argv[5] == '0' else '  (sipp exit %s)' % sys.argv[5]))
EOF
done
echo "XDP packets per call: INVITE, ACK and BYE in through the VIP, and every"
echo "message the workers send back out as the VIP (SNAT). The XDP time is"
echo "also inside whatever the kernel billed it to (the senders' system time,"
echo "ksoftirqd). sipp_us: the caller's and the callee's sipp (user+system,"
echo "/usr/bin/time), the load generator: when it nears a whole core, the"
echo "phones, not siplb, are the limit."
