#!/bin/bash
# control_plane.sh - end-to-end test of siplbd, the control plane, on the
# namespace testbed (scripts/testbed.sh, 3 backends). In five parts:
#
# 1. Health checks under load. sipp UAS (-aa: it answers siplbd's OPTIONS
#    probes; -default_behaviors all,-bye: it does not answer 200 to a BYE
#    for a call it does not know, so a dead backend's calls fail at the
#    client as they would against a real UA's 481) on every backend, a
#    sipp UAC making calls to the VIP. One
#    backend's sipp is killed: it must be marked "unhealthy" within
#    down-after * interval (+3 s); no new call may reach it while it is;
#    the survivors' calls must not move (their BYEs reach the backend that
#    took their INVITE) and must all complete; only calls that touched the
#    killed backend may fail. Its sipp is restarted: "up" again within
#    up-after * interval (+3 s), and it takes new calls again. Every
#    backend's namespace is captured (tcpdump), so each Call-ID's path is
#    known (tests/e2e/cp/calls.py). The Maglev table is read before, during
#    and after (tests/e2e/cp/rings.py): "calls moved" is the share of the
#    table whose backend changed, and the table must come back identical.
# 2. Slow path. The backends become Python sinks (tests/e2e/cp/sink.py,
#    they answer the probes and log every datagram). A 3000-byte INVITE
#    from the client leaves its kernel in fragments: the XDP program passes
#    them up (pass_fragment), the kernel reassembles, siplbd forwards
#    (daemon.slow_path.forwarded + 1) to one backend with the client's
#    address and port as source. A small INVITE with the same Call-ID
#    (the big one writes it "i :<TAB> VALUE  ", the small one "Call-ID:
#    VALUE"), steered by XDP, must reach that same backend.
# 3. Reload. SIGHUP with one backend removed and another's weight 3: the
#    maps and the Maglev table follow. SIGHUP with a syntax error: siplbd
#    keeps running, logs FILE:LINE, nothing changes; `siplbctl reload` of
#    it fails with that FILE:LINE in its answer. `siplbctl reload` (the
#    control socket) with the first configuration puts it back.
# 4. Adopt. SIGTERM: siplbd exits, the XDP program and maps stay and keep
#    steering. With siplbd gone, `siplbctl backend add ... --weight 5000`
#    is refused (exit 2, nothing added) and `siplbctl reload` exits 1 and
#    says siplbd cannot be reached. siplbd with no `interface` line adopts
#    them ("adopted") and answers a REGISTER with 401.
# 5. Drain through the control socket (`siplbctl -S SOCKET backend drain`):
#    the backend shows "draining", a batch of new Call-IDs avoids it, Call-
#    IDs it already had still reach it; `backend up` restores it. With
#    siplbd running, --weight 5000 is refused with the message of part 4,
#    and siplbd refuses it too when asked on its socket directly.
#
# Run as root from anywhere; takes about 50 s; exits non-zero and
# says what failed. SIPLB_KEEP_LOGS=1 keeps the work directory (logs,
# pcaps, configurations).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
CP=$ROOT/tests/e2e/cp
CP_SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
CP_CTL=${SIPLBCTL:-$ROOT/build/siplbctl}

BACKENDS=3
KILLED=2                # backend whose sipp part 1 kills
DRAINED=3               # backend part 5 drains
REALM=cp.siplb.test
# Health checks: a probe every 2 s (the timeout must be shorter than the
# interval and is at least 1 s), 2 misses to mark it down, 2 answers up.
HC_INTERVAL=2 HC_TIMEOUT=1 HC_DOWN=2 HC_UP=2
SLACK=3                 # seconds allowed beyond down/up-after * interval
# Call load: 20 calls/s, 600 calls (30 s), each 8 s long: longer than it
# takes to mark a backend down, so that calls span the change.
CALL_RATE=20 CALL_COUNT=600 CALL_MS=8000
KILL_AFTER=7            # seconds into the load
DOWN_FOR=4              # seconds the backend stays down once marked

T_BEGIN=$(date +%s)
for tool in "$CP_SIPLBD" "$CP_CTL"; do
	[ -x "$tool" ] || die "$tool not found: run 'make' first"
done
lib_init ctlplane
W=$LIB_WORK
SOCK=$W/ctl/siplbd.sock    # siplbd makes the directory
LOGF=$W/siplbd.log
SIPLBD_PID=""

# On any exit: siplbd first, then its control socket (it leaves the file
# behind), then lib_cleanup: every other PID we started, the testbed
# (namespaces, pin directory) and the work directory.
cp_cleanup() {
	local rc=$?
	set +e          # a failing step here must not end the clean-up
	if [ -n "$SIPLBD_PID" ]; then
		{ lib_stop "$SIPLBD_PID" TERM 5 || true; } 2>/dev/null
	fi
	rm -f "$SOCK"
	(exit "$rc")
	lib_cleanup
}
trap cp_cleanup EXIT
tb_up "$BACKENDS"
log "testbed $TB_PREFIX up: VIP $VIP_EP, backends $BACKEND_IPS, work dir $W"

# --- helpers -----------------------------------------------------------------

now() { date +%s.%N; }

# secs_between T1 T2: seconds from T1 to T2, one decimal.
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# lt A B: A < B, as decimals.
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

ctl() {
	nsenter --net="/run/netns/$TB_NS_LB" "$CP_CTL" -P "$TB_PINDIR" \
		-S "$SOCK" "$@"
}

be_ep() { ep "$(nth "$1" "$BACKEND_IPS")" "$TB_SIP_PORT"; }

# A backend no configuration names, and how siplbctl refuses a weight over
# the limit (user/lib/backend_cmd.c, SIPLB_WEIGHT_MAX).
NEW_BE=$(ep "$(nth 1 "$BACKEND_IPS")" 5999)
WEIGHT_REFUSAL="siplbctl: backend add: the weight must be a whole number in 1..1000"

