#!/bin/bash
# bench-register.sh - registrations per second with digest authentication
# through siplbd, on the namespace testbed (scripts/testbed.sh).
#
#   bench-register.sh [-r "RATE ..."] [-d SECONDS] [-u USERS] [-k]
#
#   -r  offered rates, registrations/s, one step each (default
#       "1000 2000 4000 8000"); the sweep stops after a step with failures
#   -d  seconds per step (default 10)
#   -u  users in the users file and the sipp -inf list (default 10000)
#   -k  keep the work directory (logs, sipp statistics) and say where
#
# What it does: brings up a testbed with one backend, writes a siplbd
# configuration (the testbed's pin directory, XDP on the balancer's veths,
# a control socket and a users file with USERS users, each with an MD5 and
# a SHA-256 HA1), starts siplbd -d in the balancer namespace, and runs sipp
# in the client namespace with a REGISTER scenario:
#
#   REGISTER -> 401 (challenge) -> REGISTER with Authorization -> 200
#
# one "call" per registration, the users taken in turn from the -inf list.
# A short warm-up checks the path first. For each rate it reports the
# offered and achieved rate, failures, retransmissions, datagrams dropped
# at the balancer's UDP sockets, and siplbd's CPU time (utime+stime from
# /proc/PID/stat, before and after) per successful registration (two
# REGISTER round trips); siplbd's own counters (siplbctl -j stats) are
# checked against sipp's, and the location map against the users
# registered. The highest clean rate is the highest step with
# no failure, retransmissions under 0.1% of the REGISTERs sent, and an
# achieved rate within 5% of the offered one.
#
# Needs root, sipp (sip-tester), python3, and `make` done (it builds
# build/siplbd, build/siplbctl and build/xdp_pass.bpf.o if stale).
# siplbd is stopped by its PID, the testbed taken down and the work
# directory removed on every exit, failures included.
# Exit status: 0 if every step ran and siplbd's counters agree with sipp's
# (failures at high rates are results, not errors); 1 if the benchmark
# could not run or what it timed did not happen as it should.
set -u

SELF=${0##*/}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIPLBD=$ROOT/build/siplbd
SIPLBCTL=$ROOT/build/siplbctl
TESTBED=$ROOT/scripts/testbed.sh

RATES="1000 2000 4000 8000"
DURATION=10
NUSERS=10000
KEEP=0
REALM=example.com
DOMAIN=example.com
WARMUP_CALLS=200
WARMUP_RATE=200
CLIENT_PORT=5070

WORK=""
PREFIX=""
TB_UP=0
SIPLBD_PID=""
SIPP_PID=""

die() {
	printf '%s: %s\n' "$SELF" "$*" >&2
	exit 1
}

usage() {
	sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

# stop_pid PID SIGNAL SECONDS: signal one process we started, wait for it
# to go (SIGKILL after SECONDS), reap it. Returns its exit status.
stop_pid() {
	local pid=$1 sig=$2 secs=$3 rc=0
	kill -0 "$pid" 2>/dev/null && kill "-$sig" "$pid" 2>/dev/null
	for _ in $(seq 1 $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$SIPP_PID" ]; then
		stop_pid "$SIPP_PID" INT 5 || true
		SIPP_PID=""
	fi
	if [ -n "$SIPLBD_PID" ]; then
		stop_pid "$SIPLBD_PID" TERM 10 || true
		SIPLBD_PID=""
	fi
	if [ "$TB_UP" = 1 ]; then
		"$TESTBED" -p "$PREFIX" down ||
			echo "$SELF: testbed '$PREFIX' not fully removed" >&2
	fi
	if [ -n "$WORK" ]; then
		if [ "$KEEP" = 1 ]; then
			echo "$SELF: work directory kept: $WORK" >&2
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

while getopts r:d:u:kh opt; do
	case $opt in
	r) RATES=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	u) NUSERS=$OPTARG ;;
	k) KEEP=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
for v in $RATES $DURATION $NUSERS; do
	case $v in
	'' | *[!0-9]* | 0*) die "rates, seconds and users are positive numbers, not '$v'" ;;
	esac
done
[ -n "$RATES" ] || die "no rates given"

[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, XDP, BPF)"
for tool in sipp ip nsenter python3 timeout ss getconf make; do
	command -v "$tool" >/dev/null || die "$tool not found (scripts/deps.sh)"
