// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * fork_plan.c - q groups of a forked request and the choice of its best
 * final response (fork_plan.h). No state: proxy.c keeps the groups in its
 * branch records and asks here what they are and which response wins.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fork_plan.h"

size_t fork_plan_groups(const uint32_t *q, size_t n, bool serial,
			uint8_t *group)
{
	size_t i, groups = n ? 1 : 0;

	for (i = 0; i < n; i++) {
		if (serial && i > 0 && q[i] != q[i - 1])
			groups++;
		group[i] = (uint8_t)(groups - 1);
	}
	return groups;
}

/* Within a class: 2 tells the caller how to retry, 0 says nobody answered
 * (our own 408, or the 487 of a branch we CANCELled), 1 anything else. */
static int rank_in_class(unsigned int status)
{
	switch (status) {
	case 401: case 407: case 415: case 420: case 484:
		return 2;
	case 408: case 487:
		return 0;
	default:
		return 1;
	}
}

bool fork_better_final(unsigned int status, unsigned int best)
{
	if (!best)
		return true;
	if (status >= 600 || best >= 600)
		return status >= 600 && best < 600;
	if (status / 100 != best / 100)
		return status / 100 < best / 100;
	return rank_in_class(status) > rank_in_class(best);
}

unsigned int fork_upstream_status(unsigned int status)
{
	return status == 503 ? 500 : status;
}

int fork_restatus(const char *in, size_t len, unsigned int status,
		  const char *reason, char *out, size_t size)
{
	const char *eol = memmem(in, len, "\r\n", 2);
	size_t rest;
	int n;

	if (!eol || len < 8 || memcmp(in, "SIP/2.0 ", 8))
		return -EINVAL;
	rest = len - (size_t)(eol - in);
	n = snprintf(out, size, "SIP/2.0 %u %s", status, reason);
	if (n < 0 || (size_t)n + rest >= size)
		return -ENOSPC;
	memcpy(out + n, eol, rest);
	out[n + rest] = '\0';
	return (int)(n + rest);
}
