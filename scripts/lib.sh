# shellcheck shell=bash
# lib.sh - shell functions shared by the demo and the end-to-end tests:
# bring up the namespace testbed (scripts/testbed.sh), drive the data plane
# with siplbctl, run sipp peers and a client-side capture, and read back
# what happened. Sourced, not run:
#
#   . "$ROOT/scripts/lib.sh"
#   lib_init steer            # work directory, prefix, cleanup traps
#   tb_up 3                   # testbed with 3 backends; sets the TB_* names
#   lb_setup                  # attach XDP, add the VIP and every backend
#   ...
#
# Every process started here is started through lib_bg, which records its
# PID; the EXIT/INT/TERM trap ends exactly those PIDs, then removes the
# testbed and the work directory (kept if SIPLB_KEEP_LOGS=1).

LIB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIPLBCTL=${SIPLBCTL:-$LIB_ROOT/build/siplbctl}
TESTBED=$LIB_ROOT/scripts/testbed.sh
LIB_PIDS=""
LIB_NAME=${0##*/}
LIB_WORK=""
LIB_TB_UP=0
LIB_FAILURES=0

log() {
	printf '%s: %s\n' "$LIB_NAME" "$*"
}

# ---- TAP -----------------------------------------------------------------
#
# The end-to-end tests speak TAP, as the C tests do, so that prove runs
# both: a test calls lib_tap right after sourcing this file. From then on
# its stdout goes through tap_filter, which makes every line a "# "
# comment except the results that pass, fail and die write (on their own
# descriptor, so that a result inside $(...) is not captured), numbers
# those, and prints the plan when the output ends. stderr is left alone.
# Without lib_tap (the demo, the benchmarks) nothing changes.
LIB_TAP=0
LIB_TAP_FD=""

tap_filter() {
	awk 'BEGIN { print "TAP version 13"; fflush() }
	{
		i = index($0, "\001")
		if (i == 0) {
			print "# " $0
			fflush()
			next
		}
		# A result after output that did not end its line.
		if (i > 1)
			print "# " substr($0, 1, i - 1)
		split(substr($0, i + 1), r, "\001")
		desc = r[2]
		gsub(/#/, "\\#", desc)	# "#" would start a directive
		if (r[3] != "")		# skip(): the one directive we mean
			desc = desc " # SKIP " r[3]
		print r[1] " " ++n " - " desc
		fflush()
	}
	END {
		# Ran to the end without checking anything: not a pass.
		if (n == 0)
			print "not ok " ++n " - no check ran"
		print "1.." n
	}'
}

# lib_tap: TAP from here on; a run without root is skipped, not failed.
lib_tap() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP needs root (namespaces, XDP)"
		exit 0
	fi
	exec {LIB_TAP_FD}> >(tap_filter)
	exec >&"$LIB_TAP_FD"
	LIB_TAP=1
}

# tap_result ok|"not ok" TEXT: one result line (TAP mode only).
tap_result() {
	[ "$LIB_TAP" = 1 ] || return 0
	printf '\001%s\001%s\n' "$1" "$2" >&"$LIB_TAP_FD"
	[ "$1" = ok ] || LIB_TAP_FAILED=$((LIB_TAP_FAILED + 1))
}
LIB_TAP_FAILED=0

die() {
	printf '%s: %s\n' "$LIB_NAME" "$*" >&2
	tap_result "not ok" "$*"
	exit 1
}

# Record a failed check and go on, so one run reports every failure.
fail() {
	printf '%s: FAIL: %s\n' "$LIB_NAME" "$*" >&2
	LIB_FAILURES=$((LIB_FAILURES + 1))
	tap_result "not ok" "$*"
}

# skip WHAT WHY: a check that could not run here, reported as a TAP skip
# (never a pass).
skip() {
	if [ "$LIB_TAP" = 1 ]; then
		printf '\001ok\001%s\001%s\n' "$1" "${2//#/}" >&"$LIB_TAP_FD"
	else
		printf '%s: SKIP: %s: %s\n' "$LIB_NAME" "$1" "$2"
	fi
}

pass() {
	if [ "$LIB_TAP" = 1 ]; then
		tap_result ok "$*"
	else
		printf '%s: ok: %s\n' "$LIB_NAME" "$*"
	fi
}

# lib_init NAME: check the basics, make the work directory, set the traps.
lib_init() {
	local name=$1 tool
	[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, XDP)"
	for tool in sipp ip ethtool ping tcpdump python3 timeout ss nsenter; do
		command -v "$tool" >/dev/null ||
			die "$tool not found: run scripts/deps.sh"
	done
	SIPLB_TB_PREFIX=${SIPLB_TB_PREFIX:-${name}$$}
	trap lib_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	# A reader that went away (`... | head`) must not kill us before the
	# cleanup has run.
	trap 'exit 141' PIPE
	LIB_WORK=$(mktemp -d "/tmp/siplb-$name.XXXXXX")
}

# lib_bg VAR CMD...: run CMD in the background and store its PID in VAR.
# lib_key_file FILE: a random key (48 bytes) into FILE (the caller sets
# its mode). A cluster secret loses a trailing newline and CR when read
# (config.c, secret_trim) and must keep 32 bytes: 32 random bytes that
# ended in a newline were refused as too short, about once in 256 runs.
lib_key_file() {
	head -c 48 /dev/urandom >"$1"
}

lib_bg() {
	local var=$1
	shift
	"$@" &
	LIB_PIDS="$LIB_PIDS $!"
	printf -v "$var" '%s' "$!"
}

# lib_stop_all SIGNAL SECONDS PID...: lib_stop each PID.
lib_stop_all() {
	local sig=$1 secs=$2 pid
	shift 2
	for pid in "$@"; do
		lib_stop "$pid" "$sig" "$secs" || true
	done
}

# lib_skip_without CMD: a test that needs CMD (a Debian package's) is
# skipped, not failed, where it is missing. Before lib_tap.
lib_skip_without() {
	command -v "$1" >/dev/null && return 0
	echo "1..0 # SKIP $1 not installed (scripts/deps.sh)"
	exit 0
}

# lib_forget PID: a process we have reaped; the cleanup leaves it alone.
lib_forget() {
	local p kept=""
	for p in $LIB_PIDS; do
		[ "$p" = "$1" ] || kept="$kept $p"
	done
	LIB_PIDS=$kept
}

# lib_stop PID [SIGNAL] [SECONDS]: signal one of our processes (SIGNAL NONE:
# just wait for it) and reap it, with SIGKILL if it is still there after
# SECONDS. Returns its exit status.
lib_stop() {
	local pid=$1 sig=${2:-TERM} secs=${3:-5} i rc=0
	if [ "$sig" != NONE ] && kill -0 "$pid" 2>/dev/null; then
		kill "-$sig" "$pid" 2>/dev/null || true
	fi
	for i in $(seq 1 $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	lib_forget "$pid"
	return "$rc"
}

lib_cleanup() {
	local rc=$? pid
	# Finish the cleanup whatever happens to our output.
	set +e
	trap '' PIPE
	trap - EXIT INT TERM
	# An exit that no result explains (set -e, a signal) fails the test.
	[ "$rc" -eq 0 ] || [ "$LIB_TAP_FAILED" -gt 0 ] ||
		tap_result "not ok" "$LIB_NAME exited with status $rc"
	for pid in $LIB_PIDS; do
		lib_stop "$pid" TERM 3 || true
	done
	if [ "$LIB_TB_UP" = 1 ]; then
		"$TESTBED" -p "$SIPLB_TB_PREFIX" down ||
			echo "$LIB_NAME: testbed '$SIPLB_TB_PREFIX' not fully removed" >&2
	fi
	if [ -n "$LIB_WORK" ]; then
		if [ "${SIPLB_KEEP_LOGS:-0}" = 1 ]; then
			echo "$LIB_NAME: logs kept in $LIB_WORK"
		else
			rm -rf "$LIB_WORK"
		fi
	fi
	exit "$rc"
}

# tb_up N: build the testbed with N backends and import its TB_* names.
tb_up() {
	local envs rc=0
	# Set before: a signal during setup must still tear down what exists.
	LIB_TB_UP=1
	envs=$("$TESTBED" -p "$SIPLB_TB_PREFIX" -n "$1" up) || rc=$?
	if [ "$rc" -eq 3 ]; then
		LIB_TB_UP=0	# someone else's testbed: leave it alone
		die "a testbed named $SIPLB_TB_PREFIX exists already"
	fi
	[ "$rc" -eq 0 ] || die "testbed setup failed"
	eval "$envs"
	lib_family "${LIB_FAMILY:-4}"
}

# ep ADDR PORT: an endpoint as sipp and siplbctl write it ([v6]:port).
ep() {
	case $1 in
	*:*) printf '[%s]:%s\n' "$1" "$2" ;;
	*) printf '%s:%s\n' "$1" "$2" ;;
	esac
}

