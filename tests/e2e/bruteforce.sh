#!/bin/bash
# bruteforce.sh - how many passwords a guesser gets to try before the
# failed-authentication block (auth { block-threshold ... }) stops it in
# XDP (drop_blocked), for three kinds of guesser:
#   1. serial: waits for each answer, as svcrack and most tools do
#      (tests/e2e/digest_client.py guess);
#   2. burst: fires GUESSES guesses back to back without waiting
#      (tests/e2e/guess_burst.py): the guesses already on their way to
#      siplbd when the block lands are still checked and answered;
#   3. spread: the burst from SPREAD addresses, one after the other: the
#      block is per source address, so each address gets its own share.
# For each: guesses sent, answered (401: each a password checked and
# refused), passwords siplbd checked (registrar.auth_failed), guesses it
# left unanswered because they were queued when the block landed
# (registrar.blocked), and guesses dropped in XDP (drop_blocked). Checks:
# each guesser, waiting or not, gets exactly block-threshold passwords
# checked and answered per address; every other guess is accounted for
# (unanswered or dropped); every spread address ends up blocked; a
# legitimate user on the same testbed still registers. Last, a reload
# that adds `guard { strict-dialogs on }` is published to the XDP program:
# a stranger's INVITE is then dropped (drop_strict), the registered
# address's is not.
#
# Takes about 20 s. Knobs: SIPLB_BF_GUESSES (2000), SIPLB_BF_SPREAD (10),
# SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

GUESSES=${SIPLB_BF_GUESSES:-2000}
SPREAD=${SIPLB_BF_SPREAD:-10}
THRESHOLD=5
REALM=siplb.test
SERIAL_IP=10.99.1.3
BURST_IP=10.99.1.4
SPREAD_FIRST=10			# 10.99.1.10 ..
CLIENT_PY=$ROOT/tests/e2e/digest_client.py
BURST_PY=$ROOT/tests/e2e/guess_burst.py

LIB_FAMILY=4
lib_init bruteforce
bf_return() { return "$1"; }
bf_exit() {
	local rc=$?
	set +e
	[ "$rc" -eq 0 ] || siplbd_log_show 30
	bf_return "$rc"
	lib_cleanup
}
trap bf_exit EXIT

tb_up 1
{
	echo "addr add $SERIAL_IP/24 dev $TB_CLIENT_DEV"
	echo "addr add $BURST_IP/24 dev $TB_CLIENT_DEV"
	for i in $(seq 0 $((SPREAD - 1))); do
		echo "addr add 10.99.1.$((SPREAD_FIRST + i))/24 dev $TB_CLIENT_DEV"
	done
} >"$LIB_WORK/addrs.batch"
ip -n "$TB_NS_CLIENT" -batch "$LIB_WORK/addrs.batch" ||
	die "cannot add the guessers' addresses to the client"

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2
VICTIM=user0001
CONF=$LIB_WORK/siplb.conf
{
	siplbd_conf "$REALM" "users.htdigest" "$(nth 1 "$BACKEND_IPS")"
	cat <<EOF
auth {
	# digest_client.py answers SHA-256; the default offers MD5 alone
	algorithms SHA-256 MD5
	block-threshold $THRESHOLD
	block-window 60
	block-time 600
}
EOF
} >"$CONF"
siplbd_start "$CONF" || die "siplbd did not start"
log "siplbd up; auth block-threshold $THRESHOLD, block-window 60 s"

# in_client CMD...: a command in the client namespace, at most 120 s.
in_client() {
	ip netns exec "$TB_NS_CLIENT" timeout --foreground -s KILL 120 "$@"
}

# counts: "XDP_DROPS UNANSWERED CHECKED": drop_blocked, REGISTERs siplbd
# left unanswered because their source was blocked by then
# (registrar.blocked), and passwords it checked and refused
# (registrar.auth_failed).
counts() {
	lb_ctl -S "$LIB_WORK/siplbd.sock" -j stats >"$LIB_WORK/stats.json" ||
		die "siplbctl stats failed"
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
r = s["daemon"]["registrar"]
print(s["counters"]["drop_blocked"], r["blocked"], r["auth_failed"])
' "$LIB_WORK/stats.json"
}