# control_raw LINE: siplbd's first reply line to LINE on its control socket.
control_raw() {
	python3 - "$SOCK" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
reply = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
print(reply.decode().split("\n")[0])
EOF
}

# json_get FILE DOTTED.PATH: a value from a JSON file.
json_get() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split('.'):
    v = v[k]
print(v)
EOF
}

# snap NAME: `siplbctl -j stats` into $W/NAME.json.
snap() {
	ctl -j stats >"$W/$1.json" 2>"$W/$1.err" ||
		die "siplbctl -j stats failed: $(cat "$W/$1.err")"
}

# list_snap NAME: `siplbctl -j list` into $W/NAME.json.
list_snap() {
	ctl -j list >"$W/$1.json" 2>"$W/$1.err" ||
		die "siplbctl -j list failed: $(cat "$W/$1.err")"
}

# backends_of NAME: "addr state weight" per backend of a list/stats snapshot.
backends_of() {
	python3 - "$W/$1.json" <<'EOF'
import json, sys
for b in json.load(open(sys.argv[1]))['backends']:
    print(b['addr'], b['state'], b['weight'])
EOF
}

# be_state I: the state `siplbctl -j list` shows for backend I ("absent").
be_state() {
	ctl -j list 2>/dev/null | python3 -c '
import json, sys
want = sys.argv[1]
for b in json.load(sys.stdin)["backends"]:
    if b["addr"] == want:
        print(b["state"]); break
else:
    print("absent")' "$(be_ep "$1")"
}

# delta A B PATH: value in snapshot B minus value in snapshot A.
delta() {
	echo $(($(json_get "$W/$2.json" "$3") - $(json_get "$W/$1.json" "$3")))
}

# steered NAME: packets the XDP program steered (steer_*) in a snapshot.
steered() {
	python3 - "$W/$1.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))['counters']
print(sum(v for k, v in c.items() if k.startswith('steer_')))
EOF
}

# conf_write FILE attach|adopt BACKEND-LINE...: a siplbd configuration.
# attach: siplbd attaches to the balancer's ports; adopt: no interface line.
conf_write() {
	local file=$1 mode=$2 dev line
	shift 2
	{
		echo "# control_plane.sh ($mode)"
		echo "pin-dir $TB_PINDIR"
		if [ "$mode" = attach ]; then
			for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
				echo "interface $dev"
			done
		fi
		echo "control-socket $SOCK"
		echo "realm $REALM"
		echo "users $W/users.htdigest"
		echo "vip $VIP_EP {"
		for line in "$@"; do
			printf '\tbackend %s\n' "$line"
		done
		echo "}"
		echo "health {"
		printf '\tinterval %s\n\ttimeout %s\n' "$HC_INTERVAL" "$HC_TIMEOUT"
		printf '\tdown-after %s\n\tup-after %s\n' "$HC_DOWN" "$HC_UP"
		# Part 1 measures the probes: passive detection (passive.sh
		# tests it) would mark the killed backend first.
		printf '\tpassive off\n'
		echo "}"
	} >"$file"
}

# siplbd_run CONF: siplbd -d in the balancer namespace, log appended to
# $LOGF (lib.sh's $LIB_WORK/siplbd.log); waits until it listens on the VIP
# port. Returns 1 if it exits or does not listen within 10 s.
siplbd_run() {
	SIPLBD=$CP_SIPLBD siplbd_start "$1"
}

# log_since MARK: siplbd's log after the last line containing MARK.
log_since() {
	awk -v m="$1" 'index($0, m) { buf = ""; next } { buf = buf $0 "\n" }
		END { printf "%s", buf }' "$LOGF"
}

# wait_port NS PORT: until something listens on UDP PORT there (5 s).
wait_port() {
	local i
	for i in $(seq 1 50); do
		ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	die "nothing listens on UDP port $2 in namespace $1"
}

# wait_gone NS PORT: until nothing listens on UDP PORT there (5 s).
wait_gone() {
	local i
	for i in $(seq 1 50); do
		ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q . || return 0
		sleep 0.1
	done
	die "UDP port $2 in namespace $1 still in use"
}

# uas_run I TAG: sipp UAS on backend I; PID in UAS_PID_I.
uas_run() {
	local i=$1 ns pid
	ns=$(nth "$i" "$TB_NS_BACKENDS")
	# -default_behaviors all,-bye: sipp answers a BYE for a call it does
	# not know with 200 OK; a real UA answers 481, and the client must see
	# the killed backend's calls fail. Without "bye" sipp stays silent, so
	# the client's BYE times out.
	lib_bg pid ip netns exec "$ns" sipp -sn uas -aa \
		-default_behaviors all,-bye \
		-i "$(nth "$i" "$BACKEND_IPS")" -p "$TB_SIP_PORT" -nostdin \
		-buff_size 4194304 -trace_err -error_file "$W/uas$i-$2.err" \
		>"$W/uas$i-$2.out" 2>&1
	printf -v "UAS_PID_$i" '%s' "$pid"
	wait_port "$ns" "$TB_SIP_PORT"
	# `ip netns exec` execs its command: the PID is sipp's own.
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sipp ] ||
		die "backend $i: PID $pid is not sipp"
}

