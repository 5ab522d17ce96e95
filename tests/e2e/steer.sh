#!/bin/bash
# steer.sh - end-to-end test of Call-ID steering through the XDP program.
#
# In network namespaces (scripts/testbed.sh): a sipp UAC makes CALLS calls
# to the VIP; the balancer's XDP program steers every request of a call to
# one of three sipp UAS backends and rewrites the source of their replies to
# the VIP. Checks that
#   - every call completed (sipp: successful == created == CALLS, failed 0);
#   - every Call-ID's INVITE, ACK and BYE reached one and the same backend,
#     and every backend got some calls;
#   - the client received UDP from VIP:5060 only (tcpdump in its namespace);
#   - siplbctl counts steered and source-rewritten packets and no drops;
#   - a REGISTER to the VIP reaches a socket on VIP:5060 in the balancer
#     namespace, from the client's address (XDP passes it up).
# Run as root from anywhere; exits non-zero and says what failed. Knobs:
# SIPLB_E2E_CALLS (300), SIPLB_E2E_RATE (100 calls/s), SIPLB_E2E_FAMILY
# (4; 6 runs the same test over IPv6), SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

CALLS=${SIPLB_E2E_CALLS:-300}
RATE=${SIPLB_E2E_RATE:-100}
BACKENDS=3

LIB_FAMILY=${SIPLB_E2E_FAMILY:-4}
lib_init steer
tb_up "$BACKENDS"
lb_setup
log "testbed $TB_PREFIX up: VIP $VIP_EP, backends $BACKEND_IPS"

uas_start
capture_start
log "$CALLS calls at $RATE calls/s to $VIP_EP"
uac_rc=0
uac_run "$CALLS" "$RATE" || uac_rc=$?
uas_stop
capture_stop

# 1. Every call completed.
read -r created ok failed <<<"$(uac_stats)"
if [ "$uac_rc" -eq 0 ] && [ "$created" = "$CALLS" ] &&
	[ "$ok" = "$CALLS" ] && [ "$failed" = 0 ]; then
	pass "sipp: $ok of $CALLS calls completed"
else
	fail "sipp exit status $uac_rc, calls created $created, successful $ok," \
		"failed $failed (expected $CALLS/$CALLS/0)"
	sed -n '/Messages  Retrans/,/Test Terminated/p' "$LIB_WORK/uac.out" >&2 || true
	# sipp's error log runs its entries together; a few, one per line.
	sed -n '2,$s/\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\t\)/\n\1/gp' \
		"$LIB_WORK/uac.err" 2>/dev/null | grep . | head -n 5 >&2 || true
fi

# 2. Call-ID affinity and spread.
report=$(steering_report)
printf '%s\n' "$report" | grep '^backend' | sed 's/^/    /'
callids=$(printf '%s\n' "$report" | awk '$1 == "callids" { print $2 }')
errors=$(printf '%s\n' "$report" | grep -c '^error' || true)
if [ "$errors" -eq 0 ] && [ "${callids:-0}" -gt 0 ]; then
	pass "every Call-ID's INVITE, ACK and BYE reached one backend"
else
	fail "$errors Call-IDs broke affinity or lost a request; first ones:"
	printf '%s\n' "$report" | grep '^error' | head -n 10 >&2
fi
if [ "$callids" = "$CALLS" ]; then
	pass "backends saw $callids distinct Call-IDs"
else
	fail "backends saw $callids distinct Call-IDs, expected $CALLS"
fi
idle=$(printf '%s\n' "$report" | awk '$1 == "backend" && $5 == 0 { printf " %s", $3 }')
if [ -z "$idle" ]; then
	pass "all $BACKENDS backends received calls"
else
	fail "backends without calls:$idle"
fi

# 3. The client heard the VIP only.
sources=$(capture_sources)
printf '%s\n' "$sources" | awk 'NF == 2 { printf "    %d packets from %s\n", $1, $2 }'
from_vip=$(printf '%s\n' "$sources" |
	awk -v vip="$VIP_EP" '$2 == vip { n += $1 } END { print n + 0 }')
from_other=$(printf '%s\n' "$sources" |
	awk -v vip="$VIP_EP" 'NF == 2 && $2 != vip { n += $1 } END { print n + 0 }')
if [ "$from_other" -eq 0 ] && [ "$from_vip" -gt 0 ]; then
	pass "client received $from_vip UDP packets, all from $VIP_EP"
else
	fail "client received $from_vip UDP packets from the VIP and" \
		"$from_other from other sources (expected >0 and 0)"
fi

# 4. A REGISTER goes up to the balancer's own stack.
stats_json
reg_before=$(stats_get pass_register)
got=$(register_check)
if [ "$got" = "$CLIENT_IP 5071 REGISTER sip:$VIP_EP SIP/2.0" ]; then
	pass "REGISTER reached $VIP_EP in the balancer from $(ep "$CLIENT_IP" 5071)"
else
	fail "REGISTER: the socket on $VIP_EP got '$got'," \
		"expected one from $(ep "$CLIENT_IP" 5071)"
fi

# 5. The data plane's own account.
stats_json
stats_report all
steered=$(stats_sum 'steer_.*')
snat=$(stats_sum 'snat_(tx|redirect|kernel)')
drops=$(stats_sum 'drop_.*')
reg_after=$(stats_get pass_register)
if [ "$steered" -gt 0 ] && [ "$snat" -gt 0 ]; then
	pass "siplbctl: $steered packets steered, $snat source-rewritten"
else
	fail "siplbctl: steered $steered, source-rewritten $snat (expected both > 0)"
fi
if [ "$drops" -eq 0 ]; then
	pass "siplbctl: no drop_* counter moved"
else
	fail "siplbctl: drop_* counters sum to $drops (expected 0)"
fi
if [ -n "$reg_after" ] && [ "$reg_after" -gt "${reg_before:-0}" ]; then
	pass "siplbctl: pass_register went from $reg_before to $reg_after"
else
	fail "siplbctl: pass_register went from '$reg_before' to '$reg_after'" \
		"(expected it to grow by the REGISTER)"
fi

if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks (SIPLB_KEEP_LOGS=1 keeps the logs)"
	exit 1
fi
log "PASS"
