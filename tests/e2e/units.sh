#!/bin/bash
# shellcheck disable=SC2015 # pass returns 0: `A && pass ... || fail ...` is an if
# units.sh - the systemd units (etc/systemd/) and what they rely on:
#
#   1. `systemd-analyze verify` accepts siplbd.service and an instance of
#      siplb-worker@.service without a word (warnings fail too), checked
#      on copies whose /usr/sbin/ paths name this build; a copy with a
#      misspelt directive is refused, so the check can fail.
#   2. On the namespace testbed, siplbd started as systemd starts a
#      Type=notify unit ($NOTIFY_SOCKET set, no -d; tests/e2e/units/
#      notify_sink.py stands in for systemd): it reports READY=1 from its
#      own PID (no fork), and by then the VIP socket is open; it logs
#      nothing to stderr once running (the journal has it: syslog); a
#      SIGHUP (ExecReload) leaves it running.
#   3. siplb-worker -c siplb.conf -n w1 (what siplb-worker@w1 runs): the
#      listen address, domain and Record-Route come from the config's
#      worker block; it reports READY=1, siplbd's health checks see it,
#      `siplbctl workers` lists it under the block's address, and an
#      INVITE to an unknown user of the block's domain gets its 480. An
#      unknown name (-n nope) is refused with a clear message, exit 1.
# Everything started is stopped by PID; the testbed and the work directory
# are removed.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v systemd-analyze >/dev/null; then
	echo "1..0 # SKIP systemd-analyze not found (Debian package systemd)"
	exit 0
fi
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
WORKER=${SIPLB_WORKER:-$ROOT/build/siplb-worker}
SINK=$ROOT/tests/e2e/units/notify_sink.py
INVITE=$ROOT/tests/e2e/units/invite.py
REALM=siplb.test
DOMAIN=units.test

LIB_FAMILY=4
lib_init units

# ---- 1. systemd-analyze verify ------------------------------------------

# verify DIR UNIT...: systemd-analyze's output on the units in DIR.
verify() {
	local dir=$1
	shift
	(cd "$dir" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no \
		"${@/#/./}" 2>&1)
}

units=$LIB_WORK/units
mkdir -p "$units"
for f in siplbd.service siplb-worker@.service; do
	sed "s#/usr/sbin/#$ROOT/build/#g" "$ROOT/etc/systemd/$f" >"$units/$f"
done
# A template is verified through an instance.
cp "$units/siplb-worker@.service" "$units/siplb-worker@w1.service"
if out=$(verify "$units" siplbd.service siplb-worker@w1.service) &&
	[ -z "$out" ]; then
	pass "systemd-analyze verify: siplbd.service, siplb-worker@.service clean"
else
	fail "systemd-analyze verify complains: $out"
fi
sed 's/^ProtectSystem=/ProtectSytem=/' "$units/siplbd.service" \
	>"$units/broken.service"
out=$(verify "$units" broken.service) || true
case $out in
*ProtectSytem*) pass "a misspelt directive is reported" ;;
*) fail "systemd-analyze did not report a misspelt directive: $out" ;;
esac

# ---- 2. siplbd as a Type=notify service ----------------------------------

tb_up 1
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP, worker $BACKEND_IPS"
users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2
worker_ep=$(ep "$BACKEND_IPS" "$TB_SIP_PORT")
conf=$LIB_WORK/siplb.conf
lib_key_file "$LIB_WORK/rr.key"
{
	siplbd_conf "$REALM" users.htdigest
	cat <<EOC
# The Record-Route key every worker shares (needed with record-route).
dialog-secret-file $LIB_WORK/rr.key
health {
	interval 2
	timeout 1
	down-after 2
	up-after 1
}
guard {
	# The test client: its INVITE needs no caller authentication.
	trunk $CLIENT_IP
}
worker w1 {
	listen $worker_ep
	domain $DOMAIN
	record-route $VIP_EP
	send-from off
	ring-timeout 5
}
EOC
} >"$conf"
siplbd_check "$conf" || die "siplbd -n refused the test config: $(cat "$LIB_WORK/siplbd-n.out")"

# start_notified NAME NS CHECK... -- CMD...: run CMD in NS with
# NOTIFY_SOCKET set to a sink of our own (its messages in
# $LIB_WORK/NAME.notify); sets STARTED_PID.
start_notified() {
	local name=$1 ns=$2 sock=$LIB_WORK/$1-notify.sock check=() pid
	shift 2
	while [ "$1" != -- ]; do
		check+=("$1")
		shift
	done
	shift
	lib_bg pid python3 "$SINK" "$sock" "$LIB_WORK/$name.notify" "${check[@]}"
	for _ in $(seq 1 50); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	[ -S "$sock" ] || die "notify_sink.py did not bind $sock"
	lib_bg STARTED_PID env NOTIFY_SOCKET="$sock" \
		nsenter --net="/run/netns/$ns" "$@" \
		>"$LIB_WORK/$name.out" 2>"$LIB_WORK/$name.err" </dev/null
}

