#!/bin/bash
# demo_cluster.sh - `make demo-cluster`: siplb beyond one host, on the
# cluster testbed (scripts/cluster_testbed.sh), set up by
# scripts/cluster_lib.sh:
#
#   phones --- router (ECMP) --+-- lb1: XDP + siplbd --+-- w1..w3: mirror
#   (sipp)                     +-- lb2: XDP + siplbd --+   + siplb-worker
#                                        Redis (rds) --'
#
#   1. 20 phones register with digest authentication, half from a port
#      the router pins to lb1, half from one pinned to lb2;
#   2. they call each other across the nodes (a socket per call, so the
#      router's L4 hash spreads the calls over both balancers), at a
#      steady rate; halfway, lb1 is taken down (its links down, its
#      siplbd and mirror killed with SIGKILL) and ECMP moves its traffic;
#   3. a report: calls attempted/completed/failed before, during and
#      after the failover; where the REGISTERs landed (each node's
#      registrar counters); the bindings as Redis holds them and as each
#      host's `bpftool map dump` shows them, and whether they are equal;
#      the replication lag each host's mirror measured.
# Everything is removed at the end, also on Ctrl-C or failure.
# Knobs: SIPLB_DEMO_PHONES (20), SIPLB_DEMO_CALLS (400 in all),
# SIPLB_DEMO_RATE (20 calls/s), CL_DETECT_MS (0: the router drops the dead
# balancer when its carrier goes; N: a routing daemon does, N ms later),
# SIPLB_KEEP_LOGS=1.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/phones.sh
. "$ROOT/scripts/phones.sh"
# shellcheck source=scripts/cluster_lib.sh
. "$ROOT/scripts/cluster_lib.sh"

SIPLBD=${SIPLBD:-$ROOT/build/siplbd}
PHONES=${SIPLB_DEMO_PHONES:-20}
CALLS=${SIPLB_DEMO_CALLS:-400}
RATE=${SIPLB_DEMO_RATE:-20}
MARGIN=3	# failed calls allowed beyond those begun in the failover window
REALM=siplb.test
DOMAIN=siplb.test
HALF=$((PHONES / 2))

if [ "$PHONES" -lt 2 ] || [ $((PHONES % 2)) -ne 0 ]; then
	die "SIPLB_DEMO_PHONES must be an even number >= 2"
fi
if [ "$RATE" -lt 1 ] || [ "$CALLS" -lt $((2 * RATE)) ]; then
	die "SIPLB_DEMO_CALLS must be at least twice SIPLB_DEMO_RATE (>= 1)"
fi

lib_init demo_cluster
TESTBED=$ROOT/scripts/cluster_testbed.sh
log "building the cluster testbed: phones, a router, 2 balancers, Redis," \
	"3 worker hosts"
tb_up 3
cat <<EOF

  phones $CLIENT_IP --- router (ECMP over lb1, lb2) --- VIP $VIP_EP
  balancers: siplbd + XDP + siplb-mirror    Redis $TB_REDIS_IP4
  worker hosts $BACKEND_IPS: siplb-mirror + siplb-worker, own pin dirs
  namespaces $TB_PREFIX-*

EOF

cl_secrets "$REALM" "$PHONES"
cl_redis_start
echo "  # siplb-mirror -r $TB_REDIS_IP4:$CL_REDIS_PORT -P PINDIR;" \
	"siplb-worker -P PINDIR -s off ... (each worker host)"
cl_workers_start "$DOMAIN"
for k in 1 2; do
	echo "  # siplbd -c lb$k.conf (cluster { node lb$k; secret-file ..;" \
		"redis $TB_REDIS_IP4:$CL_REDIS_PORT }); siplb-mirror (lb$k)"
	cl_node_conf "$k" "$REALM" "$LIB_WORK/lb$k.conf"
	cl_node_start "$k" "$LIB_WORK/lb$k.conf"
	cl_mirror_start "lb$k" "$(nth "$k" "$TB_NS_LBS")" \
		"$(nth "$k" "$TB_LB_PINDIRS")"
