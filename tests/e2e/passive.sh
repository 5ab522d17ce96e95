#!/bin/bash
# passive.sh - passive failure detection (user/siplbd/passive.c) and the
# probe reply codes (health.c), on the namespace testbed with 3 backends.
#
# 1. Faults under load, with passive detection on and then off (the same
#    run, siplbd reloaded between). sipp UAS (-aa: it answers the OPTIONS
#    probes) on every backend, a sipp UAC calling the VIP at RATE calls/s.
#    For each fault in FAULTS (default: stop) one backend fails:
#      stop  its sipp is frozen (SIGSTOP), later SIGCONT;
#      kill  its sipp is killed (kill -9), later started again;
#      link  its link is cut (the balancer-side veth down), later up.
#    Measured: seconds from the fault to "unhealthy" in siplbctl, the
#    requests XDP steered to it meanwhile (siplb_passive, ACK aside) and,
#    for stop and kill, the new calls (first INVITEs) its namespace
#    received meanwhile. Checks: with passive on it is marked down within
#    ON_LIMIT s and sooner than with it off; passive.marked_silent counts
#    it; few new calls reached it; after the fault ends the probes bring
#    it back ("up").
# 2. A backend that answers OPTIONS 200 but every call 503 (a Python
#    responder, tests/e2e/passive/responder.py) under the same load: marked
#    down by the 500/503 share (passive.marked_errors).
# 3. A backend that answers the probes 503: never healthy
#    (health.refused_codes); one that answers 503 with Retry-After: marked
#    unhealthy at once and not probed again meanwhile (health.backed_off).
#
#   SIPLB_PASSIVE_FAULTS="stop kill link"   the faults of part 1 (figures
#                                           for docs/SECURITY.md)
#   SIPLB_KEEP_LOGS=1                       keep the work directory
# About 60 s with the default fault. Run as root.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

BACKENDS=3
RATE=30                 # calls/s
HOLD_MS=1000
REALM=siplb.test
# Probes: as tests/e2e/faults.sh (the quickest siplbd allows).
HC_INTERVAL=2 HC_TIMEOUT=1 HC_DOWN=2 HC_UP=1
SILENCE_MS=700 MIN_REQ=5 SHARE=50 WINDOW_MS=1000
ON_LIMIT=2.5            # s: passive detection, with room for a busy host
MARK_WAIT=15            # s: any state change, at most
CALLS_LIMIT=40          # new calls steered to a failed backend, at most
FAULTS=${SIPLB_PASSIVE_FAULTS:-stop}
HERE=$ROOT/tests/e2e/passive

LIB_FAMILY=4
lib_init passive
W=$LIB_WORK
SOCK=$W/siplbd.sock

now() { date +%s.%N; }
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

tb_up "$BACKENDS"
log "testbed $TB_PREFIX up: VIP $VIP_EP, backends $BACKEND_IPS; faults: $FAULTS"
users_make "$W/users.htdigest" "$W/users.list" "$REALM" 1 phone

# conf_write PASSIVE: the configuration, passive on or off.
conf_write() {
	{
		siplbd_conf "$REALM" "$W/users.htdigest"
		cat <<EOC
health {
	interval $HC_INTERVAL
	timeout $HC_TIMEOUT
	down-after $HC_DOWN
	up-after $HC_UP
	passive $1
	passive-silence $SILENCE_MS
	passive-min-requests $MIN_REQ
	passive-error-share $SHARE
	passive-window $WINDOW_MS
}
EOC
	} >"$W/siplb.conf"
}

