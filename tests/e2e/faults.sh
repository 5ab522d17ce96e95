#!/bin/bash
# faults.sh - siplb under a call load while its parts fail, on a schedule
# drawn from a fixed seed (so a failing run can be repeated exactly).
#
# The testbed (scripts/testbed.sh) with 3 backends, each running
# siplb-worker; siplbd attaches XDP, is the registrar and health-checks the
# workers every 2 s. A sipp callee registers USERS users (digest auth, one
# Contact) and answers every call; a sipp caller calls them through the VIP
# at CALL_RATE calls/s (INVITE, 180, 1 s, 200, ACK, 2 s, BYE, 200) for the whole
# run. Every backend namespace is captured (tcpdump), so the backend each
# call's requests reached is known. Then, in each round:
#
#   a. kill -9 one worker (issue 4): wait until siplbd marks it unhealthy,
#      let new calls flow to the survivors, restart it, wait until "up".
#   b. SIGTERM siplbd, leave it down a moment, start it again (issue 4):
#      XDP keeps steering from the pinned maps meanwhile.
#   c. kill -9 siplbd, the same.
#   d. cut one backend's link (its veth on the balancer side down): wait
#      for "unhealthy", put the link back, wait for "up".
#
# Checks (tests/e2e/faults/analyze.py reads the captures, the caller's
# message log and the schedule):
#   - every call whose worker was alive and reachable from its INVITE to
#     its end completed, and all its requests reached that one worker
#     (affinity), siplbd restarts included;
#   - a call that failed touched a failed backend, and the report says how
#     (in progress on it when it failed; sent to it before the health
#     checks marked it down); a failure that fits neither fails the test;
#   - while a backend is marked unhealthy no new call reaches it;
#   - the bindings (siplbctl bindings) are the same after every siplbd
#     restart and at the end as after registration: none lost.
# It prints, per fault, calls attempted, completed, failed and why.
#
#   SIPLB_FAULTS_SEED=N   the seed (default 20261124); printed
#   SIPLB_FAULTS_LONG=1   5 rounds instead of 1 (a few minutes)
#   SIPLB_KEEP_LOGS=1     keep the work directory (pcaps, logs)
# About 75 s with one round. Run as root.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

WORKER=${SIPLB_WORKER:-$ROOT/build/siplb-worker}
BACKENDS=3
USERS=50
REALM=siplb.test
DOMAIN=siplb.test
CALLER_PORT=5071
CALLEE_PORT=5072
CALL_RATE=20
HOLD_MS=2000            # each call: INVITE ... ACK, HOLD_MS, BYE
RING_MS=1000            # ...and the callee rings that long before its 200
# Health checks: the quickest siplbd allows (the timeout must be below the
# interval), so a dead worker is marked down 4-5 s after it dies.
HC_INTERVAL=2 HC_TIMEOUT=1 HC_DOWN=2 HC_UP=1
MARK_WAIT=12            # seconds to wait for a state change, at most
SEED=${SIPLB_FAULTS_SEED:-20261124}
ROUNDS=1
[ "${SIPLB_FAULTS_LONG:-0}" = 1 ] && ROUNDS=5
REG_XML=$ROOT/tests/e2e/sipp/register_auth.xml
UAC_XML=$ROOT/tests/e2e/sipp/uac_call.xml
UAS_XML=$ROOT/tests/e2e/sipp/uas_answer.xml
ANALYZE=$ROOT/tests/e2e/faults/analyze.py

LIB_FAMILY=4
lib_init faults
[ -x "$WORKER" ] || die "$WORKER not found: run 'make' first"
W=$LIB_WORK
EVENTS=$W/events

# The schedule's random numbers: bash's RANDOM, seeded, gives the same
# sequence for the same seed on every run of this bash.
RANDOM=$SEED
# rnd_ms LO HI: a whole number of milliseconds in [LO, HI] seconds.
rnd_ms() {
	echo $(($1 * 1000 + RANDOM % (($2 - $1) * 1000 + 1)))
}
sleep_ms() {
	sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}
