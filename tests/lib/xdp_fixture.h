/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * xdp_fixture.h - the XDP program loaded for BPF_PROG_TEST_RUN, in a
 * network namespace of its own whose routes and (permanent) neighbours make
 * bpf_fib_lookup() answer the same way every time:
 *
 *   clients 10.10.1.0/24, fd00:1::/64  -- dev FIX_DEV_CLIENT (LB .1)
 *   backends 10.10.2.0/24, fd00:2::/64 -- dev FIX_DEV_BACKEND (LB .1)
 *   10.10.3.1 is local (on lo): a backend on the balancer itself
 *
 *   VIP 10.10.0.10:5060  -> 10.10.2.2-4:5060 (neighbours resolved)
 *   VIP [fd00::10]:5060  -> [fd00:2::2-4]:5060
 *   VIP 10.10.0.11:5060  -> 10.10.3.1:5080 (local)
 *   VIP 10.10.0.12:5060  -> 10.10.2.9:5060 (no neighbour entry)
 *   VIP 10.10.0.13:5060  -> no backend
 *
 * Maps are pinned in a directory unique to the process and removed by
 * fixture_teardown(). The hash key is FIXTURE_KEY so tests can compute
 * expected hashes.
 */
#ifndef SIPLB_XDP_FIXTURE_H
#define SIPLB_XDP_FIXTURE_H

#include <limits.h>
#include <linux/types.h>

#include "lb_maps.h"
#include "packet.h"
#include "siplb_maps.h"

#define FIX_DEV_CLIENT	"fx-client"
#define FIX_DEV_BACKEND	"fx-backend"
#define FIX_CLIENT4	"10.10.1.2"
#define FIX_CLIENT6	"fd00:1::2"
#define FIX_VIP4	"10.10.0.10"
#define FIX_VIP6	"fd00::10"
#define FIX_VIP_LOCAL	"10.10.0.11"
#define FIX_VIP_NONEIGH	"10.10.0.12"
#define FIX_VIP_EMPTY	"10.10.0.13"
#define FIX_LB_BACKEND4	"10.10.2.1"	/* the balancer on the backend net */
#define FIX_SIP_PORT	5060
#define FIX_NBACKENDS	3

extern const char *const fix_backends4[FIX_NBACKENDS];
extern const char *const fix_backends6[FIX_NBACKENDS];
extern const __u8 fix_backend_macs[FIX_NBACKENDS][6];
extern const __u8 fix_client_mac[6];
extern const __u64 fix_hash_key[2];

struct siplb;

struct xdp_fixture {
	struct siplb *skel;
	struct lb_maps maps;
	char pin_dir[PATH_MAX];
	int prog_fd;
	int ifindex_client;
	int ifindex_backend;
};

struct xdp_result {
	int action;
	__u8 out[PKT_MAX];
	__u32 out_len;
	__u32 duration_ns;	/* mean per run, as the kernel reports it */
};

int fixture_setup(struct xdp_fixture *fix);
void fixture_teardown(struct xdp_fixture *fix);
int fixture_run(const struct xdp_fixture *fix, int ifindex, const void *frame,
		size_t len, __u32 repeat, struct xdp_result *res);
int fixture_stats(const struct xdp_fixture *fix, __u64 out[SIPLB_STAT_MAX]);
/*
 * Run one frame on ifindex and check, as test results (testlib), that its
 * verdict is action and that stat -- and no other counter -- went up by
 * one. true if all of that held.
 */
bool fixture_run_expect(const struct xdp_fixture *fix, int ifindex,
			const void *frame, size_t len, int action, int stat,
			struct xdp_result *res, const char *what);
int fixture_endpoint(const char *addr, __u16 port, struct siplb_endpoint *ep);

#endif /* SIPLB_XDP_FIXTURE_H */
