// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sipflood.c - a SIP flood generator for tests/e2e/flood.sh: junk,
 * unauthenticated REGISTERs, INVITEs and scanner OPTIONS from many source
 * addresses at a fixed rate, with sendmmsg().
 *
 * One UDP socket sends everything; each datagram's source address is set
 * with an IP_PKTINFO control message (ipi_spec_dst), so N sources cost one
 * socket and one system call per batch. The addresses must be local to the
 * sender's network namespace (flood.sh adds them to the client's link), or,
 * with --spoof, may be anything: the socket is IP_TRANSPARENT (needs
 * CAP_NET_ADMIN), as a spoofing attacker's would be.
 * What each kind imitates:
 *
 *   junk      random bytes, first byte 0xff: not SIP at all
 *   register  a REGISTER without credentials for a random extension
 *             (svwar's enumeration, or a guesser's first step)
 *   invite    an out-of-dialog INVITE with SDP to a random number (toll
 *             fraud attempts, svcrack-style call tests)
 *   scanner   OPTIONS with "User-Agent: friendly-scanner" (svmap)
 *
 * Every datagram has a Call-ID and branch of its own. Pacing: batches of
 * BATCH datagrams, each sent no earlier than start + n / rate. The run
 * ends after --seconds or --count, or on SIGINT/SIGTERM, and prints one
 * line: "sipflood sent N junk J register R invite I scanner S seconds T
 * pps P errors E" (errors: datagrams sendmmsg did not take, not counted as
 * sent).
 *
 * Usage: sipflood --dst ADDR:PORT --src FIRST_IPV4 [--sources N] [--spoof]
 *                 [--port P] [--rate PPS] [--seconds S] [--count N]
 *                 [--mix JUNK,REGISTER,INVITE,SCANNER]   (weights, e.g.
 *                 1,1,1,0)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define BATCH		64
#define MSG_MAX		1024
#define KINDS		4

enum kind { JUNK, REGISTER, INVITE, SCANNER };
static const char *const kind_names[KINDS] = {
	"junk", "register", "invite", "scanner"
};

