/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * siplb_guard.h - flood and scanner defences of the XDP program: what
 * siplbd publishes (siplb_guard, siplb_trunks) and what the program keeps
 * (siplb_budgets). docs/SECURITY.md explains the policy.
 *
 * A request to a VIP from a source that is neither registered (its
 * address in siplb_sources) nor inside a trunk prefix (siplb_trunks) is
 * "unauthenticated". Such requests may be
 *   - limited per source address and per method class by a token bucket
 *     (rate per second, burst), over budget: dropped;
 *   - refused outright when they create dialogs and strict mode is on;
 * and any request whose User-Agent starts with a scanner's signature may be
 * dropped. A registered source has a budget of its own, one bucket for all
 * its requests, so that a runaway phone cannot flood the workers; trunk
 * prefixes are never limited. Responses, keep-alives and STUN are never touched.
 */
#ifndef SIPLB_GUARD_H
#define SIPLB_GUARD_H

#include <linux/types.h>
#include "siplb_maps.h"

/* Budget classes: the index of a method's bucket and of its counter. */
enum siplb_method_class {
	SIPLB_METHOD_REGISTER,
	SIPLB_METHOD_INVITE,
	SIPLB_METHOD_OPTIONS,
	SIPLB_METHOD_OTHER,	/* every other request method */
	SIPLB_METHOD_CLASSES
};

/* A registered source has one bucket for all its requests, after the
 * classes' buckets of struct siplb_budget. */
#define SIPLB_BUCKET_REGISTERED	SIPLB_METHOD_CLASSES
#define SIPLB_BUCKETS		(SIPLB_METHOD_CLASSES + 1)

/* sip_method_class() adds this to a class whose method creates a dialog
 * (INVITE, SUBSCRIBE, REFER): what strict mode refuses. */
#define SIPLB_METHOD_DIALOG	0x10
#define SIPLB_METHOD_NONE	(-1)	/* not a request: response, keep-alive */

#define SIPLB_SCANNER_MAX	16	/* User-Agent signatures */
#define SIPLB_SCANNER_LEN	16	/* bytes of each, compared as 2 words */
#define SIPLB_BUDGETS_SIZE	131072	/* sources with a bucket (LRU) */
#define SIPLB_TRUNKS_SIZE	1024	/* trunk prefixes */
#define SIPLB_BUDGET_RATE_MAX	1000000	/* messages per second */
#define SIPLB_BUDGET_BURST_MAX	1000000	/* messages */

/*
 * Tokens are counted in billionths: a bucket refilled at `rate` per second
 * gains exactly elapsed_ns * rate of them, with no division and nothing
 * lost to rounding however often a flooder sends.
 */
#define SIPLB_TOKEN		1000000000ULL
#define SIPLB_REFILL_MAX_NS	1000000000000ULL	/* 1000 s: full anyway */

struct siplb_budget_conf {
	__u32 rate;	/* tokens per second; 0: this class is unlimited */
	__u32 burst;	/* bucket size in messages (>= 1 when rate is set) */
};

/*
 * A User-Agent prefix, ready for a two-word compare: a value v matches when
 * for both words (v | fold) & mask == word. fold has 0x20 at letters (so
 * the compare ignores case), mask covers len bytes. Built by user space
 * (user/siplbd/guard_apply.c), so the program only ANDs, ORs and compares.
 */
struct siplb_scanner_sig {
	__u64 word[2];
	__u64 fold[2];
	__u64 mask[2];
	__u32 len;	/* 1..SIPLB_SCANNER_LEN */
	__u32 pad;
};
_Static_assert(sizeof(struct siplb_scanner_sig) == 56, "scanner sig layout");

/* siplb_guard: one entry, written by siplbd from the guard block. */
struct siplb_guard {
	__u32 enabled;		/* anything below on; 0: the program skips it */
	__u32 strict;		/* dialogs only from registered/trunk sources */
	__u32 nscanners;	/* 0: no User-Agent check */
	__u32 pad;
	struct siplb_budget_conf budget[SIPLB_METHOD_CLASSES];
	/* every request of a registered source (not a trunk): a runaway
	 * phone cannot flood the workers; rate 0: unlimited */
	struct siplb_budget_conf registered;
	struct siplb_scanner_sig scanner[SIPLB_SCANNER_MAX];
};
_Static_assert(sizeof(struct siplb_guard) == 16 + 40 + 16 * 56, "guard layout");

/* siplb_budgets: source address -> its buckets, one per class. */
struct siplb_bucket {
	__u64 stamp_ns;		/* last refill (bpf_ktime_get_ns clock) */
	__u64 tokens;		/* billionths of a message (SIPLB_TOKEN) */
};

struct siplb_budget {
	struct siplb_bucket bucket[SIPLB_BUCKETS];	/* classes, registered */
};
_Static_assert(sizeof(struct siplb_budget) == 80, "budget layout");

/*
 * siplb_trunks (LPM trie): the family byte comes first in the matched data
 * so IPv4 and IPv6 prefixes share one trie; prefixlen counts it (8 + the
 * address prefix length).
 */
struct siplb_trunk_key {
	__u32 prefixlen;
	__u8 family;		/* SIPLB_AF_INET or SIPLB_AF_INET6 */
	__u8 addr[16];		/* IPv4 in addr[0..3] */
	__u8 pad[3];
};
_Static_assert(sizeof(struct siplb_trunk_key) == 24, "trunk key layout");

#endif /* SIPLB_GUARD_H */
