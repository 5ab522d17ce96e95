# shellcheck shell=bash
# cluster_lib.sh - a whole siplb cluster on the cluster testbed
# (scripts/cluster_testbed.sh), for the integrated cluster test
# (tests/e2e/cluster_calls.sh) and `make demo-cluster`
# (scripts/demo_cluster.sh). Source it after scripts/lib.sh and
# scripts/phones.sh, once tb_up has run with TESTBED set to the cluster
# testbed:
#
#   Redis             redis-server in the rds namespace
#   balancers lb1/2   siplbd with XDP on every port, the cluster block and
#                     Redis; siplb-mirror into the node's pin directory
#   worker hosts wI   siplb-mirror into the host's own pin directory and a
#                     siplb-worker reading it: no worker on a balancer
#   phones            sipp in the client namespace, behind the router
#
# Every process goes through lib_bg, so lib_cleanup ends it by PID.

SIPLB_MIRROR=${SIPLB_MIRROR:-$ROOT/build/siplb-mirror}
CL_REDIS_PORT=6379
# shellcheck disable=SC2034 # set by lib_bg; the cleanup stops it
CL_REDIS_PID=""
declare -A CL_NODE_PID CL_MIRROR_PID

# cl_in NS CMD...: CMD in namespace NS; nsenter keeps /sys/fs/bpf. Not
# for lib_bg, which would record the PID of a subshell running it: lib_bg
# gets nsenter itself, which execs CMD (the PID is CMD's).
cl_in() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# cl_rcli ARGS...: redis-cli against the cluster's Redis.
cl_rcli() {
	cl_in "$TB_NS_REDIS" redis-cli -h "$TB_REDIS_IP4" -p "$CL_REDIS_PORT" \
		"$@"
}

# cl_redis_start: redis-server in the rds namespace (no persistence: the
# test of a Redis restart is tests/e2e/cluster_redis.sh's).
cl_redis_start() {
	command -v redis-server >/dev/null ||
		die "redis-server not found: run scripts/deps.sh"
	lib_bg CL_REDIS_PID nsenter --net="/run/netns/$TB_NS_REDIS" redis-server \
		--port "$CL_REDIS_PORT" --bind "$TB_REDIS_IP4" \
		--protected-mode no --save '' --appendonly no --daemonize no \
		--loglevel warning >>"$LIB_WORK/redis.log" 2>&1
	for _ in $(seq 1 50); do
		cl_rcli ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	die "redis-server did not answer within 5 s: $(cat "$LIB_WORK/redis.log")"
}

# cl_secrets REALM PHONES: the users file (phone0001..), its password
# list, the cluster secret and the workers' Record-Route key.
cl_secrets() {
	users_make "$LIB_WORK/users" "$LIB_WORK/users.list" "$1" "$2" phone
	lib_key_file "$LIB_WORK/cluster.key"
	chmod 600 "$LIB_WORK/cluster.key"	# siplbd refuses others reading it
	lib_key_file "$LIB_WORK/rr.key"
}

# cl_phone I: the name of phone I (cl_secrets' users).
cl_phone() {
	sed -n "${1}p" "$LIB_WORK/users.list" | cut -d';' -f1
}

# cl_reg_csv FILE FIRST LAST DOMAIN: phones FIRST..LAST as
# tests/e2e/sipp/register_auth.xml reads them (phones_register).
cl_reg_csv() {
	local i
	echo SEQUENTIAL >"$1"
	for i in $(seq "$2" "$3"); do
		printf '%s;%s;3600\n' "$(sed -n "${i}p" "$LIB_WORK/users.list")" \
			"$4" >>"$1"
	done
}

