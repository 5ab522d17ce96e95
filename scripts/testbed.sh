#!/bin/bash
# testbed.sh - the network-namespace testbed of siplb: one client, one
# balancer and N backends, each in a namespace of its own, joined by veth
# pairs (no bridge: XDP_REDIRECT cannot send into one). The demo, the
# end-to-end tests and the benchmarks all build on it.
#
#   testbed.sh [-p PREFIX] [-n BACKENDS] up     build it; prints `env` output
#                                               (exit 3: PREFIX exists already)
#   testbed.sh [-p PREFIX] [-n BACKENDS] env    print names/addresses as shell
#                                               assignments (for eval)
#   testbed.sh [-p PREFIX] down                 remove it (idempotent)
#
# PREFIX (or $SIPLB_TB_PREFIX) names this instance: namespaces are
# PREFIX-client, PREFIX-lb and PREFIX-b1..PREFIX-bN, the BPF pin directory
# is /sys/fs/bpf/siplb-tb-PREFIX. `up` defaults to "sltb<pid>", so two runs
# never collide; `down` and `env` need the prefix `up` printed, e.g.
#
#   eval "$(scripts/testbed.sh up)"; ...; scripts/testbed.sh -p "$TB_PREFIX" down
#
# Address plan (same in every instance; namespaces keep instances apart):
#   VIP                10.99.0.10/32   fd00:99::10/128   on the balancer's lo
#   client link        10.99.1.0/24    fd00:99:1::/64    client .2, balancer .1
#   backend i link     10.99.(10+i).0/24  fd00:99:(10+i)::/64  backend .2, lb .1
#   Interfaces: client "lb0"; balancer "cli0" (to the client) and "be1".."beN";
#   backend i "lb0". Client and backends route by default via the balancer.
#
# Why the knobs below:
#  - rp_filter=0 and accept_local=1 on the balancer's backend-facing links:
#    the XDP program rewrites the source of backend replies to the VIP, a
#    local address, and may hand such a packet to the kernel to forward when
#    the next hop is unresolved; and siplb-worker sends to clients from the
#    VIP itself (its IP fragments too), which only the kernel forwards. The
#    kernel would drop such packets as martians.
#  - TX checksum offload off on every veth end: XDP on veth sees
#    CHECKSUM_PARTIAL packets whose UDP checksum holds only the pseudo-header
#    sum, and the XDP program updates checksums incrementally, which needs
#    complete ones.
#  - build/xdp_pass.bpf.o on the far end of every veth: a veth drops frames
#    that XDP_TX/XDP_REDIRECT send to it unless its peer runs XDP.
set -eu

