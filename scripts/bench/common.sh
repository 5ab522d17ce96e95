# shellcheck shell=bash
# common.sh - what the scenario scripts of scripts/bench/run.sh share, on top
# of scripts/lib.sh (testbed, siplbctl, siplbd, process bookkeeping):
# CPU snapshots, XDP program run time, Kamailio start/stop, sipp steps,
# and the rows of the results file. Sourced after lib.sh:
#
#   . "$ROOT/scripts/lib.sh"; . "$ROOT/scripts/bench/common.sh"
#   bench_init s1_steer       # lib_init + BENCH_OUT/results rows
#
# Knobs (environment, set by run.sh): BENCH_OUT (results folder),
# BENCH_SECS (seconds per step).

BENCH_DIR=$LIB_ROOT/scripts/bench
BENCHLIB_PY=$BENCH_DIR/benchlib.py
BENCH_SECS=${BENCH_SECS:-10}
BENCH_OUT=${BENCH_OUT:-}
BENCH_ROWS=""
KAM_PID=""

# bench_init NAME HEADER: lib_init NAME, and BENCH_ROWS=BENCH_OUT/NAME.tsv
# starting with the tab-separated HEADER (one word per column).
bench_init() {
	local name=$1 header=$2
	lib_init "$name"
	# XDP run times need it; run.sh turns it on for the run and back off.
	[ "$(sysctl -n kernel.bpf_stats_enabled)" = 1 ] ||
		die "kernel.bpf_stats_enabled is 0: run scripts/bench/run.sh, or set it first"
	[ -n "$BENCH_OUT" ] || BENCH_OUT=$LIB_WORK/out
	mkdir -p "$BENCH_OUT/raw/$name" || die "cannot create $BENCH_OUT/raw/$name"
	BENCH_RAW=$BENCH_OUT/raw/$name
	BENCH_ROWS=$BENCH_OUT/$name.tsv
	printf '%s\n' "$header" | tr ' ' '\t' >"$BENCH_ROWS"
}

# benchlib ARGS...: the measuring helpers (benchlib.py).
benchlib() {
	python3 "$BENCHLIB_PY" "$@"
}

# row WORDS...: one line of the results file.
row() {
	local IFS=$'\t'
	printf '%s\n' "$*" >>"$BENCH_ROWS"
}

# bench_namespaces: every namespace of the testbed.
bench_namespaces() {
	echo "$TB_NS_CLIENT $TB_NS_LB $TB_NS_BACKENDS"
}

# snap FILE: CPU ticks of every process in the testbed and of ksoftirqd.
snap() {
	# shellcheck disable=SC2046 # the list of namespaces
	benchlib snap $(bench_namespaces) >"$1" || die "CPU snapshot failed"
}

# cpu_between A B [WHO...]: CPU seconds between two snapshots, of every
# process in them, or only of those WHO names: a namespace, "ksoftirqd",
# comm:NAME (the processes called NAME) or pid:PID (that process).
cpu_between() {
	benchlib cpu "$@"
}

# xdp_ids DEV...: ids of the XDP programs attached to the balancer's DEVs.
xdp_ids() {
	benchlib progs "$TB_NS_LB" "$@"
}

