#!/bin/bash
# cookie.sh - SIP cookies end to end: the registrar's 401 comes from XDP
# (bpf/cookie.bpf.h), the 200 from siplbd, and a REGISTER flood from
# 65,536 forged sources is answered in XDP while phones register.
#
# On the namespace testbed (one backend, only there to complete the
# configuration) siplbd attaches the XDP program with the default
# `xdp-challenge on`:
#   1. sipp registers USERS users with digest authentication
#      (tests/e2e/sipp/register_auth.xml: REGISTER -> 401 -> REGISTER with
#      credentials -> 200). All succeed; cookie_401 rose by at least USERS
#      (every challenge came from XDP) and siplbd's own challenged count
#      stayed 0; pass_cookie_valid rose by at least USERS (every answer's
#      nonce checked in XDP before siplbd saw it); a REGISTER with a forged
#      nonce is dropped (drop_cookie_forged).
#   2. The flood: build/bench/pps_gen --register 65536 (BPF_PROG_TEST_RUN
#      with BPF_F_TEST_XDP_LIVE_FRAMES on the client's veth: REGISTERs
#      without credentials from 10.98.0.0/16, a random source each) at the
#      highest rate it offers, for FLOOD_SECS, while sipp registers the
#      USERS users again. Checks: every registration succeeded (0 lost);
#      the flood was answered by XDP (cookie_401 rose by at least the
#      REGISTERs the flood got through, counted as the counter's rise
#      minus the legitimate challenges) and none of it reached siplbd
#      (siplbd's REGISTER count rose by the legitimate answers: USERS,
#      plus at most sipp's retransmissions). Reports the rates and siplbd's CPU
#      (utime+stime from /proc) during the flood: a figure, not a check
#      (scripts/bench/cookie_flood.sh records it). Where live frames are
#      refused (EPERM on some machines), that round is a TAP skip.
#   3. The same with build/tests/tools/sipflood as the flood (sendmmsg
#      from one thread, IP_TRANSPARENT, 65,536 forged sources, REGISTERs
#      only, FLOOD_RATE a second), which runs everywhere.
# SIPLB_COOKIE_XDP=off runs the same with `xdp-challenge off` and only
# reports (what siplbd pays without SIP cookies: a measurement, not a
# test). Knobs: SIPLB_COOKIE_USERS (300), SIPLB_COOKIE_FLOOD_SECS (20),
# SIPLB_COOKIE_FLOOD_RATE (200000, sipflood's), SIPLB_COOKIE_FIGURES=FILE
# (the figures, one line per flood, for the benchmark),
# SIPLB_COOKIE_THREADS (generator threads, 1: the attacker would not be
# on the balancer's own CPUs, and this machine has two).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

GEN=$ROOT/build/bench/pps_gen
GEN_OBJ=$ROOT/build/bench/pps_gen.bpf.o
FLOODER=$ROOT/build/tests/tools/sipflood
SCENARIO=$ROOT/tests/e2e/sipp/register_auth.xml
USERS=${SIPLB_COOKIE_USERS:-300}
FLOOD_SECS=${SIPLB_COOKIE_FLOOD_SECS:-20}
FLOOD_RATE=${SIPLB_COOKIE_FLOOD_RATE:-200000}	# sipflood's, datagrams/s
THREADS=${SIPLB_COOKIE_THREADS:-1}
REG_RATE=50
REALM=siplb.test
SIPP_PORT=5070
XDP_CHALLENGE=${SIPLB_COOKIE_XDP:-on}	# off: a measurement of before
case $XDP_CHALLENGE in
on | off) ;;
*) die "SIPLB_COOKIE_XDP must be on or off, not '$XDP_CHALLENGE'" ;;
esac
FLOOD_SRC=10.98.0.0		# 10.98.0.0/16: no address of the testbed
FLOOD_SPORT=5099

LIB_FAMILY=4
lib_init cookie
ck_return() { return "$1"; }
ck_exit() {
	local rc=$?
	set +e
	[ "$rc" -eq 0 ] || siplbd_log_show 30
	ck_return "$rc"
	lib_cleanup
}
trap ck_exit EXIT

