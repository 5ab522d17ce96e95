// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * guard_print.c - the guard policy as the program sees it (guard_print.h):
 * read back from the maps, not from the config file, so it shows what is
 * in force. The drop counters themselves are in the stats table.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "guard_print.h"
#include "json.h"
#include "siplb_guard.h"

static const char *const class_names[SIPLB_METHOD_CLASSES] = {
	"REGISTER", "INVITE", "OPTIONS", "other",
};

/* Entries in a hash or trie map, by walking its keys. */
static unsigned long count_keys(int fd, size_t key_size)
{
	unsigned char key[64], next[64];
	unsigned long n = 0;
	void *prev = NULL;

	if (fd < 0 || key_size > sizeof(key))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, next) && n < (1UL << 24)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

int guard_print(const struct lb_maps *m, FILE *out, bool json)
{
	unsigned long trunks, buckets;
	struct siplb_guard g;
	__u32 zero = 0;
	int i;

	if (bpf_map_lookup_elem(m->guard, &zero, &g))
		return -errno;
	trunks = count_keys(m->trunks, sizeof(struct siplb_trunk_key));
	buckets = count_keys(m->budgets, sizeof(struct siplb_addr));
	if (json) {
		fprintf(out, "{\"enabled\":%s,\"strict_dialogs\":%s,"
			"\"scanners\":%u,\"trunks\":%lu,\"sources_with_budget\":"
			"%lu,\"budgets\":{", g.enabled ? "true" : "false",
			g.strict ? "true" : "false", g.nscanners, trunks,
			buckets);
		for (i = 0; i < SIPLB_METHOD_CLASSES; i++) {
			fputs(i ? "," : "", out);
			json_cstring(out, class_names[i]);
			fprintf(out, ":{\"rate\":%u,\"burst\":%u}",
				g.budget[i].rate, g.budget[i].burst);
		}
		fprintf(out, ",\"registered\":{\"rate\":%u,\"burst\":%u}}}",
			g.registered.rate, g.registered.burst);
		return 0;
	}
	if (!g.enabled) {
		fprintf(out, "guard: off\n");
		return 0;
	}
	fprintf(out, "guard: budgets");
	for (i = 0; i < SIPLB_METHOD_CLASSES; i++) {
		if (g.budget[i].rate)
			fprintf(out, " %s %u/s burst %u", class_names[i],
				g.budget[i].rate, g.budget[i].burst);
		else
			fprintf(out, " %s off", class_names[i]);
		fputc(i + 1 < SIPLB_METHOD_CLASSES ? ',' : ';', out);
	}
	if (g.registered.rate)
		fprintf(out, " registered %u/s burst %u;", g.registered.rate,
			g.registered.burst);
	else
		fprintf(out, " registered off;");
	fprintf(out, " strict-dialogs %s; scanner signatures %u; trunk "
		"prefixes %lu; sources with a bucket %lu\n",
		g.strict ? "on" : "off", g.nscanners, trunks, buckets);
	return 0;
}
