// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * guard_apply.c - the guard block into siplb_guard and siplb_trunks
 * (guard_apply.h).
 *
 * The program reads siplb_guard once per message, so it is written whole
 * in one update: a reader sees the old policy or the new one. Trunk
 * prefixes are added before stale ones are removed, so a reload that keeps
 * a prefix never drops its traffic in between. As in lb_apply.c, the
 * changes are planned first (what to add and remove, whether siplb_guard
 * changes, whether siplb_trunks can hold it all), then made.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
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
	g->registered = conf->guard.registered;
	g->strict = conf->guard.strict;
	if (conf->guard.block_scanners) {
		for (i = 0; i < conf->guard.nscanners; i++)
			scanner_sig(conf->guard.scanners[i], &g->scanner[i]);
		g->nscanners = conf->guard.nscanners;
	}
	g->enabled = g->strict || g->nscanners || g->registered.rate;
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

static int keys_push(struct siplb_trunk_key **keys, size_t *n,
		     const struct siplb_trunk_key *key)
{
	struct siplb_trunk_key *k = reallocarray(*keys, *n + 1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k[(*n)++] = *key;
	*keys = k;
	return 0;
}

/* The prefixes in the map, exactly: a lookup in an LPM trie would also
 * find 192.0.2.7 "present" under 192.0.2.0/24. */
static int trunks_read(int fd, struct siplb_trunk_key **keys, size_t *n)
{
	struct siplb_trunk_key key, next;
	int err;

	err = bpf_map_get_next_key(fd, NULL, &next);
	while (!err) {
		key = next;
		if (keys_push(keys, n, &key))
			return -ENOMEM;
		err = bpf_map_get_next_key(fd, &key, &next);
	}
	return errno == ENOENT ? 0 : -errno;
}

static bool keys_have(const struct siplb_trunk_key *keys, size_t n,
		      const struct siplb_trunk_key *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!memcmp(&keys[i], key, sizeof(*key)))
			return true;
	return false;
}

static int plan_trunks(int fd, const struct siplb_conf *conf,
		       struct guard_plan *p)
{
	struct bpf_map_info info = {};
	struct siplb_trunk_key *now = NULL;
	__u32 len = sizeof(info);
	size_t i, present = 0;
	int err;

	err = trunks_read(fd, &now, &present);
	for (i = 0; !err && i < present; i++)
		if (!conf_has_trunk(conf, &now[i]))
			err = keys_push(&p->del, &p->ndel, &now[i]);
	for (i = 0; !err && i < conf->guard.ntrunks; i++)
		if (!keys_have(now, present, &conf->guard.trunks[i].key))
			err = keys_push(&p->add, &p->nadd,
					&conf->guard.trunks[i].key);
	free(now);
	if (!err && bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	if (err)
		return err;
	if (present - p->ndel + p->nadd > info.max_entries) {
		log_warnx("siplb_trunks holds at most %u prefixes, the "
			  "configuration has %zu", info.max_entries,
			  conf->guard.ntrunks);
		return -ENOSPC;
	}
	/* Too small for the old and the new together: stale ones first. */
	p->del_first = present + p->nadd > info.max_entries;
	return 0;
}

int guard_plan_build(const struct lb_maps *m, const struct siplb_conf *conf,
		     struct guard_plan *p)
{
	struct siplb_guard now;
	__u32 zero = 0;
	int err;

	memset(p, 0, sizeof(*p));
	guard_build(conf, &p->g);
	if (bpf_map_lookup_elem(m->guard, &zero, &now))
		return -errno;
	p->write_guard = memcmp(&now, &p->g, sizeof(now)) != 0;
	err = plan_trunks(m->trunks, conf, p);
	if (err) {
		log_warnx("Couldn't plan siplb_trunks: %s", strerror(-err));
		guard_plan_free(p);
	}
	return err;
}

void guard_plan_free(struct guard_plan *p)
{
	free(p->add);
	free(p->del);
	memset(p, 0, sizeof(*p));
}

static int trunks_add(int fd, const struct guard_plan *p,
		      struct map_journal *j)
{
	__u32 one = 1;
	size_t i;
	int err;

	for (i = 0; i < p->nadd; i++) {
		err = j ? map_journal_save(j, fd, &p->add[i]) : 0;
		if (err)
			return err;
		if (bpf_map_update_elem(fd, &p->add[i], &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int trunks_del(int fd, const struct guard_plan *p,
		      struct map_journal *j)
{
	size_t i;
	int err;

	for (i = 0; i < p->ndel; i++) {
		err = j ? map_journal_save(j, fd, &p->del[i]) : 0;
		if (err)
			return err;
		if (bpf_map_delete_elem(fd, &p->del[i]) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

int guard_plan_apply(const struct lb_maps *m, const struct guard_plan *p,
		     struct map_journal *j)
{
	__u32 zero = 0;
	int err;

	err = p->del_first ? trunks_del(m->trunks, p, j) :
			     trunks_add(m->trunks, p, j);
	if (!err)
		err = p->del_first ? trunks_add(m->trunks, p, j) :
				     trunks_del(m->trunks, p, j);
	if (err) {
		log_warnx("Couldn't update siplb_trunks: %s", strerror(-err));
		return err;
	}
	if (!p->write_guard)
		return 0;
	err = j ? map_journal_save(j, m->guard, &zero) : 0;
	if (!err && bpf_map_update_elem(m->guard, &zero, &p->g, BPF_ANY))
		err = -errno;
	if (err)
		log_warnx("Couldn't update siplb_guard: %s", strerror(-err));
	return err;
}

int guard_apply(const struct lb_maps *m, const struct siplb_conf *conf)
{
	struct guard_plan p;
	int err;

	err = guard_plan_build(m, conf, &p);
	if (err)
		return err;
	err = guard_plan_apply(m, &p, NULL);
	guard_plan_free(&p);
	return err;
}
