// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * daemon_control.c - the daemon's side of the control socket: the named
 * operations control.c calls (daemon.h: daemon_control_ops). This is the
 * one place that knows both what a request asks for and where siplbd keeps
 * it, so control.c needs neither daemon.h nor struct siplbd: the
 * dependency runs one way, daemon -> control.
 */
#include <stdio.h>

#include "daemon.h"
#include "json.h"
#include "lb_table.h"
#include "nonce.h"
#include "users.h"

static int op_reload(void *ctx, char *why, size_t whylen)
{
	return daemon_reload(ctx, why, whylen);
}

static void json_daemon(FILE *out, const struct siplbd *d)
{
	const struct registrar_stats *rs = &d->reg.stats;
	const struct daemon_stats *ds = &d->stats;
	struct nonce_replay_stats nr;
	bool first = true;

	nonce_replay_stats(d->reg.replay, &nr);
	fprintf(out, "{\"daemon\":{");
#define JSON_FIELD(name, help) json_u64_member(out, first, #name, ds->name); \
	first = false;
	DAEMON_STATS(JSON_FIELD)
#undef JSON_FIELD
	json_u64_member(out, false, "users", daemon_user_count(d));
	fprintf(out, "},\"registrar\":{");
	first = true;
#define JSON_FIELD(name, help) json_u64_member(out, first, #name, rs->name); \
	first = false;
	REGISTRAR_STATS(JSON_FIELD)
#undef JSON_FIELD
	json_u64_member(out, false, "nonce_replays", nr.replayed);
	fprintf(out, "},");
}

static int op_stats_json(void *ctx, FILE *out)
{
	const struct siplbd *d = ctx;

	json_daemon(out, d);
	fprintf(out, "\"auth_guard\":{");
	json_u64_member(out, true, "failures", d->guard.failures);
	json_u64_member(out, false, "blocks", d->guard.blocks);
	fprintf(out, "},\"slow_path\":{");
	json_u64_member(out, true, "forwarded", d->slow.forwarded);
	json_u64_member(out, false, "no_backend", d->slow.no_backend);
	json_u64_member(out, false, "errors", d->slow.errors);
	fprintf(out, "},\"health\":{");
	json_u64_member(out, true, "probes", d->health.probes);
	json_u64_member(out, false, "answers", d->health.answers);
	json_u64_member(out, false, "misses", d->health.misses);
	json_u64_member(out, false, "marked_unhealthy",
			d->health.marked_unhealthy);
	json_u64_member(out, false, "marked_up", d->health.marked_up);
	json_u64_member(out, false, "refused_codes", d->health.refused_codes);
	json_u64_member(out, false, "backed_off", d->health.backed_off);
	fprintf(out, "},\"passive\":{");
	json_u64_member(out, true, "marked_silent", d->passive.marked_silent);
	json_u64_member(out, false, "marked_errors", d->passive.marked_errors);
	json_u64_member(out, false, "overloaded", d->passive.overloaded);
	json_u64_member(out, false, "overload_cleared",
			d->passive.overload_cleared);
	fprintf(out, "}}\n");
	return 0;
}

static int op_backend_add(void *ctx, const struct siplb_endpoint *vip,
			  const struct siplb_endpoint *be, __u32 weight)
{
	const struct siplbd *d = ctx;

	return lb_backend_add(&d->maps, vip, be, weight);
}

static int op_backend_del(void *ctx, const struct siplb_endpoint *vip,
			  const struct siplb_endpoint *be)
{
	const struct siplbd *d = ctx;

	return lb_backend_del(&d->maps, vip, be);
}

static int op_backend_set_weight(void *ctx, const struct siplb_endpoint *vip,
				 const struct siplb_endpoint *be, __u32 weight)
{
	const struct siplbd *d = ctx;

	return lb_backend_set_weight(&d->maps, vip, be, weight);
}

static int op_backend_set_state(void *ctx, const struct siplb_endpoint *vip,
				const struct siplb_endpoint *be,
				enum siplb_backend_state state)
{
	const struct siplbd *d = ctx;

	return lb_backend_set_state(&d->maps, vip, be, state);
}

const struct control_ops daemon_control_ops = {
	.reload = op_reload,
	.stats_json = op_stats_json,
	.backend_add = op_backend_add,
	.backend_del = op_backend_del,
	.backend_set_weight = op_backend_set_weight,
	.backend_set_state = op_backend_set_state,
};
