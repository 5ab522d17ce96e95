/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * siplb_location.h - the registrar's state in BPF maps: location bindings
 * (who is registered where), the source addresses that hold a registration,
 * and the addresses blocked for failing authentication.
 *
 * siplbd writes them; the workers read siplb_location to route calls, the
 * XDP program reads siplb_blocked (and later siplb_sources) to drop in the
 * kernel, and `bpftool map dump` prints every field by name (BTF). Pinned,
 * so bindings outlive a daemon restart.
 */
#ifndef SIPLB_LOCATION_H
#define SIPLB_LOCATION_H

#include <linux/types.h>
#include "siplb_maps.h"

#define SIPLB_AOR_MAX		128	/* "sip:user@domain", NUL-padded */
#define SIPLB_CONTACT_MAX	256	/* the Contact URI as registered */
#define SIPLB_LOCATION_SIZE	1048576	/* bindings (>= 1,000,000) */
#define SIPLB_CONTACTS_MAX	100	/* per address-of-record, hard limit */
#define SIPLB_SOURCES_SIZE	1048576	/* source addresses with a binding */
#define SIPLB_BLOCKED_SIZE	65536	/* blocked addresses (LRU) */

/*
 * siplb_location: (AOR, slot) -> binding. An AOR's bindings sit in slots
 * 0..max_contacts-1, so a reader finds them with at most max_contacts
 * lookups and no second index. Keys are NUL-padded so they compare bytewise.
 */
struct siplb_location_key {
	char aor[SIPLB_AOR_MAX];
	__u32 slot;
};
_Static_assert(sizeof(struct siplb_location_key) == 132, "location key");

/*
 * siplb_aors: AOR -> which of its slots hold a binding (bit s of slots[]
 * for slot s), so that a reader makes one lookup for the AOR and one per
 * binding instead of probing all max_contacts slots (one bpf() call each).
 * A writer sets the bit before it writes the slot and deletes the slot
 * before it clears the bit: a set bit may name a slot that is gone or
 * expired (read as free), a binding never lacks its bit. The entry goes
 * when the AOR's last slot does.
 */
struct siplb_aor_key {
	char aor[SIPLB_AOR_MAX];	/* as in siplb_location_key */
};

struct siplb_aor {
	__u64 slots[2];		/* bitmap over slots 0..SIPLB_CONTACTS_MAX-1 */
};
_Static_assert(sizeof(struct siplb_aor) * 8 >= SIPLB_CONTACTS_MAX,
	       "aor bitmap");

/*
 * RFC 5626: a phone names itself with +sip.instance (a URN, kept here
 * without the < > and quotes), so that a restarted phone replaces its
 * binding instead of adding one; with reg-id and "Supported: outbound"
 * the binding is a flow, reached at its source address only.
 */
#define SIPLB_INSTANCE_MAX	96	/* "urn:uuid:..." (45), NUL-padded */
#define SIPLB_BINDING_OUTBOUND	0x1	/* flags: an RFC 5626 flow */

struct siplb_binding {
	char contact[SIPLB_CONTACT_MAX];	/* URI, NUL-terminated */
	struct siplb_endpoint source;	/* where the REGISTER came from (NAT) */
	__u32 q;			/* 0..1000 (q=1.0 is 1000) */
	__u64 expires_at;		/* CLOCK_REALTIME, seconds */
	__u64 registered_at;		/* CLOCK_REALTIME, seconds */
	__u64 callid_hash;		/* Call-ID of the REGISTER that made it */
	__u32 cseq;			/* ...and its CSeq (RFC 3261 10.3 step 7) */
	__u32 pad;
	char instance[SIPLB_INSTANCE_MAX];	/* +sip.instance; "": none */
	__u32 reg_id;			/* RFC 5626 reg-id of a flow, 0: none */
	__u32 flags;			/* SIPLB_BINDING_* */
};
_Static_assert(sizeof(struct siplb_binding) == 416, "binding layout");

/* siplb_sources: address -> how many bindings it holds, until when. */
struct siplb_source {
	__u32 bindings;
	__u32 pad;
	__u64 expires_at;	/* CLOCK_REALTIME, seconds: the latest binding */
};
_Static_assert(sizeof(struct siplb_source) == 16, "source layout");

/* siplb_blocked: address -> blocked until (bpf_ktime_get_ns() clock). */
struct siplb_block {
	__u64 until_ns;		/* CLOCK_MONOTONIC, nanoseconds */
	__u32 failures;		/* failed authentications that caused it */
	__u32 pad;
};
_Static_assert(sizeof(struct siplb_block) == 16, "block layout");

#endif /* SIPLB_LOCATION_H */