# lib_family 4|6: which addresses of the testbed the helpers below use:
# sets VIP, VIP_EP, CLIENT_IP and BACKEND_IPS.
lib_family() {
	case $1 in
	4) VIP=$TB_VIP4 CLIENT_IP=$TB_CLIENT_IP4 BACKEND_IPS=$TB_BACKEND_IP4S ;;
	6) VIP=$TB_VIP6 CLIENT_IP=$TB_CLIENT_IP6 BACKEND_IPS=$TB_BACKEND_IP6S ;;
	*) die "address family must be 4 or 6, not '$1'" ;;
	esac
	LIB_FAMILY=$1
	VIP_EP=$(ep "$VIP" "$TB_SIP_PORT")
}

# lb_ctl ARGS...: siplbctl inside the balancer namespace, on our pin dir.
# nsenter, not `ip netns exec`: the latter mounts a fresh /sys for the
# namespace, which hides the bpf filesystem at /sys/fs/bpf.
lb_ctl() {
	nsenter --net="/run/netns/$TB_NS_LB" "$SIPLBCTL" -P "$TB_PINDIR" "$@"
}

# The i-th word (1-based) of a list.
nth() {
	printf '%s\n' "$2" | awk -v i="$1" '{ print $i }'
}

# lb_setup: attach the XDP program to every balancer port, add the VIP
# (of the family lib_family chose) and every backend to it.
lb_setup() {
	local dev ip
	[ -x "$SIPLBCTL" ] || die "$SIPLBCTL not found: run 'make' first"
	# What siplbctl says (mode, fallbacks) goes to $LIB_WORK/attach.log.
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		lb_ctl attach "$dev" >"$LIB_WORK/attach-$dev.log" 2>&1 ||
			die "siplbctl attach $dev failed: $(cat "$LIB_WORK/attach-$dev.log")"
		cat "$LIB_WORK/attach-$dev.log" >>"$LIB_WORK/attach.log"
	done
	# Attaching XDP to a veth can take its carrier down for a few hundred
	# milliseconds (seen on 6.18); traffic sent then is lost.
	# shellcheck disable=SC2086 # lists of device names
	wait_links_up "$TB_NS_LB" $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS
	lb_ctl vip add "$VIP_EP" || die "siplbctl vip add $VIP_EP failed"
	for ip in $BACKEND_IPS; do
		lb_ctl backend add "$VIP_EP" "$(ep "$ip" "$TB_SIP_PORT")" ||
			die "siplbctl backend add $ip failed"
	done
}

