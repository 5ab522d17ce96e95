#!/bin/bash
# phones.sh - real phones through siplb: Debian's baresip and linphonec,
# headless, with the configuration etc/siplb.conf ships.
#
# On the namespace testbed (scripts/testbed.sh, 3 backends) siplbd runs
# with etc/siplb.conf as shipped, only its addresses, names and paths
# replaced by the testbed's (so the Digest challenge is the default
# policy's); one siplb-worker per backend (scripts/phones.sh). In the
# client namespace, which resolves nothing (its resolv.conf points at
# 127.0.0.1, where nothing answers), two phones, each with its commands
# on a FIFO and its output in a log:
#
#   baresip    phone0001, on CLIENT_IP:5070, no sound card (a tone from a
#              file as the microphone, aubridge as the speaker), its mwi
#              and presence
#              modules not loaded (their SUBSCRIBEs are tests/e2e of the
#              events work, not this test's);
#   linphonec  phone0002, on CLIENT_IP:5062, its own HOME, the VIP as its
#              registrar route (else it would look siplb.test up in DNS).
#
#   1. Both register (401 with the default challenge, then 200): two
#      bindings in `siplbctl bindings` and in the pinned siplb_location
#      map as bpftool dumps it, each with its phone's source port.
#   2. baresip calls linphonec, which answers; baresip holds and resumes
#      (re-INVITEs), then linphonec does; baresip hangs up.
#   3. linphonec calls baresip, which answers; linphonec hangs up.
#   4. baresip calls linphonec and hangs up while it rings (CANCEL).
#   5. A MESSAGE each way.
#   6. Both unregister: no bindings left.
#   7. The workers counted the INVITEs and the CANCEL, and captures at the
#      workers show every message of each call at one worker.
#   8. With etc/siplb.conf's commented `user-agent-algorithms Linphone*
#      SHA-256 MD5` turned on (siplbctl reload), a new linphonec gets
#      SHA-256 first and answers with SHA-256.
#
# Every wait is bounded (PHONES_WAIT seconds each, default 20); every
# process is ours, by PID, and the cleanup ends it.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
WAIT=${PHONES_WAIT:-20}
REALM=siplb.test
DOMAIN=siplb.test
BS_PORT=5070
LP_PORT=5062

for tool in baresip linphonec bpftool; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: run scripts/deps.sh (baresip-core, linphone-cli)"
done

LIB_FAMILY=4
lib_init phones

# The client namespace's resolver: /etc/netns/NS/resolv.conf, which `ip
# netns exec` mounts over /etc/resolv.conf. Removed at exit, before the
# library's cleanup (which keeps the exit status it is handed).
NETNS_ETC=""
phones_cleanup() {
	[ -z "$NETNS_ETC" ] || rm -rf "$NETNS_ETC"
}
# set +e first: under set -e, `(exit $rc)` would end the trap there.
trap 'rc=$?; set +e; phones_cleanup; (exit $rc); lib_cleanup' EXIT

tb_up 3
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP, workers $BACKEND_IPS"
NETNS_ETC=/etc/netns/$TB_NS_CLIENT
[ ! -e "$NETNS_ETC" ] || die "$NETNS_ETC exists already"
mkdir -p "$NETNS_ETC"
echo 'nameserver 127.0.0.1' >"$NETNS_ETC/resolv.conf"

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" 2 phone
BS_USER=$(sed -n 1p "$LIB_WORK/users.list" | cut -d';' -f1)
BS_PASS=$(sed -n 1p "$LIB_WORK/users.list" | cut -d';' -f2)
LP_USER=$(sed -n 2p "$LIB_WORK/users.list" | cut -d';' -f1)
LP_PASS=$(sed -n 2p "$LIB_WORK/users.list" | cut -d';' -f2)
BS_AOR=sip:$BS_USER@$DOMAIN
LP_AOR=sip:$LP_USER@$DOMAIN

# The shipped configuration with the testbed's addresses: its pin-dir,
# interface, control-socket, realm, users lines and its vip block give
# way to siplbd_conf's; everything else (registrar, auth, health, guard
# blocks, xdp-mode, affinity-size) is etc/siplb.conf's.
{
	siplbd_conf "$REALM" users.htdigest
	awk '/^vip[ \t]/ { skip = 1 }
	     skip { if ($0 ~ /^}/) skip = 0; next }
	     /^(pin-dir|interface|control-socket|realm|users)[ \t]/ { next }
	     { print }' "$ROOT/etc/siplb.conf"
} >"$LIB_WORK/siplb.conf"
siplbd_check "$LIB_WORK/siplb.conf" ||
	die "siplbd -n refused the configuration: $(cat "$LIB_WORK/siplbd-n.out")"
