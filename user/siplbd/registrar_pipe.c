// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * registrar_pipe.c - a cluster node's REGISTERs a receive batch at a time
 * (registrar.h, registrar_submit()).
 *
 * One at a time, each authenticated REGISTER waits for two Redis round
 * trips (the nonce count, then the bindings script), and the node's rate
 * is bounded by the round-trip time, not by its CPU. Here the requests of
 * a batch go through each stage together: every nonce count of the batch
 * in one pipeline, then every bindings script in a second, so a batch
 * costs two round trips whatever its size. Redis runs pipelined scripts
 * one after the other, in the order sent, each atomically: every request
 * is decided exactly as it would have been alone, in arrival order. The
 * two rounds only reorder a request's nonce count before the bindings of
 * the requests ahead of it, which touch other keys.
 *
 * What a request leaves between stages is its context (reg_ctx, with a
 * copy of the parsed message, whose slices point into the datagram); the
 * plan and the bindings script's words are built into the registrar's
 * scratch and appended at once, and each reply is built and handed to
 * send() as soon as its answer is read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_store.h"
#include "registrar.h"
#include "registrar_stage.h"

#define PIPE_MAX	64	/* requests kept: two receive batches */
#define PIPE_OUT	65536	/* the largest reply (a datagram) */

struct pipe_req {
	struct reg_ctx c;
	struct sip_msg msg;
	struct siplb_endpoint source;
	struct registrar_now now;
	unsigned int tag;
	bool sent;		/* its Redis call is in the pipeline */
	bool done;		/* answered */
	bool outbound;
	int err;		/* its Redis call's answer */
};

struct registrar_pipe {
	registrar_send_fn send;
	void *arg;
	size_t n;
	struct pipe_req q[PIPE_MAX];
	char out[PIPE_OUT];
};

int registrar_pipe_init(struct registrar *r, registrar_send_fn send,
			void *arg)
{
	r->pipe = calloc(1, sizeof(*r->pipe));
	if (!r->pipe)
		return -ENOMEM;
	r->pipe->send = send;
	r->pipe->arg = arg;
	return 0;
}

void registrar_pipe_free(struct registrar *r)
{
	free(r->pipe);
	r->pipe = NULL;
}

static void answer(struct registrar_pipe *p, struct pipe_req *q, int n)
{
	q->done = true;
	p->send(p->arg, q->tag, p->out, n);
}

/* A call that never reached Redis: counted as the store's failure
 * (-EIO: 503), but for a nonce count the script would refuse anyway. */
static int store_error(struct registrar *r, int err)
{
	if (err == -EINVAL)
		return err;
	r->cluster->stats.redis_errors++;
	return -EIO;
}

/* Round 1: every kept request's nonce count, then their verdicts. */
static void nonce_round(struct registrar *r)
{
	struct registrar_pipe *p = r->pipe;
	struct pipe_req *q;
	size_t i;
	int err = cluster_store_pipe_begin(r->cluster);

	for (i = 0; i < p->n; i++) {
		q = &p->q[i];
		q->err = err ? err :
			 cluster_store_nonce_send(r->cluster, &q->c.auth.id,
						  q->c.auth.nc,
						  q->c.now->real_s,
						  &q->c.auth.src);
		q->sent = !q->err;
		if (q->err)
			q->err = store_error(r, q->err);
	}
	for (i = 0; i < p->n; i++) {
		q = &p->q[i];
		if (q->sent)
			q->err = cluster_store_nonce_recv(r->cluster);
	}
}

/* Step 3 to the plan for one request; its bindings script appended. */
static void plan_one(struct registrar *r, struct pipe_req *q, int begun)
{
	struct cluster_register req;
	struct reg_plan *plan;
	int ret;

	q->sent = false;
	ret = registrar_stage_accept(&q->c, q->err);
	if (!ret)
		ret = registrar_stage_plan(&q->c, &plan);
	if (ret) {
		answer(r->pipe, q, ret);
		return;
	}
	q->outbound = registrar_plan_outbound(plan);
	q->err = registrar_stage_request(&q->c, plan, &req);
	if (q->err)
		return;	/* no identity for a contact: a 500, as alone */
	q->err = begun ? begun : cluster_store_register_send(r->cluster, &req);
	q->sent = !q->err;
	if (q->err)
		q->err = store_error(r, q->err);
}

/* Round 2: the bindings scripts of those still going, then the 200s. */
static void register_round(struct registrar *r)
{
	struct registrar_pipe *p = r->pipe;
	struct location_set *set = registrar_stage_set(r);
	struct pipe_req *q;
	int begun = cluster_store_pipe_begin(r->cluster);
	size_t i;

	for (i = 0; i < p->n; i++)
		plan_one(r, &p->q[i], begun);
	for (i = 0; i < p->n; i++) {
		q = &p->q[i];
		if (q->done)
			continue;
		if (q->sent)
			q->err = cluster_store_register_recv(r->cluster, set);
		q->c.result = q->err ? NULL : set;
		answer(p, q, registrar_stage_reply(&q->c, q->err,
						   q->outbound));
	}
}

void registrar_pipe_drain(struct registrar *r)
{
	struct registrar_pipe *p = r->pipe;

	if (!p || !p->n)
		return;
	nonce_round(r);
	register_round(r);
	p->n = 0;
}

void registrar_submit(struct registrar *r, const struct sip_msg *req,
		      const struct siplb_endpoint *source,
		      const struct registrar_now *now, unsigned int tag)
{
	struct registrar_pipe *p = r->pipe;
	struct pipe_req *q;
	int ret;

	if (p->n == PIPE_MAX)
		registrar_pipe_drain(r);
	q = &p->q[p->n];
	q->msg = *req;
	q->source = *source;
	q->now = *now;
	q->tag = tag;
	q->done = false;
	registrar_stage_ctx(&q->c, r, &q->msg, &q->source, &q->now, p->out,
			    sizeof(p->out));
	/* A failed login met here drains the kept ones first (registrar.c
	 * count_failure): this one is not among them yet. */
	ret = registrar_stage_begin(&q->c);
	if (ret) {
		answer(p, q, ret);
		return;
	}
	p->n++;
}