# wait_links_up NS DEV...: until every DEV is operationally up (3 s at most).
wait_links_up() {
	local ns=$1 i dev down
	shift
	for i in $(seq 1 30); do
		down=""
		for dev in "$@"; do
			ip -n "$ns" -br link show dev "$dev" | grep -q ' UP ' ||
				down="$down $dev"
		done
		[ -n "$down" ] || return 0
		sleep 0.1
	done
	die "links still down in namespace $ns:$down"
}

# wait_udp_port NS PORT: until something listens there (5 s at most).
wait_udp_port() {
	local i
	for i in $(seq 1 50); do
		ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q . &&
			return 0
		sleep 0.1
	done
	die "nothing listens on UDP port $2 in namespace $1"
}

# uas_start: a sipp UAS on every backend, port TB_SIP_PORT, recording the
# messages it receives in $LIB_WORK/uas<i>.tsv (sipp's -trace_shortmsg:
# date, time, epoch, R|S, Call-ID, CSeq, start line; tab-separated).
UAS_PIDS=""
uas_start() {
	local i ns ip pid
	for i in $(seq 1 "$TB_N"); do
		ns=$(nth "$i" "$TB_NS_BACKENDS")
		ip=$(nth "$i" "$BACKEND_IPS")
		lib_bg pid ip netns exec "$ns" sipp -sn uas -i "$ip" \
			-p "$TB_SIP_PORT" -nostdin -buff_size 4194304 \
			-trace_shortmsg -shortmessage_file "$LIB_WORK/uas$i.tsv" \
			-trace_err -error_file "$LIB_WORK/uas$i.err" \
			>"$LIB_WORK/uas$i.out" 2>&1
		UAS_PIDS="$UAS_PIDS $pid"
	done
	for i in $(seq 1 "$TB_N"); do
		wait_udp_port "$(nth "$i" "$TB_NS_BACKENDS")" "$TB_SIP_PORT"
	done
}

