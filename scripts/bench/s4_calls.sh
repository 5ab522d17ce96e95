#!/bin/bash
# s4_calls.sh - scenario 4 of scripts/bench/run.sh: calls end to end to
# registered phones, through
#
#   kamailio  Kamailio 5.6 as a stateful proxy and registrar on the VIP
#             (scripts/bench/kamailio/proxy.cfg: REGISTER with digest auth,
#             INVITE by lookup("location"), record_route, t_relay)
#   siplb     siplbd (registrar, XDP on the balancer's veths) and one
#             siplb-worker per backend (as tests/e2e/calls.sh sets it up), the
#             XDP program steering each call to a worker by its Call-ID
#
# The same phones both times: BENCH_S4_PHONES users register with digest
# auth (tests/e2e/sipp/register_auth.xml), all to one sipp callee
# (scripts/bench/sipp/callee.xml) in the client namespace; then one sipp
# caller (scripts/bench/sipp/caller.xml) calls them in turn at each rate,
# ACK and BYE following the Record-Route. Per step a row of
# $BENCH_OUT/s4_calls.tsv: the proxy's CPU (Kamailio: its processes;
# siplb: siplbd, the workers, and the XDP programs' run time) and the whole
# test's. A sweep stops after a step with failed calls.
# Knobs: BENCH_S4_RATES ("500 1000 2000 4000"), BENCH_S4_PHONES (100),
# BENCH_SECS (10), BENCH_BACKENDS (2), BENCH_KAM_CHILDREN (2),
# BENCH_WORKER_ARGS (more siplb-worker options, e.g. "-t 262144").
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/bench/common.sh
. "$ROOT/scripts/bench/common.sh"

RATES=${BENCH_S4_RATES:-500 1000 2000 4000}
PHONES=${BENCH_S4_PHONES:-100}
BACKENDS=${BENCH_BACKENDS:-2}
CHILDREN=${BENCH_KAM_CHILDREN:-2}
WORKER=$ROOT/build/siplb-worker
# More siplb-worker options, e.g. "-t 262144" (its transaction table).
WORKER_ARGS=${BENCH_WORKER_ARGS:-}
REALM=example.com
REG_XML=$ROOT/tests/e2e/sipp/register_auth.xml
CALLEE_PORT=5072

bench_init s4_calls "path rate secs created ok failed retrans elapsed rtt_ms lb_cpu_s xdp_ns xdp_runs all_cpu_s uac_cpu_s lb_procs"
[ -x "$WORKER" ] || die "$WORKER not found: run 'make' first"
tb_up "$BACKENDS"
log "testbed $TB_PREFIX: VIP $VIP_EP, backends $BACKEND_IPS, $PHONES phones"
users_all "$LIB_WORK" "$REALM" "$PHONES" phone
# The caller's list: the phones' AORs, in turn.
awk -F';' 'NR == 1 { print; next } { print $1 ";" $3 }' "$LIB_WORK/users.csv" \
	>"$LIB_WORK/callees.csv"

CALLEE_PID=""
# phones_up: register every phone (from CALLEE_PORT, their Contact), then
# start the callee on that port.
phones_up() {
	local res ok
	res=$(sipp_step "$1-register" "$PHONES" 200 "$VIP_EP" -sf "$REG_XML" \
		-inf "$LIB_WORK/users.csv" -i "$CLIENT_IP" -p "$CALLEE_PORT")
	read -r _ ok _ <<<"$res"
	[ "$ok" = "$PHONES" ] || die "$1: $ok of $PHONES phones registered: $(tail -c 600 "$BENCH_RAW/$1-register.err" 2>/dev/null)"
	lib_bg CALLEE_PID ip netns exec "$TB_NS_CLIENT" sipp \
		-sf "$BENCH_DIR/sipp/callee.xml" -i "$CLIENT_IP" -p "$CALLEE_PORT" \
		-nostdin -buff_size 4194304 \
		>"$BENCH_RAW/$1-callee.out" 2>&1
	wait_udp_port "$TB_NS_CLIENT" "$CALLEE_PORT"
}

phones_down() {
	if [ -n "$CALLEE_PID" ]; then
		lib_stop "$CALLEE_PID" INT 5 || true
	fi
	CALLEE_PID=""
}

