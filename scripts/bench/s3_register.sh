#!/bin/bash
# s3_register.sh - scenario 3 of scripts/bench/run.sh: registrations with
# digest authentication, Kamailio's registrar + auth against siplbd,
# the same sipp scenario (tests/e2e/sipp/register_auth.xml: REGISTER ->
# 401 -> REGISTER with Authorization -> 200) for the same BENCH_USERS
# users, taken in turn, on the same testbed:
#
#   kamailio  scripts/bench/kamailio/registrar.cfg: pv_auth_check against
#             the users' HA1s in an htable (loaded from db_text), save
#             ("location") in memory, BENCH_KAM_CHILDREN UDP workers
#   siplbd    siplbd with XDP on the balancer's veths, a users file of the
#             same users (MD5 and SHA-256 HA1s; it offers MD5 first, the
#             one sipp 3.6 answers), the location map pinned
#
#   siplbd-cluster  (BENCH_S3_CLUSTER=1) a second siplbd with a cluster
#             block, on a third address: every REGISTER decided by the
#             script in a real redis-server started here (persistence as
#             docs/ARCHITECTURE.md says: AOF, fsync every second), and
#             siplb-mirror writing Redis's bindings into its pinned maps;
#             its XDP program sits on an idle veth of its own (the first
#             siplbd's program passes its datagrams up untouched)
#
# All run the whole time (Kamailio and the cluster node on addresses of
# their own) and take turns at each rate. Per step a row of
# $BENCH_OUT/s3_register.tsv: sipp's counts, the registrar's CPU (all
# Kamailio processes, or that siplbd), for siplbd-cluster also
# redis-server's and siplb-mirror's, and the whole test's CPU (the
# testbed's processes, every registrar included, the sipp client,
# ksoftirqd). A registrar sits out the higher rates after a step with
# failures.
# Knobs: BENCH_REG_RATES ("2000 4000 8000 12000 16000"), BENCH_SECS (10),
# BENCH_USERS (10000), BENCH_KAM_CHILDREN (2), BENCH_S3_CLUSTER (0; 1 adds
# siplbd-cluster, needs redis-server).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/bench/common.sh
. "$ROOT/scripts/bench/common.sh"

RATES=${BENCH_REG_RATES:-2000 4000 8000 12000 16000}
NUSERS=${BENCH_USERS:-10000}
CHILDREN=${BENCH_KAM_CHILDREN:-2}
REALM=example.com
REG_XML=$ROOT/tests/e2e/sipp/register_auth.xml

CLUSTER=${BENCH_S3_CLUSTER:-0}
CLU_PID=""	# s3_cluster.sh: the cluster node's siplbd
bench_init s3_register "registrar rate secs created ok failed retrans elapsed rtt_ms lb_cpu_s all_cpu_s uac_cpu_s lb_procs redis_cpu_s mirror_cpu_s xdp_ns"
tb_up 1
log "testbed $TB_PREFIX: VIP $VIP_EP, $NUSERS users"

users_all "$LIB_WORK" "$REALM" "$NUSERS" user

# Kamailio listens on a second address of the balancer, KAM_IP, so that
# both registrars run the whole time and take turns at each rate (siplbd
# owns the VIP; its XDP program passes Kamailio's datagrams up untouched,
# at ~0.1 us each).
KAM_IP=10.99.0.11
KAM_EP=$(ep "$KAM_IP" "$TB_SIP_PORT")
ip -n "$TB_NS_LB" addr add "$KAM_IP/32" dev lo ||
	die "cannot add $KAM_IP to the balancer"

# warmup NAME TARGET: the path works (and the users are known) first.
warmup() {
	local res ok
	res=$(sipp_step "$1-warmup" 200 200 "$2" -sf "$REG_XML" \
		-inf "$LIB_WORK/users.csv" -i "$CLIENT_IP" -p 5070)
	read -r _ ok _ <<<"$res"
	[ "$ok" = 200 ] || die "$1 warm-up: $ok of 200 registrations succeeded: $(tail -c 600 "$BENCH_RAW/$1-warmup.err" 2>/dev/null)"
}

# who NAME: the registrar's processes for cpu_between: Kamailio's by
# name, each siplbd by its PID (two run at once with the cluster).
who() {
	case $1 in
	kamailio) echo comm:kamailio ;;
	siplbd) echo "pid:$SIPLBD_PID" ;;
	siplbd-cluster) echo "pid:$CLU_PID" ;;
	esac
}