# xdp_runs: "run_time_ns run_cnt" of the XDP program on the balancer's
# client-facing port (the tail-called challenge program's time is counted
# in it); "0 0" unless kernel.bpf_stats_enabled is 1.
xdp_runs() {
	local id
	id=$(ip -n "$TB_NS_LB" -j -d link show dev "$TB_LB_CLIENT_DEV" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
	bpftool -j prog show id "$id" | python3 -c 'import json, sys
j = json.load(sys.stdin); print(j.get("run_time_ns", 0), j.get("run_cnt", 0))'
}

cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# ck_stats: the XDP counters and siplbd's (through its control socket)
# into $LIB_WORK/stats.json, for stats_get and daemon_stat.
ck_stats() {
	lb_ctl -S "$LIB_WORK/siplbd.sock" -j stats >"$LIB_WORK/stats.json" \
		2>"$LIB_WORK/stats.err" ||
		die "siplbctl -j stats failed: $(cat "$LIB_WORK/stats.err")"
}

# daemon_stat NAME: a registrar counter from `siplbctl -j stats`.
daemon_stat() {
	python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["daemon"]["registrar"][sys.argv[2]])' \
		"$LIB_WORK/stats.json" "$1"
}

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

# register_round NAME WHAT: sipp registers every user; 0 if all
# succeeded. LAST_OK: how many did.
LAST_OK=0
register_round() {
	local name=$1 what=$2 secs=$((USERS / REG_RATE + 30)) pid rc=0
	local created ok failed
	lib_bg pid ip netns exec "$TB_NS_CLIENT" \
		timeout -s INT -k 10 $((secs + 10)) \
		sipp "$VIP_EP" -sf "$SCENARIO" -inf "$LIB_WORK/users.csv" \
		-i "$CLIENT_IP" -p "$SIPP_PORT" -m "$USERS" -r "$REG_RATE" \
		-nostdin -buff_size 4194304 -recv_timeout 10s \
		-timeout "${secs}s" -trace_stat -stf "$LIB_WORK/$name.csv" \
		-fd 1 >"$LIB_WORK/$name.out" 2>&1
	wait "$pid" || rc=$?
	lib_forget "$pid"
	read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/$name.csv")"
	LAST_OK=${ok:-0}
	if [ "$rc" -eq 0 ] && [ "$ok" = "$USERS" ] && [ "$failed" = 0 ]; then
		pass "$what: $ok of $USERS registrations succeeded, 0 failed"
		return 0
	fi
	if [ "$XDP_CHALLENGE" = off ] && [ "$name" != reg1 ]; then
		log "xdp-challenge off: $what: $ok of $USERS succeeded (measured)"
		return 0
	fi
	fail "$what: sipp exit $rc, created $created, successful $ok," \
		"failed $failed (expected $USERS/$USERS/0)"
	sed -n '/Messages  Retrans/,/Test Terminated/p' "$LIB_WORK/$name.out" >&2 || true
	return 1
}

declare -A B
snapshot() {
	ck_stats
	local c
	for c in cookie_401 cookie_401_stale pass_cookie_valid pass_cookie_noroom \
		pass_cookie_unsupported pass_cookie_long drop_cookie_forged \
		pass_register; do
		B[$c]=$(stats_get "$c")
	done
	B[challenged]=$(daemon_stat challenged)
	B[requests]=$(daemon_stat requests)
}
delta() {
	local now
	case $1 in
	challenged | requests) now=$(daemon_stat "$1") ;;
	*) now=$(stats_get "$1") ;;
	esac
	echo $((now - B[$1]))
}

# --- testbed, users, siplbd ---------------------------------------------
tb_up 1
users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" "$USERS"
{
	echo SEQUENTIAL
	awk -F';' -v d="$REALM" '{ print $1 ";" $2 ";" d ";3600" }' \
		"$LIB_WORK/users.list"
} >"$LIB_WORK/users.csv"
CONF=$LIB_WORK/siplb.conf
{
	siplbd_conf "$REALM" "users.htdigest"
	printf 'auth {\n\txdp-challenge %s\n}\n' "$XDP_CHALLENGE"
} >"$CONF"
siplbd_check "$CONF" ||
	die "siplbd -n refused the configuration: $(cat "$LIB_WORK/siplbd-n.out")"
siplbd_start "$CONF" || die "siplbd did not start"

