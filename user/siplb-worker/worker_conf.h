/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * worker_conf.h - what siplb-worker runs with: its command line, completed
 * from siplb.conf (-c) and its `worker NAME` block (-n). An option given
 * on the command line wins over the block, the block over the defaults,
 * so `siplb-worker -c siplb.conf -n w1 -v -C 30` is w1 with a shorter
 * Timer C. Pure: nothing is opened or looked up here.
 */
#ifndef SIPLB_WORKER_CONF_H
#define SIPLB_WORKER_CONF_H

#include <stdbool.h>

#include "config.h"

struct worker_args {
	const char *listen, *pin_dir, *domain, *rr, *source;
	const char *users, *realm, *conf_path, *name;
	const char *key;		/* -k, or siplb.conf's dialog-secret-file */
	unsigned long timer_c_s;	/* 0: not given */
	unsigned long max_txns;		/* 0: not given */
	unsigned long group_s;		/* -G: serial forking's group timer */
	bool group_set;			/* -G given (0 is a value) */
	unsigned long redirects;	/* -F: 3xx to follow; 0: relay them */
	bool redirects_set;		/* -F given (0 is a value) */
	bool foreground;		/* -f */
};

/*
 * Fill what the command line left unset from conf: pin-dir, users, the
 * Record-Route key (dialog-secret-file), and with a name that worker
 * block's listen, domain, record-route, send-from, ring-timeout,
 * max-transactions, fork-group-timeout and max-redirects. 0, or -ENOENT
 * when conf has no worker called a->name.
 */
int worker_args_from_conf(struct worker_args *a,
			  const struct siplb_conf *conf);

#endif /* SIPLB_WORKER_CONF_H */