done
make -s -C "$ROOT" --no-print-directory build/siplbd build/siplbctl \
	build/xdp_pass.bpf.o >&2 || die "build failed (see above)"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf ||
	die "no bpffs at /sys/fs/bpf and could not mount one"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
WORK=$(mktemp -d /tmp/siplb-bench-register.XXXXXX) || die "mktemp failed"
PREFIX=breg$$

# --- testbed -----------------------------------------------------------------
TB_UP=1	# before: a failure half-way must still take down what exists
envs=$("$TESTBED" -p "$PREFIX" -n 1 up 2>"$WORK/testbed.err")
rc=$?
if [ "$rc" -eq 3 ]; then
	TB_UP=0	# not ours
	die "a testbed named $PREFIX exists already"
fi
[ "$rc" -eq 0 ] || die "testbed setup failed: $(cat "$WORK/testbed.err")"
eval "$envs"
VIP_EP=$TB_VIP4:$TB_SIP_PORT
BACKEND_IP=${TB_BACKEND_IP4S%% *}

# --- users, configuration, scenario -------------------------------------------
# users.htdigest: user:realm:MD5-HA1:SHA-256=HEX; users.csv: sipp's -inf
# (user;password;domain), one line per user, taken in turn.
python3 - "$WORK/users.htdigest" "$WORK/users.csv" "$REALM" "$NUSERS" \
	"$DOMAIN" <<'EOF' || die "could not write the users file"
import hashlib, secrets, sys
path, listing, realm, n, domain = sys.argv[1:6]
n = int(n)
width = max(5, len(str(n)))
with open(path, 'w') as f, open(listing, 'w') as l:
    l.write('SEQUENTIAL\n')
    for i in range(1, n + 1):
        user = 'user%0*d' % (width, i)
        pw = secrets.token_hex(8)
        a1 = ('%s:%s:%s' % (user, realm, pw)).encode()
        f.write('%s:%s:%s:SHA-256=%s\n' % (user, realm,
                hashlib.md5(a1).hexdigest(), hashlib.sha256(a1).hexdigest()))
        l.write('%s;%s;%s\n' % (user, pw, domain))
EOF

cat >"$WORK/siplb.conf" <<EOF
# written by $SELF
pin-dir $TB_PINDIR
interface $TB_LB_CLIENT_DEV
EOF
for dev in $TB_LB_BACKEND_DEVS; do
	echo "interface $dev" >>"$WORK/siplb.conf"
done
cat >>"$WORK/siplb.conf" <<EOF
xdp-mode auto
control-socket $WORK/siplbd.sock
realm $REALM
users $WORK/users.htdigest
vip $VIP_EP {
	backend $BACKEND_IP:$TB_SIP_PORT
}
registrar {
	default-expires 3600
	min-expires 60
	max-expires 7200
	max-contacts 10
	max-bindings 1000000
}
auth {
	nonce-lifetime 300
	block-threshold 5
	block-window 60
	block-time 600
	# sipp 3.6 reads only the first challenge and knows only MD5.
	algorithms MD5 SHA-256
}
EOF

# Quoted [authentication] values, auth="true" on the 401 (NOTES.md). The
# Request-URI is sip:remote_ip:remote_port, the uri sipp puts in the
# digest response, so that the two agree.
cat >"$WORK/register.xml" <<'EOF'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="REGISTER with digest authentication">
  <send retrans="500">
    <![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[field0]@[field2]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field0]@[field2]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port];transport=udp>
      Expires: 3600
      User-Agent: siplb-bench-register
      Content-Length: 0

    ]]>
  </send>

  <recv response="401" auth="true">
  </recv>

  <send retrans="500">
    <![CDATA[

      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:[field0]@[field2]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[field0]@[field2]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port];transport=udp>
      [authentication username="[field0]" password="[field1]"]
      Expires: 3600
      User-Agent: siplb-bench-register
      Content-Length: 0

    ]]>
  </send>

  <recv response="200">
  </recv>
</scenario>
EOF

