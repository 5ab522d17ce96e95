/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * siplb_trace.h - the verdict trace: what `siplbctl trace` asks the XDP
 * program for (siplb_trace_cfg) and what it gets back, one event per
 * traced packet, through the siplb_trace ring buffer (bpf/trace.bpf.h).
 *
 * The trace answers "why was this packet not forwarded?", which tcpdump
 * cannot: it never sees what XDP dropped, sent back out or redirected.
 * Off by default, it then costs the program one array lookup per packet.
 */
#ifndef SIPLB_TRACE_H
#define SIPLB_TRACE_H

#include <linux/types.h>
#include "siplb_maps.h"

/* Bytes of each traced frame copied into its event (and the pcap). */
#define SIPLB_TRACE_SNAPLEN	256

/* The ring buffer: a power of two of pages; some 760 events of 336 bytes
 * wait for siplbctl before new ones are lost (and counted). */
#define SIPLB_TRACE_RING_SIZE	(256 * 1024)

/* Which filters of struct siplb_trace_cfg apply; all must match. */
enum siplb_trace_filter {
	SIPLB_TRACE_F_SRC = 1 << 0,	/* source address in a prefix */
	SIPLB_TRACE_F_CALLID = 1 << 1,	/* this Call-ID hash */
	SIPLB_TRACE_F_VIP = 1 << 2,	/* to this VIP endpoint */
	SIPLB_TRACE_F_REASON = 1 << 3,	/* counted under this counter */
};

/* siplb_trace_cfg: one entry, written by siplbctl trace, read by XDP. */
struct siplb_trace_cfg {
	__u32 enabled;		/* 0: off, the program looks no further */
	__u32 filters;		/* enum siplb_trace_filter bits */
	__u32 sample;		/* keep 1 in N matching packets; 0, 1: all */
	__u32 reason;		/* enum siplb_stat, with SIPLB_TRACE_F_REASON */
	struct siplb_addr src;	/* the prefix, already masked */
	__u32 pad0;
	__be32 src_mask[4];	/* the prefix length as a mask, per word */
	struct siplb_endpoint vip;
	__u32 pad1;
	__u64 callid_hash;	/* with SIPLB_TRACE_F_CALLID */
	__u64 lost;		/* events the ring had no room for (XDP adds) */
};
_Static_assert(sizeof(struct siplb_trace_cfg) == 96, "trace cfg layout");

/* One traced packet, as the program settled it. */
struct siplb_trace_event {
	__u64 time_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 callid_hash;	/* 0: no Call-ID was hashed */
	struct siplb_endpoint src, dst;	/* as received; family 0: not IP */
	__u32 ifindex;		/* the interface it came in on */
	__u32 backend_id;	/* the backend chosen; 0: none */
	__u32 pkt_len;		/* the frame's length */
	__u16 cap_len;		/* bytes of it in data[] */
	__u16 payload_off;	/* the UDP payload in data[]; 0: none */
	__u16 reason;		/* enum siplb_stat: the counter that moved */
	__u8 verdict;		/* the XDP action returned */
	__u8 pad[5];
	__u8 data[SIPLB_TRACE_SNAPLEN];	/* the frame as it left XDP */
};
_Static_assert(sizeof(struct siplb_trace_event) == 80 + SIPLB_TRACE_SNAPLEN,
	       "trace event layout");

#endif /* SIPLB_TRACE_H */
