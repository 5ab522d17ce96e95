#!/bin/bash
# attack.sh - toll fraud, forged dialogs and framing, while real phones
# register and call (docs/SECURITY.md "Routing policy").
#
# On the namespace testbed (3 backends), siplbd is the registrar and three
# siplb-workers proxy the calls with the shipped policy: caller
# authentication on, relay off, and NO trunk, so the phones answer the
# workers' 407 with their own credentials. In the client namespace, next
# to the phones' address (the victim's, CLIENT_IP), an attacker has an
# address of its own (ATTACKER). While phone 1 calls phone 2 and phone 2
# calls phone 1 (sipp, 407 answered, BYE through the Record-Route):
#
#   1. toll fraud: an INVITE to a premium number at a foreign gateway
#      without credentials (407), with a guessed password for a real user
#      (403), claiming the user in From (407); the real user with the
#      right password (403: relay is off): nothing reaches the gateway;
#   2. a forged "in-dialog" INVITE (a To tag, a Route naming the VIP, no
#      token of ours) to the gateway: 403;
#   3. framing: the attacker fetches a nonce from its own address and sends
#      20 REGISTERs with a wrong password from the victim's address: the
#      nonce is bound to the attacker's address, so each is dropped in XDP
#      (drop_cookie_forged, SIP cookies; with xdp-challenge off siplbd
#      re-challenges it, foreign_nonce) and none counts as a failed
#      password;
#   4. real guessing from the attacker's own address: the attacker is
#      blocked after the threshold (the control: the block works).
#
# Then: every call completed, the victim is not blocked and registers
# again, the attacker is, the counters say why, and a capture at the
# balancer saw no packet for the gateway.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
ATTACKER_PY=$ROOT/tests/e2e/attack/attacker.py
AUTH_CALL_XML=$CALLS_XML/uac_auth_caller_bye.xml
CALLS=${SIPLB_ATTACK_CALLS:-20}
FRAMES=20
REALM=siplb.test
DOMAIN=siplb.test
ATTACKER=10.99.1.66
GATEWAY=198.18.7.7

LIB_FAMILY=4
lib_init attack
tb_up 3
ip -n "$TB_NS_CLIENT" addr add "$ATTACKER/24" dev lb0 ||
	die "cannot add the attacker's address"
log "testbed $TB_PREFIX up: VIP $VIP_EP, phones at $CLIENT_IP, attacker at $ATTACKER"

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2 phone
phone() { sed -n "${1}p" "$LIB_WORK/users.list" | cut -d';' -f1; }
password() { sed -n "${1}p" "$LIB_WORK/users.list" | cut -d';' -f2; }

phones_conf "$LIB_WORK/siplb.conf" "$REALM" users.htdigest
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"
WORKERS_NO_TRUNK=1 workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"
pass "3 workers up, no trunk: every caller is authenticated"

# register I PORT: phone I registers from PORT (401, then 200).
register() {
	local csv=$LIB_WORK/reg-$1-$2.csv
	printf 'SEQUENTIAL\n%s;%s;3600\n' \
		"$(sed -n "${1}p" "$LIB_WORK/users.list")" "$DOMAIN" >"$csv"
	phones_register "$2" "$csv"
}
register 1 5072 && register 2 5073 ||
	die "the phones did not register: $(tail -n 5 "$LIB_WORK"/register-*.out)"
pass "phones 1 and 2 registered from ports 5072 and 5073"

# A capture at the balancer: nothing may go to the gateway.
lib_bg capture ip netns exec "$TB_NS_LB" timeout -s INT 120 tcpdump -n -i any \
	-w "$LIB_WORK/gateway.pcap" "dst host $GATEWAY" 2>"$LIB_WORK/tcpdump.err"
sleep 1

# The calls, both ways, each answering the worker's 407.
printf 'SEQUENTIAL\n%s;%s;%s;%s\n' "$(phone 1)" "$(phone 2)" "$DOMAIN" \
	"$(password 1)" >"$LIB_WORK/1-to-2.csv"
printf 'SEQUENTIAL\n%s;%s;%s;%s\n' "$(phone 2)" "$(phone 1)" "$DOMAIN" \
	"$(password 2)" >"$LIB_WORK/2-to-1.csv"
uas_1="" uas_2="" uac_12="" uac_21=""
phones_answer uas_1 "$CALLS_XML/uas_answer.xml" 5072 "$CALLS"
phones_answer uas_2 "$CALLS_XML/uas_answer.xml" 5073 "$CALLS"
phones_call uac_12 "$AUTH_CALL_XML" 5081 "$LIB_WORK/1-to-2.csv" "$CALLS" 4
phones_call uac_21 "$AUTH_CALL_XML" 5082 "$LIB_WORK/2-to-1.csv" "$CALLS" 4