struct flood {
	struct sockaddr_in dst;
	struct in_addr first_src;
	unsigned int sources;
	unsigned int port;
	double rate;
	double seconds;
	unsigned long long count;
	unsigned int mix[KINDS];
	unsigned int mix_total;
	uint64_t rng;
	bool spoof;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: fast, and unpredictable enough for Call-IDs of junk */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static enum kind pick_kind(struct flood *f)
{
	unsigned int r = next_rand(&f->rng) % f->mix_total, k;

	for (k = 0; k < KINDS - 1; k++) {
		if (r < f->mix[k])
			return k;
		r -= f->mix[k];
	}
	return KINDS - 1;
}

/* One datagram of kind k from src; returns its length. */
static size_t build(struct flood *f, enum kind k, const char *src,
		    const char *dst, char *buf)
{
	uint64_t id = next_rand(&f->rng);
	unsigned int ext = 100 + id % 9900;
	size_t i, len;
	int n = 0;

	switch (k) {
	case JUNK:
		len = 64 + id % 400;
		for (i = 0; i < len; i += 8) {
			uint64_t r = next_rand(&f->rng);

			memcpy(buf + i, &r, 8);
		}
		buf[0] = (char)0xff;	/* never a token: not a request */
		return len;
	case REGISTER:
		n = snprintf(buf, MSG_MAX,
			"REGISTER sip:%s SIP/2.0\r\n"
			"Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-fl%016llx\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:%u@%s>;tag=%08llx\r\n"
			"To: <sip:%u@%s>\r\n"
			"Call-ID: fl%016llx@%s\r\n"
			"CSeq: 1 REGISTER\r\n"
			"Contact: <sip:%u@%s:%u>\r\n"
			"Expires: 3600\r\n"
			"Content-Length: 0\r\n\r\n",
			dst, src, f->port, (unsigned long long)id, ext, dst,
			(unsigned long long)(id >> 32), ext, dst,
			(unsigned long long)id, src, ext, src, f->port);
		break;
	case INVITE:
		n = snprintf(buf, MSG_MAX,
			"INVITE sip:00972%u@%s SIP/2.0\r\n"
			"Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-fl%016llx\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:%u@%s>;tag=%08llx\r\n"
			"To: <sip:00972%u@%s>\r\n"
			"Call-ID: fl%016llx@%s\r\n"
			"CSeq: 1 INVITE\r\n"
			"Contact: <sip:%u@%s:%u>\r\n"
			"Content-Type: application/sdp\r\n"
			"Content-Length: 122\r\n\r\n"
			"v=0\r\n"
			"o=- 1 1 IN IP4 %-15s\r\n"
			"s=-\r\n"
			"c=IN IP4 %-15s\r\n"
			"t=0 0\r\n"
			"m=audio 40000 RTP/AVP 0\r\n"
			"a=rtpmap:0 PCMU/8000\r\n",
			ext, dst, src, f->port, (unsigned long long)id, ext,
			src, (unsigned long long)(id >> 32), ext, dst,
			(unsigned long long)id, src, ext, src, f->port, src,
			src);
		break;
	case SCANNER:
		n = snprintf(buf, MSG_MAX,
			"OPTIONS sip:%u@%s SIP/2.0\r\n"
			"Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-fl%016llx\r\n"
			"Max-Forwards: 70\r\n"
			"From: \"sipvicious\" <sip:100@1.1.1.1>;tag=%08llx\r\n"
			"To: \"sipvicious\" <sip:100@1.1.1.1>\r\n"
			"Call-ID: fl%016llx\r\n"
			"CSeq: 1 OPTIONS\r\n"
			"Contact: <sip:100@%s:%u>\r\n"
			"Accept: application/sdp\r\n"
			"User-Agent: friendly-scanner\r\n"
			"Content-Length: 0\r\n\r\n",
			ext, dst, src, f->port, (unsigned long long)id,
			(unsigned long long)(id >> 32),
			(unsigned long long)id, src, f->port);
		break;
	}
	return n < 0 || n >= MSG_MAX ? 0 : (size_t)n;
}

static int parse_args(int argc, char **argv, struct flood *f)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 's' },
		{ "sources", required_argument, NULL, 'n' },
		{ "port", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "mix", required_argument, NULL, 'm' },
		{ "spoof", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	char host[64], *colon;
	int opt, k;

	memset(f, 0, sizeof(*f));
	f->sources = 1;
	f->port = 5099;
	f->rate = 1000;
	f->seconds = 10;
	f->mix[JUNK] = f->mix[REGISTER] = f->mix[INVITE] = 1;
	f->dst.sin_family = AF_INET;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			snprintf(host, sizeof(host), "%s", optarg);
			colon = strrchr(host, ':');
			if (!colon)
				return -1;
			*colon = '\0';
			if (inet_pton(AF_INET, host, &f->dst.sin_addr) != 1)
				return -1;
			f->dst.sin_port = htons(atoi(colon + 1));
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &f->first_src) != 1)
				return -1;
			break;
		case 'n':
			f->sources = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			f->port = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			f->rate = strtod(optarg, NULL);
			break;
		case 't':
			f->seconds = strtod(optarg, NULL);
			break;
		case 'c':
			f->count = strtoull(optarg, NULL, 10);
			break;
		case 'S':
			f->spoof = true;
			break;
		case 'm':
			if (sscanf(optarg, "%u,%u,%u,%u", &f->mix[0],
				   &f->mix[1], &f->mix[2], &f->mix[3]) < 3)
				return -1;
			break;
		default:
			return -1;
		}
	}
	for (k = 0; k < KINDS; k++)
		f->mix_total += f->mix[k];
	if (!f->dst.sin_port || !f->first_src.s_addr || f->sources == 0 ||
	    f->sources > 65536 || f->rate <= 0 || f->mix_total == 0 ||
	    f->port == 0 || f->port > 65535)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static char bufs[BATCH][MSG_MAX];
	static char cbufs[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	unsigned long long sent = 0, errors = 0, by_kind[KINDS] = { 0 };
	enum kind kinds[BATCH];
	char dst_s[INET_ADDRSTRLEN], src_s[INET_ADDRSTRLEN];
	struct sockaddr_in bind_addr = { .sin_family = AF_INET };
	struct flood f;
	double start, elapsed;
	int fd, one = 1, sndbuf = 4 << 20, i, n;

	if (parse_args(argc, argv, &f)) {
		fprintf(stderr, "usage: sipflood --dst ADDR:PORT --src FIRST_IPV4 "
			"[--sources N] [--spoof] [--port P] [--rate PPS] [--seconds S] "
			"[--count N] [--mix J,R,I,S]\n");
		return 2;
	}
	f.rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	inet_ntop(AF_INET, &f.dst.sin_addr, dst_s, sizeof(dst_s));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("sipflood: socket");
		return 1;
	}
	bind_addr.sin_port = htons(f.port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&bind_addr, sizeof(bind_addr))) {
		perror("sipflood: bind");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	if (f.spoof &&
	    setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one))) {
		perror("sipflood: IP_TRANSPARENT");
		return 1;
	}

	start = now_s();
	while (!stop) {
		double due = start + sent / f.rate, t = now_s();
		int want = BATCH;

		if (t - start >= f.seconds || (f.count && sent >= f.count))
			break;
		if (due > t) {
			struct timespec ts = {
				.tv_sec = (time_t)(due - t),
				.tv_nsec = (long)((due - t - (time_t)(due - t)) * 1e9),
			};
			nanosleep(&ts, NULL);
			continue;
		}
		if (f.count && f.count - sent < (unsigned long long)want)
			want = (int)(f.count - sent);
		for (i = 0; i < want; i++) {
			struct in_addr src = { .s_addr = htonl(
				ntohl(f.first_src.s_addr) +
				(unsigned int)(next_rand(&f.rng) % f.sources)) };
			struct in_pktinfo *pi;
			struct cmsghdr *cm;

			inet_ntop(AF_INET, &src, src_s, sizeof(src_s));
			kinds[i] = pick_kind(&f);
			iovs[i].iov_base = bufs[i];
			iovs[i].iov_len = build(&f, kinds[i], src_s, dst_s,
						bufs[i]);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_name = &f.dst;
			msgs[i].msg_hdr.msg_namelen = sizeof(f.dst);
			msgs[i].msg_hdr.msg_iov = &iovs[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = cbufs[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(cbufs[i]);
			memset(cbufs[i], 0, sizeof(cbufs[i]));
			cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr);
			cm->cmsg_level = SOL_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(*pi));
			pi = (struct in_pktinfo *)CMSG_DATA(cm);
			pi->ipi_spec_dst = src;
		}
		n = sendmmsg(fd, msgs, want, 0);
		if (n < 0) {
			if (errno != EINTR)
				errors += want;
			n = 0;
		} else if (n < want) {
			errors += want - n;
		}
		for (i = 0; i < n; i++)
			by_kind[kinds[i]]++;
		sent += n;
		if (n == 0) {
			/* Nothing taken (ENOBUFS, say): yield a little. */
			struct timespec ts = { .tv_nsec = 100000 };

			nanosleep(&ts, NULL);
		}
	}
	elapsed = now_s() - start;
	printf("sipflood sent %llu", sent);
	for (i = 0; i < KINDS; i++)
		printf(" %s %llu", kind_names[i], by_kind[i]);
	printf(" seconds %.2f pps %.0f errors %llu\n", elapsed,
	       elapsed > 0 ? sent / elapsed : 0.0, errors);
	close(fd);
	return 0;
}
