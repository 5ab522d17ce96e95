#!/bin/bash
# cli.sh - the command lines of the three programs (siplbd, siplb-worker,
# siplbctl), with nothing running and no maps pinned: --help and -h
# (stdout, exit 0, the exit statuses documented), --version (the version
# in user/lib/cli.h), usage errors (exit 2, a message on stderr), run-time
# errors (exit 1, a message on stderr): siplbctl reload with no siplbd,
# commands whose maps are not pinned, siplbd with no configuration.
# siplbctl refuses `backend add ... --weight 5000` here, before any map
# or socket is looked at (control_plane.sh checks it against a running
# and a stopped siplbd). siplb-worker takes -r HOST:PORT with a host name.
#
# Run as root from anywhere; takes a second; exits non-zero and says what
# failed.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
WORKER=${SIPLB_WORKER:-$ROOT/build/siplb-worker}
CTL=${SIPLBCTL:-$ROOT/build/siplbctl}
MIRROR=${SIPLB_MIRROR:-$ROOT/build/siplb-mirror}
VERSION=$(sed -n 's/^#define SIPLB_VERSION[[:space:]]*"\(.*\)"$/\1/p' \
	"$ROOT/user/lib/cli.h")
EXIT_HELP="exit status: 0 success, 1 run-time error, 2 usage error"

for tool in "$SIPLBD" "$WORKER" "$CTL"; do
	[ -x "$tool" ] || die "$tool not found: run 'make' first"
done
[ -n "$VERSION" ] || die "no SIPLB_VERSION in user/lib/cli.h"
lib_init cli
W=$LIB_WORK
NOPINS=$W/no-pins       # a pin directory with nothing in it
NOSOCK=$W/no-siplbd.sock
mkdir -p "$NOPINS"

# expect RC STREAM TEXT CMD...: CMD exits RC, TEXT is a line of STREAM
# (out or err, fixed string, whole line unless TEXT ends in '*': then a
# prefix), and the other stream is empty.
expect() {
	local want=$1 stream=$2 text=$3 rc=0 got other what
	shift 3
	what="$(basename "$1") ${*:2}"
	"$@" >"$W/out" 2>"$W/err" </dev/null || rc=$?
	if [ "$stream" = out ]; then got=$W/out other=$W/err; else got=$W/err other=$W/out; fi
	if [ "$rc" != "$want" ]; then
		fail "$what: exit $rc (expected $want): $(head -c 300 "$W/err")"
	elif [ "${text%\*}" != "$text" ] && ! grep -qF -- "${text%\*}" "$got"; then
		fail "$what: no '${text%\*}' on std$stream: $(head -c 300 "$got")"
	elif [ "${text%\*}" = "$text" ] && ! grep -qxF -- "$text" "$got"; then
		fail "$what: no line '$text' on std$stream: $(head -c 300 "$got")"
	elif [ -s "$other" ]; then
		fail "$what: unexpected output on the other stream: $(head -c 300 "$other")"
	else
		pass "$what: exit $rc, '${text%\*}'"
	fi
}

log "--help, -h, --version, a bad option: every program"
for prog in "$SIPLBD" "$WORKER" "$CTL" "$MIRROR"; do
	name=$(basename "$prog")
	expect 0 out "$EXIT_HELP" "$prog" --help
	expect 0 out "usage: $name *" "$prog" --help
	expect 0 out "$EXIT_HELP" "$prog" -h
	expect 0 out "$name (siplb) $VERSION" "$prog" --version
	expect 2 err "usage: $name *" "$prog" --no-such-option
	expect 2 err "usage: $name *" "$prog" -Z
done

log "siplbctl: usage errors (2), run-time errors (1)"
ctl() { "$CTL" -P "$NOPINS" -S "$NOSOCK" "$@"; }
expect 2 err "siplbctl: which command?" ctl
expect 2 err "siplbctl: unknown command 'frob' (siplbctl --help lists them)" ctl frob
expect 2 err "siplbctl: list: too many arguments" ctl list extra
expect 2 err "usage: siplbctl vip add|del ADDR:PORT" ctl vip frob 192.0.2.1:5060
expect 2 err "siplbctl: Bad VIP '192.0.2.1': expected ADDR:PORT or [IPV6]:PORT" \
	ctl vip add 192.0.2.1
