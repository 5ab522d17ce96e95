#!/bin/bash
# worker.sh - end-to-end test of siplb-worker: one call through the VIP.
#
# On the namespace testbed (scripts/testbed.sh, 2 backends) siplbd attaches
# the XDP program and is the registrar; one siplb-worker runs in each
# backend namespace on the backend's address (nsenter --net, so that
# /sys/fs/bpf and the pinned siplb_location stay visible), Record-Routing
# through the VIP.
#   1. The callee (sipp, CLIENT_IP:CALLEE_PORT) registers with digest
#      authentication (tests/e2e/sipp/register_auth.xml): 200.
#   2. The callee answers with tests/e2e/worker/uas_answer.xml; the caller
#      (CLIENT_IP:CALLER_PORT) calls it through the VIP with
#      tests/e2e/worker/uac_call.xml: INVITE -> 100 -> 180 -> 200 -> ACK
#      -> BYE -> 200, ACK and BYE routed by the Record-Route (the VIP).
#   3. Both sipp instances succeed; exactly one worker handled the call
#      (INVITE, ACK and BYE counted there, nothing at the other one).
# Everything started is stopped by PID; the testbed and the work directory
# are removed (SIPLB_KEEP_LOGS=1 keeps the logs).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
WORKER=${SIPLB_WORKER:-$ROOT/build/siplb-worker}
BACKENDS=2
REALM=siplb.test
DOMAIN=siplb.test
CALLER_PORT=5071
CALLEE_PORT=5072
REG_XML=$ROOT/tests/e2e/sipp/register_auth.xml
UAC_XML=$ROOT/tests/e2e/worker/uac_call.xml
UAS_XML=$ROOT/tests/e2e/worker/uas_answer.xml

LIB_FAMILY=4
lib_init worker
[ -x "$WORKER" ] || die "$WORKER not found: run 'make' first"

tb_up "$BACKENDS"
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP"

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2 phone
CALLEE=$(sed -n 2p "$LIB_WORK/users.list" | cut -d';' -f1)
CALLEE_PW=$(sed -n 2p "$LIB_WORK/users.list" | cut -d';' -f2)

CONF=$LIB_WORK/siplb.conf
{
	echo "pin-dir $TB_PINDIR"
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		echo "interface $dev"
	done
	echo "control-socket $LIB_WORK/siplbd.sock"
	echo "realm $REALM"
	echo "users users.htdigest"
	echo "vip $VIP_EP {"
	for ip in $BACKEND_IPS; do
		printf '\tbackend %s\n' "$(ep "$ip" "$TB_SIP_PORT")"
	done
	echo "}"
	cat <<EOC
auth {
	# sipp 3.6 reads only the first challenge and knows only MD5.
	algorithms MD5 SHA-256
}
health {
	interval 2
	timeout 1
	down-after 3
	up-after 1
}
EOC
} >"$CONF"
siplbd_start "$CONF" || die "siplbd did not start"

# One worker per backend namespace, on the backend's address.
i=0
WORKER_PIDS=""
for ns in $TB_NS_BACKENDS; do
	i=$((i + 1))
	ip=$(nth "$i" "$BACKEND_IPS")
	lib_bg pid nsenter --net="/run/netns/$ns" "$WORKER" \
		-l "$(ep "$ip" "$TB_SIP_PORT")" -P "$TB_PINDIR" -d "$DOMAIN" \
		-r "$VIP_EP" -v 2>"$LIB_WORK/worker$i.log" </dev/null
	WORKER_PIDS="$WORKER_PIDS $pid"
done
sleep 3	# health checks see the workers answer OPTIONS
for pid in $WORKER_PIDS; do
	kill -0 "$pid" 2>/dev/null || die "a worker exited: $(cat "$LIB_WORK"/worker*.log)"
done

# 1. The callee registers.
printf 'SEQUENTIAL\n%s;%s;%s;3600\n' "$CALLEE" "$CALLEE_PW" "$DOMAIN" \
	>"$LIB_WORK/callee.csv"
if ip netns exec "$TB_NS_CLIENT" timeout -s INT 30 \
	sipp "$VIP_EP" -sf "$REG_XML" -inf "$LIB_WORK/callee.csv" \
	-i "$CLIENT_IP" -p "$CALLEE_PORT" -m 1 -nostdin \
	-recv_timeout 10s >"$LIB_WORK/register.out" 2>&1; then
	pass "callee $CALLEE registered"
else
	fail "callee registration failed"
	tail -n 20 "$LIB_WORK/register.out" >&2
fi
location_dump | sed "s/^/$LIB_NAME:   binding: /"

# 2. The call.
uas=""	# set by lib_bg
lib_bg uas ip netns exec "$TB_NS_CLIENT" timeout -s INT 40 \
	sipp -sf "$UAS_XML" -i "$CLIENT_IP" -p "$CALLEE_PORT" -m 1 -nostdin \
	-trace_msg -message_file "$LIB_WORK/uas.msg" \
	>"$LIB_WORK/uas.out" 2>&1
sleep 1
printf 'SEQUENTIAL\n%s;\n' "$DOMAIN" >"$LIB_WORK/caller.csv"
if ip netns exec "$TB_NS_CLIENT" timeout -s INT 40 \
	sipp "$VIP_EP" -sf "$UAC_XML" -s "$CALLEE" -inf "$LIB_WORK/caller.csv" \
	-i "$CLIENT_IP" -p "$CALLER_PORT" -m 1 -nostdin -recv_timeout 15s \
	-trace_msg -message_file "$LIB_WORK/uac.msg" \
	>"$LIB_WORK/uac.out" 2>&1; then
	pass "caller: INVITE -> 100 -> 180 -> 200 -> ACK -> BYE -> 200 completed"
else
	fail "the call failed (caller's sipp)"
	tail -n 40 "$LIB_WORK/uac.msg" >&2 || true
fi
if lib_stop "$uas" NONE 20; then
	pass "callee: INVITE, ACK and BYE received, BYE answered"
else
	fail "the callee's sipp failed"
	tail -n 40 "$LIB_WORK/uas.msg" >&2 || true
fi

# 3. One worker had the whole call.
for pid in $WORKER_PIDS; do
	kill -USR1 "$pid"
done
sleep 0.5
busy=0
i=0
for pid in $WORKER_PIDS; do
	i=$((i + 1))
	log "worker $i: $(grep -E 'requests (INVITE|ACK|BYE) ' "$LIB_WORK/worker$i.log" | tail -n 3 | tr -s ' ' | tr '\n' ' ')"
	inv=$(grep -E 'requests INVITE ' "$LIB_WORK/worker$i.log" | tail -n 1 | awk '{ print $3 }')
	ack=$(grep -E 'requests ACK ' "$LIB_WORK/worker$i.log" | tail -n 1 | awk '{ print $3 }')
	bye=$(grep -E 'requests BYE ' "$LIB_WORK/worker$i.log" | tail -n 1 | awk '{ print $3 }')
	if [ "${inv:-0}" = 1 ] && [ "${ack:-0}" = 1 ] && [ "${bye:-0}" = 1 ]; then
		busy=$((busy + 1))
	elif [ "${inv:-0}${ack:-0}${bye:-0}" != 000 ]; then
		fail "worker $i saw part of the call: INVITE $inv ACK $ack BYE $bye"
	fi
done
if [ "$busy" = 1 ]; then
	pass "one worker handled INVITE, ACK and BYE of the call"
else
	fail "$busy workers handled the whole call (expected 1)"
fi

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
