#!/bin/bash
# xdp_coexist.sh - siplb leaves other XDP programs alone.
#
# In a namespace of its own (a veth pair) with its own pin directory:
#   1. A foreign program (build/xdp_pass.bpf.o, attached with `ip link`):
#      `siplbctl attach` refuses (exit 1, names the program) and pins
#      nothing; `siplbctl detach` refuses; the program is still there.
#   2. siplbd with that interface refuses to start and says why; with
#      `xdp-replace on` it starts and siplb_xdp is attached.
#   3. `siplbctl attach --force` replaces a foreign program; `siplbctl
#      attach` over siplb's own program replaces it without --force;
#      `siplbctl detach` removes siplb's program.
#   4. xdp-loader (libxdp): `xdp-loader load` of siplb.bpf.o, maps pinned in
#      our directory: siplbctl drives those maps and a SIP datagram to the
#      VIP is counted; siplbctl detach recognises the program as siplb's.
#      Where the kernel lets libxdp run its dispatcher (freplace), a second
#      program loads beside siplb; where it refuses (EPERM here), libxdp
#      attaches siplb alone and a second load is refused: the test says
#      which it saw.
# Run as root; cleans up the namespace, the pins and what libxdp made.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

NS=siplb-cx-$$
PIN=/sys/fs/bpf/siplb-cx-$$
PIN0=$PIN
DEV=cx0
PEER=cx1
SIPLBCTL=$ROOT/build/siplbctl
SIPLBD=$ROOT/build/siplbd
PASS_OBJ=$ROOT/build/xdp_pass.bpf.o
LB_OBJ=$ROOT/build/siplb.bpf.o
made_xdp_dir=0
SIPLBD_PID=""

[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, XDP)"
for f in "$SIPLBCTL" "$SIPLBD" "$PASS_OBJ" "$LB_OBJ"; do
	[ -e "$f" ] || die "$f not found: run 'make' first"
done
command -v xdp-loader >/dev/null || die "xdp-loader not found: run scripts/deps.sh"

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$SIPLBD_PID" ]; then
		kill "$SIPLBD_PID" 2>/dev/null
		wait "$SIPLBD_PID" 2>/dev/null
	fi
	in_ns xdp-loader unload "$DEV" --all >/dev/null 2>&1
	ip -n "$NS" link set dev "$DEV" xdp off 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NS-p" 2>/dev/null
	rm -rf "$PIN0" "$PIN0-xl"
	[ "$made_xdp_dir" = 1 ] && rmdir /sys/fs/bpf/xdp 2>/dev/null
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# in_ns CMD...: in the namespace, with /sys/fs/bpf visible (nsenter, not
# `ip netns exec`, which remounts /sys).
in_ns() {
	nsenter --net="/run/netns/$NS" "$@"
}
ctl() {
	in_ns "$SIPLBCTL" -P "$PIN" -S "$WORK/none.sock" "$@"
}
# prog_name: the name of the XDP program on DEV ("" if none).
prog_name() {
	ip -n "$NS" -j -d link show dev "$DEV" | python3 -c '
import json, sys
link = json.load(sys.stdin)[0]
xdp = link.get("xdp") or {}
progs = [xdp.get("prog")] if xdp.get("prog") else []
progs += [a.get("prog") for a in xdp.get("attached", []) if a.get("prog")]
print(progs[0].get("name", "") if progs else "")'
}
expect_prog() {
	local got
	got=$(prog_name)
	if [ "$got" = "$1" ]; then
		pass "$2 (program on $DEV: ${1:-none})"
	else
		fail "$2: the program on $DEV is '${got:-none}', expected '${1:-none}'"
	fi
}

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
[ -e /sys/fs/bpf/xdp ] || made_xdp_dir=1
WORK=$(mktemp -d /tmp/siplb-cx.XXXXXX)
ip netns add "$NS"
ip netns add "$NS-p"
ip -n "$NS" link add "$DEV" type veth peer name "$PEER" netns "$NS-p"
ip -n "$NS" addr add 10.78.0.1/24 dev "$DEV"
ip -n "$NS" addr add 10.78.0.10/32 dev lo
ip -n "$NS" link set lo up
ip -n "$NS" link set "$DEV" up
ip -n "$NS-p" addr add 10.78.0.2/24 dev "$PEER"
ip -n "$NS-p" link set "$PEER" up
ip -n "$NS-p" route add 10.78.0.10/32 via 10.78.0.1