# ev WHAT [ARGS]: one line of the schedule as it happened (epoch seconds).
ev() {
	echo "$(date +%s.%N) $*" >>"$EVENTS"
	log "$(date +%T.%N | cut -c1-12) $*"
}

tb_up "$BACKENDS"
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP; seed $SEED, $ROUNDS round(s)"

users_make "$W/users.htdigest" "$W/users.list" "$REALM" "$USERS" phone

CONF=$W/siplb.conf
{
	siplbd_conf "$REALM" "users.htdigest"
	cat <<EOC
auth {
	algorithms MD5 SHA-256	# sipp 3.6 answers the first challenge, MD5
}
health {
	interval $HC_INTERVAL
	timeout $HC_TIMEOUT
	down-after $HC_DOWN
	up-after $HC_UP
}
EOC
} >"$CONF"
siplbd_start "$CONF" || die "siplbd did not start"

# worker_start I: siplb-worker in backend I's namespace (nsenter keeps
# /sys/fs/bpf visible); WORKER_PID_<I> holds its PID.
worker_start() {
	local i=$1 ns ip pid
	ns=$(nth "$i" "$TB_NS_BACKENDS")
	ip=$(nth "$i" "$BACKEND_IPS")
	# One Record-Route key for all: a restarted worker takes the calls.
	[ -s "$W/rr.key" ] || lib_key_file "$W/rr.key"
	lib_bg pid nsenter --net="/run/netns/$ns" "$WORKER" \
		-l "$(ep "$ip" "$TB_SIP_PORT")" -P "$TB_PINDIR" -d "$DOMAIN" \
		-r "$VIP_EP" -k "$W/rr.key" -u "$W/users.htdigest" -R "$REALM" \
		-T "$CLIENT_IP" 2>>"$W/worker$i.log" </dev/null
	printf -v "WORKER_PID_$i" '%s' "$pid"
	wait_udp_port "$ns" "$TB_SIP_PORT"
}

# backend_state I: backend I's state as siplbctl shows it (the maps).
backend_state() {
	local addr
	addr=$(ep "$(nth "$1" "$BACKEND_IPS")" "$TB_SIP_PORT")
	lb_ctl backends | awk -v a="$addr" '$3 == a { print $4 }'
}

# wait_state I STATE: until backend I shows STATE (MARK_WAIT s at most);
# records "state I STATE" in the schedule when it is seen (the change came
# before), and "state_was I OLD" at the start of the last poll that still
# saw the old state (it lasted at least until then): the analysis takes
# both bounds on the safe side. Returns 1 on time-out.
wait_state() {
	local i=$1 want=$2 n t seen
	for n in $(seq 1 $((MARK_WAIT * 10))); do
		t=$(date +%s.%N)
		seen=$(backend_state "$i")
		if [ "$seen" = "$want" ]; then
			[ "$n" -gt 1 ] && echo "$t_old state_was $i $old" >>"$EVENTS"
			ev state "$i" "$want"
			return 0
		fi
		t_old=$t old=$seen
		sleep 0.1
	done
	fail "backend $i not $want within ${MARK_WAIT}s (it is $(backend_state "$i"))"
	return 1
}

# bindings_snapshot FILE: "AOR CONTACT" of every binding, sorted.
bindings_snapshot() {
	lb_ctl -j bindings | python3 -c '
import json, sys
for b in json.load(sys.stdin)["bindings"]:
    print(b["aor"], b["contact"])' | sort >"$1"
}

# bindings_same WHEN: the bindings equal those after registration.
bindings_same() {
	bindings_snapshot "$W/bindings.now"
	if cmp -s "$W/bindings.ref" "$W/bindings.now"; then
		pass "$1: all $(wc -l <"$W/bindings.ref") bindings still there"
	else
		fail "$1: bindings changed: $(diff "$W/bindings.ref" "$W/bindings.now" | grep -c '^[<>]') lines differ"
		ev bindings_lost "$1"
	fi
}

