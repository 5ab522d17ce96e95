/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * registrar_stage.h - one REGISTER in stages, for registrar.c and the
 * pipeline that runs a batch of them (registrar_pipe.c): begin (checks,
 * step 2 up to the nonce count), accept (the nonce count's verdict, step
 * 3), plan (steps 4 and 5's checks), then the decision and the reply.
 * registrar_handle() runs them in a row; in a cluster the pipeline runs
 * each stage for a whole batch, so that the Redis calls between stages
 * cost one round trip per batch. Private to siplbd's registrar.
 */
#ifndef SIPLB_REGISTRAR_STAGE_H
#define SIPLB_REGISTRAR_STAGE_H

#include "nonce.h"
#include "registrar.h"

struct cluster_register;
struct reg_plan;

/* What authentication leaves for the nonce count's use and step 3. */
struct reg_auth {
	struct nonce_id id;
	__u32 nc;
	struct siplb_addr src;
	char user[256];			/* the digest username */
	size_t user_len;
};

/* One REGISTER being answered. */
struct reg_ctx {
	struct registrar *r;
	const struct sip_msg *req;
	const struct siplb_endpoint *source;
	const struct registrar_now *now;
	char aor[SIPLB_AOR_MAX];
	size_t aor_len;
	char aor_user[SIPLB_AOR_MAX];	/* %HH decoded */
	bool foreign_domain;		/* step 5: 404, after authentication */
	char to_tag[24];
	char *out;
	size_t size;
	struct location_set *result;	/* the AOR's bindings once applied */
	struct reg_auth auth;
};

/*
 * Each stage returns 0 to go on to the next, else what registrar_handle()
 * returns: the length of the response written to c->out, or -errno.
 */
void registrar_stage_ctx(struct reg_ctx *c, struct registrar *r,
			 const struct sip_msg *req,
			 const struct siplb_endpoint *source,
			 const struct registrar_now *now, char *out,
			 size_t size);
/* Checks and credentials: 0 leaves c->auth's nonce count to be used. */
int registrar_stage_begin(struct reg_ctx *c);
/* err: the nonce count's use (0, -EALREADY, -ESTALE or -EIO). */
int registrar_stage_accept(struct reg_ctx *c, int err);
/* 0: *plan (the registrar's scratch) is to be decided. */
int registrar_stage_plan(struct reg_ctx *c, struct reg_plan **plan);
/* The Redis script's request for plan (contacts in the scratch). */
int registrar_stage_request(struct reg_ctx *c, const struct reg_plan *plan,
			    struct cluster_register *req);
/* The scratch set a decision's bindings are read into. */
struct location_set *registrar_stage_set(struct registrar *r);
/* The reply to a decided plan: err as cluster_store_register()'s, and
 * c->result the set when 0. */
int registrar_stage_reply(struct reg_ctx *c, int err, bool outbound);
/* Whether the plan asked for an RFC 5626 flow (the 200 says so). */
bool registrar_plan_outbound(const struct reg_plan *plan);

#endif /* SIPLB_REGISTRAR_STAGE_H */