# uas_stop: SIGUSR1 asks sipp to quit once its calls are done.
uas_stop() {
	local pid
	for pid in $UAS_PIDS; do
		lib_stop "$pid" USR1 5 || true
	done
	UAS_PIDS=""
}

# capture_start: tcpdump of the UDP packets the client receives.
CAPTURE_PID=""
capture_start() {
	local i
	# -Z root: Debian's tcpdump otherwise drops to user tcpdump before
	# opening the file in our root-only work directory.
	lib_bg CAPTURE_PID ip netns exec "$TB_NS_CLIENT" tcpdump -i "$TB_CLIENT_DEV" \
		-Q in -nn -U -Z root -w "$LIB_WORK/client.pcap" udp \
		2>"$LIB_WORK/tcpdump.err"
	for i in $(seq 1 50); do
		grep -q 'listening on' "$LIB_WORK/tcpdump.err" && return 0
		kill -0 "$CAPTURE_PID" 2>/dev/null ||
			die "tcpdump failed: $(cat "$LIB_WORK/tcpdump.err")"
		sleep 0.1
	done
	die "tcpdump did not start: $(cat "$LIB_WORK/tcpdump.err")"
}

capture_stop() {
	[ -n "$CAPTURE_PID" ] || return 0
	lib_stop "$CAPTURE_PID" TERM 5 || true
	CAPTURE_PID=""
}

# capture_sources: "count source" for every source (as ep prints it) the
# client heard UDP from.
capture_sources() {
	tcpdump -nn -q -r "$LIB_WORK/client.pcap" 2>/dev/null |
		awk '$2 == "IP" || $2 == "IP6" {
			# tcpdump writes ADDR.PORT
			i = match($3, /\.[0-9]+$/)
			a = substr($3, 1, i - 1); p = substr($3, i + 1)
			print (a ~ /:/ ? "[" a "]:" p : a ":" p) }' | sort | uniq -c
}

