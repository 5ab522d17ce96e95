#!/bin/bash
# register.sh - end-to-end test of siplbd's registrar: digest authentication,
# bindings in the pinned location map, blocking of password guessers in XDP,
# expiry, and bindings that outlive a daemon restart.
#
# On the namespace testbed (scripts/testbed.sh, 3 backends that only serve
# to make the configuration complete) siplbd attaches the XDP program to the
# balancer's ports and answers REGISTERs to the VIP, which XDP passes up.
#   1. A users file of USERS users (user0001.., random passwords, MD5 and
#      SHA-256 HA1s) and a configuration: `siplbd -n` accepts them (and
#      refuses a broken users file); siplbd starts.
#   2. sipp registers every user (REGISTER -> 401 -> REGISTER with MD5
#      credentials -> 200, tests/e2e/sipp/register_auth.xml): all succeed
#      and siplb_location holds exactly one binding per user, with the
#      right AOR, Contact, source and expiry.
#   3. The first 100 users register again: still USERS bindings, theirs
#      refreshed, the others untouched. The last 100 unregister
#      (Expires: 0): exactly 100 bindings fewer, theirs gone.
#   4. tests/e2e/digest_client.py (SHA-256): a replayed Authorization (same
#      nonce and nc) gets 401, not 200; a lower CSeq on the same Call-ID
#      gets 500 and a higher one 200; MD5 works too; credentials of another
#      user than the To user get 403.
#   4c. A control client connects and says nothing: a REGISTER is still
#      answered at once, and `siplbctl stats` works; siplbd closes the
#      silent connection after 5 s idle; of 20 silent connections it keeps
#      16 (the oldest go) and still answers stats (control_silent.py).
#   5. From a second client address, wrong passwords: the first
#      block-threshold guesses get 401, then the address is in
#      siplb_blocked, further REGISTERs get no answer and drop_blocked
#      grows; meanwhile a user on the first address registers fine.
#   6. A registration with Expires: 3 is in the map, and gone after the
#      next sweep (siplbd sweeps every 10 s).
#   7. siplbd restarts (SIGTERM by PID, clean exit, start again): every
#      binding is still there unchanged, the XDP program stayed attached,
#      the blocked address is still dropped, and a user re-registers.
# Everything started is stopped by PID, and the testbed and the work
# directory are removed, on success, failure or Ctrl-C.
#
# Run as root from anywhere; exits non-zero and says what failed (with the
# tail of siplbd's log). Knobs: SIPLB_E2E_USERS (1000), SIPLB_E2E_REG_RATE
# (200 registrations/s), SIPLB_E2E_REG_CLIENT (sipp; python: the bulk
# registrations by tests/e2e/digest_client.py instead), SIPLBD
# (build/siplbd), SIPLBCTL (build/siplbctl), SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

USERS=${SIPLB_E2E_USERS:-1000}
RATE=${SIPLB_E2E_REG_RATE:-200}
SUBSET=100			# re-registered, and unregistered, users
[ "$USERS" -ge $((2 * SUBSET + 10)) ] ||
	die "SIPLB_E2E_USERS must be at least $((2 * SUBSET + 10))"
BACKENDS=3
REALM=siplb.test
DOMAIN=siplb.test		# host part of every AOR
EXPIRES=3600
THRESHOLD=5			# auth block-threshold
EXTRA_GUESSES=3			# guesses sent after the block
SIPP_PORT=5070			# the client's port: sipp's and the Python client's
GUESS_PORT=5072
SCENARIO=$ROOT/tests/e2e/sipp/register_auth.xml
REG_CLIENT=${SIPLB_E2E_REG_CLIENT:-sipp}	# or python: who makes the bulk
case $REG_CLIENT in				# registrations
sipp | python) ;;
*) die "SIPLB_E2E_REG_CLIENT must be sipp or python, not '$REG_CLIENT'" ;;
esac
CLIENT_PY=$ROOT/tests/e2e/digest_client.py

LIB_FAMILY=4
lib_init register

# On any failure, show what siplbd said, then lib_cleanup (PIDs, testbed,
# work directory) with the exit status unchanged.
reg_return() { return "$1"; }
reg_exit() {
	local rc=$?
	set +e
	[ "$rc" -eq 0 ] || siplbd_log_show 40
	reg_return "$rc"
	lib_cleanup
}
trap reg_exit EXIT

T0=$SECONDS
phase() {
	log "[$((SECONDS - T0))s] $*"
}

# user NUMBER: the user name of user NUMBER (1-based).
user() {
	printf 'user%04d' "$1"
}