# cl_node_conf K REALM FILE: siplbd's configuration for balancer K:
# phones_conf's, with passive detection off and the cluster block. A
# worker's replies go back over either balancer (its multipath default
# route), so a node sees the requests it steered but not always their
# responses: passive detection would mark live workers down on one node
# only, and the nodes' Maglev tables would part (a call's messages at two
# workers).
cl_node_conf() {
	local k=$1
	TB_PINDIR=$(nth "$k" "$TB_LB_PINDIRS") TB_LB_CLIENT_DEV=$TB_LB_DEVS \
		TB_LB_BACKEND_DEVS="" SIPLBD_SOCK=$LIB_WORK/lb$k.sock \
		phones_conf "$3" "$2" "$LIB_WORK/users" "	passive off"
	cat >>"$3" <<EOF
cluster {
	node lb$k
	secret-file $LIB_WORK/cluster.key
	redis $TB_REDIS_IP4:$CL_REDIS_PORT
}
EOF
}

# cl_node_start K CONF: siplbd on balancer K with CONF (cl_node_conf's,
# say), until it listens.
cl_node_start() {
	local k=$1 ns pid
	ns=$(nth "$k" "$TB_NS_LBS")
	echo "=== siplbd -c $2 ($(date +%T))" >>"$LIB_WORK/siplbd-lb$k.log"
	lib_bg pid nsenter --net="/run/netns/$ns" "$SIPLBD" -c "$2" -d \
		2>>"$LIB_WORK/siplbd-lb$k.log" </dev/null
	CL_NODE_PID[$k]=$pid
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || die "siplbd on lb$k exited:" \
			"$(tail -n 20 "$LIB_WORK/siplbd-lb$k.log")"
		ip netns exec "$ns" ss -Hlun "sport = :$TB_SIP_PORT" |
			grep -q . && return 0
		sleep 0.1
	done
	die "siplbd on lb$k does not listen after 10 s"
}

# cl_mirror_start NAME NS PINDIR: siplb-mirror of host NAME, logging to
# $LIB_WORK/mirror-NAME.log; it creates the maps if none are pinned.
cl_mirror_start() {
	local pid
	[ -x "$SIPLB_MIRROR" ] || die "$SIPLB_MIRROR not found: run 'make' first"
	lib_bg pid nsenter --net="/run/netns/$2" "$SIPLB_MIRROR" \
		-r "$TB_REDIS_IP4:$CL_REDIS_PORT" -P "$3" -m 65536 \
		2>>"$LIB_WORK/mirror-$1.log" </dev/null
	CL_MIRROR_PID[$1]=$pid
	for _ in $(seq 1 50); do
		[ -e "$3/siplb_location" ] && return 0
		sleep 0.1
	done
	die "siplb-mirror $1 made no maps in $3: $(cat "$LIB_WORK/mirror-$1.log")"
}

# cl_mirror_stop NAME: SIGTERM; the mirror logs its lag figures as it ends.
cl_mirror_stop() {
	lib_stop "${CL_MIRROR_PID[$1]}" TERM 5 || true
}

# cl_mirror_runs NAME: host NAME's mirror was started and still runs.
cl_mirror_runs() {
	[ -n "${CL_MIRROR_PID[$1]:-}" ] && kill -0 "${CL_MIRROR_PID[$1]}" 2>/dev/null
}

# cl_mirror_lag NAME: "median p99 max" (ms) from a stopped mirror's log.
cl_mirror_lag() {
	sed -n 's/.*lag: median \([0-9]*\) ms, p99 \([0-9]*\) ms, max \([0-9]*\) ms.*/\1 \2 \3/p' \
		"$LIB_WORK/mirror-$1.log" | tail -n 1
}

