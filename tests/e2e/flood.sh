#!/bin/bash
# flood.sh - legitimate users keep registering and calling while a flood
# hits the VIP: the guard (bpf/guard.bpf.h) must drop the flood in XDP and
# no legitimate request may fail.
#
# On the namespace testbed (3 backends running sipp UAS -aa), siplbd
# attaches the XDP program with a guard block: REGISTER budget, INVITE
# budget, strict-dialogs on, block-scanners on. Then, all at once:
#   - build/tests/tools/sipflood sends FLOOD_RATE datagrams/s from SOURCES
#     addresses added to the client's link (10.99.1.100..), one sendmmsg
#     per 64: a quarter each junk, unauthenticated REGISTERs, INVITEs to
#     random numbers, and OPTIONS from "friendly-scanner";
#   - sipp registers USERS users with digest authentication
#     (tests/e2e/sipp/register_auth.xml) from 10.99.1.2, then registers them
#     all again while a sipp UAC on the same address places CALLS calls to
#     the VIP, which XDP steers to the backends.
# Checks: every registration and every call succeeded; the flood was at
# least 10 times the legitimate message rate; every junk datagram counted
# as drop_not_sip, every scanner OPTIONS as drop_scanner, every flood
# INVITE as drop_strict; REGISTERs over budget as drop_budget_register,
# the others answered by XDP's challenge (bpf/cookie.bpf.h) or passed; no
# legitimate request dropped by the guard (the backends saw exactly the
# legitimate calls). Reports the legitimate success rate, the flood sent
# and dropped by reason, what reached siplbd, and siplbd's CPU time (from
# /proc/PID/stat) during the flood.
#
# SIPLB_FLOOD_GUARD=off runs the same without the guard block and only
# reports (a measurement of what the guard is for, not a test).
# SIPLB_FLOOD_SPOOF=N sends from N forged addresses (10.99.128.0 on,
# IP_TRANSPARENT) instead: every new address starts with a full bucket.
# Takes about 60 s. SIPLB_FLOOD_LONG=1: 100,000 datagrams/s from 150
# sources, 3 rounds of registrations and 3,000 calls (about 3 minutes; not
# part of make check). Knobs: SIPLB_FLOOD_RATE, SIPLB_FLOOD_SOURCES,
# SIPLB_FLOOD_USERS (1000), SIPLB_FLOOD_CALLS, SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

FLOODER=$ROOT/build/tests/tools/sipflood
SCENARIO=$ROOT/tests/e2e/sipp/register_auth.xml
if [ "${SIPLB_FLOOD_LONG:-0}" = 1 ]; then
	DEF_RATE=100000 DEF_CALLS=3000 ROUNDS=3
else
	DEF_RATE=20000 DEF_CALLS=1000 ROUNDS=2
fi
FLOOD_RATE=${SIPLB_FLOOD_RATE:-$DEF_RATE}
SOURCES=${SIPLB_FLOOD_SOURCES:-150}
USERS=${SIPLB_FLOOD_USERS:-1000}
CALLS=${SIPLB_FLOOD_CALLS:-$DEF_CALLS}
REG_RATE=100			# registrations/s (2 REGISTERs, 2 responses each)
CALL_RATE=50			# calls/s (7 messages each)
BACKENDS=3
REALM=siplb.test
SIPP_PORT=5070			# the registering sipp's port
UAC_PORT=5061			# the calling sipp's port
FLOOD_PORT=5099
FIRST_SOURCE=10.99.1.100
SPOOF=${SIPLB_FLOOD_SPOOF:-0}	# N > 0: N forged sources from 10.99.128.0
GUARD=${SIPLB_FLOOD_GUARD:-on}	# off: the same run without the guard block
case $GUARD in
on | off) ;;
*) die "SIPLB_FLOOD_GUARD must be on or off, not '$GUARD'" ;;
esac
[ "$SOURCES" -ge 1 ] && [ "$SOURCES" -le 150 ] ||
	die "SIPLB_FLOOD_SOURCES must be 1..150 (10.99.1.100..249)"