# csv FIRST LAST EXPIRES: a sipp -inf file for users FIRST..LAST.
csv() {
	local out=$LIB_WORK/users-$1-$2-$3.csv
	{
		echo SEQUENTIAL
		sed -n "$1,$2p" "$LIB_WORK/users.list" |
			awk -F';' -v d="$DOMAIN" -v e="$3" '{ print $1 ";" $2 ";" d ";" e }'
	} >"$out"
	printf '%s\n' "$out"
}

# password NUMBER
password() {
	sed -n "$1p" "$LIB_WORK/users.list" | cut -d';' -f2
}

# sipp_register NAME CSV COUNT: run the scenario for COUNT lines of CSV at
# RATE/s from CLIENT_IP:SIPP_PORT; checks that all COUNT succeeded.
# With SIPLB_E2E_REG_CLIENT=python, digest_client.py bulk does the same
# (SHA-256 instead of MD5).
sipp_register() {
	local name=$1 inf=$2 count=$3 secs pid rc=0 created ok failed
	if [ "$REG_CLIENT" = python ]; then
		py_register "$@"
		return
	fi
	secs=$((count / RATE + 20))
	lib_bg pid ip netns exec "$TB_NS_CLIENT" \
		timeout -s INT -k 10 $((secs + 10)) \
		sipp "$VIP_EP" -sf "$SCENARIO" -inf "$inf" \
		-i "$CLIENT_IP" -p "$SIPP_PORT" -m "$count" -r "$RATE" \
		-nostdin -buff_size 4194304 \
		-recv_timeout 10s -timeout "${secs}s" \
		-trace_stat -stf "$LIB_WORK/$name.csv" -fd 1 \
		-trace_err -error_file "$LIB_WORK/$name.err" \
		>"$LIB_WORK/$name.out" 2>&1
	wait "$pid" || rc=$?
	lib_forget "$pid"
	read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/$name.csv")"
	if [ "$rc" -eq 0 ] && [ "$created" = "$count" ] &&
		[ "$ok" = "$count" ] && [ "$failed" = 0 ]; then
		pass "sipp $name: $ok of $count registrations succeeded, 0 failed"
		return 0
	fi
	fail "sipp $name: exit status $rc, created $created, successful $ok," \
		"failed $failed (expected $count/$count/0)"
	sed -n '/Messages  Retrans/,/Test Terminated/p' "$LIB_WORK/$name.out" >&2 || true
	sed -n '2,$s/\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\t\)/\n\1/gp' \
		"$LIB_WORK/$name.err" 2>/dev/null | grep . | head -n 5 >&2 || true
	return 1
}

py_register() {
	local name=$1 inf=$2 count=$3 out total ok failed
	out=$(client bulk --bind "$CLIENT_IP" --port "$SIPP_PORT" --csv "$inf" \
		--rate "$RATE" --timeout 5)
	printf '%s\n' "$out" >"$LIB_WORK/$name.out"
	read -r total ok failed <<<"$(printf '%s\n' "$out" |
		awk '$1 == "bulk" { print $3, $5, $7 }')"
	if [ "$total" = "$count" ] && [ "$ok" = "$count" ] && [ "$failed" = 0 ]; then
		pass "python $name: $ok of $count registrations succeeded, 0 failed"
		return 0
	fi
	fail "python $name: total '$total', successful '$ok', failed '$failed'" \
		"(expected $count/$count/0)"
	printf '%s\n' "$out" | grep '^fail' | head -n 5 >&2 || true
	return 1
}

# client CMD ARGS...: tests/e2e/digest_client.py in the client namespace,
# to the VIP, its output to stdout (and to $LIB_WORK/client.log).
client() {
	local cmd=$1
	shift
	echo "+ digest_client $cmd $*" >>"$LIB_WORK/client.log"
	# --foreground: in our process group, so that Ctrl-C reaches it too.
	ip netns exec "$TB_NS_CLIENT" timeout --foreground -s KILL 120 \
		python3 "$CLIENT_PY" "$cmd" --server "$VIP" \
		--server-port "$TB_SIP_PORT" --domain "$DOMAIN" "$@" |
		tee -a "$LIB_WORK/client.log"
}

# step OUTPUT NAME: the status the client printed for step NAME.
step() {
	printf '%s\n' "$1" | awk -v s="$2" '$1 == s { print $2; exit }'
}

# dump NAME: the location map into $LIB_WORK/NAME.loc; prints the count.
dump() {
	location_dump >"$LIB_WORK/$1.loc" ||
		die "bpftool map dump of $TB_PINDIR/siplb_location failed"
	wc -l <"$LIB_WORK/$1.loc"
}

