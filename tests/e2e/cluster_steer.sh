#!/bin/bash
# cluster_steer.sh - two balancers behind ECMP steer alike (issue 13,
# docs/ARCHITECTURE.md "Beyond one host").
#
# On the cluster testbed (scripts/cluster_testbed.sh: a router spreading
# the VIP over balancers lb1 and lb2 by an L4-hash multipath route, three
# worker hosts running sipp UAS as the backends), siplbd on each balancer
# with XDP attached. Checks that
#   - without a cluster block the two nodes draw different Call-ID hash
#     keys, and calls whose INVITE crosses lb1 and BYE crosses lb2 split
#     between backends (what the cluster block is for);
#   - with the same cluster block (the same secret, the backends listed in
#     another order), after different runtime histories on each node
#     (del/re-add, an extra backend added and removed, drain/undrain), the
#     nodes' siplb_backends, both Maglev tables and hash keys are
#     byte-identical (digests of the maps);
#   - then every call whose INVITE and ACK cross lb1 and whose BYE crosses
#     lb2 completes with all three requests at one backend, each node
#     counting what it steered;
#   - sipp calls from a socket per call (the ECMP hash spreads them over
#     both balancers) all complete, both nodes steer some, every Call-ID
#     at one backend.
# Run as root. Knobs: SIPLB_E2E_CALLS (30 cross-node calls),
# SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"
# shellcheck source=scripts/cluster_lib.sh
. "$ROOT/scripts/cluster_lib.sh"

CALLS=${SIPLB_E2E_CALLS:-30}
CONTROL_CALLS=12
ECMP_CALLS=60
HERE=$ROOT/tests/e2e/cluster
REALM=cluster.test

lib_init cluster_steer
TESTBED=$ROOT/scripts/cluster_testbed.sh
tb_up 3
log "cluster testbed $TB_PREFIX up: VIP $VIP_EP via $TB_NS_LBS," \
	"workers $BACKEND_IPS"

users_make "$LIB_WORK/users" "$LIB_WORK/users.list" "$REALM" 2
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LIB_WORK/cluster.key"
chmod 600 "$LIB_WORK/cluster.key"

# node_conf K CLUSTER BACKEND_IPS: siplbd's configuration for balancer K.
node_conf() {
	local k=$1 pin dev ip
	pin=$(nth "$k" "$TB_LB_PINDIRS")
	echo "pin-dir $pin"
	for dev in $TB_LB_DEVS; do
		echo "interface $dev"
	done
	echo "control-socket $LIB_WORK/lb$k.sock"
	echo "realm $REALM"
	echo "users $LIB_WORK/users"
	echo "vip $VIP_EP {"
	for ip in $3; do
		printf '\tbackend %s\n' "$(ep "$ip" "$TB_SIP_PORT")"
	done
	echo "}"
	# The worker hosts route replies over either balancer: passive
	# detection would see silence (cluster_lib.sh's cl_node_conf says
	# why), and a probe's answer that crosses the other balancer comes
	# back rewritten to the VIP by its SNAT, so one node marked every
	# backend down (1 run in 3). Steering is what this test checks: a
	# probe once in 10 minutes (3 failures to mark down) keeps health
	# out of it.
	printf 'health {\n\tpassive off\n\tinterval 600\n}\n'
	if [ "$2" = cluster ]; then
		printf 'cluster {\n\tnode lb%s\n\tsecret-file %s\n}\n' "$k" \
			"$LIB_WORK/cluster.key"
	fi
}

# nodes_stop: SIGTERM to both balancers' siplbd.
nodes_stop() {
	lib_stop_all TERM 10 "${CL_NODE_PID[@]}"
	CL_NODE_PID=()
}

# mapsum K WHAT: a digest of balancer K's backends, rings or hashkey.
mapsum() {
	python3 "$HERE/mapsum.py" "$(nth "$1" "$TB_LB_PINDIRS")" "$VIP" \
		"$TB_SIP_PORT" | awk -v w="$2" '$1 == w { print $2 }'
}

# uas_all_start: sipp UAS on every worker host for the whole test, -aa
# so that each siplbd's health probes (OPTIONS) are answered and no node
# marks a backend unhealthy behind the other's back: health is per node.
uas_all_start() {
	local i ns pid
	for i in $(seq 1 "$TB_N"); do
		ns=$(nth "$i" "$TB_NS_BACKENDS")
		lib_bg pid ip netns exec "$ns" sipp -sn uas -aa \
			-i "$(nth "$i" "$BACKEND_IPS")" -p "$TB_SIP_PORT" \
			-nostdin -buff_size 4194304 -trace_shortmsg \
			-shortmessage_file "$LIB_WORK/uas$i.tsv" -trace_err \
			-error_file "$LIB_WORK/uas$i.err" \
			>"$LIB_WORK/uas$i.out" 2>&1
		UAS_PIDS="$UAS_PIDS $pid"
	done
	for i in $(seq 1 "$TB_N"); do
		wait_udp_port "$(nth "$i" "$TB_NS_BACKENDS")" "$TB_SIP_PORT"
	done
}