# uac_run CALLS RATE [TARGET]: sipp UAC in the client namespace, CALLS
# calls at RATE calls/s to TARGET (default VIP_EP); its statistics go
# to $LIB_WORK/uac.csv. Returns sipp's exit status (0: every call
# succeeded).
uac_run() {
	local calls=$1 rate=$2 target=${3:-$VIP_EP} secs pid rc=0
	secs=$((calls / rate + 20))
	lib_bg pid ip netns exec "$TB_NS_CLIENT" \
		timeout -s INT -k 10 $((secs + 10)) \
		sipp -sn uac "$target" -i "$CLIENT_IP" -p 5070 \
		-m "$calls" -r "$rate" -nostdin -buff_size 4194304 \
		-recv_timeout 15s -timeout "${secs}s" \
		-trace_stat -stf "$LIB_WORK/uac.csv" -fd 1 \
		-trace_err -error_file "$LIB_WORK/uac.err" \
		>"$LIB_WORK/uac.out" 2>&1
	wait "$pid" || rc=$?
	lib_forget "$pid"
	return "$rc"
}

# sipp_counts FILE: "created successful failed" from the last line of a
# sipp -trace_stat file ("0 0 0", and a word on stderr, if there is none).
sipp_counts() {
	python3 - "$1" <<'EOF'
import csv, sys
try:
    rows = [r for r in csv.reader(open(sys.argv[1]), delimiter=';') if r]
    head, last = rows[0], rows[-1]
    print(*(last[head.index(k)] for k in
            ('TotalCallCreated', 'SuccessfulCall(C)', 'FailedCall(C)')))
except (OSError, IndexError, ValueError) as e:
    print('0 0 0')
    sys.exit('no sipp statistics in %s: %s' % (sys.argv[1], e))
EOF
}

# uac_stats: sipp_counts of uac_run's statistics.
uac_stats() {
	sipp_counts "$LIB_WORK/uac.csv"
}

# steering_report: read every backend's message log and print one line per
# backend ("backend <i> <addr> calls <n> messages <n> INVITE <n> ACK <n>
# BYE <n> other <n>"), then one "callids <n>" line, then "error ..." lines
# for every Call-ID whose requests did not all reach one backend or whose
# INVITE, ACK or BYE is missing.
steering_report() {
	python3 - "$LIB_WORK" "$TB_N" "$BACKEND_IPS" "$TB_SIP_PORT" <<'EOF'
import sys, collections
work, n, addrs, port = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4]
addrs = ['[%s]' % a if ':' in a else a for a in addrs]
where = collections.defaultdict(set)          # Call-ID -> backends
methods = collections.defaultdict(set)        # Call-ID -> methods seen
errors = []
for i in range(1, n + 1):
    calls, msgs, per = set(), 0, collections.Counter()
    try:
        lines = open('%s/uas%d.tsv' % (work, i)).read().splitlines()
    except OSError:
        lines = []
        errors.append('backend %d: no message log' % i)
    for line in lines:
        f = line.split('\t')
        if len(f) < 7 or f[3] != 'R':
            continue
        method = f[6].split(' ', 1)[0]
        msgs += 1
        per[method if method in ('INVITE', 'ACK', 'BYE') else 'other'] += 1
        calls.add(f[4])
        where[f[4]].add(i)
        methods[f[4]].add(method)
    print('backend %d %s:%s calls %d messages %d INVITE %d ACK %d BYE %d other %d'
          % (i, addrs[i - 1], port, len(calls), msgs, per['INVITE'],
             per['ACK'], per['BYE'], per['other']))
print('callids %d' % len(where))
for cid in sorted(where):
    if len(where[cid]) != 1:
        errors.append('Call-ID %s reached backends %s'
                      % (cid, ','.join(map(str, sorted(where[cid])))))
    missing = {'INVITE', 'ACK', 'BYE'} - methods[cid]
    if missing:
        errors.append('Call-ID %s: no %s at its backend'
                      % (cid, '/'.join(sorted(missing))))
for e in errors:
    print('error ' + e)
EOF
}

# stats_json: siplbctl -j stats into $LIB_WORK/stats.json.
stats_json() {
	lb_ctl -j stats >"$LIB_WORK/stats.json" 2>"$LIB_WORK/stats.err" ||
		die "siplbctl -j stats failed: $(cat "$LIB_WORK/stats.err")"
}

