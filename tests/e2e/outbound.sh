#!/bin/bash
# outbound.sh - RFC 5626 instances: a phone restarted on another port with
# the same +sip.instance keeps one binding, and the next call rings only
# the new one.
#
# On the namespace testbed (1 worker), in the client namespace:
#   1. The phone registers from port 5081 with +sip.instance, reg-id 1 and
#      Supported: outbound (tests/e2e/digest_client.py): the 200 carries
#      Require: outbound and lists the instance and reg-id.
#   2. It "restarts" on port 5082, same instance: still one binding for
#      its AOR (siplbctl bindings and bpftool), now from port 5082.
#   3. Another phone calls it: a sipp callee on 5082 answers the call,
#      and a listener on 5081 (the old phone's port) gets nothing.
# Without instance matching, 2 finds two bindings and 3 forks the INVITE
# to the old port too.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

REALM=siplb.test
DOMAIN=siplb.test
INSTANCE=urn:uuid:6f1c2d3e-1111-4222-8333-944455566677
OLD_PORT=5081
NEW_PORT=5082

LIB_FAMILY=4
lib_init outbound
tb_up 1
users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2 phone
CALLEE=$(sed -n 1p "$LIB_WORK/users.list" | cut -d';' -f1)
CALLEE_PW=$(sed -n 1p "$LIB_WORK/users.list" | cut -d';' -f2)
CALLER=$(sed -n 2p "$LIB_WORK/users.list" | cut -d';' -f1)
phones_conf "$LIB_WORK/siplb.conf" "$REALM" users.htdigest
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"

# register PORT OUT: the callee registers its instance's flow from PORT.
register() {
	ip netns exec "$TB_NS_CLIENT" timeout -s INT 30 python3 \
		"$ROOT/tests/e2e/digest_client.py" register --bind "$CLIENT_IP" \
		--port "$1" --server "$VIP" --server-port "$TB_SIP_PORT" \
		--user "$CALLEE" --password "$CALLEE_PW" --domain "$DOMAIN" \
		--instance "$INSTANCE" --reg-id 1 --outbound --rport \
		>"$2" 2>&1 || true
}

# The callee's bindings as "contact source instance reg_id", one a line.
bindings() {
	lb_ctl -j bindings | python3 -c '
import json, sys
for b in json.load(sys.stdin)["bindings"]:
    if b["aor"].startswith("sip:'"$CALLEE"'@"):
        print(b["contact"], b["source"], b["instance"], b["reg_id"])'
}

# 1. The first registration.
register "$OLD_PORT" "$LIB_WORK/reg-old.out"
if grep -q '^register 200' "$LIB_WORK/reg-old.out" &&
	grep -q '^require outbound' "$LIB_WORK/reg-old.out" &&
	grep -q "^contact .*+sip.instance=\"<$INSTANCE>\";reg-id=1" \
		"$LIB_WORK/reg-old.out"; then
	pass "outbound registration: 200 with Require: outbound, instance and reg-id"
else
	fail "outbound registration from port $OLD_PORT"
	cat "$LIB_WORK/reg-old.out" >&2
fi

# 2. The restart: same instance, another port.
register "$NEW_PORT" "$LIB_WORK/reg-new.out"
grep -q '^register 200' "$LIB_WORK/reg-new.out" ||
	fail "registration after the restart: $(cat "$LIB_WORK/reg-new.out")"
got=$(bindings)
if [ "$(printf '%s\n' "$got" | grep -c .)" = 1 ] &&
	[ "$got" = "sip:$CALLEE@$CLIENT_IP:$NEW_PORT $CLIENT_IP:$NEW_PORT $INSTANCE 1" ]; then
	pass "one binding after the restart, the new one: $got"
else
	fail "bindings after the restart: '$got'"
fi
n=$(location_dump | grep -c "^sip:$CALLEE@" || true)
if [ "$n" = 1 ]; then
	pass "bpftool shows one entry for the AOR"
else
	fail "bpftool shows $n entries for the AOR"
fi

# 3. A call rings only the new phone.
old_listener=""
lib_bg old_listener ip netns exec "$TB_NS_CLIENT" timeout -s INT 40 \
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(0.5)
end, n = time.monotonic() + float(sys.argv[3]), 0
while time.monotonic() < end:
    try:
        d, _ = s.recvfrom(65535)
    except socket.timeout:
        continue
    n += d.startswith(b"INVITE ")
print(n)' "$CLIENT_IP" "$OLD_PORT" 20 >"$LIB_WORK/old-port.count"
uas=""
phones_answer uas "$CALLS_XML/uas_answer.xml" "$NEW_PORT" 1
wait_udp_port "$TB_NS_CLIENT" "$OLD_PORT"
printf 'SEQUENTIAL\n%s;%s;%s\n' "$CALLER" "$CALLEE" "$DOMAIN" \
	>"$LIB_WORK/call.csv"
uac=""
phones_call uac "$CALLS_XML/uac_caller_bye.xml" 5071 "$LIB_WORK/call.csv" 1 1
rc=0
sipp_wait "$uac" || rc=$?
read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/uac-5071.csv")"
if [ "$rc" -eq 0 ] && [ "$ok" = 1 ]; then
	pass "the call to the restarted phone completed"
else
	fail "the call: sipp exit $rc, $ok of 1 (created $created, failed $failed)"
fi
if lib_stop "$uas" NONE 10; then
	pass "the phone on the new port answered it"
else
	fail "the phone on the new port did not complete the call"
fi
lib_stop "$old_listener" NONE 30 || true
old=$(cat "$LIB_WORK/old-port.count")
if [ "$old" = 0 ]; then
	pass "no INVITE reached the old port"
else
	fail "$old INVITE(s) reached the old port $OLD_PORT"
fi

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
