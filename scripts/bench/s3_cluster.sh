# shellcheck shell=bash
# s3_cluster.sh - sourced by s3_register.sh when BENCH_S3_CLUSTER=1: the
# cluster node that scenario 3 measures beside siplbd alone, on the same
# balancer namespace:
#
#   redis-server   on the namespace's loopback, AOF with fsync every
#                  second (docs/ARCHITECTURE.md: a restarted Redis with
#                  AOF loses nothing), its files in the work directory
#   siplbd         a cluster block naming that Redis, on CLU_IP, its own
#                  pin directory inside the testbed's (removed with it)
#                  and its XDP program on an idle veth of its own, so
#                  that it never sees the first siplbd's traffic
#   siplb-mirror   Redis's bindings into that pin directory, as on every
#                  cluster host
#
# Sets CLU_EP, CLU_PID, REDIS_PID, MIRROR_PID; cluster_stop ends them.
# Everything else (the namespace, the veth, the pins) goes with the
# testbed.

command -v redis-server >/dev/null ||
	die "BENCH_S3_CLUSTER=1 needs redis-server (scripts/deps.sh)"
MIRROR=${SIPLB_MIRROR:-$ROOT/build/siplb-mirror}
[ -x "$MIRROR" ] || die "$MIRROR not found: run 'make' first"

CLU_IP=10.99.0.12
CLU_EP=$(ep "$CLU_IP" "$TB_SIP_PORT")
CLU_PIN=$TB_PINDIR/cluster
CLU_REDIS=127.0.0.1:6379	# the balancer namespace's own loopback
CLU_DUMMY=s3c0
ip -n "$TB_NS_LB" addr add "$CLU_IP/32" dev lo ||
	die "cannot add $CLU_IP to the balancer"
# A veth pair with both ends in the balancer (this kernel has no dummy
# driver): nothing is ever sent on it.
if ! ip -n "$TB_NS_LB" link add "$CLU_DUMMY" type veth \
	peer name "${CLU_DUMMY}p" ||
	! ip -n "$TB_NS_LB" link set "$CLU_DUMMY" up ||
	! ip -n "$TB_NS_LB" link set "${CLU_DUMMY}p" up; then
	die "cannot add an idle interface to the balancer"
fi

# in_lb CMD...: CMD in the balancer namespace (nsenter, not `ip netns
# exec`, which would hide /sys/fs/bpf). In the background, nsenter itself
# is started (it execs CMD: $! is CMD's PID), never the function, whose
# subshell would stand between.
IN_LB=(nsenter --net="/run/netns/$TB_NS_LB")
in_lb() {
	"${IN_LB[@]}" "$@"
}

mkdir -p "$LIB_WORK/redis"
lib_bg REDIS_PID "${IN_LB[@]}" redis-server --bind 127.0.0.1 --port 6379 \
	--dir "$LIB_WORK/redis" --appendonly yes --appendfsync everysec \
	--save '' --daemonize no --loglevel warning \
	>>"$BENCH_RAW/redis.log" 2>&1
for _ in $(seq 1 50); do
	in_lb redis-cli -p 6379 ping 2>/dev/null | grep -q PONG && break
	sleep 0.1
done
in_lb redis-cli -p 6379 ping 2>/dev/null | grep -q PONG ||
	die "redis-server did not answer within 5 s: $(tail -n 5 "$BENCH_RAW/redis.log")"

lib_key_file "$LIB_WORK/cluster.key"
chmod 600 "$LIB_WORK/cluster.key"	# siplbd refuses a secret others can read
CLU_CONF=$LIB_WORK/siplb-cluster.conf
{
	echo "pin-dir $CLU_PIN"
	echo "interface $CLU_DUMMY"
	echo "xdp-mode generic"
	registrar_conf "$CLU_EP" "$LIB_WORK/siplbd-cluster.sock"
	cat <<EOC
cluster {
	node bench-1
	secret-file $LIB_WORK/cluster.key
	redis $CLU_REDIS
}
EOC
} >"$CLU_CONF"
siplbd_check "$CLU_CONF" ||
	die "siplbd -n refuses $CLU_CONF: $(cat "$LIB_WORK/siplbd-n.out")"
CLU_LOG=$BENCH_RAW/siplbd-cluster.log
CLU_PID=""
lib_bg CLU_PID "${IN_LB[@]}" "$SIPLBD" -c "$CLU_CONF" -d 2>>"$CLU_LOG" </dev/null
for _ in $(seq 1 100); do
	kill -0 "$CLU_PID" 2>/dev/null || break
	in_lb ss -Hlun "src = $CLU_IP and sport = :$TB_SIP_PORT" | grep -q . &&
		break
	sleep 0.1
done
in_lb ss -Hlun "src = $CLU_IP and sport = :$TB_SIP_PORT" | grep -q . ||
	die "the cluster siplbd did not start: $(tail -n 20 "$CLU_LOG")"
# shellcheck disable=SC2034 # cluster_stop ends it
lib_bg MIRROR_PID "${IN_LB[@]}" "$MIRROR" -r "$CLU_REDIS" -P "$CLU_PIN" \
	2>>"$BENCH_RAW/siplb-mirror.log"
log "cluster node on $CLU_EP: Redis $CLU_REDIS (AOF, fsync every second), siplb-mirror into $CLU_PIN"

cluster_stop() {
	lib_stop "$MIRROR_PID" TERM 5 || true
	lib_stop "$CLU_PID" TERM 10 || true
	lib_stop "$REDIS_PID" TERM 10 || true
}
