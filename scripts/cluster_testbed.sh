#!/bin/bash
# cluster_testbed.sh - the cluster shape of the namespace testbed: phones
# behind a router that spreads traffic to the VIP over two balancers with
# an ECMP route, three worker hosts reachable from both balancers, and a
# namespace for the shared store (Redis; empty here). Every host has a pin
# directory of its own, as separate machines would (pinned names are
# global to the machine). IPv4 only.
#
#   cluster_testbed.sh [-p PREFIX] [-n WORKERS] up    build it; prints `env`
#                                                     (exit 3: PREFIX exists)
#   cluster_testbed.sh [-p PREFIX] [-n WORKERS] env   names and addresses
#   cluster_testbed.sh [-p PREFIX] down               remove it (idempotent)
#
# The interface is testbed.sh's, and so are the TB_* names it prints for a
# client, the VIP and the backends (here the worker hosts' service
# addresses), so that scripts/lib.sh's helpers work on it; TB_NS_LBS,
# TB_LB_PINDIRS, TB_NS_ROUTER, TB_NS_REDIS, ... are the cluster's own.
#
# Namespaces: PREFIX-client, PREFIX-rt (router), PREFIX-lb1, PREFIX-lb2,
# PREFIX-w1..wN, PREFIX-rds. Pin directories /sys/fs/bpf/siplb-ctb-PREFIX-
# {lb1,lb2,w1..wN}.
#
# Address plan:
#   VIP                  10.98.0.10/32 on both balancers' lo
#   client - router      10.98.1.2 (rt0) - 10.98.1.1 (cli0)
#   router - lbK         10.98.(1+K).1 (lbK) - 10.98.(1+K).2 (up0)
#   router - redis       10.98.4.1 (rds0) - 10.98.4.2 (rt0)
#   lbK - worker i       10.98.(10K+i).1 (wI) - 10.98.(10K+i).2 (lbK)
#   worker i service     10.98.100.i/32 on its lo: the backend address,
#                        the same whichever balancer steers to it
# Routing: the router reaches the VIP by a multipath route over both
# balancers with net.ipv4.fib_multipath_hash_policy=1 (the L4 hash: each
# UDP 5-tuple sticks to one balancer, different source ports spread).
# Policy rules pin source ports 6001, 7001 and 7003 of the client to lb1,
# 6002, 7002 and 7004 to lb2 (not 6003..: sipp takes media ports from 6000
# up), so that a test can send one call's messages through both, or
# register phones through one node and call them through the other. Workers route back by a multipath default over both balancers
# (either one rewrites a reply's source to the VIP: their siplb_snat maps
# agree); they reach Redis from their service address, which the router
# reaches over both balancers, so that a mirror's connection outlives
# either balancer.
# A balancer that dies: the router and the worker hosts ignore a nexthop
# whose link is down (ignore_routes_with_linkdown), so the multipath
# routes lose it the moment its carrier goes, as a router that watches
# its links (or BFD) would drop it; a pinned port's table then has no
# usable route and the lookup falls through to the multipath one.
# Knobs as in testbed.sh: rp_filter off and accept_local on the balancers'
# worker links, TX checksum offload off, XDP_PASS on the far end of every
# veth a balancer's XDP program may send into.
set -eu

