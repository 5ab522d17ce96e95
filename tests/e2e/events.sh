#!/bin/bash
# events.sh - SUBSCRIBE and PUBLISH to one's own AOR do not loop.
#
# baresip's mwi and presence modules subscribe to the phone's own AOR, and
# linphone publishes its own presence; before siplb-worker had an events
# policy (user/siplb-worker/events.c) each such request was routed to the
# phone's own binding: 78,726 SUBSCRIBEs in 75 s from one baresip. Here a
# sipp phone does the same (tests/e2e/events/own_aor.xml) on the namespace
# testbed (2 backends, a siplb-worker on each, no event server):
#   1. phone 1 registers twice, from ports 5072 and 5073 (two bindings,
#      as linphone has);
#   2. from 5072, every 2 s for SECS seconds: SUBSCRIBE message-summary,
#      SUBSCRIBE presence, PUBLISH presence, all to its own AOR; each must
#      be answered 489 Bad Event (sipp fails on anything else, and on any
#      request it receives);
#   3. the workers saw exactly those requests (requests.OTHER), refused
#      each as an event with no server (events_refused), forwarded none;
#      a capture at the client shows no SUBSCRIBE or PUBLISH ever reached
#      either binding;
#   4. the workers restart with an event server for message-summary
#      (-e message-summary=CLIENT_IP:5090, tests/e2e/events/mwi_server.py):
#      the phone's SUBSCRIBE reaches the server and its 200 the phone, the
#      server's NOTIFY comes back through the VIP in the dialog and reaches
#      the phone (tests/e2e/events/mwi_server.xml), and the presence
#      SUBSCRIBE, with no server for its package, still gets 489.
# Knob: SIPLB_EVENTS_SECS (30).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
SECS=${SIPLB_EVENTS_SECS:-30}
ROUNDS=$((SECS / 2))
REALM=siplb.test
DOMAIN=siplb.test

LIB_FAMILY=4
lib_init events
tb_up 2
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP, workers $BACKEND_IPS"

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2 phone
phones_conf "$LIB_WORK/siplb.conf" "$REALM" users.htdigest
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"

# 1. Two bindings of phone 1.
user=$(sed -n 1p "$LIB_WORK/users.list" | cut -d';' -f1)
for port in 5072 5073; do
	printf 'SEQUENTIAL\n%s;%s;3600\n' "$(sed -n 1p "$LIB_WORK/users.list")" \
		"$DOMAIN" >"$LIB_WORK/reg-$port.csv"
	phones_register "$port" "$LIB_WORK/reg-$port.csv" ||
		die "phone 1 did not register from $port: $(tail -n 5 "$LIB_WORK/register-$port.out")"
done
pass "$user registered from ports 5072 and 5073"

# 2. The baresip/linphone pattern, every 2 s.
printf 'SEQUENTIAL\n%s;%s\n' "$user" "$DOMAIN" >"$LIB_WORK/own.csv"
other0=$(workers_counter requests.OTHER)
refused0=$(workers_counter events_refused)
fwd0=$(workers_counter forwarded)
loops0=$(workers_counter loops_refused)
capture_start
if ip netns exec "$TB_NS_CLIENT" timeout -s INT $((SECS + 60)) \
	sipp "$VIP_EP" -sf "$ROOT/tests/e2e/events/own_aor.xml" \
	-inf "$LIB_WORK/own.csv" -i "$CLIENT_IP" -p 5072 -m "$ROUNDS" \
	-r 1 -rp 2000 -nostdin -recv_timeout 10s \
	-trace_err -error_file "$LIB_WORK/own.err" \
	>"$LIB_WORK/own.out" 2>&1; then
	pass "$ROUNDS rounds in ${SECS}s: SUBSCRIBE message-summary, SUBSCRIBE presence, PUBLISH presence each answered 489"
