#!/bin/bash
# nat.sh - a phone behind NAT registers, is called, calls out, and every
# in-dialog request reaches it.
#
# On the namespace testbed (1 worker) a "home" namespace sits behind the
# client namespace, which masquerades it (nftables): the phone there has a
# private address, 192.168.77.2, and puts it in its Contact. A public phone
# registers from the client namespace.
#   1. The NAT'd phone registers from 192.168.77.2:5090: its binding keeps
#      the private Contact and the public source the REGISTER came from.
#   2. The public phone calls it (tests/e2e/calls/uac_caller_bye.xml): the
#      INVITE goes to the public source, through the NAT mapping; the
#      answer's Contact is private, so the worker adds ;alias= with the
#      answer's source, and the caller's ACK and BYE reach the phone.
#   3. The NAT'd phone calls the public one, which hangs up
#      (uas_answer_bye.xml): its BYE to the caller's private Contact gets
#      there by the alias the worker put in the INVITE's Contact.
#   4. The NAT'd phone registers again with rport in its Via (RFC 3581):
#      the 200's Via carries received=ROUTER-IP;rport=MAPPED-PORT, the
#      address and port its binding records.
# Without the aliases, 2 and 3 fail: nothing routes to 192.168.77.2 from
# the balancer. The home namespace is removed with the testbed.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
CALLS=10
REALM=siplb.test
DOMAIN=siplb.test
HOME_IP=192.168.77.2
HOME_GW=192.168.77.1

LIB_FAMILY=4
lib_init nat
command -v nft >/dev/null || die "nft not found: run scripts/deps.sh"
tb_up 1
HOME_NS=$TB_PREFIX-home
nat_cleanup() {
	local rc=$?
	ip netns del "$HOME_NS" 2>/dev/null || true
	(exit "$rc")
	lib_cleanup
}
trap nat_cleanup EXIT

# The home network: a veth to the client namespace, which masquerades it.
ip netns add "$HOME_NS"
ip -n "$HOME_NS" link set dev lo up
ip link add name home0 netns "$HOME_NS" type veth peer name nat0 \
	netns "$TB_NS_CLIENT"
ip -n "$HOME_NS" addr add "$HOME_IP/24" dev home0
ip -n "$TB_NS_CLIENT" addr add "$HOME_GW/24" dev nat0
for end in "$HOME_NS home0" "$TB_NS_CLIENT nat0"; do
	set -- $end
	ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
	ip -n "$1" link set dev "$2" up
done
ip -n "$HOME_NS" route add default via "$HOME_GW"
ip netns exec "$TB_NS_CLIENT" sysctl -q -w net.ipv4.ip_forward=1
ip netns exec "$TB_NS_CLIENT" nft -f - <<EOF
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 192.168.77.0/24 oifname "$TB_CLIENT_DEV" masquerade
	}
	# As a home router: nothing from outside reaches the private
	# addresses but replies on a mapping the phone opened.
	chain inbound {
		type filter hook forward priority filter; policy accept;
		ip daddr 192.168.77.0/24 ct state new counter drop
	}
}
EOF
log "testbed $TB_PREFIX up; phone behind NAT at $HOME_IP, public phone at $CLIENT_IP"

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2 phone
NATTED=$(sed -n 1p "$LIB_WORK/users.list" | cut -d';' -f1)
PUBLIC=$(sed -n 2p "$LIB_WORK/users.list" | cut -d';' -f1)
phones_conf "$LIB_WORK/siplb.conf" "$REALM" users.htdigest
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"

# 1. Registration: the NAT'd phone from home, the public one as usual.
printf 'SEQUENTIAL\n%s;%s;3600\n' "$(sed -n 1p "$LIB_WORK/users.list")" \
	"$DOMAIN" >"$LIB_WORK/reg-home.csv"
if ip netns exec "$HOME_NS" timeout -s INT 60 sipp "$VIP_EP" \
	-sf "$REGISTER_XML" -inf "$LIB_WORK/reg-home.csv" -i "$HOME_IP" \
	-p 5090 -m 1 -nostdin -recv_timeout 10s \
	>"$LIB_WORK/register-home.out" 2>&1; then
	pass "the phone behind NAT registered (401, then 200)"
else
	fail "the phone behind NAT could not register"
	tail -n 20 "$LIB_WORK/register-home.out" >&2
fi
printf 'SEQUENTIAL\n%s;%s;3600\n' "$(sed -n 2p "$LIB_WORK/users.list")" \
	"$DOMAIN" >"$LIB_WORK/reg-public.csv"
phones_register 5073 "$LIB_WORK/reg-public.csv" ||
	fail "the public phone could not register"
binding=$(lb_ctl -j bindings | python3 -c '
import json, sys
for b in json.load(sys.stdin)["bindings"]:
    if b["aor"].startswith("sip:'"$NATTED"'@"):
        print(b["contact"], b["source"])')
case $binding in
"sip:$NATTED@$HOME_IP:5090 $CLIENT_IP:"*)
	pass "binding: private Contact, public source ($binding)" ;;