SELF=${0##*/}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/testbed_lib.sh
. "$ROOT/scripts/testbed_lib.sh"
VIP=10.98.0.10

tb_env() {
	local i ws="" wips="" pins=""
	for i in $(seq 1 "$N"); do
		ws="$ws $PREFIX-w$i"
		wips="$wips 10.98.100.$i"
		pins="$pins $BPFFS/siplb-ctb-$PREFIX-w$i"
	done
	cat <<EOF
TB_PREFIX='$PREFIX'
TB_N=$N
TB_PINDIR='$BPFFS/siplb-ctb-$PREFIX-lb1'
TB_NS_CLIENT='$PREFIX-client'
TB_NS_LB='$PREFIX-lb1'
TB_NS_BACKENDS='${ws# }'
TB_VIP4=$VIP
TB_VIP6=''
TB_SIP_PORT=5060
TB_CLIENT_DEV=rt0
TB_CLIENT_IP4=10.98.1.2
TB_CLIENT_IP6=''
TB_BACKEND_DEV=lb1
TB_BACKEND_IP4S='${wips# }'
TB_BACKEND_IP6S=''
TB_NS_ROUTER='$PREFIX-rt'
TB_NS_REDIS='$PREFIX-rds'
TB_REDIS_IP4=10.98.4.2
TB_NS_LBS='$PREFIX-lb1 $PREFIX-lb2'
TB_LB_PINDIRS='$BPFFS/siplb-ctb-$PREFIX-lb1 $BPFFS/siplb-ctb-$PREFIX-lb2'
TB_LB_UP_IP4S='10.98.2.2 10.98.3.2'
TB_LB_DEVS='up0$(for i in $(seq 1 "$N"); do printf ' w%s' "$i"; done)'
TB_WORKER_PINDIRS='${pins# }'
TB_CLIENT_PORT_LB1=6001
TB_CLIENT_PORT_LB2=6002
TB_CLIENT_PORTS_LB1='6001 7001 7003'
TB_CLIENT_PORTS_LB2='6002 7002 7004'
EOF
}

tb_namespaces() {
	ip netns list | awk '{print $1}' |
		grep -E "^$PREFIX-(client|rt|rds|lb[12]|w[0-9]+)\$" || true
}

# linkdown_ignored NS: multipath routes in NS skip a nexthop whose link is
# down (the default keeps choosing it, and its packets are lost).
linkdown_ignored() {
	local c
	for c in all default; do
		nsrun "$1" sysctl -qw \
			"net.ipv4.conf.$c.ignore_routes_with_linkdown=1"
	done
}

# link NS1 DEV1 ADDR1 NS2 DEV2 ADDR2 [xdp]: a veth pair, /24 addresses;
# "xdp" puts XDP_PASS on NS1's end (a balancer's program sends into it).
link() {
	local ns
	ip link add name "$2" netns "$1" type veth peer name "$5" netns "$4" ||
		die "cannot create veth $1/$2 <-> $4/$5"
	nsrun "$1" ip addr add "$3/24" dev "$2"
	nsrun "$4" ip addr add "$6/24" dev "$5"
	for ns in "$1:$2" "$4:$5"; do
		nsrun "${ns%%:*}" ethtool -K "${ns#*:}" tx off >/dev/null
		nsrun "${ns%%:*}" ip link set dev "${ns#*:}" up
	done
	if [ "${7:-}" = xdp ]; then
		nsrun "$1" ip link set dev "$2" xdp obj "$XDP_PASS_OBJ" sec xdp
	fi
}

ping_from() {
	local ns=$1 dst=$2
	ip netns exec "$ns" ping -c 1 -W 1 "$dst" >/dev/null ||
		ip netns exec "$ns" ping -c 1 -W 1 "$dst" >/dev/null ||
		ip netns exec "$ns" ping -c 1 -W 1 "$dst" >/dev/null ||
		die "$ns cannot ping $dst"
}

build_router() {
	local rt=$PREFIX-rt k i port
	linkdown_ignored "$rt"
	link "$PREFIX-client" rt0 10.98.1.2 "$rt" cli0 10.98.1.1
	nsrun "$PREFIX-client" ip route add default via 10.98.1.1
	link "$PREFIX-rds" rt0 10.98.4.2 "$rt" rds0 10.98.4.1
	nsrun "$PREFIX-rds" ip route add default via 10.98.4.1
	for k in 1 2; do
		link "$rt" "lb$k" "10.98.$((1 + k)).1" "$PREFIX-lb$k" up0 \
			"10.98.$((1 + k)).2" xdp
	done
	nsrun "$rt" sysctl -qw net.ipv4.ip_forward=1
	nsrun "$rt" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
	nsrun "$rt" ip route add "$VIP/32" nexthop via 10.98.2.2 \
		nexthop via 10.98.3.2
	nsrun "$rt" ip route add 10.98.100.0/24 nexthop via 10.98.2.2 \
		nexthop via 10.98.3.2
	for k in 1 2; do
		for i in $(seq 1 "$N"); do
			nsrun "$rt" ip route add "10.98.$((10 * k + i)).0/24" \
				via "10.98.$((1 + k)).2"
		done
		nsrun "$rt" ip route add "$VIP/32" via "10.98.$((1 + k)).2" \
			table $((100 + k))
		for port in $((6000 + k)) $((7000 + k)) $((7002 + k)); do
			nsrun "$rt" ip rule add from 10.98.1.2 ipproto udp \
				sport "$port" lookup $((100 + k))
		done
	done
}

build_balancer() {
	local k=$1 lb=$PREFIX-lb$1 i w=""
	nsrun "$lb" ip addr add "$VIP/32" dev lo
	nsrun "$lb" sysctl -qw net.ipv4.conf.all.rp_filter=0
	nsrun "$lb" sysctl -qw net.ipv4.conf.default.rp_filter=0
	nsrun "$lb" ip route add default via "10.98.$((1 + k)).1"
	for i in $(seq 1 "$N"); do
		w=$PREFIX-w$i
		link "$w" "lb$k" "10.98.$((10 * k + i)).2" "$lb" "w$i" \
			"10.98.$((10 * k + i)).1" xdp
		nsrun "$lb" sysctl -qw "net.ipv4.conf.w$i.rp_filter=0"
		nsrun "$lb" sysctl -qw "net.ipv4.conf.w$i.accept_local=1"
		nsrun "$lb" ip route add "10.98.100.$i/32" \
			via "10.98.$((10 * k + i)).2"
	done
	nsrun "$lb" sysctl -qw net.ipv4.ip_forward=1
}

build_worker() {
	local i=$1 w=$PREFIX-w$1
	nsrun "$w" ip addr add "10.98.100.$i/32" dev lo
	nsrun "$w" sysctl -qw net.ipv4.conf.all.rp_filter=0
	nsrun "$w" sysctl -qw net.ipv4.conf.default.rp_filter=0
	nsrun "$w" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
	linkdown_ignored "$w"
	nsrun "$w" ip route add default nexthop via "10.98.$((10 + i)).1" \
		nexthop via "10.98.$((20 + i)).1"
	nsrun "$w" ip route add 10.98.4.0/24 src "10.98.100.$i" \
		nexthop via "10.98.$((10 + i)).1" nexthop via "10.98.$((20 + i)).1"
}

# Resolve the neighbours the balancers' XDP programs look up.
resolve() {
	local k i
	for k in 1 2; do
		ping_from "$PREFIX-lb$k" "10.98.$((1 + k)).1"
		for i in $(seq 1 "$N"); do
			ping_from "$PREFIX-lb$k" "10.98.$((10 * k + i)).2"
		done
	done
	ping_from "$PREFIX-client" 10.98.4.2
}

tb_up() {
	local i h
	tbl_preflight
	if [ -n "$(tb_namespaces)" ]; then
		echo "$SELF: testbed '$PREFIX' already exists; run: $SELF -p $PREFIX down" >&2
		exit 3
	fi
	trap 'tb_down >/dev/null 2>&1' EXIT
	trap 'exit 130' INT TERM
	for h in client rt rds lb1 lb2; do
		make_ns "$PREFIX-$h"
	done
	for i in $(seq 1 "$N"); do
		make_ns "$PREFIX-w$i"
	done
	build_router
	build_balancer 1
	build_balancer 2
	for i in $(seq 1 "$N"); do
		build_worker "$i"
	done
	resolve
	for h in lb1 lb2 $(seq -f 'w%g' 1 "$N"); do
		mkdir -p "$BPFFS/siplb-ctb-$PREFIX-$h" ||
			die "cannot create pin directory $BPFFS/siplb-ctb-$PREFIX-$h"
	done
	trap - EXIT INT TERM
	tb_env
}

tb_down() {
	local ns d
	for ns in $(tb_namespaces); do
		tbl_del_ns "$ns"
	done
	for d in "$BPFFS/siplb-ctb-$PREFIX-"*; do
		[ -e "$d" ] || continue
		rm -rf "$d" || die "cannot remove pin directory $d"
	done
}

tbl_args 9 worker slct "$@"

case $CMD in
up) tb_up ;;
down) tb_down ;;
env)
	n=$(tb_namespaces | grep -c -- '-w[0-9]*$' || true)
	[ "$n" -eq 0 ] || N=$n
	tb_env
	;;
esac
