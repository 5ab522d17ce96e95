#!/bin/bash
# demo.sh - `make demo`: phones register and call each other through siplb,
# on the network-namespace testbed (scripts/testbed.sh).
#
#   phones (sipp) --- balancer: XDP + siplbd --- 3 x siplb-worker
#
# It sets siplb up the operator's way (README, "Running it"): the XDP
# program is attached with `ip link set dev ... xdp obj ... sec xdp`, which
# pins the maps under /sys/fs/bpf/tc/globals; siplbd adopts that attachment
# (its configuration names no interface) and is the registrar; a
# siplb-worker runs on each backend address. Then:
#   1. 20 phones register with digest authentication (REGISTER, 401,
#      REGISTER with credentials, 200);
#   2. phones 1-10 call 11-20 (the callee hangs up) and phones 11-20 call
#      1-10 (the caller hangs up), a few hundred calls in all;
#   3. a report: registrations, calls, messages per worker (siplbctl
#      workers), the bindings as bpftool shows them, the XDP counters.
# Everything is removed at the end, also on Ctrl-C or failure.
# /sys/fs/bpf/tc/globals is global to the machine: the demo refuses to run
# if siplb maps are pinned there already.
# Knobs: SIPLB_DEMO_CALLS (300 in all), SIPLB_DEMO_RATE (50 calls/s per
# direction), SIPLB_DEMO_PHONES (20), SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
BPF_OBJ=$ROOT/build/siplb.bpf.o
CALLS=${SIPLB_DEMO_CALLS:-300}
RATE=${SIPLB_DEMO_RATE:-50}
PHONES=${SIPLB_DEMO_PHONES:-20}
GLOBALS=/sys/fs/bpf/tc/globals
REALM=siplb.test
DOMAIN=siplb.test
HALF=$((PHONES / 2))
EACH_WAY=$((CALLS / 2))

[ "$PHONES" -ge 2 ] && [ $((PHONES % 2)) -eq 0 ] ||
	die "SIPLB_DEMO_PHONES must be an even number >= 2"
[ "$EACH_WAY" -ge 1 ] || die "SIPLB_DEMO_CALLS must be at least 2"

lib_init demo
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
[ -e "$GLOBALS/siplb_vips" ] &&
	die "siplb maps are pinned in $GLOBALS already (a running siplb?);" \
		"the demo leaves them alone and stops"
[ -r "$BPF_OBJ" ] || die "$BPF_OBJ not found: run 'make' first"

# iproute2 creates tc/globals (and the symlinks ip and xdp to tc/ beside
# it) if missing: note which, to remove only what the demo made. A symlink
# is removed with rm, not rmdir (rmdir fails on it and left it dangling).
made_dirs=""
for d in /sys/fs/bpf/tc/globals /sys/fs/bpf/tc /sys/fs/bpf/ip /sys/fs/bpf/xdp; do
	[ -e "$d" ] || [ -L "$d" ] || made_dirs="$made_dirs $d"
done
demo_cleanup() {
	local rc=$? d
	# Under set -e, `(exit "$rc")` below would end the trap before
	# lib_cleanup whenever the demo failed.
	set +e
	workers_stop 2>/dev/null || true
	siplbd_stop >/dev/null 2>&1 || true
	"$SIPLBCTL" -P "$GLOBALS" unpin 2>/dev/null || true
	for d in $made_dirs; do
		if [ -L "$d" ]; then rm -f "$d"; else rmdir "$d" 2>/dev/null; fi || true
	done
	(exit "$rc")
	lib_cleanup
}
trap demo_cleanup EXIT

log "building the testbed: phones, the balancer, 3 worker hosts"
tb_up 3
TB_PINDIR=$GLOBALS	# what ip link pins to; phones.sh and lb_ctl use it

cat <<EOF

  phones $CLIENT_IP --- balancer (VIP $VIP_EP) --- workers $BACKEND_IPS
  namespaces $TB_PREFIX-*

EOF

# The operator's way: ip link attaches, siplbd adopts.
for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
	echo "  # ip link set dev $dev xdp obj siplb.bpf.o sec xdp"
	nsenter --net="/run/netns/$TB_NS_LB" \
		ip link set dev "$dev" xdp obj "$BPF_OBJ" sec xdp ||
		die "ip link could not attach $BPF_OBJ to $dev"
done
# shellcheck disable=SC2086 # lists of device names
wait_links_up "$TB_NS_LB" $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" \
	"$PHONES" phone
phones_conf "$LIB_WORK/siplb.conf" "$REALM" users.htdigest
# No interface directive: siplbd adopts what ip link attached.
sed -i '/^interface /d' "$LIB_WORK/siplb.conf"
echo "  # siplbd -c siplb.conf"
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"
echo "  # siplb-worker -l BACKEND:5060 -r $VIP_EP -k rr.key -u users.htdigest (x3)"
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"
echo
lb_ctl backends | sed 's/^/  /'
echo