else
	fail "sipp: not every request answered 489: $(tail -n 5 "$LIB_WORK/own.err" 2>/dev/null)"
fi
sleep 2	# the last datagrams; workers publish counters once a second
capture_stop

# 3. Counts.
sent=$((3 * ROUNDS))
other=$(($(workers_counter requests.OTHER) - other0))
refused=$(($(workers_counter events_refused) - refused0))
fwd=$(($(workers_counter forwarded) - fwd0))
loops=$(($(workers_counter loops_refused) - loops0))
at_phone=$(tcpdump -nn -A -r "$LIB_WORK/client.pcap" 2>/dev/null |
	grep -cE '(SUBSCRIBE|PUBLISH) sip:' || true)
log "sent $sent; workers: requests.OTHER +$other, events_refused +$refused," \
	"forwarded +$fwd, loops_refused +$loops; SUBSCRIBE/PUBLISH at the phone: $at_phone"
if [ "$other" -ge "$sent" ] && [ "$other" -le $((sent + sent / 10 + 2)) ]; then
	pass "the workers saw $other SUBSCRIBE/PUBLISH for $sent sent: no amplification"
else
	fail "the workers saw $other SUBSCRIBE/PUBLISH for $sent sent"
fi
if [ "$refused" -eq "$other" ] && [ "$fwd" -eq 0 ]; then
	pass "each answered 489 at the worker (events_refused +$refused), none forwarded"
else
	fail "events_refused +$refused, forwarded +$fwd (expected +$other, +0)"
fi
if [ "$at_phone" -eq 0 ]; then
	pass "no SUBSCRIBE or PUBLISH came back to the phone's bindings"
else
	fail "$at_phone SUBSCRIBE/PUBLISH reached the phone: a loop"
fi

# 4. With an event server for message-summary.
MWI_PORT=5090
MWI_ROUNDS=3
workers_stop
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest" \
	-e "message-summary=$(ep "$CLIENT_IP" "$MWI_PORT")"
lib_bg mwi_pid ip netns exec "$TB_NS_CLIENT" timeout -s INT 60 python3 -u \
	"$ROOT/tests/e2e/events/mwi_server.py" "$CLIENT_IP" "$MWI_PORT" \
	"$MWI_ROUNDS" >"$LIB_WORK/mwi_server.out" 2>&1
wait_udp_port "$TB_NS_CLIENT" "$MWI_PORT"
to_server0=$(workers_counter events_to_server)
if ip netns exec "$TB_NS_CLIENT" timeout -s INT 60 \
	sipp "$VIP_EP" -sf "$ROOT/tests/e2e/events/mwi_server.xml" \
	-inf "$LIB_WORK/own.csv" -i "$CLIENT_IP" -p 5072 -m "$MWI_ROUNDS" \
	-r 1 -nostdin -recv_timeout 10s \
	-trace_err -error_file "$LIB_WORK/mwi.err" \
	>"$LIB_WORK/mwi.out" 2>&1; then
	pass "$MWI_ROUNDS MWI subscriptions: 200 from the event server, its NOTIFY delivered, presence still 489"
else
	fail "MWI through the event server failed: $(tail -n 5 "$LIB_WORK/mwi.err" 2>/dev/null)"
fi
mwi_rc=0
wait "$mwi_pid" || mwi_rc=$?
lib_forget "$mwi_pid"
sleep 2	# workers publish their counters once a second
to_server=$(($(workers_counter events_to_server) - to_server0))
if [ "$mwi_rc" -eq 0 ] && grep -q "^served $MWI_ROUNDS$" "$LIB_WORK/mwi_server.out" &&
	[ "$to_server" -eq "$MWI_ROUNDS" ]; then
	pass "the event server served $MWI_ROUNDS subscriptions (events_to_server +$to_server)"
else
	fail "event server: exit $mwi_rc, events_to_server +$to_server: $(tail -n 3 "$LIB_WORK/mwi_server.out")"
fi
