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
# messages a call through the balancer, for
# BENCH_SECS seconds. Per step a row of $BENCH_OUT/s1_steer.tsv: sipp's
# counts, the balancer's own CPU (Kamailio: every process in the balancer
# namespace; siplb: the XDP programs' run_time_ns), and the whole test's
# CPU (every process of the testbed, the UAC included, and ksoftirqd).
# A path's sweep stops after a step with failed calls. The UASes are
# restarted between paths: an overloaded step leaves them retransmitting
# 200s for half a minute, which would land in the next path's steps.
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

# sweep PATH TARGET: every rate against TARGET; XDP ids from $XDP_IDS.
sweep() {
	local path=$1 target=$2 rate calls res s0 s1 x0 x1 lbcpu allcpu uaccpu procs
	for rate in $RATES; do
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
		read -r created ok failed retrans elapsed rtt <<<"$res"
		lbcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap" "$TB_NS_LB")
		allcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap")
		uaccpu=$(cat "$BENCH_RAW/$path-$rate.cpu")
		row "$path" "$rate" "$BENCH_SECS" "$created" "$ok" "$failed" \
			"$retrans" "$elapsed" "$rtt" "$lbcpu" \
			$((${x1% *} - ${x0% *})) $((${x1#* } - ${x0#* })) \
			"$(awk -v a="$allcpu" -v u="$uaccpu" 'BEGIN { printf "%.3f", a + u }')" \
			"$uaccpu" "$procs"
		log "$path $rate/s: created $created ok $failed failed, retrans $retrans, balancer CPU ${lbcpu}s, XDP $(( (${x1% *} - ${x0% *}) / 1000000 )) ms"
		[ "$failed" -eq 0 ] || break
	done
}

# 1. No balancer: straight to backend 1 through the kernel's forwarding.
XDP_IDS=""
sweep none "$(ep "$(nth 1 "$BACKEND_IPS")" "$TB_SIP_PORT")"

uas_stop
uas_plain_start

# 2. Kamailio's dispatcher on the VIP.
printf '1 sip:%s\n' $(for ip in $BACKEND_IPS; do ep "$ip" "$TB_SIP_PORT"; done) \
	>"$LIB_WORK/dispatcher.list"
kam_start "$BENCH_DIR/kamailio/dispatcher.cfg" \
	LISTEN="udp:$VIP_EP" DSLIST="$LIB_WORK/dispatcher.list" CHILDREN="$CHILDREN"
sweep kamailio "$VIP_EP"
kam_stop
uas_stop
uas_plain_start

# 3. siplb's XDP program.
lb_setup
# shellcheck disable=SC2086 # device lists
XDP_IDS=$(xdp_ids $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS)
[ -n "$XDP_IDS" ] || die "no XDP program on the balancer after siplbctl attach"
grep -i -m1 'mode' "$LIB_WORK/attach.log" >"$BENCH_RAW/xdp-mode.txt" 2>/dev/null || true
ip -n "$TB_NS_LB" -d link show dev "$TB_LB_CLIENT_DEV" | grep -o 'xdp[a-z]*' | head -n 1 >>"$BENCH_RAW/xdp-mode.txt"
sweep siplb "$VIP_EP"
lb_ctl -j stats >"$BENCH_RAW/siplb-stats.json" 2>/dev/null || true
uas_stop
log "done: $BENCH_ROWS"