# sink_run I: the Python sink on backend I; PID in SINK_PID_I.
sink_run() {
	local i=$1 ns pid n
	ns=$(nth "$i" "$TB_NS_BACKENDS")
	rm -f "$W/sink$i.ready"
	lib_bg pid ip netns exec "$ns" python3 "$CP/sink.py" \
		"$(nth "$i" "$BACKEND_IPS")" "$TB_SIP_PORT" "$W/sink$i.log" \
		"$W/sink$i.ready" 2>"$W/sink$i.err"
	printf -v "SINK_PID_$i" '%s' "$pid"
	for n in $(seq 1 50); do
		[ -e "$W/sink$i.ready" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	die "sink on backend $i did not start: $(cat "$W/sink$i.err")"
}

# capture_run I: tcpdump of the UDP port-5060 datagrams backend I receives.
capture_run() {
	local i=$1 pid n
	lib_bg pid ip netns exec "$(nth "$i" "$TB_NS_BACKENDS")" tcpdump \
		-i "$TB_BACKEND_DEV" -Q in -nn -U --immediate-mode -Z root \
		-w "$W/be$i.pcap" \
		"udp dst port $TB_SIP_PORT" 2>"$W/tcpdump$i.err"
	printf -v "CAP_PID_$i" '%s' "$pid"
	for n in $(seq 1 50); do
		grep -q 'listening on' "$W/tcpdump$i.err" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	die "tcpdump on backend $i did not start: $(cat "$W/tcpdump$i.err")"
}

# client CMD ARGS...: tests/e2e/cp/sipsend.py in the client namespace,
# from CLIENT_IP; CMD's own arguments after the source port.
client() {
	local cmd=$1 port=$2
	shift 2
	ip netns exec "$TB_NS_CLIENT" python3 "$CP/sipsend.py" "$cmd" \
		"$CLIENT_IP" "$port" "$VIP" "$TB_SIP_PORT" "$@"
}

# sink_find CALLID: "backend-index source-addr source-port length" for each
# datagram the sinks logged with this Call-ID.
sink_find() {
	local i
	for i in $(seq 1 "$BACKENDS"); do
		awk -F'\t' -v c="$1" -v i="$i" \
			'$5 == c { print i, $2, $3, $4 }' "$W/sink$i.log"
	done
}

# sink_batch PREFIX: "Call-ID backend-index" for every datagram of batch
# PREFIX (Call-IDs PREFIX-N) the sinks logged since they were last cleared.
sink_batch() {
	local i
	for i in $(seq 1 "$BACKENDS"); do
		awk -F'\t' -v p="$1-" -v i="$i" \
			'index($5, p) == 1 { print $5, i }' "$W/sink$i.log"
	done | sort
}

# wait_batch PREFIX COUNT: until the sinks logged COUNT datagrams of it (3 s).
wait_batch() {
	local n
	for n in $(seq 1 30); do
		[ "$(sink_batch "$1" | wc -l)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 0
}

# wait_state I STATE SECS: poll `siplbctl -j list` until backend I is in
# STATE; sets WAIT_T (when seen), WAIT_LAST (start of the last poll that
# still saw another state). Returns 1 on time-out.
wait_state() {
	local i=$1 want=$2 deadline t
	deadline=$(awk -v a="$(now)" -v s="$3" 'BEGIN { printf "%.3f", a + s }')
	WAIT_LAST=$(now)
	while lt "$(now)" "$deadline"; do
		t=$(now)
		if [ "$(be_state "$i")" = "$want" ]; then
			WAIT_T=$(now)
			return 0
		fi
		WAIT_LAST=$t
		sleep 0.2
	done
	return 1
}

# all_up: every backend "up" in `siplbctl -j list`.
all_up() {
	local i
	for i in $(seq 1 "$BACKENDS"); do
		[ "$(be_state "$i")" = up ] || return 1
	done
}

# rings_dump NAME: the VIP's active Maglev table into $W/NAME.ring.
rings_dump() {
	python3 "$CP/rings.py" dump "$TB_PINDIR" "$VIP" "$TB_SIP_PORT" \
		"$W/$1.ring" >"$W/$1.ringinfo" ||
		die "cannot read the Maglev table ($1)"
}

# ring_share NAME ID: the slots backend id ID holds in a dump.
ring_share() {
	awk -v id="$2" '$1 == "backend" && $2 == id { print $3; f = 1 }
		END { if (!f) print 0 }' "$W/$1.ringinfo"
}

be_id() {
	ctl -j list | python3 -c '
import json, sys
for b in json.load(sys.stdin)["backends"]:
    if b["addr"] == sys.argv[1]:
        print(b["id"])' "$(be_ep "$1")"
}

# --- set-up --------------------------------------------------------------------

python3 - "$W/users.htdigest" "$REALM" <<'EOF'
import hashlib, secrets, sys
a1 = ('alice:%s:%s' % (sys.argv[2], secrets.token_hex(8))).encode()
open(sys.argv[1], 'w').write('alice:%s:%s:SHA-256=%s\n' % (
    sys.argv[2], hashlib.md5(a1).hexdigest(), hashlib.sha256(a1).hexdigest()))
EOF
BE_LINES=()
for i in $(seq 1 "$BACKENDS"); do
	BE_LINES+=("$(be_ep "$i")")
done
CONF=$W/siplb.conf
conf_write "$CONF" attach "${BE_LINES[@]}"

# =============================================================================
log "1. health checks: sipp UAS -aa on $BACKENDS backends, siplbd probing"
T1=$(date +%s)
for i in $(seq 1 "$BACKENDS"); do
	capture_run "$i"
	uas_run "$i" a
done
siplbd_run "$CONF" || die "siplbd did not start with $CONF"

# Every backend answers: answers cover two rounds and nothing was missed.
for n in $(seq 1 50); do
	snap hc
	[ "$(json_get "$W/hc.json" daemon.health.answers)" -ge $((2 * BACKENDS)) ] &&
		break
	sleep 0.2
done
answers=$(json_get "$W/hc.json" daemon.health.answers)
misses=$(json_get "$W/hc.json" daemon.health.misses)
if [ "$answers" -ge $((2 * BACKENDS)) ] && [ "$misses" = 0 ] && all_up; then
	pass "health: $answers probes answered, $misses missed; all $BACKENDS backends up"
else
	fail "health: $answers probes answered, $misses missed (expected" \
		">= $((2 * BACKENDS)) and 0, every backend up)"
	ctl list >&2 || true
fi
KILLED_ID=$(be_id "$KILLED")
rings_dump before

log "$CALL_COUNT calls at $CALL_RATE/s, ${CALL_MS} ms each; backend $KILLED" \
	"($(be_ep "$KILLED")) dies ${KILL_AFTER}s in"
lib_bg UAC_PID ip netns exec "$TB_NS_CLIENT" timeout -s INT -k 10 90 \
	sipp -sn uac "$VIP_EP" -i "$CLIENT_IP" -p 5070 -m "$CALL_COUNT" \
	-r "$CALL_RATE" -d "$CALL_MS" -nostdin -buff_size 4194304 \
	-recv_timeout 15s -timeout 70s \
	-trace_shortmsg -shortmessage_file "$W/uac.tsv" \
	-trace_stat -stf "$W/uac.csv" -fd 1 \
	-trace_err -error_file "$W/uac.err" >"$W/uac.out" 2>&1
sleep "$KILL_AFTER"
kill -0 "$UAC_PID" 2>/dev/null || die "sipp UAC ended early: $(tail -n 20 "$W/uac.out")"

st=$(be_state "$KILLED")
[ "$st" = up ] || fail "backend $KILLED is '$st' before its sipp is killed (expected up)"
T_KILL=$(now)
pid_var=UAS_PID_$KILLED
{ lib_stop "${!pid_var}" KILL 2 || true; } 2>/dev/null    # no "Killed" note
log "killed backend $KILLED's sipp (PID ${!pid_var})"
down_limit=$((HC_DOWN * HC_INTERVAL + SLACK))
if wait_state "$KILLED" unhealthy "$down_limit"; then
	T_MARK=$WAIT_T
	pass "backend $KILLED marked unhealthy $(secs_between "$T_KILL" "$T_MARK")s" \
		"after its sipp died (limit ${down_limit}s)"
else
	T_MARK=$(now)
	fail "backend $KILLED is '$(be_state "$KILLED")' ${down_limit}s after" \
		"its sipp died (expected unhealthy)"
fi
others_ok=1
for i in $(seq 1 "$BACKENDS"); do
	[ "$i" = "$KILLED" ] || [ "$(be_state "$i")" = up ] || others_ok=0
done
[ "$others_ok" = 1 ] && pass "the other backends stay up" ||
	fail "another backend left 'up': $(ctl list 2>&1)"
rings_dump unhealthy

sleep "$DOWN_FOR"
T_RESTART=$(now)
uas_run "$KILLED" b
up_limit=$((HC_UP * HC_INTERVAL + SLACK))
T_STILL=$T_RESTART
if wait_state "$KILLED" up "$up_limit"; then
	T_UP=$WAIT_T
	T_STILL=$WAIT_LAST
	pass "backend $KILLED up again $(secs_between "$T_RESTART" "$T_UP")s after its" \
		"sipp restarted (limit ${up_limit}s)"
else
	T_UP=0
	fail "backend $KILLED is '$(be_state "$KILLED")' ${up_limit}s after its" \
		"sipp restarted (expected up)"
fi
rings_dump after

uac_rc=0
wait "$UAC_PID" || uac_rc=$?
lib_forget "$UAC_PID"
sleep 1         # the last replies' requests into the captures
for i in $(seq 1 "$BACKENDS"); do
	pid_var=CAP_PID_$i
	lib_stop "${!pid_var}" TERM 5 || true
done
snap load

# What happened to each call.
python3 "$CP/calls.py" "$W" "$BACKENDS" "$KILLED" "$T_KILL" "$T_MARK" \
	"$T_STILL" "$T_UP" >"$W/calls.txt" ||
	die "calls.py failed: $(tail -n 5 "$W/calls.txt")"
fig() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print -1 }' "$W/calls.txt"; }
read -r created ok failed <<<"$(python3 - "$W/uac.csv" <<'EOF'
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1]), delimiter=';') if r]
print(*(rows[-1][rows[0].index(k)] for k in
        ('TotalCallCreated', 'SuccessfulCall(C)', 'FailedCall(C)')))
