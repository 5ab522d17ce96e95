// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* packet.c - build, read and check test frames (packet.h). */
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include "packet.h"

static const __u8 mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 mac_src[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static __u32 sum16(const void *data, size_t len, __u32 sum)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* UDP checksum over the pseudo-header and the datagram, host order. */
static __u16 udp_csum(int family, const void *src, const void *dst,
		      const void *udp, size_t udp_len)
{
	size_t alen = family == 4 ? 4 : 16;
	__u32 sum = 0;

	sum = sum16(src, alen, sum);
	sum = sum16(dst, alen, sum);
	sum += IPPROTO_UDP;
	sum += (__u32)udp_len;
	sum = sum16(udp, udp_len, sum);
	return fold(sum);
}

static size_t put_eth(const struct pkt_spec *s, __u8 *buf)
{
	__u16 outer = s->vlans == 2 ? ETH_P_8021AD : ETH_P_8021Q;
	__u16 l3 = s->family == 4 ? ETH_P_IP : ETH_P_IPV6;
	size_t off = 12;
	int i;

	memcpy(buf, mac_dst, 6);
	memcpy(buf + 6, mac_src, 6);
	for (i = 0; i < s->vlans; i++) {
		__u16 tpid = i == 0 ? outer : ETH_P_8021Q;

		buf[off] = tpid >> 8;
		buf[off + 1] = tpid & 0xff;
		buf[off + 2] = 0;
		buf[off + 3] = 100 + i;	/* VLAN id */
		off += 4;
	}
	buf[off] = l3 >> 8;
	buf[off + 1] = l3 & 0xff;
	return off + 2;
}

/*
 * The headers are written through struct pointers; a frame starts 2 bytes
 * before a 4-byte boundary so that the IP header (after 14 + 4n bytes of
 * Ethernet and VLAN) is aligned, as NIC drivers arrange it and as UBSan
 * insists. pkt_build() copies the result out.
 */
static size_t build_aligned(const struct pkt_spec *s, __u8 *buf, size_t size);

size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t size)
{
	static __u8 frame[2 + PKT_MAX] __attribute__((aligned(8)));
	size_t len;

	len = build_aligned(s, frame + 2, size < PKT_MAX ? size : PKT_MAX);
	if (len)
		memcpy(buf, frame + 2, len);
	return len;
}

static size_t build_aligned(const struct pkt_spec *s, __u8 *buf, size_t size)
{
	size_t l3 = 0, l4, ip_hdr, total;
	struct udphdr *udp;
	__u8 saddr[16] = {}, daddr[16] = {};
	int af = s->family == 4 ? AF_INET : AF_INET6;

	if (inet_pton(af, s->src, saddr) != 1 ||
	    inet_pton(af, s->dst, daddr) != 1)
		return 0;
	ip_hdr = s->family == 4 ? 20 + s->ip_opts :
				  40 + (s->v6_dstopts ? 8 : 0);
	total = 14 + 4 * s->vlans + ip_hdr + 8 + s->len;
	if (total > size)
		return 0;
	memset(buf, 0, total);
	l3 = put_eth(s, buf);
	l4 = l3 + ip_hdr;

	udp = (struct udphdr *)(buf + l4);
	udp->source = htons(s->sport);
	udp->dest = htons(s->dport);
	udp->len = htons(8 + s->len);
	memcpy(buf + l4 + 8, s->payload, s->len);

	if (s->family == 4) {
		struct iphdr *ip = (struct iphdr *)(buf + l3);
		size_t i;

		ip->version = 4;
		ip->ihl = ip_hdr / 4;
		ip->tot_len = htons(ip_hdr + 8 + s->len);
		ip->id = htons(0x1234);
		ip->frag_off = htons(s->frag);
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		memcpy(&ip->saddr, saddr, 4);
		memcpy(&ip->daddr, daddr, 4);
		for (i = 0; i < (size_t)s->ip_opts; i++)
			buf[l3 + 20 + i] = 1;	/* NOP options */
		ip->check = htons(fold(sum16(ip, ip_hdr, 0)));
		if (!s->no_udp_csum) {
			__u16 c = udp_csum(4, saddr, daddr, udp, 8 + s->len);

			udp->check = htons(c ? c : 0xffff);
		}
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(buf + l3);
		__u16 c;

		ip6->version = 6;
		ip6->payload_len = htons(ip_hdr - 40 + 8 + s->len);
		ip6->nexthdr = s->v6_dstopts ? IPPROTO_DSTOPTS : IPPROTO_UDP;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, saddr, 16);
		memcpy(&ip6->daddr, daddr, 16);
		if (s->v6_dstopts) {
			buf[l3 + 40] = IPPROTO_UDP;	/* next header */
			buf[l3 + 41] = 0;		/* 8 bytes long */
			buf[l3 + 42] = 1;		/* PadN, 4 bytes */
			buf[l3 + 43] = 4;
		}
		c = udp_csum(6, saddr, daddr, udp, 8 + s->len);
		udp->check = htons(c ? c : 0xffff);
	}
	return total;
}

