// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cookie_apply.c - siplb_cookie built from the registrar's settings
 * (cookie_apply.h).
 *
 * The challenge block is digest_challenge()'s own output for a nonce of
 * 43 placeholder characters; the offsets of the placeholders are where
 * XDP writes the real nonce, so XDP's 401 and siplbd's differ only in
 * the nonce's salt.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "cookie_apply.h"
#include "digest.h"

#define PLACEHOLDER_CHAR '*'	/* not in base64url, not in a realm's
				 * nonce="..." context: found unambiguously */

static int chal_build(const struct cookie_conf *conf, bool stale,
		      struct siplb_cookie_chal *ch)
{
	const struct digest_alg_list *algs = &conf->policy->dflt;
	char nonce[SIPLB_NONCE_STR_LEN + 1], buf[SIPLB_COOKIE_CHAL_MAX];
	char pattern[sizeof(nonce) + 8];
	struct digest_challenge_opts opts = {
		.realm = conf->realm,
		.nonce = nonce,
		.stale = stale,
		.order = algs->algs,
		.norder = algs->n,
	};
	const char *at;
	size_t len;
	int err;

	memset(nonce, PLACEHOLDER_CHAR, SIPLB_NONCE_STR_LEN);
	nonce[SIPLB_NONCE_STR_LEN] = '\0';
	err = digest_challenge(&opts, buf, sizeof(buf), &len);
	if (err)
		return err;
	memset(ch, 0, sizeof(*ch));
	memcpy(ch->text, buf, len);
	ch->len = (__u16)len;
	snprintf(pattern, sizeof(pattern), "nonce=\"%s\"", nonce);
	for (at = strstr(buf, pattern); at; at = strstr(at + 1, pattern)) {
		if (ch->nnonce == SIPLB_COOKIE_NONCES_MAX)
			return -E2BIG;
		ch->nonce_off[ch->nnonce++] = (__u16)(at - buf + 7);
	}
	return ch->nnonce == algs->n ? 0 : -EINVAL;
}

int cookie_build(const struct cookie_conf *conf, struct siplb_cookie *out)
{
	uint64_t key[4];
	int err;

	memset(out, 0, sizeof(*out));
	nonce_issuer_keys(conf->nonces, key);
	memcpy(out->key, key, sizeof(out->key));
	explicit_bzero(key, sizeof(key));
	out->realm_tag = siplb_nonce_realm_tag(conf->realm,
					       (__u32)strlen(conf->realm),
					       out->key);
	out->lifetime_s = conf->lifetime_s;
	out->clock_offset_ns = conf->clock_offset_ns;
	err = chal_build(conf, false, &out->chal[0]);
	if (!err)
		err = chal_build(conf, true, &out->chal[1]);
	out->enabled = !err && conf->enabled && conf->policy->nrules == 0;
	return err;
}

__s64 cookie_clock_offset(bool cluster)
{
	struct timespec rt, mt;

	if (!cluster)
		return 0;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	return ((__s64)rt.tv_sec - mt.tv_sec) * 1000000000LL +
	       (rt.tv_nsec - mt.tv_nsec);
}

int cookie_apply(int map_fd, const struct siplb_cookie *value)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(map_fd, &zero, value, BPF_ANY))
		return -errno;
	return 0;
}