# wait_ready NAME: until NAME's sink has seen READY=1 (10 s at most).
wait_ready() {
	for _ in $(seq 1 100); do
		grep -q 'READY=1' "$LIB_WORK/$1.notify" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

start_notified siplbd "$TB_NS_LB" \
	ip netns exec "$TB_NS_LB" sh -c \
	"ss -Hlun 'sport = :$TB_SIP_PORT' | grep -q ." -- \
	"$SIPLBD" -c "$conf"
SIPLBD_PID=$STARTED_PID
SIPLBD_LOG=$LIB_WORK/siplbd.err
if wait_ready siplbd; then
	pass "siplbd reported READY=1 under \$NOTIFY_SOCKET"
else
	siplbd_log_show 40
	die "siplbd sent no READY=1 in 10 s: $(cat "$LIB_WORK/siplbd.notify" 2>/dev/null)"
fi
ready_pid=$(awk '/READY=1/ { print $1; exit }' "$LIB_WORK/siplbd.notify")
if [ "$ready_pid" = "$SIPLBD_PID" ] && kill -0 "$SIPLBD_PID" 2>/dev/null; then
	pass "READY=1 came from the PID started (no fork), which still runs"
else
	fail "READY=1 from PID $ready_pid, started $SIPLBD_PID (alive: $(kill -0 "$SIPLBD_PID" 2>/dev/null && echo yes || echo no))"
fi
if grep -A1 'READY=1' "$LIB_WORK/siplbd.notify" | grep -qx 'check 0'; then
	pass "the VIP socket was open when READY=1 arrived"
else
	fail "READY=1 before the VIP socket was open: $(cat "$LIB_WORK/siplbd.notify")"
fi
grep -q 'STATUS=1 VIPs' "$LIB_WORK/siplbd.notify" &&
	pass "STATUS= says what runs ($(grep -o 'STATUS=[^|]*' "$LIB_WORK/siplbd.notify" | head -1))" ||
	fail "no STATUS= with READY=1: $(cat "$LIB_WORK/siplbd.notify")"
kill -HUP "$SIPLBD_PID"
sleep 1
if kill -0 "$SIPLBD_PID" 2>/dev/null; then
	pass "SIGHUP (ExecReload) reloads; siplbd still runs"
else
	fail "siplbd died on SIGHUP"
fi

# ---- 3. a worker from its config block -----------------------------------

ns=$TB_NS_BACKENDS
out=$(nsenter --net="/run/netns/$ns" "$WORKER" -c "$conf" -n nope 2>&1) && rc=0 || rc=$?
case "$rc:$out" in
"1:siplb-worker: $conf: no worker block called nope"*)
	pass "-n nope: refused, exit 1, names the missing block" ;;
*) fail "-n nope: exit $rc, said: $out" ;;
esac

start_notified worker "$ns" -- "$WORKER" -c "$conf" -n w1
WORKER_PID=$STARTED_PID
if wait_ready worker; then
	pass "siplb-worker -c siplb.conf -n w1 reported READY=1"
else
	die "the worker sent no READY=1 in 10 s: $(cat "$LIB_WORK/worker.err")"
fi
ready_pid=$(awk '/READY=1/ { print $1; exit }' "$LIB_WORK/worker.notify")
[ "$ready_pid" = "$WORKER_PID" ] &&
	pass "the worker's READY=1 came from its own PID" ||
	fail "the worker's READY=1 from PID $ready_pid, started $WORKER_PID"
grep -q "STATUS=listening on $BACKEND_IPS:$TB_SIP_PORT for $DOMAIN, worker w1" \
	"$LIB_WORK/worker.notify" &&
	pass "it listens on the block's address for the block's domain" ||
	fail "its status: $(cat "$LIB_WORK/worker.notify")"
# -n without -f: syslog, so nothing on stderr once the config is read.
if [ -s "$LIB_WORK/worker.err" ]; then
	fail "the worker logged to stderr without -f: $(head -3 "$LIB_WORK/worker.err")"
else
	pass "the worker logs to syslog (nothing on stderr) without -f"
fi
# siplbd's health checks: the backend is up once the worker answers.
up=0
for _ in $(seq 1 100); do
	if lb_ctl -j backends 2>/dev/null | python3 -c '
import json, sys
b = json.load(sys.stdin)["backends"]
sys.exit(0 if b and all(x["state"] == "up" for x in b) else 1)'; then
		up=1
		break
	fi
	sleep 0.1
done
[ "$up" = 1 ] && pass "siplbd's health checks see the worker up" ||
	fail "backend not up: $(lb_ctl backends)"
sleep 1.5	# the worker publishes its counters once a second
lb_ctl workers >"$LIB_WORK/workers.out" 2>&1 || true
grep -q "$worker_ep" "$LIB_WORK/workers.out" &&
	pass "siplbctl workers lists it under $worker_ep" ||
	fail "siplbctl workers: $(cat "$LIB_WORK/workers.out")"
answer=$(ip netns exec "$TB_NS_CLIENT" python3 "$INVITE" "$CLIENT_IP" \
	"$VIP" "$TB_SIP_PORT" nobody "$DOMAIN")
case $answer in
"SIP/2.0 480 "*) pass "INVITE to nobody@$DOMAIN through the VIP: $answer (480 for strangers too: no user enumeration)" ;;
*) fail "INVITE to nobody@$DOMAIN: expected 480 from the worker, got: $answer" ;;
esac

lib_stop "$WORKER_PID" TERM 5 && rc=0 || rc=$?
[ "$rc" = 0 ] && pass "the worker exits 0 on SIGTERM" ||
	fail "the worker exited $rc on SIGTERM"
grep -q 'STOPPING=1' "$LIB_WORK/worker.notify" &&
	pass "the worker said STOPPING=1" ||
	fail "no STOPPING=1 from the worker: $(cat "$LIB_WORK/worker.notify")"
lib_stop "$SIPLBD_PID" TERM 10 && rc=0 || rc=$?
[ "$rc" = 0 ] && pass "siplbd exits 0 on SIGTERM" ||
	fail "siplbd exited $rc on SIGTERM"
if grep -q 'running:' "$LIB_WORK/siplbd.err"; then
	fail "siplbd logged to stderr under \$NOTIFY_SOCKET: $(head -3 "$LIB_WORK/siplbd.err")"
else
	pass "siplbd logs to syslog, not stderr, under \$NOTIFY_SOCKET"
fi
