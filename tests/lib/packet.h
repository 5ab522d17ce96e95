/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * packet.h - canned packets for the BPF tests and the benchmark: build an
 * Ethernet (+VLAN) / IPv4 or IPv6 / UDP frame around a payload with correct
 * checksums, read its fields back, and verify checksums from scratch (an
 * independent oracle for the program's incremental updates).
 */
#ifndef SIPLB_TEST_PACKET_H
#define SIPLB_TEST_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define PKT_MAX 2048

struct pkt_spec {
	int family;		/* 4 or 6 */
	int vlans;		/* 0, 1 (802.1Q) or 2 (QinQ) */
	const char *src, *dst;	/* addresses, text */
	__u16 sport, dport;
	const void *payload;
	size_t len;
	bool no_udp_csum;	/* IPv4: send UDP checksum 0 */
	int ip_opts;		/* IPv4 option bytes (multiple of 4, <= 40) */
	__u16 frag;		/* IPv4 flags+offset field, host order */
	bool v6_dstopts;	/* IPv6: put a Destination Options header first */
};

/* Build into buf; returns the frame length or 0 if it does not fit. */
size_t pkt_build(const struct pkt_spec *spec, __u8 *buf, size_t size);

/* What pkt_parse() reads back from a frame. */
struct pkt_view {
	int family;
	size_t l3_off, l4_off, payload_off;
	char src[64], dst[64];	/* addresses, text */
	__u16 sport, dport;
	__u8 eth_dst[6], eth_src[6];
};

bool pkt_parse(const __u8 *frame, size_t len, struct pkt_view *view);
bool pkt_ipv4_csum_ok(const __u8 *frame, size_t len);
bool pkt_udp_csum_ok(const __u8 *frame, size_t len);
__u16 pkt_udp_csum_field(const __u8 *frame, size_t len);

#endif /* SIPLB_TEST_PACKET_H */
