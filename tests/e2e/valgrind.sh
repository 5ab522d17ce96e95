#!/bin/bash
# valgrind.sh - siplbd and siplb-worker run valgrind-clean through one
# end-to-end scenario (memcheck, --leak-check=full).
#
# On the testbed with one backend, siplbd (attaching XDP, registrar, health
# checks, state file) and the siplb-worker of the backend both run under
# valgrind. Then:
#   1. USERS users register with digest auth (sipp), one more REGISTER
#      with a wrong password (401: the failure path);
#   2. CALLS calls through the VIP to one of them (INVITE ... BYE through
#      the worker);
#   3. a reload (SIGHUP), siplbctl stats through the control socket;
#   4. SIGTERM to both; each must exit 0.
# Valgrind's verdict: any memcheck error, or a definite or indirect leak,
# makes it exit with ERROR_EXIT, and the test fails; its logs are printed.
# "Still reachable" memory (libbpf's and OpenSSL's one-time allocations at
# exit) is not an error. Suppressions: tests/e2e/valgrind.supp, one per
# documented valgrind limitation (see there). About 40 s.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

REAL_SIPLBD=$ROOT/build/siplbd
WORKER=$ROOT/build/siplb-worker
BACKENDS=1
USERS=5
CALLS=5
REALM=siplb.test
DOMAIN=siplb.test
CALLER_PORT=5071
CALLEE_PORT=5072
ERROR_EXIT=99
REG_XML=$ROOT/tests/e2e/sipp/register_auth.xml
UAC_XML=$ROOT/tests/e2e/sipp/uac_call.xml
UAS_XML=$ROOT/tests/e2e/sipp/uas_answer.xml
SUPP=$ROOT/tests/e2e/valgrind.supp

command -v valgrind >/dev/null || die "valgrind not found: run scripts/deps.sh"
LIB_FAMILY=4
lib_init valgrind
W=$LIB_WORK
for p in "$REAL_SIPLBD" "$WORKER"; do
	[ -x "$p" ] || die "$p not found: run 'make' first"
done

# valgrind_cmd NAME: the valgrind command line, log in $W/NAME.vg.
VG_OPTS="--error-exitcode=$ERROR_EXIT --leak-check=full
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
	--track-origins=yes --suppressions=$SUPP"

# siplbd_start runs $SIPLBD: a wrapper that execs it under valgrind (so
# the PID stays the one siplbd_start records).
# shellcheck disable=SC2086 # VG_OPTS: one option per word, joined
cat >"$W/siplbd-vg" <<EOF
#!/bin/sh
exec valgrind $(printf '%s ' $VG_OPTS)--log-file=$W/siplbd.vg $REAL_SIPLBD "\$@"
EOF
chmod +x "$W/siplbd-vg"
SIPLBD=$W/siplbd-vg

tb_up "$BACKENDS"
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP"
users_make "$W/users.htdigest" "$W/users.list" "$REALM" "$USERS" phone
mkdir -p "$W/state"

CONF=$W/siplb.conf
write_conf() {
	{
		siplbd_conf "$REALM" users.htdigest
		echo "state-file $W/state/bindings 1"
		printf 'auth {\n\talgorithms MD5 SHA-256\n}\n'
		printf 'health {\n\tinterval 2\n\ttimeout 1\n}\n'
		printf 'registrar {\n\tdefault-expires %s\n}\n' "$1"
	} >"$CONF"
}
write_conf 3600
# Under valgrind start-up takes seconds: wait for it longer than
# siplbd_start does.
siplbd_start "$CONF" || {
	sleep 20
	ip netns exec "$TB_NS_LB" ss -Hlun "sport = :$TB_SIP_PORT" | grep -q . ||
		die "siplbd under valgrind did not start: $(tail -n 30 "$W/siplbd.vg")"
}
log "siplbd runs under valgrind (PID $SIPLBD_PID)"

lib_key_file "$W/rr.key"
# shellcheck disable=SC2086 # VG_OPTS: one option per word
lib_bg WORKER_PID nsenter --net="/run/netns/$TB_NS_BACKENDS" \
	valgrind $VG_OPTS --log-file="$W/worker.vg" "$WORKER" \
	-l "$(ep "$BACKEND_IPS" "$TB_SIP_PORT")" -P "$TB_PINDIR" -d "$DOMAIN" \
	-r "$VIP_EP" -k "$W/rr.key" -u "$W/users.htdigest" -R "$REALM" \
	-T "$CLIENT_IP" 2>"$W/worker.log" </dev/null
for _ in $(seq 1 200); do
	ip netns exec "$TB_NS_BACKENDS" ss -Hlun "sport = :$TB_SIP_PORT" |
		grep -q . && break
	sleep 0.1
