// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * xdp_pass.bpf.c - returns XDP_PASS for every packet.
 *
 * The testbed attaches it to the far end of each veth pair: a veth only
 * accepts frames that XDP_TX/XDP_REDIRECT send to it when its peer runs an
 * XDP program (or has GRO enabled), so without this the balancer's
 * forwarded frames would be dropped by the veth driver.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