# --- 1. the 401 from XDP, the 200 from siplbd -----------------------------
snapshot
register_round reg1 "registration" || true
if [ "$XDP_CHALLENGE" = on ]; then
	ck_stats
	d401=$(delta cookie_401)
	dvalid=$(delta pass_cookie_valid)
	dchal=$(delta challenged)
	[ "$d401" -ge "$USERS" ] &&
		pass "every challenge came from XDP: cookie_401 rose by $d401 (>= $USERS)" ||
		fail "cookie_401 rose by $d401, expected at least $USERS"
	[ "$dchal" -eq 0 ] &&
		pass "siplbd sent no 401 of its own (registrar.challenged +0)" ||
		fail "siplbd challenged $dchal REGISTERs itself"
	[ "$dvalid" -ge "$USERS" ] &&
		pass "every answer's nonce checked in XDP: pass_cookie_valid +$dvalid" ||
		fail "pass_cookie_valid rose by $dvalid, expected at least $USERS"

	# A nonce that is not ours, from the client: dropped in XDP, no answer.
	snapshot
	ip netns exec "$TB_NS_CLIENT" python3 - "$VIP" "$TB_SIP_PORT" "$CLIENT_IP" <<-'EOF'
	import socket, sys
	vip, port, me = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	msg = ("REGISTER sip:siplb.test SIP/2.0\r\n"
	       "Via: SIP/2.0/UDP %s:5098;branch=z9hG4bKforged;rport\r\n"
	       "To: <sip:user0001@siplb.test>\r\n"
	       "From: <sip:user0001@siplb.test>;tag=f\r\n"
	       "Call-ID: forged@%s\r\nCSeq: 1 REGISTER\r\n"
	       "Authorization: Digest username=\"user0001\", realm=\"siplb.test\", "
	       "nonce=\"AAAAAAAAA-igoaKjpKWmp4uwuBYa2Cb5okdSN-QPSgI\", "
	       "uri=\"sip:siplb.test\", response=\"00000000000000000000000000000000\"\r\n"
	       "Content-Length: 0\r\n\r\n") % (me, me)
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	s.bind((me, 5098))
	s.settimeout(1.0)
	s.sendto(msg.encode(), (vip, port))
	try:
	    s.recv(4096)
	    print("answered")
	except socket.timeout:
	    print("no answer")
	EOF
	ck_stats
	[ "$(delta drop_cookie_forged)" -eq 1 ] && [ "$(delta requests)" -eq 0 ] &&
		pass "a forged nonce is dropped in XDP (drop_cookie_forged +1), siplbd never sees it" ||
		fail "forged nonce: drop_cookie_forged +$(delta drop_cookie_forged)," \
			"siplbd requests +$(delta requests)"
fi

# --- 2. the flood, and the phones through it ------------------------------
[ -x "$FLOODER" ] || die "$FLOODER not found: run 'make' first"
LB_MAC=$(ip -n "$TB_NS_LB" -j link show dev "$TB_LB_CLIENT_DEV" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["address"])')

# flood_start KIND: the flood in the background (FLOOD_PID), its output in
# $LIB_WORK/KIND.out: "offered N secs S" (live) or sipflood's line.
flood_start() {
	if [ "$1" = live ]; then
		lib_bg FLOOD_PID ip netns exec "$TB_NS_CLIENT" "$GEN" \
			--obj "$GEN_OBJ" --dev "$TB_CLIENT_DEV" --dmac "$LB_MAC" \
			--src "$FLOOD_SRC" --sport "$FLOOD_SPORT" --dst "$VIP" \
			--dport "$TB_SIP_PORT" --secs "$FLOOD_SECS" \
			--threads "$THREADS" --register 65536 \
			>"$LIB_WORK/$1.out" 2>"$LIB_WORK/$1.err"
	else
		lib_bg FLOOD_PID ip netns exec "$TB_NS_CLIENT" \
			timeout -s INT $((FLOOD_SECS + 10)) "$FLOODER" \
			--dst "$VIP_EP" --src "$FLOOD_SRC" --sources 65536 --spoof \
			--port "$FLOOD_SPORT" --rate "$FLOOD_RATE" \
			--seconds "$FLOOD_SECS" --mix 0,1,0,0 \
			>"$LIB_WORK/$1.out" 2>"$LIB_WORK/$1.err"
	fi
}

# flood_offered KIND: "N SECS" from the flood's output.
flood_offered() {
	if [ "$1" = live ]; then
		awk '$1 == "offered" { print $2, $4 }' "$LIB_WORK/$1.out"
	else
		awk '$1 == "sipflood" { print $3, $13 }' "$LIB_WORK/$1.out"
	fi
}

