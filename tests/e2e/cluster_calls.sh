#!/bin/bash
# cluster_calls.sh - the whole cluster at once (issue 13, docs/
# ARCHITECTURE.md "Beyond one host"): phones behind a router, two
# balancers behind its ECMP route, Redis, and three worker hosts, each
# with its own mirror and a siplb-worker reading that host's own maps (no
# worker on a balancer). Built by scripts/cluster_lib.sh on
# scripts/cluster_testbed.sh.
#
#   1. Phones 1-10 register from a port the router pins to lb1, 11-20
#      from one pinned to lb2: each siplbd's registrar counts its ten;
#      Redis holds the 20 bindings and every host's map equals it.
#   2. Calls that cross lb1 reach phones registered through lb2 and the
#      other way round; every message of a call reaches one worker (the
#      workers' captures, both links), the workers count the INVITEs.
#   3. A balancer killed under load: calls at a steady rate from a
#      socket each (the ECMP hash spreads them over both nodes); halfway,
#      lb1's links go down and its siplbd and mirror get SIGKILL. The
#      router drops the dead nexthop when the carrier goes
#      (ignore_routes_with_linkdown: what a router watching its links or
#      BFD does; no route is edited by hand); the reconvergence time is
#      measured on the router. Calls that fail are counted from a capture
#      at the phones by when they began, with sipp's reasons, as TAP
#      diagnostics; the check: no failure outside the window from a call
#      duration before the links went down to a second after the router
#      moved, and the failures bounded by the calls begun in that window
#      plus a margin; the calls in progress when lb1 died go on (their
#      workers live; a lost message is retransmitted by the phone and
#      crosses lb2 to the same worker: one Maglev table). Bindings
#      intact in Redis and every live host's map; phones 1-10
#      re-register, now through lb2.
#   4. A late node: a fresh mirror on a new pin directory has every
#      binding Redis has.
# Run as root. Knobs: SIPLB_E2E_CALLS (20 calls each way in 2),
# SIPLB_E2E_RATE (20 calls/s in 3), CL_DETECT_MS (0: the router drops the
# dead nexthop when the carrier goes; N: it keeps sending into the dead
# link until a routing daemon replaces the routes after N ms, see
# scripts/cluster_lib.sh), SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_skip_without redis-server
lib_tap
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"
# shellcheck source=scripts/cluster_lib.sh
. "$ROOT/scripts/cluster_lib.sh"

CROSS=${SIPLB_E2E_CALLS:-20}
RATE=${SIPLB_E2E_RATE:-20}
LOAD_SECS=16		# the failover's load; the links go down halfway
MARGIN=3		# failed calls allowed beyond those begun in the window
PHONES=20
HALF=$((PHONES / 2))
REALM=cluster.test
DOMAIN=cluster.test

lib_init cluster_calls
TESTBED=$ROOT/scripts/cluster_testbed.sh
tb_up 3
log "cluster testbed $TB_PREFIX up: VIP $VIP_EP via $TB_NS_LBS," \
	"worker hosts $BACKEND_IPS, Redis $TB_REDIS_IP4"

cl_secrets "$REALM" "$PHONES"
cl_redis_start
cl_workers_start "$DOMAIN"
for k in 1 2; do
	cl_node_conf "$k" "$REALM" "$LIB_WORK/lb$k.conf"
	cl_node_start "$k" "$LIB_WORK/lb$k.conf"	# first: it makes the maps
	cl_mirror_start "lb$k" "$(nth "$k" "$TB_NS_LBS")" \
		"$(nth "$k" "$TB_LB_PINDIRS")"
done
cl_workers_up
pass "2 balancers (siplbd, XDP, mirror) and 3 worker hosts (mirror," \
	"siplb-worker on their own maps) up; both nodes see every worker"