EOF
)"
log "sipp UAC: exit $uac_rc, $created calls, $ok successful, $failed failed"
for i in $(seq 1 "$BACKENDS"); do
	log "    backend $i ($(be_ep "$i")): $(fig "backend_calls_$i") calls"
done
errors=$(grep -c '^error' "$W/calls.txt" || true)
if [ "$errors" -eq 0 ]; then
	pass "calls: every call that never touched backend $KILLED stayed on one" \
		"backend, got INVITE/ACK/BYE there and completed"
else
	fail "calls: $errors problems; first ones:"
	grep '^error' "$W/calls.txt" | head -n 10 >&2
fi
[ "$created" = "$CALL_COUNT" ] && [ "$(fig uac_started)" = "$CALL_COUNT" ] &&
	pass "the client made all $CALL_COUNT calls" ||
	fail "the client made $created calls ($(fig uac_started) in its trace)," \
		"expected $CALL_COUNT"

lost=$(fig lost_on_killed)
inprog=$(fig in_progress_at_kill)
log "    in progress at the kill: $inprog calls; on backend $KILLED: $lost" \
	"($(awk -v a="$lost" -v b="$inprog" 'BEGIN { printf "%.0f", b ? 100 * a / b : 0 }')%)" \
	"- those dialogs died with it; $(fig lost_bye_moved) of their BYEs were" \
	"then steered to a survivor"
log "    new calls sent to it before the mark: $(fig window_calls)," \
	"$(fig window_rescued) rescued by an INVITE retransmission to a survivor"
