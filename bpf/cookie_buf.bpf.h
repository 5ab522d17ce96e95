/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cookie_buf.bpf.h - what the parts of the challenge program share
 * (cookie.bpf.h): its limits, its per-CPU buffer with the state of every
 * pass, its settings map siplb_cookie, and two character classes.
 */
#ifndef SIPLB_COOKIE_BUF_BPF_H
#define SIPLB_COOKIE_BUF_BPF_H


#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "siplb_cookie.h"
#include "maps.bpf.h"
#include "parse_hdrs.bpf.h"
#include "csum.bpf.h"

#define CK_IN_MASK	2047	/* offsets into the copied REGISTER */
#define CK_OUT_MASK	4095	/* offsets into the 401 being built */
#define CK_LINES	64	/* lines of a REGISTER we look at */
#define CK_LINE_MASK	(CK_LINES - 1)
#define CK_VIAS		8
#define CK_VALUE_MAX	256	/* top Via and To values we scan */

/*
 * The passes' state lives in the per-CPU map value, not on the stack: the
 * verifier tracks neither what a map holds nor, then, each value a
 * callback's counters take, so each bpf_loop() callback converges at once
 * instead of being walked once per distinct value.
 */
struct ck_lines {
	__u64 commas;		/* bit k: line k has a ',' */
	__u64 junk;		/* bit k: line k is folded or has no colon */
	__u32 cur;		/* the line being read */
	__u32 state;		/* enum ck_state */
	__u32 n;		/* lines before the empty one; 0: not found */
	__u32 overflow;
};

struct ck_slice {
	__u16 off, len;
};

struct ck_hdrs {
	__u64 commas, junk;
	__u32 nvia;
	int bad;		/* a counter: XDP cannot answer this one */
	struct ck_slice via[CK_VIAS];
	struct ck_slice from, to, callid, cseq, auth;
};

struct ck_params {
	__u32 start, end;
	__u32 first_semi;	/* 0: none */
	__u32 last_slash;	/* before the first ';' */
	__u32 rport_end;	/* after a bare ";rport"; 0: none */
	__u32 host_state;	/* after the last '/': WS transport WS host */
	__u32 host_start, host_end;
	bool received, tag, ws_after_semi, host_bracket;
};

/* ck_ipv6_text()'s work, in the map value: its callbacks then converge
 * at once (see the passes' state above). */
struct ck_v6text {
	__s32 cur, curlen;	/* the zero run being read */
	__s32 base, len;	/* the first longest one */
	__u32 n;		/* characters written */
};

/* The REGISTER and its 401, per CPU. Slack after each mask: in covers a
 * Call-ID hashed in place, out a copy of up to CK_IN_MASK bytes or a
 * whole challenge block at the last masked offset. */
struct cookie_buf {
	__u8 in[CK_IN_MASK + 1 + SIPLB_CALLID_MAX + 16];
	__u8 out[CK_OUT_MASK + 1 + CK_IN_MASK + 1 + SIPLB_COOKIE_CHAL_MAX];
	__u32 o;		/* the 401's length so far */
	__u32 stale;		/* answering an expired nonce: stale=true */
	__u32 nonce_at;		/* after nonce=" in Authorization; 0: none */
	__u32 verdict;		/* ck_check_nonce()'s */
	/* The packet, kept here so that nothing after the parse depends on
	 * the family's pointers: the verifier then walks both families as
	 * one from there. */
	__u32 poff, plen;	/* UDP payload: offset, length */
	__u32 l3off;		/* the IP header's offset */
	__u32 v6;
	__be16 sport;
	struct siplb_addr src;	/* the REGISTER's source */
	char srctext[64];	/* ... as inet_ntop() writes it */
	__u32 srctext_len;	/* 0: a form not done (ck_ipv6_text()) */
	struct ck_v6text v6t;
	__u32 via_verdict;	/* ck_received_cb(): 0, 1 add received=, or
				 * a counter (the Via cannot be answered) */
	/* ck_check_nonce()'s work: here, not on the stack, which the
	 * callback shares with the program (512 bytes for both) */
	struct siplb_nonce_input chk_in;
	__u8 chk_raw[SIPLB_NONCE_RAW_LEN];
	__u8 chk_mac[SIPLB_NONCE_MAC_LEN];
	struct ck_lines l;
	struct ck_hdrs h;
	struct ck_params c;
	__u16 line[CK_LINES];	/* where line k starts */
	__u16 vstart[CK_LINES];	/* its value, white space trimmed */
	__u16 vend[CK_LINES];
	__u8 nlen[CK_LINES];	/* its name's length */
};

/* 0 -> struct siplb_cookie: keys, realm tag, challenge text (siplbd) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct siplb_cookie);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_cookie SEC(".maps");

/* 0 -> the cookie program's buffers (per CPU, no state between packets) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cookie_buf);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_cookie_buf SEC(".maps");


static __always_inline bool ck_ws(__u8 c)
{
	return c == ' ' || c == '\t';
}

static __always_inline __u8 ck_lower(__u8 c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

#endif /* SIPLB_COOKIE_BUF_BPF_H */
