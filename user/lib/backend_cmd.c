// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * backend_cmd.c - parse, check and carry out the backend verbs
 * (backend_cmd.h). The messages are constant strings so that siplbd can
 * send them back over the control socket as they are, and siplbctl prints
 * the same words whether it asked siplbd or wrote the maps itself.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_cmd.h"
#include "endpoint.h"
#include "lb_table.h"

#define WEIGHT_RANGE_MSG \
	"the weight must be a whole number in " BACKEND_WEIGHT_RANGE

static const char *const verb_names[] = {
	[BACKEND_ADD] = "add",
	[BACKEND_DEL] = "del",
	[BACKEND_UP] = "up",
	[BACKEND_DRAIN] = "drain",
	[BACKEND_DOWN] = "down",
	[BACKEND_WEIGHT] = "weight",
};

const char *backend_verb_name(enum backend_verb verb)
{
	return verb < sizeof(verb_names) / sizeof(verb_names[0]) ?
		       verb_names[verb] : "?";
}

static int verb_parse(const char *text, enum backend_verb *verb)
{
	size_t i;

	for (i = 0; i < sizeof(verb_names) / sizeof(verb_names[0]); i++) {
		if (!strcmp(text, verb_names[i])) {
			*verb = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Digits only: strtoul would take "-1" (as ULONG_MAX) and " 7". */
static int weight_parse(const char *text, __u32 *weight)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end || v < 1 || v > SIPLB_WEIGHT_MAX)
		return -EINVAL;
	*weight = v;
	return 0;
}

/* What may follow VIP BACKEND: nothing, or the verb's weight. */
static int tail_parse(struct backend_cmd *c, int argc, char *const *argv,
		      const char **why)
{
	if (c->verb == BACKEND_WEIGHT) {
		if (argc != 1) {
			*why = "expected VIP BACKEND N";
			return -EINVAL;
		}
		goto weight;
	}
	if (argc == 0)
		return 0;
	/* "weight N" too: the configuration's spelling, and the line an
	 * older siplbctl sent. */
	if (c->verb != BACKEND_ADD || argc != 2 ||
	    (strcmp(argv[0], "--weight") && strcmp(argv[0], "weight"))) {
		*why = c->verb == BACKEND_ADD ?
			       "expected VIP BACKEND [--weight N]" :
			       "unexpected argument after VIP BACKEND";
		return -EINVAL;
	}
	argv++;
weight:
	if (weight_parse(argv[0], &c->weight)) {
		*why = WEIGHT_RANGE_MSG;
		return -EINVAL;
	}
	return 0;
}

int backend_cmd_parse(struct backend_cmd *c, int argc, char *const *argv,
		      const char **why)
{
	memset(c, 0, sizeof(*c));
	c->weight = 1;
	if (argc < 1 || verb_parse(argv[0], &c->verb)) {
		*why = "unknown backend verb (add, del, up, drain, down, "
		       "weight)";
		return -EINVAL;
	}
	if (argc < 3) {
		*why = "expected VIP BACKEND after the verb";
		return -EINVAL;
	}
	if (endpoint_parse(argv[1], &c->vip)) {
		*why = "bad VIP: expected ADDR:PORT or [IPV6]:PORT";
		return -EINVAL;
	}
	if (endpoint_parse(argv[2], &c->be)) {
		*why = "bad BACKEND: expected ADDR:PORT or [IPV6]:PORT";
		return -EINVAL;
	}
	return tail_parse(c, argc - 3, argv + 3, why);
}

int backend_cmd_apply(const struct lb_maps *m, const struct backend_cmd *c)
{
	switch (c->verb) {
	case BACKEND_ADD:
		return lb_backend_add(m, &c->vip, &c->be, c->weight);
	case BACKEND_DEL:
		return lb_backend_del(m, &c->vip, &c->be);
	case BACKEND_UP:
		return lb_backend_set_state(m, &c->vip, &c->be,
					    SIPLB_BACKEND_UP);
	case BACKEND_DRAIN:
		return lb_backend_set_state(m, &c->vip, &c->be,
					    SIPLB_BACKEND_DRAINING);
	case BACKEND_DOWN:
		return lb_backend_set_state(m, &c->vip, &c->be,
					    SIPLB_BACKEND_DOWN);
	case BACKEND_WEIGHT:
		return lb_backend_set_weight(m, &c->vip, &c->be, c->weight);
	}
	return -EINVAL;
}

const char *backend_cmd_strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return "no such VIP, or the backend is not one of its backends";
	case -EEXIST:
		return "the backend exists already (an endpoint serves one VIP)";
	case -EAFNOSUPPORT:
		return "the backend and the VIP must be of one address family";
	case -ENOSPC:
		return "no room for another backend (siplb_backends is full)";
	case -ERANGE:
		return WEIGHT_RANGE_MSG;
	default:
		return strerror(-err);
	}
}

int backend_cmd_format(const struct backend_cmd *c, char *line, size_t size)
{
	char vip[ENDPOINT_STRLEN], be[ENDPOINT_STRLEN];
	int n;

	endpoint_format(&c->vip, vip, sizeof(vip));
	endpoint_format(&c->be, be, sizeof(be));
	if (c->verb == BACKEND_ADD)
		n = snprintf(line, size, "backend add %s %s --weight %u", vip,
			     be, c->weight);
	else if (c->verb == BACKEND_WEIGHT)
		n = snprintf(line, size, "backend weight %s %s %u", vip, be,
			     c->weight);
	else
		n = snprintf(line, size, "backend %s %s %s",
			     backend_verb_name(c->verb), vip, be);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}
