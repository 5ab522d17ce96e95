#!/bin/sh
# Install every Debian package siplb needs to build, test and demo.
# Idempotent: packages already present are skipped, so running it again
# (as `make demo` and `make check` both do) costs one dpkg query.
set -eu

PACKAGES="
	make gcc clang llvm libclang-rt-14-dev libc6-dev pkg-config valgrind
	libbpf-dev libelf-dev zlib1g-dev bpftool
	libssl-dev libsystemd-dev libhiredis-dev redis-server
	mandoc systemd debhelper dpkg-dev fakeroot lintian
	libmicrohttpd-dev prometheus xdp-tools curl
	iproute2 iputils-ping ethtool tcpdump nftables sip-tester python3 time
	perl tshark
	sipvicious sipsak
	baresip-core linphone-cli
"

missing=""
for pkg in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing; run as root to install them" >&2
	exit 1
fi

echo "deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -qq --no-install-recommends $missing
