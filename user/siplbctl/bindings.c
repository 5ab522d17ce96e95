// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bindings.c - `siplbctl bindings`: the registrar's location map
 * (bindings.h). Read straight from the pinned map, so it works with or
 * without siplbd running; expired bindings the sweep has not removed yet
 * are not shown.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "bindings.h"
#include "endpoint.h"
#include "json.h"
#include "siplb_location.h"

#define BATCH 1024

static void binding_print(FILE *out, bool json, bool first,
			  const struct siplb_location_key *k,
			  const struct siplb_binding *b, __u64 now)
{
	char src[ENDPOINT_STRLEN], aor[SIPLB_AOR_MAX + 1];
	char contact[SIPLB_CONTACT_MAX + 1], inst[SIPLB_INSTANCE_MAX + 1];

	memcpy(inst, b->instance, SIPLB_INSTANCE_MAX);
	inst[SIPLB_INSTANCE_MAX] = '\0';
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
	json_string(out, k->aor, SIPLB_AOR_MAX);
	fprintf(out, ",\"slot\":%u,\"contact\":", k->slot);
	json_string(out, b->contact, SIPLB_CONTACT_MAX);
	fprintf(out, ",\"source\":");
	json_cstring(out, src);
	fprintf(out, ",\"expires\":%llu,\"q\":%u,\"cseq\":%u,\"instance\":",
		(unsigned long long)(b->expires_at - now), b->q, b->cseq);
	/* RFC 5626; "" for none */
	json_string(out, b->instance, SIPLB_INSTANCE_MAX);
	fprintf(out, ",\"reg_id\":%u,\"outbound\":%s}", b->reg_id,
		b->flags & SIPLB_BINDING_OUTBOUND ? "true" : "false");
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