# stats_get NAME: one counter from $LIB_WORK/stats.json ("" if absent).
stats_get() {
	python3 - "$LIB_WORK/stats.json" "$1" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])).get('counters', {})
print(c.get(sys.argv[2], ''))
EOF
}

# stats_sum PATTERN: sum of the counters whose names match the regex.
stats_sum() {
	python3 - "$LIB_WORK/stats.json" "$1" <<'EOF'
import json, re, sys
c = json.load(open(sys.argv[1])).get('counters', {})
print(sum(v for k, v in c.items() if re.fullmatch(sys.argv[2], k)))
EOF
}

# stats_report nonzero|all: the non-zero counters (all: and the names of the
# others) and the per-backend counters.
stats_report() {
	python3 - "$LIB_WORK/stats.json" "${1:-}" <<'EOF'
import json, sys, textwrap
s = json.load(open(sys.argv[1]))
c = s.get('counters', {})
print('  %-22s %10s' % ('verdict/reason', 'packets'))
for k, v in c.items():
    if v:
        print('  %-22s %10d' % (k, v))
zero = [k for k, v in c.items() if not v]
if zero and sys.argv[2] == 'all':
    print(textwrap.fill('zero: ' + ', '.join(zero), 76,
                        initial_indent='  ', subsequent_indent='    '))
print('  %-3s %-22s %-6s %10s %10s' % ('id', 'backend', 'state', 'steered', 'bytes'))
for b in s.get('backends', []):
    print('  %-3s %-22s %-6s %10s %10s' % (b.get('id'), b.get('addr'),
          b.get('state'), b.get('packets'), b.get('bytes')))
EOF
}

# register_check: send one REGISTER from the client to the VIP and receive
# it on a UDP socket bound to VIP:port in the balancer namespace. Prints
# what the socket got: "<source address> <source port> <start line>", or
# "timeout".
register_check() {
	local pid i ready=$LIB_WORK/register.ready
	rm -f "$ready"
	cat >"$LIB_WORK/register_recv.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET,
                  socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
open(sys.argv[3], 'w').close()
s.settimeout(5)
try:
    data, addr = s.recvfrom(65535)
    print(addr[0], addr[1], data.split(b'\r\n', 1)[0].decode(errors='replace'))
except socket.timeout:
    print('timeout')
EOF
	lib_bg pid ip netns exec "$TB_NS_LB" python3 "$LIB_WORK/register_recv.py" \
		"$VIP" "$TB_SIP_PORT" "$ready" >"$LIB_WORK/register.out" 2>&1
	for i in $(seq 1 50); do
		[ -e "$ready" ] && break
		sleep 0.1
	done
	[ -e "$ready" ] || die "REGISTER receiver did not start: $(cat "$LIB_WORK/register.out")"
	ip netns exec "$TB_NS_CLIENT" python3 - "$CLIENT_IP" 5071 \
		"$VIP" "$TB_SIP_PORT" <<'EOF'
import socket, sys
me, port, vip, vport = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
fam = socket.AF_INET6 if ':' in me else socket.AF_INET
vip_h, me_h = ('[%s]' % vip, '[%s]' % me) if ':' in me else (vip, me)
msg = ('REGISTER sip:%s:%s SIP/2.0\r\n'
       'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-e2e-reg-1\r\n'
       'Max-Forwards: 70\r\n'
       'From: <sip:alice@%s>;tag=e2e1\r\n'
       'To: <sip:alice@%s>\r\n'
       'Call-ID: e2e-register-1@%s\r\n'
       'CSeq: 1 REGISTER\r\n'
       'Contact: <sip:alice@%s:%d>\r\n'
       'Expires: 60\r\n'
       'Content-Length: 0\r\n\r\n'
       % (vip_h, vport, me_h, port, vip_h, vip_h, me_h, me_h, port))
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((me, port))
s.sendto(msg.encode(), (vip, int(vport)))
EOF
	lib_stop "$pid" NONE 8 || true
	cat "$LIB_WORK/register.out"
}

