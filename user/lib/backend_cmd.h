/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * backend_cmd.h - the backend verbs, parsed and checked in one place for
 * both ends of the control socket: siplbctl (before it asks siplbd, or
 * when it writes the maps itself) and siplbd (user/siplbd/control.c). So
 * a command is refused with the same words whichever way it goes.
 *
 *	add VIP BACKEND [--weight N]	(N: 1..SIPLB_WEIGHT_MAX, default 1)
 *	del VIP BACKEND
 *	up|drain|down VIP BACKEND
 *	weight VIP BACKEND N
 *
 * VIP and BACKEND are ADDR:PORT or [IPV6]:PORT.
 */
#ifndef SIPLB_BACKEND_CMD_H
#define SIPLB_BACKEND_CMD_H

#include <stddef.h>
#include "lb_maps.h"
#include "siplb_maps.h"

enum backend_verb {
	BACKEND_ADD,
	BACKEND_DEL,
	BACKEND_UP,
	BACKEND_DRAIN,
	BACKEND_DOWN,
	BACKEND_WEIGHT,
};

struct backend_cmd {
	enum backend_verb verb;
	struct siplb_endpoint vip, be;
	__u32 weight;		/* add, weight */
};

#define BACKEND_STR_(x) #x
#define BACKEND_STR(x) BACKEND_STR_(x)
/* "1..1000", for messages. */
#define BACKEND_WEIGHT_RANGE "1.." BACKEND_STR(SIPLB_WEIGHT_MAX)

/*
 * Parse the words after "backend" (argv[0] is the verb). 0, or -EINVAL
 * with *why set to a constant string that says what is wrong.
 */
int backend_cmd_parse(struct backend_cmd *c, int argc, char *const *argv,
		      const char **why);

/* Carry c out on the maps (lb_table.c). 0 or -errno. */
int backend_cmd_apply(const struct lb_maps *m, const struct backend_cmd *c);

/* What a -errno from backend_cmd_apply means, as a constant string. */
const char *backend_cmd_strerror(int err);

/* The request line siplbd's control socket takes for c. */
int backend_cmd_format(const struct backend_cmd *c, char *line, size_t size);

const char *backend_verb_name(enum backend_verb verb);

#endif /* SIPLB_BACKEND_CMD_H */
