// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * blocked.c - `siplbctl block`: the sources siplbd's auth guard has
 * blocked in XDP (siplb_blocked), and unblocking one (blocked.h). Read
 * straight from the pinned map, so it works with or without siplbd
 * running; blocks that have run out are not shown.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "blocked.h"
#include "json.h"
#include "siplb_location.h"

static __u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *addr_text(const struct siplb_addr *a, char *buf,
			     size_t size)
{
	int af = a->family == SIPLB_AF_INET6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, a->addr, buf, size))
		snprintf(buf, size, "?");
	return buf;
}

int blocked_print(const struct lb_maps *m, FILE *out, bool json)
{
	struct siplb_addr key, next;
	struct siplb_block block;
	__u64 now = monotonic_ns();
	char text[64];
	bool first = true;
	int err;

	if (json)
		fprintf(out, "{\"blocked\":[");
	else
		fprintf(out, "%-40s %10s %9s\n", "source", "seconds",
			"failures");
	err = bpf_map_get_next_key(m->blocked, NULL, &next);
	while (!err) {
		key = next;
		err = bpf_map_get_next_key(m->blocked, &key, &next);
		if (bpf_map_lookup_elem(m->blocked, &key, &block) ||
		    block.until_ns <= now)
			continue;
		addr_text(&key, text, sizeof(text));
		if (json) {
			fprintf(out, "%s{\"source\":", first ? "" : ",");
			json_cstring(out, text);
			fprintf(out, ",\"seconds\":%llu,\"failures\":%u}",
				(unsigned long long)((block.until_ns - now) /
						     1000000000ULL),
				block.failures);
		} else
			fprintf(out, "%-40s %10llu %9u\n", text,
				(unsigned long long)((block.until_ns - now) /
						     1000000000ULL),
				block.failures);
		first = false;
	}
	if (json)
		fprintf(out, "]}\n");
	return 0;
}

int blocked_delete(const struct lb_maps *m, const char *text)
{
	struct siplb_addr a = {};

	if (inet_pton(AF_INET, text, a.addr) == 1)
		a.family = SIPLB_AF_INET;
	else if (inet_pton(AF_INET6, text, a.addr) == 1)
		a.family = SIPLB_AF_INET6;
	else
		return -EINVAL;
	if (bpf_map_delete_elem(m->blocked, &a))
		return -errno;
	return 0;
}