# --- siplbd --------------------------------------------------------------------
# nsenter, not `ip netns exec` (which would hide /sys/fs/bpf); nsenter
# execs siplbd for a network namespace, so $! is siplbd's own PID.
siplbd_check() {
	nsenter --net="/run/netns/$TB_NS_LB" "$SIPLBD" -c "$WORK/siplb.conf" \
		-n >"$WORK/siplbd-n.out" 2>&1
}
if ! siplbd_check && grep -q algorithms "$WORK/siplbd-n.out"; then
	# A siplbd without the `algorithms` directive: it challenges with
	# SHA-256 first, which sipp 3.6 refuses (the warm-up will say so).
	echo "$SELF: this siplbd has no 'algorithms' directive:" \
		"$(cat "$WORK/siplbd-n.out")" >&2
	sed -i '/^\talgorithms /d; /sipp 3.6 reads only the first/d' \
		"$WORK/siplb.conf"
fi
siplbd_check ||
	die "siplbd -n refuses the configuration: $(cat "$WORK/siplbd-n.out")"
nsenter --net="/run/netns/$TB_NS_LB" "$SIPLBD" -c "$WORK/siplb.conf" -d \
	>"$WORK/siplbd.log" 2>&1 </dev/null &
SIPLBD_PID=$!
for _ in $(seq 1 100); do
	kill -0 "$SIPLBD_PID" 2>/dev/null ||
		die "siplbd exited during start-up: $(tail -n 20 "$WORK/siplbd.log")"
	ip netns exec "$TB_NS_LB" ss -Hlun "sport = :$TB_SIP_PORT" | grep -q . &&
		break
	sleep 0.1
done
ip netns exec "$TB_NS_LB" ss -Hlun "sport = :$TB_SIP_PORT" | grep -q . ||
	die "siplbd does not listen on $VIP_EP after 10 s: $(tail -n 20 "$WORK/siplbd.log")"
[ "$(cat "/proc/$SIPLBD_PID/comm" 2>/dev/null)" = siplbd ] ||
	die "PID $SIPLBD_PID is not siplbd"
case $(ip -n "$TB_NS_LB" -d link show dev "$TB_LB_CLIENT_DEV") in
*xdpgeneric*) XDP_MODE=generic ;;
*xdpdrv* | *"prog/xdp"*) XDP_MODE=native ;;
*) die "no XDP program on $TB_LB_CLIENT_DEV after siplbd started" ;;
esac

CLK_TCK=$(getconf CLK_TCK)

# siplbd's utime+stime in clock ticks (fields 14 and 15 of /proc/PID/stat,
# counted after the ')' that ends the command name).
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$SIPLBD_PID/stat") || die "siplbd (PID $SIPLBD_PID) is gone"
	stat=${stat##*) }
	# shellcheck disable=SC2086 # split the fields
	set -- $stat
	echo $((${12} + ${13}))
}

# siplbd's counters as "name=value" words (registrar, auth guard, daemon).
siplbd_stats() {
	"$SIPLBCTL" -S "$WORK/siplbd.sock" -P "$TB_PINDIR" -j stats \
		>"$WORK/stats.json" 2>"$WORK/stats.err" ||
		die "siplbctl -j stats failed: $(cat "$WORK/stats.err")"
	python3 - "$WORK/stats.json" <<'EOF' || die "cannot read siplbd's counters"
import json, sys
s = json.load(open(sys.argv[1]))
d = s.get('siplbd') or s.get('daemon_stats') or s
def find(obj, key):
    if isinstance(obj, dict):
        if key in obj and isinstance(obj[key], dict):
            return obj[key]
        for v in obj.values():
            r = find(v, key)
            if r is not None:
                return r
    return None
reg, guard, dmn = find(s, 'registrar'), find(s, 'auth_guard'), find(s, 'daemon')
if reg is None or guard is None or dmn is None:
    sys.exit('no registrar/auth_guard/daemon counters in siplbctl -j stats')
out = ['reg_%s=%d' % (k, v) for k, v in reg.items() if isinstance(v, int)]
out += ['guard_%s=%d' % (k, v) for k, v in guard.items() if isinstance(v, int)]
out += ['daemon_%s=%d' % (k, v) for k, v in dmn.items() if isinstance(v, int)]
print(' '.join(out))
EOF
}

