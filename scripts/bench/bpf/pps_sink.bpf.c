// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pps_sink.bpf.c - the far end of scripts/bench/s2_pps.sh: drop every
 * frame. What arrived is the program's run_cnt (kernel.bpf_stats_enabled),
 * so counting costs nothing more. Built by s2_pps.sh; not part of siplb.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int pps_sink(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
