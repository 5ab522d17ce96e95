#!/bin/bash
# large_invite.sh - a worker's large INVITE reaches the phone from the VIP,
# every IP fragment of it.
#
# On the namespace testbed (3 backends, siplbd the registrar, a worker per
# backend) a callee phone registers, then a caller places calls whose
# INVITE carries an ICE/SRTP offer of about 3,000 bytes
# (tests/e2e/sipp/uac_large_invite.xml), so the INVITE the worker forwards
# to the callee is larger than the 1,500-byte MTU and the worker's kernel
# fragments it. The callee starts ringing only after 1.8 s
# (tests/e2e/sipp/uas_answer_late.xml), so the worker retransmits the large
# INVITE twice first. A capture in the client namespace records every IP
# packet the phones receive.
#
#   1. Workers send from the VIP (their default, -s from -r): every call
#      completes; every packet the phones receive, each fragment and each
#      retransmission included, has the VIP as its source; there were
#      fragments from the VIP and retransmissions; no send failed; the
#      balancer's SNAT counters (snat_tx, snat_redirect, snat_kernel) did
#      not move: no worker datagram needed rewriting.
#   2. Control, the way it was (-s off: the worker sends from its backend
#      address and the balancer's SNAT rewrites what it can): the SNAT
#      counters move, and the fragments reach the phone from the backend
#      address (XDP passes every fragment untouched), which shows that the
#      checks above can fail.
# Knobs: SIPLB_FAMILY (4 or 6), SIPLB_CALLS (5).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
CALLS=${SIPLB_CALLS:-5}
REALM=siplb.test
DOMAIN=siplb.test
UAC_XML=$ROOT/tests/e2e/sipp/uac_large_invite.xml
UAS_XML=$ROOT/tests/e2e/sipp/uas_answer_late.xml
UAS_PORT=5072
UAC_PORT=5071

LIB_FAMILY=${SIPLB_FAMILY:-4}
lib_init large_invite
tb_up 3
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP, workers $BACKEND_IPS"

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2 phone
phone() { sed -n "${1}p" "$LIB_WORK/users.list" | cut -d';' -f1; }
phones_conf "$LIB_WORK/siplb.conf" "$REALM" users.htdigest
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"

# The callee (phone 2) registers from UAS_PORT; phone 1 calls it.
{
	echo SEQUENTIAL
	printf '%s;%s;3600\n' "$(sed -n 2p "$LIB_WORK/users.list")" "$DOMAIN"
} >"$LIB_WORK/reg.csv"
phones_register "$UAS_PORT" "$LIB_WORK/reg.csv" ||
	die "the callee did not register: $(tail -n 5 "$LIB_WORK/register-$UAS_PORT.out")"
{
	echo SEQUENTIAL
	printf '%s;%s;%s\n' "$(phone 1)" "$(phone 2)" "$DOMAIN"
} >"$LIB_WORK/call.csv"

# capture_ip FILE: every IP packet the client namespace receives (not only
# UDP: a non-first fragment has no UDP header), to FILE.
CAPTURE_PID=""
capture_ip() {
	local proto=ip
	[ "$LIB_FAMILY" = 4 ] || proto=ip6
	# sources() leaves out what is neither UDP nor a fragment.
	rm -f "$LIB_WORK/tcpdump.err"
	lib_bg CAPTURE_PID ip netns exec "$TB_NS_CLIENT" tcpdump \
		-i "$TB_CLIENT_DEV" -Q in -nn -U -Z root -w "$1" \
		"$proto" 2>"$LIB_WORK/tcpdump.err"
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$LIB_WORK/tcpdump.err" 2>/dev/null && return 0
		sleep 0.1
	done
	die "tcpdump did not start: $(cat "$LIB_WORK/tcpdump.err")"
}

