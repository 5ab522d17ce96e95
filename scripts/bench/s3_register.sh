#!/bin/bash
# s3_register.sh - scenario 3 of scripts/bench/run.sh: registrations with
# digest authentication, Kamailio's registrar + auth_db against siplbd,
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
# Per step a row of $BENCH_OUT/s3_register.tsv: sipp's counts, the
# registrar's CPU (every process in the balancer namespace: Kamailio's
# processes, or siplbd) and the whole test's CPU (the testbed's processes,
# the sipp client, ksoftirqd). A sweep stops after a step with failures.
# Knobs: BENCH_REG_RATES ("2000 4000 8000 12000 16000"), BENCH_SECS (10),
# BENCH_USERS (10000), BENCH_KAM_CHILDREN (2).
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

bench_init s3_register "registrar rate secs created ok failed retrans elapsed rtt_ms lb_cpu_s all_cpu_s uac_cpu_s lb_procs"
tb_up 1
log "testbed $TB_PREFIX: VIP $VIP_EP, $NUSERS users"

users_all "$LIB_WORK" "$REALM" "$NUSERS" user

# sweep NAME: every rate; the registrar is whatever runs in the balancer.
sweep() {
	local name=$1 rate calls res lbcpu allcpu uaccpu procs
	# Warm-up: the path works (and every user is known) before timing.
	res=$(sipp_step "$name-warmup" 200 200 "$VIP_EP" -sf "$REG_XML" \
		-inf "$LIB_WORK/users.csv" -i "$CLIENT_IP" -p 5070)
	read -r created ok failed _ <<<"$res"
	[ "$ok" = 200 ] || die "$name warm-up: $ok of 200 registrations succeeded: $(tail -c 600 "$BENCH_RAW/$name-warmup.err" 2>/dev/null)"
	for rate in $RATES; do
		calls=$((rate * BENCH_SECS))
		procs=$(ip netns pids "$TB_NS_LB" | wc -l)
		snap "$LIB_WORK/a.snap"
		res=$(sipp_step "$name-$rate" "$calls" "$rate" "$VIP_EP" \
			-sf "$REG_XML" -inf "$LIB_WORK/users.csv" \
			-i "$CLIENT_IP" -p 5070)
		snap "$LIB_WORK/b.snap"
		read -r created ok failed retrans elapsed rtt <<<"$res"
		lbcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap" "$TB_NS_LB")
		allcpu=$(cpu_between "$LIB_WORK/a.snap" "$LIB_WORK/b.snap")
		uaccpu=$(cat "$BENCH_RAW/$name-$rate.cpu")
		row "$name" "$rate" "$BENCH_SECS" "$created" "$ok" "$failed" \
			"$retrans" "$elapsed" "$rtt" "$lbcpu" \
			"$(awk -v a="$allcpu" -v u="$uaccpu" 'BEGIN { printf "%.3f", a + u }')" \
			"$uaccpu" "$procs"
		log "$name $rate/s: created $created ok $ok failed $failed, retrans $retrans, registrar CPU ${lbcpu}s"
		[ "$failed" -eq 0 ] || break
	done
}

# 1. Kamailio.
kam_start "$BENCH_DIR/kamailio/registrar.cfg" LISTEN="udp:$VIP_EP" \
	DBURL="text://$LIB_WORK/kamdb" REALM="$REALM" CHILDREN="$CHILDREN"
sweep kamailio
kam_stop

# 2. siplbd (as scripts/bench-register.sh configures it).
CONF=$LIB_WORK/siplb.conf
{
	echo "pin-dir $TB_PINDIR"
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		echo "interface $dev"
	done
	cat <<EOC
xdp-mode auto
control-socket $LIB_WORK/siplbd.sock
realm $REALM
users $LIB_WORK/users.htdigest
vip $VIP_EP {
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
} >"$CONF"
siplbd_check "$CONF" || die "siplbd -n refuses $CONF: $(cat "$LIB_WORK/siplbd-n.out")"
siplbd_start "$CONF" || die "siplbd did not start"
sweep siplbd
cp "$SIPLBD_LOG" "$BENCH_RAW/siplbd.log" 2>/dev/null || true
siplbd_stop || true
log "done: $BENCH_ROWS"