# stat_of PATH: a figure of siplbd's `siplbctl -j stats` (daemon.PATH).
stat_of() {
	lb_ctl -S "$SOCK" -j stats | python3 -c '
import json, sys
v = json.load(sys.stdin)["daemon"]
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

be_ip() { nth "$1" "$BACKEND_IPS"; }
be_state() {
	lb_ctl backends | awk -v a="$(ep "$(be_ip "$1")" "$TB_SIP_PORT")" \
		'$3 == a { print $4 }'
}

# wait_state I STATE [SECONDS]: until backend I shows STATE; sets WAIT_T.
wait_state() {
	local i=$1 want=$2
	for _ in $(seq 1 $((${3:-$MARK_WAIT} * 20))); do
		if [ "$(be_state "$i")" = "$want" ]; then
			WAIT_T=$(now)
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# uas_run I: sipp UAS on backend I (-aa answers the probes); UAS_PID_I.
uas_run() {
	local i=$1 ns pid
	ns=$(nth "$i" "$TB_NS_BACKENDS")
	lib_bg pid ip netns exec "$ns" sipp -sn uas -aa \
		-default_behaviors all,-bye -i "$(be_ip "$i")" \
		-p "$TB_SIP_PORT" -nostdin -buff_size 4194304 \
		-trace_err -error_file "$W/uas$i.err" >>"$W/uas$i.out" 2>&1
	printf -v "UAS_PID_$i" '%s' "$pid"
	wait_udp_port "$ns" "$TB_SIP_PORT"
}

# responder_run I MODE: the Python responder on backend I; RESP_PID.
responder_run() {
	local i=$1
	rm -f "$W/resp.ready"
	lib_bg RESP_PID ip netns exec "$(nth "$i" "$TB_NS_BACKENDS")" \
		python3 "$HERE/responder.py" "$(be_ip "$i")" "$TB_SIP_PORT" \
		"$2" "$W/resp.ready" 2>"$W/resp.err"
	for _ in $(seq 1 50); do
		[ -e "$W/resp.ready" ] && return 0
		sleep 0.1
	done
	die "responder on backend $i did not start: $(cat "$W/resp.err")"
}

capture_run() {
	local i=$1 pid
	lib_bg pid ip netns exec "$(nth "$i" "$TB_NS_BACKENDS")" tcpdump \
		-i "$TB_BACKEND_DEV" -Q in -nn -U --immediate-mode -Z root \
		-w "$W/be$i.pcap" "udp dst port $TB_SIP_PORT" 2>"$W/tcpdump$i.err"
	CAP_PIDS="$CAP_PIDS $pid"
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$W/tcpdump$i.err" && return 0
		sleep 0.1
	done
	die "tcpdump $i did not start: $(cat "$W/tcpdump$i.err")"
}

xdp_requests() { python3 "$HERE/count.py" requests "$TB_PINDIR" "$(be_ip "$1")"; }

conf_write on
siplbd_start "$W/siplb.conf" || die "siplbd did not start"
CAP_PIDS=""
for i in $(seq 1 "$BACKENDS"); do
	uas_run "$i"
	capture_run "$i"
done
for i in $(seq 1 "$BACKENDS"); do
	wait_state "$i" up || die "backend $i not up: $(be_state "$i")"
done

# The load: calls to the VIP until stopped (-m bounds it).
lib_bg UAC ip netns exec "$TB_NS_CLIENT" sipp -sn uac "$VIP_EP" \
	-i "$CLIENT_IP" -p 5070 -r "$RATE" -d "$HOLD_MS" -m $((RATE * 600)) \
	-nostdin -buff_size 4194304 -recv_timeout 12s \
	-trace_err -error_file "$W/uac.err" >"$W/uac.out" 2>&1
sleep 3

# fault_start KIND I / fault_end KIND I
fault_start() {
	local pid_var=UAS_PID_$2
	case $1 in
	stop) kill -STOP "${!pid_var}" ;;
	kill) lib_stop "${!pid_var}" KILL 2 || true ;;
	link) ip -n "$TB_NS_LB" link set dev "$(nth "$2" "$TB_LB_BACKEND_DEVS")" down ;;
	esac
}
fault_end() {
	local pid_var=UAS_PID_$2 dev
	case $1 in
	stop) kill -CONT "${!pid_var}" ;;
	kill) uas_run "$2" ;;
	link)
		dev=$(nth "$2" "$TB_LB_BACKEND_DEVS")
		ip -n "$TB_NS_LB" link set dev "$dev" up
		wait_links_up "$TB_NS_LB" "$dev"
		;;
	esac
}

# 1. Faults, passive on and off.
FIG=$W/figures
victim=0
for mode in on off; do
	if [ "$mode" = off ]; then
		conf_write off
		kill -HUP "$SIPLBD_PID"
		sleep 1
	fi
	for fault in $FAULTS; do
		victim=$((victim % BACKENDS + 1))
		silent0=$(stat_of passive.marked_silent)
		up0=$(stat_of health.marked_up)
		r0=$(xdp_requests "$victim")
		t0=$(now)
		fault_start "$fault" "$victim"
		if wait_state "$victim" unhealthy; then
			t1=$WAIT_T
		else
			t1=$(now)
			fail "passive $mode, $fault: backend $victim is" \
				"'$(be_state "$victim")' ${MARK_WAIT}s after the fault"
		fi
		r1=$(xdp_requests "$victim")
		secs=$(secs_between "$t0" "$t1")
		sleep 1
		calls=-
		if [ "$fault" != link ]; then
			calls=$(python3 "$HERE/count.py" calls "$W/be$victim.pcap" "$t0" "$t1")
		fi
		echo "$mode $fault $secs $((r1 - r0)) $calls" >>"$FIG"
		log "passive $mode, $fault backend $victim: unhealthy after ${secs}s;" \
			"$((r1 - r0)) requests, $calls new calls steered to it meanwhile"
		if [ "$mode" = on ]; then
			silent=$(($(stat_of passive.marked_silent) - silent0))
			if lt "$secs" "$ON_LIMIT" && [ "$silent" -ge 1 ]; then
				pass "passive on, $fault: marked down by traffic in ${secs}s" \
					"(limit ${ON_LIMIT}s; passive.marked_silent +$silent)"
			else
				fail "passive on, $fault: unhealthy after ${secs}s," \
					"passive.marked_silent +$silent (expected < ${ON_LIMIT}s, >= 1)"
			fi
			if [ "$calls" = - ] || [ "$calls" -le "$CALLS_LIMIT" ]; then
				pass "passive on, $fault: $calls new calls steered to it before" \
					"it was marked (limit $CALLS_LIMIT)"
			else
				fail "passive on, $fault: $calls new calls steered to it" \
					"(limit $CALLS_LIMIT)"
			fi
		fi
		fault_end "$fault" "$victim"
		if wait_state "$victim" up; then
			pass "passive $mode, $fault: backend $victim up again through" \
				"the probes ($(secs_between "$t1" "$WAIT_T")s after the mark;" \
				"health.marked_up +$(($(stat_of health.marked_up) - up0)))"
		else
			fail "passive $mode, $fault: backend $victim is" \
				"'$(be_state "$victim")' after the fault ended (expected up)"
		fi
		sleep 2
	done