# sources FILE: "packets N fragments N" and one "source ADDR packets N
# fragments N" line per source address, for the UDP packets and IP
# fragments of a capture (Ethernet; IPv4 fragments by MF/offset, IPv6 by
# the Fragment header).
sources() {
	python3 - "$1" <<'EOF'
import collections, ipaddress, struct, sys
data = open(sys.argv[1], 'rb').read()
end = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
off, per = 24, collections.defaultdict(lambda: [0, 0])
while off + 16 <= len(data):
    caplen = struct.unpack(end + 'I', data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    etype, ip = struct.unpack('>H', frame[12:14])[0], frame[14:]
    if etype == 0x0800:
        src, proto = ipaddress.ip_address(ip[12:16]), ip[9]
        frag = struct.unpack('>H', ip[6:8])[0] & 0x3fff != 0
    elif etype == 0x86dd:
        src, proto = ipaddress.ip_address(ip[8:24]), ip[6]
        frag = proto == 44
    else:
        continue
    if proto != 17 and not frag:
        continue    # neighbour discovery, MLD
    per[str(src)][0] += 1
    per[str(src)][1] += frag
print('packets %d fragments %d' % (sum(v[0] for v in per.values()),
                                   sum(v[1] for v in per.values())))
for src, (n, f) in sorted(per.items()):
    print('source %s packets %d fragments %d' % (src, n, f))
EOF
}

# run_calls TAG N: N large calls (the callee answers, the caller hangs
# up) under a capture ($LIB_WORK/TAG.pcap); sets CALL_RC, CALL_OK,
# CALL_FAILED.
run_calls() {
	local tag=$1 n=$2 uas uac created
	capture_ip "$LIB_WORK/$tag.pcap"
	phones_answer uas "$UAS_XML" "$UAS_PORT" "$n"
	phones_call uac "$UAC_XML" "$UAC_PORT" "$LIB_WORK/call.csv" "$n" 2
	CALL_RC=0
	sipp_wait "$uac" || CALL_RC=$?
	read -r created CALL_OK CALL_FAILED <<<"$(sipp_counts "$LIB_WORK/uac-$UAC_PORT.csv")"
	lib_stop "$uas" INT 5 || true
	sleep 0.5	# the last packets into the capture
	lib_stop "$CAPTURE_PID" TERM 5 || true
	log "$tag: sipp exit $CALL_RC, created $created, successful $CALL_OK, failed $CALL_FAILED"
	sources "$LIB_WORK/$tag.pcap" >"$LIB_WORK/$tag.sources" ||
		die "reading the capture $tag.pcap failed"
	sed "s/^/$LIB_NAME:   $tag: /" "$LIB_WORK/$tag.sources"
	mv "$LIB_WORK/uac-$UAC_PORT.csv" "$LIB_WORK/uac-$tag.csv"
}

# 1. From the VIP.
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"
if grep -qF "sending to clients from $VIP_EP" "$LIB_WORK"/worker1.log; then
	pass "workers send to clients from $VIP_EP: $(grep -h 'sending to clients' "$LIB_WORK/worker1.log" | sed 's/.*: sending/sending/')"
else
	fail "worker 1 does not say it sends from the VIP: $(tail -n 3 "$LIB_WORK/worker1.log")"
fi
stats_json
snat_before=$(stats_sum 'snat_(tx|redirect|kernel)')
pass_before=$(stats_get pass_not_vip)
run_calls vip "$CALLS"
if [ "$CALL_RC" -eq 0 ] && [ "$CALL_OK" = "$CALLS" ] && [ "$CALL_FAILED" = 0 ]; then
	pass "$CALLS calls with a large INVITE completed"
else
	fail "large calls: sipp exit $CALL_RC, successful $CALL_OK of $CALLS, failed $CALL_FAILED"
	tail -n 5 "$LIB_WORK/uac-$UAC_PORT.err" >&2 2>/dev/null || true
fi
read -r _ total _ _ <"$LIB_WORK/vip.sources"
others=$(awk -v vip="$VIP" '$1 == "source" && $2 != vip' "$LIB_WORK/vip.sources")
vip_frags=$(awk -v vip="$VIP" '$1 == "source" && $2 == vip { print $6 }' "$LIB_WORK/vip.sources")
if [ -z "$others" ] && [ "$total" -gt 0 ]; then
	pass "all $total packets the phones received came from the VIP $VIP"
else
	fail "packets from other sources than the VIP: $others"
fi
# Each INVITE the worker forwards is at least 3 fragments with a 1,500 MTU.
if [ "${vip_frags:-0}" -ge $((2 * CALLS)) ]; then
	pass "$vip_frags of them were fragments, all from the VIP"
else
	fail "only ${vip_frags:-0} fragments from the VIP (expected >= $((2 * CALLS)))"
fi
stats_json
snat_after=$(stats_sum 'snat_(tx|redirect|kernel)')
# The VIP's datagrams from a backend are not to a VIP nor from a backend
# endpoint: XDP passes them and the balancer's kernel forwards them.
log "XDP passed $(($(stats_get pass_not_vip) - pass_before)) packets untouched (pass_not_vip) for the kernel to forward"
if [ "$snat_after" = "$snat_before" ]; then
	pass "the balancer's SNAT rewrote nothing (snat_tx+redirect+kernel stays $snat_after)"
else
	fail "the SNAT rewrote $((snat_after - snat_before)) worker packets"
fi
sleep 1.5	# the workers publish their counters once a second
retrans=$(workers_counter retransmitted)
send_errors=$(workers_counter send_errors)
if [ "$retrans" -ge "$CALLS" ] && [ "$send_errors" = 0 ]; then
	pass "the workers retransmitted $retrans times (Timer A), from the VIP too, and no send failed"
else
	fail "retransmitted $retrans (expected >= $CALLS), send_errors $send_errors (expected 0)"
fi
workers_stop

# 2. Control: the backend address and the balancer's SNAT.
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest" -s off
stats_json
snat_before=$(stats_sum 'snat_(tx|redirect|kernel)')
run_calls snat 1	# the capture check fails: one call is enough
stats_json
snat_after=$(stats_sum 'snat_(tx|redirect|kernel)')
if [ "$snat_after" -gt "$snat_before" ]; then
	pass "control (-s off): the SNAT rewrote $((snat_after - snat_before)) worker packets (the counter check can fail)"
else
	fail "control (-s off): the SNAT counters did not move"
fi
backend_frags=$(awk -v vip="$VIP" '$1 == "source" && $2 != vip { n += $6 } END { print n + 0 }' "$LIB_WORK/snat.sources")
if [ "$backend_frags" -gt 0 ]; then
	pass "control (-s off): $backend_frags fragments reached the phone from a backend address (the SNAT cannot rewrite them)"
else
	fail "control (-s off): no fragment from a backend address; the capture check proves nothing"
fi
workers_stop

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