SPOOF_ARGS=()
if [ "$SPOOF" -gt 0 ]; then
	[ "$SPOOF" -le 32768 ] || die "SIPLB_FLOOD_SPOOF must be 0..32768"
	SOURCES=$SPOOF FIRST_SOURCE=10.99.128.0 SPOOF_ARGS=(--spoof)
fi

LIB_FAMILY=4
lib_init flood
[ -x "$FLOODER" ] || die "$FLOODER not found: run 'make' first"
fl_return() { return "$1"; }
fl_exit() {
	local rc=$?
	set +e
	[ "$rc" -eq 0 ] || siplbd_log_show 30
	fl_return "$rc"
	lib_cleanup
}
trap fl_exit EXIT

T0=$SECONDS
phase() {
	log "[$((SECONDS - T0))s] $*"
}

# cpu_ticks PID: utime + stime of a process, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# sipp_retrans FILE: retransmissions sipp counted.
sipp_retrans() {
	python3 - "$1" <<'EOF'
import csv, sys
try:
    rows = [r for r in csv.reader(open(sys.argv[1]), delimiter=';') if r]
    print(rows[-1][rows[0].index('Retransmissions(C)')])
except (OSError, IndexError, ValueError):
    print(0)
EOF
}

# sipp_bg VAR NAME SECS ARGS...: sipp in the client namespace, in the
# background, its statistics in $LIB_WORK/NAME.csv.
sipp_bg() {
	local var=$1 name=$2 secs=$3
	shift 3
	lib_bg "$var" ip netns exec "$TB_NS_CLIENT" \
		timeout -s INT -k 10 $((secs + 10)) \
		sipp "$VIP_EP" -i "$CLIENT_IP" -nostdin -buff_size 4194304 \
		-recv_timeout 10s -timeout "${secs}s" \
		-trace_stat -stf "$LIB_WORK/$name.csv" -fd 1 \
		-trace_err -error_file "$LIB_WORK/$name.err" "$@" \
		>"$LIB_WORK/$name.out" 2>&1
}

# sipp_wait PID NAME COUNT WHAT: reap sipp, check COUNT of COUNT succeeded;
# adds "ok" to LEGIT_OK and COUNT to LEGIT_TOTAL.
LEGIT_OK=0 LEGIT_TOTAL=0
sipp_wait() {
	local pid=$1 name=$2 count=$3 what=$4 rc=0 created ok failed
	wait "$pid" || rc=$?
	lib_forget "$pid"
	read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/$name.csv")"
	LEGIT_OK=$((LEGIT_OK + ok))
	LEGIT_TOTAL=$((LEGIT_TOTAL + count))
	if [ "$rc" -eq 0 ] && [ "$created" = "$count" ] &&
		[ "$ok" = "$count" ] && [ "$failed" = 0 ]; then
		pass "$what: $ok of $count succeeded, 0 failed"
		return 0
	fi
	if [ "$GUARD" = off ]; then	# a measurement: failures are its result
		log "guard off: $what: $ok of $count succeeded, $failed failed"
		return 0
	fi
	fail "$what: sipp exit $rc, created $created, successful $ok," \
		"failed $failed (expected $count/$count/0)"
	sed -n '/Messages  Retrans/,/Test Terminated/p' "$LIB_WORK/$name.out" >&2 || true
	sed -n '2,$s/\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\t\)/\n\1/gp' \
		"$LIB_WORK/$name.err" 2>/dev/null | grep . | head -n 5 >&2 || true
}

# --- testbed, users, configuration, siplbd, backends --------------------
phase "testbed ($BACKENDS backends), $SOURCES flood addresses"
tb_up "$BACKENDS"
if [ "$SPOOF" -eq 0 ]; then
	for i in $(seq 0 $((SOURCES - 1))); do
		echo "addr add 10.99.1.$((100 + i))/24 dev $TB_CLIENT_DEV"
	done >"$LIB_WORK/addrs.batch"
	ip -n "$TB_NS_CLIENT" -batch "$LIB_WORK/addrs.batch" ||
		die "cannot add the flood addresses to the client"