# aors FILE: the AORs in a dump, sorted and unique.
aors() {
	awk '{ print $1 }' "$1" | sort -u
}

# expected_aors FIRST LAST
expected_aors() {
	local i
	for i in $(seq "$1" "$2"); do
		echo "sip:$(user "$i")@$DOMAIN"
	done | sort
}

# bindings_check DUMP FIRST LAST: every user FIRST..LAST has exactly one
# binding: slot 0, Contact sip:USER@CLIENT_IP:SIPP_PORT, source
# CLIENT_IP:SIPP_PORT, expires_at - registered_at = EXPIRES. Prints the
# problems (at most 5), nothing if none.
bindings_check() {
	awk -v first="$2" -v last="$3" -v dom="$DOMAIN" -v ip="$CLIENT_IP" \
		-v port="$SIPP_PORT" -v want="$EXPIRES" '
		{ n[$1]++; b[$1] = $0 }
		END {
			bad = 0
			for (i = first; i <= last; i++) {
				u = sprintf("user%04d", i)
				aor = "sip:" u "@" dom
				if (n[aor] != 1) {
					msg = aor ": " (n[aor] + 0) " bindings"
				} else {
					split(b[aor], f, " ")
					msg = ""
					if (f[2] != 0) msg = msg " slot " f[2]
					if (f[3] != "sip:" u "@" ip ":" port)
						msg = msg " contact " f[3]
					if (f[4] - f[5] != want)
						msg = msg " expiry " f[4] - f[5] "s"
					if (f[6] != ip ":" port) msg = msg " source " f[6]
					if (msg != "") msg = aor ":" msg
				}
				if (msg != "" && bad++ < 5) print msg
			}
			if (bad > 5) print "... and " bad - 5 " more"
		}' "$1"
}

phase "building the testbed ($BACKENDS backends)"
tb_up "$BACKENDS"
# A second address on the client, for the password guesser.
GUESS_IP=10.99.1.3
ip -n "$TB_NS_CLIENT" addr add "$GUESS_IP/24" dev "$TB_CLIENT_DEV" ||
	die "cannot add $GUESS_IP to the client"
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP and $GUESS_IP"

# --- 1. users, configuration, start -------------------------------------
phase "1. $USERS users, configuration, siplbd start"
users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" "$USERS"
# The operator's tool makes the same line from the password.
want=$(grep "^$(user 1):" "$LIB_WORK/users.htdigest")
got=$(password 1 | "$SIPLBCTL" passwd "$(user 1)" "$REALM")
if [ -n "$want" ] && [ "$got" = "$want" ]; then
	pass "siplbctl passwd makes the users-file line (MD5 and SHA-256 HA1s)"
else
	fail "siplbctl passwd gave '$got', the users file has '$want'"
fi
CONF=$LIB_WORK/siplb.conf
{
	siplbd_conf "$REALM" "users.htdigest"
	cat <<EOF
registrar {
	default-expires $EXPIRES
	min-expires 1
	max-expires 7200
	max-contacts 10
}
auth {
	nonce-lifetime 300
	block-threshold $THRESHOLD
	block-window 60
	block-time 600
	# sipp 3.6 reads only the first challenge and knows only MD5.
	algorithms MD5 SHA-256
}
EOF
} >"$CONF"

if siplbd_check "$CONF"; then
	pass "siplbd -n accepts the configuration: $(cat "$LIB_WORK/siplbd-n.out")"
else
	fail "siplbd -n refused the configuration: $(cat "$LIB_WORK/siplbd-n.out")"
fi
# The same configuration with a users file whose line 3 is broken.
mkdir "$LIB_WORK/bad"
sed '3s/:[0-9a-f]\{32\}:/:xyz:/' "$LIB_WORK/users.htdigest" >"$LIB_WORK/bad/users.htdigest"
cp "$CONF" "$LIB_WORK/bad/siplb.conf"
if siplbd_check "$LIB_WORK/bad/siplb.conf"; then
	fail "siplbd -n accepted a users file with a bad HA1 on line 3"
elif grep -q 'users.htdigest:3' "$LIB_WORK/siplbd-n.out"; then
	pass "siplbd -n refuses a bad users file: $(head -n 1 "$LIB_WORK/siplbd-n.out")"
else
	fail "siplbd -n refused a bad users file without naming line 3:" \
		"$(head -n 1 "$LIB_WORK/siplbd-n.out")"
fi