for i in $(seq 1 "$BACKENDS"); do
	worker_start "$i"
done
for i in $(seq 1 "$BACKENDS"); do
	wait_state "$i" up || die "worker $i not healthy: $(cat "$W/worker$i.log")"
done

# The callee registers every user, all with the same Contact address.
{
	echo SEQUENTIAL
	sed "s/\$/;$DOMAIN;3600/" "$W/users.list"
} >"$W/callee.csv"
ip netns exec "$TB_NS_CLIENT" timeout -s INT 60 \
	sipp "$VIP_EP" -sf "$REG_XML" -inf "$W/callee.csv" \
	-i "$CLIENT_IP" -p "$CALLEE_PORT" -m "$USERS" -r 50 -nostdin \
	-recv_timeout 10s >"$W/register.out" 2>&1 ||
	die "registering $USERS users failed: $(tail -n 20 "$W/register.out")"
bindings_snapshot "$W/bindings.ref"
[ "$(wc -l <"$W/bindings.ref")" -eq "$USERS" ] ||
	die "expected $USERS bindings after registration, have $(wc -l <"$W/bindings.ref")"
pass "$USERS users registered"

# Captures: the requests each backend's namespace receives.
CAP_PIDS=""
for i in $(seq 1 "$BACKENDS"); do
	lib_bg pid ip netns exec "$(nth "$i" "$TB_NS_BACKENDS")" tcpdump \
		-i "$TB_BACKEND_DEV" -Q in -nn -U -Z root -w "$W/be$i.pcap" \
		udp dst port "$TB_SIP_PORT" 2>"$W/tcpdump$i.err"
	CAP_PIDS="$CAP_PIDS $pid"
done
for i in $(seq 1 "$BACKENDS"); do
	for n in $(seq 1 50); do
		grep -q 'listening on' "$W/tcpdump$i.err" && break
		sleep 0.1
	done
	grep -q 'listening on' "$W/tcpdump$i.err" ||
		die "tcpdump $i did not start: $(cat "$W/tcpdump$i.err")"
done

# The callee answers; the caller calls the users in turn until stopped.
lib_bg UAS ip netns exec "$TB_NS_CLIENT" sipp -sf "$UAS_XML" \
	-i "$CLIENT_IP" -p "$CALLEE_PORT" -d "$RING_MS" -nostdin -aa \
	-buff_size 4194304 \
	-trace_err -error_file "$W/uas.err" >"$W/uas.out" 2>&1
wait_udp_port "$TB_NS_CLIENT" "$CALLEE_PORT"
{
	echo SEQUENTIAL
	cut -d';' -f1 "$W/users.list" | sed "s/^/$DOMAIN;/"
} >"$W/caller.csv"
# -recv_timeout 12s: an INVITE sent to a dead worker is retransmitted at
# 0.5, 1.5, 3.5 and 7.5 s; once the worker is marked down (4-5 s) the
# retransmission goes to a survivor and the call completes. No timeout(1)
# around sipp: it would not pass on the SIGUSR1 that ends the load (-m
# bounds the run, and lib_stop SIGKILLs a sipp that does not end).
lib_bg UAC ip netns exec "$TB_NS_CLIENT" sipp "$VIP_EP" -sf "$UAC_XML" -inf "$W/caller.csv" \
	-i "$CLIENT_IP" -p "$CALLER_PORT" -r "$CALL_RATE" -d "$HOLD_MS" \
	-m $((CALL_RATE * 120 * ROUNDS)) -nostdin -buff_size 4194304 \
	-recv_timeout 12s -trace_shortmsg -shortmessage_file "$W/uac.tsv" \
	-trace_err -error_file "$W/uac.err" \
	-trace_stat -stf "$W/uac.csv" -fd 1 >"$W/uac.out" 2>&1
ev load_start "$CALL_RATE"
sleep 3