fi

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" "$USERS"
{
	echo SEQUENTIAL
	awk -F';' -v d="$REALM" '{ print $1 ";" $2 ";" d ";3600" }' \
		"$LIB_WORK/users.list"
} >"$LIB_WORK/users.csv"

CONF=$LIB_WORK/siplb.conf
{
	siplbd_conf "$REALM" "users.htdigest"
	cat <<EOF
auth {
	# sipp 3.6 reads only the first challenge and knows only MD5.
	algorithms MD5 SHA-256
}
EOF
	if [ "$GUARD" = on ]; then
		cat <<EOF
guard {
	budget REGISTER 2 10
	budget INVITE 2 5
	budget OPTIONS 2 5
	budget other 10 20
	strict-dialogs on
	block-scanners on
}
EOF
	fi
} >"$CONF"
siplbd_check "$CONF" ||
	die "siplbd -n refused the configuration: $(cat "$LIB_WORK/siplbd-n.out")"

# sipp UAS on every backend; -aa answers siplbd's OPTIONS health probes.
for i in $(seq 1 "$TB_N"); do
	lib_bg pid ip netns exec "$(nth "$i" "$TB_NS_BACKENDS")" \
		sipp -sn uas -aa -i "$(nth "$i" "$BACKEND_IPS")" \
		-p "$TB_SIP_PORT" -nostdin -buff_size 4194304 \
		-trace_shortmsg -shortmessage_file "$LIB_WORK/uas$i.tsv" \
		-trace_err -error_file "$LIB_WORK/uas$i.err" \
		>"$LIB_WORK/uas$i.out" 2>&1
	UAS_PIDS="${UAS_PIDS:-} $pid"
done
for i in $(seq 1 "$TB_N"); do
	wait_udp_port "$(nth "$i" "$TB_NS_BACKENDS")" "$TB_SIP_PORT"
done
siplbd_start "$CONF" || die "siplbd did not start"
sleep 1	# a health round: backends up
stats_json
declare -A BEFORE
# What a REGISTER that passed the guard became: the challenge program
# (bpf/cookie.bpf.h) answers or checks it, or it goes up (pass_*).
REG_VERDICTS="pass_register cookie_401 cookie_401_stale pass_cookie_valid
	pass_cookie_unsupported pass_cookie_long pass_cookie_noroom
	drop_cookie_forged"
for c in drop_not_sip drop_scanner drop_strict drop_budget_register \
	drop_budget_invite drop_budget_options drop_budget_other \
	drop_blocked $REG_VERDICTS; do
	BEFORE[$c]=$(stats_get "$c")
done

# --- the flood, and the legitimate users through it ---------------------
REG_SECS=$(((USERS + REG_RATE - 1) / REG_RATE))
CALL_SECS=$(((CALLS + CALL_RATE - 1) / CALL_RATE))
# registration round 1, then calls with rounds 2..ROUNDS beside them
LEGIT_SECS=$((REG_SECS + (CALL_SECS > (ROUNDS - 1) * REG_SECS ?
	CALL_SECS : (ROUNDS - 1) * REG_SECS)))
FLOOD_SECS=$((LEGIT_SECS + 8))
phase "flood: $FLOOD_RATE datagrams/s for ${FLOOD_SECS}s from $SOURCES addresses"
cpu0=$(cpu_ticks "$SIPLBD_PID")
wall0=$(date +%s.%N)
lib_bg FLOOD_PID ip netns exec "$TB_NS_CLIENT" timeout -s INT $((FLOOD_SECS + 10)) \
	"$FLOODER" --dst "$VIP_EP" --src "$FIRST_SOURCE" --sources "$SOURCES" \
	--port "$FLOOD_PORT" --rate "$FLOOD_RATE" --seconds "$FLOOD_SECS" \
	--mix 1,1,1,1 "${SPOOF_ARGS[@]}" >"$LIB_WORK/flood.out" 2>&1
sleep 2