done
for fault in $FAULTS; do
	read -r _ _ s_on r_on c_on <<<"$(awk -v f="$fault" '$1 == "on" && $2 == f' "$FIG")"
	read -r _ _ s_off r_off c_off <<<"$(awk -v f="$fault" '$1 == "off" && $2 == f' "$FIG")"
	log "figure $fault: passive on ${s_on}s ($r_on requests, $c_on calls)," \
		"off ${s_off}s ($r_off requests, $c_off calls)"
	if lt "$s_on" "$s_off"; then
		pass "$fault: passive detection (${s_on}s) before the probes (${s_off}s)"
	else
		fail "$fault: passive detection took ${s_on}s, the probes ${s_off}s"
	fi
done

# 2. Calls answered 503, probes 200: out by the 500/503 share.
conf_write on
kill -HUP "$SIPLBD_PID"
sleep 1
V=$BACKENDS
lib_stop "$(eval echo "\$UAS_PID_$V")" KILL 2 || true
responder_run "$V" calls-503
wait_state "$V" up || fail "the 503 responder never came up (its probes answer 200)"
errors0=$(stat_of passive.marked_errors)
if wait_state "$V" unhealthy; then
	pass "a backend answering every call 503 is marked down" \
		"(passive.marked_errors +$(($(stat_of passive.marked_errors) - errors0)))"
else
	fail "a backend answering every call 503 is '$(be_state "$V")'"
fi
if grep -q "500/503 answers reached" "$SIPLBD_LOG"; then
	pass "siplbd says why: $(grep -m1 '500/503 answers reached' "$SIPLBD_LOG" | sed 's/^.*backend/backend/')"
else
	fail "no log line for the 500/503 share"
fi
lib_stop "$RESP_PID" TERM 2 || true

# 3. Probes answered 503: never healthy.
kill -USR1 "$UAC" 2>/dev/null || true
refused0=$(stat_of health.refused_codes)
responder_run "$V" all-503
lb_ctl -S "$SOCK" backend up "$VIP_EP" "$(ep "$(be_ip "$V")" "$TB_SIP_PORT")" >/dev/null 2>&1 || true
sleep $((HC_INTERVAL * 3))
refused=$(($(stat_of health.refused_codes) - refused0))
st=$(be_state "$V")
if [ "$st" = unhealthy ] && [ "$refused" -ge 2 ]; then
	pass "probes answered 503: backend stays unhealthy ($refused answers refused)"
else
	fail "probes answered 503: backend is '$st', $refused answers refused" \
		"(expected unhealthy, >= 2)"
fi
lib_stop "$RESP_PID" TERM 2 || true

backed0=$(stat_of health.backed_off)
responder_run "$V" retry-after
lb_ctl -S "$SOCK" backend up "$VIP_EP" "$(ep "$(be_ip "$V")" "$TB_SIP_PORT")" >/dev/null 2>&1 || true
sleep $((HC_INTERVAL * 3))
backed=$(($(stat_of health.backed_off) - backed0))
st=$(be_state "$V")
if [ "$st" = unhealthy ] && [ "$backed" -eq 1 ] &&
	grep -q "answered 503 with Retry-After 30" "$SIPLBD_LOG"; then
	pass "503 + Retry-After 30: unhealthy, one back-off, no probe since"
else
	fail "503 + Retry-After: backend '$st', $backed back-offs in" \
		"$((HC_INTERVAL * 3))s (expected unhealthy, exactly 1)"
fi
lib_stop "$RESP_PID" TERM 2 || true

lib_stop "$UAC" KILL 15 || true
for pid in $CAP_PIDS; do
	lib_stop "$pid" TERM 5 || true
done
if [ -n "${SIPLB_PASSIVE_FIGURES:-}" ]; then
	cp "$FIG" "$SIPLB_PASSIVE_FIGURES"
fi
log "figures (mode fault seconds requests calls):"
sed 's/^/    /' "$FIG"
[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
