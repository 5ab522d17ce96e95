/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * overload.h - is this worker near its limits? It says so in its
 * siplb_workers entry (SIPLB_WORKER_OVERLOADED), and siplbd sends it no
 * new calls while its dialogs keep their affinity (user/siplbd/passive.c).
 *
 * Overloaded from the moment the transaction table is OVERLOAD_TXN_ON %
 * full or the socket's receive queue holds OVERLOAD_RXQ_ON % of its
 * buffer; recovered only once both are below the _OFF marks, so that a
 * worker at the edge does not flap in and out every tick.
 */
#ifndef SIPLB_WORKER_OVERLOAD_H
#define SIPLB_WORKER_OVERLOAD_H

#include <stdbool.h>
#include <stdint.h>

#define OVERLOAD_TXN_ON		80	/* % of the transaction table */
#define OVERLOAD_TXN_OFF	60
#define OVERLOAD_RXQ_ON		50	/* % of SO_RCVBUF queued */
#define OVERLOAD_RXQ_OFF	25

struct overload_load {
	uint32_t txns, txn_cap;		/* in use, table size */
	uint32_t rxq, rcvbuf;		/* bytes queued, buffer size */
};

/* Overloaded now, given what it was and the load? (pure) */
bool overload_judge(bool was, const struct overload_load *l);
/* The receive queue of a UDP socket: bytes queued and the buffer size. */
int overload_rx_queue(int fd, uint32_t *queued, uint32_t *rcvbuf);

#endif /* SIPLB_WORKER_OVERLOAD_H */
