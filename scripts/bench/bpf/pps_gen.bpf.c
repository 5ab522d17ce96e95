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
 *
 * With --register (pps_gen.c), the frame is a REGISTER flood from forged
 * sources: the whole frame is put back (siplb's challenge program writes
 * its 401 over the payload of the page it then sends back), and the low
 * bits of the IPv4 source, masked to the source pool, are random too.
 * Built by s2_pps.sh with clang; not part of siplb.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PPS_HDR_LEN 42	/* Ethernet + IPv4 (no options) + UDP */
#define PPS_FRAME_MAX 512	/* --register: the whole frame, restored */

struct pps_cfg {
	__u32 callid_off;	/* offset of the 8 digits in the frame */
	__u32 mask;		/* Call-ID pool size - 1 (a power of two) */
	__u8 hdr[48];		/* the frame's first PPS_HDR_LEN bytes */
	__u32 src_mask;		/* --register: source pool - 1; 0: off */
	__u32 len;		/* --register: the frame's length */
	__u8 frame[PPS_FRAME_MAX];
};

/* --register: the whole frame back, a random source from the pool, and
 * the IPv4 header checksum for it. Returns false if it does not fit. */
static __always_inline bool forge_source(struct pps_cfg *cfg, void *data,
					 void *end)
{
	__u16 *w = data + 14;
	__u32 i, sum = 0;

	for (i = 0; i < PPS_FRAME_MAX; i += 8) {
		if (i + 8 > cfg->len)
			break;
		if (data + i + 8 > end)
			return false;
		*(__u64 *)(data + i) = *(__u64 *)&cfg->frame[i];
	}
	for (; i < PPS_FRAME_MAX; i++) {
		if (i >= cfg->len)
			break;
		if (data + i + 1 > end)
			return false;
		*(__u8 *)(data + i) = cfg->frame[i];
	}
	if ((void *)(w + 10) > end)
		return false;
	/* saddr is words 6 and 7 of the IPv4 header; the low 16 bits vary */
	w[7] = (w[7] & ~__builtin_bswap16(cfg->src_mask)) |
	       (__builtin_bswap16(bpf_get_prandom_u32() & cfg->src_mask));
	w[5] = 0;
	for (i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	w[5] = ~sum;
	return true;
}

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
	if (cfg->src_mask) {
		if (!forge_source(cfg, data, end))
			return XDP_ABORTED;
	} else {
		__builtin_memcpy(data, cfg->hdr, PPS_HDR_LEN);
	}
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