# xdp_stat ID...: "run_time_ns run_cnt" summed over the programs ("0 0"
# for none). Needs kernel.bpf_stats_enabled=1 (run.sh sets it).
xdp_stat() {
	[ $# -gt 0 ] || { echo "0 0"; return; }
	benchlib bpfstat "$@"
}

# --- profiles (BENCH_PROFILE=1) ----------------------------------------------

# profile_pids NS COMM: the PIDs of the processes called COMM in NS, comma
# separated (perf record -p).
profile_pids() {
	ip netns pids "$1" | while read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && echo "$p"
	done | paste -sd, -
}

# profile_start NAME SECS TARGET...: perf record (999 Hz) of TARGET ("-p
# PIDS", or "-a" for the whole machine) for SECS seconds, in the
# background; profile_finish NAME SORT [REPORT-ARGS...] waits for it and
# writes the top of `perf report` to $BENCH_OUT/profile-NAME.txt.
PROF_PID=""
profile_start() {
	local name=$1 secs=$2
	shift 2
	lib_bg PROF_PID perf record -F 999 -o "$BENCH_RAW/$name.perf" "$@" \
		-- sleep "$secs" >"$BENCH_RAW/$name.perf.log" 2>&1
}

profile_finish() {
	local name=$1 sort=$2
	shift 2
	lib_stop "$PROF_PID" NONE 30 || true
	PROF_PID=""
	{
		echo "# perf record -F 999, $(tail -n 1 "$BENCH_RAW/$name.perf.log")"
		perf report -i "$BENCH_RAW/$name.perf" --stdio --no-children \
			--sort "$sort" --percent-limit 0.8 "$@" 2>/dev/null |
			grep -v '^#' | grep . | head -n 40
	} >"$BENCH_OUT/profile-$name.txt"
	rm -f "$BENCH_RAW/$name.perf" "$BENCH_RAW/$name.perf.old"
}

# --- Kamailio -------------------------------------------------------------------

# kam_start TEMPLATE KEY=VALUE...: the Kamailio config TEMPLATE with every
# @KEY@ replaced, run in the balancer namespace (shared memory
# BENCH_KAM_SHM MiB, default 1024: tm at a few thousand calls/s needs more
# than the default; memory manager BENCH_KAM_MEM, default tlsf: Kamailio's
# default, qm, is its debugging allocator and took half of its CPU time in
# a profile of the dispatcher here). Waits until it listens on LISTEN (udp:ADDR:PORT, one
# of the KEY=VALUEs). Sets KAM_PID.
kam_start() {
	local tmpl=$1 cfg kv i listen=""
	shift
	cfg=$LIB_WORK/$(basename "$tmpl")
	cp "$tmpl" "$cfg"
	for kv in "$@"; do
		[ "${kv%%=*}" = LISTEN ] && listen=${kv#*=udp:}
		# '|' never appears in the values (addresses, paths, numbers).
		sed -i "s|@${kv%%=*}@|${kv#*=}|g" "$cfg"
	done
	grep -q '@[A-Z]*@' "$cfg" && die "unfilled placeholders in $cfg: $(grep -o '@[A-Z]*@' "$cfg" | sort -u | tr '\n' ' ')"
	mkdir -p "$LIB_WORK/kamrun"
	kamailio -c -f "$cfg" >"$LIB_WORK/kamailio-check.log" 2>&1 ||
		die "kamailio -c refuses $cfg: $(tail -n 5 "$LIB_WORK/kamailio-check.log")"
	# -DD: stay in the foreground (its children still fork), so that the
	# PID we hold is Kamailio's main process, which ends its children.
	lib_bg KAM_PID ip netns exec "$TB_NS_LB" kamailio -DD -E -f "$cfg" \
		-m "${BENCH_KAM_SHM:-1024}" -M 16 -x "${BENCH_KAM_MEM:-tlsf}" \
		-Y "$LIB_WORK/kamrun" \
		-P "$LIB_WORK/kamrun/kamailio.pid" \
		>>"$BENCH_RAW/kamailio.log" 2>&1 </dev/null
	for i in $(seq 1 100); do
		kill -0 "$KAM_PID" 2>/dev/null ||
			die "kamailio exited: $(tail -n 10 "$BENCH_RAW/kamailio.log")"
		ip netns exec "$TB_NS_LB" ss -Hlun src "$listen" |
			grep -q . && return 0
		sleep 0.1
	done
	die "kamailio does not listen on $listen: $(tail -n 10 "$BENCH_RAW/kamailio.log")"
}

kam_stop() {
	[ -n "$KAM_PID" ] || return 0
	lib_stop "$KAM_PID" TERM 10 || true
	KAM_PID=""
}

# kam_procs: how many Kamailio processes run (all of them are billed).
kam_procs() {
	ip netns pids "$TB_NS_LB" | while read -r p; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = kamailio ] && echo "$p"
	done | wc -l
}

# users_all DIR REALM N PREFIX: the same N users (PREFIX00001..), each with
# a random password, three ways: siplbd's users file DIR/users.htdigest
# (user:realm:MD5-HA1:SHA-256=HEX), Kamailio's db_text tables in DIR/kamdb/
# (`htable`: key the user, value the HA1; and `version`), and sipp's -inf
# list DIR/users.csv (user;password;domain;expires).
users_all() {
	mkdir -p "$1/kamdb"
	cp /usr/share/kamailio/dbtext/kamailio/version "$1/kamdb/version" ||
		die "no db_text schema in /usr/share/kamailio/dbtext (package kamailio)"
	python3 - "$@" <<'EOF' || die "could not write the users"
import hashlib, secrets, sys
work, realm, n, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with open(work + '/users.htdigest', 'w') as h, \
     open(work + '/users.csv', 'w') as c, \
     open(work + '/kamdb/htable', 'w') as t:
    c.write('SEQUENTIAL\n')
    t.write('id(int,auto) key_name(string) key_type(int) value_type(int) '
            'key_value(string) expires(int)\n')
    for i in range(1, n + 1):
        user = '%s%05d' % (prefix, i)
        pw = secrets.token_hex(8)
        a1 = ('%s:%s:%s' % (user, realm, pw)).encode()
        md5 = hashlib.md5(a1).hexdigest()
        h.write('%s:%s:%s:SHA-256=%s\n' % (user, realm, md5,
                                             hashlib.sha256(a1).hexdigest()))
        c.write('%s;%s;%s;3600\n' % (user, pw, realm))
        # key type 0 (a plain key), value type 0 (a string), no expiry.
        t.write('%d:%s:0:0:%s:0\n' % (i, user, md5))
EOF
}

# --- sipp ---------------------------------------------------------------------

# sipp_step NAME CALLS RATE ARGS...: sipp in the client namespace, CALLS
# at RATE/s, under benchlib run (its CPU in $BENCH_RAW/NAME.cpu), with
# statistics in $BENCH_RAW/NAME.csv. Prints "created ok failed retrans
# elapsed rtt_ms". Bounded: -timeout and an outer timeout.
sipp_step() {
	local name=$1 calls=$2 rate=$3 secs rc=0
	shift 3
	secs=$((calls / rate + 20))
	rm -f "$BENCH_RAW/$name.csv"
	ip netns exec "$TB_NS_CLIENT" python3 "$BENCHLIB_PY" run "$BENCH_RAW/$name.cpu" \
		timeout -s INT -k 10 $((secs + 15)) \
		sipp "$@" -m "$calls" -r "$rate" -rp 1000 -nostdin \
		-buff_size 4194304 -recv_timeout 15s -timeout "${secs}s" \
		-trace_stat -stf "$BENCH_RAW/$name.csv" -fd 1 \
		-trace_err -error_file "$BENCH_RAW/$name.err" \
		>"$BENCH_RAW/$name.out" 2>&1 || rc=$?
	[ -s "$BENCH_RAW/$name.csv" ] ||
		die "$name: sipp left no statistics (exit $rc): $(tail -n 5 "$BENCH_RAW/$name.out")"
	benchlib sipp "$BENCH_RAW/$name.csv"
}

# uas_plain_start: a sipp UAS (scripts/bench/sipp/uas.xml: the built-in
# one without its 180; -aa answers OPTIONS) on every backend, without
# message traces (they would cost more than the calls).
uas_plain_start() {
	local i ns ip pid
	UAS_PIDS=""
	for i in $(seq 1 "$TB_N"); do
		ns=$(nth "$i" "$TB_NS_BACKENDS")
		ip=$(nth "$i" "$BACKEND_IPS")
		lib_bg pid ip netns exec "$ns" sipp -sf "$BENCH_DIR/sipp/uas.xml" -i "$ip" \
			-p "$TB_SIP_PORT" -nostdin -buff_size 4194304 -aa \
			>"$BENCH_RAW/uas$i.out" 2>&1
		UAS_PIDS="$UAS_PIDS $pid"
	done
	for i in $(seq 1 "$TB_N"); do
		wait_udp_port "$(nth "$i" "$TB_NS_BACKENDS")" "$TB_SIP_PORT"
	done
}
