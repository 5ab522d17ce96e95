#!/bin/bash
# scanners.sh - what SIPVicious-style scanners learn from siplb: nothing
# that tells the users that exist from those that do not.
#
# On the namespace testbed (scripts/testbed.sh, 3 backends) siplbd is the
# registrar and one siplb-worker runs per backend (scripts/phones.sh), as
# tests/e2e/calls.sh sets them up. The users file has real users
# (ext0001..ext0005, none registered); the scanners try them among names
# that do not exist.
#   1. siplbd -n refuses a users file with no user of the realm, and warns
#      for each line of another realm (and still accepts that file).
#   2. Guard OFF (block-scanners off: the scanners see the answers):
#      - tests/e2e/scanner_probe.py sends REGISTER, INVITE, OPTIONS and
#        SUBSCRIBE for a real user and for strangers: the answers are the
#        same byte for byte but for nonce, tags, branch and Call-ID
#        (REGISTER: 401, the others: 480), and take as long (median
#        times printed);
#      - svwar -m REGISTER, -m INVITE and -m OPTIONS (with and without
#        --force) over a dictionary holding the real users and strangers
#        reports no extension: the answer for its probe of a random name
#        (401, or 480) is the answer for every name, and the workers
#        count the strangers (not_found), so the probes were answered;
#      - svcrack against a real user and a stranger, two guesses each
#        (under the auth guard's threshold): the same output but for the
#        name;
#      - sipsak OPTIONS for a real user and a stranger: the same status
#        line; svmap finds the SIP service (and nothing about users);
#      - the worker counters show the strangers and the offline users
#        apart (not_found, unavailable): the operator still sees them.
#   3. Guard ON (block-scanners on, reloaded): SIPVicious' default
#      User-Agent ("friendly-scanner") is dropped in XDP: svwar gets no
#      answer at all, and drop_scanner counts its requests.
# Everything started is stopped by PID; the testbed is removed.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
REALM=siplb.test
DOMAIN=siplb.test
REAL_USERS=5

for tool in svwar svcrack svmap sipsak; do
	command -v "$tool" >/dev/null || die "$tool not found: run scripts/deps.sh"
