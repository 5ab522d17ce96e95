#!/bin/bash
# metrics.sh - end-to-end test of siplbd's Prometheus endpoint
# (`metrics ADDR:PORT`, user/siplbd/metrics.c).
#
# On the namespace testbed (2 sipp UAS backends) siplbd attaches XDP,
# registers users and serves /metrics on 127.0.0.1:METRICS_PORT in the
# balancer namespace; curl scrapes it there.
#   1. A first scrape: `promtool check metrics` accepts it; every backend
#      is up; the XDP counters by reason are there.
#   2. sipp makes CALLS calls through the VIP (INVITE, ACK, BYE each:
#      3 requests steered per call) and is scraped while they run; then
#      sipp registers USERS users (REGISTER, 401, REGISTER, 200 each).
#   3. The counters moved as the traffic says: steered packets and the
#      backends' packets up by at least 3 * CALLS; the REGISTERs XDP saw
#      (pass_register and the SIP cookies' verdicts) up by at least
#      2 * USERS, the registrar's requests by at least USERS (the 401 for
#      the first REGISTER may come from XDP: cookie_401); 200s and 401s
#      (siplbd's and XDP's) by at least USERS each; siplb_bindings == USERS; health probes went out
#      and the backends' state labels agree with the health counters.
#      promtool accepts the scrape during and after the traffic.
#   4. A siplb-worker on the first backend (port WORKER_PORT) gets
#      OPTIONS_SENT OPTIONS: its siplb_workers entry shows up as
#      siplb_worker_up 1 and siplb_worker_requests_total{method="OPTIONS"}
#      == OPTIONS_SENT.
#   5. Only GET/HEAD of /metrics: another path gets 404, a POST 405, and
#      siplb_metrics_refused_total counts both.
# Run as root; knobs: SIPLB_E2E_CALLS (60), SIPLB_E2E_USERS (30),
# SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap

CALLS=${SIPLB_E2E_CALLS:-60}
RATE=20
USERS=${SIPLB_E2E_USERS:-30}
REALM=siplb.test
DOMAIN=siplb.test
METRICS_PORT=9260
URL=http://127.0.0.1:$METRICS_PORT
SCENARIO=$ROOT/tests/e2e/sipp/register_auth.xml
SIPLB_WORKER=${SIPLB_WORKER:-$ROOT/build/siplb-worker}
WORKER_PORT=5090
OPTIONS_SENT=3

command -v promtool >/dev/null || die "promtool not found: run scripts/deps.sh"
command -v curl >/dev/null || die "curl not found: run scripts/deps.sh"

LIB_FAMILY=4
lib_init metrics
m_return() { return "$1"; }
m_exit() {
	local rc=$?
	set +e
	[ "$rc" -eq 0 ] || siplbd_log_show 30
	m_return "$rc"
	lib_cleanup
}
trap m_exit EXIT

# scrape NAME: GET /metrics into $LIB_WORK/NAME.prom; 0 if HTTP 200.
scrape() {
	ip netns exec "$TB_NS_LB" curl -sf --max-time 10 \
		-o "$LIB_WORK/$1.prom" "$URL/metrics"
}

# value NAME SERIES: a sample's value ("" if absent); SERIES is the exact
# name{labels} text.
value() {
	awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print "" }' \
		"$LIB_WORK/$1.prom"
}

# sum NAME REGEX: the sum of the samples whose name{labels} matches REGEX.
sum() {
	awk -v r="$2" '$1 ~ ("^" r "$") { n += $2 } END { print n + 0 }' \
		"$LIB_WORK/$1.prom"
}

# promcheck NAME: promtool's verdict on a scrape.
promcheck() {
	local out
	if out=$(promtool check metrics <"$LIB_WORK/$1.prom" 2>&1); then
		pass "promtool check metrics accepts the $1 scrape" \
			"($(grep -c '^siplb' "$LIB_WORK/$1.prom") samples)"
	else
		fail "promtool check metrics on the $1 scrape: $out"
	fi
}

# moved WHAT BEFORE AFTER MIN: the counter grew by at least MIN.
moved() {
	local d=$(($3 - $2))
	if [ "$d" -ge "$4" ]; then
		pass "$1 up by $d (at least $4 expected)"
	else
		fail "$1 up by $d ($2 -> $3), expected at least $4"
	fi
}