# crosscalls N TRIES PHASE: N calls (Call-IDs xnode-PHASE-...), INVITE
# and ACK via lb1, BYE via lb2.
crosscalls() {
	ip netns exec "$TB_NS_CLIENT" timeout -k 5 300 python3 \
		"$HERE/crosscall.py" "$CLIENT_IP" "$VIP" "$TB_SIP_PORT" "$1" \
		"$TB_CLIENT_PORT_LB1" "$TB_CLIENT_PORT_LB2" "$2" "$3" \
		>"$LIB_WORK/$3-calls.out" 2>&1 || true
}

# report REGEX: where the requests of the Call-IDs matching REGEX went:
# "backend I calls N INVITE N ACK N BYE N" lines, then "callids N",
# "split N" (requests at several backends), "incomplete N" (INVITE, ACK
# or BYE missing at the backend that has the INVITE).
report() {
	python3 "$HERE/report.py" "$LIB_WORK" "$TB_N" "$1"
}

# field REPORT NAME: a "NAME N" line's N.
field() {
	printf '%s\n' "$1" | awk -v n="$2" '$1 == n { print $2 }'
}

# --- 1. without a cluster block ---------------------------------------------

uas_all_start
node_conf 1 single "$BACKEND_IPS" >"$LIB_WORK/lb1-single.conf"
node_conf 2 single "$BACKEND_IPS" >"$LIB_WORK/lb2-single.conf"
cl_node_start 1 "$LIB_WORK/lb1-single.conf"
cl_node_start 2 "$LIB_WORK/lb2-single.conf"
k1=$(mapsum 1 hashkey) k2=$(mapsum 2 hashkey)
if [ -n "$k1" ] && [ "$k1" != "$k2" ]; then
	pass "without a cluster block the nodes' Call-ID hash keys differ"
else
	fail "hash key digests without a cluster block: '$k1' '$k2'"
fi
log "$CONTROL_CALLS calls, INVITE via lb1 and BYE via lb2, no cluster block"
crosscalls "$CONTROL_CALLS" 1 single
split=$(field "$(report '^xnode-single-')" split)
if [ "$split" -gt 0 ]; then
	pass "without it, $split of $CONTROL_CALLS calls' BYE reached" \
		"another backend than their INVITE"
else
	fail "without a cluster block no call split between backends" \
		"(expected most to: the nodes' keys differ)"
fi
nodes_stop

# --- 2. the same cluster block, different histories -------------------------

# The same backends, listed in another order on lb2.
# shellcheck disable=SC2086 # a list of addresses
rev=$(printf "%s\n" $BACKEND_IPS | tac | tr "\n" " ")
node_conf 1 cluster "$BACKEND_IPS" >"$LIB_WORK/lb1.conf"
node_conf 2 cluster "$rev" >"$LIB_WORK/lb2.conf"
cl_node_start 1 "$LIB_WORK/lb1.conf"
cl_node_start 2 "$LIB_WORK/lb2.conf"
w1=$(ep "$(nth 1 "$BACKEND_IPS")" "$TB_SIP_PORT")
w2=$(ep "$(nth 2 "$BACKEND_IPS")" "$TB_SIP_PORT")
w3=$(ep "$(nth 3 "$BACKEND_IPS")" "$TB_SIP_PORT")
extra=$(ep 10.98.100.9 "$TB_SIP_PORT")
hist_rc=0
{
	cl_ctl 1 backend del "$VIP_EP" "$w2" &&
		cl_ctl 1 backend add "$VIP_EP" "$w2" &&
		cl_ctl 2 backend add "$VIP_EP" "$extra" &&
		cl_ctl 2 backend drain "$VIP_EP" "$w1" &&
		cl_ctl 2 backend del "$VIP_EP" "$w3" &&
		cl_ctl 2 backend up "$VIP_EP" "$w1" &&
		cl_ctl 2 backend add "$VIP_EP" "$w3" &&
		cl_ctl 2 backend del "$VIP_EP" "$extra"
} >"$LIB_WORK/history.out" 2>&1 || hist_rc=$?
[ "$hist_rc" = 0 ] || die "runtime history failed: $(cat "$LIB_WORK/history.out")"
log "histories: lb1 del/add $w2; lb2 +$extra, drain $w1, del/add $w3, -$extra"
same=0
for what in backends rings hashkey; do
	a=$(mapsum 1 "$what") b=$(mapsum 2 "$what")
	log "    $what: lb1 ${a:0:16}... lb2 ${b:0:16}..."
	[ -n "$a" ] && [ "$a" = "$b" ] && same=$((same + 1))