# run_sipp NAME CALLS RATE [EXTRA...]: the REGISTER scenario from the
# client namespace; statistics in $WORK/NAME.csv, errors in NAME.err.
# Returns sipp's exit status (0: every registration succeeded).
run_sipp() {
	local name=$1 calls=$2 rate=$3 secs rc=0
	shift 3
	secs=$((calls / rate + 20))
	ip netns exec "$TB_NS_CLIENT" timeout -s INT -k 10 $((secs + 15)) \
		sipp "$VIP_EP" -sf "$WORK/register.xml" \
		-inf "$WORK/users.csv" -i "$TB_CLIENT_IP4" -p "$CLIENT_PORT" \
		-m "$calls" -r "$rate" -rp 1000 -nostdin -buff_size 4194304 \
		-recv_timeout 15s -timeout "${secs}s" \
		-trace_stat -stf "$WORK/$name.csv" -fd 1 \
		-trace_err -error_file "$WORK/$name.err" "$@" \
		>"$WORK/$name.out" 2>&1 &
	SIPP_PID=$!
	wait "$SIPP_PID" || rc=$?
	SIPP_PID=""
	return "$rc"
}

# sipp_result NAME: "created successful failed retransmissions elapsed_s
# failed_unexpected failed_timeout" from the last line of NAME.csv.
sipp_result() {
	python3 - "$WORK/$1.csv" <<'EOF'
import csv, sys
try:
    rows = [r for r in csv.reader(open(sys.argv[1]), delimiter=';') if r]
    head, last = rows[0], rows[-1]
    get = lambda k: last[head.index(k)]
    epoch = lambda k: float(get(k).split('\t')[-1])
    print(get('TotalCallCreated'), get('SuccessfulCall(C)'),
          get('FailedCall(C)'), get('Retransmissions(C)'),
          '%.3f' % (epoch('CurrentTime') - epoch('StartTime')),
          get('FailedUnexpectedMessage(C)'), get('FailedMaxUDPRetrans(C)'))
except (OSError, IndexError, ValueError) as e:
    sys.exit('no sipp statistics in %s: %s' % (sys.argv[1], e))
EOF
}

# udp_drops NS: datagrams the UDP sockets of namespace NS dropped for a full
# receive buffer (RcvbufErrors, /proc/net/snmp as seen from NS).
udp_drops() {
	ip netns exec "$1" cat /proc/net/snmp | awk '$1 == "Udp:" {
		if (!col) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") col = i }
		else { print $col; exit } }'
}

# stat_of NAME WORDS: the value of NAME in "name=value" WORDS (0 if absent).
stat_of() {
	local w
	for w in $2; do
		[ "${w%%=*}" = "$1" ] && { echo "${w#*=}"; return; }
	done
	echo 0
}

# --- warm-up: the path works, and which algorithm sipp answers with --------
run_sipp warmup "$WARMUP_CALLS" "$WARMUP_RATE" -trace_msg \
	-message_file "$WORK/warmup.msg" ||
	die "warm-up: not every registration succeeded (sipp $?): $(tail -n 5 "$WORK/warmup.err" 2>/dev/null; tail -n 5 "$WORK/siplbd.log")"
read -r w_created w_ok _ <<<"$(sipp_result warmup)" || die "warm-up: no statistics"
[ "$w_created" = "$WARMUP_CALLS" ] && [ "$w_ok" = "$WARMUP_CALLS" ] ||
	die "warm-up: $w_ok of $w_created registrations succeeded, expected $WARMUP_CALLS"
ALGS=$(grep -i '^ *Authorization:' "$WORK/warmup.msg" |
	grep -oi 'algorithm=[A-Za-z0-9-]*' | sort | uniq -c |
	awk '{ printf "%s%s (%d times)", (NR > 1 ? ", " : ""), $2, $1 }')
CHALLENGE=$(grep -i '^ *WWW-Authenticate:' "$WORK/warmup.msg" |
	grep -oi 'algorithm=[A-Za-z0-9-]*' | awk -F= '{print $2}' |
	awk '!seen[$0]++' | paste -sd, - | sed 's/,/, /g')
rm -f "$WORK/warmup.msg"