siplbd_start "$CONF" || die "siplbd did not start"
pass "siplbd (PID $SIPLBD_PID) listens on $VIP_EP"
n=$(dump start)
[ "$n" -eq 0 ] && pass "location map empty at start" ||
	fail "location map holds $n bindings at start (expected 0)"

# --- 2. every user registers --------------------------------------------
phase "2. $USERS registrations at $RATE/s with $REG_CLIENT"
sipp_register reg-all "$(csv 1 "$USERS" "$EXPIRES")" "$USERS" || true
n=$(dump all)
if [ "$n" -eq "$USERS" ]; then
	pass "location map holds $n bindings"
else
	fail "location map holds $n bindings, expected $USERS"
fi
if diff <(aors "$LIB_WORK/all.loc") <(expected_aors 1 "$USERS") \
	>"$LIB_WORK/all.diff"; then
	pass "the bindings' AORs are exactly sip:user0001..$(user "$USERS")@$DOMAIN"
else
	fail "AORs differ from the expected ones (< map, > expected):"
	head -n 10 "$LIB_WORK/all.diff" >&2
fi
problems=$(bindings_check "$LIB_WORK/all.loc" 1 "$USERS")
if [ -z "$problems" ]; then
	pass "each has one binding: Contact, source $CLIENT_IP:$SIPP_PORT," \
		"expiry ${EXPIRES}s"
else
	fail "bindings not as registered:"
	printf '%s\n' "$problems" | sed 's/^/    /' >&2
fi

# --- 3. re-register a subset, unregister another ------------------------
phase "3. $SUBSET re-registrations, $SUBSET unregistrations"
sleep 1.1	# so that a refreshed registered_at (seconds) is newer
T2=$(date +%s)
sipp_register reg-again "$(csv 1 "$SUBSET" "$EXPIRES")" "$SUBSET" || true
n=$(dump again)
[ "$n" -eq "$USERS" ] && pass "after re-registering $SUBSET users: still $n bindings" ||
	fail "after re-registering $SUBSET users: $n bindings, expected $USERS"