phase "round 1: $USERS users register (digest, $REG_RATE/s)"
sipp_bg pid reg1 $((REG_SECS + 30)) -sf "$SCENARIO" -inf "$LIB_WORK/users.csv" \
	-p "$SIPP_PORT" -m "$USERS" -r "$REG_RATE"
sipp_wait "$pid" reg1 "$USERS" "registration round 1 under flood"

phase "$CALLS calls ($CALL_RATE/s) while the users register again"
uac_pid=""
sipp_bg uac_pid calls $((CALL_SECS + 30)) -sn uac -p "$UAC_PORT" \
	-m "$CALLS" -r "$CALL_RATE"
for r in $(seq 2 "$ROUNDS"); do
	sipp_bg pid "reg$r" $((REG_SECS + 30)) -sf "$SCENARIO" \
		-inf "$LIB_WORK/users.csv" -p "$SIPP_PORT" -m "$USERS" -r "$REG_RATE"
	sipp_wait "$pid" "reg$r" "$USERS" "registration round $r under flood"
done
sipp_wait "$uac_pid" calls "$CALLS" "calls under flood"

flood_rc=0
wait "$FLOOD_PID" || flood_rc=$?
lib_forget "$FLOOD_PID"
cpu1=$(cpu_ticks "$SIPLBD_PID")
wall1=$(date +%s.%N)
sleep 1	# the last datagrams through XDP
stats_json

# --- what happened -------------------------------------------------------
line=$(grep '^sipflood sent' "$LIB_WORK/flood.out" || true)
[ "$flood_rc" -eq 0 ] && [ -n "$line" ] ||
	die "sipflood failed (exit $flood_rc): $(cat "$LIB_WORK/flood.out")"
read -r _ _ sent _ junk _ reg _ inv _ scan _ secs _ pps _ errs <<<"$line"
log "$line"

delta() {
	echo $(($(stats_get "$1") - ${BEFORE[$1]:-0}))
}
d_junk=$(delta drop_not_sip)
d_scan=$(delta drop_scanner)
d_strict=$(delta drop_strict)
d_breg=$(delta drop_budget_register)
d_binv=$(delta drop_budget_invite)
d_bopt=$(delta drop_budget_options)
d_both=$(delta drop_budget_other)
d_passreg=0	# REGISTERs through the guard, whatever became of them
for c in $REG_VERDICTS; do
	d_passreg=$((d_passreg + $(delta "$c")))
done
d_cookie=$(delta cookie_401)
d_blocked=$(delta drop_blocked)
# REGISTERs the legitimate sipps sent: 2 per registration, plus any
# retransmission (a lost or late answer).
retrans=0
for r in $(seq 1 "$ROUNDS"); do
	retrans=$((retrans + $(sipp_retrans "$LIB_WORK/reg$r.csv")))
done
legit_reg_msgs=$((2 * USERS * ROUNDS + retrans))
flood_reg_passed=$((d_passreg - legit_reg_msgs))

# Legitimate messages per second: 4 per registration (2 requests, 2
# responses) and 7 per call (INVITE 100 180 200 ACK BYE 200), over the
# time the legitimate traffic took.
legit_msgs=$((4 * USERS * ROUNDS + 7 * CALLS))
legit_rate=$(awk -v m="$legit_msgs" -v s="$LEGIT_SECS" 'BEGIN { printf "%.0f", m / s }')
cpu=$(awk -v a="$cpu0" -v b="$cpu1" -v w0="$wall0" -v w1="$wall1" \
	-v hz="$(getconf CLK_TCK)" \
	'BEGIN { printf "%.2f s of CPU in %.1f s = %.1f%%", (b - a) / hz, w1 - w0,
		100 * (b - a) / hz / (w1 - w0) }')

echo
echo "  flood: $sent datagrams in ${secs}s ($pps/s) from $SOURCES addresses;" \
	"sendmmsg errors $errs"