# --- siplbd, the control daemon (registrar) ---------------------------------
# For tests that run siplbd on the testbed: start and stop it by PID, and
# read the registrar's pinned maps back with bpftool.

SIPLBD=${SIPLBD:-$LIB_ROOT/build/siplbd}
SIPLBD_PID=""
SIPLBD_LOG=""

# users_make FILE LIST REALM N [PREFIX]: a users file (user:realm:MD5-HA1
# :SHA-256=HEX, see user/sip/users.h) for N users PREFIX0001.. (default
# "user"), each with a random password of its own; LIST gets
# "user;password" lines in the same order.
users_make() {
	python3 - "$@" <<'EOF'
import hashlib, secrets, sys
path, listing, realm, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
prefix = sys.argv[5] if len(sys.argv) > 5 else 'user'
width = max(4, len(str(n)))
with open(path, 'w') as f, open(listing, 'w') as l:
    for i in range(1, n + 1):
        user = '%s%0*d' % (prefix, width, i)
        pw = secrets.token_hex(6)
        a1 = ('%s:%s:%s' % (user, realm, pw)).encode()
        f.write('%s:%s:%s:SHA-256=%s\n' % (user, realm,
                hashlib.md5(a1).hexdigest(), hashlib.sha256(a1).hexdigest()))
        l.write('%s;%s\n' % (user, pw))
EOF
}

# siplbd_conf REALM USERS [BACKEND_IPS]: the start of a siplbd
# configuration for the testbed, to stdout: the pin directory, XDP on every
# balancer port, the control socket (SIPLBD_SOCK, default
# $LIB_WORK/siplbd.sock), the registrar
# for REALM with the users file USERS (relative to the configuration's
# directory, or absolute), and the VIP with a backend on each address of
# BACKEND_IPS (default: every backend). Callers add their own blocks.
siplbd_conf() {
	local ips=${3:-$BACKEND_IPS} dev ip
	echo "pin-dir $TB_PINDIR"
	for dev in $TB_LB_CLIENT_DEV $TB_LB_BACKEND_DEVS; do
		echo "interface $dev"
	done
	echo "control-socket ${SIPLBD_SOCK:-$LIB_WORK/siplbd.sock}"
	echo "realm $1"
	echo "users $2"
	echo "vip $VIP_EP {"
	for ip in $ips; do
		printf '\tbackend %s\n' "$(ep "$ip" "$TB_SIP_PORT")"
	done
	echo "}"
}

# siplbd_check CONF: `siplbd -n` on CONF; its output in $LIB_WORK/siplbd-n.out.
siplbd_check() {
	[ -x "$SIPLBD" ] || die "$SIPLBD not found: run 'make' first"
	nsenter --net="/run/netns/$TB_NS_LB" "$SIPLBD" -c "$1" -n \
		>"$LIB_WORK/siplbd-n.out" 2>&1
}

# siplbd_start CONF: run siplbd -d in the balancer namespace, appending its
# log to $LIB_WORK/siplbd.log (SIPLBD_LOG); wait until it listens on
# TB_SIP_PORT. Sets SIPLBD_PID. Returns 1 (and prints the log's tail) if
# it exits or does not listen within 10 s.
siplbd_start() {
	local conf=$1 i
	[ -x "$SIPLBD" ] || die "$SIPLBD not found: run 'make' first"
	SIPLBD_LOG=$LIB_WORK/siplbd.log
	echo "=== siplbd -c $conf -d ($(date +%T))" >>"$SIPLBD_LOG"
	# nsenter, not `ip netns exec`, which would hide /sys/fs/bpf. nsenter
	# execs siplbd (no fork for a network namespace), so $! is its PID.
	lib_bg SIPLBD_PID nsenter --net="/run/netns/$TB_NS_LB" \
		"$SIPLBD" -c "$conf" -d 2>>"$SIPLBD_LOG" </dev/null
	for i in $(seq 1 100); do
		if ! kill -0 "$SIPLBD_PID" 2>/dev/null; then
			lib_stop "$SIPLBD_PID" NONE 1 || true
			SIPLBD_PID=""
			echo "$LIB_NAME: siplbd exited during start-up; its log:" >&2
			tail -n 30 "$SIPLBD_LOG" >&2
			return 1
		fi
		ip netns exec "$TB_NS_LB" ss -Hlun "sport = :$TB_SIP_PORT" |
			grep -q . && return 0
		sleep 0.1
	done
	echo "$LIB_NAME: siplbd does not listen on UDP port $TB_SIP_PORT" \
		"after 10 s; its log:" >&2
	tail -n 30 "$SIPLBD_LOG" >&2
	return 1
}

