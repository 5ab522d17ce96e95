#!/bin/bash
# s1_steer.sh - scenario 1 of scripts/bench/run.sh: calls through the
# balancer to sipp UAS backends. Three paths, same testbed, same rates:
#
#   none      the UAC calls backend 1 directly, routed by the kernel of the
#             balancer namespace (no balancer in the path: the baseline)
#   kamailio  Kamailio 5.6, scripts/bench/kamailio/dispatcher.cfg (stateless
#             dispatcher, Call-ID hash, record_route, BENCH_KAM_CHILDREN
#             UDP workers) on the VIP
#   siplb     siplb's XDP program on the balancer's veths (siplbctl attach,
#             VIP and backends added with siplbctl), no daemon
#
# Each step offers RATE calls/s of sipp's built-in uac
# (scripts/bench/sipp/uac.xml) to sipp UASes (scripts/bench/sipp/uas.xml,
# the built-in one without 180): INVITE, 200, ACK, BYE, 200, 5 SIP
# messages a call through the balancer, for BENCH_SECS seconds. At each
# rate the three paths take turns (siplb's program is attached for its
# step only). Per step a row of $BENCH_OUT/s1_steer.tsv: sipp's counts,
# the balancer's own CPU (Kamailio: all its processes; siplb: the XDP
# programs' run_time_ns), and the whole test's
# CPU (every process of the testbed, the UAC included, and ksoftirqd;
# Kamailio idles in it while the other paths run). A path sits out the
# higher rates after a step with failed calls.
# Knobs: BENCH_CALL_RATES ("1000 2000 4000 6000 8000"), BENCH_SECS (10),
# BENCH_BACKENDS (2), BENCH_KAM_CHILDREN (2).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/bench/common.sh
. "$ROOT/scripts/bench/common.sh"

RATES=${BENCH_CALL_RATES:-1000 2000 4000 6000 8000}
BACKENDS=${BENCH_BACKENDS:-2}
CHILDREN=${BENCH_KAM_CHILDREN:-2}

bench_init s1_steer "path rate secs created ok failed retrans elapsed rtt_ms lb_cpu_s xdp_ns xdp_runs all_cpu_s uac_cpu_s lb_procs"
tb_up "$BACKENDS"
log "testbed $TB_PREFIX: VIP $VIP_EP, backends $BACKEND_IPS"
uas_plain_start

# xdp_on / xdp_off: siplb's program on the balancer's veths, or none (the
# maps stay pinned: VIP, backends and affinity survive a detach). With
# the program attached, every datagram from a backend leaves with the VIP
# as its source, so the other paths run with it detached.
xdp_on() {
	local dev
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		lb_ctl attach "$dev" >>"$LIB_WORK/attach.log" 2>&1 ||
			die "siplbctl attach $dev failed: $(tail -n 3 "$LIB_WORK/attach.log")"
	done
	# shellcheck disable=SC2086 # device lists
	wait_links_up "$TB_NS_LB" $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS
	# shellcheck disable=SC2086
	XDP_IDS=$(xdp_ids $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS)
	[ -n "$XDP_IDS" ] || die "no XDP program on the balancer after siplbctl attach"
	sleep 0.5
}

xdp_off() {
	local dev
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		lb_ctl detach "$dev" >>"$LIB_WORK/attach.log" 2>&1 ||
			die "siplbctl detach $dev failed: $(tail -n 3 "$LIB_WORK/attach.log")"
	done
	# shellcheck disable=SC2086 # device lists
	wait_links_up "$TB_NS_LB" $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS
	XDP_IDS=""
	sleep 0.5
}