# 1. A foreign program.
ip -n "$NS" link set dev "$DEV" xdpgeneric obj "$PASS_OBJ" sec xdp
expect_prog xdp_pass "ip link attached the foreign program"
rc=0
ctl attach "$DEV" >"$WORK/attach.out" 2>&1 || rc=$?
if [ "$rc" = 1 ] && grep -q "'xdp_pass'.*not siplb's" "$WORK/attach.out"; then
	pass "siplbctl attach refuses: $(head -n 1 "$WORK/attach.out")"
else
	fail "siplbctl attach over xdp_pass: exit $rc, said: $(cat "$WORK/attach.out")"
fi
expect_prog xdp_pass "the foreign program stayed"
if [ ! -e "$PIN" ]; then
	pass "the refused attach pinned nothing"
else
	fail "the refused attach made $PIN"
fi
rc=0
ctl detach "$DEV" >"$WORK/detach.out" 2>&1 || rc=$?
if [ "$rc" = 1 ] && grep -q "not siplb's: not removing" "$WORK/detach.out"; then
	pass "siplbctl detach refuses: $(head -n 1 "$WORK/detach.out")"
else
	fail "siplbctl detach of xdp_pass: exit $rc, said: $(cat "$WORK/detach.out")"
fi
expect_prog xdp_pass "the foreign program survived detach"

# 2. siplbd, which attaches to its configured interfaces.
printf 'u:siplb.test:%s\n' "$(printf 'u:siplb.test:pw' | md5sum | cut -d' ' -f1)" \
	>"$WORK/users"
conf() {
	cat <<EOF
pin-dir $PIN
interface $DEV
xdp-mode generic
control-socket $WORK/siplbd.sock
realm siplb.test
users users
vip 10.78.0.10:5060 {
	backend 10.78.0.2:5060
}
EOF
}
conf >"$WORK/siplb.conf"
rc=0
in_ns timeout 20 "$SIPLBD" -c "$WORK/siplb.conf" -d >"$WORK/siplbd1.log" 2>&1 || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q "not siplb's" "$WORK/siplbd1.log"; then
	pass "siplbd refuses to start over xdp_pass (exit $rc):" \
		"$(grep "not siplb's" "$WORK/siplbd1.log" | head -n 1)"
else
	fail "siplbd over xdp_pass: exit $rc, log: $(cat "$WORK/siplbd1.log")"
fi
expect_prog xdp_pass "siplbd left the foreign program"
{ conf; echo "xdp-replace on"; } >"$WORK/siplb.conf"
# nsenter itself, not in_ns: $! must be siplbd's PID (nsenter execs it).
nsenter --net="/run/netns/$NS" "$SIPLBD" -c "$WORK/siplb.conf" -d \
	>"$WORK/siplbd2.log" 2>&1 &
SIPLBD_PID=$!
for _ in $(seq 1 100); do
	grep -q "running:" "$WORK/siplbd2.log" && break
	kill -0 "$SIPLBD_PID" 2>/dev/null || break
	sleep 0.1
done
if grep -q "running:" "$WORK/siplbd2.log" &&
	grep -q "replacing XDP program 'xdp_pass'" "$WORK/siplbd2.log"; then
	pass "siplbd with xdp-replace on replaced it and runs"
else
	fail "siplbd with xdp-replace on: $(cat "$WORK/siplbd2.log")"
fi
kill "$SIPLBD_PID" 2>/dev/null || true
wait "$SIPLBD_PID" 2>/dev/null || true
SIPLBD_PID=""
expect_prog siplb_xdp "siplbd's program stays after it exits"

# 3. --force, our own program, detach.
ctl detach "$DEV" >"$WORK/detach2.out" 2>&1 ||
	fail "siplbctl detach of siplb_xdp failed: $(cat "$WORK/detach2.out")"
expect_prog "" "siplbctl detach removed siplb's program"
ip -n "$NS" link set dev "$DEV" xdpgeneric obj "$PASS_OBJ" sec xdp
if ctl attach "$DEV" --force >"$WORK/force.out" 2>&1; then
	pass "siplbctl attach --force succeeds: $(head -n 1 "$WORK/force.out")"
else
	fail "siplbctl attach --force: $(cat "$WORK/force.out")"
