#!/bin/bash
# shellcheck disable=SC2015 # pass returns 0: `A && pass ... || fail ...` is an if
# man.sh - the manual pages (docs/man/) against the programs they describe:
#
#   1. `mandoc -T lint -W warning` says nothing about any page (STYLE
#      notes are left out: "referenced manual not found" depends on which
#      pages the machine has installed, ours included).
#   2. Every page has FILES, EXIT STATUS and EXAMPLES sections.
#   3. siplb.conf(5) has an `.It Ic KEYWORD` entry for every directive
#      the parser knows (`siplbd --list-directives`, from config.c's
#      table); siplbctl(8) an `.It Cm VERB` entry for every command
#      `siplbctl --help` lists (its cmds[] table); each program's page an
#      `.It` entry with `Fl X` for every option its --help shows.
#   4. The check can fail: a copy of siplb.conf(5) without the entry of
#      one directive, and of siplbctl(8) without one verb, are caught.
# Needs no namespace; root only because lib.sh's tests run as root.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
lib_init man

MAN=$ROOT/docs/man
BUILD=${SIPLB_BUILD:-$ROOT/build}
command -v mandoc >/dev/null || die "mandoc not found: run scripts/deps.sh"
for p in siplbd siplb-worker siplbctl siplb-mirror; do
	[ -x "$BUILD/$p" ] || die "$BUILD/$p not found: run 'make' first"
done

# ---- 1, 2: lint and sections ---------------------------------------------

for page in siplbd.8 siplb-worker.8 siplbctl.8 siplb-mirror.8 siplb.conf.5; do
	out=$(mandoc -T lint -W warning "$MAN/$page" 2>&1) || true
	[ -z "$out" ] && pass "$page: mandoc -T lint -W warning clean" ||
		fail "$page: mandoc -T lint: $out"
	missing=""
	for sh in FILES "EXIT STATUS" EXAMPLES; do
		grep -qx "\.Sh $sh" "$MAN/$page" || missing="$missing '$sh'"
	done
	[ -z "$missing" ] && pass "$page: FILES, EXIT STATUS and EXAMPLES" ||
		fail "$page: no section$missing"
done

# ---- 3: every directive, verb and option ---------------------------------

# missing PAGE MACRO WORD...: the WORDs with no `.It ... MACRO WORD` line.
missing() {
	local page=$1 macro=$2 word out=""
	shift 2
	for word in "$@"; do
		grep -Eq "^\.It( .*)? $macro ${word//./\\.}( |$)" "$page" ||
			out="$out $word"
	done
	printf '%s' "${out# }"
}

# options PROGRAM: the options its --help shows, as mdoc writes them after
# Fl (-c -> c, --help -> -help).
options() {
	"$BUILD/$1" --help |
		grep -oE '(^|[][ (,|])(-[A-Za-z]|--[a-z][a-z-]*[a-z])\b' |
		sed 's/^[][ (,|]//; s/^-//' | sort -u
}

mapfile -t directives < <("$BUILD/siplbd" --list-directives)
[ "${#directives[@]}" -gt 40 ] ||
	die "siplbd --list-directives listed ${#directives[@]} directives"
out=$(missing "$MAN/siplb.conf.5" Ic "${directives[@]}")
[ -z "$out" ] &&
	pass "siplb.conf(5) describes all ${#directives[@]} directives" ||
	fail "siplb.conf(5) lacks directives: $out"

mapfile -t verbs < <("$BUILD/siplbctl" --help |
	awk '/^commands/ { c = 1; next } c && /^  [a-z]/ { print $1 }' | sort -u)
[ "${#verbs[@]}" -gt 10 ] || die "siplbctl --help listed ${#verbs[@]} commands"
out=$(missing "$MAN/siplbctl.8" Cm "${verbs[@]}")
[ -z "$out" ] && pass "siplbctl(8) describes all ${#verbs[@]} commands" ||
	fail "siplbctl(8) lacks commands: $out"

for p in siplbd siplb-worker siplbctl siplb-mirror; do
	mapfile -t opts < <(options "$p")
	[ "${#opts[@]}" -gt 3 ] || die "$p --help showed ${#opts[@]} options"
	out=$(missing "$MAN/$p.8" Fl "${opts[@]}")
	[ -z "$out" ] &&
		pass "$p(8) describes all ${#opts[@]} options of --help" ||
		fail "$p(8) lacks options: -${out// / -}"
done

# ---- 4: the check can fail -----------------------------------------------

grep -v '^\.It Ic ring-timeout ' "$MAN/siplb.conf.5" >"$LIB_WORK/siplb.conf.5"
out=$(missing "$LIB_WORK/siplb.conf.5" Ic "${directives[@]}")
[ "$out" = ring-timeout ] &&
	pass "a page without ring-timeout's entry is caught" ||
	fail "the directive check missed a removed entry: '$out'"
grep -v '^\.It Cm unpin$' "$MAN/siplbctl.8" >"$LIB_WORK/siplbctl.8"
out=$(missing "$LIB_WORK/siplbctl.8" Cm "${verbs[@]}")
[ "$out" = unpin ] && pass "a page without unpin's entry is caught" ||
	fail "the verb check missed a removed entry: '$out'"
