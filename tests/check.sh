#!/bin/bash
# check.sh - what `make check` runs after building: every test program and
# end-to-end script (tests/run-all.sh), the C tests under ASan+UBSan
# (make asan) and a short run of each fuzz target (make fuzz). Each stage
# prints one "=== NAME: PASS" or "=== NAME: FAIL" line per test program;
# this script counts them and closes with one line, "check: N passed,
# M failed", so that CI can tell how many tests ran. Exits non-zero if any
# stage failed, or if no test ran at all.
set -u
cd "$(dirname "$0")/.."

log=$(mktemp /tmp/siplb-check.XXXXXX)
trap 'rm -f "$log"' EXIT

status=0
stage() {
	"$@" 2>&1 | tee -a "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}

stage tests/run-all.sh
stage make --no-print-directory asan
stage make --no-print-directory fuzz

passed=$(grep -c '^=== .*: PASS$' "$log")
failed=$(grep -c '^=== .*: FAIL$' "$log")
# A stage that failed before it ran a test (a build error) counts too.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	failed=1
fi
[ "$passed" -gt 0 ] || status=1
echo "check: $passed passed, $failed failed"
exit "$status"