# flood_round KIND WHAT: phones register through a flood of KIND (live:
# the in-kernel generator; sendmmsg: sipflood); checks and figures. 1 if
# the flood could not run here (then a skip is reported).
flood_round() {
	local kind=$1 what=$2 rc=0 offered secs retrans d401 dreq answered
	local cpu0 cpu1 wall0 wall1 cpu_s cpu_pct wall x0 x1 xdp_ns xdp_runs
	if [ "$kind" = live ] && { [ ! -x "$GEN" ] || [ ! -e "$GEN_OBJ" ]; }; then
		skip "REGISTER flood from $what" \
			"$GEN not built (make bench-build)"
		return 1
	fi
	snapshot
	x0=$(xdp_runs)
	cpu0=$(cpu_ticks "$SIPLBD_PID")
	wall0=$(date +%s.%N)
	flood_start "$kind"
	sleep 2
	if ! kill -0 "$FLOOD_PID" 2>/dev/null &&
		grep -q 'Operation not permitted' "$LIB_WORK/$kind.err"; then
		wait "$FLOOD_PID" || true
		lib_forget "$FLOOD_PID"
		skip "REGISTER flood from $what" \
			"BPF_F_TEST_XDP_LIVE_FRAMES refused here (EPERM): $(cat "$LIB_WORK/$kind.err")"
		return 1
	fi
	register_round "reg-$kind" "registration under the $kind flood" || true
	wait "$FLOOD_PID" || rc=$?
	lib_forget "$FLOOD_PID"
	cpu1=$(cpu_ticks "$SIPLBD_PID")
	wall1=$(date +%s.%N)
	x1=$(xdp_runs)
	sleep 1
	ck_stats
	xdp_runs=$((${x1#* } - ${x0#* }))
	xdp_ns=$(awk -v t=$((${x1% *} - ${x0% *})) -v n="$xdp_runs" \
		'BEGIN { printf "%.0f", n ? t / n : 0 }')
	[ "$rc" -eq 0 ] ||
		die "the $kind flood failed (exit $rc): $(cat "$LIB_WORK/$kind.err")"
	read -r offered secs <<<"$(flood_offered "$kind")"
	retrans=$(sipp_retrans "$LIB_WORK/reg-$kind.csv")
	d401=$(delta cookie_401)
	dreq=$(delta requests)
	answered=$((d401 - USERS))
	cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.2f", (b - a) / hz }')
	wall=$(awk -v w0="$wall0" -v w1="$wall1" 'BEGIN { printf "%.1f", w1 - w0 }')
	cpu_pct=$(awk -v c="$cpu_s" -v w="$wall" 'BEGIN { printf "%.2f", 100 * c / w }')

	echo
	echo "  $kind flood ($what): $offered REGISTERs offered in ${secs}s" \
		"from 65536 forged sources" \
		"($(awk -v n="$offered" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')/s)"
	echo "  answered by XDP (cookie_401 minus the $USERS legitimate challenges):" \
		"$answered ($(awk -v n="$answered" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')/s)"
	echo "  other cookie verdicts: unsupported $(delta pass_cookie_unsupported)," \
		"long $(delta pass_cookie_long), noroom $(delta pass_cookie_noroom)," \
		"forged $(delta drop_cookie_forged)," \
		"stale $(delta cookie_401_stale), pass_register $(delta pass_register)"
	echo "  siplbd: $dreq REGISTERs ($USERS answers to challenges, sipp" \
		"retransmitted $retrans); CPU $cpu_s s in $wall s = $cpu_pct% of a core"
	echo "  legitimate registrations: $LAST_OK of $USERS"
	if [ "$xdp_runs" -gt 0 ]; then
		echo "  XDP (siplb_xdp + the tail-called siplb_cookie_xdp, bpf_stats):" \
			"$xdp_runs runs, $xdp_ns ns each"
	else
		echo "  XDP run time: kernel.bpf_stats_enabled is 0 (the benchmark sets it)"
	fi
	echo
	echo "$kind-xdp-$XDP_CHALLENGE offered $offered secs $secs answered $answered" \
		"siplbd_cpu_s $cpu_s wall_s $wall siplbd_cpu_pct $cpu_pct" \
		"xdp_runs $xdp_runs xdp_ns $xdp_ns" \
		"legit_ok $LAST_OK legit_total $USERS" >>"$LIB_WORK/figures"
	if [ "$XDP_CHALLENGE" = off ]; then
		log "MEASURED with xdp-challenge off: no checks on the flood"
		return 0
	fi

	[ "$answered" -gt 0 ] &&
		pass "$kind flood answered in XDP: $answered 401s beyond the legitimate" ||
		fail "$kind flood: no REGISTER answered in XDP (cookie_401 +$d401)"
	[ "$dreq" -ge "$USERS" ] && [ "$dreq" -le $((USERS + retrans)) ] &&
		pass "$kind flood: none reached siplbd, which saw $dreq REGISTERs (the $USERS answers, + at most $retrans retransmissions)" ||
		fail "$kind flood: siplbd saw $dreq REGISTERs, expected $USERS..$((USERS + retrans))"
	[ "$(delta challenged)" -eq 0 ] &&
		pass "$kind flood: siplbd sent no 401 of its own" ||
		fail "$kind flood: siplbd challenged $(delta challenged) REGISTERs"
	return 0
}

: >"$LIB_WORK/figures"
flood_round live "the in-kernel generator (BPF_F_TEST_XDP_LIVE_FRAMES)" || true
flood_round sendmmsg "sipflood (sendmmsg, IP_TRANSPARENT)"
[ -z "${SIPLB_COOKIE_FIGURES:-}" ] || cp "$LIB_WORK/figures" "$SIPLB_COOKIE_FIGURES"

if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks"
	exit 1
fi
log "PASS"
