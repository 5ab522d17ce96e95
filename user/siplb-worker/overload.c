// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * overload.c - the worker's own overload signal (overload.h).
 *
 * The receive queue is read with SO_MEMINFO: FIONREAD on a UDP socket
 * gives only the size of the next datagram, not how much waits.
 */
#include <errno.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>

#include "overload.h"

static bool at_least(uint32_t part, uint32_t whole, unsigned int pct)
{
	return whole && (uint64_t)part * 100 >= (uint64_t)whole * pct;
}

bool overload_judge(bool was, const struct overload_load *l)
{
	if (at_least(l->txns, l->txn_cap, OVERLOAD_TXN_ON) ||
	    at_least(l->rxq, l->rcvbuf, OVERLOAD_RXQ_ON))
		return true;
	if (!was)
		return false;
	return at_least(l->txns, l->txn_cap, OVERLOAD_TXN_OFF) ||
	       at_least(l->rxq, l->rcvbuf, OVERLOAD_RXQ_OFF);
}

int overload_rx_queue(int fd, uint32_t *queued, uint32_t *rcvbuf)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len))
		return -errno;
	*queued = mem[SK_MEMINFO_RMEM_ALLOC];
	*rcvbuf = mem[SK_MEMINFO_RCVBUF];
	return 0;
}
