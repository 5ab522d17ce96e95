/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cookie_nonce.bpf.h - the challenge program's check of the nonce in a
 * REGISTER's Authorization: its MAC for this source and realm, its age
 * (include/siplb_cookie.h, the definition siplbd's nonce.c uses too).
 */
#ifndef SIPLB_COOKIE_NONCE_BPF_H
#define SIPLB_COOKIE_NONCE_BPF_H

#include "cookie_buf.bpf.h"

/* ---- pass 4: the nonce of a REGISTER with credentials ------------------ */

/* Finds `nonce="` (any case) at the start of a parameter of the
 * Authorization value; other spellings are left to siplbd. */
static long ck_nonce_cb(__u32 i, void *data)
{
	struct cookie_buf *b = *(struct cookie_buf **)data;
	__u32 p = b->h.auth.off + i;
	__u8 before = b->in[(p - 1) & CK_IN_MASK];
	static const char pat[] = "nonce=\"";
	int j;

	if (before != ' ' && before != '\t' && before != ',')
		return 0;
	for (j = 0; j < 7; j++)
		if (ck_lower(b->in[(p + j) & CK_IN_MASK]) != (__u8)pat[j])
			return 0;
	b->nonce_at = p + 7;
	return 1;
}

/*
 * The Authorization's nonce against the MAC, the source and the clock:
 * PASS_COOKIE_VALID (up to siplbd, which checks the password and the
 * nonce count), COOKIE_401_STALE (ours but expired: answer stale=true),
 * DROP_COOKIE_FORGED (not ours for this source, or not a nonce), or
 * PASS_COOKIE_UNSUPPORTED (no nonce=" found: siplbd decides).
 */
static __always_inline int ck_check_nonce(const struct siplb_cookie *cfg,
					  struct cookie_buf *b)
{
	struct siplb_nonce_input *in = &b->chk_in;
	__u8 *raw = b->chk_raw, *mac = b->chk_mac, diff = 0;
	__u32 at, i, len = b->h.auth.len;
	__u64 issued, now;

	b->nonce_at = 0;
	if (len > CK_IN_MASK)
		return SIPLB_STAT_PASS_COOKIE_LONG;
	bpf_loop(len, ck_nonce_cb, &b, 0);
	at = b->nonce_at;
	if (!at)
		return SIPLB_STAT_PASS_COOKIE_UNSUPPORTED;
	if (at + SIPLB_NONCE_STR_LEN >= b->h.auth.off + len ||
	    b->in[(at + SIPLB_NONCE_STR_LEN) & CK_IN_MASK] != '"' ||
	    siplb_nonce_decode(&b->in[at & CK_IN_MASK], raw))
		return SIPLB_STAT_DROP_COOKIE_FORGED;
	__builtin_memset(in, 0, sizeof(*in));
	__builtin_memcpy(in->issued_salt, raw, 16);
	in->realm_tag = cfg->realm_tag;
	__builtin_memcpy(in->src, &b->src, SIPLB_NONCE_SRC_MAX);
	in->src_len = SIPLB_NONCE_SRC_MAX;
	siplb_nonce_mac(in, cfg->key, mac);
	for (i = 0; i < SIPLB_NONCE_MAC_LEN; i++)
		diff |= mac[i] ^ raw[16 + i];
	if (diff)
		return SIPLB_STAT_DROP_COOKIE_FORGED;
	issued = siplb_nonce_get_be64(raw);
	now = (bpf_ktime_get_ns() + cfg->clock_offset_ns) / 1000000000ULL;
	/* As nonce_check(): from the future counts as expired. */
	if (issued > now || now - issued >= cfg->lifetime_s)
		return SIPLB_STAT_COOKIE_401_STALE;
	return SIPLB_STAT_PASS_COOKIE_VALID;
}

struct ck_check_ctx {
	struct cookie_buf *b;	/* first: the other callbacks read only it */
	const struct siplb_cookie *cfg;
};

/*
 * The check as a callback run once: the verifier walks it on its own, and
 * the 401 built after it is then walked from one state, not from each of
 * the check's paths (together they exceeded its budget).
 */
static long ck_check_cb(__u32 i, void *data)
{
	struct ck_check_ctx *c = data;

	c->b->verdict = ck_check_nonce(c->cfg, c->b);
	return 1;
}

#endif /* SIPLB_COOKIE_NONCE_BPF_H */