for round in $(seq 1 "$ROUNDS"); do
	# Draw the whole round first, so the schedule does not depend on
	# how long the waits took.
	kill_after=$(rnd_ms 1 3) worker_victim=$((RANDOM % BACKENDS + 1))
	unhealthy_for=$(rnd_ms 1 3) gap_b=$(rnd_ms 2 4) down_b=$(rnd_ms 0 2)
	gap_c=$(rnd_ms 2 5) down_c=$(rnd_ms 0 2) gap_d=$(rnd_ms 2 4)
	link_victim=$((RANDOM % BACKENDS + 1)) cut_for=$(rnd_ms 0 2)
	log "round $round: kill worker $worker_victim after ${kill_after}ms," \
		"restart ${unhealthy_for}ms after it is marked down; siplbd" \
		"SIGTERM after ${gap_b}ms, down ${down_b}ms; siplbd SIGKILL after" \
		"${gap_c}ms, down ${down_c}ms; backend $link_victim's link cut" \
		"after ${gap_d}ms until ${cut_for}ms after it is marked down"

	# a. A worker dies.
	sleep_ms "$kill_after"
	pid_var=WORKER_PID_$worker_victim
	ev kill_worker "$worker_victim"
	lib_stop "${!pid_var}" KILL 2 || true
	wait_state "$worker_victim" unhealthy || true
	sleep_ms "$unhealthy_for"
	worker_start "$worker_victim"
	ev restart_worker "$worker_victim"
	wait_state "$worker_victim" up || true

	# b. siplbd stops and starts again.
	sleep_ms "$gap_b"
	ev siplbd_term
	siplbd_stop || fail "siplbd exited with status $? on SIGTERM"
	sleep_ms "$down_b"
	siplbd_start "$CONF" || die "siplbd did not start again after SIGTERM"
	ev siplbd_started
	bindings_same "round $round, siplbd restarted after SIGTERM"

	# c. siplbd is killed and started again.
	sleep_ms "$gap_c"
	ev siplbd_kill
	lib_stop "$SIPLBD_PID" KILL 2 || true
	SIPLBD_PID=""
	sleep_ms "$down_c"
	siplbd_start "$CONF" || die "siplbd did not start again after SIGKILL"
	ev siplbd_started
	bindings_same "round $round, siplbd restarted after SIGKILL"

	# d. A backend's link goes down (its balancer-side veth), and back.
	sleep_ms "$gap_d"
	dev=$(nth "$link_victim" "$TB_LB_BACKEND_DEVS")
	ev link_down "$link_victim"
	ip -n "$TB_NS_LB" link set dev "$dev" down
	wait_state "$link_victim" unhealthy || true
	sleep_ms "$cut_for"
	ip -n "$TB_NS_LB" link set dev "$dev" up
	wait_links_up "$TB_NS_LB" "$dev"
	ev link_up "$link_victim"
	wait_state "$link_victim" up || true
	sleep 2
done

# Stop the load: SIGUSR1 asks sipp to place no new call and to exit once
# the calls in progress have ended (12 s at most: -recv_timeout).
ev load_stop
kill -USR1 "$UAC"
for n in $(seq 1 300); do
	kill -0 "$UAC" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$UAC" 2>/dev/null && fail "the caller's sipp still runs 30 s after SIGUSR1"
lib_stop "$UAC" KILL 1 || true	# sipp exits 1 if any call failed
ev load_stopped
sleep 1
for pid in $CAP_PIDS; do
	lib_stop "$pid" TERM 5 || true
done
lib_stop "$UAS" USR1 5 || true
bindings_same "end of the run"

# What happened to every call.
if python3 "$ANALYZE" "$W" "$BACKENDS" >"$W/analysis.out" 2>&1; then
	sed "s/^/$LIB_NAME:   /" "$W/analysis.out"
	pass "every call on a live worker completed and kept its worker; every failure explained"
else
	sed "s/^/$LIB_NAME:   /" "$W/analysis.out"
	fail "the analysis of the calls found violations (above)"
fi
tail -n 1 "$W/uac.csv" >/dev/null 2>&1 || true

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed (seed $SEED)"
log "all checks passed (seed $SEED)"
