#!/bin/bash
# state_file.sh - the bindings survive a reboot through siplbd's state file
# (`state-file PATH SECONDS` in siplb.conf; user/siplbd/state_file.h).
#
# On the testbed (2 backends) siplbd runs with a state file rewritten at
# most every second. A sipp callee registers USERS users (digest auth).
#   1. The file appears (siplbctl stats: daemon.state_saves) and holds them.
#   2. A restart with the pinned maps in place: the map wins, the file is
#      not read ("not read: N bindings in the pinned map").
#   2b. Maps pinned by a siplb without the AOR index (siplb_aors removed):
#      siplbd indexes the bindings at start, and the workers follow the
#      new index map.
#   3. A "reboot": SIGTERM, every XDP program detached and every pinned map
#      removed (siplbctl detach, siplbctl unpin), siplbd started again on
#      new, empty maps: it loads the file; siplbctl bindings shows the same
#      AORs, contacts, CSeqs and expiry times (+-2 s) as before. The
#      siplb-workers, started before the reboot, follow the new maps, and
#      a call through the VIP to a restored user completes.
#   4. A damaged file (truncated by 10 bytes) after another "reboot":
#      siplbd starts anyway with no bindings, says why (FILE: truncated),
#      and keeps the damaged file as FILE.corrupt.
# About 20 s. SIPLB_KEEP_LOGS=1 keeps the work directory.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

WORKER=${SIPLB_WORKER:-$ROOT/build/siplb-worker}
BACKENDS=2
USERS=20
REALM=siplb.test
DOMAIN=siplb.test
CALLER_PORT=5071
CALLEE_PORT=5072
REG_XML=$ROOT/tests/e2e/sipp/register_auth.xml
UAC_XML=$ROOT/tests/e2e/sipp/uac_call.xml
UAS_XML=$ROOT/tests/e2e/sipp/uas_answer.xml

LIB_FAMILY=4
lib_init statefile
[ -x "$WORKER" ] || die "$WORKER not found: run 'make' first"
W=$LIB_WORK
STATE=$W/state/bindings.state
mkdir -p "$W/state"

tb_up "$BACKENDS"
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP"
users_make "$W/users.htdigest" "$W/users.list" "$REALM" "$USERS" phone

CONF=$W/siplb.conf
{
	siplbd_conf "$REALM" "users.htdigest"
	echo "state-file $STATE 1"
	printf 'auth {\n\talgorithms MD5 SHA-256\n}\n'
} >"$CONF"
siplbd_start "$CONF" || die "siplbd did not start"

# bindings_now FILE: "AOR SLOT CONTACT CSEQ EXPIRES_AT" per binding, sorted
# (from the pinned map: EXPIRES_AT is absolute, so it can be compared).
bindings_now() {
	location_dump | awk '{ print $1, $2, $3, $7, $4 }' >"$1"
}

# daemon_stat NAME: one of siplbd's counters (siplbctl -j stats).
daemon_stat() {
	lb_ctl -S "$W/siplbd.sock" -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin).get("daemon", {})
for part in d.values():
    if isinstance(part, dict) and sys.argv[1] in part:
        print(part[sys.argv[1]]); break
else:
    print(d.get(sys.argv[1], ""))' "$1"
}

# reboot: what a reboot takes away: siplbd, the XDP programs, the maps.
reboot() {
	local dev
	siplbd_stop || fail "siplbd exited with status $? on SIGTERM"
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		lb_ctl detach "$dev" >/dev/null 2>&1 || die "detach $dev failed"
	done
	lb_ctl unpin || die "siplbctl unpin failed"
	[ -z "$(ls -A "$TB_PINDIR" 2>/dev/null)" ] ||
		die "pinned maps left after unpin: $(ls "$TB_PINDIR")"
}

