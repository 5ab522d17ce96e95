// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * udp_batch.c - recvmmsg() batches and a sendmmsg() queue (udp_batch.h).
 *
 * The queue copies each datagram into one arena, so a caller may build
 * the next reply in the same buffer at once; datagrams for several sockets
 * share the queue and leave in the order they came, one sendmmsg() per run
 * of the same socket.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "udp_batch.h"

int udp_rxq_init(struct udp_rxq *q, size_t buf_size)
{
	memset(q, 0, sizeof(*q));
	q->buf_size = buf_size;
	q->bufs = malloc(buf_size * UDP_BATCH_MAX);
	return q->bufs ? 0 : -ENOMEM;
}

void udp_rxq_free(struct udp_rxq *q)
{
	free(q->bufs);
	q->bufs = NULL;
}

int udp_rxq_recv(struct udp_rxq *q, int fd, unsigned int max)
{
	unsigned int i;
	int n;

	if (max > UDP_BATCH_MAX)
		max = UDP_BATCH_MAX;
	for (i = 0; i < max; i++) {
		q->iov[i] = (struct iovec){ udp_rxq_buf(q, i),
					    q->buf_size - 1 };
		memset(&q->msg[i], 0, sizeof(q->msg[i]));
		q->msg[i].msg_hdr.msg_iov = &q->iov[i];
		q->msg[i].msg_hdr.msg_iovlen = 1;
		q->msg[i].msg_hdr.msg_name = &q->from[i];
		q->msg[i].msg_hdr.msg_namelen = sizeof(q->from[i]);
	}
	q->n = 0;
	n = recvmmsg(fd, q->msg, max, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	q->n = n;
	return n;
}

static int real_sendmmsg(int fd, struct mmsghdr *msg, unsigned int vlen,
			 int flags)
{
	return sendmmsg(fd, msg, vlen, flags);
}

int udp_txq_init(struct udp_txq *q)
{
	memset(q, 0, sizeof(*q));
	q->send = real_sendmmsg;
	q->arena = malloc(UDP_TXQ_BYTES);
	return q->arena ? 0 : -ENOMEM;
}

void udp_txq_free(struct udp_txq *q)
{
	free(q->arena);
	q->arena = NULL;
}

/* msg[from..to) all for fd: until each is sent or refused. */
static unsigned int send_run(struct udp_txq *q, int fd, unsigned int from,
			     unsigned int to)
{
	unsigned int refused = 0;
	int n;

	while (from < to) {
		q->calls++;
		n = q->send(fd, &q->msg[from], to - from, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* The first one was refused: drop it, go on. */
			q->last_err = n < 0 ? errno : EIO;
			log_debug("sendmmsg: %s", strerror(q->last_err));
			refused++;
			from++;
			continue;
		}
		q->sent += n;
		from += n;	/* fewer than asked: send the rest again */
	}
	return refused;
}

unsigned int udp_txq_flush(struct udp_txq *q)
{
	unsigned int i = 0, j, refused = 0;

	while (i < q->n) {
		for (j = i + 1; j < q->n && q->fd[j] == q->fd[i]; j++)
			;
		refused += send_run(q, q->fd[i], i, j);
		i = j;
	}
	q->failed += refused;
	q->n = 0;
	q->used = 0;
	return refused;
}

static void entry(struct udp_txq *q, unsigned int i, int fd, void *buf,
		  size_t len, const struct sockaddr *to, socklen_t tolen)
{
	q->fd[i] = fd;
	memcpy(&q->to[i], to, tolen);
	q->iov[i] = (struct iovec){ buf, len };
	memset(&q->msg[i], 0, sizeof(q->msg[i]));
	q->msg[i].msg_hdr.msg_iov = &q->iov[i];
	q->msg[i].msg_hdr.msg_iovlen = 1;
	q->msg[i].msg_hdr.msg_name = &q->to[i];
	q->msg[i].msg_hdr.msg_namelen = tolen;
}

int udp_txq_add(struct udp_txq *q, int fd, const void *buf, size_t len,
		const struct sockaddr *to, socklen_t tolen)
{
	unsigned int refused;

	if (tolen > sizeof(q->to[0]))
		return -EINVAL;
	if (q->n == UDP_BATCH_MAX || q->used + len > UDP_TXQ_BYTES)
		udp_txq_flush(q);
	if (len > UDP_TXQ_BYTES) {
		/* Too big to queue: alone, after what was queued. */
		entry(q, 0, fd, (void *)buf, len, to, tolen);
		refused = send_run(q, fd, 0, 1);
		q->failed += refused;
		return refused ? -q->last_err : 0;
	}
	memcpy(q->arena + q->used, buf, len);
	entry(q, q->n, fd, q->arena + q->used, len, to, tolen);
	q->used += len;
	q->n++;
	return 0;
}