# step PATH TARGET RATE: one step, one row; FAILED is set to its failures.
step() {
	local path=$1 target=$2 rate=$3 calls res x0 x1 lbcpu allcpu uaccpu procs
	calls=$((rate * BENCH_SECS))
	procs=0
	[ "$path" = kamailio ] && procs=$(kam_procs)
	snap "$LIB_WORK/a.snap"
	# shellcheck disable=SC2086 # list of ids
	x0=$(xdp_stat $XDP_IDS)
	res=$(sipp_step "$path-$rate" "$calls" "$rate" \
		-sf "$BENCH_DIR/sipp/uac.xml" "$target" \
		-i "$CLIENT_IP" -p 5070)
	# shellcheck disable=SC2086
	x1=$(xdp_stat $XDP_IDS)
	snap "$LIB_WORK/b.snap"
	read -r created ok FAILED retrans elapsed rtt <<<"$res"
	lbcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap" "comm:kamailio")
	allcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap")
	uaccpu=$(cat "$BENCH_RAW/$path-$rate.cpu")
	row "$path" "$rate" "$BENCH_SECS" "$created" "$ok" "$FAILED" \
		"$retrans" "$elapsed" "$rtt" "$lbcpu" \
		$((${x1% *} - ${x0% *})) $((${x1#* } - ${x0#* })) \
		"$(awk -v a="$allcpu" -v u="$uaccpu" 'BEGIN { printf "%.3f", a + u }')" \
		"$uaccpu" "$procs"
	log "$path $rate/s: created $created ok $ok failed $FAILED, retrans $retrans, Kamailio CPU ${lbcpu}s, XDP $(( (${x1% *} - ${x0% *}) / 1000000 )) ms"
	# An overloaded step leaves the UASes retransmitting 200s for half a
	# minute, into the next steps: start them afresh.
	if [ "$FAILED" -gt 0 ] || [ "$retrans" -gt 0 ]; then
		uas_stop
		uas_plain_start
	fi
}

# Kamailio's dispatcher on the VIP the whole time: it gets the VIP's
# traffic whenever siplb's program is detached.
for ip in $BACKEND_IPS; do
	printf '1 sip:%s\n' "$(ep "$ip" "$TB_SIP_PORT")"
done >"$LIB_WORK/dispatcher.list"
kam_start "$BENCH_DIR/kamailio/dispatcher.cfg" \
	LISTEN="udp:$VIP_EP" DSLIST="$LIB_WORK/dispatcher.list" CHILDREN="$CHILDREN"
# siplb: VIP and backends in the pinned maps, then detached until needed.
lb_setup
ip -n "$TB_NS_LB" -d link show dev "$TB_LB_CLIENT_DEV" | grep -o 'xdp[a-z]*' |
	head -n 1 >"$BENCH_RAW/xdp-mode.txt"
xdp_off

# The paths take turns at each rate, so that whatever else the machine
# does at the time weighs on all three alike. A path that failed calls
# sits out the higher rates.
DIRECT=$(ep "$(nth 1 "$BACKEND_IPS")" "$TB_SIP_PORT")
ACTIVE="none kamailio siplb"
for rate in $RATES; do
	next=""
	for path in $ACTIVE; do
		case $path in
		none) step none "$DIRECT" "$rate" ;;
		kamailio) step kamailio "$VIP_EP" "$rate" ;;
		siplb)
			xdp_on
			step siplb "$VIP_EP" "$rate"
			lb_ctl -j stats >"$BENCH_RAW/siplb-stats-$rate.json" 2>/dev/null || true
			xdp_off
			;;
		esac
		[ "$FAILED" -gt 0 ] || next="$next $path"
	done
	ACTIVE=$next
	[ -n "$ACTIVE" ] || break
done
# Profiles, one more step per path at BENCH_PROFILE_RATE, not in the
# table: Kamailio's processes; the whole machine while siplb steers,
# reported for sipp and ksoftirqd (the XDP program runs in softirq, in
# whatever task the packet found; samples in the idle task are left out).
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
	prate=${BENCH_PROFILE_RATE:-2000}
	profile_start s1-kamailio "$BENCH_SECS" -p "$(profile_pids "$TB_NS_LB" kamailio)"
	sipp_step "profile-kamailio" $((prate * BENCH_SECS)) "$prate" \
		-sf "$BENCH_DIR/sipp/uac.xml" "$VIP_EP" -i "$CLIENT_IP" -p 5070 >/dev/null
	profile_finish s1-kamailio dso,sym
	xdp_on
	profile_start s1-siplb "$BENCH_SECS" -a
	sipp_step "profile-siplb" $((prate * BENCH_SECS)) "$prate" \
		-sf "$BENCH_DIR/sipp/uac.xml" "$VIP_EP" -i "$CLIENT_IP" -p 5070 >/dev/null
	profile_finish s1-siplb sym --comms sipp,ksoftirqd/0,ksoftirqd/1 \
		--percentage relative
	xdp_off
fi
kam_stop
uas_stop
log "done: $BENCH_ROWS"
