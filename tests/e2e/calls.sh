#!/bin/bash
# calls.sh - registration and calls through siplb, the way phones see them.
#
# On the namespace testbed (scripts/testbed.sh, 3 backends) siplbd attaches
# the XDP program and is the registrar; one siplb-worker runs on each
# backend address (scripts/phones.sh), Record-Routing through the VIP, with
# the users file and a 4-second ring timeout (-C 4). The
# phones are sipp instances in the client namespace (tests/e2e/calls/):
#
#   phones 1-4   register from port 5072; answer, the caller hangs up
#   phones 5-8   register from port 5073; answer, then hang up themselves
#   phones 9-10  register from port 5075; ring and never answer
#   phone 11     in the users file, never registered
#   phone 12     registers from 5072 and from 5075: two bindings
#
#   1. Every phone registers with digest authentication: 10 bindings.
#   2. At the same time: phones 1-4 call 5-8 and the callee hangs up;
#      phones 5-8 call 1-4 and the caller hangs up; CANCEL before answer
#      (phone 9); no answer (phone 10: the worker CANCELs at its Timer C
#      and answers 408); phone 11 (480); an unknown user (480 too:
#      no user enumeration, docs/SECURITY.md); phone 12
#      (forked to both its phones: one answers, the worker CANCELs the
#      other). Every sipp must end with all its calls successful.
#   3. The workers' counters (siplbctl workers) account for the INVITEs,
#      the 480s (offline users and strangers apart), CANCELs and timeouts, and every worker had calls;
#      captures at the workers show every message of a call at one worker.
# Knob: SIPLB_CALLS (60 calls each way).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
CALLS=${SIPLB_CALLS:-60}
RATE=20
CANCELS=5
NO_ANSWER=3
REJECTS=3
FORKS=5
RING_TIMEOUT=4
REALM=siplb.test
DOMAIN=siplb.test

LIB_FAMILY=4
lib_init calls
tb_up 3
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP, workers $BACKEND_IPS"

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 12 phone
phone() { sed -n "${1}p" "$LIB_WORK/users.list" | cut -d';' -f1; }

phones_conf "$LIB_WORK/siplb.conf" "$REALM" users.htdigest
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest" -C "$RING_TIMEOUT"
pass "3 workers up (siplbd's health checks see them answer)"