siplbd_start "$LIB_WORK/siplb.conf" || die "siplbd did not start"
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"
pass "siplbd with the shipped configuration and 3 workers up"
workers_capture_start

# wait_for LOG REGEX [SECONDS]: until an extended regex matches a line of
# LOG; 1 after SECONDS (default WAIT).
wait_for() {
	local logf=$1 re=$2 secs=${3:-$WAIT} i
	for i in $(seq 1 $((secs * 5))); do
		grep -Eq -- "$re" "$logf" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# count_of LOG REGEX: how many lines of LOG match.
count_of() {
	grep -Ec -- "$2" "$1" 2>/dev/null || true
}

# expect WHAT LOG REGEX [SECONDS]: pass if REGEX shows up in LOG in time.
expect() {
	if wait_for "$2" "$3" "${4:-$WAIT}"; then
		pass "$1"
	else
		fail "$1 (no /$3/ in ${2##*/} within ${4:-$WAIT} s)"
		tail -n 15 "$2" | sed "s/^/$LIB_NAME:   /" >&2
	fi
}

# ---- the phones ---------------------------------------------------------

BS_DIR=$LIB_WORK/baresip
mkdir -p "$BS_DIR"
cat >"$BS_DIR/config" <<EOF
poll_method		epoll
sip_listen		$CLIENT_IP:$BS_PORT
sip_trans_def		udp
call_local_timeout	120
call_max_calls		4
audio_source		aufile,$BS_DIR/tone.wav
audio_player		aubridge,speaker
audio_alert		aubridge,alert
module_path		/usr/lib/baresip/modules
module			stdio.so
module			g711.so
module			aufile.so
module			aubridge.so
# Not mwi.so nor presence.so: their SUBSCRIBE/PUBLISH handling is tested by
# the events work (p-events); this test is about registration and calls.
module_app		account.so
module_app		contact.so
module_app		menu.so
EOF
# The microphone: 5 minutes of a 440 Hz tone at 8 kHz (PCMU's rate, so
# nothing resamples; ausine would need 48 kHz).
python3 - "$BS_DIR/tone.wav" <<'EOF'
import math, struct, sys, wave
w = wave.open(sys.argv[1], 'wb')
w.setnchannels(1)
w.setsampwidth(2)
w.setframerate(8000)
period = b''.join(struct.pack('<h', int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                  for i in range(8000))
w.writeframes(period * 300)
w.close()
EOF
# The VIP as outbound proxy: the domain is not in any DNS.
printf '<%s>;auth_user=%s;auth_pass=%s;outbound="sip:%s;lr";regint=600;answermode=manual\n' \
	"$BS_AOR" "$BS_USER" "$BS_PASS" "$VIP_EP" >"$BS_DIR/accounts"
printf '"linphone" <%s>\n' "$LP_AOR" >"$BS_DIR/contacts"

LP_HOME=$LIB_WORK/linphone
mkdir -p "$LP_HOME/.local/share/linphone"
cat >"$LP_HOME/linphonerc" <<EOF
[sip]
sip_port=$LP_PORT
sip_tcp_port=-1
sip_tls_port=-1
bind_address=$CLIENT_IP
default_proxy=0
register_only_when_network_is_up=0
guess_hostname=0
inc_timeout=120
ping_with_options=0

[net]
mtu=1300
firewall_policy=0

[rtp]
audio_rtp_port=7078

[sound]
echocancellation=0

[video]
enabled=0
capture=0
display=0

[proxy_0]
reg_proxy=sip:$VIP_EP;transport=udp
reg_route=sip:$VIP_EP;transport=udp;lr
reg_identity="linphone" <$LP_AOR>
reg_expires=600
reg_sendregister=1
publish=0
dial_escape_plus=0

[auth_info_0]
username=$LP_USER
userid=$LP_USER
passwd=$LP_PASS
realm=$REALM
domain=$DOMAIN
EOF

cp "$LP_HOME/linphonerc" "$LP_HOME/linphonerc.orig"

BS_LOG=$LIB_WORK/baresip.log
LP_LOG=$LIB_WORK/linphonec.log
mkfifo "$LIB_WORK/baresip.in" "$LIB_WORK/linphonec.in"
# Read-write opens: neither blocks, and the phones never see end-of-file.
exec {BS_IN}<>"$LIB_WORK/baresip.in"
exec {LP_IN}<>"$LIB_WORK/linphonec.in"
bs() { log "baresip < $*"; printf '%s\n' "$*" >&"$BS_IN"; }
lp() { log "linphonec < $*"; printf '%s\n' "$*" >&"$LP_IN"; }

# lib_bg's `&` would give the phone /dev/null as stdin (a background job
# without a redirection of its own): sh redirects, then execs the phone,
# so the PID is the phone's (ip netns exec and env exec too).
BS_PID="" LP_PID=""
lib_bg BS_PID ip netns exec "$TB_NS_CLIENT" env HOME="$BS_DIR" \
	sh -c 'exec baresip -f "$1" <"$2" >"$3" 2>&1' sh \
	"$BS_DIR" "$LIB_WORK/baresip.in" "$BS_LOG"
# linphonec_start LOG DEBUG_LOG: linphonec, its output line-buffered
# (it is a file), its SIP trace in DEBUG_LOG; PID in LP_PID.
linphonec_start() {
	lib_bg LP_PID ip netns exec "$TB_NS_CLIENT" env HOME="$LP_HOME" \
		sh -c 'exec stdbuf -oL linphonec -d 5 -l "$4" -c "$1" \
			<"$2" >"$3" 2>&1' sh \
		"$LP_HOME/linphonerc" "$LIB_WORK/linphonec.in" "$1" "$2"
}
linphonec_start "$LP_LOG" "$LIB_WORK/linphonec-debug.log"
log "baresip $BS_PID ($BS_AOR), linphonec $LP_PID ($LP_AOR)"

# linphonec prints no line when it registers: ask it (status register)
# until it says so, WAIT seconds at most.
lp_status() {	# REGEX: 0 once `status register` prints a matching line
	local i
	for i in $(seq 1 "$WAIT"); do
		lp "status register"
		sleep 1
		grep -Eq -- "$1" "$LP_LOG" && return 0
	done
	return 1
}

# ---- 1. registration ----------------------------------------------------

expect "baresip registers (digest, the shipped challenge)" "$BS_LOG" \
	"$BS_USER@$DOMAIN: .*200 OK"
if lp_status "^registered, identity=.*$LP_USER@$DOMAIN"; then
	pass "linphonec registers (digest, the shipped challenge)"
else
	fail "linphonec did not register in $WAIT s"
fi
grep -h 'WWW-Authenticate' "$LIB_WORK/linphonec-debug.log" | head -n 2 |
	sed "s/^/$LIB_NAME:   linphonec got /"

# bindings_of AOR: "SOURCE" of each of its bindings in `siplbctl bindings`.
ctl_bindings() {
	lb_ctl -j bindings | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["count"])
for b in d.get("bindings", []):
    print(b.get("aor"), b.get("source"), b.get("contact"))'
}
ctl_bindings >"$LIB_WORK/bindings.txt" || true
sed "s/^/$LIB_NAME:   siplbctl bindings: /" "$LIB_WORK/bindings.txt"
if [ "$(head -n 1 "$LIB_WORK/bindings.txt")" = 2 ] &&
	grep -q "^$BS_AOR $CLIENT_IP:$BS_PORT " "$LIB_WORK/bindings.txt" &&
	grep -q "^$LP_AOR $CLIENT_IP:$LP_PORT " "$LIB_WORK/bindings.txt"; then
	pass "siplbctl bindings: one binding per phone, from its port"
else
	fail "siplbctl bindings: expected $BS_AOR from :$BS_PORT and" \
		"$LP_AOR from :$LP_PORT"
fi
location_dump >"$LIB_WORK/location.txt" || true
sed "s/^/$LIB_NAME:   bpftool siplb_location: /" "$LIB_WORK/location.txt"
if [ "$(wc -l <"$LIB_WORK/location.txt")" = 2 ] &&
	grep -q "^$BS_AOR .* $CLIENT_IP:$BS_PORT " "$LIB_WORK/location.txt" &&
	grep -q "^$LP_AOR .* $CLIENT_IP:$LP_PORT " "$LIB_WORK/location.txt"; then
	pass "bpftool: the pinned siplb_location map holds the same two"
else
	fail "bpftool: siplb_location is not the two phones' bindings"
fi

# expect_more WHAT LOG REGEX BEFORE: pass once more than BEFORE lines of
# LOG match (the phones print the same line for each re-INVITE).
expect_more() {
	local what=$1 logf=$2 re=$3 before=$4 i
	for i in $(seq 1 $((WAIT * 5))); do
		if [ "$(count_of "$logf" "$re")" -gt "$before" ]; then
			pass "$what"
			return 0
		fi
		sleep 0.2
	done
	fail "$what (still $before x /$re/ in ${logf##*/} after $WAIT s)"
	tail -n 15 "$logf" | sed "s/^/$LIB_NAME:   /" >&2
}

# ---- 2. baresip calls linphonec; hold and resume both ways ---------------

LP_MEDIA="Media streams established with .* for call"
BS_REINVITE="call: got re-INVITE"
bs "/dial $LP_AOR"
expect "baresip -> linphonec: linphonec rings" "$LP_LOG" \
	"Receiving new incoming call from .*$BS_USER"
lp "answer"
expect "baresip -> linphonec: answered, baresip sees the call up" \
	"$BS_LOG" "Call established: $LP_AOR"
expect "baresip -> linphonec: linphonec sees the call up" "$LP_LOG" \
	"Call [0-9]+ with .* connected"
n=$(count_of "$LP_LOG" "$LP_MEDIA")
bs "/hold"
expect "baresip holds (re-INVITE): linphonec is paused by it" "$LP_LOG" \
	"Call [0-9]+ has been paused by .*$BS_USER"
n=$(count_of "$LP_LOG" "$LP_MEDIA")
bs "/resume"
expect_more "baresip resumes (re-INVITE): linphonec's media up again" \
	"$LP_LOG" "$LP_MEDIA" "$n"
n=$(count_of "$BS_LOG" "$BS_REINVITE")
lp "pause"
expect "linphonec holds (re-INVITE): 200 from baresip" "$LP_LOG" \
	"Call [0-9]+ with .* is now paused"
expect_more "baresip got linphonec's hold re-INVITE" "$BS_LOG" \
	"$BS_REINVITE" "$n"
n=$(count_of "$BS_LOG" "$BS_REINVITE")
m=$(count_of "$LP_LOG" "$LP_MEDIA")
lp "resume"
expect_more "linphonec resumes (re-INVITE): baresip got it" "$BS_LOG" \
	"$BS_REINVITE" "$n"
expect_more "linphonec resumes: its media up again" "$LP_LOG" "$LP_MEDIA" "$m"
bs "/hangup"
expect "baresip hangs up (BYE): linphonec sees the call end" "$LP_LOG" \
	"Call [0-9]+ with .* ended"

# ---- 3. linphonec calls baresip ------------------------------------------

lp "call $BS_AOR"
expect "linphonec -> baresip: baresip rings" "$BS_LOG" \
	"Incoming call from: .*$LP_AOR"
n=$(count_of "$BS_LOG" "Call established: $LP_AOR")
bs "/accept"
expect_more "linphonec -> baresip: answered, baresip sees the call up" \
	"$BS_LOG" "Call established: $LP_AOR" "$n"
expect "linphonec -> baresip: linphonec sees the call up" "$LP_LOG" \
	"Call [0-9]+ with $BS_AOR connected"
# baresip reports a BYE it receives as "session closed: Connection reset
# by peer".
n=$(count_of "$BS_LOG" "$LP_AOR: session closed")
lp "terminate"
expect_more "linphonec hangs up (BYE): baresip sees the call end" \
	"$BS_LOG" "$LP_AOR: session closed" "$n"

# ---- 4. CANCEL -----------------------------------------------------------

n=$(count_of "$LP_LOG" "Receiving new incoming call")
bs "/dial $LP_AOR"
expect_more "baresip -> linphonec again: linphonec rings" "$LP_LOG" \
	"Receiving new incoming call" "$n"
bs "/hangup"
expect "baresip hangs up while it rings (CANCEL): linphonec stops" \
	"$LP_LOG" "Call [0-9]+ with .* ended \(Not answered\)"

# ---- 5. MESSAGE both ways ------------------------------------------------

bs "/message hello-from-baresip"
expect "MESSAGE baresip -> linphonec" "$LP_LOG" \
	"Message received from .*$BS_USER.*: hello-from-baresip"
lp "chat $BS_AOR hello-from-linphonec"
expect "MESSAGE linphonec -> baresip" "$BS_LOG" \
	"$LP_AOR: \"hello-from-linphonec\""

# ---- 6. unregister -------------------------------------------------------

# binding_count: the count `siplbctl bindings` reports.
binding_count() {
	lb_ctl -j bindings | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'
}
lp "unregister"
# "registered=0": no registration (it says -1 while the first is going on)
if lp_status "^(unregistered|registered=0)"; then
	pass "linphonec unregisters"
else
	fail "linphonec still registered after $WAIT s"
fi
bs "/quit"	# baresip unregisters (REGISTER Expires: 0), then exits
rc=0
lib_stop "$BS_PID" NONE "$WAIT" || rc=$?
if [ "$rc" -eq 0 ] && grep -q "ua: stop all" "$BS_LOG"; then
	pass "baresip unregisters and quits"
else
	fail "baresip did not quit cleanly within $WAIT s (status $rc)"
fi
for _ in $(seq 1 $((WAIT * 5))); do
	[ "$(binding_count)" = 0 ] && break
	sleep 0.2
done
if [ "$(binding_count)" = 0 ] && [ -z "$(location_dump)" ]; then
	pass "no binding left (siplbctl bindings, bpftool siplb_location)"
else
	fail "bindings left after unregistering: $(lb_ctl bindings)"
fi
lp "quit"
lib_stop "$LP_PID" NONE "$WAIT" || true

# ---- 7. what the workers counted and saw ---------------------------------

workers_capture_stop
lb_ctl workers | sed "s/^/$LIB_NAME:   /"
# at_least NAME MIN: a workers' counter, summed, is at least MIN (the
# phones may retransmit, and an authenticating worker adds a 407 round).
at_least() {
	local got
	got=$(workers_counter "$1" 2>/dev/null || echo 0)
	if [ "$got" -ge "$2" ]; then
		pass "workers counted $1 = $got (at least $2)"
	else
		fail "workers counted $1 = $got, expected at least $2"
	fi
}
# 3 calls; the first had 4 re-INVITEs (hold and resume, each side).
at_least requests.INVITE 7
at_least requests.CANCEL 1
at_least requests.BYE 2
at_least requests.OTHER 2	# the MESSAGEs

report=$(workers_affinity) || die "reading the captures failed"
printf '%s\n' "$report" | sed "s/^/$LIB_NAME:   /"
calls_seen=$(printf '%s\n' "$report" | awk '$1 == "calls" { print $2 }')
# 3 INVITE dialogs and 2 MESSAGEs, each its own Call-ID.
if [ "${calls_seen:-0}" -ge 5 ]; then
	pass "the workers saw the phones' $calls_seen Call-IDs"
else
	fail "the workers saw ${calls_seen:-0} Call-IDs, expected at least 5"
fi
if printf '%s\n' "$report" | grep -q '^split '; then
	fail "Call-IDs split over workers: $(printf '%s\n' "$report" | grep '^split ')"
else
	pass "every message of each call reached one worker"
fi

# ---- 8. the digest policy offers SHA-256 to a client named -------------

# The shipped file's commented example, turned on; siplbd reloads it and a
# new linphonec registers: its 401 must lead with SHA-256 and it must
# answer with SHA-256 (baresip, not named, got MD5 alone in step 1).
sed -i 's/^\(\talgorithms MD5\)$/\1\n\tuser-agent-algorithms Linphone* SHA-256 MD5/' \
	"$LIB_WORK/siplb.conf"
grep -q '^.user-agent-algorithms Linphone\* SHA-256 MD5$' "$LIB_WORK/siplb.conf" ||
	die "could not add user-agent-algorithms to the configuration"
lb_ctl -S "$LIB_WORK/siplbd.sock" reload >/dev/null || fail "siplbctl reload failed"
# `unregister` saved reg_sendregister=0 in linphonerc: start from the
# original again.
cp "$LP_HOME/linphonerc.orig" "$LP_HOME/linphonerc"
LP_LOG=$LIB_WORK/linphonec-2.log
LP_DEBUG=$LIB_WORK/linphonec-2-debug.log
linphonec_start "$LP_LOG" "$LP_DEBUG"
if lp_status "^registered, identity=.*$LP_USER@$DOMAIN"; then
	pass "linphonec registers under user-agent-algorithms Linphone*"
else
	fail "linphonec did not register under user-agent-algorithms in $WAIT s"
fi
first=$(grep -m 1 '^WWW-Authenticate:' "$LP_DEBUG" || true)
auth=$(grep -m 1 '^Authorization:' "$LP_DEBUG" || true)
log "linphonec got $first"
log "linphonec sent $auth"
if printf '%s' "$first" | grep -q 'algorithm=SHA-256' &&
	[ "$(grep -c '^WWW-Authenticate:.*algorithm=MD5' "$LP_DEBUG")" -ge 1 ]; then
	pass "its 401 offers SHA-256 first, then MD5"
else
	fail "its 401 does not lead with SHA-256: $first"
fi
if printf '%s' "$auth" | grep -q 'algorithm=SHA-256'; then
	pass "linphonec answers with SHA-256"
else
	fail "linphonec did not answer with SHA-256: $auth"
fi
lp "quit"
lib_stop "$LP_PID" NONE "$WAIT" || true

[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
