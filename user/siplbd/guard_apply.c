// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * guard_apply.c - the guard block into siplb_guard and siplb_trunks
 * (guard_apply.h).
 *
 * The program reads siplb_guard once per message, so it is written whole
 * in one update: a reader sees the old policy or the new one. Trunk
 * prefixes are added before stale ones are removed, so a reload that keeps
 * a prefix never drops its traffic in between.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>

#include "guard_apply.h"
#include "log.h"

/* One signature as two little-endian words, letters folded to lower case
 * (the program ORs 0x20 into the same positions of what it reads). */
static void scanner_sig(const char *text, struct siplb_scanner_sig *sig)
{
	size_t len = strlen(text), i;

	memset(sig, 0, sizeof(*sig));
	if (len > SIPLB_SCANNER_LEN)
		len = SIPLB_SCANNER_LEN;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		__u64 shift = 8 * (i % 8);

		if (isalpha(c)) {
			c = (unsigned char)tolower(c);
			sig->fold[i / 8] |= (__u64)0x20 << shift;
		}
		sig->word[i / 8] |= (__u64)c << shift;
		sig->mask[i / 8] |= (__u64)0xff << shift;
	}
	sig->len = len;
}

void guard_build(const struct siplb_conf *conf, struct siplb_guard *g)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	memcpy(g->budget, conf->guard.budget, sizeof(g->budget));
	g->strict = conf->guard.strict;
	if (conf->guard.block_scanners) {
		for (i = 0; i < conf->guard.nscanners; i++)
			scanner_sig(conf->guard.scanners[i], &g->scanner[i]);
		g->nscanners = conf->guard.nscanners;
	}
	g->enabled = g->strict || g->nscanners;
	for (i = 0; i < SIPLB_METHOD_CLASSES; i++)
		if (g->budget[i].rate)
			g->enabled = 1;
}

static bool conf_has_trunk(const struct siplb_conf *conf,
			   const struct siplb_trunk_key *key)
{
	size_t i;

	for (i = 0; i < conf->guard.ntrunks; i++)
		if (!memcmp(&conf->guard.trunks[i].key, key, sizeof(*key)))
			return true;
	return false;
}

static int trunks_sync(int fd, const struct siplb_conf *conf)
{
	struct siplb_trunk_key key, next, *prev = NULL;
	__u32 one = 1;
	size_t i;
	int err = 0;

	for (i = 0; i < conf->guard.ntrunks; i++)
		if (bpf_map_update_elem(fd, &conf->guard.trunks[i].key, &one,
					BPF_ANY))
			return -errno;
	/* Each key is deleted only once the walk has stepped past it, so
	 * the walk never loses its place. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (prev && !conf_has_trunk(conf, prev) &&
		    bpf_map_delete_elem(fd, prev) && errno != ENOENT)
			err = -errno;
		key = next;
		prev = &key;
	}
	if (prev && !conf_has_trunk(conf, prev) &&
	    bpf_map_delete_elem(fd, prev) && errno != ENOENT)
		err = -errno;
	return err;
}

int guard_apply(const struct lb_maps *m, const struct siplb_conf *conf)
{
	struct siplb_guard g;
	__u32 zero = 0;
	int err;

	guard_build(conf, &g);
	err = trunks_sync(m->trunks, conf);
	if (err) {
		log_warnx("Couldn't update siplb_trunks: %s", strerror(-err));
		return err;
	}
	if (bpf_map_update_elem(m->guard, &zero, &g, BPF_ANY)) {
		err = -errno;
		log_warn("Couldn't update siplb_guard");
		return err;
	}
	return 0;
}