# 1. Registration, from the port each group answers on.
register_group() {
	local port=$1 first=$2 last=$3 i csv=$LIB_WORK/reg-$1.csv
	echo SEQUENTIAL >"$csv"
	for i in $(seq "$first" "$last"); do
		printf '%s;%s;3600\n' "$(sed -n "${i}p" "$LIB_WORK/users.list")" \
			"$DOMAIN" >>"$csv"
	done
	if phones_register "$port" "$csv"; then
		pass "phones $first-$last registered from port $port (401, then 200)"
	else
		fail "registration from port $port failed"
		tail -n 20 "$LIB_WORK/register-$port.out" >&2
	fi
}
register_group 5072 1 4
register_group 5073 5 8
register_group 5075 9 10
register_group 5072 12 12
register_group 5075 12 12
bindings=$(lb_ctl -j bindings | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
if [ "$bindings" = 12 ]; then
	pass "12 bindings in siplb_location (two for phone 12)"
else
	fail "$bindings bindings, expected 12"
fi

# 2. Calls.
calls_csv() {	# FILE CALLER CALLEE...: one line per callee, cycling callers
	local file=$1 caller=$2
	shift 2
	echo SEQUENTIAL >"$file"
	for callee in "$@"; do
		printf '%s;%s;%s\n' "$caller" "$callee" "$DOMAIN" >>"$file"
	done
}
echo SEQUENTIAL >"$LIB_WORK/a-to-b.csv"
echo SEQUENTIAL >"$LIB_WORK/b-to-a.csv"
for i in 1 2 3 4; do
	printf '%s;%s;%s\n' "$(phone $i)" "$(phone $((i + 4)))" "$DOMAIN" \
		>>"$LIB_WORK/a-to-b.csv"
	printf '%s;%s;%s\n' "$(phone $((i + 4)))" "$(phone $i)" "$DOMAIN" \
		>>"$LIB_WORK/b-to-a.csv"
done
calls_csv "$LIB_WORK/cancel.csv" "$(phone 1)" "$(phone 9)"
calls_csv "$LIB_WORK/no-answer.csv" "$(phone 2)" "$(phone 10)"
calls_csv "$LIB_WORK/480.csv" "$(phone 3)" "$(phone 11)"
calls_csv "$LIB_WORK/404.csv" "$(phone 4)" stranger
calls_csv "$LIB_WORK/fork.csv" "$(phone 3)" "$(phone 12)"
for status in 408 480; do
	sed "s/STATUS/$status/" "$CALLS_XML/uac_rejected.xml" \
		>"$LIB_WORK/uac_$status.xml"
done

workers_capture_start
uas_a="" uas_b="" uas_ring=""
phones_answer uas_a "$CALLS_XML/uas_answer.xml" 5072 $((CALLS + FORKS))
phones_answer uas_b "$CALLS_XML/uas_answer_bye.xml" 5073 "$CALLS"
phones_answer uas_ring "$CALLS_XML/uas_ring.xml" 5075 \
	$((CANCELS + NO_ANSWER + FORKS))

uac_ab="" uac_ba="" uac_cancel="" uac_408="" uac_480="" uac_404="" uac_fork=""
phones_call uac_ab "$CALLS_XML/uac_callee_bye.xml" 5071 \
	"$LIB_WORK/a-to-b.csv" "$CALLS" "$RATE"
phones_call uac_ba "$CALLS_XML/uac_caller_bye.xml" 5074 \
	"$LIB_WORK/b-to-a.csv" "$CALLS" "$RATE"
phones_call uac_cancel "$CALLS_XML/uac_cancel.xml" 5076 \
	"$LIB_WORK/cancel.csv" "$CANCELS" 5
phones_call uac_408 "$LIB_WORK/uac_408.xml" 5077 \
	"$LIB_WORK/no-answer.csv" "$NO_ANSWER" 3
phones_call uac_480 "$LIB_WORK/uac_480.xml" 5078 \
	"$LIB_WORK/480.csv" "$REJECTS" 3
phones_call uac_404 "$LIB_WORK/uac_480.xml" 5079 \
	"$LIB_WORK/404.csv" "$REJECTS" 3
phones_call uac_fork "$CALLS_XML/uac_caller_bye.xml" 5080 \
	"$LIB_WORK/fork.csv" "$FORKS" 5

# check_calls PID PORT EXPECTED WHAT: the caller sipp succeeded with
# EXPECTED calls.
check_calls() {
	local pid=$1 port=$2 want=$3 what=$4 rc=0 created ok failed
	sipp_wait "$pid" || rc=$?
	read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/uac-$port.csv")"
	if [ "$rc" -eq 0 ] && [ "$ok" = "$want" ] && [ "$failed" = 0 ]; then
		pass "$what: $ok of $want calls as expected"
	else
		fail "$what: sipp exit $rc, created $created, successful $ok," \
			"failed $failed (expected $want successful)"
		tail -n 5 "$LIB_WORK/uac-$port.err" >&2 2>/dev/null || true
	fi
}
check_calls "$uac_ab" 5071 "$CALLS" "phones 1-4 call 5-8, callee hangs up"
check_calls "$uac_ba" 5074 "$CALLS" "phones 5-8 call 1-4, caller hangs up"
check_calls "$uac_cancel" 5076 "$CANCELS" "CANCEL before answer: 200, 487, ACK"
check_calls "$uac_408" 5077 "$NO_ANSWER" "no answer in ${RING_TIMEOUT}s: 408"
check_calls "$uac_480" 5078 "$REJECTS" "known user without a binding: 480"
check_calls "$uac_404" 5079 "$REJECTS" "unknown user: 480, as an offline one"
check_calls "$uac_fork" 5080 "$FORKS" "forked to two phones, one answers"
for pid in $uas_a $uas_b $uas_ring; do
	if ! lib_stop "$pid" NONE 15; then
		fail "a callee sipp failed (see $LIB_WORK/uas-*.err)"
	fi
done
pass "every callee sipp took all its calls"
workers_capture_stop

# 3. What the workers counted and saw.
lb_ctl workers | sed "s/^/$LIB_NAME:   /"
invites=$((2 * CALLS + CANCELS + NO_ANSWER + 2 * REJECTS + FORKS))
check_counter() {	# NAME EXPECTED
	local got
	got=$(workers_counter "$1")
	if [ "$got" = "$2" ]; then
		pass "workers counted $1 = $2"
	else
		fail "workers counted $1 = $got, expected $2"
	fi
}
check_counter requests.INVITE "$invites"
check_counter requests.CANCEL "$CANCELS"
check_counter cancels "$CANCELS"
check_counter unavailable "$REJECTS"
check_counter not_found "$REJECTS"
check_counter timeouts "$NO_ANSWER"
check_counter forked "$FORKS"

report=$(workers_affinity) || die "reading the captures failed"
printf '%s\n' "$report" | sed "s/^/$LIB_NAME:   /"
calls_seen=$(printf '%s\n' "$report" | awk '$1 == "calls" { print $2 }')
if [ "$calls_seen" = "$invites" ]; then
	pass "the workers received all $invites calls"
else
	fail "the workers received $calls_seen calls, expected $invites"
fi
if printf '%s\n' "$report" | grep -q '^split '; then
	fail "calls split over workers: $(printf '%s\n' "$report" | grep -c '^split ')"
else
	pass "every message of a call reached one worker"
fi
idle=$(printf '%s\n' "$report" | awk '$1 == "worker" && $7 == 0' | wc -l)
if [ "$idle" -eq 0 ]; then
	pass "calls spread over all 3 workers"
else
	fail "$idle workers had no call"
fi

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
