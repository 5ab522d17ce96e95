/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fork_plan.h - the order in which a forked request tries its targets
 * (RFC 3261 16.6) and which final response ends it (16.7 step 6), as pure
 * functions of status codes and q values, so that they are tested apart
 * from the transaction machinery in proxy.c.
 *
 * Targets come best first (proxy_order_bindings). Targets of equal q form
 * a group that is tried in parallel; the next group starts once every
 * branch of the current one has ended with a failure (a 3xx not followed,
 * 4xx, 5xx: a 408 or a 503 from one phone says nothing about the next),
 * or when the group timer fires. A 2xx or a 6xx ends the search.
 */
#ifndef SIPLB_FORK_PLAN_H
#define SIPLB_FORK_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Number the q groups of n targets sorted by q, highest first: group[i]
 * is 0 for the best q, 1 for the next lower q, and so on. With serial
 * false every target is in group 0 (parallel search). Returns how many
 * groups there are (0 for no target).
 */
size_t fork_plan_groups(const uint32_t *q, size_t n, bool serial,
			uint8_t *group);

/*
 * 16.7 step 6: is final response `status` better than `best` (0: none
 * yet)? A 6xx beats everything, else the lowest class wins; within a
 * class, a response that helps the caller retry (401, 407, 415, 420, 484)
 * beats the others, and a 408 or 487 (nobody answered, or we gave up on
 * them) loses to any real answer; otherwise the first stays.
 */
bool fork_better_final(unsigned int status, unsigned int best);

/*
 * The status that goes upstream for the best response `status`: a 503
 * from a phone means that phone is unavailable, not this proxy, so it is
 * sent on as 500 (16.7 step 6: a proxy SHOULD NOT forward a 503).
 */
unsigned int fork_upstream_status(unsigned int status);

/*
 * Copy response `in` (len bytes) to out with its status line replaced by
 * "SIP/2.0 STATUS REASON". Returns the new length, or -EINVAL (no status
 * line) / -ENOSPC.
 */
int fork_restatus(const char *in, size_t len, unsigned int status,
		  const char *reason, char *out, size_t size);

#endif /* SIPLB_FORK_PLAN_H */
