/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * siplb_maps.h - the contract between the XDP program and user space.
 *
 * Every map key and value, every pin name, every default size and every
 * counter is defined here once and compiled into both bpf/siplb.bpf.c and
 * the user-space tools. Layouts are fixed-size, naturally aligned and
 * checked with _Static_assert so that a change on one side cannot silently
 * disagree with the other.
 */
#ifndef SIPLB_MAPS_H
#define SIPLB_MAPS_H

#include <linux/types.h>

/* Address families as stored in maps (values of AF_INET / AF_INET6). */
#define SIPLB_AF_INET	2
#define SIPLB_AF_INET6	10

/*
 * Default map sizes. User space may change them before load
 * (siplbctl attach --affinity-size ...); `ip link ... xdp obj` uses these.
 */
#define SIPLB_MAX_VIPS		16	/* VIP:port pairs */
#define SIPLB_MAX_BACKENDS	1024	/* backend ids 1..1023; 0 means "none" */
#define SIPLB_RING_SIZE		65537	/* Maglev table size: a prime */
#define SIPLB_RINGS_PER_VIP	2	/* active + standby, swapped atomically */
#define SIPLB_AFFINITY_SIZE	1048576	/* Call-IDs remembered (shared LRU) */

/* How much of a SIP message the XDP program scans for the Call-ID. */
#define SIPLB_SCAN_MAX		1536	/* bytes: a whole 1500-MTU datagram */
#define SIPLB_CALLID_MAX	256	/* longer Call-IDs go to the slow path */
#define SIPLB_NAME_WS_MAX	16	/* whitespace allowed around the ':' */

/*
 * An IPv4 or IPv6 address with a UDP port, in network byte order.
 * IPv4 uses addr[0]; addr[1..3] are zero so keys compare bytewise.
 */
struct siplb_endpoint {
	__be32 addr[4];
	__be16 port;
	__u8 family;	/* SIPLB_AF_INET or SIPLB_AF_INET6; 0 = unused */
	__u8 pad;
};
_Static_assert(sizeof(struct siplb_endpoint) == 20, "endpoint layout");

/* An IP address alone (no port), for per-source maps. */
struct siplb_addr {
	__be32 addr[4];		/* IPv4 in addr[0], rest zero */
	__u8 family;		/* SIPLB_AF_INET or SIPLB_AF_INET6 */
	__u8 pad[3];
};
_Static_assert(sizeof(struct siplb_addr) == 20, "addr layout");

/* siplb_vips: VIP endpoint -> which service it is and its active table. */
struct siplb_vip {
	__u32 vip_id;	/* 0..SIPLB_MAX_VIPS-1, names the VIP in affinity */
	__u32 ring_id;	/* active Maglev table; vip_id * 2 or vip_id * 2 + 1 */
};
_Static_assert(sizeof(struct siplb_vip) == 8, "vip layout");

enum siplb_backend_state {
	SIPLB_BACKEND_UNUSED = 0,	/* slot free */
	SIPLB_BACKEND_UP,		/* takes new and existing calls */
	SIPLB_BACKEND_DRAINING,		/* existing Call-IDs only */
	SIPLB_BACKEND_DOWN,		/* takes nothing; calls are re-hashed */
	SIPLB_BACKEND_UNHEALTHY,	/* as DOWN, set by health checks: they
					 * bring it back, never an admin DOWN */
	SIPLB_BACKEND_OVERLOADED,	/* as DRAINING, set by siplbd while the
					 * worker says it is near its limits */
};

/* siplb_backends: backend id -> where to send and whether it may be used. */
struct siplb_backend {
	struct siplb_endpoint ep;
	__u32 vip_id;	/* the one VIP this backend serves (see siplb_snat) */
	__u32 state;	/* enum siplb_backend_state */
	__u32 weight;	/* relative share of the Maglev table, 1..max */
};
_Static_assert(sizeof(struct siplb_backend) == 32, "backend layout");

/*
 * The largest backend weight, wherever one is set (configuration, control
 * socket, siplbctl): a ratio a 65537-slot Maglev table can still honour
 * (at 1000:1 the light backend keeps some 65 slots). A plain number, so
 * that user space can stringify it into its messages.
 */
#define SIPLB_WEIGHT_MAX	1000

/* siplb_affinity: (Call-ID hash, VIP) -> backend that has the call. */
struct siplb_affinity_key {
	__u64 callid_hash;
	__u32 vip_id;
	__u32 pad;
};
_Static_assert(sizeof(struct siplb_affinity_key) == 16, "affinity key");

struct siplb_affinity {
	__u32 backend_id;
	__u32 pad;
};
_Static_assert(sizeof(struct siplb_affinity) == 8, "affinity value");

