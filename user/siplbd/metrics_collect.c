// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * metrics_collect.c - one scrape: siplbd's counters and the pinned maps
 * read into a struct metrics_snapshot, then formatted (metrics_format.h).
 * This is the one place that knows both struct siplbd and the snapshot,
 * as daemon_control.c is for the control socket; metrics.c, the HTTP
 * side, knows neither.
 *
 * A map that cannot be read leaves its families without samples and adds
 * to siplb_metrics_read_errors_total, so a scrape never fails half way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "daemon.h"
#include "lb_stats.h"
#include "lb_table.h"
#include "metrics.h"
#include "metrics_format.h"
#include "nonce.h"

#define WORKER_STALE_S 5 /* as `siplbctl workers` judges "gone" */

static int collect_backends(const struct lb_maps *m, struct metrics_snapshot *s)
{
	struct bpf_map_info info = {};
	struct siplb_endpoint vip;
	__u32 len = sizeof(info), id;
	struct siplb_backend be;
	struct siplb_backend_stats st;

	if (bpf_obj_get_info_by_fd(m->backends, &info, &len))
		return -errno;
	s->backends = calloc(info.max_entries, sizeof(*s->backends));
	if (!s->backends)
		return -ENOMEM;
	for (id = 1; id < info.max_entries; id++) {
		struct metrics_backend *b = &s->backends[s->nbackends];

		if (bpf_map_lookup_elem(m->backends, &id, &be))
			return -errno;
		if (be.state == SIPLB_BACKEND_UNUSED)
			continue;
		if (lb_vip_by_id(m, be.vip_id, &vip))
			snprintf(b->vip, sizeof(b->vip), "?");
		else
			endpoint_format(&vip, b->vip, sizeof(b->vip));
		endpoint_format(&be.ep, b->addr, sizeof(b->addr));
		b->state = lb_backend_state_name(be.state);
		b->up = be.state == SIPLB_BACKEND_UP;
		b->weight = be.weight;
		if (!lb_stats_read_backend(m, id, &st)) {
			b->packets = st.packets;
			b->bytes = st.bytes;
		}
		s->nbackends++;
	}
	return 0;
}

static int collect_workers(const struct lb_maps *m, struct metrics_snapshot *s)
{
	struct siplb_endpoint key, next;
	struct siplb_worker_stats w;
	__u64 now = time(NULL);
	size_t cap = 0;
	void *grown;
	int err;

	err = bpf_map_get_next_key(m->workers, NULL, &next);
	while (!err) {
		struct metrics_worker *mw;

		key = next;
		err = bpf_map_get_next_key(m->workers, &key, &next);
		if (bpf_map_lookup_elem(m->workers, &key, &w))
			continue; /* deleted meanwhile */
		if (s->nworkers == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(s->workers, cap * sizeof(*mw));
			if (!grown)
				return -ENOMEM;
			s->workers = grown;
		}
		mw = &s->workers[s->nworkers++];
		memset(mw, 0, sizeof(*mw));
		endpoint_format(&key, mw->addr, sizeof(mw->addr));
		mw->up = w.state == SIPLB_WORKER_RUNNING &&
			 w.updated_at + WORKER_STALE_S >= now;
		mw->transactions = w.transactions;
		mw->pending = w.pending;
		mw->started_at = w.started_at;
		mw->c = w.c;
	}
	return 0;
}

static void collect_daemon(const struct siplbd *d, struct metrics_snapshot *s)
{
	struct nonce_replay_stats nr;

	s->daemon = d->stats;
	s->registrar = d->reg.stats;
	nonce_replay_stats(d->reg.replay, &nr);
	s->nonce_replays = nr.replayed;
	s->users = daemon_user_count(d);
	s->auth_failures = d->guard.failures;
	s->auth_blocks = d->guard.blocks;
	s->slow_forwarded = d->slow.forwarded;
	s->slow_no_backend = d->slow.no_backend;
	s->slow_errors = d->slow.errors;
	s->health_probes = d->health.probes;
	s->health_answers = d->health.answers;
	s->health_misses = d->health.misses;
	s->health_marked_unhealthy = d->health.marked_unhealthy;
	s->health_marked_up = d->health.marked_up;
}

int daemon_metrics_render(void *ctx, FILE *out)
{
	struct siplbd *d = ctx;
	struct metrics_snapshot s = {};
	int err;

	collect_daemon(d, &s);
	s.have_xdp = lb_stats_read(&d->maps, s.xdp) == 0;
	s.have_events = lb_events_read(&d->maps, s.events) == 0;
	if (!s.have_xdp)
		d->metrics_read_errors++;
	if (collect_backends(&d->maps, &s))
		d->metrics_read_errors++;
	if (collect_workers(&d->maps, &s))
		d->metrics_read_errors++;
	s.have_bindings = location_count(&d->loc, &s.bindings) == 0;
	if (!s.have_bindings)
		d->metrics_read_errors++;
	s.scrape_errors = d->metrics_read_errors;
	s.http_scrapes = d->metrics.scrapes;
	s.http_refused = d->metrics.refused;
	err = metrics_format(out, &s);
	free(s.backends);
	free(s.workers);
	return err;
}
