#!/bin/bash
# s2_pps.sh - scenario 2 of scripts/bench/run.sh: replayed SIP messages
# through the balancer at packet rates, against the XDP_TX ceiling of the
# same veth path, measured in the same run.
#
# The generator (build/bench/pps_gen: BPF_PROG_TEST_RUN with
# BPF_F_TEST_XDP_LIVE_FRAMES on the client's veth, one thread per CPU)
# replays an INVITE to the VIP, each frame with a Call-ID from a pool of
# BENCH_PPS_CALLIDS distinct values, for BENCH_PPS_SECS seconds. Three
# phases, each counting what reaches its far end with an XDP_DROP program
# (pps_sink.bpf.o; its bpf_stats run_cnt is the count):
#
#   generator  a sink on the balancer's client-facing veth: what the
#              generator offers when the far end does nothing
#   xdp_tx     bench_floor.bpf.o (parse, swap addresses, XDP_TX) on the
#              balancer's veth, the sink back on the client's veth: the
#              cheapest XDP forwarder on this path
#   siplb      siplb's XDP program (siplbctl attach, VIP, backends), sinks
#              on every backend's veth
#
# Rows in $BENCH_OUT/s2_pps.tsv. Kamailio is not run here: a user-space
# proxy at these rates only drops; its message rate is scenario 1's.
# The phases take turns, BENCH_PPS_ROUNDS times.
# Knobs: BENCH_PPS_SECS (5), BENCH_PPS_ROUNDS (3), BENCH_PPS_CALLIDS
# (65536), BENCH_PPS_THREADS (one per CPU), BENCH_BACKENDS (2).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/bench/common.sh
. "$ROOT/scripts/bench/common.sh"

SECS=${BENCH_PPS_SECS:-5}
CALLIDS=${BENCH_PPS_CALLIDS:-65536}
THREADS=${BENCH_PPS_THREADS:-$(nproc)}
ROUNDS=${BENCH_PPS_ROUNDS:-3}
BACKENDS=${BENCH_BACKENDS:-2}
GEN=$ROOT/build/bench/pps_gen
FLOOR=$ROOT/build/bench/bench_floor.bpf.o
OBJDIR=$ROOT/build/bench

bench_init s2_pps "phase mode secs offered delivered xdp_ns xdp_runs"
# The generator's and the sink's programs are built with the rest of the
# benchmarks (make bench-build, which run.sh runs).
for f in "$GEN" "$OBJDIR/pps_gen.bpf.o" "$OBJDIR/pps_sink.bpf.o" "$FLOOR"; do
	[ -e "$f" ] || die "$f not found: run 'make bench-build' first"
done
SINK=$OBJDIR/pps_sink.bpf.o

tb_up "$BACKENDS"
log "testbed $TB_PREFIX: VIP $VIP_EP, backends $BACKEND_IPS"

# xdp_set NS DEV OBJ|off: replace the XDP program on a device (native).
xdp_set() {
	if [ "$3" = off ]; then
		ip -n "$1" link set dev "$2" xdp off
	else
		ip -n "$1" -force link set dev "$2" xdpdrv obj "$3" sec xdp
	fi || die "cannot set XDP $3 on $1/$2"
}

# prog_on NS DEV: id of the XDP program on a device.
prog_on() {
	ip -n "$1" -j -d link show dev "$2" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])'
}

# runs ID...: the summed run_cnt of programs.
runs() {
	local s
	s=$(xdp_stat "$@")
	echo "${s#* }"
}