/* siplb_config: one entry, written by user space before VIPs are added. */
struct siplb_config {
	__u64 hash_key[2];	/* SipHash key: secret, from getrandom() */
};
_Static_assert(sizeof(struct siplb_config) == 16, "config layout");

/* siplb_be_stats (per CPU): backend id -> what was steered to it. */
struct siplb_backend_stats {
	__u64 packets;
	__u64 bytes;
};

/*
 * siplb_passive (per CPU, LRU): backend endpoint -> the traffic XDP saw
 * to and from it, for passive failure detection in siplbd (passive.c).
 * Keyed by endpoint, not id, because a backend's replies are recognised by
 * their source (siplb_snat); the XDP program creates the entries, so user
 * space never has to keep them in step with the backends.
 */
struct siplb_passive_stats {
	__u64 requests;		/* steered to it, ACK excepted (no answer) */
	__u64 responses;	/* SIP responses it sent to clients */
	__u64 errors;		/* ...of which 500 or 503 */
	__u64 pad;
};
_Static_assert(sizeof(struct siplb_passive_stats) == 32, "passive layout");

/*
 * Counters (siplb_stats, per CPU). Every packet the program sees adds one
 * to exactly one of them, so their sum is the number of packets seen.
 * Order matters: STEER_TX/REDIRECT and SNAT_TX/REDIRECT are consecutive
 * (the program adds the way a packet left), and the DROP_ ones are last.
 * X(enum suffix, name shown by siplbctl, what it means)
 */
#define SIPLB_STATS(X)                                                        \
	X(PASS_NOT_VIP, "pass_not_vip", "not UDP to a VIP or from a backend: untouched") \
	X(PASS_UNPARSED, "pass_unparsed", "L2-L4 headers cut short: left to the kernel") \
	X(PASS_REGISTER, "pass_register", "REGISTER: to the registrar")       \
	X(PASS_KEEPALIVE, "pass_keepalive", "CRLF keep-alive: to the control plane") \
	X(PASS_STUN, "pass_stun", "STUN binding request (RFC 5626): to the control plane") \
	X(PASS_FRAGMENT, "pass_fragment", "IP fragment to a VIP address: slow path")           \
	X(PASS_IPV6_EXTHDR, "pass_ipv6_exthdr", "IPv6 extension header, to a VIP address: slow path") \
	X(PASS_NO_CALLID, "pass_no_callid", "headers end without a Call-ID: slow path") \
	X(PASS_SCAN_LIMIT, "pass_scan_limit", "Call-ID not within the scan window: slow path") \
	X(PASS_CALLID_FOLDED, "pass_callid_folded", "Call-ID on a folded line: slow path") \
	X(PASS_CALLID_LONG, "pass_callid_long", "Call-ID longer than SIPLB_CALLID_MAX: slow path") \
	X(PASS_BAD_VERSION, "pass_bad_version", "SIP version not 2.0: slow path answers 505") \
	X(PASS_UNUSUAL, "pass_unusual", "CRLF before the start line, or a method over 64 bytes: slow path") \
	X(PASS_NO_BACKEND, "pass_no_backend", "VIP has no usable backend: slow path") \
	X(PASS_INTERNAL, "pass_internal", "internal error (map lookup failed): slow path") \
	X(STEER_TX, "steer_tx", "steered to a backend, sent back out (XDP_TX)") \
	X(STEER_REDIRECT, "steer_redirect", "steered to a backend, sent out another port") \
	X(STEER_LOCAL, "steer_local", "steered to a backend on this host (XDP_PASS)") \
	X(STEER_KERNEL, "steer_kernel", "steered; next hop unresolved, the kernel forwards") \
	X(SNAT_TX, "snat_tx", "from a backend, source set to the VIP (XDP_TX)") \
	X(SNAT_REDIRECT, "snat_redirect", "from a backend, source set to the VIP, other port") \
	X(SNAT_KERNEL, "snat_kernel", "from a backend, source set to the VIP; the kernel forwards") \
	X(SNAT_TO_HOST, "snat_to_host", "from a backend to this host: untouched") \
	X(COOKIE_401, "cookie_401", "REGISTER without credentials: 401 answered by XDP (XDP_TX)") \
	X(COOKIE_401_STALE, "cookie_401_stale", "REGISTER with an expired nonce: 401 stale=true answered by XDP") \
	X(PASS_COOKIE_VALID, "pass_cookie_valid", "REGISTER whose nonce XDP checked (MAC, source, age): to the registrar") \
	X(PASS_COOKIE_UNSUPPORTED, "pass_cookie_unsupported", "REGISTER XDP cannot answer exactly (folded or listed Via, received, IPv6, IP options, Require): registrar") \
	X(PASS_COOKIE_LONG, "pass_cookie_long", "REGISTER over the scan window or with too many lines for XDP: registrar") \
	X(PASS_COOKIE_NOROOM, "pass_cookie_noroom", "REGISTER whose frame XDP could not grow to the 401's size: registrar") \
	X(DROP_TRUNCATED, "drop_truncated", "IP/UDP length beyond the packet (to a VIP)") \
	X(DROP_SIP_TRUNCATED, "drop_sip_truncated", "SIP message cut short")  \
	X(DROP_NOT_SIP, "drop_not_sip", "payload to a VIP is not SIP")          \
	X(DROP_BLOCKED, "drop_blocked", "source blocked for failed authentication") \
	X(DROP_SCANNER, "drop_scanner", "request with a scanner's User-Agent (guard)") \
	X(DROP_STRICT, "drop_strict", "dialog-creating request from an unregistered source (guard strict)") \
	X(DROP_BUDGET_REGISTER, "drop_budget_register", "REGISTER over its unregistered source's budget") \
	X(DROP_BUDGET_INVITE, "drop_budget_invite", "INVITE over its unregistered source's budget") \
	X(DROP_BUDGET_OPTIONS, "drop_budget_options", "OPTIONS over its unregistered source's budget") \
	X(DROP_BUDGET_OTHER, "drop_budget_other", "other request over its unregistered source's budget") \
	X(DROP_BUDGET_REGISTERED, "drop_budget_registered", "request over its registered source's budget") \
	X(DROP_COOKIE_FORGED, "drop_cookie_forged", "REGISTER whose nonce is not ours: bad MAC, another source or garbage")

