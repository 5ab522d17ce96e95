#!/bin/bash
# check.sh - what `make check` runs after building: every test program
# under prove, each speaking TAP, each one test program in prove's eyes:
#
#   c/test_NAME      build/tests/test_NAME (tests/test_NAME.c)
#   asan/test_NAME   the same built with ASan+UBSan (make asan)
#   e2e/NAME.sh      tests/e2e/NAME.sh, the namespace end-to-end tests
#   fuzz/TARGET      tests/fuzz/run.sh -t $FUZZ_TIME TARGET (make fuzz-build)
#
#   tests/check.sh [GROUP|NAME...]
#
# GROUP is c, asan, e2e or fuzz (default: all four); NAME is one program
# as named above (tests/check.sh c e2e/steer.sh).
#
# The fuzz runs go first, FUZZ_JOBS (2) at a time; everything else runs
# one at a time after them, the e2e tests because they are timing-
# sensitive. Each program is started through a one-line wrapper in a
# temporary directory, so that prove names it as above. The output ends
# with prove's summary ("Result: PASS" or "Result: FAIL") and one last
# line, "N passed, M failed" (", K skipped" when K > 0), counting test
# programs as prove judged them: a program that failed a test, exited
# non-zero, died of a signal or broke its plan is failed; one that
# skipped itself ("1..0 # SKIP ...") is skipped. Exits non-zero if any
# failed, or if none passed.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_JOBS=${FUZZ_JOBS:-2}

select=${*:-c asan e2e fuzz}
groups=""
for a in $select; do
	case ${a%%/*} in
	c | asan | e2e | fuzz) groups="$groups ${a%%/*}" ;;
	*) echo "usage: $0 [c|asan|e2e|fuzz|GROUP/NAME]..." >&2; exit 2 ;;
	esac
done

dir=$(mktemp -d /tmp/siplb-check.XXXXXX)
trap 'rm -rf "$dir"' EXIT

# wrap NAME [VAR=VALUE...] CMD...: a test program named NAME for prove,
# if selected (by its group or its name) and not there yet.
wrap() {
	local name=$1 a
	shift
	for a in $select; do
		[ "$a" = "${name%%/*}" ] || [ "$a" = "$name" ] && break
	done
	[ "$a" = "${name%%/*}" ] || [ "$a" = "$name" ] || return 0
	[ ! -e "$dir/$name" ] || return 0
	mkdir -p "$dir/${name%/*}"
	{
		echo '#!/bin/sh'
		printf 'cd %q || exit 1\n' "$ROOT"
		printf 'exec env'
		printf ' %q' "$@"
		echo
	} >"$dir/$name"
	chmod +x "$dir/$name"
	tests="$tests $name"
}

# The sources say what must exist: a test that did not build fails.
tests=""
for g in $groups; do
	case $g in
	c)
		for src in tests/test_*.c; do
			t=$(basename "$src" .c)
			wrap "c/$t" "build/tests/$t"
		done ;;
	asan)
		for src in tests/test_*.c; do
			t=$(basename "$src" .c)
			wrap "asan/$t" ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
				UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
				"build/asan/$t"
		done ;;
	e2e)
		for t in tests/e2e/*.sh; do
			[ -x "$t" ] && wrap "e2e/${t##*/}" "$t"
		done ;;
	fuzz)
		for src in tests/fuzz/fuzz_*.c; do
			t=$(basename "$src" .c)
			t=${t#fuzz_}
			wrap "fuzz/$t" tests/fuzz/run.sh -t "$FUZZ_TIME" "$t"
		done ;;
	esac
done

if [ -z "$tests" ]; then
	echo "check.sh: no test program matches: $select" >&2
	exit 2
fi

if [ "$(id -u)" -eq 0 ]; then
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
fi

# prove's own output, on our stdout and kept to be read below; the test
# programs' stderr goes straight through.
log=$dir/prove.out
# shellcheck disable=SC2086 # $tests: names without spaces
(cd "$dir" && prove --norc --nocolor -j"$FUZZ_JOBS" --rules='par=fuzz/*' \
	$tests) | tee "$log"
status=${PIPESTATUS[0]}

# The failed programs: those of the "Test Summary Report", one line each
# ("NAME (Wstat: ...)"); the skipped ones: "NAME ..... skipped: why".
total=$(sed -n 's/^Files=\([0-9]*\), Tests=.*/\1/p' "$log")
failed=$(sed -n 's/^\([^ ]*\)  *(Wstat: .*/\1/p' "$log" | sort -u)
skipped=$(sed -n 's/^\([^ ]*\) \.* skipped: .*/\1/p' "$log" | sort -u |
	comm -23 - <(printf '%s\n' "$failed" | sed '/^$/d'))
nfailed=$(printf '%s' "$failed" | grep -c .)
nskipped=$(printf '%s' "$skipped" | grep -c .)
if [ -z "$total" ]; then
	# prove did not finish: nothing it did not judge counts as passed.
	total=$(echo "$tests" | wc -w)
	nfailed=$((total - nskipped))
	status=1
fi
npassed=$((total - nfailed - nskipped))
[ "$npassed" -gt 0 ] || status=1
[ "$nfailed" -eq 0 ] || status=1

line="$npassed passed, $nfailed failed"
[ "$nskipped" -eq 0 ] || line="$line, $nskipped skipped"
echo "$line"
exit "$status"
