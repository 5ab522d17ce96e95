// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_udp_batch.c - user/lib/udp_batch.c: the recvmmsg batch and the
 * sendmmsg queue, on loopback sockets and against a fake sendmmsg that
 * sends fewer than asked or refuses a datagram.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "testlib.h"
#include "udp_batch.h"

/* A UDP socket on 127.0.0.1, any port; *sin gets its address. */
static int udp_socket(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, sizeof(*sin)) ||
	    getsockname(fd, (struct sockaddr *)sin, &len))
		return -1;
	return fd;
}

/* The next datagram on fd as a string ("" if none). */
static const char *next(int fd)
{
	static char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int add(struct udp_txq *q, int fd, const char *s,
	       const struct sockaddr_in *to)
{
	return udp_txq_add(q, fd, s, strlen(s), (const struct sockaddr *)to,
			   sizeof(*to));
}

TEST(queue_keeps_order_across_sockets)
{
	struct sockaddr_in a, b, s1a, s2a;
	int A = udp_socket(&a), B = udp_socket(&b);
	int S1 = udp_socket(&s1a), S2 = udp_socket(&s2a);
	struct udp_txq q;

	if (!ASSERT_GE(A, 0, "A") || !ASSERT_GE(B, 0, "B") ||
	    !ASSERT_GE(S1, 0, "S1") || !ASSERT_GE(S2, 0, "S2") ||
	    !ASSERT_OK(udp_txq_init(&q), "init"))
		return;
	add(&q, S1, "1", &a);
	add(&q, S1, "2", &b);
	add(&q, S2, "3", &a);
	add(&q, S1, "4", &a);
	ASSERT_TRUE(!strcmp(next(A), ""), "nothing before the flush");
	ASSERT_EQ(udp_txq_flush(&q), 0, "none refused");
	ASSERT_EQ(q.sent, 4, "4 sent");
	ASSERT_EQ(q.calls, 3, "one sendmmsg per run of a socket");
	ASSERT_TRUE(!strcmp(next(A), "1"), "A: 1");
	ASSERT_TRUE(!strcmp(next(A), "3"), "A: 3");
	ASSERT_TRUE(!strcmp(next(A), "4"), "A: 4");
	ASSERT_TRUE(!strcmp(next(B), "2"), "B: 2");
	ASSERT_EQ(q.n, 0, "queue empty");
	udp_txq_free(&q);
	close(A);
	close(B);
	close(S1);
	close(S2);
}

/* A fake sendmmsg: at most `limit` a call, refuses a datagram "bad". */
static char seen[64][16];
static unsigned int nseen, limit;

static int fake_send(int fd, struct mmsghdr *msg, unsigned int vlen,
		     int flags)
{
	unsigned int i;

	(void)fd;
	(void)flags;
	for (i = 0; i < vlen && i < limit; i++) {
		const struct iovec *v = msg[i].msg_hdr.msg_iov;

		if (v->iov_len == 3 && !memcmp(v->iov_base, "bad", 3)) {
			if (i == 0) {
				errno = EPERM;
				return -1;
			}
			break;
		}
		snprintf(seen[nseen++], sizeof(seen[0]), "%.*s",
			 (int)v->iov_len, (const char *)v->iov_base);
	}
	return (int)i;
}

TEST(partial_sends_are_retried)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	char s[16];
	struct udp_txq q;
	unsigned int i;

	if (!ASSERT_OK(udp_txq_init(&q), "init"))
		return;
	q.send = fake_send;
	nseen = 0;
	limit = 2;
	for (i = 0; i < 5; i++) {
		snprintf(s, sizeof(s), "m%u", i);
		add(&q, 7, s, &to);
	}
	ASSERT_EQ(udp_txq_flush(&q), 0, "none refused");
	ASSERT_EQ(q.sent, 5, "all 5 sent");
	ASSERT_EQ(q.calls, 3, "2 + 2 + 1");
	ASSERT_EQ(nseen, 5, "5 seen");
	for (i = 0; i < nseen; i++) {
		snprintf(s, sizeof(s), "m%u", i);
		ASSERT_TRUE(!strcmp(seen[i], s), "in order");
	}
	udp_txq_free(&q);
}

