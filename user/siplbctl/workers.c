// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * workers.c - `siplbctl workers` (workers.h). Each siplb-worker
 * writes its own entry once a second; a worker killed without a chance to
 * say so leaves an entry that stops being updated, shown here as "gone".
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "workers.h"
#include "endpoint.h"
#include "json.h"
#include "siplb_worker.h"

static const char *const method_names[SIPLB_WM_COUNT] = {
#define CTL_METHOD_NAME(m) #m,
	SIPLB_WORKER_METHODS(CTL_METHOD_NAME)
#undef CTL_METHOD_NAME
};

static const char *state_of(const struct siplb_worker_stats *w, __u64 now)
{
	if (w->state == SIPLB_WORKER_STOPPED)
		return "stopped";
	if (w->updated_at + WORKERS_STALE_S < now)
		return "gone";
	if (w->state == SIPLB_WORKER_OVERLOADED)
		return "overload";
	return "running";
}

static void row_print(FILE *out, const char *addr,
		      const struct siplb_worker_stats *w, __u64 now)
{
	const struct siplb_worker_counters *c = &w->c;

	fprintf(out, "%-24s %7u %-8s %7llu %7llu %7llu %7llu %6llu %7llu "
		"%6llu %6llu %6llu %7llu %8u\n", addr, w->pid, state_of(w, now),
		(unsigned long long)c->requests[SIPLB_WM_INVITE],
		(unsigned long long)c->requests[SIPLB_WM_ACK],
		(unsigned long long)c->requests[SIPLB_WM_BYE],
		(unsigned long long)c->requests[SIPLB_WM_CANCEL],
		(unsigned long long)c->responses_out[2],
		(unsigned long long)(c->responses_out[3] +
				     c->responses_out[4] +
				     c->responses_out[5] +
				     c->responses_out[6]),
		(unsigned long long)c->local_answers,
		(unsigned long long)c->timeouts,
		(unsigned long long)c->dropped,
		(unsigned long long)(c->dialog_forged + c->bad_extension),
		w->pending);
}

static void classes_json(FILE *out, const char *name, const __u64 *v)
{
	int i;

	fprintf(out, ",\"%s\":{", name);
	for (i = 1; i < SIPLB_STATUS_CLASSES; i++)
		fprintf(out, "%s\"%dxx\":%llu", i > 1 ? "," : "", i,
			(unsigned long long)v[i]);
	fputc('}', out);
}

static void json_print(FILE *out, const char *addr,
		       const struct siplb_worker_stats *w, __u64 now)
{
	const struct siplb_worker_counters *c = &w->c;
	int i;

	fprintf(out, "{\"address\":");
	json_cstring(out, addr);
	fprintf(out, ",\"pid\":%u,\"state\":", w->pid);
	json_cstring(out, state_of(w, now));
	fprintf(out, ",\"started_at\":%llu,\"updated_at\":%llu,"
		"\"transactions\":%u,\"pending\":%u,\"requests\":{",
		(unsigned long long)w->started_at,
		(unsigned long long)w->updated_at, w->transactions,
		w->pending);
	for (i = 0; i < SIPLB_WM_COUNT; i++) {
		fputs(i ? "," : "", out);
		json_cstring(out, method_names[i]);
		fprintf(out, ":%llu", (unsigned long long)c->requests[i]);
	}
	fputc('}', out);
	classes_json(out, "responses_in", c->responses_in);
	classes_json(out, "responses_out", c->responses_out);
#define CTL_COUNTER_JSON(name, help)                                          \
	fprintf(out, ",\"" #name "\":%llu", (unsigned long long)c->name);
	SIPLB_WORKER_COUNTERS(CTL_COUNTER_JSON)
#undef CTL_COUNTER_JSON
	fputc('}', out);
}

int workers_print(const struct lb_maps *m, FILE *out, bool json)
{
	struct siplb_endpoint key, next;
	struct siplb_worker_stats w;
	char addr[ENDPOINT_STRLEN];
	__u64 now = time(NULL);
	bool first = true;
	int err, n = 0;

	if (json)
		fprintf(out, "{\"workers\":[");
	else
		fprintf(out, "%-24s %7s %-8s %7s %7s %7s %7s %6s %7s %6s %6s "
			"%6s %7s %8s\n", "worker", "pid", "state", "INVITE",
			"ACK", "BYE", "CANCEL", "2xx", "3-6xx", "local", "tmout",
			"drop", "refused", "pending");
	err = bpf_map_get_next_key(m->workers, NULL, &next);
	while (!err) {
		key = next;
		err = bpf_map_get_next_key(m->workers, &key, &next);
		if (bpf_map_lookup_elem(m->workers, &key, &w))
			continue;	/* deleted meanwhile */
		endpoint_format(&key, addr, sizeof(addr));
		if (json) {
			fputs(first ? "" : ",", out);
			json_print(out, addr, &w, now);
		} else {
			row_print(out, addr, &w, now);
		}
		first = false;
		n++;
	}
	if (json)
		fprintf(out, "],\"count\":%d}\n", n);
	else
		fprintf(out, "%d workers (2xx, 3-6xx: final responses sent "
			"upstream; local: answered by the worker itself; "
			"refused: forged in-dialog requests and unsupported "
			"extensions, -j for each)\n", n);
	return 0;
}

int workers_delete(const struct lb_maps *m, const char *text)
{
	struct siplb_endpoint ep;

	if (endpoint_parse(text, &ep))
		return -EINVAL;
	if (bpf_map_delete_elem(m->workers, &ep))
		return -errno;
	return 0;
}