tb_up 2
log "testbed $TB_PREFIX up: VIP $VIP_EP, backends $BACKEND_IPS"
users_make "$LIB_WORK/users.htdigest" "$LIB_WORK/users.list" "$REALM" "$USERS"
CONF=$LIB_WORK/siplb.conf
{
	siplbd_conf "$REALM" "users.htdigest"
	cat <<EOF
metrics 127.0.0.1:$METRICS_PORT
auth {
	# sipp 3.6 reads only the first challenge and knows only MD5.
	algorithms MD5 SHA-256
}
EOF
} >"$CONF"
uas_start
siplbd_start "$CONF" || die "siplbd did not start"

# 1. Before any traffic.
if scrape before; then
	pass "GET $URL/metrics answered"
else
	die "GET $URL/metrics failed (curl exit status $?)"
fi
promcheck before
up=$(sum before 'siplb_backend_up\{.*\}')
if [ "$up" = 2 ]; then
	pass "siplb_backend_up is 1 for both backends"
else
	fail "siplb_backend_up sums to $up, expected 2"
fi
reasons=$(grep -c '^siplb_xdp_packets_total{reason=' "$LIB_WORK/before.prom" || true)
# The reasons of the SIPLB_STATS X-macro (SIPLB_EVENTS, which follows it,
# are lookups, not reasons).
want=$(sed -n '/^#define SIPLB_STATS(X)/,/^$/p' "$ROOT/include/siplb_maps.h" |
	grep -c '^	X(' || true)
if [ "$reasons" -gt 0 ] && [ "$reasons" = "$want" ]; then
	pass "every one of the $want XDP reasons is a sample"
else
	fail "$reasons siplb_xdp_packets_total samples, $want reasons in SIPLB_STATS"
fi

# 2. Calls, scraped while they run; then registrations.
lib_bg UAC ip netns exec "$TB_NS_CLIENT" \
	timeout -s INT -k 10 $((CALLS / RATE + 40)) \
	sipp -sn uac "$VIP_EP" -i "$CLIENT_IP" -p 5070 \
	-m "$CALLS" -r "$RATE" -nostdin -buff_size 4194304 \
	-recv_timeout 15s -timeout "$((CALLS / RATE + 30))s" \
	-trace_stat -stf "$LIB_WORK/uac.csv" -fd 1 \
	>"$LIB_WORK/uac.out" 2>&1
sleep 1
if scrape during; then
	pass "scraped during the calls"
	promcheck during
else
	fail "GET /metrics failed during the calls"
fi
uac_rc=0
wait "$UAC" || uac_rc=$?
lib_forget "$UAC"
read -r created ok failed <<<"$(uac_stats)"
if [ "$uac_rc" -eq 0 ] && [ "$ok" = "$CALLS" ] && [ "$failed" = 0 ]; then
	pass "sipp: $ok of $CALLS calls completed"
else
	fail "sipp exit status $uac_rc: $created created, $ok successful," \
		"$failed failed (expected $CALLS/$CALLS/0)"
fi

{
	echo SEQUENTIAL
	awk -F';' -v d="$DOMAIN" '{ print $1 ";" $2 ";" d ";3600" }' \
		"$LIB_WORK/users.list"
} >"$LIB_WORK/users.csv"
reg_rc=0
ip netns exec "$TB_NS_CLIENT" timeout -s INT -k 10 60 \
	sipp "$VIP_EP" -sf "$SCENARIO" -inf "$LIB_WORK/users.csv" \
	-i "$CLIENT_IP" -p 5072 -m "$USERS" -r 50 -nostdin \
	-recv_timeout 10s -timeout 50s \
	-trace_stat -stf "$LIB_WORK/reg.csv" -fd 1 \
	>"$LIB_WORK/reg.out" 2>&1 || reg_rc=$?
read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/reg.csv")"
if [ "$reg_rc" -eq 0 ] && [ "$ok" = "$USERS" ] && [ "$failed" = 0 ]; then
	pass "sipp: $ok of $USERS registrations succeeded"
else
	fail "sipp registrations: exit status $reg_rc, $ok of $USERS, $failed failed"
fi

