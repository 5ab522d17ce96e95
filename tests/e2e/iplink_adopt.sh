#!/bin/bash
# The operator's way: attach siplb.bpf.o with `ip link ... xdp obj`, which
# pins the maps by name under /sys/fs/bpf/tc/globals, then drive those very
# maps with siplbctl and inspect them with bpftool. Checks that the program
# iproute2 loaded uses the maps siplbctl writes (same map ids), that
# bpftool prints map fields by name (BTF), that a hash key gets set, and
# that a real SIP datagram is steered by what siplbctl configured.
#
# /sys/fs/bpf/tc/globals is global to the machine: the test refuses to run
# if siplb maps are already pinned there, and removes only what it made.
set -eu
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
lib_tap

GLOBALS=/sys/fs/bpf/tc/globals
NS_LB=siplb-ipl-lb-$$
NS_CL=siplb-ipl-cl-$$
CTL="nsenter --net=/run/netns/$NS_LB build/siplbctl"
VIP=10.77.0.10
made_bpffs_dirs=""

# Each step needs the one before: the first failure ends the test.
fail() {
	die "$@"
}

cleanup() {
	ip -n "$NS_LB" link set dev ipl-lb xdp off 2>/dev/null || true
	build/siplbctl -P "$GLOBALS" unpin 2>/dev/null || true
	for d in $made_bpffs_dirs; do
		rmdir "$d" 2>/dev/null || rm -f "$d" 2>/dev/null || true
	done
	ip netns del "$NS_LB" 2>/dev/null || true
	ip netns del "$NS_CL" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
[ -e "$GLOBALS/siplb_vips" ] &&
	fail "siplb maps are already pinned in $GLOBALS; not touching them"
# iproute2 makes tc/globals and the ip, xdp links next to it.
[ -e /sys/fs/bpf/tc/globals ] || made_bpffs_dirs="$GLOBALS"
[ -e /sys/fs/bpf/tc ] || made_bpffs_dirs="$made_bpffs_dirs /sys/fs/bpf/tc"
[ -e /sys/fs/bpf/ip ] || made_bpffs_dirs="$made_bpffs_dirs /sys/fs/bpf/ip"
[ -e /sys/fs/bpf/xdp ] || made_bpffs_dirs="$made_bpffs_dirs /sys/fs/bpf/xdp"

ip netns add "$NS_LB"
ip netns add "$NS_CL"
ip -n "$NS_LB" link add ipl-lb type veth peer name ipl-cl netns "$NS_CL"
ip -n "$NS_LB" addr add 10.77.1.1/24 dev ipl-lb
ip -n "$NS_CL" addr add 10.77.1.2/24 dev ipl-cl
ip -n "$NS_LB" link set ipl-lb up
ip -n "$NS_CL" link set ipl-cl up
ip -n "$NS_CL" route add default via 10.77.1.1

# 1. Attach the way an operator does (run where /sys/fs/bpf is visible).
nsenter --net=/run/netns/"$NS_LB" \
	ip link set dev ipl-lb xdp obj build/siplb.bpf.o sec xdp ||
	fail "ip link could not attach build/siplb.bpf.o"
[ -e "$GLOBALS/siplb_vips" ] || fail "ip link did not pin siplb_vips"
pass "ip link attached build/siplb.bpf.o and pinned its maps"

# 2. Configure it through the pinned maps.
$CTL vip add $VIP:5060 || fail "vip add"
$CTL backend add $VIP:5060 10.77.2.2:5060 || fail "backend add"
$CTL backend add $VIP:5060 10.77.2.3:5060 || fail "backend add"
pass "siplbctl added the VIP and two backends through the pinned maps"

# 3. The attached program uses the pinned maps (same ids).
prog_id=$(ip -n "$NS_LB" -j link show ipl-lb | python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["xdp"]["prog"]["id"])')
prog_maps=$(bpftool -j prog show id "$prog_id" | python3 -c \
	'import json,sys; print(" ".join(map(str, json.load(sys.stdin)["map_ids"])))')
for m in siplb_vips siplb_backends siplb_rings siplb_affinity siplb_stats; do
	id=$(bpftool -j map show pinned "$GLOBALS/$m" | python3 -c \
		'import json,sys; print(json.load(sys.stdin)["id"])')
	case " $prog_maps " in
	*" $id "*) ;;
	*) fail "$m (map id $id) is not a map of program $prog_id ($prog_maps)" ;;
	esac
done
pass "program $prog_id uses the pinned maps ($prog_maps)"

# 4. bpftool shows fields by name (BTF kept in the object).
bpftool map dump pinned "$GLOBALS/siplb_backends" | grep -q '"vip_id"' ||
	fail "bpftool map dump does not show field names"
pass "bpftool map dump shows field names"
# 5. A secret hash key was drawn.
bpftool -j map lookup pinned "$GLOBALS/siplb_config" key 0 0 0 0 |
	python3 -c 'import json,sys
v = json.load(sys.stdin)["formatted"]["value"]["hash_key"]
sys.exit(0 if any(v) else 1)' || fail "hash key still zero after vip add"
pass "vip add drew a hash key"

# 6. A SIP datagram to the VIP is steered with that configuration.
ip netns exec "$NS_CL" python3 -c '
import socket
msg = (b"OPTIONS sip:bob@example.com SIP/2.0\r\n"
       b"Via: SIP/2.0/UDP 10.77.1.2:5070;branch=z9hG4bK1\r\n"
       b"Call-ID: iplink-adopt@client\r\nCSeq: 1 OPTIONS\r\n\r\n")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(msg, ("'$VIP'", 5060))'
sleep 0.5
steered=$($CTL -j stats | python3 -c '
import json,sys
d = json.load(sys.stdin)
c = d["counters"]
print(sum(v for k, v in c.items() if k.startswith("steer_")),
      sum(b["packets"] for b in d["backends"]))')
[ "$steered" = "1 1" ] ||
	fail "expected 1 steered packet and 1 backend packet, got: $steered"
pass "a SIP datagram to the VIP was steered to a backend"
