/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cookie_apply.h - what the XDP challenge program needs, into
 * siplb_cookie (include/siplb_cookie.h, bpf/cookie.bpf.h).
 *
 * siplbd writes it at start, at every reload and, in a cluster, on its
 * tick (the clock offset): the nonce keys (the registrar's issuer), the
 * realm's tag, the lifetime, and the challenge block that
 * digest_challenge() writes for the configured algorithms, so that the
 * text of a challenge has one definition whoever sends it.
 */
#ifndef SIPLB_COOKIE_APPLY_H
#define SIPLB_COOKIE_APPLY_H

#include <stdbool.h>
#include "digest_policy.h"
#include "nonce.h"
#include "siplb_cookie.h"

struct cookie_conf {
	bool enabled;			/* xdp-challenge on */
	const char *realm;
	const struct digest_policy *policy;
	__u32 lifetime_s;
	const struct nonce_issuer *nonces;
	__s64 clock_offset_ns;		/* cookie_clock_offset() */
};

/*
 * The map value for conf. XDP answers only when every client would get
 * the same challenge: with user-agent-algorithms rules it is disabled
 * (siplbd chooses per User-Agent). 0, or -errno if the realm or the
 * block does not fit (then disabled too: the caller may still write it).
 */
int cookie_build(const struct cookie_conf *conf, struct siplb_cookie *out);

/* What to add to bpf_ktime_get_ns() to get siplbd's nonce clock: 0 for
 * the monotonic clock, realtime minus monotonic in a cluster. */
__s64 cookie_clock_offset(bool cluster);

/* Write the value; 0 or -errno. */
int cookie_apply(int map_fd, const struct siplb_cookie *value);

#endif /* SIPLB_COOKIE_APPLY_H */