# step NAME TARGET RATE: one step, one row; FAILED is set to its failures.
# xdp_ns: the run time of the XDP program on the client-facing veth (the
# tail-called challenge program's included), which answers siplbd's 401s:
# part of siplb's cost per registration (report.py adds it to siplbd's).
step() {
	local name=$1 target=$2 rate=$3 calls res lbcpu allcpu uaccpu procs
	local rcpu=- mcpu=- x0 x1
	calls=$((rate * BENCH_SECS))
	procs=$(ip netns pids "$TB_NS_LB" | while read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$name" ] && echo "$p"
	done | wc -l)
	[ "$name" = kamailio ] || procs=1
	snap "$LIB_WORK/a.snap"
	# shellcheck disable=SC2086 # list of ids
	x0=$(xdp_stat $XDP_IDS)
	res=$(sipp_step "$name-$rate" "$calls" "$rate" "$target" \
		-sf "$REG_XML" -inf "$LIB_WORK/users.csv" \
		-i "$CLIENT_IP" -p 5070)
	# shellcheck disable=SC2086
	x1=$(xdp_stat $XDP_IDS)
	snap "$LIB_WORK/b.snap"
	read -r created ok FAILED retrans elapsed rtt <<<"$res"
	lbcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap" "$(who "$name")")
	if [ "$name" = siplbd-cluster ]; then
		rcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap" comm:redis-server)
		mcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap" comm:siplb-mirror)
	fi
	allcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap")
	uaccpu=$(cat "$BENCH_RAW/$name-$rate.cpu")
	row "$name" "$rate" "$BENCH_SECS" "$created" "$ok" "$FAILED" \
		"$retrans" "$elapsed" "$rtt" "$lbcpu" \
		"$(awk -v a="$allcpu" -v u="$uaccpu" 'BEGIN { printf "%.3f", a + u }')" \
		"$uaccpu" "$procs" "$rcpu" "$mcpu" $((${x1% *} - ${x0% *}))
	log "$name $rate/s: created $created ok $ok failed $FAILED, retrans $retrans, registrar CPU ${lbcpu}s${rcpu#-}${mcpu#-}, XDP $(( (${x1% *} - ${x0% *}) / 1000000 )) ms"
}

# registrar_conf VIP-EP SOCKET: what both siplbd configurations share.
registrar_conf() {
	cat <<EOC
control-socket $2
realm $REALM
users $LIB_WORK/users.htdigest
vip $1 {
	backend $(ep "$(nth 1 "$BACKEND_IPS")" "$TB_SIP_PORT")
}
registrar {
	default-expires 3600
	min-expires 60
	max-expires 7200
	max-contacts 10
	max-bindings 1000000
}
auth {
	nonce-lifetime 300
	# sipp 3.6 reads only the first challenge and knows only MD5.
	algorithms MD5 SHA-256
}
EOC
}

# 1. siplbd on the VIP.
CONF=$LIB_WORK/siplb.conf
{
	echo "pin-dir $TB_PINDIR"
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		echo "interface $dev"
	done
	echo "xdp-mode auto"
	registrar_conf "$VIP_EP" "$LIB_WORK/siplbd.sock"
} >"$CONF"
siplbd_check "$CONF" || die "siplbd -n refuses $CONF: $(cat "$LIB_WORK/siplbd-n.out")"
siplbd_start "$CONF" || die "siplbd did not start"
XDP_IDS=$(xdp_ids "$TB_LB_CLIENT_DEV")
[ "$CLUSTER" = 1 ] && . "$ROOT/scripts/bench/s3_cluster.sh"

# 2. Kamailio on KAM_IP.
kam_start "$BENCH_DIR/kamailio/registrar.cfg" LISTEN="udp:$KAM_EP" \
	DBURL="text://$LIB_WORK/kamdb" REALM="$REALM" CHILDREN="$CHILDREN"

# target NAME: where that registrar listens.
target() {
	case $1 in
	kamailio) echo "$KAM_EP" ;;
	siplbd) echo "$VIP_EP" ;;
	siplbd-cluster) echo "$CLU_EP" ;;
	esac
}

ACTIVE="kamailio siplbd"
[ "$CLUSTER" = 1 ] && ACTIVE="$ACTIVE siplbd-cluster"
for name in $ACTIVE; do
	warmup "$name" "$(target "$name")"
done
# Turns at each rate; a registrar that failed sits out the higher rates.
for rate in $RATES; do
	next=""
	for name in $ACTIVE; do
		step "$name" "$(target "$name")" "$rate"
		[ "$FAILED" -gt 0 ] || next="$next $name"
		# Let the retransmissions of an overloaded step die out.
		[ "$FAILED" -eq 0 ] || sleep 5
	done
	ACTIVE=$next
	[ -n "$ACTIVE" ] || break
done
# Profiles of both registrars, one more step each at BENCH_PROFILE_REG_RATE.
if [ "${BENCH_PROFILE:-0}" = 1 ]; then
	prate=${BENCH_PROFILE_REG_RATE:-4000}
	profile_start s3-kamailio "$BENCH_SECS" -p "$(profile_pids "$TB_NS_LB" kamailio)"
	sipp_step profile-kamailio $((prate * BENCH_SECS)) "$prate" "$KAM_EP" \
		-sf "$REG_XML" -inf "$LIB_WORK/users.csv" -i "$CLIENT_IP" -p 5070 >/dev/null
	profile_finish s3-kamailio dso,sym
	profile_start s3-siplbd "$BENCH_SECS" -p "$SIPLBD_PID"
	sipp_step profile-siplbd $((prate * BENCH_SECS)) "$prate" "$VIP_EP" \
		-sf "$REG_XML" -inf "$LIB_WORK/users.csv" -i "$CLIENT_IP" -p 5070 >/dev/null
	profile_finish s3-siplbd dso,sym
	if [ "$CLUSTER" = 1 ]; then
		profile_start s3-siplbd-cluster "$BENCH_SECS" -p "$CLU_PID"
		sipp_step profile-siplbd-cluster $((prate * BENCH_SECS)) "$prate" \
			"$CLU_EP" -sf "$REG_XML" -inf "$LIB_WORK/users.csv" \
			-i "$CLIENT_IP" -p 5070 >/dev/null
		profile_finish s3-siplbd-cluster dso,sym
	fi
fi
cp "$SIPLBD_LOG" "$BENCH_RAW/siplbd.log" 2>/dev/null || true
[ "$CLUSTER" = 1 ] && cluster_stop
siplbd_stop || true
kam_stop
log "done: $BENCH_ROWS"
