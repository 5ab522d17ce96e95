/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps.bpf.h - the maps of the XDP program. Layouts come from
 * include/siplb_maps.h; every map is pinned by name so that a program
 * attached with `ip link ... xdp obj` and the user-space tools share them.
 */
#ifndef SIPLB_MAPS_BPF_H
#define SIPLB_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "siplb_maps.h"
#include "siplb_location.h"
#include "siplb_worker.h"
#include "siplb_guard.h"
#include "scratch.bpf.h"

/* VIP endpoint -> struct siplb_vip (which VIP, which Maglev table is live) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIPLB_MAX_VIPS);
	__type(key, struct siplb_endpoint);
	__type(value, struct siplb_vip);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_vips SEC(".maps");

/* VIP address (no port) -> how many VIPs use it: lets fragments and IPv6
 * extension-header packets, whose port XDP cannot see, be told apart */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIPLB_MAX_VIPS);
	__type(key, struct siplb_addr);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_vip_addrs SEC(".maps");

/* backend id -> struct siplb_backend (address, VIP, state, weight) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIPLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct siplb_backend);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_backends SEC(".maps");

/* ring_id * SIPLB_RING_SIZE + slot -> backend id (0: empty). Two tables
 * per VIP so that user space fills the standby one and flips ring_id. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SIPLB_MAX_VIPS * SIPLB_RINGS_PER_VIP *
				    SIPLB_RING_SIZE);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_rings SEC(".maps");

/* (Call-ID hash, VIP) -> backend id. Shared LRU, not per-CPU: the two legs
 * of a call arrive on different CPUs and must find the same entry. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SIPLB_AFFINITY_SIZE);
	__type(key, struct siplb_affinity_key);
	__type(value, struct siplb_affinity);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_affinity SEC(".maps");

/* backend endpoint -> VIP endpoint: source rewrite of backend traffic */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIPLB_MAX_BACKENDS);
	__type(key, struct siplb_endpoint);
	__type(value, struct siplb_endpoint);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_snat SEC(".maps");

/* 0 -> struct siplb_config (the hash key) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct siplb_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_config SEC(".maps");

/* enum siplb_stat -> packets (per CPU) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIPLB_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_stats SEC(".maps");

/* backend id -> packets and bytes steered to it (per CPU) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIPLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct siplb_backend_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_be_stats SEC(".maps");

/* backend endpoint -> requests to it, its responses (per CPU; LRU, so
 * the endpoints of removed backends age out) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, SIPLB_MAX_BACKENDS);
	__type(key, struct siplb_endpoint);
	__type(value, struct siplb_passive_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_passive SEC(".maps");

/* (AOR, slot) -> binding: written by siplbd's registrar, read by workers.
 * Not preallocated: memory follows the number of bindings. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIPLB_LOCATION_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct siplb_location_key);
	__type(value, struct siplb_binding);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_location SEC(".maps");

/* AOR -> bitmap of its used slots in siplb_location (one lookup per AOR
 * instead of one per slot). As many entries as bindings: never full first. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIPLB_LOCATION_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct siplb_aor_key);
	__type(value, struct siplb_aor);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_aors SEC(".maps");

/* source address -> its registrations (for per-source policy in XDP) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIPLB_SOURCES_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct siplb_addr);
	__type(value, struct siplb_source);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_sources SEC(".maps");

/* source address -> blocked until; LRU so a flood of sources cannot fill
 * it and stop new blocks */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SIPLB_BLOCKED_SIZE);
	__type(key, struct siplb_addr);
	__type(value, struct siplb_block);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_blocked SEC(".maps");

/* worker listen address -> its counters; written by each siplb-worker,
 * read by siplbctl and bpftool (include/siplb_worker.h) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SIPLB_WORKERS_SIZE);
	__type(key, struct siplb_endpoint);
	__type(value, struct siplb_worker_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_workers SEC(".maps");

/* 0 -> struct siplb_guard: the flood and scanner policy (siplb_guard.h) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct siplb_guard);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_guard SEC(".maps");

/* unregistered source address -> its token buckets; LRU, so a flood from
 * many addresses recycles entries instead of filling the map */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SIPLB_BUDGETS_SIZE);
	__type(key, struct siplb_addr);
	__type(value, struct siplb_budget);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_budgets SEC(".maps");

/* trunk prefixes (IPv4 and IPv6): trusted like registered sources */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SIPLB_TRUNKS_SIZE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct siplb_trunk_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_trunks SEC(".maps");

/* 0 -> struct scratch (per CPU; holds no state between packets) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_scratch SEC(".maps");

/* enum siplb_event -> times seen (per CPU); not verdicts (siplb_maps.h) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIPLB_EVENT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_events SEC(".maps");

/* backend id -> its cached next hop (per CPU; siplb_maps.h has the rule) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SIPLB_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct siplb_nexthop);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} siplb_nexthops SEC(".maps");

static __always_inline void count_event(enum siplb_event event)
{
	__u32 key = event;
	__u64 *value = bpf_map_lookup_elem(&siplb_events, &key);

	if (value)
		*value += 1;
}

static __always_inline void count(enum siplb_stat stat)
{
	__u32 key = stat;
	__u64 *value = bpf_map_lookup_elem(&siplb_stats, &key);

	if (value)
		*value += 1;
}

#endif /* SIPLB_MAPS_BPF_H */
