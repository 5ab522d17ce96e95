/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * progs.bpf.h - the programs siplb_xdp hands a packet to by tail call,
 * each verified on its own budget: today the challenge program
 * (cookie.bpf.h) for a REGISTER.
 */
#ifndef SIPLB_PROGS_BPF_H
#define SIPLB_PROGS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "siplb_cookie.h"

/* enum siplb_prog -> program, filled by the loader (lb_attach.c) */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SIPLB_PROG_MAX);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_progs SEC(".maps");

/* Hand a REGISTER to siplb_cookie_xdp. Returns only if no program is in
 * the slot (attached by `ip link`, say): the REGISTER goes up as before. */
static __always_inline void cookie_tail_call(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &siplb_progs, SIPLB_PROG_COOKIE);
}

#endif /* SIPLB_PROGS_BPF_H */
