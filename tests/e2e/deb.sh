#!/bin/bash
# shellcheck disable=SC2015 # pass returns 0: `A && pass ... || fail ...` is an if
# deb.sh - the Debian package (debian/) and `make install`/`uninstall`:
#
#   1. `dpkg-buildpackage -us -uc -b` builds siplb_VERSION_ARCH.deb from a
#      copy of the tree (the checkout stays clean; everything goes under a
#      temporary directory), building no test; debian/changelog's version
#      is SIPLB_VERSION (user/lib/cli.h).
#   2. The package holds the three programs, the BPF object, the units,
#      the four manual pages and /etc/siplb/siplb.conf and users.htdigest
#      as conffiles (the users file readable by root only).
#   3. `dpkg --root` installs it into a fresh, empty root (maintainer
#      scripts run chrootless with DPKG_ROOT, so nothing of this machine
#      changes); the installed siplbd reports SIPLB_VERSION and `siplbd -n`
#      accepts the installed configuration as shipped; a purge removes
#      every file again, conffiles included.
#   4. lintian reports no error (its warnings and notes are printed).
#   5. `make install DESTDIR=...` then `make uninstall DESTDIR=...` leave
#      only /etc/siplb behind.
# Knob: SIPLB_DEB_TIMEOUT (300 s for the package build).
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
lib_tap
lib_init deb

for tool in dpkg-buildpackage dh lintian fakeroot; do
	command -v "$tool" >/dev/null ||
		die "$tool not found: run scripts/deps.sh (debhelper, dpkg-dev, lintian, fakeroot)"
done
version=$(sed -n 's/^#define SIPLB_VERSION[[:space:]]*"\(.*\)"$/\1/p' \
	"$ROOT/user/lib/cli.h")
[ -n "$version" ] || die "no SIPLB_VERSION in user/lib/cli.h"
arch=$(dpkg --print-architecture)

# ---- 1. build --------------------------------------------------------------

src=$LIB_WORK/siplb
mkdir -p "$src"
# The tree as committed plus what is not ignored; never build/.
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$ROOT" && git ls-files -co --exclude-standard -z |
		grep -zv '^build/' | tar --null -cf - -T -) | tar -xf - -C "$src"
else
	tar -C "$ROOT" --exclude=./build -cf - . | tar -xf - -C "$src"
fi
changelog=$(cd "$src" && dpkg-parsechangelog -S Version)
[ "$changelog" = "$version" ] &&
	pass "debian/changelog's version is SIPLB_VERSION ($version)" ||
	fail "debian/changelog says $changelog, user/lib/cli.h $version"

start=$(date +%s)
if (cd "$src" && timeout "${SIPLB_DEB_TIMEOUT:-300}" \
	dpkg-buildpackage -us -uc -b) >"$LIB_WORK/build.log" 2>&1; then
	pass "dpkg-buildpackage -us -uc -b built the package in $(($(date +%s) - start)) s"
else
	tail -n 30 "$LIB_WORK/build.log" >&2
	die "dpkg-buildpackage failed (log above)"
fi
deb=$LIB_WORK/siplb_${version}_$arch.deb
[ -f "$deb" ] || die "no $deb after the build: $(ls "$LIB_WORK")"
if [ -e "$src/build/tests" ]; then
	fail "the package build built tests: $(find "$src/build/tests" | head -3)"
else
	pass "the package build (make programs, make install) built no test"
fi

# ---- 2. contents -----------------------------------------------------------

dpkg-deb -c "$deb" | awk '{ print $1, substr($6, 2) }' >"$LIB_WORK/contents"
missing=""
for f in /usr/sbin/siplbd /usr/sbin/siplb-worker /usr/sbin/siplbctl \
	/usr/sbin/siplb-mirror \
	/usr/lib/siplb/siplb.bpf.o /lib/systemd/system/siplbd.service \
	/lib/systemd/system/siplb-worker@.service \
	/usr/share/man/man8/siplbd.8.gz /usr/share/man/man8/siplb-worker.8.gz \
	/usr/share/man/man8/siplbctl.8.gz /usr/share/man/man5/siplb.conf.5.gz \
	/usr/share/man/man8/siplb-mirror.8.gz \
	/etc/siplb/siplb.conf /etc/siplb/users.htdigest; do
	grep -q " $f\$" "$LIB_WORK/contents" || missing="$missing $f"
done
[ -z "$missing" ] &&
	pass "the package holds the programs, BPF object, units, man pages, config" ||
	fail "missing from the package:$missing"
grep -q '^-rw------- /etc/siplb/users.htdigest$' "$LIB_WORK/contents" &&
	pass "users.htdigest is 0600" ||
	fail "users.htdigest: $(grep users.htdigest "$LIB_WORK/contents")"