expect 2 err "siplbctl: backend add: the weight must be a whole number in 1..1000" \
	ctl backend add 192.0.2.1:5060 10.0.0.2:5060 --weight 5000
expect 2 err "siplbctl: backend weight: the weight must be a whole number in 1..1000" \
	ctl backend weight 192.0.2.1:5060 10.0.0.2:5060 0
expect 2 err "siplbctl: backend frob: unknown backend verb (add, del, up, drain, down, weight)" \
	ctl backend frob 192.0.2.1:5060 10.0.0.2:5060
expect 2 err "usage: siplbctl attach DEV [--mode native|generic] [--affinity-size N] [--force]" \
	ctl attach
expect 0 out "$EXIT_HELP" ctl help
expect 1 err "siplbctl: cannot reach siplbd at $NOSOCK: No such file or directory (is siplbd running? -S SOCKET)" \
	ctl reload
expect 1 err "siplbctl: Couldn't open pinned map $NOPINS/siplb_vips: *" ctl list
expect 1 err "siplbctl: Couldn't open pinned map $NOPINS/siplb_vips: *" ctl -j stats
# Well formed, so it goes on: no siplbd, so the maps, which are not there.
expect 1 err "siplbctl: Couldn't open pinned map $NOPINS/siplb_vips: *" \
	ctl backend add 192.0.2.1:5060 10.0.0.2:5060 --weight 1000
# The help command and --help print the same text (both from cmds[]).
"$CTL" --help >"$W/help1" && "$CTL" help >"$W/help2" && cmp -s "$W/help1" "$W/help2" &&
	pass "siplbctl help and --help agree" || fail "siplbctl help and --help differ"

log "siplbd"
expect 2 err "siplbd: unexpected argument 'extra'" "$SIPLBD" -n extra
expect 1 err "siplbd: Couldn't read the configuration $W/none.conf: No such file or directory" \
	"$SIPLBD" -n -c "$W/none.conf"

log "siplb-worker"
: >"$W/users"
lib_key_file "$W/rr.key"
printf short >"$W/short.key"
worker() { "$WORKER" -l 127.0.0.1:5999 -P "$NOPINS" -d example.test -u "$W/users" -k "$W/rr.key" "$@"; }
expect 2 err "siplb-worker: -l, -P and -d are required" "$WORKER" -l 127.0.0.1:5999
expect 2 err "siplb-worker: caller authentication needs the users file: *" \
	"$WORKER" -l 127.0.0.1:5999 -P "$NOPINS" -d example.test
expect 1 err "siplb-worker: Couldn't read the configuration $W/none.conf: No such file or directory" \
	worker -c "$W/none.conf"
printf 'realm x\npolicy {\nrelay open\n}\n' >"$W/bad.conf"
expect 1 err "siplb-worker: $W/bad.conf:3: relay: 'open' is not off or authenticated" \
	worker -c "$W/bad.conf"
expect 2 err "siplb-worker: bad -C 0 (1 to 86400 seconds)" worker -C 0
expect 2 err "siplb-worker: Bad address or domain: *" worker -r 192.0.2.1
# A host name is taken (it fails later, at the maps, which are not there).
expect 1 err "siplb-worker: Couldn't open pinned map $NOPINS/siplb_location: *" \
	worker -r localhost:5060
expect 1 err "siplb-worker: Couldn't look up -r no-such-host.invalid:5060: *" \
	worker -r no-such-host.invalid:5060
expect 2 err "siplb-worker: Bad -s bogus (ADDR:PORT of -l's family, or off)" \
	worker -s bogus
expect 2 err "siplb-worker: Bad -s [::1]:5060 (ADDR:PORT of -l's family, or off)" \
	worker -s '[::1]:5060'
# Taken (it fails later, at the maps).
expect 1 err "siplb-worker: Couldn't open pinned map $NOPINS/siplb_location: *" \
	worker -s off
# Record-Routing needs the key all workers share, and a real one.
expect 2 err "siplb-worker: -r needs -k FILE, the Record-Route key all workers share *" \
	"$WORKER" -l 127.0.0.1:5999 -P "$NOPINS" -d example.test -r 192.0.2.1:5060
expect 1 err "siplb-worker: Couldn't read the Record-Route key: $W/short.key: the secret must be 16 to 4096 bytes *" \
	worker -r 192.0.2.1:5060 -k "$W/short.key"

if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks"
	exit 1
fi
log "PASS"
