# shellcheck shell=bash
# phones.sh - workers and phones on the namespace testbed, for the call
# tests (tests/e2e/calls.sh) and the demo (scripts/demo.sh). Source it
# after scripts/lib.sh, once tb_up has run.
#
# The phones are sipp instances in the client namespace, one per role and
# UDP port: a callee sipp registers its phones (digest auth, through the
# VIP) with its own port in the Contact, then answers their calls with one
# of tests/e2e/calls/uas_*.xml; a caller sipp places calls from a CSV of
# "caller;callee;domain" lines with one of tests/e2e/calls/uac_*.xml.

CALLS_XML=$ROOT/tests/e2e/calls
# Set PHONES_CPU to a directory to have the CPU time (user and system
# seconds) of every sipp written there as uac-PORT.cpu / uas-PORT.cpu.
PHONES_CPU=${PHONES_CPU:-}

# phones_timer NAME: set TIMER to the words that run a command under
# /usr/bin/time into $PHONES_CPU/NAME.cpu, or to nothing.
phones_timer() {
	TIMER=()
	[ -z "$PHONES_CPU" ] ||
		TIMER=(/usr/bin/time -f '%U %S' -o "$PHONES_CPU/$1.cpu")
}
SIPLB_WORKER=${SIPLB_WORKER:-$ROOT/build/siplb-worker}
REGISTER_XML=$ROOT/tests/e2e/sipp/register_auth.xml

# phones_conf FILE REALM USERS [HEALTH]: a siplbd configuration for the
# testbed: XDP on every balancer port, the VIP with one backend (a worker)
# per backend namespace, the registrar for REALM with USERS (a path
# relative to FILE's directory), health checks every 2 seconds (and the
# lines HEALTH in the health block).
phones_conf() {
	{
		siplbd_conf "$2" "$3"
		cat <<EOC
auth {
	# sipp 3.6 reads only the first challenge and knows only MD5.
	algorithms MD5 SHA-256
}
health {
	interval 2
	timeout 1
	down-after 2
	up-after 1
${4:-}
}
EOC
	} >"$1"
}

# workers_start DOMAIN USERS [OPTIONS...]: one siplb-worker per backend
# namespace on the backend's address, Record-Routing through the VIP with
# one key for all ($LIB_WORK/rr.key) and sending to clients from it (-s
# off: from the backend's address), knowing the users of USERS; each logs
# to $LIB_WORK/worker<i>.log. The client namespace (the sipp phones, and
# the NAT in front of nat.sh's home phone) is a trunk (-T): the test phones
# do not answer the workers' 407 (docs/SECURITY.md "Routing policy";
# test_proxy tests that path).
# nsenter --net (not ip netns exec) keeps /sys/fs/bpf visible. Waits until
# siplbd's health checks have seen every worker answer.
WORKER_PIDS=""
workers_start() {
	local domain=$1 users=$2 i=0 ns ip pid trunk=()
	shift 2
	# WORKERS_NO_TRUNK=1: the phones answer 407 themselves (attack.sh).
	[ "${WORKERS_NO_TRUNK:-0}" = 1 ] || trunk=(-T "$CLIENT_IP")
	[ -x "$SIPLB_WORKER" ] || die "$SIPLB_WORKER not found: run 'make' first"
	# The Record-Route key every worker shares (-k, needed with -r).
	[ -s "$LIB_WORK/rr.key" ] || lib_key_file "$LIB_WORK/rr.key"
	WORKER_PIDS=""
	for ns in $TB_NS_BACKENDS; do
		i=$((i + 1))
		ip=$(nth "$i" "$BACKEND_IPS")
		lib_bg pid nsenter --net="/run/netns/$ns" "$SIPLB_WORKER" \
			-l "$(ep "$ip" "$TB_SIP_PORT")" -P "$TB_PINDIR" \
			-d "$domain" -r "$VIP_EP" -k "$LIB_WORK/rr.key" \
			-u "$users" "${trunk[@]}" "$@" \
			2>>"$LIB_WORK/worker$i.log" </dev/null
		WORKER_PIDS="$WORKER_PIDS $pid"
	done
	workers_wait_up
}

# workers_wait_up: until siplbd sees every backend up (10 s at most).
workers_wait_up() {
	local i pid
	for i in $(seq 1 100); do
		for pid in $WORKER_PIDS; do
			kill -0 "$pid" 2>/dev/null ||
				die "a worker exited: $(tail -n 5 "$LIB_WORK"/worker*.log)"
		done
		lb_ctl -j backends 2>/dev/null | python3 -c '
import json, sys
b = json.load(sys.stdin)["backends"]
sys.exit(0 if b and all(x["state"] == "up" for x in b) else 1)' && return 0
		sleep 0.1
	done
	die "the workers are not all up after 10 s: $(lb_ctl backends)"
}