# cl_workers_start DOMAIN: on every worker host, its mirror and a
# siplb-worker on the service address reading that host's pin directory
# (before the balancers: their first health probes find them up). The
# workers send from their own address (-s off): a balancer is not on
# their network, so the VIP as the source would not answer its health
# probes; either balancer's XDP rewrites what goes to the phones to the
# VIP (siplb_snat).
cl_workers_start() {
	local i ns pin pid
	[ -x "$SIPLB_WORKER" ] || die "$SIPLB_WORKER not found: run 'make' first"
	for i in $(seq 1 "$TB_N"); do
		ns=$(nth "$i" "$TB_NS_BACKENDS")
		pin=$(nth "$i" "$TB_WORKER_PINDIRS")
		cl_mirror_start "w$i" "$ns" "$pin"
		lib_bg pid nsenter --net="/run/netns/$ns" "$SIPLB_WORKER" \
			-l "$(ep "$(nth "$i" "$BACKEND_IPS")" "$TB_SIP_PORT")" \
			-P "$pin" -d "$1" -r "$VIP_EP" -k "$LIB_WORK/rr.key" \
			-u "$LIB_WORK/users" -T "$CLIENT_IP" -s off \
			2>>"$LIB_WORK/worker$i.log" </dev/null
	done
}

# cl_workers_up: both balancers see every worker up after their health
# checks' first rounds (a backend starts up and goes down only after two
# failed probes: look after those would have failed).
cl_workers_up() {
	local k ok
	sleep 4.5
	for k in 1 2; do
		ok=0
		for _ in $(seq 1 100); do
			cl_ctl "$k" -j backends 2>/dev/null | python3 -c '
import json, sys
b = json.load(sys.stdin)["backends"]
sys.exit(0 if b and all(x["state"] == "up" for x in b) else 1)' && ok=1 && break
			sleep 0.1
		done
		[ "$ok" = 1 ] ||
			die "lb$k does not see every worker up: $(cl_ctl "$k" backends)"
	done
}

# cl_ctl K ARGS...: siplbctl for balancer K.
cl_ctl() {
	local k=$1
	shift
	cl_in "$(nth "$k" "$TB_NS_LBS")" "$SIPLBCTL" \
		-P "$(nth "$k" "$TB_LB_PINDIRS")" -S "$LIB_WORK/lb$k.sock" "$@"
}

# cl_wctl I ARGS...: siplbctl on worker host I's own maps.
cl_wctl() {
	local i=$1
	shift
	cl_in "$(nth "$i" "$TB_NS_BACKENDS")" "$SIPLBCTL" \
		-P "$(nth "$i" "$TB_WORKER_PINDIRS")" "$@"
}

# cl_steered K: packets balancer K's XDP program steered to a worker.
cl_steered() {
	cl_ctl "$1" -j stats | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(sum(v for k, v in c.items() if k.startswith("steer_")))'
}

# cl_registered K: REGISTERs balancer K's registrar answered 200.
cl_registered() {
	cl_ctl "$1" -j stats | python3 -c '
import json, sys
print(json.load(sys.stdin).get("daemon", {}).get("registrar", {}).get("ok", 0))'
}

# cl_worker_invites I: INVITEs worker I counted (its own pinned entry).
cl_worker_invites() {
	cl_wctl "$1" -j workers | python3 -c '
import json, sys
print(sum(w["requests"]["INVITE"] for w in json.load(sys.stdin)["workers"]))'
}

# cl_map_bindings PINDIR: "AOR user@host:port" of every binding in that
# pin directory's siplb_location, sorted.
cl_map_bindings() {
	TB_PINDIR=$1 location_dump | awk '{ print $1, $3 }' |
		sed -E 's/ sips?:([^;>]*).*/ \1/' | sort
}

# cl_redis_bindings: the same from Redis (one hash per AOR, a field per
# binding, named by its contact: cluster_binding_id()).
cl_redis_bindings() {
	local key
	cl_rcli --scan --pattern 'siplb:b:*' | while read -r key; do
		cl_rcli hkeys "$key" | sed -E "s|^u:sips?:([^;]*).*|${key#siplb:b:} \\1|"
	done | sort
}