# call_csv FILE FROM TO [TO2]: phone FROM+i calls TO+i (i < HALF);
# with TO2, every other line calls TO2+i instead.
call_csv() {
	local i
	echo SEQUENTIAL >"$1"
	for i in $(seq 0 $((HALF - 1))); do
		printf '%s;%s;%s\n' "$(cl_phone $(($2 + i)))" \
			"$(cl_phone $(($3 + i)))" "$DOMAIN" >>"$1"
		[ -z "${4:-}" ] || printf '%s;%s;%s\n' \
			"$(cl_phone $(($3 + i)))" "$(cl_phone $(($4 + i)))" \
			"$DOMAIN" >>"$1"
	done
}
# bindings_equal WHAT: every host's map equals Redis's bindings (waits
# 3 s for the mirrors); WHAT names the moment in the results.
bindings_equal() {
	local out
	for _ in $(seq 1 30); do
		out=$(cl_dump_all)
		printf '%s\n' "$out" | grep -q DIFFERENT || break
		sleep 0.1
	done
	printf '%s\n' "$out" | sed 's/^/    /'
	if [ "$(printf '%s\n' "$out" | awk '$1 == "redis" { print $2 }')" = \
		"$PHONES" ] && ! printf '%s\n' "$out" | grep -q DIFFERENT; then
		pass "$1: Redis holds $PHONES bindings and every live host's" \
			"map the same"
	else
		fail "$1: bindings differ (Redis or a host): $out"
	fi
}

# --- 1. registrations through both nodes -------------------------------------

cl_reg_csv "$LIB_WORK/reg-a.csv" 1 "$HALF" "$DOMAIN"
cl_reg_csv "$LIB_WORK/reg-b.csv" $((HALF + 1)) "$PHONES" "$DOMAIN"
cl_register_via 1 "$LIB_WORK/reg-a.csv" ||
	fail "phones 1-$HALF: registration through lb1 failed"
cl_register_via 2 "$LIB_WORK/reg-b.csv" ||
	fail "phones $((HALF + 1))-$PHONES: registration through lb2 failed"
r1=$(cl_registered 1) r2=$(cl_registered 2)
if [ "$r1" = "$HALF" ] && [ "$r2" = "$HALF" ]; then
	pass "REGISTERs landed on both nodes: lb1's registrar answered" \
		"$r1 with 200, lb2's $r2"
else
	fail "registrations per node: lb1 $r1, lb2 $r2 (expected $HALF each)"
fi
bindings_equal "after registering"

# --- 2. calls through either node reach phones registered through the other --

call_csv "$LIB_WORK/via1.csv" 1 $((HALF + 1))
call_csv "$LIB_WORK/via2.csv" $((HALF + 1)) 1
cl_capture_start
s1=$(cl_steered 1)
s2=$(cl_steered 2)
uas_a="" uas_b="" uac_1="" uac_2=""
phones_answer uas_a "$CALLS_XML/uas_answer.xml" "$(cl_callee_port 1)" "$CROSS"
phones_answer uas_b "$CALLS_XML/uas_answer.xml" "$(cl_callee_port 2)" "$CROSS"
phones_call uac_1 "$CALLS_XML/uac_caller_bye.xml" "$(cl_caller_port 1)" \
	"$LIB_WORK/via1.csv" "$CROSS" 10
phones_call uac_2 "$CALLS_XML/uac_caller_bye.xml" "$(cl_caller_port 2)" \
	"$LIB_WORK/via2.csv" "$CROSS" 10
for k in 1 2; do
	pid=$uac_1
	[ "$k" = 1 ] || pid=$uac_2
	rc=0
	sipp_wait "$pid" || rc=$?
	read -r created ok failed <<<"$(sipp_counts \
		"$LIB_WORK/uac-$(cl_caller_port "$k").csv")"
	other=$((3 - k))
	if [ "$rc" = 0 ] && [ "$ok" = "$CROSS" ]; then
		pass "$ok of $CROSS calls crossing lb$k reached phones" \
			"registered through lb$other"
	else
		fail "calls crossing lb$k: sipp exit $rc, created $created," \
			"successful $ok, failed $failed"
	fi
done
for pid in $uas_a $uas_b; do
	lib_stop "$pid" NONE 15 || fail "a callee sipp failed"
done
d1=$(($(cl_steered 1) - s1))
d2=$(($(cl_steered 2) - s2))
if [ "$d1" -ge $((3 * CROSS)) ] && [ "$d2" -ge $((3 * CROSS)) ]; then
	pass "both nodes steered these calls: lb1 $d1 packets, lb2 $d2"
else
	fail "steered: lb1 $d1, lb2 $d2 (expected >= $((3 * CROSS)) each)"