TEST(a_refused_datagram_is_counted_and_skipped)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct udp_txq q;

	if (!ASSERT_OK(udp_txq_init(&q), "init"))
		return;
	q.send = fake_send;
	nseen = 0;
	limit = 64;
	add(&q, 7, "a", &to);
	add(&q, 7, "bad", &to);
	add(&q, 7, "c", &to);
	ASSERT_EQ(udp_txq_flush(&q), 1, "one refused");
	ASSERT_EQ(q.failed, 1, "counted");
	ASSERT_EQ(q.last_err, EPERM, "its errno");
	ASSERT_EQ(q.sent, 2, "the others sent");
	ASSERT_EQ(nseen, 2, "2 seen");
	ASSERT_TRUE(!strcmp(seen[0], "a"), "a first");
	ASSERT_TRUE(!strcmp(seen[1], "c"), "then c");
	udp_txq_free(&q);
}

TEST(full_queue_flushes_itself)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	static char big[UDP_TXQ_BYTES + 1];
	struct udp_txq q;
	unsigned int i;

	if (!ASSERT_OK(udp_txq_init(&q), "init"))
		return;
	q.send = fake_send;
	nseen = 0;
	limit = 64;
	for (i = 0; i < UDP_BATCH_MAX + 1; i++)
		add(&q, 7, "x", &to);
	ASSERT_EQ(nseen, UDP_BATCH_MAX, "a full queue went out");
	ASSERT_EQ(q.n, 1, "the next one queued");
	memset(big, 'B', sizeof(big));
	ASSERT_OK(udp_txq_add(&q, 7, big, sizeof(big),
			      (struct sockaddr *)&to, sizeof(to)),
		  "larger than the queue");
	ASSERT_EQ(nseen, UDP_BATCH_MAX + 2, "sent at once");
	ASSERT_EQ(seen[UDP_BATCH_MAX][0], 'x', "after what was queued");
	ASSERT_EQ(seen[UDP_BATCH_MAX + 1][0], 'B', "then the big one");
	ASSERT_EQ(q.n, 0, "queue empty");
	udp_txq_free(&q);
}

TEST(receive_a_batch)
{
	struct sockaddr_in a, s1a;
	int A = udp_socket(&a), S1 = udp_socket(&s1a);
	const struct sockaddr_in *from;
	struct udp_rxq rx;

	if (!ASSERT_GE(A, 0, "A") || !ASSERT_GE(S1, 0, "S1") ||
	    !ASSERT_OK(udp_rxq_init(&rx, 2048), "init"))
		return;
	ASSERT_EQ(udp_rxq_recv(&rx, A, UDP_BATCH_MAX), 0, "nothing waiting");
	sendto(S1, "one", 3, 0, (struct sockaddr *)&a, sizeof(a));
	sendto(S1, "two!", 4, 0, (struct sockaddr *)&a, sizeof(a));
	sendto(S1, "three", 5, 0, (struct sockaddr *)&a, sizeof(a));
	ASSERT_EQ(udp_rxq_recv(&rx, A, 2), 2, "two at most");
	ASSERT_EQ(rx.msg[0].msg_len, 3, "first length");
	ASSERT_MEM_EQ(udp_rxq_buf(&rx, 0), "one", 3, "first");
	ASSERT_MEM_EQ(udp_rxq_buf(&rx, 1), "two!", 4, "second");
	from = (const struct sockaddr_in *)&rx.from[1];
	ASSERT_EQ(from->sin_port, s1a.sin_port, "its source port");
	ASSERT_EQ(udp_rxq_recv(&rx, A, UDP_BATCH_MAX), 1, "the third");
	ASSERT_EQ(rx.msg[0].msg_len, 5, "third length");
	udp_rxq_free(&rx);
	close(A);
	close(S1);
}

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
