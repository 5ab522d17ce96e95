#!/bin/bash
# trace.sh - end-to-end test of `siplbctl trace`, the XDP verdict trace.
#
# In network namespaces (scripts/testbed.sh): siplbctl trace --vip VIP -j
# -w FILE runs while a sipp UAC makes CALLS calls to the VIP through the
# balancer to two sipp UAS backends. Checks that
#   - the trace stops on SIGINT, with status 0;
#   - for every counter a packet to the VIP can be counted under, the
#     events that name it are exactly as many as the counter moved by, and
#     each event's verdict is the one that counter implies;
#   - the pcap holds one frame per event and tshark reads it as SIP;
#   - `--count 5` stops by itself after 5 events, and the trace is off
#     again afterwards (a new trace is not refused as "on already");
#   - a second trace is refused while one is on, and `--off` ends a trace
#     that a SIGKILLed siplbctl left on.
# Run as root from anywhere; exits non-zero and says what failed. Knobs:
# SIPLB_E2E_CALLS (30), SIPLB_E2E_RATE (30 calls/s), SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

CALLS=${SIPLB_E2E_CALLS:-30}
RATE=${SIPLB_E2E_RATE:-30}

command -v tshark >/dev/null || die "tshark not found: run scripts/deps.sh"
lib_init trace
tb_up 2
lb_setup
log "testbed $TB_PREFIX up: VIP $VIP_EP, backends $BACKEND_IPS"

# trace_start VAR OUT ARGS...: siplbctl trace in the balancer namespace
# (nsenter execs it: VAR is its own PID), stdout to OUT, once it is on.
trace_start() {
	local var=$1 out=$2 i
	shift 2
	lib_bg "$var" nsenter --net="/run/netns/$TB_NS_LB" "$SIPLBCTL" \
		-P "$TB_PINDIR" trace "$@" >"$out" 2>"$out.err"
	for i in $(seq 1 50); do
		grep -q tracing "$out.err" 2>/dev/null && return 0
		sleep 0.1
	done
	die "siplbctl trace did not start: $(cat "$out.err")"
}

tpid=""
uas_start

# 1. Trace everything to the VIP during the calls.
trace_start tpid "$LIB_WORK/trace.json" --vip "$VIP_EP" -j \
	-w "$LIB_WORK/trace.pcap" --count 100000
stats_json
cp "$LIB_WORK/stats.json" "$LIB_WORK/stats0.json"
uac_rc=0
uac_run "$CALLS" "$RATE" || uac_rc=$?
sleep 1		# retransmissions in flight
stats_json
trc=0
lib_stop "$tpid" INT 10 || trc=$?
[ "$uac_rc" -eq 0 ] || log "sipp exit status $uac_rc (not what is tested)"
if [ "$trc" -eq 0 ] && grep -q '[0-9]* events' "$LIB_WORK/trace.json.err"; then
	pass "siplbctl trace stopped on SIGINT: $(grep -o '[0-9]* events' \
		"$LIB_WORK/trace.json.err")"
else
	fail "siplbctl trace exit status $trc: $(cat "$LIB_WORK/trace.json.err")"
fi

# 2. Events against counters, reason by reason, and verdicts.
report=$(python3 - "$LIB_WORK/stats0.json" "$LIB_WORK/stats.json" \
	"$LIB_WORK/trace.json" <<'EOF'
import collections, json, re, sys
before = json.load(open(sys.argv[1]))['counters']
after = json.load(open(sys.argv[2]))['counters']
events = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
by_reason = collections.Counter(e['reason'] for e in events)
# Counters a packet to the VIP endpoint can move; the others (not ours,
# fragments, which the filter cannot tie to the VIP's port, and the
# backends' replies) are not in this trace.
skip = re.compile(r'pass_not_vip|pass_unparsed|pass_fragment|'
                  r'pass_ipv6_exthdr|snat_.*')
def verdict_of(reason):
    if reason.startswith('drop_'): return 'XDP_DROP'
    return {'steer_tx': 'XDP_TX',
            'steer_redirect': 'XDP_REDIRECT'}.get(reason, 'XDP_PASS')
print('events %d' % len(events))
for name in sorted(after):
    delta = after[name] - before.get(name, 0)
    if skip.fullmatch(name) or (delta == 0 and by_reason[name] == 0):
        continue
    print('%s %s events %d counter +%d' % (
        'same' if delta == by_reason[name] else 'differ', name,
        by_reason[name], delta))
for e in events:
    if e['verdict'] != verdict_of(e['reason']):
        print('badverdict %s %s %s' % (e['reason'], e['verdict'], e['src']))
print('steered %d' % sum(v for k, v in by_reason.items()
                         if k.startswith('steer_')))
EOF
)
printf '%s\n' "$report" | grep -E '^(same|differ)' | sed 's/^/    /'
nev=$(printf '%s\n' "$report" | awk '$1 == "events" { print $2 }')
steered=$(printf '%s\n' "$report" | awk '$1 == "steered" { print $2 }')
if [ "${steered:-0}" -ge "$((CALLS * 3))" ] &&
	! printf '%s\n' "$report" | grep -q '^differ'; then
	pass "$nev events; per counter, as many events as the counter moved" \
		"($steered steered, >= 3 per call)"
