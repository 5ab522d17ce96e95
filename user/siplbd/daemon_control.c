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

	nonce_replay_stats(d->reg.replay, &nr);
	fprintf(out, "{\"daemon\":{");
#define JSON_FIELD(name, help) fprintf(out, "\"%s\":%llu,", #name, \
				       (unsigned long long)ds->name);
	DAEMON_STATS(JSON_FIELD)
#undef JSON_FIELD
	fprintf(out, "\"users\":%zu},\"registrar\":{", daemon_user_count(d));
#define JSON_FIELD(name, help) fprintf(out, "\"%s\":%llu,", #name, \
				       (unsigned long long)rs->name);
	REGISTRAR_STATS(JSON_FIELD)
#undef JSON_FIELD
	fprintf(out, "\"nonce_replays\":%llu},",
		(unsigned long long)nr.replayed);
}

static int op_stats_json(void *ctx, FILE *out)
{
	const struct siplbd *d = ctx;

	json_daemon(out, d);
	fprintf(out, "\"auth_guard\":{\"failures\":%llu,\"blocks\":%llu},",
		(unsigned long long)d->guard.failures,
		(unsigned long long)d->guard.blocks);
	fprintf(out, "\"slow_path\":{\"forwarded\":%llu,\"no_backend\":%llu,"
		"\"errors\":%llu},",
		(unsigned long long)d->slow.forwarded,
		(unsigned long long)d->slow.no_backend,
		(unsigned long long)d->slow.errors);
	fprintf(out, "\"health\":{\"probes\":%llu,\"answers\":%llu,"
		"\"misses\":%llu,\"marked_unhealthy\":%llu,\"marked_up\":%llu,"
		"\"refused_codes\":%llu,\"backed_off\":%llu},",
		(unsigned long long)d->health.probes,
		(unsigned long long)d->health.answers,
		(unsigned long long)d->health.misses,
		(unsigned long long)d->health.marked_unhealthy,
		(unsigned long long)d->health.marked_up,
		(unsigned long long)d->health.refused_codes,
		(unsigned long long)d->health.backed_off);
	fprintf(out, "\"passive\":{\"marked_silent\":%llu,"
		"\"marked_errors\":%llu,\"overloaded\":%llu,"
		"\"overload_cleared\":%llu}}\n",
		(unsigned long long)d->passive.marked_silent,
		(unsigned long long)d->passive.marked_errors,
		(unsigned long long)d->passive.overloaded,
		(unsigned long long)d->passive.overload_cleared);
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
