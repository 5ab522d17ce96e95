#!/bin/bash
# table_full.sh - a full location table, end to end: siplbd with
# `max-bindings 10` (the size of siplb_location); 12 users register with
# digest auth (sipp). Expected, and checked:
#   - 10 registrations succeed, 2 are answered "503 Location table full"
#     with a Retry-After header (nothing is lost silently);
#   - siplbctl stats counts them: registrar.full = 2;
#   - the map holds exactly 10 bindings, all of users that got 200;
#   - a registered user can still refresh its binding in the full map.
# About 10 s. SIPLB_KEEP_LOGS=1 keeps the work directory.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

MAX=10
USERS=12
REALM=siplb.test
DOMAIN=siplb.test
CALLEE_PORT=5072
REG_XML=$ROOT/tests/e2e/sipp/register_auth.xml

LIB_FAMILY=4
lib_init tablefull
W=$LIB_WORK
tb_up 1
log "testbed $TB_PREFIX up: VIP $VIP_EP, client $CLIENT_IP"
users_make "$W/users.htdigest" "$W/users.list" "$REALM" "$USERS" phone

{
	siplbd_conf "$REALM" users.htdigest
	printf 'auth {\n\talgorithms MD5 SHA-256\n}\n'
	printf 'registrar {\n\tmax-bindings %d\n}\n' "$MAX"
} >"$W/siplb.conf"
siplbd_start "$W/siplb.conf" || die "siplbd did not start"

# register CSV: one sipp run over the users in CSV; its messages traced.
register() {
	ip netns exec "$TB_NS_CLIENT" timeout -s INT 60 \
		sipp "$VIP_EP" -sf "$REG_XML" -inf "$1" \
		-i "$CLIENT_IP" -p "$CALLEE_PORT" -m "$(($(wc -l <"$1") - 1))" \
		-r 20 -nostdin -recv_timeout 5s -default_behaviors all,-bye \
		-trace_msg -message_file "$2" >/dev/null 2>&1 || true
}

{
	echo SEQUENTIAL
	sed "s/\$/;$DOMAIN;3600/" "$W/users.list"
} >"$W/all.csv"
register "$W/all.csv" "$W/register.msg"

# responses FILE STATUS: distinct Call-IDs answered STATUS (sipp's log
# repeats a message that ends a call), and how many of those carried
# Retry-After, as "N RETRY".
responses() {
	awk -v want="$2" '
	/^SIP\/2\.0 / { inmsg = index($0, "SIP/2.0 " want) == 1; cid = ""; ra = 0 }
	inmsg && /^Call-ID:/ { cid = $2 }
	inmsg && /^Retry-After: [1-9]/ { ra = 1 }
	inmsg && /^$/ && cid != "" { seen[cid] = seen[cid] || ra; inmsg = 0 }
	END { n = 0; r = 0; for (c in seen) { n++; r += seen[c] }; print n, r }
	' "$1"
}
read -r ok _ <<<"$(responses "$W/register.msg" "200 OK")"
read -r full retry <<<"$(responses "$W/register.msg" "503 Location table full")"
[ "$ok" -eq "$MAX" ] && pass "$MAX registrations answered 200" ||
	fail "$ok registrations answered 200, expected $MAX"
[ "$full" -eq $((USERS - MAX)) ] &&
	pass "$full answered 503 Location table full" ||
	fail "$full answered 503, expected $((USERS - MAX))"
[ "$retry" -eq "$full" ] && pass "every 503 carries Retry-After" ||
	fail "$retry of $full 503s carry Retry-After"

counted=$(lb_ctl -S "$W/siplbd.sock" -j stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["daemon"]["registrar"]["full"])')
[ "$counted" -eq $((USERS - MAX)) ] &&
	pass "siplbctl stats: registrar.full = $counted" ||
	fail "registrar.full = $counted, expected $((USERS - MAX))"

location_dump >"$W/bindings"
[ "$(wc -l <"$W/bindings")" -eq "$MAX" ] &&
	pass "the map holds $MAX bindings" ||
	fail "the map holds $(wc -l <"$W/bindings") bindings, expected $MAX"

# A user that got 200 refreshes: it fits in the full map.
first=$(awk '{ print $1 }' "$W/bindings" | head -n 1 | sed 's/^sip://; s/@.*//')
printf 'SEQUENTIAL\n%s;%s;1800\n' \
	"$(grep "^$first;" "$W/users.list" | head -n 1)" "$DOMAIN" >"$W/one.csv"
register "$W/one.csv" "$W/refresh.msg"
[ "$(responses "$W/refresh.msg" "200 OK" | cut -d' ' -f1)" = 1 ] &&
	pass "$first refreshed its binding in the full map" ||
	fail "$first could not refresh in the full map"

siplbd_stop || fail "siplbd exited with status $? on SIGTERM"
[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