# --- the steps -----------------------------------------------------------------
RESULTS=""	# one line per step, the fields read back in the report
BEST=0
STOPPED=""
for rate in $RATES; do
	calls=$((rate * DURATION))
	s0=$(siplbd_stats) || exit 1
	lbd0=$(udp_drops "$TB_NS_LB")
	cld0=$(udp_drops "$TB_NS_CLIENT")
	c0=$(cpu_ticks) || exit 1
	rc=0
	run_sipp "step$rate" "$calls" "$rate" || rc=$?
	c1=$(cpu_ticks) || exit 1
	lbd1=$(udp_drops "$TB_NS_LB")
	cld1=$(udp_drops "$TB_NS_CLIENT")
	s1=$(siplbd_stats) || exit 1
	res=$(sipp_result "step$rate") ||
		die "rate $rate: sipp left no statistics (exit $rc): $(tail -n 5 "$WORK/step$rate.out")"
	read -r created ok failed retrans elapsed f_unexp f_retr <<<"$res"
	[ "$created" -gt 0 ] || die "rate $rate: sipp created no registration (exit $rc)"
	[ "$ok" -gt 0 ] || die "rate $rate: no registration succeeded (exit $rc): $(tail -n 5 "$WORK/step$rate.err" 2>/dev/null)"

	# siplbd must have done the work sipp counted: every success is a 200
	# from its registrar, every 401 a challenge, no wrong credentials.
	d_ok=$(($(stat_of reg_ok "$s1") - $(stat_of reg_ok "$s0")))
	d_chal=$(($(stat_of reg_challenged "$s1") - $(stat_of reg_challenged "$s0")))
	d_req=$(($(stat_of reg_requests "$s1") - $(stat_of reg_requests "$s0")))
	d_fail=$(($(stat_of reg_auth_failed "$s1") - $(stat_of reg_auth_failed "$s0")))
	# registrar "replayed": every authenticated REGISTER refused by the
	# nc replay table, as a real replay (nonce_replays) or because the
	# table forgot the nonce (401 stale=true).
	d_refused=$(($(stat_of reg_replayed "$s1") - $(stat_of reg_replayed "$s0")))
	d_nreplay=$(($(stat_of reg_nonce_replays "$s1") - $(stat_of reg_nonce_replays "$s0")))
	d_forgot=$((d_refused - d_nreplay))
	d_blocks=$(($(stat_of guard_blocks "$s1") - $(stat_of guard_blocks "$s0")))
	[ "$d_ok" -ge "$ok" ] ||
		die "rate $rate: sipp counted $ok registrations, siplbd answered only $d_ok with 200"
	[ "$d_chal" -ge "$ok" ] ||
		die "rate $rate: $ok registrations but only $d_chal challenges from siplbd"
	[ "$d_fail" -eq 0 ] && [ "$d_blocks" -eq 0 ] ||
		die "rate $rate: siplbd saw $d_fail wrong credentials and made $d_blocks blocks"
	[ "$created" -eq "$calls" ] ||
		echo "$SELF: rate $rate: sipp created $created of $calls registrations" >&2

	cpu_us=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$ok" \
		'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
	clean=$(awk -v r="$rate" -v ok="$ok" -v f="$failed" -v x="$retrans" \
		-v c="$created" -v e="$elapsed" 'BEGIN {
			a = ok / e
			print ((f == 0 && x < 0.001 * 2 * c && a >= 0.95 * r) ? 1 : 0) }')
	[ "$clean" = 1 ] && BEST=$rate
	RESULTS="$RESULTS$rate $created $ok $failed $retrans $elapsed $cpu_us $clean $d_req $d_ok $d_forgot $d_nreplay $f_unexp $f_retr $((c1 - c0)) $((lbd1 - lbd0)) $((cld1 - cld0))
"
	if [ "$failed" -gt 0 ]; then
		STOPPED=$rate
		break
	fi
done

# Every user registered at least once has exactly one binding (its Contact
# is the same on every run: same address and port), none has expired. Each
# sipp run starts the -inf list from its first line, so a run of CREATED
# registrations uses each user at most ceil(CREATED / USERS) times.
users_min=$(awk -v u="$NUSERS" -v wok="$w_ok" 'BEGIN { m = wok }
	NF { per = int(($2 + u - 1) / u); d = int(($3 + per - 1) / per)
	     if (d > m) m = d }
	END { print (m > u ? u : m) }' <<<"$RESULTS")
"$SIPLBCTL" -S "$WORK/siplbd.sock" -P "$TB_PINDIR" -j bindings \
	>"$WORK/bindings.json" 2>"$WORK/bindings.err" ||
	die "siplbctl bindings failed: $(cat "$WORK/bindings.err")"
nbind=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["bindings"]))' \
	"$WORK/bindings.json") || die "cannot read siplbctl -j bindings"
[ "$nbind" -ge "$users_min" ] && [ "$nbind" -le "$NUSERS" ] ||
	die "the location map holds $nbind bindings; expected $users_min..$NUSERS (one per user registered)"

