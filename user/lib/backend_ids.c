// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * backend_ids.c - canonical backend ids (backend_ids.h): the endpoints in
 * byte order, each placed at the first free id from its home on.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "backend_ids.h"
#include "siplb_hash.h"

/* "backend-ids-0001" in ASCII: public, only spreads endpoints. */
static const __u64 home_key[2] = { 0x6261636b656e642dULL,
				   0x6964732d30303031ULL };

__u32 backend_id_home(const struct siplb_endpoint *ep, __u32 max)
{
	return 1 + (__u32)(siplb_siphash((const __u8 *)ep, sizeof(*ep),
					 sizeof(*ep), home_key) %
			   (max - 1));
}

struct ranked {
	const struct siplb_endpoint *ep;
	size_t index; /* in the caller's array */
};

static int cmp_ep(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return memcmp(x->ep, y->ep, sizeof(*x->ep));
}

static void place(bool *used, __u32 max, const struct ranked *r, __u32 *ids)
{
	__u32 id = backend_id_home(r->ep, max);

	while (used[id])
		id = id == max - 1 ? 1 : id + 1;
	used[id] = true;
	ids[r->index] = id;
}

int backend_ids_assign(const struct siplb_endpoint *eps, size_t n, __u32 max,
		       __u32 *ids)
{
	struct ranked *r;
	bool *used;
	size_t i;
	int err = 0;

	if (max < 2 || (n && (!eps || !ids)))
		return -EINVAL;
	if (n >= max)
		return -ENOSPC;
	r = calloc(n + 1, sizeof(*r));
	used = calloc(max, sizeof(*used));
	if (!r || !used) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		r[i].ep = &eps[i];
		r[i].index = i;
	}
	qsort(r, n, sizeof(*r), cmp_ep);
	for (i = 1; i < n; i++)
		if (!cmp_ep(&r[i - 1], &r[i]))
			err = -EINVAL;
	for (i = 0; i < n && !err; i++)
		place(used, max, &r[i], ids);
out:
	free(used);
	free(r);
	return err;
}