# siplbd_stop: SIGTERM to the siplbd we started, reap it (SIGKILL after
# 10 s). Returns its exit status.
siplbd_stop() {
	local pid=$SIPLBD_PID rc=0
	[ -n "$pid" ] || return 0
	SIPLBD_PID=""
	lib_stop "$pid" TERM 10 || rc=$?
	return "$rc"
}

# siplbd_log_show [LINES]: the tail of siplbd's log, to stderr.
siplbd_log_show() {
	[ -n "$SIPLBD_LOG" ] && [ -s "$SIPLBD_LOG" ] || return 0
	echo "--- last ${1:-40} lines of $SIPLBD_LOG:" >&2
	tail -n "${1:-40}" "$SIPLBD_LOG" >&2
	echo "---" >&2
}

# The parser of bpftool's JSON map dumps behind location_dump and
# blocked_dump (python3 -c; argv[1] says which map). Char arrays come as
# strings or as byte arrays depending on bpftool and BTF; __be32 address
# words as numbers in host order.
LIB_BPFJSON_PY=$(cat <<'EOF'
import json, socket, struct, sys

def chars(v):
    if isinstance(v, str):
        return v.split('\0', 1)[0]
    b = bytes(int(x, 0) if isinstance(x, str) else x for x in v)
    return b.split(b'\0', 1)[0].decode('utf-8', 'replace')

def num(v):
    return int(v, 0) if isinstance(v, str) else int(v)

def addr(a):
    words = [num(w) for w in a['addr']]
    raw = b''.join(struct.pack('=I', w) for w in words)
    if num(a['family']) == 10:
        return socket.inet_ntop(socket.AF_INET6, raw)
    return socket.inet_ntop(socket.AF_INET, raw[:4])

def endpoint(e):
    port = socket.ntohs(num(e['port']))
    a = addr(e)
    return ('[%s]:%d' if ':' in a else '%s:%d') % (a, port)

entries = json.load(sys.stdin)
rows = []
for e in entries:
    if 'formatted' in e:
        e = e['formatted']
    k, v = e['key'], e['value']
    if sys.argv[1] == 'location':
        rows.append('%s %d %s %d %d %s %d' % (
            chars(k['aor']), num(k['slot']), chars(v['contact']) or '-',
            num(v['expires_at']), num(v['registered_at']),
            endpoint(v['source']), num(v['cseq'])))
    else:
        rows.append('%s %d %d' % (addr(k), num(v['failures']),
                                   num(v['until_ns'])))
for r in sorted(rows):
    print(r)
EOF
)

# location_dump: the bindings in the pinned siplb_location map, one per
# line: "AOR SLOT CONTACT EXPIRES_AT REGISTERED_AT SOURCE CSEQ", sorted.
# bpftool reads pinned maps from the root namespace too.
location_dump() {
	bpftool -j map dump pinned "$TB_PINDIR/siplb_location" |
		python3 -c "$LIB_BPFJSON_PY" location
}

# blocked_dump: the sources in the pinned siplb_blocked map, one per line:
# "ADDRESS FAILURES UNTIL_NS".
blocked_dump() {
	bpftool -j map dump pinned "$TB_PINDIR/siplb_blocked" |
		python3 -c "$LIB_BPFJSON_PY" blocked
}