done
LIB_FAMILY=4
lib_init scanners
tb_up 3
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP"
VIP_IP=${VIP_EP%:*}
VIP_PORT=${VIP_EP##*:}
client() { ip netns exec "$TB_NS_CLIENT" "$@"; }

users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" \
	"$REAL_USERS" ext

# 1. The users file against the realm.
mkdir "$LIB_WORK/other"
sed "s/:$REALM:/:other.realm:/" "$LIB_WORK/users.htdigest" \
	>"$LIB_WORK/other/users.htdigest"
phones_conf "$LIB_WORK/other/siplb.conf" "$REALM" users.htdigest
if siplbd_check "$LIB_WORK/other/siplb.conf"; then
	fail "siplbd -n accepted a users file with nobody of realm $REALM"
elif grep -q "no user of realm '$REALM'" "$LIB_WORK/siplbd-n.out"; then
	pass "siplbd -n refuses a users file with no user of the realm: $(grep -m1 "no user" "$LIB_WORK/siplbd-n.out")"
else
	fail "siplbd -n refused it without saying why: $(cat "$LIB_WORK/siplbd-n.out")"
fi
mkdir "$LIB_WORK/mixed"
{ cat "$LIB_WORK/users.htdigest"; sed -n 1,2p "$LIB_WORK/other/users.htdigest"; } \
	>"$LIB_WORK/mixed/users.htdigest"
phones_conf "$LIB_WORK/mixed/siplb.conf" "$REALM" users.htdigest
if ! siplbd_check "$LIB_WORK/mixed/siplb.conf"; then
	fail "siplbd -n refused a users file with users of the realm: $(cat "$LIB_WORK/siplbd-n.out")"
elif [ "$(grep -c "is of realm 'other.realm', not '$REALM'" "$LIB_WORK/siplbd-n.out")" = 2 ]; then
	pass "siplbd -n warns for each line of another realm ($(grep -m1 "other.realm" "$LIB_WORK/siplbd-n.out"))"
else
	fail "siplbd -n did not warn twice for other.realm: $(cat "$LIB_WORK/siplbd-n.out")"
fi

# 2. Guard off: the scanners see every answer.
conf=$LIB_WORK/siplb.conf
phones_conf "$conf" "$REALM" users.htdigest
printf 'guard {\n\tblock-scanners off\n}\n' >>"$conf"
siplbd_start "$conf" || die "siplbd did not start"
workers_start "$DOMAIN" "$LIB_WORK/users.htdigest"
pass "siplbd and 3 workers up, guard off (block-scanners off)"

real=ext0002
strangers="ext0099 ext9002 alice"
if client python3 "$ROOT/tests/e2e/scanner_probe.py" "$VIP_IP" "$VIP_PORT" \
	"$CLIENT_IP" "$DOMAIN" "$real" $strangers >"$LIB_WORK/probe.out" 2>&1; then
	pass "REGISTER, INVITE, OPTIONS, SUBSCRIBE: the answers for $real and for $strangers are the same byte for byte ($(grep '^same' "$LIB_WORK/probe.out" | cut -d' ' -f2,3 | paste -sd, -))"
else
	fail "the answers differ: $(head -c 1500 "$LIB_WORK/probe.out")"
fi
sed -n "s/^median-us /$LIB_NAME: # median answer time (us) /p" "$LIB_WORK/probe.out" >&2

# A dictionary with every real user among strangers.
dict=$LIB_WORK/dict.txt
{ cut -d';' -f1 "$LIB_WORK/users.list"; printf '%s\n' ext0000 ext0006 ext0100 \
	100 101 1000 admin alice bob test; } >"$dict"
# svwar learns the answer for a random name first, then reports every
# name answered otherwise. Without --force it stops at a 401 for the
# random name (REGISTER); with it, it scans on and still finds nothing.
# For INVITE and OPTIONS the random name's 480 is all it ever gets.
svwar_run() {	# TAG ARGS...: svwar from the client, output in svwar-TAG.out
	local tag=$1
	shift
	client timeout 120 svwar -v -x "$CLIENT_IP" -b "$CLIENT_IP" \
		-p "$VIP_PORT" "$@" "$VIP_IP" >"$LIB_WORK/svwar-$tag.out" 2>&1 || true
}
before=$(workers_counter not_found)
for m in REGISTER INVITE OPTIONS; do
	for force in "" --force; do
		tag=$m$force
		out=$LIB_WORK/svwar-$tag.out
		svwar_run "$tag" -m "$m" $force -d "$dict"
		said=$({ grep -E "^ERROR:TakeASip" "$out"; grep -E "^WARNING:TakeASip" "$out"; } |
			head -n 1 | cut -c1-120 || true)
		# Found extensions are listed in a table: "| ext0001 | ... |".
		if grep -Eq "^\| *ext000[1-5]" "$out"; then
			fail "svwar -m $m $force named a real user: $(head -c 800 "$out")"
		elif grep -q "found nothing" "$out"; then
			pass "svwar -m $m $force: found nothing (it said: $said)"
		else
			fail "svwar -m $m $force: unexpected output: $(head -c 800 "$out")"
		fi
	done
done
after=$(workers_counter not_found)
if [ "$after" -gt "$before" ]; then
	pass "the workers answered svwar's probes ($((after - before)) strangers counted in not_found)"
else
	fail "svwar's requests never reached a worker (not_found $before -> $after)"
fi

# sipsak (OPTIONS, its default) for a real user and for a stranger.
for u in "$real" ghost01; do
	client timeout 20 sipsak -vv -s "sip:$u@$VIP_IP" -H "$CLIENT_IP" -l 5091 \
		</dev/null >"$LIB_WORK/sipsak-$u.out" 2>&1 || true
done
a=$(grep -m1 -Eo "SIP/2.0 [0-9]{3} [A-Za-z ]+" "$LIB_WORK/sipsak-$real.out" || echo "no answer")
b=$(grep -m1 -Eo "SIP/2.0 [0-9]{3} [A-Za-z ]+" "$LIB_WORK/sipsak-ghost01.out" || echo "no answer")
if [ "$a" = "$b" ] && [ "$a" != "no answer" ]; then
	pass "sipsak OPTIONS: '$a' for $real and for a stranger"
else
	fail "sipsak OPTIONS: '$a' for $real, '$b' for a stranger"
fi

# svmap finds the server (it is there to be found: a scanner learns that
# a SIP service answers, not who uses it).
client timeout 60 svmap -p "$VIP_PORT" "$VIP_IP" >"$LIB_WORK/svmap.out" 2>&1 || true
if grep -q "$VIP_IP:$VIP_PORT" "$LIB_WORK/svmap.out"; then
	pass "svmap sees a SIP service at $VIP_EP (and nothing about users)"
else
	fail "svmap found no SIP service: $(head -c 500 "$LIB_WORK/svmap.out")"
fi

# svcrack: two wrong passwords for a real user, two for a stranger (four
# failures: under the auth guard's threshold of 5, so neither is blocked).
printf 'guess1\nguess2\n' >"$LIB_WORK/passwords.txt"
for u in "$real" ghost02; do
	client timeout 60 svcrack -v -x "$CLIENT_IP" -p "$VIP_PORT" -u "$u" \
		-d "$LIB_WORK/passwords.txt" "$VIP_IP" 2>&1 |
		grep -v "^INFO:root:\(scan started\|Total time\)" |
		sed "s/$u/USER/g" >"$LIB_WORK/svcrack-$u.out" || true
done
if cmp -s "$LIB_WORK/svcrack-$real.out" "$LIB_WORK/svcrack-ghost02.out" &&
	grep -q "found nothing" "$LIB_WORK/svcrack-$real.out"; then
	pass "svcrack: the same output for $real and a stranger ($(grep -c . "$LIB_WORK/svcrack-$real.out") lines, found nothing)"
else
	fail "svcrack differs: $(diff "$LIB_WORK/svcrack-$real.out" "$LIB_WORK/svcrack-ghost02.out" | head -c 800)"
fi

# The operator still tells them apart.
unavailable=$(workers_counter unavailable)
not_found=$(workers_counter not_found)
if [ "$unavailable" -gt 0 ] && [ "$not_found" -gt "$unavailable" ]; then
	pass "siplbctl workers: unavailable $unavailable (real users offline), not_found $not_found (strangers)"
else
	fail "worker counters: unavailable $unavailable, not_found $not_found"
fi

# 3. Guard on: SIPVicious' default User-Agent is dropped in XDP.
sed -i 's/^\tblock-scanners off$/\tblock-scanners on/' "$conf"
lb_ctl -S "$LIB_WORK/siplbd.sock" reload >/dev/null ||
	die "siplbctl reload failed"
stats_json
dropped=$(stats_get drop_scanner)
before=$(workers_counter requests.INVITE)
svwar_run guard -m INVITE -d "$dict"
stats_json
after=$(workers_counter requests.INVITE)
if [ "$(stats_get drop_scanner)" -gt "$dropped" ] && [ "$after" = "$before" ] &&
	! grep -q "ext000" "$LIB_WORK/svwar-guard.out"; then
	pass "guard on: svwar's INVITEs dropped in XDP ($(($(stats_get drop_scanner) - dropped)) drop_scanner), no worker saw one, svwar learnt nothing"
else
	fail "guard on: drop_scanner $dropped -> $(stats_get drop_scanner), worker INVITEs $before -> $after: $(head -c 500 "$LIB_WORK/svwar-guard.out")"
fi