done
cl_workers_up
echo

# 1. Registration through both nodes.
log "$PHONES phones register: 1-$HALF through lb1, the others through lb2"
reg_rc=0
cl_reg_csv "$LIB_WORK/reg-1.csv" 1 "$HALF" "$DOMAIN"
cl_reg_csv "$LIB_WORK/reg-2.csv" $((HALF + 1)) "$PHONES" "$DOMAIN"
cl_register_via 1 "$LIB_WORK/reg-1.csv" || reg_rc=$?
cl_register_via 2 "$LIB_WORK/reg-2.csv" || reg_rc=$?
for k in 1 2; do
	cl_ctl "$k" -j stats >"$LIB_WORK/stats-lb$k.json"
done
sleep 0.5	# the mirrors

# 2. Calls across the nodes; lb1 dies halfway.
echo SEQUENTIAL >"$LIB_WORK/calls.csv"
for i in $(seq 1 "$HALF"); do
	printf '%s;%s;%s\n%s;%s;%s\n' "$(cl_phone "$i")" \
		"$(cl_phone $((i + HALF)))" "$DOMAIN" "$(cl_phone $((i + HALF)))" \
		"$(cl_phone "$i")" "$DOMAIN" \
		>>"$LIB_WORK/calls.csv"
done
cl_capture_start
uas_1="" uas_2="" uac=""
phones_answer uas_1 "$CALLS_XML/uas_answer.xml" "$(cl_callee_port 1)" 1000000
phones_answer uas_2 "$CALLS_XML/uas_answer.xml" "$(cl_callee_port 2)" 1000000
log "$CALLS calls at $RATE/s, a socket each; lb1 goes down after" \
	"$((CALLS / RATE / 2)) s"
t_load=$(date +%s.%N)
cl_calls_ecmp uac "$CALLS_XML/uac_caller_bye.xml" "$LIB_WORK/calls.csv" \
	"$CALLS" "$RATE" 5090
sleep $((CALLS / RATE / 2))
steered1=$(cl_steered 1)
probe=$(cl_probe_port)
log "lb1 down: links down, siplbd and mirror killed (SIGKILL)"
cl_balancer_down 1
cl_wait_moved "$probe"
t_conv=$CL_T_CONV
calls_rc=0
cl_load_end "$uac" "$uas_1" "$uas_2" || calls_rc=$?

# 3. The report.
t_down=$(python3 -c "print($CL_T_DOWN / 1e9)")
w_from=$(python3 -c "print($t_down - 1.5)")
w_to=$(python3 -c "print($t_conv / 1e9 + 1.0)")
times=$(cl_calltimes "$t_load" "$t_down" "$w_from" "$w_to")
echo
echo "Calls (a capture at the phones; the failover window runs from a call's"
echo "length before lb1 went down to a second after the router dropped it,"
echo "$(((t_conv - CL_T_DOWN) / 1000000)) ms after its links went down, at look $CL_LOOKS;" \
	"one look takes $CL_LOOK_MS ms):"
printf '  %-32s %9s %9s %7s %13s\n' phase attempted completed failed \
	retransmitted
printf '%s\n' "$times" | awk '$1 == "phase" {
	if ($2 == "before") name = "before the failover"
	else if ($2 == "during") name = "during (the window)"
	else name = "after (lb2 alone)"
	printf "  %-32s %9d %9d %7d %13d\n", name, $4, $6, $8, $10 }'
printf '%s\n' "$times" | awk '$1 == "spanning" {
	printf "  calls in progress when lb1 died: %d, of which completed: %d\n",
		$2, $4 }'
printf '%s\n' "$times" | grep '^failed' | head -n 5 | sed 's/^/  /'
if [ -s "$LIB_WORK/uac-5090.err" ]; then
	echo "  why they failed (sipp):"
	cl_sipp_reasons "$LIB_WORK/uac-5090.err" | head -n 3 | sed 's/^/    /'
