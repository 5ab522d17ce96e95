# shellcheck shell=bash
# testbed_lib.sh - what the two namespace testbeds share (scripts/
# testbed.sh, one balancer; scripts/cluster_testbed.sh, a cluster): the
# command line, namespaces made and removed, commands run inside them.
# Sourced by those two scripts, which set SELF (their name, for messages)
# and ROOT first, and call usage for a usage error: it prints the comment
# at the top of the script that sourced it.

XDP_PASS_OBJ=${SIPLB_XDP_PASS_OBJ:-$ROOT/build/xdp_pass.bpf.o}
BPFFS=/sys/fs/bpf

die() {
	echo "$SELF: $*" >&2
	exit 1
}

usage() {
	sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

# Run a command inside namespace $1, saying which command failed if it does.
nsrun() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" || die "in namespace $ns: '$*' failed"
}

# Create namespace $1 with loopback up.
make_ns() {
	ip netns add "$1" || die "cannot create namespace $1 (left over from" \
		"an earlier run? try: $SELF -p $PREFIX down)"
	nsrun "$1" ip link set dev lo up
}

# tbl_preflight: root, the peers' XDP_PASS object, bpffs mounted.
tbl_preflight() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, XDP)"
	command -v ethtool >/dev/null || die "ethtool not found (apt-get install ethtool)"
	command -v ping >/dev/null || die "ping not found (apt-get install iputils-ping)"
	[ -f "$XDP_PASS_OBJ" ] || die "$XDP_PASS_OBJ not found: run 'make' first"
	mountpoint -q "$BPFFS" || mount -t bpf bpf "$BPFFS" ||
		die "cannot mount bpffs on $BPFFS"
}

# tbl_del_ns NS: end what is left inside NS and delete it. A namespace
# lives on while a process is inside it; its callers should have ended
# theirs, so a process here is one this instance left behind (never
# anyone else's: the namespace is ours). Deleting the namespace destroys
# its veths (both ends of each pair) and detaches their XDP programs.
tbl_del_ns() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null || true)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086 # one line of PIDs
		echo "$SELF: ending processes left in $1:" $pids >&2
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
	fi
	ip netns del "$1" || echo "$SELF: cannot delete namespace $1" >&2
}

# tbl_args MAX NOUN PREFIX_BASE ARGS...: the testbeds' command line
# ([-p PREFIX] [-n COUNT] up|down|env): sets PREFIX, N (1..MAX NOUNs,
# default 3 or SIPLB_TB_BACKENDS) and CMD. Without -p, `up` makes a
# prefix of PREFIX_BASE and the PID.
tbl_args() {
	local max=$1 noun=$2 base=$3 opt OPTIND=1
	shift 3
	PREFIX=${SIPLB_TB_PREFIX:-}
	N=${SIPLB_TB_BACKENDS:-3}
	while getopts p:n:h opt; do
		case $opt in
		p) PREFIX=$OPTARG ;;
		n) N=$OPTARG ;;
		*) usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 1 ] || usage
	CMD=$1
	case $CMD in
	up | down | env) ;;
	*) usage ;;
	esac
	case $N in
	'' | *[!0-9]*) die "$noun count must be a number 1..$max, not '$N'" ;;
	esac
	if [ "$N" -lt 1 ] || [ "$N" -gt "$max" ]; then
		die "$noun count must be 1..$max, not $N"
	fi
	if [ -z "$PREFIX" ]; then
		[ "$CMD" = up ] ||
			die "$CMD: which testbed? give -p PREFIX (as printed by 'up')"
		PREFIX=$base$$
	fi
	case $PREFIX in
	'' | *[!A-Za-z0-9_]*) die "prefix may hold only letters, digits and '_': '$PREFIX'" ;;
	esac
	[ ${#PREFIX} -le 32 ] || die "prefix longer than 32 characters: '$PREFIX'"
}