*)
	fail "binding of the NAT'd phone: '$binding'" ;;
esac

# 2. The public phone calls the NAT'd one and hangs up.
uas_home=""
lib_bg uas_home ip netns exec "$HOME_NS" timeout -s INT 60 \
	sipp -sf "$CALLS_XML/uas_answer.xml" -i "$HOME_IP" -p 5090 \
	-m "$CALLS" -nostdin -trace_err -error_file "$LIB_WORK/uas-home.err" \
	>"$LIB_WORK/uas-home.out" 2>&1
wait_udp_port "$HOME_NS" 5090
printf 'SEQUENTIAL\n%s;%s;%s\n' "$PUBLIC" "$NATTED" "$DOMAIN" \
	>"$LIB_WORK/to-home.csv"
uac=""
phones_call uac "$CALLS_XML/uac_caller_bye.xml" 5071 "$LIB_WORK/to-home.csv" \
	"$CALLS" 10
rc=0
sipp_wait "$uac" || rc=$?
read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/uac-5071.csv")"
if [ "$rc" -eq 0 ] && [ "$ok" = "$CALLS" ]; then
	pass "calls to the phone behind NAT: the caller completed $ok of $CALLS"
else
	fail "calls to the phone behind NAT: sipp exit $rc, $ok of $CALLS" \
		"(created $created, failed $failed)"
	tail -n 5 "$LIB_WORK/uac-5071.err" >&2 2>/dev/null || true
fi
# The callee's side is the real check: sipp's caller takes a retransmitted
# 200 to the INVITE as the answer to its BYE, so only the callee knows
# whether every ACK and BYE got through the NAT.
if lib_stop "$uas_home" NONE 10; then
	pass "the phone behind NAT got every call's INVITE, ACK and BYE"
else
	fail "the phone behind NAT did not get every ACK and BYE"
fi

# 3. The NAT'd phone calls out; the callee hangs up.
uas_pub=""
phones_answer uas_pub "$CALLS_XML/uas_answer_bye.xml" 5073 "$CALLS"
printf 'SEQUENTIAL\n%s;%s;%s\n' "$NATTED" "$PUBLIC" "$DOMAIN" \
	>"$LIB_WORK/from-home.csv"
rc=0
ip netns exec "$HOME_NS" timeout -s INT 60 sipp "$VIP_EP" \
	-sf "$CALLS_XML/uac_callee_bye.xml" -inf "$LIB_WORK/from-home.csv" \
	-i "$HOME_IP" -p 5091 -m "$CALLS" -r 10 -nostdin -recv_timeout 20s \
	-trace_err -error_file "$LIB_WORK/uac-home.err" \
	>"$LIB_WORK/uac-home.out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ]; then
	pass "calls from behind NAT: the callee's BYE reached the caller ($CALLS calls)"
else
	fail "calls from behind NAT failed (sipp exit $rc)"
	tail -n 5 "$LIB_WORK/uac-home.err" >&2 2>/dev/null || true
fi
if lib_stop "$uas_pub" NONE 10; then
	pass "the public callee got every call, and its BYE was answered"
else
	fail "the public callee did not complete every call"
fi

# 4. RFC 3581: a phone behind NAT that asks with rport learns its public
# address and port from the 200's Via: received is the router's address,
# rport the port of the mapping, the one its binding records as source.
NATTED_PW=$(sed -n 1p "$LIB_WORK/users.list" | cut -d';' -f2)
ip netns exec "$HOME_NS" timeout -s INT 30 python3 \
	"$ROOT/tests/e2e/digest_client.py" register --bind "$HOME_IP" \
	--port 5092 --server "$VIP" --server-port "$TB_SIP_PORT" \
	--user "$NATTED" --password "$NATTED_PW" --domain "$DOMAIN" \
	--rport --expires 60 >"$LIB_WORK/rport.out" 2>&1 || true
via=$(sed -n 's/^via //p' "$LIB_WORK/rport.out")
mapped=$(lb_ctl -j bindings | python3 -c '
import json, sys
for b in json.load(sys.stdin)["bindings"]:
    if b["contact"] == "sip:'"$NATTED@$HOME_IP"':5092":
        print(b["source"])')
case $via in
*";rport=${mapped##*:}"*";received=$CLIENT_IP"*)
	if [ "${mapped%:*}" = "$CLIENT_IP" ]; then
		pass "the 200's Via tells the NAT'd phone its public address: $via"
	else
		fail "binding source $mapped is not the router's $CLIENT_IP"
	fi ;;
*)
	fail "the 200's Via lacks received=$CLIENT_IP;rport=${mapped##*:}: '$via'"
	cat "$LIB_WORK/rport.out" >&2 ;;
esac

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