# 1. Register; the file follows within a few seconds.
{
	echo SEQUENTIAL
	sed "s/\$/;$DOMAIN;3600/" "$W/users.list"
} >"$W/callee.csv"
ip netns exec "$TB_NS_CLIENT" timeout -s INT 60 \
	sipp "$VIP_EP" -sf "$REG_XML" -inf "$W/callee.csv" \
	-i "$CLIENT_IP" -p "$CALLEE_PORT" -m "$USERS" -r 50 -nostdin \
	-recv_timeout 10s >"$W/register.out" 2>&1 ||
	die "registering $USERS users failed: $(tail -n 20 "$W/register.out")"
bindings_now "$W/before"
[ "$(wc -l <"$W/before")" -eq "$USERS" ] ||
	die "expected $USERS bindings, have $(wc -l <"$W/before")"
pass "$USERS users registered"
for _ in $(seq 1 50); do
	saves=$(daemon_stat state_saves)
	[ "${saves:-0}" -ge 1 ] && [ -s "$STATE" ] && break
	sleep 0.1
done
if [ "${saves:-0}" -ge 1 ] && [ -s "$STATE" ]; then
	pass "state file written ($saves saves, $(stat -c %s "$STATE") bytes)"
else
	fail "no state file after 5 s (state_saves ${saves:-?})"
fi
# The last REGISTERs' save follows within a tick or two (1 s interval).
want=$((24 + USERS * 552 + 40))
for _ in $(seq 1 50); do
	size=$(stat -c %s "$STATE")
	[ "$size" -eq "$want" ] && break
	sleep 0.1
done
if [ "$size" -eq "$want" ]; then
	pass "the file holds $USERS records (24 + $USERS * 552 + 40 bytes)"
else
	fail "state file is $size bytes, expected $want"