workers_stop() {
	local pid
	for pid in $WORKER_PIDS; do
		lib_stop "$pid" TERM 5 || true
	done
	WORKER_PIDS=""
}

# phones_register PORT CSV: register every phone of CSV ("user;password;
# domain;expires" lines after SEQUENTIAL) from CLIENT_IP:PORT, so their
# Contact is that port. Returns sipp's exit status (0: all got 200).
phones_register() {
	local port=$1 csv=$2 n
	n=$(($(wc -l <"$csv") - 1))
	ip netns exec "$TB_NS_CLIENT" timeout -s INT 60 \
		sipp "$VIP_EP" -sf "$REGISTER_XML" -inf "$csv" \
		-i "$CLIENT_IP" -p "$port" -m "$n" -r 50 -nostdin \
		-recv_timeout 10s >"$LIB_WORK/register-$port.out" 2>&1
}

# phones_answer VAR XML PORT CALLS: a callee sipp on CLIENT_IP:PORT in the
# background (PID in VAR), taking CALLS calls with XML, then exiting.
phones_answer() {
	local var=$1 xml=$2 port=$3 calls=$4
	phones_timer "uas-$port"
	lib_bg "$var" ip netns exec "$TB_NS_CLIENT" timeout -s INT 120 \
		"${TIMER[@]}" sipp -sf "$xml" -i "$CLIENT_IP" -p "$port" -m "$calls" \
		-nostdin -buff_size 4194304 \
		-trace_err -error_file "$LIB_WORK/uas-$port.err" \
		>"$LIB_WORK/uas-$port.out" 2>&1
	wait_udp_port "$TB_NS_CLIENT" "$port"
}

# phones_call VAR XML PORT CSV CALLS RATE: a caller sipp on CLIENT_IP:PORT
# in the background (PID in VAR): CALLS calls at RATE calls/s through the
# VIP, from the "caller;callee;domain" lines of CSV. Its statistics go to
# $LIB_WORK/uac-PORT.csv (sipp_counts reads them).
phones_call() {
	local var=$1 xml=$2 port=$3 csv=$4 calls=$5 rate=$6
	phones_timer "uac-$port"
	lib_bg "$var" ip netns exec "$TB_NS_CLIENT" timeout -s INT 120 \
		"${TIMER[@]}" sipp "$VIP_EP" -sf "$xml" -inf "$csv" -i "$CLIENT_IP" \
		-p "$port" -m "$calls" -r "$rate" -nostdin \
		-buff_size 4194304 -recv_timeout 20s \
		-trace_stat -stf "$LIB_WORK/uac-$port.csv" -fd 1 \
		-trace_err -error_file "$LIB_WORK/uac-$port.err" \
		>"$LIB_WORK/uac-$port.out" 2>&1
}

# sipp_wait PID: reap a sipp we started; returns its exit status.
sipp_wait() {
	local rc=0
	wait "$1" || rc=$?
	lib_forget "$1"
	return "$rc"
}

# workers_capture_start: tcpdump of the UDP packets each worker receives
# ($LIB_WORK/worker<i>.pcap), for tests/e2e/calls/affinity.py.
CAPTURE_PIDS=""
workers_capture_start() {
	local i=0 ns pid
	for ns in $TB_NS_BACKENDS; do
		i=$((i + 1))
		lib_bg pid ip netns exec "$ns" tcpdump -i lb0 -Q in -nn -U \
			-Z root -w "$LIB_WORK/worker$i.pcap" \
			"udp dst port $TB_SIP_PORT" 2>"$LIB_WORK/tcpdump$i.err"
		CAPTURE_PIDS="$CAPTURE_PIDS $pid"
	done
	for i in $(seq 1 "$TB_N"); do
		for _ in $(seq 1 50); do
			grep -q 'listening on' "$LIB_WORK/tcpdump$i.err" && break
			sleep 0.1
		done
	done
}

workers_capture_stop() {
	local pid
	for pid in $CAPTURE_PIDS; do
		lib_stop "$pid" TERM 5 || true
	done
	CAPTURE_PIDS=""
}

# workers_affinity: affinity.py over the captures.
workers_affinity() {
	local i args=""
	for i in $(seq 1 "$TB_N"); do
		args="$args worker$i=$LIB_WORK/worker$i.pcap"
	done
	# shellcheck disable=SC2086 # one argument per worker
	python3 "$CALLS_XML/affinity.py" $args
}

# workers_counter NAME: the sum of one counter over every worker
# (siplbctl -j workers); NAME is a counter ("timeouts") or a request
# method ("requests.INVITE").
workers_counter() {
	lb_ctl -j workers | python3 -c '
import json, sys
total = 0
for w in json.load(sys.stdin)["workers"]:
    v = w
    for part in sys.argv[1].split("."):
        v = v[part]
    total += v
print(total)' "$1"
}