# --- 1. serial -------------------------------------------------------------
read -r x0 s0 c0 <<<"$(counts)"
out=$(in_client python3 "$CLIENT_PY" guess --bind "$SERIAL_IP" --server "$VIP" \
	--server-port "$TB_SIP_PORT" --domain "$REALM" --user "$VICTIM" \
	--password not-the-password --count $((THRESHOLD + 3)) --timeout 0.5)
printf '%s\n' "$out" >"$LIB_WORK/serial.out"
answered=$(printf '%s\n' "$out" | awk '$1 ~ /^guess[0-9]/ && $2 != "timeout" { n++ } END { print n + 0 }')
first_silent=$(printf '%s\n' "$out" | awk '$1 ~ /^guess[0-9]/ && $2 == "timeout" { sub("guess", "", $1); print $1; exit }')
read -r x1 s1 c1 <<<"$(counts)"
SERIAL_LINE="serial guesser: $((THRESHOLD + 3)) sent, $answered answered (401), $((c1 - c0)) passwords checked, $((x1 - x0)) dropped in XDP (drop_blocked)"
if [ "$answered" -eq "$THRESHOLD" ] && [ "${first_silent:-0}" -eq $((THRESHOLD + 1)) ] &&
	[ $((c1 - c0)) -eq "$THRESHOLD" ] && [ $((x1 - x0)) -eq 3 ]; then
	pass "$SERIAL_LINE"
else
	fail "$SERIAL_LINE; first unanswered guess ${first_silent:-none}" \
		"(expected $THRESHOLD answers, then 3 drops)"
fi

# --- 2. burst -----------------------------------------------------------------
burst() {
	local out
	out=$(in_client python3 "$BURST_PY" --server "$VIP" \
		--server-port "$TB_SIP_PORT" --domain "$REALM" --user "$VICTIM" \
		--count "$GUESSES" --linger 2 "$@")
	printf '%s\n' "$out" >>"$LIB_WORK/burst.out"
	printf '%s\n' "$out"
}
read -r x0 s0 c0 <<<"$(counts)"
t0=$(date +%s.%N)
line=$(burst --bind "$BURST_IP")
t1=$(date +%s.%N)
read -r x1 s1 c1 <<<"$(counts)"
read -r _ _ _ sent _ answered _ n401 _ n403 _ other _ _ <<<"$line"
drops=$((x1 - x0)) silenced=$((s1 - s0)) checked=$((c1 - c0))
BURST_LINE="burst guesser: $sent sent back to back, $answered answered ($n401 401, $n403 403, $other other), $checked passwords checked, $silenced already queued left unanswered by siplbd, $drops dropped in XDP (drop_blocked)"
if [ "$answered" -eq "$THRESHOLD" ] && [ "$checked" -eq "$THRESHOLD" ] &&
	[ "$other" -eq 0 ] && [ $((answered + silenced + drops)) -eq "$sent" ]; then
	pass "$BURST_LINE"
else
	fail "$BURST_LINE (expected $THRESHOLD answered and checked," \
		"answered + unanswered + dropped = sent)"
fi

# --- 3. spread over addresses ------------------------------------------------
binds=()
for i in $(seq 0 $((SPREAD - 1))); do
	binds+=(--bind "10.99.1.$((SPREAD_FIRST + i))")