fi
sleep 1.2	# the workers publish their counters once a second
invites=0 idle=0
for i in $(seq 1 "$TB_N"); do
	n=$(cl_worker_invites "$i")
	log "    worker host w$i counted $n INVITEs (its own pinned map)"
	invites=$((invites + n))
	[ "$n" -gt 0 ] || idle=$((idle + 1))
done
if [ "$invites" = $((2 * CROSS)) ] && [ "$idle" = 0 ]; then
	pass "the workers counted all $invites INVITEs, every worker some"
else
	fail "workers counted $invites INVITEs (expected $((2 * CROSS)))," \
		"$idle worker(s) without a call"
fi

# --- 3. a balancer killed under load ------------------------------------------

call_csv "$LIB_WORK/load.csv" 1 $((HALF + 1)) 1
load_calls=$((RATE * LOAD_SECS))
uas_a="" uas_b="" uac=""
phones_answer uas_a "$CALLS_XML/uas_answer.xml" "$(cl_callee_port 1)" 100000
phones_answer uas_b "$CALLS_XML/uas_answer.xml" "$(cl_callee_port 2)" 100000
# A flow the router sends through lb1 now, to see when it moves.
probe=$(cl_probe_port)
t_load=$(date +%s.%N)
cl_calls_ecmp uac "$CALLS_XML/uac_caller_bye.xml" "$LIB_WORK/load.csv" \
	"$load_calls" "$RATE" 5090
log "$load_calls calls at $RATE/s, a socket each; lb1 goes down after" \
	"$((LOAD_SECS / 2)) s"
sleep $((LOAD_SECS / 2))
before1=$(cl_steered 1)
cl_balancer_down 1
t_down=$CL_T_DOWN
cl_wait_moved "$probe"
t_conv=$CL_T_CONV
conv_ms=$(((t_conv - t_down) / 1000000))
log "lb1 down at $(date -d "@$((t_down / 1000000000))" +%T); the router" \
	"sent the probe flow (port $probe) through $(cl_route_via "$probe")" \
	"at look $CL_LOOKS, $conv_ms ms after (one look takes $CL_LOOK_MS ms)"
rc=0
cl_load_end "$uac" "$uas_a" "$uas_b" || rc=$?
read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/uac-5090.csv")"
log "sipp: $created calls created, $ok successful, $failed failed (exit $rc)"
if [ "$before1" -gt 0 ]; then
	pass "lb1 steered $before1 packets before it went down (ECMP used it)"
else
	fail "lb1 steered nothing before it went down: the load did not cross it"
fi
if [ "$(cl_route_via "$probe")" = lb2 ]; then
	pass "the router's multipath route lost lb1 after $conv_ms ms"
else
	fail "the probe flow goes $(cl_route_via "$probe") after lb1's death"
fi

# The window: from a call's length (0.5 s + round trips) before the links
# went down to a second after the router moved.
w_from=$(python3 -c "print($t_down / 1e9 - 1.5)")
w_to=$(python3 -c "print($t_conv / 1e9 + 1.0)")
times=$(cl_calltimes "$t_load" "$(python3 -c "print($t_down / 1e9)")" \
	"$w_from" "$w_to")
printf '%s\n' "$times" | grep -E '^(phase|spanning)' | sed 's/^/    /'
printf '%s\n' "$times" | grep '^failed' | head -n 20 | sed 's/^/    /'
if [ -s "$LIB_WORK/uac-5090.err" ]; then
	log "    why (sipp's errors, counted):"
	cl_sipp_reasons "$LIB_WORK/uac-5090.err" | head -n 5 | sed 's/^/      /'
fi
get() { printf '%s\n' "$times" | awk -v p="$1" -v f="$2" \
	'$1 == "phase" && $2 == p { for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) }'; }
started=$(($(get before started) + $(get during started) + $(get after started)))
failed_all=$(($(get before failed) + $(get during failed) + $(get after failed)))
outside=$(($(get before failed) + $(get after failed)))
log "failover: $failed_all of $started calls failed; $(get during started)" \
	"began in the window ($(get during failed) of them failed)"
if [ "$started" -ge $((load_calls * 9 / 10)) ]; then
	pass "the phones began $started of $load_calls calls (capture)"
