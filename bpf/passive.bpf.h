/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * passive.bpf.h - count, per backend endpoint, the requests steered to it
 * and the SIP responses it sends back through the source rewrite
 * (siplb_passive). siplbd compares the two: requests arriving and nothing
 * coming back, or a run of 500/503, takes a backend out before the next
 * OPTIONS probe would (user/siplbd/passive.c).
 *
 * An ACK is not counted: it is never answered, and a quiet backend with
 * calls being acknowledged is not a silent one.
 */
#ifndef SIPLB_PASSIVE_BPF_H
#define SIPLB_PASSIVE_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "maps.bpf.h"
#include "parse_hdrs.bpf.h"

/* The endpoint's counters on this CPU, made on first use. */
static __always_inline struct siplb_passive_stats *
passive_entry(const struct siplb_endpoint *ep)
{
	struct siplb_passive_stats *st, zero = {};

	st = bpf_map_lookup_elem(&siplb_passive, ep);
	if (st)
		return st;
	bpf_map_update_elem(&siplb_passive, ep, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&siplb_passive, ep);
}

/* A message from a client was steered to ep; s holds its first bytes. */
static __always_inline void passive_request(const struct siplb_endpoint *ep,
					    const struct scratch *s,
					    bool is_response)
{
	struct siplb_passive_stats *st;

	if (is_response || (s->buf[0] == 'A' && s->buf[1] == 'C' &&
			    s->buf[2] == 'K' && s->buf[3] == ' '))
		return;
	st = passive_entry(ep);
	if (st)
		st->requests++;
}

/* A datagram from backend pkt->src to a client: a response? a 500/503? */
static __always_inline void passive_response(struct xdp_md *ctx,
					     const struct pkt *pkt)
{
	static const char status[8] = "SIP/2.0 ";
	struct siplb_passive_stats *st;
	__u8 line[12];
	int i;

	if (pkt->payload_len < sizeof(line) ||
	    bpf_xdp_load_bytes(ctx, pkt->payload_off, line, sizeof(line)))
		return;
#pragma unroll
	for (i = 0; i < 8; i++)
		if (line[i] != status[i])
			return;
	st = passive_entry(&pkt->src);
	if (!st)
		return;
	st->responses++;
	if (line[8] == '5' && line[9] == '0' &&
	    (line[10] == '0' || line[10] == '3') && line[11] == ' ')
		st->errors++;
}

#endif /* SIPLB_PASSIVE_BPF_H */