# phase NAME MODE SINK_IDS BALANCER_IDS: run the generator and write a row.
phase() {
	local name=$1 mode=$2 sinks=$3 lbids=$4 r0 r1 x0 x1 out
	# shellcheck disable=SC2086 # id lists
	r0=$(runs $sinks)
	# shellcheck disable=SC2086
	x0=$(xdp_stat $lbids)
	out=$(ip netns exec "$TB_NS_CLIENT" "$GEN" --obj "$OBJDIR/pps_gen.bpf.o" \
		--dev "$TB_CLIENT_DEV" --dmac "$LB_MAC" --src "$CLIENT_IP" \
		--dst "$VIP" --dport "$TB_SIP_PORT" --secs "$SECS" \
		--callids "$CALLIDS" --threads "$THREADS" 2>"$BENCH_RAW/$name.err") ||
		die "generator failed in phase $name: $(cat "$BENCH_RAW/$name.err")"
	# shellcheck disable=SC2086
	r1=$(runs $sinks)
	# shellcheck disable=SC2086
	x1=$(xdp_stat $lbids)
	echo "$out" >"$BENCH_RAW/$name.out"
	# "offered N secs S frame L"
	# shellcheck disable=SC2086 # split the words
	set -- $out
	row "$name" "$mode" "$4" "$2" $((r1 - r0)) \
		$((${x1% *} - ${x0% *})) $((${x1#* } - ${x0#* }))
	log "$name: offered $2 in $4 s, delivered $((r1 - r0))"
}

LB_MAC=$(ip -n "$TB_NS_LB" -j link show dev "$TB_LB_CLIENT_DEV" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["address"])')

# The three phases take turns, BENCH_PPS_ROUNDS times: what else runs on
# the machine weighs on them alike, and the report takes medians.
# siplb's VIP and backends go into the pinned maps once; its program is
# attached for its phase only (siplbctl attach/detach).
lb_setup
MODE=$(ip -n "$TB_NS_LB" -d link show dev "$TB_LB_CLIENT_DEV" | grep -o 'xdp[a-z]*' | head -n 1)
case $MODE in xdpgeneric) MODE=generic ;; *) MODE=native ;; esac
lb_off() {
	local dev
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		lb_ctl detach "$dev" >>"$LIB_WORK/attach.log" 2>&1 ||
			die "siplbctl detach $dev failed"
	done
}
lb_on() {
	local dev
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		lb_ctl attach "$dev" >>"$LIB_WORK/attach.log" 2>&1 ||
			die "siplbctl attach $dev failed: $(tail -n 3 "$LIB_WORK/attach.log")"
	done
	# shellcheck disable=SC2086 # device lists
	wait_links_up "$TB_NS_LB" $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS
}
lb_off
# Sinks on every backend for siplb's phase (they see nothing otherwise).
for ns in $TB_NS_BACKENDS; do
	xdp_set "$ns" "$TB_BACKEND_DEV" "$SINK"
done
SINKS=""
for ns in $TB_NS_BACKENDS; do
	SINKS="$SINKS $(prog_on "$ns" "$TB_BACKEND_DEV")"
done
xdp_set "$TB_NS_CLIENT" "$TB_CLIENT_DEV" "$SINK"
for round in $(seq 1 "$ROUNDS"); do
	# 1. The generator's ceiling: the balancer's veth drops everything.
	xdp_set "$TB_NS_LB" "$TB_LB_CLIENT_DEV" "$SINK"
	phase generator native "$(prog_on "$TB_NS_LB" "$TB_LB_CLIENT_DEV")" ""
	# 2. The XDP_TX ceiling of the path: bounce, counted back at the
	# client.
	xdp_set "$TB_NS_LB" "$TB_LB_CLIENT_DEV" "$FLOOR"
	phase xdp_tx native "$(prog_on "$TB_NS_CLIENT" "$TB_CLIENT_DEV")" \
		"$(prog_on "$TB_NS_LB" "$TB_LB_CLIENT_DEV")"
	# 3. siplb, steering to the backends, which drop.
	xdp_set "$TB_NS_LB" "$TB_LB_CLIENT_DEV" off
	lb_on
	# shellcheck disable=SC2086 # device list
	phase siplb "$MODE" "$SINKS" "$(xdp_ids $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS)"
	lb_ctl -j stats >"$BENCH_RAW/siplb-stats-$round.json" 2>/dev/null || true
	lb_off
	log "round $round of $ROUNDS done"
done
log "done: $BENCH_ROWS"
