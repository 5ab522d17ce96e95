// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ctl_tables.c - bindings and blocked sources for siplbctl
 * (ctl_tables.h). Read straight from the pinned maps, so they work with or
 * without siplbd running; expired bindings the sweep has not removed yet
 * are not shown.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "ctl_tables.h"
#include "endpoint.h"
#include "siplb_location.h"

#define BATCH 1024

/* Print s as a JSON string (control characters escaped). */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void binding_print(FILE *out, bool json, bool first,
			  const struct siplb_location_key *k,
			  const struct siplb_binding *b, __u64 now)
{
	char src[ENDPOINT_STRLEN], aor[SIPLB_AOR_MAX + 1];
	char contact[SIPLB_CONTACT_MAX + 1];

	memcpy(aor, k->aor, SIPLB_AOR_MAX);
	aor[SIPLB_AOR_MAX] = '\0';
	memcpy(contact, b->contact, SIPLB_CONTACT_MAX);
	contact[SIPLB_CONTACT_MAX] = '\0';
	endpoint_format(&b->source, src, sizeof(src));
	if (!json) {
		fprintf(out, "%-32s %-44s %-24s %7llu %5.3f\n", aor, contact,
			src, (unsigned long long)(b->expires_at - now),
			b->q / 1000.0);
		return;
	}
	fprintf(out, "%s{\"aor\":", first ? "" : ",");
	json_string(out, aor);
	fprintf(out, ",\"slot\":%u,\"contact\":", k->slot);
	json_string(out, contact);
	fprintf(out, ",\"source\":\"%s\",\"expires\":%llu,\"q\":%u,"
		"\"cseq\":%u}", src, (unsigned long long)(b->expires_at - now),
		b->q, b->cseq);
}

int bindings_print(const struct lb_maps *m, FILE *out, bool json,
		   const char *aor_filter)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct siplb_location_key *keys;
	struct siplb_binding *vals;
	__u32 count, token = 0, i;
	bool first = true, done = false, start = true;
	__u64 now = time(NULL), shown = 0;
	int err = 0;

	keys = calloc(BATCH, sizeof(*keys));
	vals = calloc(BATCH, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	if (json)
		fprintf(out, "{\"bindings\":[");
	else
		fprintf(out, "%-32s %-44s %-24s %7s %5s\n", "aor", "contact",
			"source", "expires", "q");
	while (!done) {
		count = BATCH;
		if (bpf_map_lookup_batch(m->location, start ? NULL : &token,
					 &token, keys, vals, &count, &opts)) {
			if (errno != ENOENT) {
				err = -errno;
				break;
			}
			done = true;
		}
		start = false;
		for (i = 0; i < count; i++) {
			if (vals[i].expires_at <= now)
				continue;
			if (aor_filter && strncmp(keys[i].aor, aor_filter,
						  SIPLB_AOR_MAX))
				continue;
			binding_print(out, json, first, &keys[i], &vals[i],
				      now);
			first = false;
			shown++;
		}
	}
	if (json)
		fprintf(out, "],\"count\":%llu}\n", (unsigned long long)shown);
	else
		fprintf(out, "%llu bindings\n", (unsigned long long)shown);
out:
	free(vals);
	free(keys);
	return err;
}

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
		fprintf(out, "%-40s %10s %9s\n", "source", "seconds", "failures");
	err = bpf_map_get_next_key(m->blocked, NULL, &next);
	while (!err) {
		key = next;
		err = bpf_map_get_next_key(m->blocked, &key, &next);
		if (bpf_map_lookup_elem(m->blocked, &key, &block) ||
		    block.until_ns <= now)
			continue;
		addr_text(&key, text, sizeof(text));
		if (json)
			fprintf(out, "%s{\"source\":\"%s\",\"seconds\":%llu,"
				"\"failures\":%u}", first ? "" : ",", text,
				(unsigned long long)((block.until_ns - now) /
						     1000000000ULL),
				block.failures);
		else
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
