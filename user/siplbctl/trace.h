/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * trace.h - `siplbctl trace`: switch the XDP program's verdict trace on
 * with a filter, print (or write as pcap) what it reports until a count
 * or a time is reached or the user interrupts, and switch it off again.
 */
#ifndef SIPLB_TRACE_CMD_H
#define SIPLB_TRACE_CMD_H

#include <stdbool.h>
#include "siplb_trace.h"

struct trace_opts {
	struct siplb_trace_cfg cfg; /* the filters; enabled when run */
	const char *callid; /* to be hashed with the data plane's key */
	unsigned long long count; /* stop after N events; 0: no limit */
	unsigned int seconds; /* stop after S seconds; 0: no limit */
	const char *pcap_path; /* -w FILE */
	bool json;
	bool off; /* --off: only switch a left-over trace off */
};

/* The command's arguments into o. 0, or -EINVAL after saying why. */
int trace_args_parse(struct trace_opts *o, int argc, char **argv);

/* "ADDR" or "ADDR/LEN" (IPv4 or IPv6) as the trace's source filter: the
 * address masked to the prefix, and the mask. 0 or -EINVAL. */
int trace_prefix_parse(const char *text, struct siplb_addr *addr,
		       __be32 mask[4]);

/* Trace with the maps pinned in pin_dir. 0 or -errno. */
int trace_run(struct trace_opts *o, const char *pin_dir);

#endif /* SIPLB_TRACE_CMD_H */
