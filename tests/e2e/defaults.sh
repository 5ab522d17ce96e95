#!/bin/bash
# defaults.sh - the shipped configuration's guard (etc/siplb.conf) bounds
# what one unregistered source gets answered.
#
# On the namespace testbed (2 backends, a siplb-worker on each) siplbd runs
# with the testbed's configuration plus the guard block exactly as
# etc/siplb.conf ships it. sipsak, from one client address that holds no
# binding, floods OPTIONS to the VIP (a scanner's or a reflector's
# pattern: without a budget each one is answered 200). A capture at the
# client counts the answers:
#   1. at most the OPTIONS budget's burst + rate * duration of the flood
#      (with a margin for the start and end of the capture), and at
#      least the burst: the budget limits, it does not black-hole;
#   2. the rest was dropped in XDP and counted (drop_budget_options);
#   3. a second source is answered at once: the budget is per source;
#   4. a phone registers from the flooding address: the same flood, now
#      from a registered source (a runaway phone), is charged to the
#      registered budget: at most its burst + rate * duration answered,
#      the rest counted as drop_budget_registered.
# Knob: SIPLB_FLOOD_OPTIONS (20000 requests a burst, a burst every half
# second for 6 s).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
COUNT=${SIPLB_FLOOD_OPTIONS:-20000}
REALM=siplb.test
DOMAIN=siplb.test
FLOOD_SECS=6

LIB_FAMILY=4
lib_init defaults
tb_up 2
command -v sipsak >/dev/null || die "sipsak not installed (scripts/deps.sh)"
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP"

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2 phone
phones_conf "$LIB_WORK/siplb.conf" "$REALM" users.htdigest
# The guard block as shipped, and its OPTIONS budget.
awk '/^guard \{/, /^\}/' "$ROOT/etc/siplb.conf" >>"$LIB_WORK/siplb.conf"
read -r RATE BURST < <(awk '$1 == "budget" && $2 == "OPTIONS" { print $3, $4 }' \
	"$ROOT/etc/siplb.conf")
[ -n "${RATE:-}" ] && [ "$RATE" -gt 0 ] ||
	die "etc/siplb.conf has no OPTIONS budget"
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"
lb_ctl stats | grep -q '^guard: budgets' &&
	pass "the shipped guard block is published ($(lb_ctl stats | grep '^guard:'))" ||
	fail "guard not on: $(lb_ctl stats | grep '^guard:' || true)"

# flood: sipsak sends COUNT OPTIONS in a few tens of milliseconds; a burst
# every half second for FLOOD_SECS, so that the rate shows. Sets t0, t1
# and sent.
flood() {
	t0=$(date +%s.%N)
	sent=0
	while python3 -c "import sys; sys.exit(0 if $(date +%s.%N) - $t0 < $FLOOD_SECS else 1)"; do
		ip netns exec "$TB_NS_CLIENT" timeout -s INT 60 \
			sipsak -F -e "$COUNT" -s "sip:$VIP:$TB_SIP_PORT" \
			-H "$CLIENT_IP" >>"$LIB_WORK/sipsak.out" 2>&1 || true
		sent=$((sent + COUNT))
		sleep 0.5
	done
	t1=$(date +%s.%N)
}

# answers: the answers the client heard, from the capture.
answers() {
	tcpdump -nn -r "$LIB_WORK/client.pcap" \
		"udp and src port $TB_SIP_PORT and dst host $CLIENT_IP" 2>/dev/null |
		grep -c 'SIP/2.0 200' || true
}

stats_json
drops0=$(stats_get drop_budget_options)
capture_start
flood
sleep 1	# the last answers
capture_stop
stats_json
drops=$(($(stats_get drop_budget_options) - drops0))
answers=$(answers)
secs=$(python3 -c "print('%.2f' % ($t1 - $t0))")
allowed=$(python3 -c "import math; print($BURST + math.ceil($RATE * ($t1 - $t0 + 2)))")
log "sipsak: $(tail -n 2 "$LIB_WORK/sipsak.out" | tr '\n' ' ')"
log "$sent OPTIONS in ${secs}s from one source: $answers answered," \
	"$drops dropped in XDP (budget $RATE/s burst $BURST: at most $allowed)"
if [ "$answers" -le "$allowed" ] && [ "$answers" -ge "$BURST" ]; then
	pass "OPTIONS flood: $answers of $sent answered in ${secs}s (budget allows $allowed)"
else
	fail "OPTIONS flood: $answers answered, expected $BURST..$allowed"
fi
if [ "$drops" -ge $((sent - allowed)) ]; then
	pass "the rest dropped in XDP and counted: drop_budget_options +$drops"
else
	fail "drop_budget_options +$drops, expected at least $((sent - allowed))"
fi

# 3. Another source has its own bucket: answered at once.
SECOND_IP=${CLIENT_IP%.*}.77
ip -n "$TB_NS_CLIENT" addr add "$SECOND_IP/24" dev "$TB_CLIENT_DEV" ||
	die "cannot add $SECOND_IP to the client"
if ip netns exec "$TB_NS_CLIENT" timeout -s INT 10 python3 - "$SECOND_IP" \
	"$VIP" "$TB_SIP_PORT" >"$LIB_WORK/second.out" 2>&1 <<'PY'
import socket, sys
src, vip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(3)
lport = s.getsockname()[1]
s.sendto(("OPTIONS sip:%s:%d SIP/2.0\r\n"
          "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKsecond1\r\n"
          "Max-Forwards: 70\r\nFrom: <sip:probe@%s>;tag=p1\r\n"
          "To: <sip:%s:%d>\r\nCall-ID: second-source-1\r\n"
          "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
          % (vip, port, src, lport, src, vip, port)).encode(), (vip, port))
data, _ = s.recvfrom(65535)
print(data.split(b"\r\n")[0].decode())
PY
then
	pass "another source is answered ($(cat "$LIB_WORK/second.out")): budgets are per source"
else
	fail "another source was not answered: $(cat "$LIB_WORK/second.out")"
fi

# 4. The flooding address registers: now a runaway phone.
read -r RRATE RBURST < <(awk '$1 == "registered-budget" { print $2, $3 }' \
	"$ROOT/etc/siplb.conf")
printf 'SEQUENTIAL\n%s;%s;3600\n' "$(sed -n 1p "$LIB_WORK/users.list")" \
	"$DOMAIN" >"$LIB_WORK/reg.csv"
phones_register 5072 "$LIB_WORK/reg.csv" ||
	die "the phone did not register: $(tail -n 5 "$LIB_WORK/register-5072.out")"
stats_json
rdrops0=$(stats_get drop_budget_registered)
capture_start
flood
sleep 1
capture_stop
stats_json
rdrops=$(($(stats_get drop_budget_registered) - rdrops0))
answers=$(answers)
secs=$(python3 -c "print('%.2f' % ($t1 - $t0))")
allowed=$(python3 -c "import math; print($RBURST + math.ceil($RRATE * ($t1 - $t0 + 2)))")
log "registered source: $sent OPTIONS in ${secs}s: $answers answered," \
	"$rdrops dropped (registered-budget $RRATE/s burst $RBURST: at most $allowed)"
if [ "$answers" -le "$allowed" ] && [ "$answers" -ge "$RBURST" ] &&
	[ "$rdrops" -ge $((sent - allowed)) ]; then
	pass "runaway registered phone: $answers of $sent answered, drop_budget_registered +$rdrops"
else
	fail "registered flood: $answers answered (expected $RBURST..$allowed), drop_budget_registered +$rdrops"
fi