nfail=$(fig uac_failed)
at_risk=$((lost + $(fig window_calls) - $(fig window_rescued)))
log "    client failures: $nfail, on calls that touched backend $KILLED:" \
	"$(fig uac_failed_touched_killed), on others:" \
	"$(fig uac_failed_not_touching_killed)"
if [ "$nfail" -gt 0 ] && [ "$(fig uac_failed_not_touching_killed)" = 0 ] &&
	[ "$nfail" -le $((at_risk + 2)) ]; then
	pass "failures limited to the killed backend's calls: $nfail client" \
		"failures for $lost dialogs lost there (of $inprog in progress)"
else
	fail "client failures $nfail (expected > 0: backend $KILLED had calls)," \
		"on calls that never touched it $(fig uac_failed_not_touching_killed)" \
		"(expected 0), killed backend's calls at risk $at_risk (expected" \
		">= failures - 2)"
fi
wu=$(fig calls_while_unhealthy)
if [ "$wu" -gt 0 ] && [ "$(fig calls_while_unhealthy_on_killed)" = 0 ]; then
	pass "$wu new calls while it was unhealthy, all to the survivors"
else
	fail "while unhealthy: $wu new calls, $(fig calls_while_unhealthy_on_killed)" \
		"to backend $KILLED (expected > 0 and 0)"
fi
span=$(fig survivor_calls_spanning_mark)
if [ "$span" -gt 0 ] && [ "$(fig survivor_calls_moved)" = 0 ]; then
	pass "survivors' calls not moved: $span calls set up before the kill" \
		"sent their BYE after the mark to the same backend"
else
	fail "survivors' calls spanning the mark: $span, moved" \
		"$(fig survivor_calls_moved) (expected > 0 and 0)"
fi
if [ "$T_UP" != 0 ]; then
	back=$(fig calls_after_up_on_killed)
	[ "$back" -gt 0 ] &&
		pass "backend $KILLED takes new calls again once up: $back" ||
		fail "backend $KILLED got no new call after it was up again"
