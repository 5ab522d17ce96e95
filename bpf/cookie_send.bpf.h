/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cookie_send.bpf.h - the REGISTER's frame made into its 401: grown at
 * the tail or the head, addresses and ports swapped (IPv4 or IPv6),
 * lengths and checksums set.
 */
#ifndef SIPLB_COOKIE_SEND_BPF_H
#define SIPLB_COOKIE_SEND_BPF_H

#include "cookie_buf.bpf.h"
#include "csum.bpf.h"

/* ---- the packet -------------------------------------------------------- */

/* The UDP checksum of the new datagram, payload from out; pseudo: the
 * sum of the pseudo-header's 16-bit words (addresses, protocol, length). */
static __always_inline __u16 ck_udp_csum(struct cookie_buf *b, __u32 len,
					 __u64 pseudo,
					 const struct udphdr *udp)
{
	__u32 i, r = (len + 3) & ~3U;
	__u64 sz;
	__s64 sum = 0;
	__u64 s;

	*(__u32 *)&b->out[ck_at(len)] = 0;	/* pad to 4 bytes */
	for (i = 0; i < 8; i++) {
		if (i * 512 >= r)
			break;
		sz = r - i * 512;
		if (sz > 512)
			sz = 512;
		asm volatile("%0 &= 1020" : "+r"(sz));	/* a bound it sees */
		sum = bpf_csum_diff(NULL, 0, (__be32 *)&b->out[i * 512], sz,
				    (__u32)sum);
		if (sum < 0)
			return 0;
	}
	s = (__u32)sum + pseudo;
	s += udp->source + udp->dest + udp->len;
	s = (s & 0xffffffff) + (s >> 32);
	s = csum_fold_carry((__u32)s);
	s = (__u16)~s;
	return s ? s : 0xffff;
}

static __always_inline void ck_ip_csum(struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 s = 0;
	int i;

	ip->check = 0;
	for (i = 0; i < 10; i++)
		s += w[i];
	ip->check = ~csum_fold_carry(s);
}

/*
 * Grow the frame by delta bytes at the front, the hlen bytes of headers
 * moved there: where the driver left no room at the tail (veth with a
 * frame from the stack often does), there is always XDP_PACKET_HEADROOM
 * at the head. Nothing is changed unless it returns 0.
 */
static __always_inline int ck_grow_head(struct xdp_md *ctx, int delta,
					__u32 hlen)
{
	__u8 hdr[80];

	if (delta <= 0 || hlen < 28 || hlen > sizeof(hdr))
		return -1;
	if (bpf_xdp_load_bytes(ctx, 0, hdr, hlen) ||
	    bpf_xdp_adjust_head(ctx, -delta))
		return -1;
	/* Cannot fail: the frame was just made longer than hlen. */
	return bpf_xdp_store_bytes(ctx, 0, hdr, hlen) ? -1 : 0;
}

/* Make the REGISTER frame the 401 of len payload bytes in out. */
/* Swap the addresses of an IPv4 header and set its length; the pseudo-
 * header's sum for the UDP checksum. */
static __always_inline __u64 ck_ip4_reply(struct iphdr *ip, __u32 udp_len)
{
	__be32 a = ip->saddr;

	ip->saddr = ip->daddr;
	ip->daddr = a;
	ip->tot_len = bpf_htons(sizeof(*ip) + udp_len);
	ip->ttl = 64;
	ck_ip_csum(ip);
	return (ip->saddr & 0xffff) + (ip->saddr >> 16) +
	       (ip->daddr & 0xffff) + (ip->daddr >> 16) +
	       bpf_htons(IPPROTO_UDP) + bpf_htons(udp_len);
}

static __always_inline __u64 ck_ip6_reply(struct ipv6hdr *ip6, __u32 udp_len)
{
	struct in6_addr a = ip6->saddr;
	const __u16 *w = (const __u16 *)&ip6->saddr;
	__u64 s = bpf_htons(IPPROTO_UDP) + bpf_htons(udp_len);
	int i;

	ip6->saddr = ip6->daddr;
	ip6->daddr = a;
	ip6->payload_len = bpf_htons(udp_len);
	ip6->hop_limit = 64;
	for (i = 0; i < 16; i++)	/* saddr and daddr, side by side */
		s += w[i];
	return s;
}

/* Make the REGISTER frame the 401 of len payload bytes in out: l3off is
 * where its IP header starts, l4off its UDP header. */
static __always_inline int ck_send(struct xdp_md *ctx, struct cookie_buf *b,
				   __u32 len, __u32 l3off, bool v6)
{
	__u32 l4off = (l3off & 31) + (v6 ? sizeof(struct ipv6hdr) :
					   sizeof(struct iphdr));
	__u32 udp_len = sizeof(struct udphdr) + len;
	void *data, *data_end;
	struct ethhdr *eth;
	struct udphdr *udp;
	__u8 mac[ETH_ALEN];
	__be16 port;
	__u64 pseudo;
	int delta;

	l3off &= 31;
	delta = (int)(l4off + udp_len) - (int)bpf_xdp_get_buff_len(ctx);
	if (bpf_xdp_adjust_tail(ctx, delta) &&
	    ck_grow_head(ctx, delta, l4off + sizeof(*udp)))
		return -1;
	if (len == 0)
		return -1;
	if (bpf_xdp_store_bytes(ctx, l4off + sizeof(*udp), b->out,
				ck_at(len - 1) + 1))
		return -1;	/* cannot happen: the frame was made room for */
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	udp = data + l4off;
	if ((void *)(eth + 1) > data_end || (void *)(udp + 1) > data_end)
		return -1;
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	if (v6) {
		struct ipv6hdr *ip6 = data + l3off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		pseudo = ck_ip6_reply(ip6, udp_len);
	} else {
		struct iphdr *ip = data + l3off;

		if ((void *)(ip + 1) > data_end)
			return -1;
		pseudo = ck_ip4_reply(ip, udp_len);
	}
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	udp->len = bpf_htons(udp_len);
	udp->check = 0;
	udp->check = ck_udp_csum(b, len, pseudo, udp);
	return 0;
}

#endif /* SIPLB_COOKIE_SEND_BPF_H */
