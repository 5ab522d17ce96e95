// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * passive.c - failure detection from real traffic, and worker overload
 * (passive.h).
 *
 * Responses are counted by XDP where it rewrites a backend's source to
 * the VIP (siplb_snat). A siplb-worker started with -s sends to clients
 * from the VIP itself, so XDP cannot tell which backend a reply came from
 * (it carries the VIP as source); for such a backend the worker's own
 * published responses_out (siplb_workers, every 250 ms) are added to the
 * responses. Its 500/503 share is not judged here: a worker answers 503
 * itself only when its transaction table is full, and it reports that as
 * overload before it happens. Everything runs on its own 100 ms timer, so
 * a silent backend is out about passive-silence + 100 ms after its last
 * response.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "endpoint.h"
#include "lb_table.h"
#include "log.h"
#include "passive.h"
#include "siplb.skel.h"
#include "siplb_worker.h"

#define WORKER_STALE_S	5	/* a worker entry older than this is gone */

static void track_reset(struct passive_track *t, const struct passive_sample *s,
			__u64 now_ms)
{
	t->primed = true;
	t->last = t->win = *s;
	t->req_at_resp = s->requests;
	t->quiet_since_ms = 0;
	t->win_start_ms = now_ms;
}

static bool went_back(const struct passive_sample *now,
		      const struct passive_sample *then)
{
	return now->requests < then->requests ||
	       now->responses < then->responses || now->errors < then->errors;
}

/* Over a finished window: did 500/503 reach the share of requests? */
static bool window_errors(const struct passive_conf *conf,
			  struct passive_track *t,
			  const struct passive_sample *s, __u64 now_ms)
{
	__u64 req = s->requests - t->win.requests;
	__u64 err = s->errors - t->win.errors;

	if (now_ms - t->win_start_ms < conf->window_ms)
		return false;
	t->win = *s;
	t->win_start_ms = now_ms;
	return req >= conf->min_requests &&
	       err * 100 >= (__u64)conf->error_share * req;
}

enum passive_verdict passive_judge(const struct passive_conf *conf,
				   struct passive_track *t,
				   const struct passive_sample *s,
				   __u64 now_ms)
{
	if (!t->primed || went_back(s, &t->last)) {
		track_reset(t, s, now_ms);	/* new, or counters restarted */
		return PASSIVE_OK;
	}
	if (s->responses != t->last.responses) {
		t->req_at_resp = s->requests;
		t->quiet_since_ms = 0;
	} else if (s->requests > t->req_at_resp && !t->quiet_since_ms) {
		t->quiet_since_ms = now_ms;
	}
	t->last = *s;
	if (t->quiet_since_ms && now_ms - t->quiet_since_ms >= conf->silence_ms &&
	    s->requests - t->req_at_resp >= conf->min_requests)
		return PASSIVE_SILENT;
	if (window_errors(conf, t, s, now_ms))
		return PASSIVE_ERRORS;
	return PASSIVE_OK;
}

int passive_init(struct passive *p, const struct lb_maps *maps,
		 const char *pin_dir, struct health *health,
		 const struct passive_conf *conf)
{
	struct siplb *skel;
	int err;

	memset(p, 0, sizeof(*p));
	p->stats_fd = p->timer_fd = -1;
	p->maps = maps;
	p->health = health;
	p->conf = *conf;
	p->ntargets = health->ntargets;
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0)
		return p->ncpus ? p->ncpus : -EINVAL;
	p->percpu = calloc(p->ncpus, sizeof(*p->percpu));
	p->t = calloc(p->ntargets, sizeof(*p->t));
	p->bes = calloc(p->ntargets, sizeof(*p->bes));
	p->keys = calloc(p->ntargets, sizeof(*p->keys));
	if (!p->percpu || !p->t || !p->bes || !p->keys)
		return -ENOMEM;
	skel = siplb__open();
	if (!skel)
		return -errno;
	err = lb_map_open(pin_dir, skel->maps.siplb_passive, &p->stats_fd);
	siplb__destroy(skel);
	return err;
}

static void on_timer(struct evloop *loop, int fd, uint32_t events, void *arg)
{
	struct timespec ts;
	__u64 n;

	(void)loop;
	(void)events;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	passive_tick(arg, ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000);
}

int passive_start(struct passive *p, struct evloop *loop)
{
	struct itimerspec its = {
		.it_interval.tv_nsec = PASSIVE_PERIOD_MS * 1000000L,
		.it_value.tv_nsec = PASSIVE_PERIOD_MS * 1000000L,
	};
	int err;

	p->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_CLOEXEC | TFD_NONBLOCK);
	if (p->timer_fd < 0)
		return -errno;
	if (timerfd_settime(p->timer_fd, 0, &its, NULL))
		return -errno;
	err = evloop_add(loop, p->timer_fd, EPOLLIN, on_timer, p);
	return err;
}

void passive_free(struct passive *p, struct evloop *loop)
{
	if (p->timer_fd >= 0) {
		if (loop)
			evloop_del(loop, p->timer_fd);
		close(p->timer_fd);
	}
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	free(p->percpu);
	free(p->t);
	free(p->bes);
	free(p->keys);
	memset(p, 0, sizeof(*p));
	p->stats_fd = p->timer_fd = -1;
}

