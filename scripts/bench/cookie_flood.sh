#!/bin/bash
# cookie_flood.sh - figures for SIP cookies (bpf/cookie.bpf.h): siplbd's
# CPU while a REGISTER flood from 65,536 forged sources is answered in XDP
# and phones register through it, and what the answers cost in XDP.
#
# Runs tests/e2e/cookie.sh (which checks 0 registrations lost and that
# the flood never reaches siplbd) BENCH_COOKIE_ROUNDS times, each with
# xdp-challenge on and then off (SIPLB_COOKIE_XDP=off: siplbd answers the
# flood, as before SIP cookies), with
# kernel.bpf_stats_enabled on (set back as it was), and prints, per flood
# kind (live: the in-kernel generator, skipped where the kernel refuses
# live frames; sendmmsg: sipflood, one thread), one line per round and the
# medians: REGISTERs offered per second, answered by XDP per second,
# siplbd's CPU in % of one core (utime+stime from /proc over the flood),
# legitimate registrations that succeeded, and the XDP run time per packet
# on the client-facing port (siplb_xdp with the tail-called challenge
# program, bpf_stats). Knobs: BENCH_COOKIE_ROUNDS (3),
# BENCH_COOKIE_SECS (20), BENCH_COOKIE_USERS (300), BENCH_COOKIE_RATE
# (sipflood's target, 200000/s).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROUNDS=${BENCH_COOKIE_ROUNDS:-3}
OUT=$(mktemp -d /tmp/siplb-cookie-bench.XXXXXX)
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS" || true; rm -rf "$OUT"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# Each round runs with xdp-challenge on, then off (the same flood reaching
# siplbd: what SIP cookies save), so both see the same machine load.
for r in $(seq 1 "$ROUNDS"); do
	for mode in on off; do
		SIPLB_COOKIE_XDP=$mode SIPLB_COOKIE_FIGURES=$OUT/round$r-$mode \
			SIPLB_COOKIE_FLOOD_SECS=${BENCH_COOKIE_SECS:-20} \
			SIPLB_COOKIE_USERS=${BENCH_COOKIE_USERS:-300} \
			SIPLB_COOKIE_FLOOD_RATE=${BENCH_COOKIE_RATE:-200000} \
			"$ROOT/tests/e2e/cookie.sh" >"$OUT/round$r-$mode.tap" 2>&1 || {
			echo "cookie_flood: round $r ($mode) failed:" >&2
			grep -v '^ok' "$OUT/round$r-$mode.tap" | tail -n 20 >&2
			exit 1
		}
		cat "$OUT/round$r-$mode" >>"$OUT/round$r"
	done
done

echo "cookie_flood: $ROUNDS rounds, $(nproc) CPUs (shared with other work)"
python3 - "$OUT" "$ROUNDS" <<'EOF'
import statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
rows = {}
for r in range(1, rounds + 1):
    for line in open('%s/round%d' % (out, r)):
        w = line.split()
        kind, kv = w[0], dict(zip(w[1::2], w[2::2]))
        secs = float(kv['secs'])
        # With xdp-challenge off nothing is answered in XDP: 0, not the
        # difference the test prints (minus the legitimate challenges).
        answered = max(0.0, float(kv['answered']))
        rows.setdefault(kind, []).append({
            'offered/s': float(kv['offered']) / secs,
            'answered/s': answered / secs,
            'siplbd %core': float(kv['siplbd_cpu_pct']),
            'legit ok': '%s/%s' % (kv['legit_ok'], kv['legit_total']),
            'xdp ns': float(kv['xdp_ns']),
        })
cols = ['offered/s', 'answered/s', 'siplbd %core', 'legit ok', 'xdp ns']
for kind, rs in rows.items():
    print('%-16s %s' % (kind, '  '.join('%12s' % c for c in cols)))
    for i, r in enumerate(rs, 1):
        print('%-16s %s' % ('round %d' % i, '  '.join(
            '%12s' % (r[c] if isinstance(r[c], str) else '%.2f' % r[c])
            for c in cols)))
    med = ['%12.2f' % statistics.median(r[c] for r in rs)
           if c != 'legit ok' else '%12s' % ' '.join(r[c] for r in rs)
           for c in cols]
    print('%-16s %s' % ('median', '  '.join(med)))
for k in ('live-xdp-on', 'live-xdp-off'):
    if k not in rows:
        print('%s: not run here (live frames refused by this kernel?)' % k)
EOF
