/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * udp_batch.h - datagrams in and out in batches: recvmmsg() fills a
 * receive batch, and the datagrams produced while handling it are queued
 * and leave with sendmmsg() when the batch is done. One syscall for many
 * instead of one each (siplbd's VIP sockets, siplb-worker's sockets).
 *
 * The send queue keeps the order in which datagrams were added, across
 * sockets too, so the order per destination is kept. sendmmsg() may send
 * fewer than asked: the rest is sent again; a datagram it refuses (the
 * first of a call failing) is counted in `failed` and skipped, as a failed
 * sendto() was.
 */
#ifndef SIPLB_UDP_BATCH_H
#define SIPLB_UDP_BATCH_H

#include <stddef.h>
#include <sys/socket.h>

#define UDP_BATCH_MAX	32		/* datagrams per recvmmsg/sendmmsg */
#define UDP_TXQ_BYTES	(128 * 1024)	/* queued bytes before a flush */

/* Received datagrams: buf(q, i), len[i], from[i] for i < n. */
struct udp_rxq {
	unsigned int n;
	size_t buf_size;
	char *bufs;
	struct mmsghdr msg[UDP_BATCH_MAX];
	struct iovec iov[UDP_BATCH_MAX];
	struct sockaddr_storage from[UDP_BATCH_MAX];
};

typedef int (*udp_sendmmsg_fn)(int fd, struct mmsghdr *msg,
			       unsigned int vlen, int flags);

struct udp_txq {
	unsigned int n;
	size_t used;			/* bytes of arena taken */
	char *arena;
	int fd[UDP_BATCH_MAX];
	struct mmsghdr msg[UDP_BATCH_MAX];
	struct iovec iov[UDP_BATCH_MAX];
	struct sockaddr_storage to[UDP_BATCH_MAX];
	unsigned long long sent;	/* datagrams the kernel took */
	unsigned long long failed;	/* datagrams refused, dropped */
	unsigned long long calls;	/* sendmmsg() calls */
	int last_err;			/* errno of the last refusal */
	udp_sendmmsg_fn send;		/* sendmmsg; tests put their own */
};

/* buf_size: the largest datagram (plus one byte to spare). 0 or -ENOMEM. */
int udp_rxq_init(struct udp_rxq *q, size_t buf_size);
void udp_rxq_free(struct udp_rxq *q);
/* Up to max (<= UDP_BATCH_MAX) datagrams waiting on fd, without blocking:
 * how many (0: none), or -errno. */
int udp_rxq_recv(struct udp_rxq *q, int fd, unsigned int max);

static inline char *udp_rxq_buf(const struct udp_rxq *q, unsigned int i)
{
	return q->bufs + (size_t)i * q->buf_size;
}

int udp_txq_init(struct udp_txq *q);
void udp_txq_free(struct udp_txq *q);
/* Queue a copy of buf for to over fd; a full queue is flushed first, a
 * datagram larger than the whole queue is sent at once (after the queue,
 * to keep the order). 0, or -errno if it was sent at once and refused. */
int udp_txq_add(struct udp_txq *q, int fd, const void *buf, size_t len,
		const struct sockaddr *to, socklen_t tolen);
/* Send everything queued; returns how many were refused (also added to
 * failed). The queue is empty afterwards. */
unsigned int udp_txq_flush(struct udp_txq *q);

#endif /* SIPLB_UDP_BATCH_H */