done
if [ "$same" = 3 ]; then
	pass "cluster nodes after different histories: siplb_backends, both" \
		"Maglev tables and the hash key byte-identical"
else
	fail "cluster nodes' maps differ ($same of 3 digests equal)"
fi

# --- 3. one call, two balancers ------------------------------------------------

s1=$(cl_steered 1) s2=$(cl_steered 2)
log "$CALLS calls, INVITE and ACK via lb1, BYE via lb2"
crosscalls "$CALLS" 3 cluster
ok=$(awk '$1 == "calls" { print $4 }' "$LIB_WORK/cluster-calls.out")
if [ "$ok" = "$CALLS" ]; then
	pass "$ok of $CALLS cross-node calls completed"
else
	fail "${ok:-0} of $CALLS cross-node calls completed:" \
		"$(grep fail "$LIB_WORK/cluster-calls.out" | head -n 3)"
fi
rep=$(report '^xnode-cluster-')
printf '%s\n' "$rep" | grep '^backend' | sed 's/^/    /'
split=$(field "$rep" split) inc=$(field "$rep" incomplete)
callids=$(field "$rep" callids)
if [ "$split" = 0 ] && [ "$inc" = 0 ] && [ "$callids" = "$CALLS" ]; then
	pass "every call's INVITE, ACK (via lb1) and BYE (via lb2) reached" \
		"one backend"
else
	fail "$callids Call-IDs seen, $split split between backends," \
		"$inc incomplete"
fi
d1=$(($(cl_steered 1) - s1)) d2=$(($(cl_steered 2) - s2))
if [ "$d1" -ge $((2 * CALLS)) ] && [ "$d2" -ge "$CALLS" ]; then
	pass "lb1 steered $d1 requests (INVITE, ACK), lb2 $d2 (BYE)"
else
	fail "lb1 steered $d1 (expected >= $((2 * CALLS))), lb2 $d2" \
		"(expected >= $CALLS)"
fi

# --- 4. ECMP spreads calls over both ----------------------------------------

s1=$(cl_steered 1) s2=$(cl_steered 2)
log "$ECMP_CALLS sipp calls, a socket each, through the ECMP route"
rc=0
# From the work directory: sipp drops files of its own in its cwd.
(cd "$LIB_WORK" && exec ip netns exec "$TB_NS_CLIENT" \
	timeout -s INT -k 10 90 sipp -sn uac "$VIP_EP" -i "$CLIENT_IP" \
	-t un -max_socket 1000 -m "$ECMP_CALLS" -r 20 -nostdin \
	-recv_timeout 15s -timeout 60s -trace_stat -stf "$LIB_WORK/uac.csv" \
	-fd 1) >"$LIB_WORK/uac.out" 2>&1 || rc=$?
read -r created okc failed <<<"$(uac_stats)"
if [ "$rc" = 0 ] && [ "$okc" = "$ECMP_CALLS" ] && [ "$failed" = 0 ]; then
	pass "sipp: $okc of $ECMP_CALLS calls through ECMP completed"
else
	fail "sipp exit $rc, created $created, successful $okc, failed $failed"
fi
d1=$(($(cl_steered 1) - s1)) d2=$(($(cl_steered 2) - s2))
if [ "$d1" -gt 0 ] && [ "$d2" -gt 0 ]; then
	pass "the ECMP route spread the calls: lb1 steered $d1, lb2 $d2"
else
	fail "ECMP: lb1 steered $d1, lb2 $d2 (expected both > 0)"
fi
rep=$(report '^[0-9]+-[0-9]+@')
split=$(field "$rep" split) inc=$(field "$rep" incomplete)
if [ "$split" = 0 ] && [ "$inc" = 0 ] &&
	[ "$(field "$rep" callids)" = "$ECMP_CALLS" ]; then
	pass "every ECMP call's requests reached one backend"
else
	fail "ECMP: $(field "$rep" callids) Call-IDs, $split split," \
		"$inc incomplete"
fi
nodes_stop
uas_stop
