// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_scan.bpf.c - the SIP scan alone, for the XDP benchmark
 * (scripts/bench/bench_xdp.c): what finding and hashing the Call-ID costs
 * in BPF, next to what the same work costs in native C.
 *
 * For an Ethernet/IPv4/UDP frame it copies the UDP payload into a per-CPU
 * buffer, runs the stages of sip_scan.bpf.h that siplb runs (classify,
 * start line, Call-ID name, value) and hashes the value with the same
 * sip_hash_callid(). Nothing else: no VIP lookup, no affinity, no rewrite,
 * no FIB. The frame is never written, so BPF_PROG_TEST_RUN can repeat it.
 *
 * XDP_PASS when a Call-ID was hashed, XDP_DROP when the scan ended without
 * one (or the frame is not IPv4/UDP), so that a benchmark of the wrong path
 * is visible; the hash or the counter is left in bench_outcome for the
 * benchmark to compare with what it expects.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Only the scan and its buffer: none of the product's pinned maps. */
#include "scratch.bpf.h"
#include "sip_scan.bpf.h"

/* 0 -> struct scratch (per CPU): this program's own copy of the payload */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} bench_scratch SEC(".maps");

/* The SipHash key: the benchmark sets it before load. The only .rodata. */
const volatile __u64 bench_hash_key[2];

/* What the last run found: the Call-ID's hash, or the counter (enum
 * siplb_stat) that ended the scan. The benchmark checks it; the only .bss. */
__u64 bench_outcome;

/* The UDP payload of an untagged IPv4 frame: offset and length, or -1. */
static __always_inline int udp_payload(struct xdp_md *ctx, __u32 *len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct udphdr *udp;
	__u32 udp_len;

	if ((void *)(eth + 1) > data_end ||
	    eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP ||
	    ip->ihl < 5)
		return -1;
	udp = (void *)ip + ip->ihl * 4;
	if ((void *)(udp + 1) > data_end)
		return -1;
	udp_len = bpf_ntohs(udp->len);
	if (udp_len < sizeof(*udp) || (void *)udp + udp_len > data_end)
		return -1;
	*len = udp_len - sizeof(*udp);
	return (void *)(udp + 1) - data;
}

SEC("xdp")
int bench_scan(struct xdp_md *ctx)
{
	struct sip_scan scan = {};
	struct scratch *s;
	__u32 zero = 0, len = 0;
	bool window_cut;
	int off, err;

	off = udp_payload(ctx, &len);
	if (off < 0 || len == 0) {
		bench_outcome = SIPLB_STAT_PASS_UNPARSED;
		return XDP_DROP;
	}
	s = bpf_map_lookup_elem(&bench_scratch, &zero);
	if (!s)
		return XDP_ABORTED;
	/* The copy, the clamp and the zeroed word, as siplb does them. */
	window_cut = len > SIPLB_SCAN_MAX;
	if (window_cut)
		len = SIPLB_SCAN_MAX;
	if (bpf_xdp_load_bytes(ctx, off, s->buf, len))
		return XDP_ABORTED;
	*(__u64 *)&s->buf[len] = 0;

	err = sip_scan(s, len, window_cut, &scan);
	if (err) {
		bench_outcome = err;
		return XDP_DROP;
	}
	bench_outcome = sip_hash_callid(s, scan.callid_off, scan.callid_len,
					bench_hash_key[0], bench_hash_key[1]);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