fi
read -r created ok failed <<<"$(sipp_counts "$LIB_WORK/uac-5090.csv")"
echo "  sipp's own count: $created created, $ok successful, $failed failed;" \
	"lb1 had steered $steered1 packets before it died"
affinity=$(cl_affinity)
echo "  one worker per call (captures at the worker hosts):" \
	"$(printf '%s\n' "$affinity" | grep -c '^split ' || true) calls split" \
	"over $(printf '%s\n' "$affinity" | awk '$1 == "calls" { print $2 }')"

echo
echo "Where the REGISTERs landed (each node's registrar, before the failover):"
printf '  %-6s %10s %11s %9s %12s\n' node REGISTERs challenged "200 OK" \
	"auth failed"
for k in 1 2; do
	python3 - "$LIB_WORK/stats-lb$k.json" "lb$k" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])).get('daemon', {}).get('registrar', {})
print('  %-6s %10d %11d %9d %12d' % (sys.argv[2], r.get('requests', 0),
      r.get('challenged', 0), r.get('ok', 0), r.get('auth_failed', 0)))
EOF
done

echo
echo "Bindings: Redis (HKEYS siplb:b:AOR) against each live host's map"
echo "(bpftool -j map dump pinned PINDIR/siplb_location):"
dump=$(cl_dump_all)
printf '  %-6s %9s  %s\n' host bindings "equal to Redis"
printf '%s\n' "$dump" | awk '{ printf "  %-6s %9d  %s\n", $1, $2,
	$3 == "SAME" ? "yes" : $3 == "-" ? "" : "NO" }'
echo "  lb1: dead (its pinned maps stay as they were when it died)"
echo "  the first bindings, as Redis and every host hold them:"
head -n 3 "$LIB_WORK/bindings-redis.txt" | sed 's/^/    /'
echo "  one entry as bpftool prints it (w1):"
bpftool map dump pinned "$(nth 1 "$TB_WORKER_PINDIRS")/siplb_location" |
	awk '/^ *},{/ { print "    }]"; exit } { print "    " $0 }' | head -n 32

echo
echo "Replication lag (each mirror: from the change in Redis to its map):"
printf '  %-6s %10s %8s %8s\n' host median p99 max
for h in lb2 $(seq -f 'w%g' 1 "$TB_N"); do
	cl_mirror_stop "$h"
	read -r med p99 max <<<"$(cl_mirror_lag "$h")"
	printf '  %-6s %7s ms %5s ms %5s ms\n' "$h" "${med:-?}" "${p99:-?}" \
		"${max:-?}"
done
echo

during=$(printf '%s\n' "$times" | awk '$1 == "phase" && $2 == "during" { print $4 }')
failed_all=$(printf '%s\n' "$times" | awk '$1 == "phase" { n += $8 } END { print n + 0 }')
outside=$(printf '%s\n' "$times" | awk '$1 == "phase" && $2 != "during" { n += $8 } END { print n + 0 }')
rc=0
[ "$reg_rc" -eq 0 ] || { log "some registrations failed"; rc=1; }
if printf '%s\n' "$dump" | grep -q DIFFERENT; then
	log "a host's bindings differ from Redis's"
	rc=1
fi
if [ "$outside" -gt 0 ] || [ "$failed_all" -gt $((during + MARGIN)) ]; then
	log "calls failed outside the failover window ($outside) or more than" \
		"begun in it ($failed_all > $during + $MARGIN)"
	rc=1
fi
if printf '%s\n' "$affinity" | grep -q '^split '; then
	log "calls split over workers"
	rc=1
fi
[ "$calls_rc" -eq 0 ] || log "sipp reported failed calls (exit $calls_rc)"
[ "$rc" -eq 0 ] || { log "see the logs: SIPLB_KEEP_LOGS=1"; exit 1; }
log "done; removing the testbed"
