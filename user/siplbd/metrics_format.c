// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * metrics_format.c - the Prometheus exposition (metrics_format.h).
 *
 * Every family is written with its HELP and TYPE lines even when it has
 * no sample (no backend, no worker yet), so a dashboard sees the name from
 * the first scrape. Names and help texts come from the X-macros that
 * define the counters (include/siplb_maps.h, include/siplb_worker.h,
 * daemon.h, registrar.h): a counter added there shows up here.
 */
#include <errno.h>

#include "lb_stats.h"
#include "metrics_format.h"

void metrics_label_value(FILE *out, const char *v)
{
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
	fputc('"', out);
}

/* HELP text: \ and newline are the two characters it must escape. */
static void family(FILE *out, const char *name, const char *type,
		   const char *help)
{
	fprintf(out, "# HELP %s ", name);
	for (; *help; help++) {
		if (*help == '\\')
			fputs("\\\\", out);
		else if (*help == '\n')
			fputs("\\n", out);
		else
			fputc(*help, out);
	}
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

static void sample(FILE *out, const char *name, unsigned long long v)
{
	fprintf(out, "%s %llu\n", name, v);
}

/* A counter family of one sample. */
static void counter1(FILE *out, const char *name, const char *help,
		     unsigned long long v)
{
	family(out, name, "counter", help);
	sample(out, name, v);
}

static void gauge1(FILE *out, const char *name, const char *help,
		   unsigned long long v)
{
	family(out, name, "gauge", help);
	sample(out, name, v);
}

static void format_xdp(FILE *out, const struct metrics_snapshot *s)
{
	int i;

	family(out, "siplb_xdp_packets_total", "counter",
	       "Packets the XDP program handled, by what it did and why "
	       "(siplbctl stats explains each reason)");
	for (i = 0; s->have_xdp && i < SIPLB_STAT_MAX; i++) {
		fputs("siplb_xdp_packets_total{reason=", out);
		metrics_label_value(out, siplb_stat_names[i]);
		fprintf(out, "} %llu\n", (unsigned long long)s->xdp[i]);
	}
	/* Not verdicts: lookups that hit or missed a cache (siplb_events). */
	family(out, "siplb_xdp_lookups_total", "counter",
	       "Affinity and next-hop cache lookups of the XDP program, by "
	       "cache and result");
	for (i = 0; s->have_events && i < SIPLB_EVENT_MAX; i++) {
		fputs("siplb_xdp_lookups_total{event=", out);
		metrics_label_value(out, siplb_event_names[i]);
		fprintf(out, "} %llu\n", (unsigned long long)s->events[i]);
	}
}

static void backend_labels(FILE *out, const struct metrics_backend *b)
{
	fputs("{vip=", out);
	metrics_label_value(out, b->vip);
	fputs(",backend=", out);
	metrics_label_value(out, b->addr);
}

/* One sample per backend of name, the value picked by field. */
#define BACKEND_FAMILY(out, s, name, type, help, expr)                        \
	do {                                                                  \
		size_t i_;                                                    \
		family(out, name, type, help);                                \
		for (i_ = 0; i_ < (s)->nbackends; i_++) {                     \
			const struct metrics_backend *b = &(s)->backends[i_]; \
			fputs(name, out);                                     \
			backend_labels(out, b);                               \
			fprintf(out, "} %llu\n", (unsigned long long)(expr)); \
		}                                                             \
	} while (0)

static void format_backends(FILE *out, const struct metrics_snapshot *s)
{
	size_t i;

	BACKEND_FAMILY(out, s, "siplb_backend_packets_total", "counter",
		       "Packets XDP steered to the backend", b->packets);
	BACKEND_FAMILY(out, s, "siplb_backend_bytes_total", "counter",
		       "Bytes XDP steered to the backend", b->bytes);
	BACKEND_FAMILY(out, s, "siplb_backend_up", "gauge",
		       "1 if the backend is up (new calls may reach it)",
		       b->up);
	BACKEND_FAMILY(out, s, "siplb_backend_weight", "gauge",
		       "The backend's Maglev weight", b->weight);
	family(out, "siplb_backend_state", "gauge",
	       "The backend's state (up, drain, down, unhealthy) as a label; "
	       "always 1");
	for (i = 0; i < s->nbackends; i++) {
		fputs("siplb_backend_state", out);
		backend_labels(out, &s->backends[i]);
		fputs(",state=", out);
		metrics_label_value(out, s->backends[i].state);
		fputs("} 1\n", out);
	}
}

static void worker_sample(FILE *out, const char *name,
			  const struct metrics_worker *w, const char *label,
			  const char *value, unsigned long long v)
{
	fprintf(out, "%s{worker=", name);
	metrics_label_value(out, w->addr);
	if (label) {
		fprintf(out, ",%s=", label);
		metrics_label_value(out, value);
	}
	fprintf(out, "} %llu\n", v);
}

static const char *const method_names[SIPLB_WM_COUNT] = {
#define METRICS_METHOD_NAME(m) #m,
	SIPLB_WORKER_METHODS(METRICS_METHOD_NAME)
#undef METRICS_METHOD_NAME
};

static void worker_classes(FILE *out, const struct metrics_snapshot *s,
			   const char *name, const char *help, bool in)
{
	static const char *const classes[SIPLB_STATUS_CLASSES] = {
		"", "1xx", "2xx", "3xx", "4xx", "5xx", "6xx"
	};
	size_t i;
	int k;

	family(out, name, "counter", help);
	for (i = 0; i < s->nworkers; i++) {
		const struct siplb_worker_counters *c = &s->workers[i].c;

		for (k = 1; k < SIPLB_STATUS_CLASSES; k++)
			worker_sample(
				out, name, &s->workers[i], "class", classes[k],
				in ? c->responses_in[k] : c->responses_out[k]);
	}
}

static void format_workers(FILE *out, const struct metrics_snapshot *s)
{
	size_t i;
	int k;

#define WORKER_FAMILY(name, type, help, expr)                            \
	do {                                                             \
		family(out, name, type, help);                           \
		for (i = 0; i < s->nworkers; i++) {                      \
			const struct metrics_worker *w = &s->workers[i]; \
			worker_sample(out, name, w, NULL, NULL, (expr)); \
		}                                                        \
	} while (0)
	WORKER_FAMILY("siplb_worker_up", "gauge",
		      "1 if the worker runs and updated its counters lately",
		      w->up);
	WORKER_FAMILY("siplb_worker_start_time_seconds", "gauge",
		      "When the worker started, seconds since the epoch",
		      w->started_at);
	WORKER_FAMILY("siplb_worker_transactions", "gauge",
		      "Transactions in the worker's table", w->transactions);
	WORKER_FAMILY("siplb_worker_pending_transactions", "gauge",
		      "Transactions without a final response yet", w->pending);
	family(out, "siplb_worker_requests_total", "counter",
	       "Requests the worker received, by method");
	for (i = 0; i < s->nworkers; i++)
		for (k = 0; k < SIPLB_WM_COUNT; k++)
			worker_sample(out, "siplb_worker_requests_total",
				      &s->workers[i], "method", method_names[k],
				      s->workers[i].c.requests[k]);
	worker_classes(out, s, "siplb_worker_responses_received_total",
		       "Responses received from downstream, by class", true);
	worker_classes(out, s, "siplb_worker_responses_sent_total",
		       "Responses sent upstream, by class", false);
#define WORKER_COUNTER(name, help)                                     \
	WORKER_FAMILY("siplb_worker_" #name "_total", "counter", help, \
		      w->c.name);
	SIPLB_WORKER_COUNTERS(WORKER_COUNTER)
#undef WORKER_COUNTER
#undef WORKER_FAMILY
}

static void format_daemon(FILE *out, const struct metrics_snapshot *s)
{
#define DAEMON_COUNTER(name, help) \
	counter1(out, "siplb_daemon_" #name "_total", help, s->daemon.name);
	DAEMON_STATS(DAEMON_COUNTER)
#undef DAEMON_COUNTER
	gauge1(out, "siplb_users", "Users in the users file", s->users);
#define REGISTRAR_COUNTER(name, help)                          \
	counter1(out, "siplb_registrar_" #name "_total", help, \
		 s->registrar.name);
	REGISTRAR_STATS(REGISTRAR_COUNTER)
#undef REGISTRAR_COUNTER
	counter1(out, "siplb_registrar_nonce_replays_total",
		 "Nonce counts seen twice by the replay tracker",
		 s->nonce_replays);
	counter1(out, "siplb_auth_failures_total",
		 "Failed authentications counted by the auth guard",
		 s->auth_failures);
	counter1(out, "siplb_auth_blocks_total",
		 "Sources the auth guard blocked in XDP", s->auth_blocks);
	counter1(out, "siplb_slowpath_forwarded_total",
		 "Datagrams XDP passed up that siplbd forwarded",
		 s->slow_forwarded);
	counter1(out, "siplb_slowpath_no_backend_total",
		 "Slow-path datagrams with no usable backend",
		 s->slow_no_backend);
	counter1(out, "siplb_slowpath_errors_total",
		 "Slow-path datagrams that could not be sent", s->slow_errors);
	counter1(out, "siplb_health_probes_total", "OPTIONS health probes sent",
		 s->health_probes);
	counter1(out, "siplb_health_answers_total", "Health probes answered",
		 s->health_answers);
	counter1(out, "siplb_health_misses_total",
		 "Health probes unanswered or refused", s->health_misses);
	counter1(out, "siplb_health_marked_unhealthy_total",
		 "Backends the health checks marked unhealthy",
		 s->health_marked_unhealthy);
	counter1(out, "siplb_health_marked_up_total",
		 "Backends the health checks marked up again",
		 s->health_marked_up);
}

int metrics_format(FILE *out, const struct metrics_snapshot *s)
{
	format_xdp(out, s);
	format_backends(out, s);
	family(out, "siplb_bindings", "gauge",
	       "Registered contacts in siplb_location (expired ones the "
	       "sweep has not removed included)");
	if (s->have_bindings)
		sample(out, "siplb_bindings", s->bindings);
	format_workers(out, s);
	format_daemon(out, s);
	counter1(out, "siplb_metrics_read_errors_total",
		 "Map reads that failed while building a scrape",
		 s->scrape_errors);
	counter1(out, "siplb_metrics_scrapes_total",
		 "Scrapes of /metrics answered before this one",
		 s->http_scrapes);
	counter1(out, "siplb_metrics_refused_total",
		 "HTTP requests refused: not GET or HEAD of /metrics",
		 s->http_refused);
	return ferror(out) ? -EIO : 0;
}
