// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * auth_guard.c - failed-authentication counting and blocking
 * (auth_guard.h).
 *
 * The counting table is fixed-size open addressing with a short probe:
 * when a probe finds no room, the oldest window in it is reused. A flood
 * of spoofed sources can thus evict counts, but never grow memory; the
 * sources that matter (one address guessing passwords) stay hot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "auth_guard.h"
#include "log.h"
#include "siplb_hash.h"
#include "siplb_location.h"

#define GUARD_SLOTS	65536	/* power of two */
#define GUARD_PROBE	8

struct auth_guard_slot {
	struct siplb_addr addr;
	__u32 failures;
	__u64 window_start_ns;	/* 0: free */
};

/* Fixed, public key: this table only spreads addresses, it is not exposed. */
static const __u64 guard_key[2] = { 0x6175746867756172ULL, 0x64736c6f74733031ULL };

static __u32 slot_index(const struct siplb_addr *a, __u32 probe)
{
	__u64 h = siplb_siphash((const __u8 *)a, sizeof(*a), 64, guard_key);

	return (__u32)(h + probe) & (GUARD_SLOTS - 1);
}

void auth_guard_configure(struct auth_guard *g, __u32 threshold,
			  __u32 window_s, __u32 block_s)
{
	g->threshold = threshold;
	g->window_ns = (__u64)window_s * 1000000000ULL;
	g->block_ns = (__u64)block_s * 1000000000ULL;
}

int auth_guard_init(struct auth_guard *g, int blocked_fd, __u32 threshold,
		    __u32 window_s, __u32 block_s)
{
	memset(g, 0, sizeof(*g));
	g->slots = calloc(GUARD_SLOTS, sizeof(*g->slots));
	if (!g->slots)
		return -ENOMEM;
	g->nslots = GUARD_SLOTS;
	g->blocked_fd = blocked_fd;
	auth_guard_configure(g, threshold, window_s, block_s);
	return 0;
}

void auth_guard_free(struct auth_guard *g)
{
	free(g->slots);
	g->slots = NULL;
}

/* The slot of src, or a free or oldest one to take over; never NULL. */
static struct auth_guard_slot *slot_find(struct auth_guard *g,
					 const struct siplb_addr *src,
					 bool *found)
{
	struct auth_guard_slot *s, *victim = NULL;
	__u32 i;

	for (i = 0; i < GUARD_PROBE; i++) {
		s = &g->slots[slot_index(src, i)];
		if (s->window_start_ns &&
		    !memcmp(&s->addr, src, sizeof(*src))) {
			*found = true;
			return s;
		}
		if (!victim || s->window_start_ns < victim->window_start_ns)
			victim = s;
	}
	*found = false;
	return victim;
}

static int block_source(struct auth_guard *g, const struct siplb_addr *src,
			__u32 failures, __u64 now_ns)
{
	struct siplb_block block = {
		.until_ns = now_ns + g->block_ns,
		.failures = failures,
	};

	if (bpf_map_update_elem(g->blocked_fd, src, &block, BPF_ANY))
		return -errno;
	g->blocks++;
	return 0;
}

int auth_guard_block(struct auth_guard *g, const struct siplb_addr *src,
		     __u32 failures, __u64 now_ns)
{
	return block_source(g, src, failures, now_ns);
}

bool auth_guard_failure(struct auth_guard *g, const struct siplb_addr *src,
			__u64 now_ns)
{
	struct auth_guard_slot *s;
	bool found;
	__u32 n;

	g->failures++;
	if (g->threshold == 0 || g->block_ns == 0)
		return false;
	s = slot_find(g, src, &found);
	if (!found || now_ns - s->window_start_ns > g->window_ns) {
		s->addr = *src;
		s->window_start_ns = now_ns ? now_ns : 1;
		s->failures = 0;
	}
	n = ++s->failures;
	if (n < g->threshold)
		return false;
	memset(s, 0, sizeof(*s));	/* a new window after the block */
	if (block_source(g, src, n, now_ns)) {
		log_warn("Couldn't block a source in siplb_blocked");
		return false;
	}
	return true;
}

/*
 * The map, not a copy: an operator who deletes an entry unblocks the
 * source for XDP and for the registrar at once.
 */
bool auth_guard_blocked(const struct auth_guard *g,
			const struct siplb_addr *src, __u64 now_ns)
{
	struct siplb_block block;

	if (g->blocked_fd < 0 ||
	    bpf_map_lookup_elem(g->blocked_fd, src, &block))
		return false;
	return now_ns < block.until_ns;
}

/* A correct password clears the count: typos should not add up. */
void auth_guard_success(struct auth_guard *g, const struct siplb_addr *src)
{
	struct auth_guard_slot *s;
	bool found;

	s = slot_find(g, src, &found);
	if (found)
		memset(s, 0, sizeof(*s));
}

/* Remove blocks that have run out, so the map lists only live ones. */
int auth_guard_sweep(const struct auth_guard *g, __u64 now_ns, __u64 *removed)
{
	struct siplb_addr key, next;
	struct siplb_block block;
	int err;

	*removed = 0;
	err = bpf_map_get_next_key(g->blocked_fd, NULL, &next);
	while (!err) {
		key = next;
		err = bpf_map_get_next_key(g->blocked_fd, &key, &next);
		if (!bpf_map_lookup_elem(g->blocked_fd, &key, &block) &&
		    block.until_ns <= now_ns &&
		    !bpf_map_delete_elem(g->blocked_fd, &key))
			(*removed)++;
	}
	return 0;
}