else
	fail "events and counters disagree (or too few steered: $steered):"
	printf '%s\n' "$report" | grep '^differ' >&2 || true
fi
bad=$(printf '%s\n' "$report" | grep -c '^badverdict' || true)
if [ "$bad" -eq 0 ]; then
	pass "every event's verdict is the one its counter implies"
else
	fail "$bad events with a verdict their counter does not imply:"
	printf '%s\n' "$report" | grep '^badverdict' | head -n 5 >&2
fi

# 3. tshark reads the pcap: one frame per event, SIP requests in it.
frames=$(tshark -r "$LIB_WORK/trace.pcap" -T fields -e frame.number \
	2>"$LIB_WORK/tshark.err" | wc -l)
methods=$(tshark -r "$LIB_WORK/trace.pcap" -Y sip.Method -T fields \
	-e sip.Method 2>>"$LIB_WORK/tshark.err" | sort | uniq -c |
	awk '{ printf "%s%s %s", sep, $2, $1; sep = ", " }')
if [ "$frames" -eq "$nev" ] && [[ $methods == *INVITE* ]] &&
	[[ $methods == *ACK* ]] && [[ $methods == *BYE* ]]; then
	pass "tshark reads $frames frames from the pcap: $methods"
else
	fail "tshark: $frames frames for $nev events, methods '$methods':" \
		"$(grep -v 'Running as user' "$LIB_WORK/tshark.err" | head -n 3)"
fi

# 4. --count stops by itself; then the trace is off.
trace_start tpid "$LIB_WORK/count.txt" --count 5 --seconds 60
uac_run 10 "$RATE" || true
trc=0
lib_stop "$tpid" NONE 30 || trc=$?
lines=$(wc -l <"$LIB_WORK/count.txt")
if [ "$trc" -eq 0 ] && [ "$lines" -eq 5 ]; then
	pass "--count 5 stopped by itself after $lines events:" \
		"$(head -n 1 "$LIB_WORK/count.txt")"
else
	fail "--count 5: exit status $trc, $lines lines:" \
		"$(cat "$LIB_WORK/count.txt.err")"
fi
if lb_ctl trace --seconds 1 >/dev/null 2>"$LIB_WORK/again.err"; then
	pass "the trace was off again: a new one starts"
else
	fail "a new trace after the others: $(cat "$LIB_WORK/again.err")"
fi

# 5. One trace at a time; --off ends one that a killed siplbctl left on.
trace_start tpid "$LIB_WORK/first.txt" --seconds 60
if lb_ctl trace --seconds 1 >/dev/null 2>"$LIB_WORK/second.err"; then
	fail "a second trace ran while the first was on"
elif grep -q 'on already' "$LIB_WORK/second.err"; then
	pass "a second trace is refused: $(cat "$LIB_WORK/second.err")"
else
	fail "a second trace failed otherwise: $(cat "$LIB_WORK/second.err")"
fi
lib_stop "$tpid" KILL 5 || true
if ! lb_ctl trace --seconds 1 >/dev/null 2>&1 &&
	lb_ctl trace --off 2>"$LIB_WORK/off.err" &&
	lb_ctl trace --seconds 1 >/dev/null 2>"$LIB_WORK/after.err"; then
	pass "after a SIGKILL the trace stays on until siplbctl trace --off"
else
	fail "trace --off after a SIGKILL: $(cat "$LIB_WORK/off.err" \
		"$LIB_WORK/after.err" 2>/dev/null)"
fi
uas_stop

if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks (SIPLB_KEEP_LOGS=1 keeps the logs)"
	exit 1
fi
log "PASS"