done
read -r x0 s0 c0 <<<"$(counts)"
out=$(burst "${binds[@]}")
read -r x1 s1 c1 <<<"$(counts)"
spread_answered=$(printf '%s\n' "$out" | awk '$1 == "guesser" { n += $6 } END { print n + 0 }')
spread_sent=$(printf '%s\n' "$out" | awk '$1 == "guesser" { n += $4 } END { print n + 0 }')
drops=$((x1 - x0)) silenced=$((s1 - s0)) checked=$((c1 - c0))
nblocked=$(blocked_dump | awk -v f="$SPREAD_FIRST" -v n="$SPREAD" '
	{ split($1, o, "."); if (o[1] == 10 && o[2] == 99 && o[3] == 1 &&
	  o[4] >= f && o[4] < f + n) b++ } END { print b + 0 }')
SPREAD_LINE="$SPREAD addresses: $spread_sent sent, $spread_answered answered, $checked passwords checked, $silenced left unanswered, $drops dropped in XDP, $nblocked addresses blocked"
if [ "$nblocked" -eq "$SPREAD" ] && [ "$checked" -eq $((THRESHOLD * SPREAD)) ] &&
	[ "$spread_answered" -eq $((THRESHOLD * SPREAD)) ] &&
	[ $((spread_answered + silenced + drops)) -eq "$spread_sent" ]; then
	pass "$SPREAD_LINE"
else
	fail "$SPREAD_LINE (expected all $SPREAD blocked, $THRESHOLD checked" \
		"and answered per address, answered + unanswered + dropped = sent)"
fi

# --- a legitimate user is not affected -----------------------------------------
out=$(in_client python3 "$CLIENT_PY" register --bind "$CLIENT_IP" --server "$VIP" \
	--server-port "$TB_SIP_PORT" --domain "$REALM" --user user0002 \
	--password "$(sed -n 2p "$LIB_WORK/users.list" | cut -d';' -f2)" --timeout 2)
if printf '%s\n' "$out" | grep -q '^register 200'; then
	pass "user0002 registers from $CLIENT_IP meanwhile"
else
	fail "user0002 from $CLIENT_IP: '$out' (expected register 200)"
fi

# --- the guard block follows a reload --------------------------------------
# siplbd publishes the guard at start (off here) and on every reload: turn
# strict mode on, and an INVITE from a stranger is dropped in XDP; from
# the address that just registered, it is not.
invite_from() {
	in_client python3 -c '
import socket, sys
src, vip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
msg = ("INVITE sip:user0001@%s SIP/2.0\r\n"
       "Via: SIP/2.0/UDP %s:5090;branch=z9hG4bK-bf-strict\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:x@%s>;tag=1\r\nTo: <sip:user0001@%s>\r\n"
       "Call-ID: bf-strict-%s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
       % (vip, src, src, vip, src))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 5090))
s.sendto(msg.encode(), (vip, port))
' "$1" "$VIP" "$TB_SIP_PORT"
}
strict_drops() {
	stats_json
	stats_get drop_strict
}
guard_line() {
	lb_ctl stats | grep '^guard:'
}
STRANGER_IP=10.99.1.5
ip -n "$TB_NS_CLIENT" addr add "$STRANGER_IP/24" dev "$TB_CLIENT_DEV" ||
	die "cannot add $STRANGER_IP to the client"
before_line=$(guard_line)
printf 'guard {\n\tstrict-dialogs on\n}\n' >>"$CONF"
lb_ctl -S "$LIB_WORK/siplbd.sock" reload >/dev/null ||
	fail "siplbctl reload failed"
sleep 0.5
after_line=$(guard_line)
d0=$(strict_drops)
invite_from "$STRANGER_IP"
invite_from "$CLIENT_IP"
sleep 0.5
d1=$(strict_drops)
if [ "$before_line" = "guard: off" ] &&
	printf '%s\n' "$after_line" | grep -q 'strict-dialogs on' &&
	[ $((d1 - d0)) -eq 1 ]; then
	pass "reload published strict mode ('$after_line'): the stranger's" \
		"INVITE dropped (drop_strict +1), the registered address's not"
else
	fail "reload: guard line '$before_line' -> '$after_line', drop_strict" \
		"moved by $((d1 - d0)) (expected 'guard: off', strict on, +1)"
fi

echo
echo "  $SERIAL_LINE"
echo "  $BURST_LINE"
echo "  $SPREAD_LINE ($(awk -v a="$spread_answered" -v n="$SPREAD" 'BEGIN { printf "%.1f", a / n }') answered per address)"
echo "  burst guesser: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s from first to last guess and the wait for answers"
echo

if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks (SIPLB_KEEP_LOGS=1 keeps the logs)"
	exit 1
fi
log "PASS"
