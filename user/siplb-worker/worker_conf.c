// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * worker_conf.c - complete siplb-worker's command line from siplb.conf
 * (worker_conf.h). The strings point into conf, which must outlive them.
 */
#include <errno.h>
#include <stddef.h>

#include "worker_conf.h"

static void set_default(const char **opt, const char *value)
{
	if (!*opt && value && value[0])
		*opt = value;
}

int worker_args_from_conf(struct worker_args *a,
			  const struct siplb_conf *conf)
{
	const struct conf_worker *w;

	set_default(&a->pin_dir, conf->pin_dir);
	set_default(&a->users, conf->users_path);
	set_default(&a->key, conf->dialog_secret_path);
	if (!a->name)
		return 0;
	w = conf_find_worker(conf, a->name);
	if (!w)
		return -ENOENT;
	set_default(&a->listen, w->listen);
	set_default(&a->domain, w->domain);
	set_default(&a->rr, w->record_route);
	set_default(&a->source, w->send_from);
	if (!a->timer_c_s)
		a->timer_c_s = w->ring_timeout;
	if (!a->max_txns)
		a->max_txns = w->max_transactions;
	if (!a->group_set && w->fork_group_timeout_set) {
		a->group_s = w->fork_group_timeout;
		a->group_set = true;
	}
	if (!a->redirects_set)
		a->redirects = w->max_redirects;
	return 0;
}