/* The worker listening on ep, if it published lately. */
static bool worker_of(const struct passive *p, const struct siplb_endpoint *ep,
		      struct siplb_worker_stats *w)
{
	struct timespec ts;

	if (p->maps->workers < 0 ||
	    bpf_map_lookup_elem(p->maps->workers, ep, w))
		return false;
	clock_gettime(CLOCK_REALTIME, &ts);
	return w->state != SIPLB_WORKER_STOPPED &&
	       w->updated_at + WORKER_STALE_S >= (__u64)ts.tv_sec;
}

static void sample_of(const struct passive *p, const struct siplb_backend *be,
		      struct passive_sample *s)
{
	struct siplb_worker_stats w;
	int cpu, k;

	memset(s, 0, sizeof(*s));
	if (!bpf_map_lookup_elem(p->stats_fd, &be->ep, p->percpu)) {
		for (cpu = 0; cpu < p->ncpus; cpu++) {
			s->requests += p->percpu[cpu].requests;
			s->responses += p->percpu[cpu].responses;
			s->errors += p->percpu[cpu].errors;
		}
	}
	if (worker_of(p, &be->ep, &w))
		for (k = 1; k < SIPLB_STATUS_CLASSES; k++)
			s->responses += w.c.responses_out[k];
}

static int set_state(struct passive *p, const struct siplb_backend *be,
		     enum siplb_backend_state state)
{
	struct siplb_endpoint vip;
	int err = lb_vip_by_id(p->maps, be->vip_id, &vip);

	return err ? err : lb_backend_set_state(p->maps, &vip, &be->ep, state);
}

/* A worker's own word on overload moves its backend in and out. */
static bool judge_overload(struct passive *p, __u32 id,
			   const struct siplb_backend *be)
{
	char text[ENDPOINT_STRLEN];
	struct siplb_worker_stats w;
	bool over = worker_of(p, &be->ep, &w) &&
		    w.state == SIPLB_WORKER_OVERLOADED;

	endpoint_format(&be->ep, text, sizeof(text));
	if (be->state == SIPLB_BACKEND_UP && over) {
		if (!set_state(p, be, SIPLB_BACKEND_OVERLOADED)) {
			p->overloaded++;
			log_warnx("backend %s is overloaded (its worker says "
				  "so: %u transactions): existing calls only",
				  text, w.transactions);
		}
		return true;
	}
	if (be->state == SIPLB_BACKEND_OVERLOADED && !over) {
		if (!set_state(p, be, SIPLB_BACKEND_UP)) {
			p->overload_cleared++;
			log_info("backend %s is no longer overloaded: up",
				 text);
		}
		(void)id;
		return true;
	}
	return false;
}

static void mark_down(struct passive *p, __u32 id,
		      const struct siplb_backend *be, enum passive_verdict v,
		      const struct passive_track *t, __u64 now_ms)
{
	char text[ENDPOINT_STRLEN];

	if (set_state(p, be, SIPLB_BACKEND_UNHEALTHY))
		return;
	health_restart(p->health, id);
	endpoint_format(&be->ep, text, sizeof(text));
	if (v == PASSIVE_SILENT) {
		p->marked_silent++;
		log_warnx("backend %s is unhealthy: %llu requests and no "
			  "response for %llu ms; its calls move", text,
			  (unsigned long long)(t->last.requests -
					       t->req_at_resp),
			  (unsigned long long)(now_ms - t->quiet_since_ms));
	} else {
		p->marked_errors++;
		log_warnx("backend %s is unhealthy: 500/503 answers reached "
			  "%u%% of its requests in %u ms; its calls move",
			  text, p->conf.error_share, p->conf.window_ms);
	}
}

static void tick_one(struct passive *p, __u32 id,
		     const struct siplb_backend *be, __u64 now_ms)
{
	struct passive_track *t = &p->t[id];
	struct passive_sample s;
	enum passive_verdict v;

	if (memcmp(&t->ep, &be->ep, sizeof(be->ep))) {
		memset(t, 0, sizeof(*t));
		t->ep = be->ep;
	}
	if (judge_overload(p, id, be) || !p->conf.on ||
	    be->state != SIPLB_BACKEND_UP) {
		t->primed = false;	/* a fresh start when it is up */
		return;
	}
	sample_of(p, be, &s);
	v = passive_judge(&p->conf, t, &s, now_ms);
	if (v != PASSIVE_OK) {
		mark_down(p, id, be, v, t, now_ms);
		t->primed = false;
	}
}

/* All backends in one batch read: this runs ten times a second. */
void passive_tick(struct passive *p, __u64 now_ms)
{
	__u32 id, count = p->ntargets, out = 0;
	int err;

	err = bpf_map_lookup_batch(p->maps->backends, NULL, &out, p->keys,
				   p->bes, &count, NULL);
	if (err && errno != ENOENT)
		return;
	for (id = 1; id < count && id < p->ntargets; id++) {
		if (p->bes[id].state == SIPLB_BACKEND_UNUSED) {
			p->t[id].primed = false;
			continue;
		}
		tick_one(p, id, &p->bes[id], now_ms);
	}
}
