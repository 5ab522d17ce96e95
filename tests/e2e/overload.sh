#!/bin/bash
# overload.sh - a siplb-worker near its transaction table limit says so
# (SIPLB_WORKER_OVERLOADED in siplb_workers) and siplbd sends it no new
# calls until it recovers (user/siplb-worker/overload.h, siplbd's
# passive.c).
#
# The testbed with 2 backends running siplb-worker; worker 1 has a table of
# TXNS transactions (-t), worker 2 the default. A sipp callee registers
# USERS users; a sipp caller calls them through the VIP at RATE calls/s
# for LOAD_S seconds. Every completed transaction lingers 32 s (Timers J,
# K), so worker 1's table passes 80 % within seconds. Checks:
#   - backend 1 becomes "overloaded" in siplbctl, siplbd and the worker
#     log why; siplbd's passive.overloaded counts it;
#   - while it is overloaded no new call (first INVITE) reaches worker 1
#     (tcpdump in its namespace), and new calls still complete (worker 2);
#   - no call fails at the caller: established calls kept their worker
#     (affinity) and ended there;
#   - after the load, once its table drains below 60 %, it is "up" again
#     (passive.overload_cleared).
# About 60 s. SIPLB_KEEP_LOGS=1 keeps the work directory. Run as root.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

WORKER=${SIPLB_WORKER:-$ROOT/build/siplb-worker}
BACKENDS=2
TXNS=40
USERS=20
RATE=4
LOAD_S=20		# s of calls: the overload (about 8 s in) must leave load to divert
HOLD_MS=1000
REALM=siplb.test
DOMAIN=siplb.test
CALLER_PORT=5071
CALLEE_PORT=5072
RECOVER_WAIT=60         # s: 32 s of Timer J/K, and room
REG_XML=$ROOT/tests/e2e/sipp/register_auth.xml
UAC_XML=$ROOT/tests/e2e/sipp/uac_call.xml
UAS_XML=$ROOT/tests/e2e/sipp/uas_answer.xml

LIB_FAMILY=4
lib_init overload
[ -x "$WORKER" ] || die "$WORKER not found: run 'make' first"
W=$LIB_WORK
SOCK=$W/siplbd.sock

now() { date +%s.%N; }

tb_up "$BACKENDS"
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP"
users_make "$W/users.htdigest" "$W/users.list" "$REALM" "$USERS" phone
{
	siplbd_conf "$REALM" "users.htdigest"
	cat <<EOC
auth {
	algorithms MD5 SHA-256	# sipp 3.6 answers the first challenge, MD5
}
health {
	interval 2
	timeout 1
	down-after 2
	up-after 1
}
EOC
} >"$W/siplb.conf"
siplbd_start "$W/siplb.conf" || die "siplbd did not start"