done
sleep 3	# a health check or two

# 1. Registrations, then one wrong password.
{
	echo SEQUENTIAL
	sed "s/\$/;$DOMAIN;3600/" "$W/users.list"
} >"$W/callee.csv"
if ip netns exec "$TB_NS_CLIENT" timeout -s INT 60 \
	sipp "$VIP_EP" -sf "$REG_XML" -inf "$W/callee.csv" \
	-i "$CLIENT_IP" -p "$CALLEE_PORT" -m "$USERS" -r 5 -nostdin \
	-recv_timeout 10s >"$W/register.out" 2>&1; then
	pass "$USERS users registered (digest auth) with siplbd under valgrind"
else
	fail "registration failed: $(tail -n 5 "$W/register.out")"
fi
# (-bye: sipp would otherwise end the failed scenario with a BYE, which
# the worker routes to the callee and the callee counts as a call.)
printf 'SEQUENTIAL\n%s;wrong-password;%s;3600\n' \
	"$(head -n 1 "$W/users.list" | cut -d';' -f1)" "$DOMAIN" >"$W/bad.csv"
if ip netns exec "$TB_NS_CLIENT" timeout -s INT 30 \
	sipp "$VIP_EP" -sf "$REG_XML" -inf "$W/bad.csv" \
	-i "$CLIENT_IP" -p 5073 -m 1 -nostdin -recv_timeout 5s \
	-default_behaviors all,-bye >"$W/bad.out" 2>&1; then
	fail "a wrong password was accepted"
else
	pass "a wrong password was refused"
fi

# 2. Calls through the worker.
CALLEE=$(head -n 1 "$W/users.list" | cut -d';' -f1)
uas=""	# set by lib_bg
lib_bg uas ip netns exec "$TB_NS_CLIENT" timeout -s INT 120 \
	sipp -sf "$UAS_XML" -d 0 -i "$CLIENT_IP" -p "$CALLEE_PORT" -m "$CALLS" \
	-nostdin -trace_msg -message_file "$W/uas.msg" >"$W/uas.out" 2>&1
wait_udp_port "$TB_NS_CLIENT" "$CALLEE_PORT"
printf 'SEQUENTIAL\n%s;%s;\n' "$DOMAIN" "$CALLEE" >"$W/caller.csv"
if ip netns exec "$TB_NS_CLIENT" timeout -s INT 120 \
	sipp "$VIP_EP" -sf "$UAC_XML" -d 200 -inf "$W/caller.csv" \
	-i "$CLIENT_IP" -p "$CALLER_PORT" -m "$CALLS" -r 2 -nostdin \
	-recv_timeout 20s -trace_msg -message_file "$W/uac.msg" \
	-trace_err -error_file "$W/uac.err" >"$W/uac.out" 2>&1; then
	pass "$CALLS calls through siplb-worker under valgrind completed"
else
	fail "calls failed: $(tail -n 5 "$W/uac.out")"
fi
lib_stop "$uas" NONE 30 || fail "the callee's sipp failed"

# 3. Reload with a changed value; stats through the control socket.
write_conf 1800
kill -HUP "$SIPLBD_PID"
for _ in $(seq 1 100); do
	grep -q "reloaded:" "$SIPLBD_LOG" && break
	sleep 0.1
done
grep -q "reloaded:" "$SIPLBD_LOG" && pass "reload (SIGHUP)" ||
	fail "no 'reloaded' in siplbd's log"
lb_ctl -S "$W/siplbd.sock" stats >"$W/stats.out" 2>&1 &&
	pass "siplbctl stats through the control socket" ||
	fail "siplbctl stats failed: $(cat "$W/stats.out")"
sleep 2	# a tick or two: sweep, state-file write, health checks

# 4. SIGTERM; valgrind's exit status is the verdict.
rc=0
siplbd_stop || rc=$?
if [ "$rc" -eq 0 ]; then
	pass "siplbd: valgrind-clean (no memcheck error, no leak), exit 0"
else
	fail "siplbd under valgrind exited $rc ($ERROR_EXIT: valgrind errors)"
	cat "$W/siplbd.vg" >&2
fi
rc=0
lib_stop "$WORKER_PID" TERM 30 || rc=$?
if [ "$rc" -eq 0 ]; then
	pass "siplb-worker: valgrind-clean (no memcheck error, no leak), exit 0"
else
	fail "siplb-worker under valgrind exited $rc ($ERROR_EXIT: valgrind errors)"
	cat "$W/worker.vg" >&2
fi
for f in siplbd worker; do
	log "$f: $(grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|still reachable' "$W/$f.vg" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
done

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