mkdir "$LIB_WORK/control"
dpkg-deb -e "$deb" "$LIB_WORK/control"
if [ "$(sort "$LIB_WORK/control/conffiles")" = \
	"$(printf '/etc/siplb/siplb.conf\n/etc/siplb/users.htdigest')" ]; then
	pass "conffiles: /etc/siplb/siplb.conf and users.htdigest"
else
	fail "conffiles: $(cat "$LIB_WORK/control/conffiles")"
fi

# ---- 3. install into a fresh root ----------------------------------------

R=$LIB_WORK/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: >"$R/var/lib/dpkg/status"
: >"$R/var/lib/dpkg/available"
# The libraries are this machine's: the empty root has no packages.
if dpkg --root="$R" --force-script-chrootless --force-depends -i "$deb" \
	>"$LIB_WORK/install.log" 2>&1; then
	pass "dpkg --root installed the package into an empty root"
else
	die "dpkg --root -i failed: $(tail -n 10 "$LIB_WORK/install.log")"
fi
status=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status} ${Version}' siplb)
[ "$status" = "install ok installed $version" ] &&
	pass "dpkg: siplb $version install ok installed" ||
	fail "dpkg-query says: $status"
out=$("$R/usr/sbin/siplbd" --version)
[ "$out" = "siplbd (siplb) $version" ] &&
	pass "the installed siplbd --version: $out" ||
	fail "the installed siplbd --version: $out"
# The package ships no user (no default credentials): -n says nobody could
# register until the operator adds one, as the README's install steps do.
if out=$("$R/usr/sbin/siplbd" -n -c "$R/etc/siplb/siplb.conf" 2>&1); then
	fail "siplbd -n accepts a configuration with no user: $out"
else
	case $out in
	*"no user of realm"*) pass "with no user yet, siplbd -n says so: $out" ;;
	*) fail "siplbd -n refuses the shipped configuration for another reason: $out" ;;
	esac
fi
echo 's3cret-for-the-test' |
	"$R/usr/sbin/siplbctl" passwd alice example.com >>"$R/etc/siplb/users.htdigest"
if out=$("$R/usr/sbin/siplbd" -n -c "$R/etc/siplb/siplb.conf" 2>&1); then
	pass "after siplbctl passwd adds a user, siplbd -n accepts the shipped configuration: $out"
else
	fail "siplbd -n refuses the shipped configuration with a user: $out"
fi
if dpkg --root="$R" --force-script-chrootless --purge siplb \
	>"$LIB_WORK/purge.log" 2>&1; then
	left=$(cd "$R" && find . -path ./var -prune -o ! -type d -print)
	[ -z "$left" ] && pass "dpkg --purge removed every file, conffiles too" ||
		fail "left after the purge: $left"
else
	fail "dpkg --purge failed: $(tail -n 10 "$LIB_WORK/purge.log")"
fi

# ---- 4. lintian ------------------------------------------------------------

lintian -I --no-tag-display-limit "$deb" >"$LIB_WORK/lintian.out" 2>&1 || true
sed -n '/^[EWIP]: /p' "$LIB_WORK/lintian.out" | while read -r line; do
	log "lintian: $line"
done
errors=$(grep -c '^E: ' "$LIB_WORK/lintian.out" || true)
[ "$errors" = 0 ] && pass "lintian: no error" ||
	fail "lintian: $errors error(s): $(grep '^E: ' "$LIB_WORK/lintian.out")"

# ---- 5. make install / uninstall -------------------------------------------

stage=$LIB_WORK/stage
if make -C "$src" install DESTDIR="$stage" PREFIX=/usr \
	>"$LIB_WORK/make-install.log" 2>&1; then
	# 4 programs (siplbd, siplb-worker, siplbctl, siplb-mirror), the
	# object, 5 man pages, 2 units, the example, siplb.conf, users.
	n=$(find "$stage" -type f | wc -l)
	[ "$n" -eq 15 ] && pass "make install: 15 files" ||
		fail "make install: $n files: $(cd "$stage" && find . -type f)"
else
	fail "make install failed: $(tail -n 5 "$LIB_WORK/make-install.log")"
fi
make -C "$src" uninstall DESTDIR="$stage" PREFIX=/usr \
	>"$LIB_WORK/make-uninstall.log" 2>&1 || true
left=$(cd "$stage" && find . ! -type d | sort | tr '\n' ' ')
[ "$left" = "./etc/siplb/siplb.conf ./etc/siplb/users.htdigest " ] &&
	pass "make uninstall leaves only /etc/siplb" ||
	fail "left after make uninstall: $left"
