#!/bin/bash
# demo.sh - `make demo`: siplb steering a few hundred SIP calls in network
# namespaces. Brings up the testbed (scripts/testbed.sh: one client, the
# balancer with the XDP program, three sipp UAS backends), makes the calls
# from a sipp UAC to the VIP, prints how they were spread and what the
# data plane counted, and removes everything again (also on Ctrl-C).
# Knobs: SIPLB_DEMO_CALLS (300), SIPLB_DEMO_RATE (100 calls/s),
# SIPLB_DEMO_BACKENDS (3), SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

CALLS=${SIPLB_DEMO_CALLS:-300}
RATE=${SIPLB_DEMO_RATE:-100}
BACKENDS=${SIPLB_DEMO_BACKENDS:-3}

lib_init demo
log "building the testbed ($BACKENDS backends) and attaching XDP"
tb_up "$BACKENDS"
lb_setup
sed 's/^/  /' "$LIB_WORK/attach.log"

cat <<EOF

  client $CLIENT_IP --- balancer (XDP on $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS) --- backends $BACKEND_IPS
  VIP $VIP_EP on the balancer; namespaces $TB_PREFIX-*

EOF
lb_ctl list || true
echo

uas_start
capture_start
log "sipp: $CALLS calls at $RATE calls/s to $VIP_EP"
uac_rc=0
uac_run "$CALLS" "$RATE" || uac_rc=$?
uas_stop
capture_stop

read -r created ok failed <<<"$(uac_stats)"
report=$(steering_report)
stats_json

echo
echo "Calls: attempted $created, completed $ok, failed $failed" \
	"(sipp exit status $uac_rc)"
echo
echo "Per backend (what each sipp UAS received):"
printf '  %-20s %7s %9s %7s %7s %7s\n' backend calls messages INVITE ACK BYE
printf '%s\n' "$report" | awk '$1 == "backend" {
	printf "  %-20s %7s %9s %7s %7s %7s\n", $3, $5, $7, $9, $11, $13 }'
errors=$(printf '%s\n' "$report" | grep -c '^error' || true)
if [ "$errors" -eq 0 ]; then
	echo "  every call's INVITE, ACK and BYE went to one backend"
else
	echo "  $errors Call-IDs were split or lost a request, e.g.:"
	printf '%s\n' "$report" | grep '^error' | head -n 3 | sed 's/^error /    /'
fi
echo
echo "Sources of the UDP packets the client received:"
capture_sources | awk '{ printf "  %-24s %d packets\n", $2, $1 }'
echo
echo "Data plane counters (siplbctl stats):"
stats_report nonzero
echo
if [ "$uac_rc" -ne 0 ] || [ "$errors" -ne 0 ]; then
	log "some calls failed or were split (SIPLB_KEEP_LOGS=1 keeps the logs)"
	exit 1
fi
log "done; removing the testbed"