fi
for f in "$W"/state/*.tmp; do
	[ -e "$f" ] && fail "a temporary file was left behind: $f"
done

# The workers start now and keep running through the "reboot" below.
lib_key_file "$W/rr.key"
WORKER_PIDS=""
i=0
for ns in $TB_NS_BACKENDS; do
	i=$((i + 1))
	lib_bg pid nsenter --net="/run/netns/$ns" "$WORKER" \
		-l "$(ep "$(nth "$i" "$BACKEND_IPS")" "$TB_SIP_PORT")" \
		-P "$TB_PINDIR" -d "$DOMAIN" -r "$VIP_EP" -k "$W/rr.key" \
		-u "$W/users.htdigest" -R "$REALM" -T "$CLIENT_IP" \
		2>"$W/worker$i.log" </dev/null
	WORKER_PIDS="$WORKER_PIDS $pid"
	wait_udp_port "$ns" "$TB_SIP_PORT"
done

# 2. Restart with the pinned maps: the map wins.
siplbd_stop || fail "siplbd exited with status $? on SIGTERM"
siplbd_start "$CONF" || die "siplbd did not start again"
if grep -q "state file $STATE not read: $USERS bindings in the pinned map" \
	"$SIPLBD_LOG"; then
	pass "restart with pinned maps: the file is not read"
else
	fail "restart with pinned maps: no 'not read' line in the log"
fi

# 2b. An upgrade: maps pinned by a siplb that had no AOR index. siplbd
# makes siplb_aors anew and indexes what siplb_location holds; the
# workers follow the new index (else they would find no binding).
siplbd_stop || fail "siplbd exited with status $? on SIGTERM"
rm -f "$TB_PINDIR/siplb_aors"
siplbd_start "$CONF" || die "siplbd did not start without siplb_aors"
if grep -q "siplb_aors: $USERS bindings of an older siplb indexed" \
	"$SIPLBD_LOG"; then
	pass "upgrade: siplbd indexed the $USERS pinned bindings"
else
	fail "upgrade: no 'indexed' line: $(grep siplb_aors "$SIPLBD_LOG" | tail -n 2)"
fi
sleep 1.5
i=0
for pid in $WORKER_PIDS; do
	i=$((i + 1))
	if grep -q "the AOR index .* was made anew" "$W/worker$i.log"; then
		pass "worker $i follows the new AOR index"
	else
		fail "worker $i did not follow the new AOR index"
	fi
done

# 3. A reboot: the file brings the bindings back.
reboot
siplbd_start "$CONF" || die "siplbd did not start after the reboot"
if grep -q "state file $STATE: $USERS bindings restored, 0 expired" \
	"$SIPLBD_LOG"; then
	pass "after the reboot: $USERS bindings restored from the file"
else
	fail "after the reboot: no 'restored' line: $(grep 'state file' "$SIPLBD_LOG" | tail -n 2)"
fi
bindings_now "$W/after"
if python3 - "$W/before" "$W/after" <<'EOF'; then
import sys
def rows(p):
    return {tuple(l.split()[:4]): int(l.split()[4]) for l in open(p)}
a, b = rows(sys.argv[1]), rows(sys.argv[2])
if a.keys() != b.keys():
    sys.exit('bindings differ: %d before, %d after, %d in common'
             % (len(a), len(b), len(a.keys() & b.keys())))
bad = [k for k in a if abs(a[k] - b[k]) > 2]
if bad:
    sys.exit('expiry moved for %s' % (bad[:3],))
EOF
	pass "the same AORs, slots, contacts, CSeqs and expiry times as before"
else
	fail "the restored bindings differ from those before the reboot"
fi

# ...and calls route to them: the workers, running since before the
# reboot, follow the maps that were made anew (within their 1 s tick).
sleep 1.5
i=0
for pid in $WORKER_PIDS; do
	i=$((i + 1))
	if grep -q "the location map .* was made anew" "$W/worker$i.log"; then
		pass "worker $i follows the new location map"
	else
		fail "worker $i did not follow the new location map"
	fi
done
CALLEE=$(sed -n 7p "$W/users.list" | cut -d';' -f1)
uas=""	# set by lib_bg
lib_bg uas ip netns exec "$TB_NS_CLIENT" timeout -s INT 40 \
	sipp -sf "$UAS_XML" -d 0 -i "$CLIENT_IP" -p "$CALLEE_PORT" -m 1 -nostdin \
	>"$W/uas.out" 2>&1
wait_udp_port "$TB_NS_CLIENT" "$CALLEE_PORT"
printf 'SEQUENTIAL\n%s;%s;\n' "$DOMAIN" "$CALLEE" >"$W/caller.csv"
if ip netns exec "$TB_NS_CLIENT" timeout -s INT 40 \
	sipp "$VIP_EP" -sf "$UAC_XML" -d 200 -inf "$W/caller.csv" \
	-i "$CLIENT_IP" -p "$CALLER_PORT" -m 1 -nostdin -recv_timeout 15s \
	-trace_msg -message_file "$W/uac.msg" >"$W/uac.out" 2>&1; then
	pass "a call to $CALLEE (restored binding) completed through the VIP"
else
	fail "the call to the restored $CALLEE failed"
	tail -n 30 "$W/uac.msg" >&2 || true
fi
lib_stop "$uas" NONE 10 || fail "the callee's sipp failed"
for pid in $WORKER_PIDS; do
	lib_stop "$pid" TERM 5 || true
done

# 4. A damaged file: siplbd starts empty, says why, keeps the file aside.
sleep 1.5	# any save of the registration refresh, then a clean file
reboot
truncate -s -10 "$STATE"
siplbd_start "$CONF" || die "siplbd did not start with a damaged state file"
if grep -q "$STATE: truncated or extended.*starting with no bindings" \
	"$SIPLBD_LOG"; then
	pass "damaged file: siplbd started with no bindings and said why"
else
	fail "damaged file: no clear message: $(grep 'state' "$SIPLBD_LOG" | tail -n 2)"
fi
bindings_now "$W/damaged"
[ ! -s "$W/damaged" ] || fail "bindings present after loading a damaged file"
if [ -e "$STATE.corrupt" ]; then
	pass "the damaged file is kept as $STATE.corrupt"
else
	fail "no $STATE.corrupt"
fi
siplbd_stop || fail "siplbd exited with status $? on SIGTERM"

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