# 3. What the counters say about it.
sleep 3		# a health interval (2 s) or more
scrape after || die "GET /metrics failed after the traffic"
promcheck after
moved "steered packets (siplb_xdp_packets_total steer_*)" \
	"$(sum before 'siplb_xdp_packets_total\{reason="steer_[a-z]*"\}')" \
	"$(sum after 'siplb_xdp_packets_total\{reason="steer_[a-z]*"\}')" \
	$((3 * CALLS))
moved "affinity lookups (siplb_xdp_lookups_total affinity_*), one per steered packet" \
	"$(sum before 'siplb_xdp_lookups_total\{event="affinity_[a-z]*"\}')" \
	"$(sum after 'siplb_xdp_lookups_total\{event="affinity_[a-z]*"\}')" \
	$((3 * CALLS))
moved "siplb_backend_packets_total (both backends)" \
	"$(sum before 'siplb_backend_packets_total\{.*\}')" \
	"$(sum after 'siplb_backend_packets_total\{.*\}')" $((3 * CALLS))
moved "siplb_backend_bytes_total (both backends)" \
	"$(sum before 'siplb_backend_bytes_total\{.*\}')" \
	"$(sum after 'siplb_backend_bytes_total\{.*\}')" $((3 * CALLS * 200))
moved "source-rewritten replies (snat_*)" \
	"$(sum before 'siplb_xdp_packets_total\{reason="snat_(tx|redirect|kernel)"\}')" \
	"$(sum after 'siplb_xdp_packets_total\{reason="snat_(tx|redirect|kernel)"\}')" \
	$((2 * CALLS))
# A REGISTER's verdicts: up to siplbd, or answered or checked by the
# challenge program (bpf/cookie.bpf.h: xdp-challenge is on by default).
REG_RE='pass_register|cookie_401|cookie_401_stale|pass_cookie_[a-z]*'
moved "REGISTERs in XDP (pass_register, cookie_401*, pass_cookie_*)" \
	"$(sum before "siplb_xdp_packets_total\\{reason=\"($REG_RE)\"\\}")" \
	"$(sum after "siplb_xdp_packets_total\\{reason=\"($REG_RE)\"\\}")" \
	$((2 * USERS))
moved "siplb_registrar_requests_total" \
	"$(value before siplb_registrar_requests_total)" \
	"$(value after siplb_registrar_requests_total)" "$USERS"
moved "401s (siplb_registrar_challenged_total and cookie_401)" \
	"$(($(value before siplb_registrar_challenged_total) +
	    $(sum before 'siplb_xdp_packets_total\{reason="cookie_401"\}')))" \
	"$(($(value after siplb_registrar_challenged_total) +
	    $(sum after 'siplb_xdp_packets_total\{reason="cookie_401"\}')))" \
	"$USERS"
moved "siplb_registrar_ok_total" \
	"$(value before siplb_registrar_ok_total)" \
	"$(value after siplb_registrar_ok_total)" "$USERS"
moved "siplb_health_probes_total" \
	"$(value before siplb_health_probes_total)" \
	"$(value after siplb_health_probes_total)" 2
drops=$(($(sum after 'siplb_xdp_packets_total\{reason="drop_[a-z_]*"\}') -
	$(sum before 'siplb_xdp_packets_total\{reason="drop_[a-z_]*"\}')))
if [ "$drops" -eq 0 ]; then
	pass "no drop_* reason moved"
else
	fail "drop_* reasons moved by $drops"
fi
bindings=$(value after siplb_bindings)
if [ "$bindings" = "$USERS" ]; then
	pass "siplb_bindings is $USERS"
else
	fail "siplb_bindings is '$bindings', expected $USERS"
fi
scrapes=$(value after siplb_metrics_scrapes_total)
if [ "$scrapes" = 2 ]; then
	pass "siplb_metrics_scrapes_total counted the 2 earlier scrapes"
else
	fail "siplb_metrics_scrapes_total is '$scrapes', expected 2"
fi
# sipp's built-in UAS may leave OPTIONS unanswered: whatever the health
# checks decided, the state label and the counters must agree.
unhealthy=$(grep -c '^siplb_backend_state{.*state="unhealthy"} 1$' \
	"$LIB_WORK/after.prom" || true)
marked=$(value after siplb_health_marked_unhealthy_total)
up=$(sum after 'siplb_backend_up\{.*\}')
if [ "$unhealthy" = "$marked" ] && [ $((unhealthy + up)) = 2 ]; then
	pass "health: $marked backends marked unhealthy, $unhealthy in that" \
		"state, $up up"