# cl_dump_all: Redis's bindings to $LIB_WORK/bindings-redis.txt and each
# host whose mirror runs to bindings-HOST.txt; prints "HOST COUNT SAME|DIFFERENT"
# lines (SAME: equal to Redis's).
cl_dump_all() {
	local i pin name
	cl_redis_bindings >"$LIB_WORK/bindings-redis.txt"
	echo "redis $(wc -l <"$LIB_WORK/bindings-redis.txt") -"
	for i in $(seq 1 "$TB_N") lb1 lb2; do
		case $i in
		lb*) pin=$(nth "${i#lb}" "$TB_LB_PINDIRS") name=$i ;;
		*) pin=$(nth "$i" "$TB_WORKER_PINDIRS") name=w$i ;;
		esac
		# A dead host's pins stay, frozen: only hosts whose mirror runs.
		cl_mirror_runs "$name" || continue
		cl_map_bindings "$pin" >"$LIB_WORK/bindings-$name.txt"
		if cmp -s "$LIB_WORK/bindings-redis.txt" \
			"$LIB_WORK/bindings-$name.txt"; then
			echo "$name $(wc -l <"$LIB_WORK/bindings-$name.txt") SAME"
		else
			echo "$name $(wc -l <"$LIB_WORK/bindings-$name.txt") DIFFERENT"
		fi
	done
}

# cl_register_via K CSV: register the phones of CSV from the client port
# that the router pins to balancer K (their Contact port is that one).
cl_register_via() {
	phones_register "$(cl_callee_port "$1")" "$2"
}

# cl_ports K: the client ports the router pins to balancer K.
cl_ports() {
	case $1 in
	1) echo "$TB_CLIENT_PORTS_LB1" ;;
	2) echo "$TB_CLIENT_PORTS_LB2" ;;
	esac
}

# cl_balancer_down K: balancer K dies: every link of it down (the peers
# lose carrier), its siplbd and its mirror killed with SIGKILL. Sets
# CL_T_DOWN to the epoch (ns) of the links going down. How the router and
# the worker hosts stop using it depends on CL_DETECT_MS:
#   0 (default)  at once: they drop a nexthop whose link is down
#                (ignore_routes_with_linkdown, see cluster_testbed.sh);
#   N > 0        they keep sending into the dead links (as a router that
#                does not see the failure on its own port would) until a
#                routing daemon notices, after N ms (BFD, a BGP hold
#                timer): cl_reroute replaces their routes with lb(3-K).
CL_T_DOWN=""
CL_DETECT_MS=${CL_DETECT_MS:-0}
cl_balancer_down() {
	local k=$1 ns dev
	ns=$(nth "$k" "$TB_NS_LBS")
	[ "$CL_DETECT_MS" = 0 ] || cl_linkdown_used
	# shellcheck disable=SC2034 # for the caller
	CL_T_DOWN=$(date +%s%N)
	for dev in $TB_LB_DEVS; do
		ip -n "$ns" link set dev "$dev" down
	done
	lib_stop "${CL_NODE_PID[$k]}" KILL 5 || true
	lib_stop "${CL_MIRROR_PID[lb$k]}" KILL 5 || true
	[ "$CL_DETECT_MS" = 0 ] && return 0
	sleep "$(python3 -c "print(max(0, $CL_T_DOWN / 1e9 + $CL_DETECT_MS \
		/ 1e3 - $(date +%s.%N)))")"
	cl_reroute $((3 - k))
}

# cl_linkdown_used: the router and the worker hosts keep using nexthops
# whose link is down (the kernel's default; the testbed turns it off).
cl_linkdown_used() {
	local ns
	for ns in "$TB_NS_ROUTER" $TB_NS_BACKENDS; do
		# shellcheck disable=SC2016 # expanded by that sh
		ip netns exec "$ns" sh -c 'for f in \
			/proc/sys/net/ipv4/conf/*/ignore_routes_with_linkdown; do
				echo 0 >"$f"; done'
	done
}

