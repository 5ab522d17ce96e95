// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pps_gen.bpf.c - the packet generator of scripts/bench/s2_pps.sh, run by
 * build/bench/pps_gen under BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES: for every frame it writes 8 hex digits of a
 * random number (masked to the Call-ID pool) over the start of the
 * Call-ID's value, then sends the frame out of the device (XDP_TX). The
 * UDP checksum of the frame is 0 (none), so the rewrite needs no update.
 * Live frames are recycled as the receivers left them, and a balancer
 * rewrites the addresses in place: the program first puts the original
 * Ethernet/IPv4/UDP headers back from the map.
 * Built by s2_pps.sh with clang; not part of siplb.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PPS_HDR_LEN 42	/* Ethernet + IPv4 (no options) + UDP */

struct pps_cfg {
	__u32 callid_off;	/* offset of the 8 digits in the frame */
	__u32 mask;		/* Call-ID pool size - 1 (a power of two) */
	__u8 hdr[48];		/* the frame's first PPS_HDR_LEN bytes */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pps_cfg);
} pps_cfg SEC(".maps");

SEC("xdp")
int pps_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct pps_cfg *cfg;
	__u32 key = 0, off, v;
	__u8 *p;
	int i;

	cfg = bpf_map_lookup_elem(&pps_cfg, &key);
	if (!cfg)
		return XDP_ABORTED;
	if (data + PPS_HDR_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, cfg->hdr, PPS_HDR_LEN);
	off = cfg->callid_off;
	if (off > 1500)
		return XDP_ABORTED;
	p = data + off;
	if ((void *)(p + 8) > end)
		return XDP_ABORTED;
	v = bpf_get_prandom_u32() & cfg->mask;
#pragma unroll
	for (i = 0; i < 8; i++) {
		__u8 d = (v >> (28 - 4 * i)) & 0xf;

		p[i] = d < 10 ? '0' + d : 'a' + d - 10;
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
