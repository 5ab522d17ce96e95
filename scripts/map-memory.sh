#!/bin/sh
# Print the kernel memory of each siplb map at its default size, as bpftool
# reports it (bytes_memlock), by loading the program once in a scratch
# network namespace with a scratch pin directory. Used for the table in
# docs/ARCHITECTURE.md.
set -eu
cd "$(dirname "$0")/.."

NS=siplb-mem-$$
PIN=/sys/fs/bpf/siplb-mem-$$
cleanup() {
	ip -n "$NS" link set dev mem0 xdp off 2>/dev/null || true
	build/siplbctl -P "$PIN" unpin 2>/dev/null || true
	rmdir "$PIN" 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip netns add "$NS"
ip -n "$NS" link add mem0 type veth peer name mem1
ip -n "$NS" link set mem0 up
nsenter --net=/run/netns/"$NS" build/siplbctl -P "$PIN" attach mem0 \
	>/dev/null 2>&1

printf '%-16s %-14s %5s %6s %10s %12s\n' map type key value entries memlock
for m in "$PIN"/*; do
	bpftool -j map show pinned "$m"
	echo
done | python3 -c '
import json, sys
def human(n):
    return "%9.1f MiB" % (n / 1048576) if n >= 1048576 else "%9.1f KiB" % (n / 1024)
total = 0
for line in sys.stdin:
    if not line.strip():
        continue
    d = json.loads(line)
    total += d["bytes_memlock"]
    print("%-16s %-14s %5d %6d %10d %s" % (d["name"], d["type"],
          d["bytes_key"], d["bytes_value"], d["max_entries"],
          human(d["bytes_memlock"])))
print("%-16s %55s" % ("total", human(total)))'