# cl_reroute K: what a routing daemon does when the other balancer is
# gone: every route through the two balancers now goes through K alone,
# and the pinned ports' tables of the dead one lose their route.
cl_reroute() {
	local k=$1 dead=$((3 - $1)) i
	ip -n "$TB_NS_ROUTER" route replace "$VIP/32" via "10.98.$((1 + k)).2"
	ip -n "$TB_NS_ROUTER" route replace 10.98.100.0/24 via "10.98.$((1 + k)).2"
	ip -n "$TB_NS_ROUTER" route del "$VIP/32" table $((100 + dead))
	for i in $(seq 1 "$TB_N"); do
		ip -n "$(nth "$i" "$TB_NS_BACKENDS")" route replace default \
			via "10.98.$((10 * k + i)).1"
		ip -n "$(nth "$i" "$TB_NS_BACKENDS")" route replace 10.98.4.0/24 \
			via "10.98.$((10 * k + i)).1" src "10.98.100.$i"
	done
}

# cl_route_via PORT: the balancer the router sends a client packet from
# source port PORT to the VIP through ("lb1", "lb2" or "none").
cl_route_via() {
	local out
	out=$(ip netns exec "$TB_NS_ROUTER" ip route get "$VIP" \
		from "$CLIENT_IP" iif cli0 ipproto udp sport "$1" \
		dport "$TB_SIP_PORT" 2>/dev/null) || { echo none; return; }
	case $out in
	*" dev lb1"*) echo lb1 ;;
	*" dev lb2"*) echo lb2 ;;
	*) echo none ;;
	esac
}

# cl_probe_port: a client source port (5100..5199) whose flow to the VIP
# the router sends through lb1 now, to watch it move.
cl_probe_port() {
	local port
	for port in $(seq 5100 5199); do
		[ "$(cl_route_via "$port")" != lb1 ] || { echo "$port"; return 0; }
	done
	die "no source port of 5100-5199 routed through lb1"
}

# cl_load_end UAC UAS...: wait for the caller sipp UAC, stop the callee
# sipps, then the captures; returns the caller's exit status.
cl_load_end() {
	local rc=0 pid
	sipp_wait "$1" || rc=$?
	shift
	for pid in "$@"; do
		lib_stop "$pid" INT 5 || true
	done
	sleep 0.5	# the last answers
	cl_capture_stop
	return "$rc"
}

# cl_wait_moved PORT: after cl_balancer_down, look (cl_route_via) until
# the router no longer sends PORT's flow through lb1. Sets CL_T_CONV (ns)
# to when it was seen moved, CL_LOOKS to how many looks that took and
# CL_LOOK_MS to what one look costs (measured after): the move itself
# may be faster than one look.
cl_wait_moved() {
	local t
	CL_LOOKS=1
	while [ "$(cl_route_via "$1")" = lb1 ]; do
		CL_LOOKS=$((CL_LOOKS + 1))
		sleep 0.01
	done
	CL_T_CONV=$(date +%s%N)
	cl_route_via "$1" >/dev/null
	t=$(date +%s%N)
	# shellcheck disable=SC2034 # for the caller
	CL_LOOK_MS=$(((t - CL_T_CONV) / 1000000))
}

# cl_calls_ecmp VAR XML CSV CALLS RATE PORT: a caller sipp with a socket
# per call (-t un), so that the router's L4 hash spreads the calls over
# both balancers; its statistics in $LIB_WORK/uac-PORT.csv, failed
# calls' reasons in uac-PORT.err.
cl_calls_ecmp() {
	local var=$1 xml=$2 csv=$3 calls=$4 rate=$5 port=$6
	lib_bg "$var" ip netns exec "$TB_NS_CLIENT" timeout -s INT 150 \
		sipp "$VIP_EP" -sf "$xml" -inf "$csv" -i "$CLIENT_IP" \
		-p "$port" -t un -max_socket 2000 -m "$calls" -r "$rate" \
		-nostdin -buff_size 4194304 -recv_timeout 20s \
		-trace_stat -stf "$LIB_WORK/uac-$port.csv" -fd 1 \
		-trace_err -error_file "$LIB_WORK/uac-$port.err" \
		>"$LIB_WORK/uac-$port.out" 2>&1
}