fi
hc=$(python3 -c 'import json, sys
h = json.load(open(sys.argv[1]))["daemon"]["health"]
print(" ".join("%s %s" % kv for kv in h.items()))' "$W/load.json")
if [ "$(json_get "$W/load.json" daemon.health.marked_unhealthy)" = 1 ] &&
	[ "$(json_get "$W/load.json" daemon.health.marked_up)" = 1 ]; then
	pass "siplbd's health counters: $hc"
else
	fail "siplbd's health counters: $hc (expected marked_unhealthy 1, marked_up 1)"
fi

# Calls moved: the share of the Maglev table (= of new Call-IDs) whose
# backend changed when backend KILLED left, and the table on its return.
# rings.py diff prints slots, gone_slots, gone_left, moved, moved_other.
read -r RING_slots RING_gone_slots RING_gone_left RING_moved RING_moved_other \
	<<<"$(python3 "$CP/rings.py" diff "$W/before.ring" "$W/unhealthy.ring" \
		"$KILLED_ID" | awk '{ printf "%s ", $2 }')"
same=$(python3 "$CP/rings.py" same "$W/before.ring" "$W/after.ring" | awk '{ print $2 }')
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f%%", 100 * a / b }'; }
log "    Maglev table, $RING_slots slots: backend $KILLED held $RING_gone_slots" \
	"($(pct "$RING_gone_slots" "$RING_slots")); removing it moved" \
	"$RING_moved ($(pct "$RING_moved" "$RING_slots")) of which" \
	"$RING_moved_other ($(pct "$RING_moved_other" "$RING_slots")) were" \
	"other backends' slots"
log "    calls moved: $(pct "$RING_moved" "$RING_slots") of new Call-IDs map" \
	"to another backend; existing calls on survivors: 0 (affinity)"
if [ "$RING_gone_left" = 0 ] &&
	[ "$RING_moved" -eq $((RING_gone_slots + RING_moved_other)) ] &&
	[ $((RING_moved_other * 100)) -lt $((RING_slots * 3)) ] &&
	[ $((RING_gone_slots * 4)) -gt "$RING_slots" ] &&
	[ $((RING_gone_slots * 5)) -lt $((RING_slots * 2)) ]; then
	pass "Maglev: the dead backend's share ($(pct "$RING_gone_slots" "$RING_slots"))" \
		"moved, $(pct "$RING_moved_other" "$RING_slots") of the rest (< 3%)"
else
	fail "Maglev: held $RING_gone_slots, left $RING_gone_left, moved" \
		"$RING_moved, others moved $RING_moved_other of $RING_slots" \
		"(expected ~1/3, 0, and < 3% of the others)"
fi
[ "$same" = 0 ] && pass "Maglev: the table is back as it was once it is up" ||
	fail "Maglev: $same slots differ from the table before the kill"
log "part 1: $(($(date +%s) - T1)) s"

# =============================================================================
log "2. slow path: a fragmented INVITE"
T2=$(date +%s)
for i in $(seq 1 "$BACKENDS"); do
	pid_var=UAS_PID_$i
	lib_stop "${!pid_var}" TERM 5 || true
	wait_gone "$(nth "$i" "$TB_NS_BACKENDS")" "$TB_SIP_PORT"
	sink_run "$i"
done
# The sinks answer the probes; a miss during the switch must not stick.
for i in $(seq 1 "$BACKENDS"); do
	wait_state "$i" up 8 ||
		fail "backend $i not up with its sink: $(ctl list 2>&1)"
done
CID_FRAG="cp-frag-$$@$CLIENT_IP"
snap s0
# Its Call-ID header in compact form with blanks around the colon and
# after the value; the small one below says "Call-ID: VALUE". Both sides
# must extract the same value for the two to meet.
client invite 5080 "$CID_FRAG" 3000 compact >/dev/null
for n in $(seq 1 30); do
	[ -n "$(sink_find "$CID_FRAG")" ] && break
	sleep 0.1
done
snap s1
got=$(sink_find "$CID_FRAG")
frags=$(delta s0 s1 counters.pass_fragment)
fwd=$(delta s0 s1 daemon.slow_path.forwarded)
log "    pass_fragment +$frags, slow_path.forwarded +$fwd, received: ${got:-nothing}"
[ "$frags" -ge 2 ] && pass "XDP passed $frags fragments up (pass_fragment)" ||
	fail "pass_fragment grew by $frags (expected >= 2 for a 3000-byte datagram)"
[ "$fwd" = 1 ] && [ "$(delta s0 s1 daemon.slow_path.errors)" = 0 ] &&
	pass "siplbd's slow path forwarded it (forwarded +1, errors +0)" ||
	fail "slow_path.forwarded grew by $fwd, errors by" \
		"$(delta s0 s1 daemon.slow_path.errors) (expected 1 and 0)"
FRAG_BE=""
if [ "$(printf '%s\n' "$got" | grep -c .)" = 1 ] &&
	[ "$(echo "$got" | cut -d' ' -f2-)" = "$CLIENT_IP 5080 3000" ]; then
	FRAG_BE=${got%% *}
	pass "backend $FRAG_BE got the whole 3000-byte INVITE from $(ep "$CLIENT_IP" 5080)"
else
	fail "the 3000-byte INVITE: backends logged '${got:-nothing}'" \
		"(expected one backend, from $CLIENT_IP 5080, 3000 bytes)"
fi
client invite 5080 "$CID_FRAG" >/dev/null
for n in $(seq 1 30); do
	[ "$(sink_find "$CID_FRAG" | wc -l)" -ge 2 ] && break
	sleep 0.1
done
snap s2
got2=$(sink_find "$CID_FRAG" | sed -n 2p)
if [ -n "$FRAG_BE" ] && [ "${got2%% *}" = "$FRAG_BE" ] &&
	[ "$(delta s1 s2 daemon.slow_path.forwarded)" = 0 ] &&
	[ $(($(steered s2) - $(steered s1))) -ge 1 ]; then
	pass "the small INVITE with that Call-ID was steered by XDP to the same" \
		"backend $FRAG_BE (affinity across slow and fast path)"
else
	fail "the small INVITE: received '${got2:-nothing}' (expected backend" \
		"${FRAG_BE:-?}), slow path +$(delta s1 s2 daemon.slow_path.forwarded)" \
		"(expected 0), steered +$(($(steered s2) - $(steered s1))) (expected >= 1)"
fi
log "part 2: $(($(date +%s) - T2)) s"

# =============================================================================
log "3. reload"
T3=$(date +%s)
list_snap r0
# Backend 1 removed, backend 3 weight 3.
CONF_V1=$W/siplb-v1.conf
cp "$CONF" "$CONF_V1"
conf_write "$CONF" attach "$(be_ep 2)" "$(be_ep 3) weight 3"
kill -HUP "$SIPLBD_PID"
applied=0
for n in $(seq 1 30); do
	list_snap r1
	if [ "$(backends_of r1)" = "$(be_ep 2) up 1
$(be_ep 3) up 3" ]; then
		applied=1
		break
	fi
	sleep 0.1
done
if [ "$applied" = 1 ] && log_since "reloading $CONF" | grep -q 'reloaded:'; then
	pass "SIGHUP: backend 1 removed, backend 3 weight 3"
else
	fail "SIGHUP: backends now '$(backends_of r1 | tr '\n' ';')'" \
		"(expected $(be_ep 2) up 1; $(be_ep 3) up 3)"
fi
rings_dump reload
id2=$(be_id 2) id3=$(be_id 3)
s2=$(ring_share reload "$id2") s3=$(ring_share reload "$id3")
log "    Maglev table: backend 2 $s2 slots, backend 3 $s3"
[ $((s2 + s3)) = 65537 ] && [ $((s3 * 100)) -gt $((s2 * 290)) ] &&
	[ $((s3 * 100)) -lt $((s2 * 310)) ] &&
	pass "the table follows the weights (3:1)" ||
	fail "table shares $s2:$s3 (expected 1:3 over 65537 slots)"

# A syntax error: the running configuration stays.
sed -i "s|^\tbackend $(be_ep 3) weight 3\$|\tbackend $(be_ep 3) weight three|" "$CONF"
BAD_LINE=$(grep -n 'weight three' "$CONF" | cut -d: -f1)
[ -n "$BAD_LINE" ] || die "could not break $CONF"
CONF_REAL=$(realpath "$CONF")
kill -HUP "$SIPLBD_PID"
for n in $(seq 1 30); do
	log_since "reloading $CONF" | grep -q 'reload failed' && break
	sleep 0.1
done
list_snap r2
rings_dump broken
msg=$(log_since "reloading $CONF" | grep -F "$CONF_REAL:$BAD_LINE:" || true)
if kill -0 "$SIPLBD_PID" 2>/dev/null && [ -n "$msg" ] &&
	log_since "reloading $CONF" | grep -q 'reload failed: keeping'; then
	pass "broken config: siplbd runs on and says: ${msg#siplbd: }"
else
	fail "broken config (line $BAD_LINE): siplbd $(kill -0 "$SIPLBD_PID" 2>/dev/null &&
		echo running || echo gone), log after the reload:" \
		"$(log_since "reloading $CONF" | tr '\n' '|')"
fi
[ "$(backends_of r2)" = "$(backends_of r1)" ] &&
	[ "$(python3 "$CP/rings.py" same "$W/reload.ring" "$W/broken.ring")" = "differ 0" ] &&
	pass "broken config: backends and Maglev table unchanged" ||
	fail "broken config changed the state: '$(backends_of r2 | tr '\n' ';')'" \
		"was '$(backends_of r1 | tr '\n' ';')'"

# The same broken file through the control socket: the answer says why.
if ctl reload >"$W/reload-bad.out" 2>&1; then
	fail "siplbctl reload of the broken config answered ok"
elif grep -qF "reload failed: $CONF_REAL:$BAD_LINE:" "$W/reload-bad.out"; then
	pass "siplbctl reload of the broken config fails: $(head -1 "$W/reload-bad.out")"
else
	fail "siplbctl reload of the broken config: '$(cat "$W/reload-bad.out")'"
fi

# Back to the first configuration through the control socket.
cp "$CONF_V1" "$CONF"
if ctl reload >"$W/reload.out" 2>&1; then
	list_snap r3
	[ "$(backends_of r3)" = "$(backends_of r0)" ] &&
		pass "siplbctl reload (control socket): all $BACKENDS backends back" ||
		fail "after siplbctl reload: '$(backends_of r3 | tr '\n' ';')'" \
			"expected '$(backends_of r0 | tr '\n' ';')'"
else
	fail "siplbctl reload failed: $(cat "$W/reload.out")"
fi
log "part 3: $(($(date +%s) - T3)) s"

# =============================================================================
log "4. adopt: siplbd restarted without interface lines"
T4=$(date +%s)
stop_rc=0
lib_stop "$SIPLBD_PID" TERM 10 || stop_rc=$?
SIPLBD_PID=""
[ "$stop_rc" = 0 ] && grep -q 'exiting (the XDP program and the maps stay)' "$LOGF" &&
	pass "SIGTERM: siplbd exited 0" ||
	fail "SIGTERM: siplbd exit status $stop_rc"
attached=0
for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
	ip -n "$TB_NS_LB" link show dev "$dev" | grep -q 'prog/xdp' &&
		attached=$((attached + 1))
done
[ "$attached" = $((BACKENDS + 1)) ] && [ -e "$TB_PINDIR/siplb_vips" ] &&
	pass "XDP still attached to $attached ports, maps still pinned" ||
	fail "after SIGTERM: XDP on $attached of $((BACKENDS + 1)) ports," \
		"siplb_vips pinned: $([ -e "$TB_PINDIR/siplb_vips" ] && echo yes || echo no)"
# The fast path does not need the daemon.
client batch 5081 away 30
wait_batch away 30
n=$(sink_batch away | wc -l)
[ "$n" = 30 ] && pass "with siplbd stopped, XDP still steered 30 of 30 INVITEs" ||
	fail "with siplbd stopped, the backends got $n of 30 INVITEs"

# Without siplbd, siplbctl writes the maps itself: a weight over the limit
# is refused all the same (it used to go into the maps), in the words
# siplbd uses (part 5), and `reload` says siplbd is not there.
rc=0
ctl backend add "$VIP_EP" "$NEW_BE" --weight 5000 >"$W/w5000.down.out" \
	2>"$W/w5000.down.err" || rc=$?
list_snap w5000down
if [ "$rc" = 2 ] && grep -qxF "$WEIGHT_REFUSAL" "$W/w5000.down.err" &&
	! backends_of w5000down | grep -qF "$NEW_BE "; then
	pass "no siplbd: backend add --weight 5000 refused (exit 2): $(cat "$W/w5000.down.err")"
else
	fail "no siplbd: backend add --weight 5000: exit $rc (expected 2)," \
		"said '$(cat "$W/w5000.down.err")', backends now" \
		"'$(backends_of w5000down | tr '\n' ';')'"
fi
rc=0
ctl reload >"$W/reload.down.out" 2>"$W/reload.down.err" || rc=$?
[ "$rc" = 1 ] && grep -qxF "siplbctl: cannot reach siplbd at $SOCK: No such file or directory (is siplbd running? -S SOCKET)" "$W/reload.down.err" &&
	pass "no siplbd: siplbctl reload exits 1: $(cat "$W/reload.down.err")" ||
	fail "no siplbd: siplbctl reload: exit $rc (expected 1), said '$(cat "$W/reload.down.err")'"

CONF_ADOPT=$W/siplb-adopt.conf
conf_write "$CONF_ADOPT" adopt "${BE_LINES[@]}"
grep -q '^interface' "$CONF_ADOPT" && die "$CONF_ADOPT has interface lines"
if siplbd_run "$CONF_ADOPT"; then
	out=$(log_since "siplbd -c $CONF_ADOPT -d")
	if printf '%s\n' "$out" | grep -q 'adopted' &&
		! printf '%s\n' "$out" | grep -q 'attached to'; then
		pass "siplbd: $(printf '%s\n' "$out" | grep adopted | sed 's/^siplbd: //')"
	else
		fail "siplbd started without interfaces but did not say 'adopted':" \
			"$(printf '%s\n' "$out" | tr '\n' '|')"
	fi
	reply=$(client register 5082 alice "$VIP")
	log "    REGISTER answer: $(printf '%s\n' "$reply" | head -n 2 | tr '\n' '|')"
	if [ "$(printf '%s\n' "$reply" | head -n 1)" = "$VIP $TB_SIP_PORT SIP/2.0 401 Unauthorized" ] &&
		printf '%s\n' "$reply" | grep -q "realm=\"$REALM\""; then
		pass "the adopting siplbd answers a REGISTER with 401 (realm $REALM)"
	else
		fail "REGISTER to the adopting siplbd: '$(printf '%s\n' "$reply" | tr '\n' '|')'"
	fi
else
	fail "siplbd did not start in adopt mode"
fi
log "part 4: $(($(date +%s) - T4)) s"

# =============================================================================
log "5. drain through the control socket"
T5=$(date +%s)
if [ -z "$SIPLBD_PID" ]; then
	fail "drain: no siplbd running (part 4 failed)"
else
	client batch 5083 drainA 60
	wait_batch drainA 60
	sink_batch drainA >"$W/drainA.1"
	had=$(awk -v d="$DRAINED" '$2 == d' "$W/drainA.1" | wc -l)
	if ctl backend drain "$VIP_EP" "$(be_ep "$DRAINED")" >"$W/drain.out" 2>&1 &&
		log_since "siplbd -c $CONF_ADOPT -d" | grep -q "control: backend drain $VIP_EP $(be_ep "$DRAINED")"; then
		pass "siplbctl backend drain went through siplbd's control socket"
	else
		fail "siplbctl backend drain: $(cat "$W/drain.out"), siplbd log:" \
			"$(log_since "siplbd -c $CONF_ADOPT -d" | tail -n 3 | tr '\n' '|')"
	fi
	st=$(be_state "$DRAINED")
	[ "$st" = draining ] && pass "backend $DRAINED is draining in siplbctl list" ||
		fail "backend $DRAINED is '$st' (expected draining)"
	client batch 5083 drainB 60
	wait_batch drainB 60
	sink_batch drainB >"$W/drainB"
	nb=$(wc -l <"$W/drainB")
	nd=$(awk -v d="$DRAINED" '$2 == d' "$W/drainB" | wc -l)
	[ "$nb" = 60 ] && [ "$nd" = 0 ] &&
		pass "60 new Call-IDs: none to the draining backend" \
			"($(awk '{ print $2 }' "$W/drainB" | sort | uniq -c |
				awk '{ printf "%sb%s:%s", (NR > 1 ? " " : ""), $2, $1 }'))" ||
		fail "new Call-IDs: $nb of 60 arrived, $nd at the draining backend (expected 0)"
	# Existing Call-IDs keep their backend, the draining one included.
	for i in $(seq 1 "$BACKENDS"); do
		cp "$W/sink$i.log" "$W/sink$i.log.before-resend"
		: >"$W/sink$i.log"
	done
	client batch 5083 drainA 60
	wait_batch drainA 60
	sink_batch drainA >"$W/drainA.2"
	if [ "$had" -gt 0 ] && cmp -s "$W/drainA.1" "$W/drainA.2"; then
		pass "the $had Call-IDs backend $DRAINED had still reach it while" \
			"draining; the other $((60 - had)) did not move"
	else
		fail "existing Call-IDs moved while draining (backend $DRAINED had" \
			"$had): $(diff "$W/drainA.1" "$W/drainA.2" | head -n 5 | tr '\n' '|')"
	fi
	ctl backend up "$VIP_EP" "$(be_ep "$DRAINED")" >"$W/up.out" 2>&1 &&
		[ "$(be_state "$DRAINED")" = up ] &&
		pass "siplbctl backend up: backend $DRAINED up again" ||
		fail "siplbctl backend up: $(cat "$W/up.out"), state $(be_state "$DRAINED")"
	# With siplbd running: the same refusal as without it (part 4), and
	# siplbd, asked directly as socat would, refuses in the same words.
	rc=0
	ctl backend add "$VIP_EP" "$NEW_BE" --weight 5000 >"$W/w5000.up.out" \
		2>"$W/w5000.up.err" || rc=$?
	[ "$rc" = 2 ] && cmp -s "$W/w5000.up.err" "$W/w5000.down.err" &&
		pass "siplbd running: backend add --weight 5000 refused (exit 2)" \
			"with the same message as without siplbd" ||
		fail "siplbd running: backend add --weight 5000: exit $rc (expected 2)," \
			"said '$(cat "$W/w5000.up.err")', without siplbd '$(cat "$W/w5000.down.err")'"
	reply=$(control_raw "backend add $VIP_EP $NEW_BE --weight 5000")
	list_snap w5000up
	[ "$reply" = "error: ${WEIGHT_REFUSAL#siplbctl: backend add: }" ] &&
		! backends_of w5000up | grep -qF "$NEW_BE " &&
		pass "siplbd's control socket refuses --weight 5000: '$reply'" ||
		fail "siplbd's control socket, backend add --weight 5000: '$reply'," \
			"backends now '$(backends_of w5000up | tr '\n' ';')'"
	# A weight within the limit goes through siplbd ("--weight N" on the
	# wire); del takes the backend out again.
	if ctl backend add "$VIP_EP" "$NEW_BE" --weight 2 >"$W/add2.out" 2>&1 &&
		log_since "siplbd -c $CONF_ADOPT -d" | grep -qF "control: backend add $VIP_EP $NEW_BE --weight 2"; then
		list_snap add2
		backends_of add2 | grep -qxF "$NEW_BE up 2" &&
			pass "siplbctl backend add --weight 2 through siplbd: $NEW_BE up 2" ||
			fail "after backend add --weight 2: '$(backends_of add2 | tr '\n' ';')'"
	else
		fail "siplbctl backend add --weight 2: $(cat "$W/add2.out")"
	fi
	ctl backend del "$VIP_EP" "$NEW_BE" >"$W/del2.out" 2>&1 &&
		list_snap del2 && ! backends_of del2 | grep -qF "$NEW_BE " &&
		pass "siplbctl backend del through siplbd: $NEW_BE gone" ||
		fail "siplbctl backend del: $(cat "$W/del2.out")"
fi
log "part 5: $(($(date +%s) - T5)) s"

# =============================================================================
if kill -0 "${SIPLBD_PID:-0}" 2>/dev/null; then
	lib_stop "$SIPLBD_PID" TERM 10 || fail "siplbd exited non-zero at the end"
	SIPLBD_PID=""
fi
if grep -Eiq 'assert|segfault|abort' "$LOGF"; then
	fail "siplbd's log has an alarming line: $(grep -Ei 'assert|segfault|abort' "$LOGF" | head -n 3)"
fi
log "total: $(($(date +%s) - T_BEGIN)) s"
if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks (SIPLB_KEEP_LOGS=1 keeps $W)"
	exit 1
fi
log "PASS"