fi
expect_prog siplb_xdp "--force replaced xdp_pass"
if ctl attach "$DEV" >"$WORK/again.out" 2>&1; then
	pass "siplbctl attach over siplb's own program needs no --force"
else
	fail "siplbctl attach over siplb_xdp: $(cat "$WORK/again.out")"
fi
expect_prog siplb_xdp "still siplb's"
ctl detach "$DEV" >/dev/null 2>&1 || fail "siplbctl detach failed"
expect_prog "" "detached"

# 4. xdp-loader, with maps of its own (siplbd's VIP is in $PIN).
PIN=$PIN-xl
if in_ns xdp-loader load -m skb -p "$PIN" "$DEV" "$LB_OBJ" \
	>"$WORK/xdploader.out" 2>&1; then
	pass "xdp-loader load -m skb -p $PIN $DEV siplb.bpf.o"
else
	fail "xdp-loader load: $(cat "$WORK/xdploader.out")"
fi
in_ns xdp-loader status "$DEV" >"$WORK/status1.out" 2>&1 || true
if grep -q xdp_dispatcher "$WORK/status1.out"; then
	mode=dispatcher
else
	mode=single
fi
log "libxdp attached siplb $([ $mode = dispatcher ] &&
	echo "through its dispatcher" ||
	echo "alone (no dispatcher: the kernel refused freplace)")"
ctl vip add 10.78.0.10:5060 >/dev/null 2>&1 || fail "siplbctl vip add on xdp-loader's maps"
ctl backend add 10.78.0.10:5060 10.78.0.2:5060 >/dev/null 2>&1 ||
	fail "siplbctl backend add on xdp-loader's maps"
steered() {
	ctl -j stats | python3 -c 'import json, sys
c = json.load(sys.stdin)["counters"]
print(sum(v for k, v in c.items() if k.startswith("steer_")))'
}
before=$(steered)
# Datagrams to the VIP from the peer namespace: XDP on DEV sees them.
ip netns exec "$NS-p" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
msg = (b"OPTIONS sip:x@10.78.0.10 SIP/2.0\r\nVia: SIP/2.0/UDP 10.78.0.2:5099\r\n"
       b"Call-ID: cx@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
for _ in range(5):
    s.sendto(msg, ("10.78.0.10", 5060))'
sleep 0.5
after=$(steered)
if [ "$((after - before))" -ge 5 ]; then
	pass "siplb loaded by xdp-loader steers with the maps siplbctl drives" \
		"(steer_* $before -> $after after 5 datagrams)"
else
	fail "steer_* went from $before to $after after 5 datagrams"
fi
rc=0
in_ns xdp-loader load -m skb "$DEV" "$PASS_OBJ" >"$WORK/second.out" 2>&1 || rc=$?
in_ns xdp-loader status "$DEV" >"$WORK/status2.out" 2>&1 || true
if [ $mode = dispatcher ]; then
	if [ "$rc" = 0 ] && grep -q xdp_pass "$WORK/status2.out" &&
		grep -q siplb_xdp "$WORK/status2.out"; then
		pass "a second program runs beside siplb in libxdp's dispatcher"
	else
		fail "second program through the dispatcher: exit $rc: $(cat "$WORK/second.out")"
	fi
	rc=0
	ctl detach "$DEV" >"$WORK/detach3.out" 2>&1 || rc=$?
	if [ "$rc" = 1 ] && grep -q "xdp-loader unload" "$WORK/detach3.out"; then
		pass "siplbctl detach leaves libxdp's dispatcher to xdp-loader"
	else
		fail "siplbctl detach of the dispatcher: exit $rc: $(cat "$WORK/detach3.out")"
	fi
	in_ns xdp-loader unload "$DEV" --all >/dev/null 2>&1 || true
else
	if [ "$rc" != 0 ] && grep -q siplb_xdp "$WORK/status2.out"; then
		pass "without a dispatcher a second xdp-loader load is refused" \
			"and siplb stays"
	else
		fail "second xdp-loader load: exit $rc: $(cat "$WORK/second.out")"
	fi
	if ctl detach "$DEV" >"$WORK/detach3.out" 2>&1; then
		pass "siplbctl detach removes siplb loaded by xdp-loader"
	else
		fail "siplbctl detach: $(cat "$WORK/detach3.out")"
	fi
fi
expect_prog "" "nothing left on $DEV"

if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks"
	exit 1
fi
log "PASS"