# cl_capture_start: tcpdump of the phones' link, both directions
# ($LIB_WORK/phones.pcap, for tests/e2e/cluster/calltimes.py), and of the
# requests each worker host receives, over either balancer's link
# ($LIB_WORK/wI-lbK.pcap, for tests/e2e/calls/affinity.py).
CL_CAPTURE_PIDS=""
cl_capture_start() {
	local i k pid name
	# --immediate-mode: else libpcap hands packets over a block at a
	# time, and those of the last block are lost when tcpdump stops.
	lib_bg pid ip netns exec "$TB_NS_CLIENT" tcpdump -i "$TB_CLIENT_DEV" \
		--immediate-mode -nn -U -Z root -w "$LIB_WORK/phones.pcap" udp \
		2>"$LIB_WORK/tcpdump-phones.err"
	CL_CAPTURE_PIDS=$pid
	for i in $(seq 1 "$TB_N"); do
		for k in 1 2; do
			lib_bg pid ip netns exec "$(nth "$i" "$TB_NS_BACKENDS")" \
				tcpdump -i "lb$k" -Q in --immediate-mode -nn -U -Z root \
				-w "$LIB_WORK/w$i-lb$k.pcap" \
				"udp dst port $TB_SIP_PORT" \
				2>"$LIB_WORK/tcpdump-w$i-lb$k.err"
			CL_CAPTURE_PIDS="$CL_CAPTURE_PIDS $pid"
		done
	done
	for name in phones $(seq -f 'w%g-lb1' 1 "$TB_N") \
		$(seq -f 'w%g-lb2' 1 "$TB_N"); do
		for _ in $(seq 1 50); do
			grep -q 'listening on' "$LIB_WORK/tcpdump-$name.err" &&
				break
			sleep 0.1
		done
	done
}

cl_capture_stop() {
	# shellcheck disable=SC2086 # a list of PIDs
	lib_stop_all TERM 5 $CL_CAPTURE_PIDS
	CL_CAPTURE_PIDS=""
}

# cl_affinity: affinity.py over the worker hosts' captures (a worker's
# two links under one name).
cl_affinity() {
	local i k args=""
	for i in $(seq 1 "$TB_N"); do
		for k in 1 2; do
			args="$args w$i=$LIB_WORK/w$i-lb$k.pcap"
		done
	done
	# shellcheck disable=SC2086 # one argument per capture
	python3 "$ROOT/tests/e2e/calls/affinity.py" $args
}

# cl_sipp_reasons FILE: why sipp's calls failed, from its -trace_err
# file (entries not always on lines of their own): "COUNT REASON" lines.
cl_sipp_reasons() {
	python3 - "$1" <<'EOF'
import collections, re, sys
text = open(sys.argv[1], errors='replace').read()
why = re.findall(r'Call-Id: \S+, (.*?)(?=\d{4}-\d\d-\d\d\t|\Z)', text, re.S)
for reason, n in collections.Counter(w.strip() for w in why).most_common():
    print(n, reason)
EOF
}

# cl_calltimes T_START T_FROM T_TO: calltimes.py over the phones'
# capture (the callees answer on cl_callee_port).
cl_calltimes() {
	python3 "$ROOT/tests/e2e/cluster/calltimes.py" "$LIB_WORK/phones.pcap" \
		"$CLIENT_IP" "$(cl_callee_port 1),$(cl_callee_port 2)" "$@"
}

# cl_callee_port K: where the phones registered through balancer K answer
# (the second port the router pins to K; the first is crosscall.py's);
# cl_caller_port K: the third, for callers whose calls cross K.
cl_callee_port() {
	nth 2 "$(cl_ports "$1")"
}
cl_caller_port() {
	nth 3 "$(cl_ports "$1")"
}