bool pkt_parse(const __u8 *f, size_t len, struct pkt_view *v)
{
	size_t off = 12;
	__u16 proto;
	int af;

	memset(v, 0, sizeof(*v));
	if (len < 14)
		return false;
	memcpy(v->eth_dst, f, 6);
	memcpy(v->eth_src, f + 6, 6);
	proto = f[off] << 8 | f[off + 1];
	while ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) &&
	       off + 6 <= len) {
		off += 4;
		proto = f[off] << 8 | f[off + 1];
	}
	v->l3_off = off + 2;
	if (proto == ETH_P_IP && v->l3_off + 20 <= len) {
		v->family = 4;
		v->l4_off = v->l3_off + (f[v->l3_off] & 0xf) * 4;
		af = AF_INET;
		inet_ntop(af, f + v->l3_off + 12, v->src, sizeof(v->src));
		inet_ntop(af, f + v->l3_off + 16, v->dst, sizeof(v->dst));
	} else if (proto == ETH_P_IPV6 && v->l3_off + 40 <= len) {
		v->family = 6;
		v->l4_off = v->l3_off + 40;
		af = AF_INET6;
		inet_ntop(af, f + v->l3_off + 8, v->src, sizeof(v->src));
		inet_ntop(af, f + v->l3_off + 24, v->dst, sizeof(v->dst));
	} else {
		return false;
	}
	if (v->l4_off + 8 > len)
		return false;
	v->sport = f[v->l4_off] << 8 | f[v->l4_off + 1];
	v->dport = f[v->l4_off + 2] << 8 | f[v->l4_off + 3];
	v->payload_off = v->l4_off + 8;
	return true;
}

bool pkt_ipv4_csum_ok(const __u8 *f, size_t len)
{
	struct pkt_view v;

	if (!pkt_parse(f, len, &v) || v.family != 4)
		return false;
	return fold(sum16(f + v.l3_off, v.l4_off - v.l3_off, 0)) == 0;
}

__u16 pkt_udp_csum_field(const __u8 *f, size_t len)
{
	struct pkt_view v;

	if (!pkt_parse(f, len, &v))
		return 0;
	return f[v.l4_off + 6] << 8 | f[v.l4_off + 7];
}

/* A checksum over data that includes a correct checksum field folds to 0. */
bool pkt_udp_csum_ok(const __u8 *f, size_t len)
{
	const __u8 *src, *dst;
	struct pkt_view v;
	size_t udp_len;

	if (!pkt_parse(f, len, &v))
		return false;
	udp_len = f[v.l4_off + 4] << 8 | f[v.l4_off + 5];
	if (v.l4_off + udp_len > len)
		return false;
	if (v.family == 4) {
		src = f + v.l3_off + 12;
		dst = f + v.l3_off + 16;
	} else {
		src = f + v.l3_off + 8;
		dst = f + v.l3_off + 24;
	}
	return udp_csum(v.family, src, dst, f + v.l4_off, udp_len) == 0;
}