# attack CMD ARGS...: the attacker's steps, "STEP STATUS" lines.
attack() {
	ip netns exec "$TB_NS_CLIENT" python3 "$ATTACKER_PY" "$1" \
		--vip "$VIP_EP" --domain "$DOMAIN" --user "$(phone 1)" "${@:2}"
}
# expect_steps OUTPUT STEP=STATUS...: each step answered as expected.
expect_steps() {
	local out=$1 want got
	shift
	for want in "$@"; do
		got=$(awk -v s="${want%%=*}" '$1 == s { print $2 }' <<<"$out")
		if [ "$got" = "${want#*=}" ]; then
			pass "${want%%=*}: ${want#*=}"
		else
			fail "${want%%=*}: expected ${want#*=}, got '${got:-nothing}'"
		fi
	done
}

out=$(attack toll --src "$ATTACKER")
expect_steps "$out" toll-plain=407 toll-guess=403 toll-as-user=407
# The user's own phone, with the right password: relay is off.
out=$(attack toll --src "$CLIENT_IP" --password "$(password 1)" --prefix insider-)
expect_steps "$out" insider-toll-guess=403
out=$(attack forged --src "$ATTACKER")
expect_steps "$out" forged=403
stats_json
forged0=$(stats_get drop_cookie_forged)
out=$(attack frame --src "$ATTACKER" --victim "$CLIENT_IP" --count "$FRAMES")
stats_json
frames_forged=$(($(stats_get drop_cookie_forged) - forged0))
frames_401=$(grep -c '^frame[0-9]* 401$' <<<"$out" || true)
frames_none=$(grep -c '^frame[0-9]* timeout$' <<<"$out" || true)
# Dropped in XDP (no answer, counted) or re-challenged by siplbd: never
# anything else, and every drop counted.
if [ $((frames_401 + frames_none)) = "$FRAMES" ] &&
	[ "$frames_forged" = "$frames_none" ]; then
	pass "framing: of $FRAMES REGISTERs from the victim's address with the" \
		"attacker's nonce, $frames_none dropped in XDP (drop_cookie_forged" \
		"+$frames_forged), $frames_401 re-challenged"
else
	fail "framing: $frames_401 re-challenged, $frames_none unanswered," \
		"drop_cookie_forged +$frames_forged: $(tr '\n' ' ' <<<"$out")"
fi
out=$(attack guess --src "$ATTACKER" --count 8)
log "guesses: $(tr '\n' ' ' <<<"$out")"

check_calls() {	# PID PORT WHAT
	local rc=0 created ok failed
	sipp_wait "$1" || rc=$?
	read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/uac-$2.csv")"
	if [ "$rc" -eq 0 ] && [ "$ok" = "$CALLS" ] && [ "$failed" = 0 ]; then
		pass "$3: $ok of $CALLS calls completed, 407 answered"
	else
		fail "$3: sipp exit $rc, created $created, successful $ok, failed $failed"
		tail -n 5 "$LIB_WORK/uac-$2.err" >&2 2>/dev/null || true
	fi
}
check_calls "$uac_12" 5081 "phone 1 calls phone 2 during the attack"
check_calls "$uac_21" 5082 "phone 2 calls phone 1 during the attack"
for pid in $uas_1 $uas_2; do
	lib_stop "$pid" NONE 15 || fail "a callee sipp failed (see $LIB_WORK/uas-*.err)"
done

# The victim: not blocked, and it registers again.
blocked=$(blocked_dump)
if grep -q "^$CLIENT_IP " <<<"$blocked"; then
	fail "the victim $CLIENT_IP is blocked: $blocked"
else
	pass "the victim $CLIENT_IP is not blocked"
fi
if grep -q "^$ATTACKER " <<<"$blocked"; then
	pass "the attacker, guessing from its own address, is blocked"
else
	fail "the attacker is not blocked after its own failures: '$blocked'"
fi
if register 1 5072; then
	pass "the victim registers again after the framing"
else
	fail "the victim cannot register: $(tail -n 5 "$LIB_WORK/register-5072.out")"
fi

# registrar_counter NAME: siplbd's registrar counter.
registrar_counter() {
	lb_ctl -S "$LIB_WORK/siplbd.sock" -j stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["daemon"]["registrar"][sys.argv[1]])' "$1"
}
foreign=$(registrar_counter foreign_nonce)
if [ $((foreign + frames_forged)) -ge "$FRAMES" ]; then
	pass "foreign nonces: $frames_forged dropped in XDP, $foreign counted by" \
		"the registrar (none a failed password)"
else
	fail "foreign nonces: $frames_forged dropped in XDP and $foreign counted" \
		"by the registrar, expected at least $FRAMES in all"
fi
for c in relay_denied dialog_forged caller_auth_failed; do
	n=$(workers_counter "$c")
	if [ "$n" -ge 1 ]; then
		pass "workers counted $c = $n"
	else
		fail "workers counted $c = $n, expected at least 1"
	fi
done

lib_stop "$capture" INT 5 || true
to_gateway=$(tcpdump -n -r "$LIB_WORK/gateway.pcap" 2>/dev/null | wc -l)
if [ "$to_gateway" = 0 ]; then
	pass "no packet left for the gateway $GATEWAY"
else
	fail "$to_gateway packets for the gateway $GATEWAY"
fi

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