stat_of() {
	lb_ctl -S "$SOCK" -j stats | python3 -c '
import json, sys
v = json.load(sys.stdin)["daemon"]
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}
be_state() {
	lb_ctl backends | awk -v a="$(ep "$(nth "$1" "$BACKEND_IPS")" "$TB_SIP_PORT")" \
		'$3 == a { print $4 }'
}
wait_state() {
	for _ in $(seq 1 $(($3 * 10))); do
		[ "$(be_state "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# The Record-Route key every worker shares (-k, needed with -r).
lib_key_file "$W/rr.key"
for i in $(seq 1 "$BACKENDS"); do
	ns=$(nth "$i" "$TB_NS_BACKENDS")
	limit=""
	[ "$i" = 1 ] && limit="-t $TXNS"
	# shellcheck disable=SC2086
	lib_bg pid nsenter --net="/run/netns/$ns" "$WORKER" $limit \
		-l "$(ep "$(nth "$i" "$BACKEND_IPS")" "$TB_SIP_PORT")" \
		-P "$TB_PINDIR" -d "$DOMAIN" -r "$VIP_EP" -k "$W/rr.key" \
		-u "$W/users.htdigest" -R "$REALM" -T "$CLIENT_IP" \
		2>>"$W/worker$i.log" </dev/null
	wait_udp_port "$ns" "$TB_SIP_PORT"
	lib_bg pid ip netns exec "$ns" tcpdump -i "$TB_BACKEND_DEV" -Q in -nn \
		-U --immediate-mode -Z root -w "$W/be$i.pcap" \
		udp dst port "$TB_SIP_PORT" 2>"$W/tcpdump$i.err"
	CAP_PIDS="${CAP_PIDS:-} $pid"
done
for i in $(seq 1 "$BACKENDS"); do
	wait_state "$i" up 10 || die "worker $i not up: $(cat "$W/worker$i.log")"
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$W/tcpdump$i.err" && break
		sleep 0.1
	done
done

{
	echo SEQUENTIAL
	sed "s/\$/;$DOMAIN;3600/" "$W/users.list"
} >"$W/callee.csv"
ip netns exec "$TB_NS_CLIENT" timeout -s INT 60 \
	sipp "$VIP_EP" -sf "$REG_XML" -inf "$W/callee.csv" \
	-i "$CLIENT_IP" -p "$CALLEE_PORT" -m "$USERS" -r 50 -nostdin \
	-recv_timeout 10s >"$W/register.out" 2>&1 ||
	die "registering $USERS users failed: $(tail -n 20 "$W/register.out")"

lib_bg UAS ip netns exec "$TB_NS_CLIENT" sipp -sf "$UAS_XML" \
	-i "$CLIENT_IP" -p "$CALLEE_PORT" -d 200 -nostdin -aa \
	-buff_size 4194304 >"$W/uas.out" 2>&1
wait_udp_port "$TB_NS_CLIENT" "$CALLEE_PORT"
{
	echo SEQUENTIAL
	cut -d';' -f1 "$W/users.list" | sed "s/^/$DOMAIN;/"
} >"$W/caller.csv"
T_LOAD=$(now)
lib_bg UAC ip netns exec "$TB_NS_CLIENT" sipp "$VIP_EP" -sf "$UAC_XML" \
	-inf "$W/caller.csv" -i "$CLIENT_IP" -p "$CALLER_PORT" -r "$RATE" \
	-d "$HOLD_MS" -m $((RATE * LOAD_S)) -nostdin -buff_size 4194304 \
	-recv_timeout 12s -trace_stat -stf "$W/uac.csv" -fd 1 \
	-trace_err -error_file "$W/uac.err" >"$W/uac.out" 2>&1

if wait_state 1 overloaded $((LOAD_S + 5)); then
	T_OVER=$(now)
	pass "backend 1 (a table of $TXNS) is overloaded" \
		"$(awk -v a="$T_LOAD" -v b="$T_OVER" 'BEGIN { printf "%.1f", b - a }')s" \
		"into the load (passive.overloaded $(stat_of passive.overloaded))"
else
	T_OVER=$(now)
	fail "backend 1 is '$(be_state 1)' after $((LOAD_S + 5))s of load" \
		"(expected overloaded)"
fi
if grep -q "overloaded: .* transactions" "$W/worker1.log" &&
	grep -q "is overloaded (its worker says so" "$SIPLBD_LOG"; then
	pass "the worker and siplbd log why"
else
	fail "no overload log line (worker: $(grep -c overloaded "$W/worker1.log"), siplbd: $(grep -c overloaded "$SIPLBD_LOG"))"
fi

lib_stop "$UAC" NONE 60 || true
if wait_state 1 up "$RECOVER_WAIT"; then
	T_UP=$(now)
	pass "backend 1 up again once its table drained" \
		"(passive.overload_cleared $(stat_of passive.overload_cleared))"
else
	T_UP=$(now)
	fail "backend 1 is '$(be_state 1)' ${RECOVER_WAIT}s after the load"
fi
grep -q "no longer overloaded" "$W/worker1.log" ||
	fail "the worker did not log its recovery"

read -r created ok failed <<<"$(sipp_counts "$W/uac.csv")"
if [ "$failed" = 0 ] && [ "$ok" = "$created" ] && [ "$ok" -gt 0 ]; then
	pass "caller: $ok of $created calls completed, none failed"
else
	fail "caller: $created calls, $ok completed, $failed failed"
fi
for pid in $CAP_PIDS; do
	lib_stop "$pid" TERM 5 || true
done
# Allow the 0.2 s siplbd needs to see the worker's word and rebuild.
new1=$(python3 "$ROOT/tests/e2e/passive/count.py" calls "$W/be1.pcap" \
	"$(awk -v a="$T_OVER" 'BEGIN { printf "%.3f", a + 0.3 }')" "$T_UP")
new2=$(python3 "$ROOT/tests/e2e/passive/count.py" calls "$W/be2.pcap" "$T_OVER" "$T_UP")
if [ "$new1" = 0 ] && [ "$new2" -gt 0 ]; then
	pass "while overloaded: no new call reached worker 1, $new2 went to worker 2"
else
	fail "while overloaded: $new1 new calls reached worker 1 (expected 0)," \
		"$new2 worker 2 (expected > 0)"
fi
[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