enum siplb_stat {
#define SIPLB_STAT_ENUM(id, name, help) SIPLB_STAT_##id,
	SIPLB_STATS(SIPLB_STAT_ENUM)
#undef SIPLB_STAT_ENUM
	SIPLB_STAT_MAX
};

/* The DROP_ counters come last: a verdict is XDP_DROP exactly for them. */
static inline __attribute__((always_inline)) int siplb_stat_is_drop(int stat)
{
	return stat >= SIPLB_STAT_DROP_TRUNCATED && stat < SIPLB_STAT_MAX;
}

/*
 * Events (siplb_events, per CPU): how the fast path found what it needed.
 * NOT verdicts: a packet may add to several of these or to none, so they
 * live in a map of their own and the rule above (one reason per packet,
 * siplb_stats) stays exact. X(enum suffix, name shown by siplbctl, help)
 */
#define SIPLB_EVENTS(X)                                                       \
	X(AFFINITY_HIT, "affinity_hit", "Call-ID found in the affinity LRU, its backend usable") \
	X(AFFINITY_MISS, "affinity_miss", "Call-ID not in the LRU (or its backend unusable): Maglev table") \
	X(NEXTHOP_HIT, "nexthop_hit", "next hop from the cache: no FIB lookup") \
	X(NEXTHOP_MISS, "nexthop_miss", "next hop not cached, expired or too small: FIB lookup")

enum siplb_event {
#define SIPLB_EVENT_ENUM(id, name, help) SIPLB_EVENT_##id,
	SIPLB_EVENTS(SIPLB_EVENT_ENUM)
#undef SIPLB_EVENT_ENUM
	SIPLB_EVENT_MAX
};

/*
 * siplb_nexthops (per CPU): backend id -> the next hop bpf_fib_lookup()
 * last gave for it, so that a steered packet skips the FIB lookup. An
 * entry is used only while it is younger than SIPLB_NEXTHOP_TTL_NS, for a
 * packet that came in on the same interface, to the backend address it
 * was filled for (a reused backend id never inherits it) and no longer
 * than a packet the FIB accepted (its MTU check); otherwise the FIB is
 * asked again and the entry refilled. So a neighbour's new MAC, a new
 * route or a downed link is honoured within SIPLB_NEXTHOP_TTL_NS, and
 * siplbd may zero an entry to make it sooner. Per CPU: no torn MACs.
 */
#define SIPLB_NEXTHOP_TTL_NS	(1000ULL * 1000 * 1000)	/* 1 s */

struct siplb_nexthop {
	__u64 filled_ns;	/* bpf_ktime_get_ns() at the FIB lookup; 0 =
				 * empty */
	__be32 daddr[4];	/* the backend address it was filled for */
	__u32 in_ifindex;	/* the packet came in here ... */
	__u32 out_ifindex;	/* ... and leaves here */
	__u16 max_len;		/* largest IP length the FIB accepted */
	__u8 smac[6];
	__u8 dmac[6];
	__u8 pad[2];
};
_Static_assert(sizeof(struct siplb_nexthop) == 48, "nexthop layout");

/* Pin names: maps are pinned by these names under the pin directory. */
#define SIPLB_PIN_DIR_DEFAULT	"/sys/fs/bpf/tc/globals"

#endif /* SIPLB_MAPS_H */