else
	fail "health: marked unhealthy $marked, in that state $unhealthy," \
		"up $up (expected the first two equal, the last two to sum to 2)"
fi

# 4. A worker's counters, from siplb_workers.
W_NS=$(nth 1 "$TB_NS_BACKENDS")
W_IP=$(nth 1 "$BACKEND_IPS")
W_EP=$(ep "$W_IP" "$WORKER_PORT")
# -r needs the Record-Route key every worker shares (-k).
lib_key_file "$LIB_WORK/rr.key"
lib_bg WORKER nsenter --net="/run/netns/$W_NS" "$SIPLB_WORKER" -l "$W_EP" \
	-P "$TB_PINDIR" -d "$DOMAIN" -r "$VIP_EP" -k "$LIB_WORK/rr.key" \
	-u "$LIB_WORK/users.htdigest" 2>>"$LIB_WORK/worker.log" </dev/null
wait_udp_port "$W_NS" "$WORKER_PORT"
ip netns exec "$W_NS" python3 - "$W_IP" "$WORKER_PORT" "$OPTIONS_SENT" <<'EOF'
import socket, sys
ip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((ip, 0))
s.settimeout(2)
for i in range(n):
    msg = ("OPTIONS sip:%s:%d SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bKmetrics%d\r\n"
           "From: <sip:probe@siplb.test>;tag=m%d\r\nTo: <sip:%s:%d>\r\n"
           "Call-ID: metrics-%d@test\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
           "Content-Length: 0\r\n\r\n") % (ip, port, ip, s.getsockname()[1],
                                          i, i, ip, port, i)
    s.sendto(msg.encode(), (ip, port))
    try:
        s.recv(4096)
    except socket.timeout:
        pass
EOF
w_up="" w_opts=""
for _ in $(seq 1 50); do	# the worker publishes once a second
	scrape worker || die "GET /metrics failed with the worker running"
	w_up=$(value worker "siplb_worker_up{worker=\"$W_EP\"}")
	w_opts=$(value worker "siplb_worker_requests_total{worker=\"$W_EP\",method=\"OPTIONS\"}")
	[ "$w_up" = 1 ] && [ "$w_opts" = "$OPTIONS_SENT" ] && break
	sleep 0.2
done
if [ "$w_up" = 1 ] && [ "$w_opts" = "$OPTIONS_SENT" ]; then
	pass "worker $W_EP: siplb_worker_up 1, OPTIONS requests $w_opts"
else
	fail "worker $W_EP: siplb_worker_up '$w_up', OPTIONS requests" \
		"'$w_opts' (expected 1 and $OPTIONS_SENT)"
fi
promcheck worker
lib_stop "$WORKER" TERM 5 || fail "siplb-worker exited with status $?"

# 5. Nothing but GET/HEAD /metrics.
code() {
	ip netns exec "$TB_NS_LB" curl -s -o /dev/null -w '%{http_code}' \
		--max-time 10 "$@"
}
c404=$(code "$URL/")
c405=$(code -X POST -d x "$URL/metrics")
chead=$(code -I "$URL/metrics")
if [ "$c404" = 404 ] && [ "$c405" = 405 ] && [ "$chead" = 200 ]; then
	pass "GET / gets 404, POST /metrics 405, HEAD /metrics 200"
else
	fail "GET / got $c404, POST /metrics $c405, HEAD $chead (404/405/200 expected)"
fi
scrape last || die "GET /metrics failed at the end"
refused=$(value last siplb_metrics_refused_total)
if [ "$refused" = 2 ]; then
	pass "siplb_metrics_refused_total is 2"
else
	fail "siplb_metrics_refused_total is '$refused', expected 2"
fi
if grep -q 'metrics: refused' "$SIPLBD_LOG"; then
	pass "siplbd logged the refusals"
else
	fail "siplbd's log has no 'metrics: refused' line"
fi

siplbd_stop || fail "siplbd exited with status $?"
uas_stop
if [ "$LIB_FAILURES" -ne 0 ]; then
	log "FAILED: $LIB_FAILURES checks (SIPLB_KEEP_LOGS=1 keeps the logs)"
	exit 1
fi
log "PASS"