# 1. Registration: phones 1..HALF answer on port 5072, the others on 5073.
register_range() {	# PORT FIRST LAST
	local csv=$LIB_WORK/reg-$1.csv i
	echo SEQUENTIAL >"$csv"
	for i in $(seq "$2" "$3"); do
		printf '%s;%s;3600\n' "$(sed -n "${i}p" "$LIB_WORK/users.list")" \
			"$DOMAIN" >>"$csv"
	done
	phones_register "$1" "$csv"
}
log "$PHONES phones register with digest authentication"
reg_rc=0
register_range 5072 1 "$HALF" || reg_rc=$?
register_range 5073 $((HALF + 1)) "$PHONES" || reg_rc=$?

# 2. Calls both ways.
phone() { sed -n "${1}p" "$LIB_WORK/users.list" | cut -d';' -f1; }
echo SEQUENTIAL >"$LIB_WORK/a-to-b.csv"
echo SEQUENTIAL >"$LIB_WORK/b-to-a.csv"
for i in $(seq 1 "$HALF"); do
	printf '%s;%s;%s\n' "$(phone "$i")" "$(phone $((i + HALF)))" \
		"$DOMAIN" >>"$LIB_WORK/a-to-b.csv"
	printf '%s;%s;%s\n' "$(phone $((i + HALF)))" "$(phone "$i")" \
		"$DOMAIN" >>"$LIB_WORK/b-to-a.csv"
done
log "$CALLS calls, $EACH_WAY each way, at $RATE calls/s each way"
uas_a="" uas_b="" uac_ab="" uac_ba=""
phones_answer uas_a "$CALLS_XML/uas_answer.xml" 5072 "$EACH_WAY"
phones_answer uas_b "$CALLS_XML/uas_answer_bye.xml" 5073 "$EACH_WAY"
phones_call uac_ab "$CALLS_XML/uac_callee_bye.xml" 5071 \
	"$LIB_WORK/a-to-b.csv" "$EACH_WAY" "$RATE"
phones_call uac_ba "$CALLS_XML/uac_caller_bye.xml" 5074 \
	"$LIB_WORK/b-to-a.csv" "$EACH_WAY" "$RATE"
calls_rc=0
sipp_wait "$uac_ab" || calls_rc=$?
sipp_wait "$uac_ba" || calls_rc=$?
lib_stop "$uas_a" NONE 15 || calls_rc=1
lib_stop "$uas_b" NONE 15 || calls_rc=1
sleep 1.2	# the workers publish their counters once a second

# 3. The report.
lb_ctl -S "$LIB_WORK/siplbd.sock" -j stats >"$LIB_WORK/stats.json"
read -r created_ab ok_ab failed_ab <<<"$(sipp_counts "$LIB_WORK/uac-5071.csv")"
read -r created_ba ok_ba failed_ba <<<"$(sipp_counts "$LIB_WORK/uac-5074.csv")"
echo
echo "Registrations (the 401s from XDP, SIP cookies; the rest siplbd's registrar):"
python3 - "$LIB_WORK/stats.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
r = s.get('daemon', {}).get('registrar', {})
print('  %d challenged in XDP (cookie_401)' % s.get('counters', {}).get('cookie_401', 0))
print('  %d REGISTERs reached siplbd: %d challenged there (401), %d answered '
      '200, %d failed auth' % (r.get('requests', 0), r.get('challenged', 0),
                               r.get('ok', 0), r.get('auth_failed', 0)))
EOF
echo
echo "Calls (sipp's counts):"
printf '  %-46s %9s %9s %7s\n' "" attempted completed failed
printf '  %-46s %9s %9s %7s\n' "phones 1-$HALF call the others (callee hangs up)" \
	"$created_ab" "$ok_ab" "$failed_ab"
printf '  %-46s %9s %9s %7s\n' "the others call back (caller hangs up)" \
	"$created_ba" "$ok_ba" "$failed_ba"
echo
echo "Messages per worker (siplbctl workers):"
lb_ctl workers | sed 's/^/  /'
echo
echo "Bindings (bpftool map dump pinned $GLOBALS/siplb_location), the first"
echo "(bpftool prints the address and port as stored, in network byte order):"
bpftool map dump pinned "$GLOBALS/siplb_location" >"$LIB_WORK/location.txt" ||
	die "bpftool could not dump the location map"
# The first entry: up to the line that closes it ("},{").
awk '/^ *},{/ { print "  }]"; exit } { print "  " $0 }' "$LIB_WORK/location.txt"
echo
echo "The same bindings as siplbctl shows them (the first three):"
lb_ctl bindings >"$LIB_WORK/bindings.txt"
head -n 4 "$LIB_WORK/bindings.txt" | sed 's/^/  /'
echo "  ... $(tail -n 1 "$LIB_WORK/bindings.txt")"
echo
echo "XDP counters (siplbctl stats):"
stats_json
stats_report nonzero
echo
if [ "$reg_rc" -ne 0 ] || [ "$calls_rc" -ne 0 ] || [ "$failed_ab" != 0 ] ||
	[ "$failed_ba" != 0 ]; then
	log "some registrations or calls failed (SIPLB_KEEP_LOGS=1 keeps the logs)"
	exit 1
fi
log "done; removing the testbed"