SELF=${0##*/}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/testbed_lib.sh
. "$ROOT/scripts/testbed_lib.sh"

# The names and addresses of the instance, as shell assignments.
tb_env() {
	local i backends="" b_ip4="" b_ip6="" lb_devs="" lb_ip4s=""
	for i in $(seq 1 "$N"); do
		backends="$backends $PREFIX-b$i"
		b_ip4="$b_ip4 10.99.$((10 + i)).2"
		b_ip6="$b_ip6 fd00:99:$((10 + i))::2"
		lb_devs="$lb_devs be$i"
		lb_ip4s="$lb_ip4s 10.99.$((10 + i)).1"
	done
	cat <<EOF
TB_PREFIX='$PREFIX'
TB_N=$N
TB_PINDIR='$BPFFS/siplb-tb-$PREFIX'
TB_NS_CLIENT='$PREFIX-client'
TB_NS_LB='$PREFIX-lb'
TB_NS_BACKENDS='${backends# }'
TB_VIP4=10.99.0.10
TB_VIP6=fd00:99::10
TB_SIP_PORT=5060
TB_CLIENT_DEV=lb0
TB_CLIENT_IP4=10.99.1.2
TB_CLIENT_IP6=fd00:99:1::2
TB_LB_CLIENT_DEV=cli0
TB_LB_CLIENT_IP4=10.99.1.1
TB_LB_CLIENT_IP6=fd00:99:1::1
TB_LB_BACKEND_DEVS='${lb_devs# }'
TB_LB_BACKEND_IP4S='${lb_ip4s# }'
TB_BACKEND_DEV=lb0
TB_BACKEND_IP4S='${b_ip4# }'
TB_BACKEND_IP6S='${b_ip6# }'
EOF
}

# Namespaces of this instance that exist now.
tb_namespaces() {
	ip netns list | awk '{print $1}' |
		grep -E "^$PREFIX-(client|lb|b[0-9]+)\$" || true
}

# Link namespace $1 (device $2, addresses $3 $4) with $5 (device $6,
# addresses $7 $8); $1 is the far end and gets the XDP_PASS program.
make_link() {
	local far_ns=$1 far_dev=$2 far4=$3 far6=$4
	local lb_ns=$5 lb_dev=$6 lb4=$7 lb6=$8 ns dev
	ip link add name "$far_dev" netns "$far_ns" type veth \
		peer name "$lb_dev" netns "$lb_ns" ||
		die "cannot create veth $far_ns/$far_dev <-> $lb_ns/$lb_dev"
	nsrun "$far_ns" ip addr add "$far4/24" dev "$far_dev"
	nsrun "$far_ns" ip -6 addr add "$far6/64" dev "$far_dev" nodad
	nsrun "$lb_ns" ip addr add "$lb4/24" dev "$lb_dev"
	nsrun "$lb_ns" ip -6 addr add "$lb6/64" dev "$lb_dev" nodad
	for ns in "$far_ns" "$lb_ns"; do
		[ "$ns" = "$far_ns" ] && dev=$far_dev || dev=$lb_dev
		nsrun "$ns" ethtool -K "$dev" tx off >/dev/null
		nsrun "$ns" ip link set dev "$dev" up
	done
	nsrun "$far_ns" ip link set dev "$far_dev" xdp obj "$XDP_PASS_OBJ" sec xdp
	nsrun "$far_ns" ip route add default via "${lb4}"
	nsrun "$far_ns" ip -6 route add default via "${lb6}"
}

tb_up() {
	local i ns4 ns6 b
	tbl_preflight
	if [ -n "$(tb_namespaces)" ]; then
		echo "$SELF: testbed '$PREFIX' already exists; run: $SELF -p $PREFIX down" >&2
		exit 3
	fi

	# From here on, a failure removes whatever was built.
	trap 'tb_down >/dev/null 2>&1' EXIT
	trap 'exit 130' INT TERM

	local lb=$PREFIX-lb client=$PREFIX-client
	make_ns "$lb"
	make_ns "$client"
	for i in $(seq 1 "$N"); do
		make_ns "$PREFIX-b$i"
	done

	# Balancer: forwarding router that owns the VIPs.
	nsrun "$lb" ip addr add 10.99.0.10/32 dev lo
	nsrun "$lb" ip -6 addr add fd00:99::10/128 dev lo nodad
	nsrun "$lb" sysctl -qw net.ipv4.conf.all.rp_filter=0
	nsrun "$lb" sysctl -qw net.ipv4.conf.default.rp_filter=0

	make_link "$client" lb0 10.99.1.2 fd00:99:1::2 \
		"$lb" cli0 10.99.1.1 fd00:99:1::1
	nsrun "$lb" sysctl -qw net.ipv4.conf.cli0.rp_filter=0
	for i in $(seq 1 "$N"); do
		make_link "$PREFIX-b$i" lb0 "10.99.$((10 + i)).2" \
			"fd00:99:$((10 + i))::2" \
			"$lb" "be$i" "10.99.$((10 + i)).1" "fd00:99:$((10 + i))::1"
		nsrun "$lb" sysctl -qw "net.ipv4.conf.be$i.rp_filter=0"
		nsrun "$lb" sysctl -qw "net.ipv4.conf.be$i.accept_local=1"
	done

	# After the links exist, so that every interface forwards.
	nsrun "$lb" sysctl -qw net.ipv4.ip_forward=1
	nsrun "$lb" sysctl -qw net.ipv6.conf.all.forwarding=1

	# Resolve every neighbour now, so the XDP program finds next hops.
	ns4="10.99.1.2"
	ns6="fd00:99:1::2"
	for i in $(seq 1 "$N"); do
		ns4="$ns4 10.99.$((10 + i)).2"
		ns6="$ns6 fd00:99:$((10 + i))::2"
	done
	for b in $ns4 $ns6; do
		# Up to 3 tries: a link can still be settling (XDP attach
		# blips a veth's carrier).
		ip netns exec "$lb" ping -c 1 -W 1 "$b" >/dev/null ||
			ip netns exec "$lb" ping -c 1 -W 1 "$b" >/dev/null ||
			ip netns exec "$lb" ping -c 1 -W 1 "$b" >/dev/null ||
			die "balancer cannot ping neighbour $b"
	done

	# The instance's own pin directory: pinned names are global to the
	# machine, so instances must not share /sys/fs/bpf/tc/globals.
	mkdir -p "$BPFFS/siplb-tb-$PREFIX" ||
		die "cannot create pin directory $BPFFS/siplb-tb-$PREFIX"

	trap - EXIT INT TERM
	tb_env
}

tb_down() {
	local ns pindir=$BPFFS/siplb-tb-$PREFIX
	for ns in $(tb_namespaces); do
		tbl_del_ns "$ns"
	done
	if [ -e "$pindir" ]; then
		rm -rf "$pindir" || die "cannot remove pin directory $pindir"
	fi
}

tbl_args 200 backend sltb "$@"

case $CMD in
up) tb_up ;;
down) tb_down ;;
env)
	# An instance that exists says how many backends it has.
	n=$(tb_namespaces | grep -c -- '-b[0-9]*$' || true)
	[ "$n" -eq 0 ] || N=$n
	tb_env
	;;
esac