# Refreshed: the subset's registered_at >= T2, expires_at grew; the rest
# unchanged.
refresh=$(awk -v t2="$T2" -v sub_n="$SUBSET" '
	NR == FNR { old[$1] = $4 " " $5; next }
	{
		split(old[$1], o, " ")
		i = substr($1, 9, 4) + 0	# sip:userNNNN@
		if (i <= sub_n) {
			if ($5 < t2 || $4 <= o[1]) bad_new++
			else good++
		} else if ($4 != o[1] || $5 != o[2]) {
			bad_old++
		}
	}
	END { print good + 0, bad_new + 0, bad_old + 0 }' \
	"$LIB_WORK/all.loc" "$LIB_WORK/again.loc")
read -r good bad_new bad_old <<<"$refresh"
if [ "$good" -eq "$SUBSET" ] && [ "$bad_new" -eq 0 ] && [ "$bad_old" -eq 0 ]; then
	pass "$good re-registered bindings refreshed (registered_at >= $T2," \
		"expires_at later), the other $((USERS - SUBSET)) untouched"
else
	fail "refresh: $good of $SUBSET refreshed, $bad_new not refreshed," \
		"$bad_old others changed"
fi
problems=$(bindings_check "$LIB_WORK/again.loc" 1 "$USERS")
if [ -z "$problems" ]; then
	pass "every binding still well-formed"
else
	fail "bindings after re-registering:"
	printf '%s\n' "$problems" | sed 's/^/    /' >&2
fi

UNREG_FIRST=$((USERS - SUBSET + 1))
sipp_register unreg "$(csv "$UNREG_FIRST" "$USERS" 0)" "$SUBSET" || true
n=$(dump unreg)
REMAINING=$((USERS - SUBSET))
if [ "$n" -eq "$REMAINING" ]; then
	pass "after $SUBSET unregistrations (Expires: 0): $n bindings ($USERS - $SUBSET)"
else
	fail "after $SUBSET unregistrations: $n bindings, expected $REMAINING"
fi
if diff <(aors "$LIB_WORK/unreg.loc") <(expected_aors 1 "$REMAINING") \
	>"$LIB_WORK/unreg.diff"; then
	pass "exactly $(user "$UNREG_FIRST")..$(user "$USERS") are gone"
else
	fail "AORs after unregistering differ (< map, > expected):"
	head -n 10 "$LIB_WORK/unreg.diff" >&2
fi

# --- 4. replay, CSeq order, MD5, username vs To -------------------------
phase "4. replayed credentials, CSeq order, MD5, wrong To user"
U1=$(user 1) U2=$(user 2) U3=$(user 3) U4=$(user 4) U5=$(user 5)
out=$(client replay --bind "$CLIENT_IP" --port "$SIPP_PORT" --user "$U1" \
	--password "$(password 1)")
c=$(step "$out" challenge) r=$(step "$out" register) p=$(step "$out" replay)
if [ "$c" = 401 ] && [ "$r" = 200 ] && [ "$p" = 401 ]; then
	pass "replayed Authorization (same nonce, nc=00000001) refused: 401" \
		"(first use: $r)"
else
	fail "replay: challenge '$c' (401), register '$r' (200), replay '$p' (401)"
fi
out=$(client cseq --bind "$CLIENT_IP" --port "$SIPP_PORT" --user "$U2" \
	--password "$(password 2)")
r=$(step "$out" register) lo=$(step "$out" lower) hi=$(step "$out" higher)
if [ "$r" = 200 ] && [ "$lo" = 500 ] && [ "$hi" = 200 ]; then
	pass "same Call-ID: CSeq 11 -> 200, lower CSeq 5 -> 500, higher CSeq 21 -> 200"
else
	fail "CSeq order: CSeq 11 '$r' (200), CSeq 5 '$lo' (500), CSeq 21 '$hi' (200)"
fi
out=$(client register --alg MD5 --bind "$CLIENT_IP" --port "$SIPP_PORT" \
	--user "$U3" --password "$(password 3)")
r=$(step "$out" register)
if [ "$r" = 200 ] &&
	printf '%s\n' "$out" | grep -q "^contact <sip:$U3@$CLIENT_IP:$SIPP_PORT>;expires="; then
	pass "MD5 credentials from the Python client: 200 listing the binding"
else
	fail "MD5 register: '$r' (200 with the Contact expected): $out"
fi
out=$(client register --bind "$CLIENT_IP" --port "$SIPP_PORT" --user "$U4" \
	--auth-user "$U5" --password "$(password 5)")
r=$(step "$out" register)
[ "$r" = 403 ] && pass "valid credentials of $U5 for To $U4: 403" ||
	fail "credentials of $U5 for To $U4: '$r', expected 403"
n=$(dump after-client)
[ "$n" -eq "$REMAINING" ] && pass "still $n bindings" ||
	fail "after the Python client: $n bindings, expected $REMAINING"

# --- 5. password guessing gets the source blocked -----------------------
phase "4b. malformed requests answered; bindings as siplbctl shows them"
# Raw datagrams from the client: the XDP program passes REGISTER (and a
# request with a SIP version it does not speak) up to siplbd.
raw_answers=$(ip netns exec "$TB_NS_CLIENT" python3 - "$CLIENT_IP" "$VIP" \
	"$TB_SIP_PORT" "$DOMAIN" <<'PY'
import socket, sys
me, vip, port, dom = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def msg(start, callid=True):
    return (start + "\r\nVia: SIP/2.0/UDP %s:5099;branch=z9hG4bKraw\r\n"
            "Max-Forwards: 70\r\nFrom: <sip:x@%s>;tag=r\r\nTo: <sip:x@%s>\r\n"
            % (me, dom, dom) + ("Call-ID: raw@x\r\n" if callid else "") +
            "CSeq: 1 %s\r\nContent-Length: 0\r\n\r\n" % start.split()[0])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((me, 5099)); s.settimeout(2)
for m in (msg("REGISTER sip:%s SIP/3.0" % dom), msg("REGISTER sip:%s SIP/2.0" % dom, False),
          msg("REGISTER tel:+15551234 SIP/2.0")):
    s.sendto(m.encode(), (vip, port))
    try:
        print(s.recv(65535).decode(errors="replace").split("\r\n")[0])
    except socket.timeout:
        print("timeout")
PY
)
expect_raw() {	# LINE WANT WHAT
	if [ "$(printf '%s\n' "$raw_answers" | sed -n "$1p")" = "$2" ]; then
		pass "$3: $2"
	else
		fail "$3: got '$(printf '%s\n' "$raw_answers" | sed -n "$1p")', expected '$2'"
	fi
}
expect_raw 1 "SIP/2.0 505 Version Not Supported" "REGISTER with SIP/3.0"
expect_raw 2 "SIP/2.0 400 Missing Call-ID" "REGISTER without Call-ID"
expect_raw 3 "SIP/2.0 416 Unsupported URI Scheme" "REGISTER to a tel: URI"

ctl_count=$(lb_ctl bindings -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
map_count=$(location_dump | wc -l)
if [ "$ctl_count" = "$map_count" ] && [ "$map_count" -gt 0 ]; then
	pass "siplbctl bindings lists the $ctl_count bindings bpftool dumps"
else
	fail "siplbctl bindings says $ctl_count, bpftool dumps $map_count"
fi
if lb_ctl bindings "sip:$U3@$DOMAIN" | grep -q "sip:$U3@$CLIENT_IP:$SIPP_PORT"; then
	pass "siplbctl bindings sip:$U3@$DOMAIN shows its contact"
else
	fail "siplbctl bindings sip:$U3@$DOMAIN does not show its contact"
fi

# --- 4c. silent control clients do not hold up the daemon ----------------
phase "4c. REGISTER and siplbctl stats while control clients say nothing"
# control_silent.py (in the client namespace: the control socket is a
# path, reachable from any namespace) connects to the control socket, says
# nothing, and at once sends a REGISTER; siplbd once served a connection
# synchronously and stalled everything for a second.
SILENT_OUT=$LIB_WORK/silent.out
lib_bg silent_pid ip netns exec "$TB_NS_CLIENT" timeout -s KILL 40 \
	python3 "$ROOT/tests/e2e/control_silent.py" "$LIB_WORK/siplbd.sock" \
	"$CLIENT_IP" 5098 "$VIP" "$TB_SIP_PORT" "$DOMAIN" \
	"$LIB_WORK/silent.ready" "$LIB_WORK/silent.go" >"$SILENT_OUT" 2>&1
for i in $(seq 1 50); do
	[ -e "$LIB_WORK/silent.ready" ] && break
	sleep 0.1
done
t0=$(date +%s.%N)
lb_ctl -S "$LIB_WORK/siplbd.sock" -j stats >"$LIB_WORK/silent-stats.json" \
	2>"$LIB_WORK/silent-stats.err" || true
t1=$(date +%s.%N)
touch "$LIB_WORK/silent.go"
wait "$silent_pid" || true
lib_forget "$silent_pid"
silent() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$SILENT_OUT"; }
read -r code secs <<<"$(silent register)"
if [ "$code" = 401 ] && awk -v s="$secs" 'BEGIN { exit !(s < 0.3) }'; then
	pass "REGISTER answered ($code) in ${secs}s with a silent control client connected"
else
	fail "REGISTER with a silent control client connected: '$code' in" \
		"'$secs's (expected 401 in < 0.3 s); $(cat "$SILENT_OUT")"
fi
stats_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
if python3 -c 'import json, sys; json.load(open(sys.argv[1]))["daemon"]["registrar"]' \
	"$LIB_WORK/silent-stats.json" 2>/dev/null &&
	[ "$(silent silent_open_at_go)" = yes ] &&
	awk -v s="$stats_secs" 'BEGIN { exit !(s < 0.5) }'; then
	pass "siplbctl stats answered by siplbd in ${stats_secs}s while the" \
		"silent client stayed connected"
else
	fail "siplbctl stats with a silent client: ${stats_secs}s, silent client" \
		"still open: '$(silent silent_open_at_go)', reply:" \
		"$(head -c 200 "$LIB_WORK/silent-stats.json")" \
		"$(cat "$LIB_WORK/silent-stats.err")"
fi
idle=$(silent idle_closed)
if [ "$idle" != never ] && awk -v s="$idle" 'BEGIN { exit !(s >= 4.5 && s <= 7.5) }'; then
	pass "siplbd closed the silent connection after ${idle}s idle (5 s timeout)"
else
	fail "silent connection closed after '$idle's (expected 5-7 s)"
fi
read -r stats_first stats_secs <<<"$(silent crowd_stats)"
if [ "$(silent crowd_evicted)" = 4 ] && [ "$stats_first" = ok ]; then
	pass "20 silent connections: the 4 oldest closed (16 at most), stats" \
		"still answered in ${stats_secs}s"
else
	fail "20 silent connections: $(silent crowd_evicted) closed (expected 4)," \
		"stats: '$stats_first' in '$stats_secs's"
fi

phase "5. wrong passwords from $GUESS_IP (block-threshold $THRESHOLD)"
stats_json
drop0=$(stats_get drop_blocked)
out=$(client guess --bind "$GUESS_IP" --port "$GUESS_PORT" --user "$U2" \
	--password wrong-password --count $((THRESHOLD + EXTRA_GUESSES)) --timeout 1)
answered=$(printf '%s\n' "$out" | awk '$1 ~ /^guess/ && $2 == 401 { n++ } END { print n + 0 }')
other=$(printf '%s\n' "$out" | awk '$1 ~ /^guess/ && $2 != 401 && $2 != "timeout"' | head -n 3)
first_silent=$(printf '%s\n' "$out" | awk '$1 ~ /^guess/ && $2 == "timeout" { sub("guess", "", $1); print $1; exit }')
silent=$(printf '%s\n' "$out" | awk '$1 ~ /^guess/ && $2 == "timeout" { n++ } END { print n + 0 }')
log "$answered wrong guesses were answered (401) before the block;" \
	"$silent got no answer (first unanswered: guess ${first_silent:-none})"
if [ "$(step "$out" challenge)" = 401 ] && [ "$answered" -eq "$THRESHOLD" ] &&
	[ "$silent" -eq "$EXTRA_GUESSES" ] && [ "${first_silent:-0}" -eq $((THRESHOLD + 1)) ] &&
	[ -z "$other" ]; then
	pass "guesses 1..$THRESHOLD got 401, the next $EXTRA_GUESSES no answer"
else
	fail "guesses: $answered answered with 401 (expected $THRESHOLD), $silent" \
		"unanswered (expected $EXTRA_GUESSES), other answers: '${other:-none}'"
	printf '%s\n' "$out" | sed 's/^/    /' >&2
fi
blocked=$(blocked_dump) || die "bpftool map dump of $TB_PINDIR/siplb_blocked failed"
if printf '%s\n' "$blocked" | awk -v ip="$GUESS_IP" -v t="$THRESHOLD" \
	'$1 == ip && $2 >= t { ok = 1 } END { exit !ok }'; then
	pass "siplb_blocked: $(printf '%s\n' "$blocked" | grep "^$GUESS_IP ")" \
		"(address failures until_ns)"
else
	fail "$GUESS_IP not in siplb_blocked with >= $THRESHOLD failures: '$blocked'"
fi
out=$(client probe --bind "$GUESS_IP" --port "$GUESS_PORT" --user "$U2" --timeout 1)
[ "$(step "$out" probe)" = timeout ] &&
	pass "a REGISTER without credentials from $GUESS_IP: no answer either" ||
	fail "blocked $GUESS_IP got '$(step "$out" probe)' to a plain REGISTER (expected none)"
stats_json
drop1=$(stats_get drop_blocked)
if [ -n "$drop1" ] && [ "$((drop1 - ${drop0:-0}))" -ge $((EXTRA_GUESSES + 1)) ]; then
	pass "drop_blocked went from ${drop0:-0} to $drop1"
else
	fail "drop_blocked went from '$drop0' to '$drop1'" \
		"(expected +$((EXTRA_GUESSES + 1)) at least)"
fi
out=$(client register --bind "$CLIENT_IP" --port "$SIPP_PORT" --user "$U3" \
	--password "$(password 3)")
[ "$(step "$out" register)" = 200 ] &&
	pass "meanwhile $U3 from $CLIENT_IP registers: 200" ||
	fail "$U3 from $CLIENT_IP while $GUESS_IP is blocked: '$(step "$out" register)', expected 200"

# --- 6. expiry ------------------------------------------------------------
UX=$(user "$USERS")	# unregistered in step 3
phase "6. $UX registers with Expires: 3"
out=$(client register --bind "$CLIENT_IP" --port "$SIPP_PORT" --user "$UX" \
	--password "$(password "$USERS")" --expires 3)
if [ "$(step "$out" register)" = 200 ] &&
	printf '%s\n' "$out" | grep -Eq "^contact <sip:$UX@[^>]*>;expires=[1-3]\$"; then
	pass "Expires: 3 -> 200, $(printf '%s\n' "$out" | grep '^contact' | head -n 1)"
else
	fail "Expires: 3 registration: $out"
fi
reg_time=$SECONDS
n=$(dump short)
if grep -q "^sip:$UX@$DOMAIN " "$LIB_WORK/short.loc" && [ "$n" -eq $((REMAINING + 1)) ] &&
	awk -v a="sip:$UX@$DOMAIN" '$1 == a && $4 - $5 == 3 { ok = 1 } END { exit !ok }' \
		"$LIB_WORK/short.loc"; then
	pass "its binding is in the map (expires_at = registered_at + 3), $n bindings"
else
	fail "after the Expires: 3 registration: $n bindings, its binding:" \
		"'$(grep "^sip:$UX@" "$LIB_WORK/short.loc" || true)'"
fi
gone=""
for i in $(seq 1 25); do
	sleep 1
	if ! location_dump | grep -q "^sip:$UX@$DOMAIN "; then
		gone=$((SECONDS - reg_time))
		break
	fi
done
n=$(dump swept)
if [ -n "$gone" ] && [ "$n" -eq "$REMAINING" ]; then
	pass "swept about ${gone}s after registering (sweep every 10 s); $n bindings"
else
	if [ -n "$gone" ]; then
		fail "the Expires: 3 binding went after ${gone}s, but $n bindings" \
			"remain (expected $REMAINING)"
	else
		fail "the Expires: 3 binding is still there after 25 s; $n bindings"
	fi
fi

# --- 7. restart -----------------------------------------------------------
phase "7. siplbd restart"
# Credentials used before the restart, sent again after it: siplbd keeps
# its nonce keys (the pinned siplb_cookie), so XDP passes them up instead
# of dropping them as forged, and refuses them as stale (401), never
# accepts them (200): the replay table restarts empty.
lib_bg replay_pid client replay --bind "$CLIENT_IP" --port "$SIPP_PORT" \
	--user "$U3" --password "$(password 3)" \
	--replay-after "$LIB_WORK/restarted" >"$LIB_WORK/replay-restart.out"
for _ in $(seq 1 100); do
	grep -q '^register ' "$LIB_WORK/replay-restart.out" && break
	sleep 0.1
done
before=$(dump before-restart)
rc=0
siplbd_stop || rc=$?
[ "$rc" -eq 0 ] && pass "siplbd exited with status 0 on SIGTERM" ||
	fail "siplbd exit status $rc on SIGTERM (expected 0)"
if ip -n "$TB_NS_LB" -d link show dev "$TB_LB_CLIENT_DEV" | grep -q 'prog/xdp'; then
	pass "XDP program still attached to $TB_LB_CLIENT_DEV while siplbd is down"
else
	fail "no XDP program on $TB_LB_CLIENT_DEV after siplbd exited"
fi
siplbd_start "$CONF" || die "siplbd did not start again"
pass "siplbd started again (PID $SIPLBD_PID)"
touch "$LIB_WORK/restarted"
wait "$replay_pid" || true
lib_forget "$replay_pid"
out=$(cat "$LIB_WORK/replay-restart.out")
r=$(step "$out" register) p=$(step "$out" replay)
if [ "$r" = 200 ] && [ "$p" = 401 ]; then
	pass "credentials of before the restart, replayed after it: 401" \
		"(nonce keys kept, the nonce refused as stale)"
else
	fail "replay across the restart: register '$r' (200), replay '$p'" \
		"(401; timeout: XDP dropped it as forged; 200: replayed)"
fi
n=$(dump after-restart)
if [ "$n" -eq "$before" ] && [ "$n" -eq "$REMAINING" ] &&
	cmp -s "$LIB_WORK/before-restart.loc" "$LIB_WORK/after-restart.loc"; then
	pass "all $n bindings still there after the restart, unchanged"
else
	fail "after the restart: $n bindings (before: $before, expected" \
		"$REMAINING); differences:"
	diff "$LIB_WORK/before-restart.loc" "$LIB_WORK/after-restart.loc" | head -n 6 >&2 || true
fi
out=$(client register --bind "$CLIENT_IP" --port "$SIPP_PORT" --user "$U1" \
	--password "$(password 1)")
if [ "$(step "$out" register)" = 200 ] &&
	printf '%s\n' "$out" | grep -q "^contact <sip:$U1@$CLIENT_IP:$SIPP_PORT>;expires="; then
	pass "$U1 re-registers after the restart: 200 listing its binding"
else
	fail "$U1 re-registering after the restart: $out"
fi
out=$(client probe --bind "$GUESS_IP" --port "$GUESS_PORT" --user "$U2" --timeout 1)
[ "$(step "$out" probe)" = timeout ] &&
	pass "$GUESS_IP is still blocked after the restart" ||
	fail "$GUESS_IP got '$(step "$out" probe)' after the restart (expected no answer)"
n=$(dump final)
[ "$n" -eq "$REMAINING" ] && pass "$n bindings at the end" ||
	fail "$n bindings at the end, expected $REMAINING"

# --- 8. stop ------------------------------------------------------------------
rc=0
siplbd_stop || rc=$?
[ "$rc" -eq 0 ] || fail "siplbd exit status $rc on SIGTERM at the end (expected 0)"
phase "done"
if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks (SIPLB_KEEP_LOGS=1 keeps the logs)"
	exit 1
fi
log "PASS"