else
	fail "the capture shows only $started of $load_calls calls begun"
fi
read -r _ spanning spanning_ok <<<"$(printf '%s\n' "$times" |
	awk '$1 == "spanning" { print $1, $2, $4 }')"
# With a late routing daemon (CL_DETECT_MS) calls in progress lose
# messages for that long, and those that fail count against the window.
if [ "$CL_DETECT_MS" != 0 ] && [ "$spanning" -gt 0 ]; then
	log "$spanning_ok of the $spanning calls in progress when lb1 died" \
		"completed (the routes moved after $CL_DETECT_MS ms)"
elif [ "$spanning" -gt 0 ] && [ $((spanning - spanning_ok)) -le "$MARGIN" ]; then
	pass "calls in progress on the live workers went on: $spanning_ok of" \
		"the $spanning in progress when lb1 died completed"
else
	fail "$spanning_ok of the $spanning calls in progress when lb1 died" \
		"completed (a test without calls in progress proves nothing)"
fi
if [ "$outside" = 0 ] && [ "$(get after started)" -gt 0 ]; then
	pass "no call failed outside the failover window; all" \
		"$(get after completed) begun after it completed (lb2 alone)"
else
	fail "$outside call(s) failed outside the failover window (before:" \
		"$(get before failed), after: $(get after failed))"
fi
if [ "$failed_all" -le $(($(get during started) + MARGIN)) ]; then
	pass "failures during the move ($failed_all) within the calls begun" \
		"in the window ($(get during started)) + $MARGIN"
else
	fail "$failed_all calls failed, more than the $(get during started)" \
		"begun in the window + $MARGIN"
fi
bindings_equal "after lb1's death"
cl_reg_csv "$LIB_WORK/rereg.csv" 1 "$HALF" "$DOMAIN"
r2=$(cl_registered 2)
cl_register_via 1 "$LIB_WORK/rereg.csv" ||
	fail "re-registering phones 1-$HALF after lb1's death failed"
r2=$(($(cl_registered 2) - r2))
if [ "$r2" = "$HALF" ]; then
	pass "phones 1-$HALF re-registered from lb1's port: lb2 answered $r2"
else
	fail "re-registration after the failover: lb2 answered $r2 of $HALF"
fi

# --- 4. a late node -----------------------------------------------------------

late=/sys/fs/bpf/siplb-ctb-$TB_PREFIX-late	# the testbed removes it
cl_mirror_start late "$(nth 1 "$TB_NS_BACKENDS")" "$late"
cl_redis_bindings >"$LIB_WORK/bindings-redis.txt"
for _ in $(seq 1 50); do
	cl_map_bindings "$late" >"$LIB_WORK/bindings-late.txt"
	cmp -s "$LIB_WORK/bindings-redis.txt" "$LIB_WORK/bindings-late.txt" &&
		break
	sleep 0.1
done
if cmp -s "$LIB_WORK/bindings-redis.txt" "$LIB_WORK/bindings-late.txt" &&
	[ "$(wc -l <"$LIB_WORK/bindings-late.txt")" = "$PHONES" ]; then
	pass "a late mirror on a new pin directory caught up: all $PHONES" \
		"bindings, as Redis has them"
else
	fail "the late mirror has $(wc -l <"$LIB_WORK/bindings-late.txt")" \
		"bindings, unlike Redis's $(wc -l <"$LIB_WORK/bindings-redis.txt")"
fi

# --- where the calls went ---------------------------------------------------------

report=$(cl_affinity) || die "reading the workers' captures failed"
printf '%s\n' "$report" | grep -v '^split' | sed 's/^/    /'
if printf '%s\n' "$report" | grep -q '^split '; then
	fail "calls split over workers: $(printf '%s\n' "$report" |
		grep -c '^split ') (first: $(printf '%s\n' "$report" |
		grep -m 1 '^split '))"
else
	pass "every message of every call reached one worker, whichever" \
		"balancer it crossed"
fi
if ! kill -0 "${CL_NODE_PID[2]}" 2>/dev/null; then
	fail "siplbd on lb2 died"
fi
[ "$LIB_FAILURES" -eq 0 ] || die "$LIB_FAILURES check(s) failed"
log "all checks passed"