# sweep PATH PROXY_NS...: every rate; the proxy's CPU is that of the
# processes in PROXY_NS plus the XDP programs in $XDP_IDS.
sweep() {
	local path=$1 rate calls res lbcpu allcpu uaccpu procs x0 x1 ns n
	shift
	for rate in $RATES; do
		calls=$((rate * BENCH_SECS))
		procs=0
		for ns in "$@"; do
			n=$(ip netns pids "$ns" | wc -l)
			procs=$((procs + n))
		done
		snap "$LIB_WORK/a.snap"
		# shellcheck disable=SC2086 # list of ids
		x0=$(xdp_stat $XDP_IDS)
		res=$(sipp_step "$path-$rate" "$calls" "$rate" "$VIP_EP" \
			-sf "$BENCH_DIR/sipp/caller.xml" -inf "$LIB_WORK/callees.csv" \
			-i "$CLIENT_IP" -p 5070)
		# shellcheck disable=SC2086
		x1=$(xdp_stat $XDP_IDS)
		snap "$LIB_WORK/b.snap"
		read -r created ok failed retrans elapsed rtt <<<"$res"
		lbcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap" "$@")
		lbcpu=$(awk -v c="$lbcpu" -v x=$((${x1% *} - ${x0% *})) \
			'BEGIN { printf "%.3f", c + x / 1e9 }')
		allcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap")
		uaccpu=$(cat "$BENCH_RAW/$path-$rate.cpu")
		row "$path" "$rate" "$BENCH_SECS" "$created" "$ok" "$failed" \
			"$retrans" "$elapsed" "$rtt" "$lbcpu" \
			$((${x1% *} - ${x0% *})) $((${x1#* } - ${x0#* })) \
			"$(awk -v a="$allcpu" -v u="$uaccpu" 'BEGIN { printf "%.3f", a + u }')" \
			"$uaccpu" "$procs"
		log "$path $rate/s: created $created ok $ok failed $failed, retrans $retrans, proxy CPU ${lbcpu}s"
		[ "$failed" -eq 0 ] || break
	done
}

# 1. Kamailio: proxy and registrar on the VIP.
XDP_IDS=""
kam_start "$BENCH_DIR/kamailio/proxy.cfg" LISTEN="udp:$VIP_EP" \
	DBURL="text://$LIB_WORK/kamdb" REALM="$REALM" CHILDREN="$CHILDREN"
phones_up kamailio
sweep kamailio "$TB_NS_LB"
phones_down
kam_stop

# 2. siplb: siplbd + XDP, a worker per backend.
CONF=$LIB_WORK/siplb.conf
{
	siplbd_conf "$REALM" "$LIB_WORK/users.htdigest"
	cat <<EOC
auth {
	# sipp 3.6 reads only the first challenge and knows only MD5.
	algorithms MD5 SHA-256
}
health {
	interval 2
	timeout 1
	down-after 3
	up-after 1
}
EOC
} >"$CONF"
siplbd_start "$CONF" || die "siplbd did not start"
i=0
lib_key_file "$BENCH_RAW/rr.key"
for ns in $TB_NS_BACKENDS; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # WORKER_ARGS: options, split
	lib_bg pid nsenter --net="/run/netns/$ns" "$WORKER" \
		-l "$(ep "$(nth "$i" "$BACKEND_IPS")" "$TB_SIP_PORT")" \
		-P "$TB_PINDIR" -d "$REALM" -r "$VIP_EP" -k "$BENCH_RAW/rr.key" \
		-u "$LIB_WORK/users.htdigest" -T "$CLIENT_IP" $WORKER_ARGS \
		2>"$BENCH_RAW/worker$i.log" </dev/null
done
sleep 3	# health checks see the workers answer OPTIONS
# shellcheck disable=SC2086 # device list
XDP_IDS=$(xdp_ids $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS)
[ -n "$XDP_IDS" ] || die "no XDP program on the balancer after siplbd started"
phones_up siplb
# shellcheck disable=SC2086 # namespace list
sweep siplb "$TB_NS_LB" $TB_NS_BACKENDS
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
	# The first worker only: the others run the same code on the same load.
	prate=${BENCH_PROFILE_CALL_RATE:-2000}
	profile_start s4-worker "$BENCH_SECS" \
		-p "$(profile_pids "$(nth 1 "$TB_NS_BACKENDS")" siplb-worker)"
	sipp_step profile-siplb $((prate * BENCH_SECS)) "$prate" "$VIP_EP" \
		-sf "$BENCH_DIR/sipp/caller.xml" -inf "$LIB_WORK/callees.csv" \
		-i "$CLIENT_IP" -p 5070 >/dev/null
	profile_finish s4-worker dso,sym
fi
phones_down
cp "$SIPLBD_LOG" "$BENCH_RAW/siplbd.log" 2>/dev/null || true
log "done: $BENCH_ROWS"
