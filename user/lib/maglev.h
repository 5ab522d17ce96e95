/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maglev.h - build a weighted Maglev lookup table from a set of backends.
 *
 * The table maps a slot (a Call-ID hash modulo the table size, see
 * siplb_maglev_slot()) to a backend id. It is built in user space and
 * copied into the siplb_rings map; the XDP program only reads it.
 *
 * Each backend's preference order over the slots comes from a hash of its
 * identity (its key bytes), never from its position in the list, so taking
 * one backend out or putting it back moves about 1/N of the slots and
 * leaves the calls on the other backends where they are.
 */
#ifndef SIPLB_MAGLEV_H
#define SIPLB_MAGLEV_H

#include <stddef.h>
#include <linux/types.h>

/* Longest backend key hashed (a struct siplb_endpoint is 20 bytes). */
#define MAGLEV_KEY_MAX 64

struct maglev_backend {
	__u32 id;	/* backend id written into the table, >= 1 */
	__u32 weight;	/* relative share, >= 1; 0 means "not in the table" */
	const void *key; /* bytes identifying the backend (its endpoint) */
	size_t key_len;	/* 1..MAGLEV_KEY_MAX */
};

/*
 * Fill table[0..size) with backend ids. size must be prime. With no backend
 * of weight > 0, every slot is 0. Returns 0, -EINVAL (size not prime, id 0,
 * duplicate ids or keys, key_len 0 or above MAGLEV_KEY_MAX, NULL pointers)
 * or -ENOMEM; on error the table is left untouched. Pure: the same set of
 * backends gives the same table, whatever the order of the array.
 */
int maglev_build(const struct maglev_backend *backends, size_t n, __u32 *table,
		 __u32 size);

#endif /* SIPLB_MAGLEV_H */