printf '  %-10s %9s   %s\n' kind sent "dropped in XDP"
printf '  %-10s %9s   %s\n' junk "$junk" "drop_not_sip $d_junk"
printf '  %-10s %9s   %s\n' scanner "$scan" "drop_scanner $d_scan"
printf '  %-10s %9s   %s\n' INVITE "$inv" "drop_strict $d_strict"
printf '  %-10s %9s   %s\n' REGISTER "$reg" \
	"drop_budget_register $d_breg; within budget $flood_reg_passed" \
	"(XDP answered $d_cookie REGISTERs with a 401 in all)"
echo "  other guard counters: drop_budget_invite $d_binv," \
	"drop_budget_options $d_bopt, drop_budget_other $d_both, drop_blocked $d_blocked"
echo "  legitimate: $legit_msgs messages in ~${LEGIT_SECS}s (~$legit_rate/s);" \
	"flood/legitimate rate $(awk -v f="$pps" -v l="$legit_rate" 'BEGIN { printf "%.0f", f / l }')x"
echo "  legitimate success: $LEGIT_OK of $LEGIT_TOTAL (registrations and" \
	"calls); REGISTER retransmissions $retrans"
echo "  siplbd CPU during the flood: $cpu"
echo "  $(lb_ctl stats | grep '^guard:' || echo 'guard: ?')"
echo

# (SIGUSR1: a sipp UAS finishes and flushes its message log.)
for pid in $UAS_PIDS; do
	lib_stop "$pid" USR1 5 || true
done
uas_invites=$(cat "$LIB_WORK"/uas*.tsv 2>/dev/null |
	awk -F'\t' '$4 == "R" && $7 ~ /^INVITE / { c[$5] = 1 }
		END { n = 0; for (k in c) n++; print n }')
if [ "$GUARD" = off ]; then
	echo "  guard off: the backends received the INVITEs of $uas_invites" \
		"calls ($CALLS legitimate); $d_passreg REGISTERs passed the guard, $d_cookie answered by XDP"
	log "MEASURED with the guard off (SIPLB_FLOOD_GUARD=off): no checks"
	exit 0
fi

if awk -v f="$pps" -v l="$legit_rate" 'BEGIN { exit !(f >= 10 * l) }'; then
	pass "flood $pps/s is at least 10x the legitimate $legit_rate/s"
else
	fail "flood $pps/s is less than 10x the legitimate $legit_rate/s"
fi
[ "$d_junk" -eq "$junk" ] &&
	pass "all $junk junk datagrams dropped in XDP (drop_not_sip)" ||
	fail "junk: sent $junk, drop_not_sip moved by $d_junk"
[ "$d_scan" -eq "$scan" ] &&
	pass "all $scan scanner OPTIONS dropped in XDP (drop_scanner)" ||
	fail "scanner: sent $scan, drop_scanner moved by $d_scan"
[ "$d_strict" -eq "$inv" ] &&
	pass "all $inv flood INVITEs dropped in XDP (drop_strict)" ||
	fail "INVITE: sent $inv, drop_strict moved by $d_strict"
if [ "$flood_reg_passed" -ge 0 ] && [ $((d_breg + flood_reg_passed)) -eq "$reg" ]; then
	pass "flood REGISTERs: $d_breg dropped over budget, $flood_reg_passed" \
		"within budget went on to the challenge (of $reg)"
else
	fail "REGISTER: sent $reg, drop_budget_register $d_breg, through the" \
		"guard $d_passreg of which $legit_reg_msgs legitimate"
fi
[ $((d_binv + d_bopt + d_both + d_blocked)) -eq 0 ] &&
	pass "no legitimate request was dropped by a budget or a block" ||
	fail "budget/blocked drops of legitimate traffic: INVITE $d_binv," \
		"OPTIONS $d_bopt, other $d_both, blocked $d_blocked"
# The backends got exactly the legitimate calls: no flood INVITE leaked.
[ "$uas_invites" -eq "$CALLS" ] &&
	pass "backends received the INVITEs of $uas_invites calls: the legitimate ones only" ||
	fail "backends received INVITEs of $uas_invites calls, expected $CALLS"

if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks (SIPLB_KEEP_LOGS=1 keeps the logs)"
	exit 1
fi
log "PASS ($((SECONDS - T0))s)"