# --- report --------------------------------------------------------------------
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
SIPP_VERSION=$(sipp -v 2>&1 | grep -o 'v[0-9][0-9.]*' | head -n 1)
cat <<EOF
siplbd registrar: REGISTER with digest authentication, registrations/s

- Testbed: scripts/testbed.sh (network namespaces joined by veth pairs), siplbd
  in the balancer namespace with XDP attached to its veths ($XDP_MODE mode),
  answering on the VIP $VIP_EP; users file of $NUSERS users, each with an MD5
  and a SHA-256 HA1; max-contacts 10; the location map pinned (NO_PREALLOC).
- Client: sipp $SIPP_VERSION, one process, one UDP socket, -buff_size 4194304, in the
  client namespace. One "registration" = REGISTER -> 401 -> REGISTER with
  Authorization -> 200 (two round trips); users in turn from an -inf list,
  a fresh Call-ID each time, the same Contact per user (a refresh after the
  first time). siplbd challenges with algorithms $CHALLENGE (in that order);
  sipp answered with ${ALGS:-no algorithm parameter} in the warm-up.
- Each step offers RATE registrations/s for $DURATION s (-r RATE -m RATE*$DURATION).
  achieved = successful registrations / (sipp's last - first statistics time).
  retrans = sipp's Retransmissions(C) (REGISTERs sent again after 500 ms).
- siplbd CPU: utime+stime of the siplbd process (/proc/PID/stat) across the
  step, divided by the successful registrations. This is siplbd's receive and
  send syscalls, parsing, digest checks and map updates; softirq work of the
  veths and the XDP program may land on any task and is not in it.
- Clean: no failed registration, retransmissions < 0.1% of the REGISTERs sent,
  achieved within 5% of offered. Sweep stops after a step with failures.
- Kernel $(uname -r), CPU ${CPU_MODEL:-unknown}, $(nproc) online (sipp, siplbd
  and the kernel share them).

| offered/s | registrations | achieved/s | failed | retrans | siplbd rx drops | siplbd CPU s | siplbd us/registration | clean |
|----------:|--------------:|-----------:|-------:|--------:|----------------:|-------------:|-----------------------:|:-----:|
EOF
while read -r rate created ok failed retrans elapsed cpu_us clean d_req \
	d_ok d_forgot d_nreplay f_unexp f_retr ticks lb_drops cl_drops; do
	[ -n "$rate" ] || continue
	awk -v r="$rate" -v c="$created" -v ok="$ok" -v f="$failed" -v x="$retrans" \
		-v e="$elapsed" -v us="$cpu_us" -v cl="$clean" -v t="$ticks" \
		-v hz="$CLK_TCK" -v d="$lb_drops" 'BEGIN {
		printf "| %9d | %13d | %10.0f | %6d | %7d | %15d | %12.2f | %22.1f | %-5s |\n",
			r, c, ok / e, f, x, d, t / hz, us, (cl == 1 ? "yes" : "no") }'
done <<<"$RESULTS"
echo
if [ "$BEST" -gt 0 ]; then
	echo "Highest clean rate: $BEST registrations/s (of the rates tried: $RATES)."
else
	echo "Highest clean rate: none of the rates tried ($RATES) was clean."
fi
[ -n "$STOPPED" ] && echo "Stopped after $STOPPED/s: it had failures."
cat <<EOF

- siplbd rx drops: datagrams dropped at the balancer namespace's UDP sockets
  for a full receive buffer (RcvbufErrors; siplbd's VIP socket keeps the
  default size).
- CPU times come in 1/$CLK_TCK s ticks. Nothing else on the machine is
  stopped: other work running at the same time competes for the CPUs.

Per step, siplbd's own counters and sipp's failure causes:
EOF
while read -r rate created ok failed retrans elapsed cpu_us clean d_req \
	d_ok d_forgot d_nreplay f_unexp f_retr ticks lb_drops cl_drops; do
	[ -n "$rate" ] || continue
	echo "  $rate/s: siplbd requests $d_req, 200 OK $d_ok, nonces refused as" \
		"forgotten by the replay table (401 stale=true) $d_forgot, as nc" \
		"replays $d_nreplay; sipp unexpected-message $f_unexp," \
		"max-retrans $f_retr; client socket drops $cl_drops"
done <<<"$RESULTS"
echo "Location map after the run: $nbind bindings ($NUSERS users; at least $users_min registered)."
exit 0
