// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_redis_store.c - the cluster's Redis scripts (user/siplbd/
 * cluster_store.c) against a real redis-server started on loopback for
 * this program: RFC 3261 10.3 ordering, max-contacts and all-or-nothing,
 * removal and "*", expiry by the sweep, the change stream, two nodes
 * racing on one AOR, nonce counts and failed logins shared by two nodes,
 * an unreachable Redis, and the same scripts pipelined (a batch decided in
 * the order sent, one failing alone, Redis gone mid-batch). Skipped if
 * redis-server is not installed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <hiredis/hiredis.h>

#include <bpf/bpf.h>

#include "cluster_store.h"
#include "mirror.h"
#include "nonce.h"
#include "redis_server.h"
#include "testlib.h"

#define NOW	1800000000ULL
#define AOR	"sip:alice@example.com"

static struct redis_server srv;
static const char *debug_port;

/* A node: its own connection, as two siplbd processes have. */
static void node_open(struct cluster_store *cs, const char *name)
{
	cluster_store_init(cs, "127.0.0.1", srv.port, name);
}

static void flush(void)
{
	struct cluster_store cs;
	const char *argv[] = { "FLUSHALL" };

	node_open(&cs, "flush");
	redis_reply_free(redis_conn_cmd(&cs.rc, 1, argv, NULL));
	cluster_store_free(&cs);
}

static void contact(struct cluster_contact *c, const char *uri,
		    __u64 expires_at)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->b.contact, sizeof(c->b.contact), "%s", uri);
	c->b.expires_at = expires_at;
	cluster_binding_id(uri, "", 0, c->id, sizeof(c->id));
}

/* One REGISTER of n contacts; the resulting set in *set. */
static int reg(struct cluster_store *cs, const char *aor, __u64 callid,
	       __u32 cseq, __u32 maxc, const struct cluster_contact *c,
	       size_t n, bool star, __u64 now, struct location_set *set)
{
	struct cluster_register r = {
		.aor = aor, .now = now, .max_contacts = maxc, .star = star,
		.callid_hash = callid, .cseq = cseq, .contacts = c, .n = n,
	};

	return cluster_store_register(cs, &r, set);
}

static long long redis_int(struct cluster_store *cs, const char *cmd,
			   const char *key)
{
	const char *argv[] = { cmd, key };
	redisReply *r = redis_conn_cmd(&cs->rc, 2, argv, NULL);
	long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

	redis_reply_free(r);
	return v;
}

TEST(binding_id_is_rfc3261_uri_equality)
{
	char a[CLUSTER_ID_MAX], b[CLUSTER_ID_MAX];

	cluster_binding_id("sip:bob@EXAMPLE.com:5062;transport=UDP;x=1", "",
			   0, a, sizeof(a));
	cluster_binding_id("sip:%62ob@example.com:5062;transport=udp", "", 0,
			   b, sizeof(b));
	ASSERT_TRUE(!strcmp(a, b), "host case, escapes, other params");
	cluster_binding_id("sip:bob@example.com:5063", "", 0, b, sizeof(b));
	ASSERT_TRUE(strcmp(a, b) != 0, "another port is another binding");
	cluster_binding_id("sip:BOB@example.com:5062;transport=udp", "", 0, b,
			   sizeof(b));
	ASSERT_TRUE(strcmp(a, b) != 0, "the user part is case-sensitive");
	cluster_binding_id("sip:x@1.2.3.4", "urn:uuid:AB", 1, a, sizeof(a));
	cluster_binding_id("sip:y@5.6.7.8", "urn:uuid:ab", 1, b, sizeof(b));
	ASSERT_TRUE(!strcmp(a, b), "an instance names the binding");
}

TEST(register_refresh_and_list)
{
	struct cluster_store cs;
	struct cluster_contact c[2];
	struct location_set set;

	flush();
	node_open(&cs, "a");
	contact(&c[0], "sip:alice@192.0.2.10:5060", NOW + 3600);
	contact(&c[1], "sip:alice@192.0.2.11:5060", NOW + 60);
	if (!ASSERT_OK(reg(&cs, AOR, 1, 1, 10, c, 2, false, NOW, &set),
		       "two contacts"))
		goto out;
	ASSERT_EQ(set.n, 2, "the 200 lists both");
	ASSERT_TRUE(set.slot[0] != set.slot[1], "each its own slot");
	c[0].b.expires_at = NOW + 7200;
	ASSERT_OK(reg(&cs, AOR, 1, 2, 10, c, 1, false, NOW, &set), "refresh");
	ASSERT_EQ(set.n, 2, "a refresh adds nothing");
	ASSERT_EQ(redis_int(&cs, "ZCARD", REDIS_KEY_EXPIRIES), 2,
		  "one expiry per binding");
	ASSERT_EQ(redis_int(&cs, "XLEN", REDIS_KEY_STREAM), 3,
		  "every change in the stream (2 puts + 1 refresh)");
out:
	cluster_store_free(&cs);
}

TEST(callid_cseq_ordering)
{
	struct cluster_store cs;
	struct cluster_contact c;
	struct location_set set;

	flush();
	node_open(&cs, "a");
	contact(&c, "sip:alice@192.0.2.10", NOW + 3600);
	ASSERT_OK(reg(&cs, AOR, 7, 5, 10, &c, 1, false, NOW, &set), "cseq 5");
	ASSERT_EQ(reg(&cs, AOR, 7, 5, 10, &c, 1, false, NOW, &set),
		  -EALREADY, "same Call-ID, same CSeq: 500");
	ASSERT_EQ(reg(&cs, AOR, 7, 4, 10, &c, 1, false, NOW, &set),
		  -EALREADY, "same Call-ID, lower CSeq: 500");
	ASSERT_EQ(reg(&cs, AOR, 7, 1, 10, &c, 1, true, NOW, &set), -EALREADY,
		  "nor may a stale '*' remove it");
	ASSERT_OK(reg(&cs, AOR, 8, 1, 10, &c, 1, false, NOW, &set),
		  "another Call-ID may have any CSeq");
	ASSERT_OK(reg(&cs, AOR, 8, 2, 10, &c, 1, false, NOW, &set),
		  "a higher CSeq");
	cluster_store_free(&cs);
}

TEST(max_contacts_all_or_nothing)
{
	struct cluster_store cs;
	struct cluster_contact c[3];
	struct location_set set;

	flush();
	node_open(&cs, "a");
	contact(&c[0], "sip:a@192.0.2.1", NOW + 3600);
	contact(&c[1], "sip:a@192.0.2.2", NOW + 3600);
	contact(&c[2], "sip:a@192.0.2.3", NOW + 3600);
	ASSERT_EQ(reg(&cs, AOR, 1, 1, 2, c, 3, false, NOW, &set), -ENOSPC,
		  "3 contacts, max 2: 403");
	ASSERT_EQ(redis_int(&cs, "HLEN", REDIS_KEY_BINDINGS AOR), 0,
		  "and none of them written");
	ASSERT_OK(reg(&cs, AOR, 1, 2, 2, c, 2, false, NOW, &set), "2 of 2");
	ASSERT_EQ(reg(&cs, AOR, 1, 3, 2, &c[2], 1, false, NOW, &set),
		  -ENOSPC, "a third: 403");
	c[0].b.expires_at = 0;
	ASSERT_OK(reg(&cs, AOR, 1, 4, 2, c, 3, false, NOW, &set),
		  "one removed and one added in one REGISTER, at the limit");
	ASSERT_EQ(set.n, 2, "two bindings");
	ASSERT_EQ(redis_int(&cs, "HLEN", REDIS_KEY_BINDINGS AOR), 2,
		  "two in Redis");
	cluster_store_free(&cs);
}

TEST(removal_and_star)
{
	struct cluster_store cs;
	struct cluster_contact c[2];
	struct location_set set;

	flush();
	node_open(&cs, "a");
	contact(&c[0], "sip:a@192.0.2.1", NOW + 3600);
	contact(&c[1], "sip:a@192.0.2.2", NOW + 3600);
	ASSERT_OK(reg(&cs, AOR, 1, 1, 10, c, 2, false, NOW, &set), "two");
	c[1].b.expires_at = 0;
	ASSERT_OK(reg(&cs, AOR, 1, 2, 10, &c[1], 1, false, NOW, &set),
		  "expires=0 removes one");
	ASSERT_EQ(set.n, 1, "one left");
	ASSERT_OK(reg(&cs, AOR, 2, 1, 10, NULL, 0, true, NOW, &set),
		  "'*' with Expires: 0");
	ASSERT_EQ(set.n, 0, "none left");
	ASSERT_EQ(redis_int(&cs, "EXISTS", REDIS_KEY_BINDINGS AOR), 0,
		  "the AOR's hash is gone");
	ASSERT_EQ(redis_int(&cs, "ZCARD", REDIS_KEY_EXPIRIES), 0,
		  "and its expiries");
	ASSERT_EQ(redis_int(&cs, "XLEN", REDIS_KEY_STREAM), 4,
		  "2 puts, 2 dels in the stream");
	cluster_store_free(&cs);
}

TEST(expiry_by_the_sweep)
{
	struct cluster_store cs;
	struct cluster_contact c[2];
	struct location_set set;
	__u64 removed = 0;

	flush();
	node_open(&cs, "a");
	contact(&c[0], "sip:a@192.0.2.1", NOW + 10);
	contact(&c[1], "sip:a@192.0.2.2", NOW + 100);
	ASSERT_OK(reg(&cs, AOR, 1, 1, 10, c, 2, false, NOW, &set), "two");
	ASSERT_OK(cluster_store_sweep(&cs, NOW + 9, 100, &removed), "sweep");
	ASSERT_EQ(removed, 0, "nothing expired yet");
	ASSERT_OK(cluster_store_sweep(&cs, NOW + 10, 100, &removed), "sweep");
	ASSERT_EQ(removed, 1, "the first expired at its time");
	ASSERT_EQ(redis_int(&cs, "HLEN", REDIS_KEY_BINDINGS AOR), 1,
		  "gone from the AOR");
	ASSERT_EQ(redis_int(&cs, "XLEN", REDIS_KEY_STREAM), 3,
		  "and a del in the stream for the mirrors");
	/* A REGISTER after the expiry but before a sweep does not list it. */
	contact(&c[0], "sip:a@192.0.2.3", NOW + 3600);
	ASSERT_OK(reg(&cs, AOR, 1, 2, 10, c, 1, false, NOW + 200, &set),
		  "register after the second expired");
	ASSERT_EQ(set.n, 1, "expired bindings are not listed");
	ASSERT_EQ(redis_int(&cs, "ZCARD", REDIS_KEY_EXPIRIES), 1,
		  "and were removed on the way");
	cluster_store_free(&cs);
}

#define RACE_ROUNDS	60
#define RACE_MAX	10

/*
 * One node of the race: RACE_ROUNDS REGISTERs for the one AOR, each
 * adding a contact of its own (max-contacts race) and refreshing a
 * shared one with the shared Call-ID and the node's CSeqs (odd or even:
 * the ordering race). Exits with the number of contacts it added.
 */
static int race_node(int which)
{
	struct cluster_store cs;
	struct cluster_contact c[2];
	struct location_set set;
	char uri[64];
	int i, added = 0, err;

	node_open(&cs, which ? "b" : "a");
	for (i = 0; i < RACE_ROUNDS; i++) {
		contact(&c[0], "sip:shared@192.0.2.1", NOW + 3600);
		err = reg(&cs, AOR, 99, 1000 + 2 * i + which, 1000, c, 1,
			  false, NOW, &set);
		(void)err;
		snprintf(uri, sizeof(uri), "sip:own-%d-%d@192.0.2.2", which,
			 i);
		contact(&c[1], uri, NOW + 3600);
		err = reg(&cs, "sip:race@example.com", 1000 * which + i, 1,
			  RACE_MAX, &c[1], 1, false, NOW, &set);
		if (!err)
			added++;
		else if (err != -ENOSPC)
			added = 200;	/* anything else is a failure */
	}
	cluster_store_free(&cs);
	return added;
}

/* The puts for AOR in the stream have strictly growing CSeqs. */
static bool stream_cseqs_grow(struct cluster_store *cs, const char *aor,
			      int *puts)
{
	const char *argv[] = { "XRANGE", REDIS_KEY_STREAM, "-", "+" };
	redisReply *r = redis_conn_cmd(&cs->rc, 4, argv, NULL);
	unsigned int last = 0, cseq, slot;
	bool ok = r && r->type == REDIS_REPLY_ARRAY;
	size_t i, f;

	*puts = 0;
	for (i = 0; ok && i < r->elements; i++) {
		redisReply *fields = r->element[i]->element[1];
		const char *a = NULL, *v = NULL;

		for (f = 0; f + 1 < fields->elements; f += 2) {
			if (!strcmp(fields->element[f]->str, "aor"))
				a = fields->element[f + 1]->str;
			if (!strcmp(fields->element[f]->str, "b"))
				v = fields->element[f + 1]->str;
		}
		if (!a || !v || strcmp(a, aor))
			continue;
		if (sscanf(v, "%u %*u %u", &slot, &cseq) != 2 || cseq <= last)
			ok = false;
		last = cseq;
		(*puts)++;
	}
	redis_reply_free(r);
	return ok;
}

TEST(two_nodes_race_on_one_aor)
{
	struct cluster_store cs;
	int status[2], i, puts;
	pid_t pid[2];

	flush();
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(race_node(i));
	}
	for (i = 0; i < 2; i++)
		waitpid(pid[i], &status[i], 0);
	ASSERT_EQ(WEXITSTATUS(status[0]) + WEXITSTATUS(status[1]), RACE_MAX,
		  "exactly max-contacts bindings added by the two nodes");
	node_open(&cs, "check");
	ASSERT_EQ(redis_int(&cs, "HLEN", "siplb:b:sip:race@example.com"),
		  RACE_MAX, "and exactly that many in Redis");
	ASSERT_TRUE(stream_cseqs_grow(&cs, AOR, &puts),
		    "the shared Call-ID's accepted CSeqs only grow");
	ASSERT_GE(puts, 2, "both nodes' refreshes interleaved");
	testlib_note("%d of %d racing refreshes accepted", puts,
		     2 * RACE_ROUNDS);
	cluster_store_free(&cs);
}

TEST(nonce_counts_shared_by_nodes)
{
	struct cluster_store a, b;
	struct nonce_id id = { .issued = NOW, .expires = NOW + 300 };

	flush();
	node_open(&a, "a");
	node_open(&b, "b");
	memset(id.mac, 0x5a, sizeof(id.mac));
	ASSERT_OK(cluster_store_nonce_use(&a, &id, 1, NOW, NULL), "nc 1 on A");
	ASSERT_EQ(cluster_store_nonce_use(&b, &id, 1, NOW, NULL), -EALREADY,
		  "nc 1 replayed through B");
	ASSERT_OK(cluster_store_nonce_use(&b, &id, 2, NOW, NULL), "nc 2 on B");
	ASSERT_EQ(cluster_store_nonce_use(&a, &id, 2, NOW, NULL), -EALREADY,
		  "nc 2 replayed through A");
	ASSERT_EQ(cluster_store_nonce_use(&a, &id, 0, NOW, NULL), -EINVAL, "nc 0");
	ASSERT_LE(redis_int(&a, "TTL", "siplb:nc:5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"),
		  300, "kept as long as the nonce lives");
	cluster_store_free(&a);
	cluster_store_free(&b);
}

/* ---- pipelined: a batch's calls appended, then read in order ------ */

/* One REGISTER appended to the pipeline. */
static int reg_send(struct cluster_store *cs, const char *aor, __u64 callid,
		    __u32 cseq, __u32 maxc, const struct cluster_contact *c,
		    size_t n)
{
	struct cluster_register r = {
		.aor = aor, .now = NOW, .max_contacts = maxc,
		.callid_hash = callid, .cseq = cseq, .contacts = c, .n = n,
	};

	return cluster_store_register_send(cs, &r);
}

/* A key of the wrong type: the script fails on this AOR alone. */
#define BAD_AOR	"sip:broken@example.com"

static const struct {
	const char *name;
	const char *aor;
	__u64 callid;
	__u32 cseq;
	int contact;		/* index into the batch's contacts */
	bool remove;
	int want;
	size_t bindings;	/* in the 200 */
} batch_cases[] = {
	{ "cseq 1 binds a", AOR, 7, 1, 0, false, 0, 1 },
	{ "cseq 1 again, after it in the batch: 500", AOR, 7, 1, 0, false,
	  -EALREADY, 0 },
	{ "the AOR whose key is broken: its own error", BAD_AOR, 7, 1, 0,
	  false, -EIO, 0 },
	{ "cseq 2 binds b: the second of 2", AOR, 7, 2, 1, false, 0, 2 },
	{ "another Call-ID binds c: a third, max 2: 403", AOR, 8, 1, 2, false,
	  -ENOSPC, 0 },
	{ "cseq 3 removes a: sees b, written two requests before", AOR, 7, 3,
	  0, true, 0, 1 },
	{ "c now fits", AOR, 8, 2, 2, false, 0, 2 },
};

TEST(pipelined_batch_decided_in_order)
{
	const size_t n = sizeof(batch_cases) / sizeof(batch_cases[0]);
	const char *set_bad[] = { "SET", REDIS_KEY_BINDINGS BAD_AOR, "x" };
	struct cluster_contact c[3];
	struct location_set set;
	struct cluster_store cs;
	size_t i;

	flush();
	node_open(&cs, "a");
	redis_reply_free(redis_conn_cmd(&cs.rc, 3, set_bad, NULL));
	contact(&c[0], "sip:a@192.0.2.1", NOW + 3600);
	contact(&c[1], "sip:a@192.0.2.2", NOW + 3600);
	contact(&c[2], "sip:a@192.0.2.3", NOW + 3600);
	ASSERT_OK(cluster_store_pipe_begin(&cs), "connected, scripts loaded");
	for (i = 0; i < n; i++) {
		struct cluster_contact one = c[batch_cases[i].contact];

		if (batch_cases[i].remove)
			one.b.expires_at = 0;
		ASSERT_OK(reg_send(&cs, batch_cases[i].aor,
				   batch_cases[i].callid, batch_cases[i].cseq,
				   2, &one, 1),
			  testlib_say("%s: appended", batch_cases[i].name));
	}
	for (i = 0; i < n; i++) {
		int err = cluster_store_register_recv(&cs, &set);

		ASSERT_EQ(err, batch_cases[i].want, batch_cases[i].name);
		if (!err)
			ASSERT_EQ(set.n, batch_cases[i].bindings,
				  testlib_say("%s: the 200's bindings",
				      batch_cases[i].name));
	}
	ASSERT_EQ(cs.stats.redis_errors, 1, "one error: the broken AOR's");
	ASSERT_EQ(redis_int(&cs, "HLEN", REDIS_KEY_BINDINGS AOR), 2,
		  "b and c in Redis, as one at a time would leave them");
	ASSERT_EQ(reg(&cs, AOR, 9, 1, 2, &c[0], 1, false, NOW, &set), -ENOSPC,
		  "the connection goes on: a third is refused");
	cluster_store_free(&cs);
}

TEST(pipelined_nonce_counts_in_order)
{
	struct nonce_id id = { .issued = NOW, .expires = NOW + 300 };
	static const __u32 nc[] = { 1, 1, 3, 2, 4 };
	static const int want[] = { 0, -EALREADY, 0, -EALREADY, 0 };
	struct cluster_store cs;
	size_t i;

	flush();
	node_open(&cs, "a");
	memset(id.mac, 0x6b, sizeof(id.mac));
	ASSERT_OK(cluster_store_pipe_begin(&cs), "connected");
	for (i = 0; i < 5; i++)
		ASSERT_OK(cluster_store_nonce_send(&cs, &id, nc[i], NOW, NULL),
			  testlib_say("nc %u appended", nc[i]));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(cluster_store_nonce_recv(&cs), want[i],
			  testlib_say("request %zu, nc %u: in order", i + 1, nc[i]));
	cluster_store_free(&cs);
}

TEST(pipelined_scripts_loaded_after_a_flush)
{
	const char *flush_scripts[] = { "SCRIPT", "FLUSH" };
	struct cluster_contact c;
	struct location_set set;
	struct cluster_store cs;

	flush();
	node_open(&cs, "a");
	contact(&c, "sip:a@192.0.2.1", NOW + 3600);
	ASSERT_OK(cluster_store_pipe_begin(&cs), "scripts loaded");
	redis_reply_free(redis_conn_cmd(&cs.rc, 2, flush_scripts, NULL));
	ASSERT_OK(cluster_store_pipe_begin(&cs), "begin");
	ASSERT_OK(reg_send(&cs, AOR, 1, 1, 10, &c, 1), "appended");
	ASSERT_EQ(cluster_store_register_recv(&cs, &set), -EIO,
		  "Redis lost the scripts: NOSCRIPT, an error (503)");
	ASSERT_OK(cluster_store_pipe_begin(&cs), "the next batch loads them");
	ASSERT_OK(reg_send(&cs, AOR, 1, 2, 10, &c, 1), "appended");
	ASSERT_OK(cluster_store_register_recv(&cs, &set), "and it works");
	cluster_store_free(&cs);
}

TEST(pipelined_batch_redis_gone)
{
	struct redis_server own;
	struct cluster_contact c;
	struct location_set set;
	struct cluster_store cs;
	struct timespec t0, t1;
	int i, err;
	long ms;

	err = redis_server_start(&own, false);
	if (!ASSERT_OK(err, "a redis-server of this case's own"))
		return;
	cluster_store_init(&cs, "127.0.0.1", own.port, "a");
	contact(&c, "sip:a@192.0.2.1", NOW + 3600);
	ASSERT_OK(cluster_store_pipe_begin(&cs), "connected");
	for (i = 0; i < 4; i++)
		ASSERT_OK(reg_send(&cs, AOR, 1, i + 1, 10, &c, 1), "appended");
	redis_server_stop(&own);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(cluster_store_register_recv(&cs, &set), -EIO,
			  testlib_say("request %d of the batch: -EIO (503)", i + 1));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ASSERT_LE(ms, 1000, "within the timeout, not a hang");
	ASSERT_EQ(cs.stats.redis_errors, 4, "each counted");
	ASSERT_EQ(cluster_store_pipe_begin(&cs), -EIO,
		  "the next batch: not connected, -EIO at once");
	cluster_store_free(&cs);
	redis_server_remove(&own);
}

TEST(failures_counted_across_nodes)
{
	struct siplb_addr src = { .addr = { 0x0a000001 }, .family = 2 };
	struct cluster_store a, b;
	bool blocked = false;
	__u32 n = 0;

	flush();
	node_open(&a, "a");
	node_open(&b, "b");
	ASSERT_OK(cluster_store_auth_failure(&a, &src, 60, 3, 5000, &blocked,
					     &n), "failure 1 on A");
	ASSERT_FALSE(blocked, "not yet");
	ASSERT_OK(cluster_store_auth_failure(&b, &src, 60, 3, 5000, &blocked,
					     &n), "failure 2 on B");
	ASSERT_FALSE(blocked, "not yet");
	ASSERT_OK(cluster_store_auth_failure(&a, &src, 60, 3, 5000, &blocked,
					     &n), "failure 3 on A");
	ASSERT_TRUE(blocked, "the third, over two nodes, blocks");
	ASSERT_EQ(n, 3, "three failures");
	ASSERT_EQ(redis_int(&a, "XLEN", REDIS_KEY_STREAM), 1,
		  "the block is in the stream for every mirror");
	ASSERT_OK(cluster_store_auth_failure(&b, &src, 60, 3, 5000, &blocked,
					     &n), "failure 4");
	ASSERT_OK(cluster_store_auth_success(&b, &src), "a success");
	ASSERT_OK(cluster_store_auth_failure(&a, &src, 60, 3, 5000, &blocked,
					     &n), "failure after it");
	ASSERT_EQ(n, 1, "a success starts the count again");
	cluster_store_free(&a);
	cluster_store_free(&b);
}

/* The registrar clears the count with the nonce count, in one round
 * trip: only when the nc is accepted. */
TEST(accepted_nonce_clears_failures)
{
	struct siplb_addr src = { .addr = { 0x0a000002 }, .family = 2 };
	struct nonce_id id = { .issued = NOW, .expires = NOW + 300 };
	struct cluster_store a;
	bool blocked = false;
	__u32 n = 0;

	flush();
	node_open(&a, "a");
	memset(id.mac, 0x6b, sizeof(id.mac));
	ASSERT_OK(cluster_store_auth_failure(&a, &src, 60, 3, 5000, &blocked,
					     &n), "failure 1");
	ASSERT_OK(cluster_store_auth_failure(&a, &src, 60, 3, 5000, &blocked,
					     &n), "failure 2");
	ASSERT_OK(cluster_store_nonce_use(&a, &id, 1, NOW, &src), "nc 1");
	ASSERT_EQ(cluster_store_nonce_use(&a, &id, 1, NOW, &src), -EALREADY,
		  "nc 1 again: refused");
	ASSERT_OK(cluster_store_auth_failure(&a, &src, 60, 3, 5000, &blocked,
					     &n), "failure after it");
	ASSERT_EQ(n, 1, "the accepted nc started the count again");
	ASSERT_OK(cluster_store_auth_failure(&a, &src, 60, 3, 5000, &blocked,
					     &n), "failure 2 again");
	ASSERT_EQ(cluster_store_nonce_use(&a, &id, 1, NOW, &src), -EALREADY,
		  "a replayed nc");
	ASSERT_OK(cluster_store_auth_failure(&a, &src, 60, 3, 5000, &blocked,
					     &n), "failure 3");
	ASSERT_TRUE(n == 3 && blocked,
		    "a refused nc clears nothing: the third failure blocks");
	cluster_store_free(&a);
}

TEST(unreachable_redis_fails_fast)
{
	struct cluster_store cs;
	struct cluster_contact c;
	struct location_set set;
	struct timespec t0, t1;
	long ms;

	/* The port of a server just stopped: nothing listens there. */
	cluster_store_init(&cs, "127.0.0.1", 1, "a");
	contact(&c, "sip:a@192.0.2.1", NOW + 3600);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(reg(&cs, AOR, 1, 1, 10, &c, 1, false, NOW, &set), -EIO,
		  "-EIO: the registrar answers 503");
	ASSERT_EQ(reg(&cs, AOR, 1, 2, 10, &c, 1, false, NOW, &set), -EIO,
		  "again, without another connection attempt");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ASSERT_LE(ms, 500, "within the timeout, not a hang");
	ASSERT_EQ(cs.stats.redis_errors, 2, "both counted");
	cluster_store_free(&cs);
}

/* A mirror on maps of its own (not pinned), as a host's would be. */
static bool mirror_open(struct mirror *m)
{
	memset(m, 0, sizeof(*m));
	m->loc.bindings_fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL,
					    sizeof(struct siplb_location_key),
					    sizeof(struct siplb_binding), 1024,
					    NULL);
	m->loc.sources_fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL,
					   sizeof(struct siplb_addr),
					   sizeof(struct siplb_source), 1024,
					   NULL);
	/* The AOR index that location_put/remove keep (siplb_aors). */
	m->loc.aors_fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL,
					sizeof(struct siplb_aor_key),
					sizeof(struct siplb_aor), 1024, NULL);
	m->blocked_fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL,
				       sizeof(struct siplb_addr),
				       sizeof(struct siplb_block), 1024, NULL);
	m->loc.max_contacts = SIPLB_CONTACTS_MAX;
	redis_conn_init(&m->rc, "127.0.0.1", srv.port, 3000);
	return m->loc.bindings_fd >= 0 && m->loc.sources_fd >= 0 &&
	       m->loc.aors_fd >= 0 && m->blocked_fd >= 0;
}

static void mirror_close(struct mirror *m)
{
	redis_conn_free(&m->rc);
	close(m->loc.bindings_fd);
	close(m->loc.sources_fd);
	close(m->loc.aors_fd);
	close(m->blocked_fd);
}

static size_t map_count(int fd, size_t key_size)
{
	char key[256], next[256];
	size_t n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

/* The binding in the mirror's map at (aor, slot), or false. */
static bool mirrored(struct mirror *m, const char *aor, __u32 slot,
		     struct siplb_binding *b)
{
	struct siplb_location_key key;

	location_key(aor, strlen(aor), &key);
	key.slot = slot;
	return !bpf_map_lookup_elem(m->loc.bindings_fd, &key, b);
}

TEST(mirror_sync_then_stream)
{
	struct cluster_store cs;
	struct cluster_contact c[2];
	struct location_set set;
	struct siplb_binding b;
	struct mirror m;
	__u64 now = time(NULL), removed = 0;
	int i;

	if (geteuid()) {
		testlib_skip("BPF maps need root");
		return;
	}
	flush();
	node_open(&cs, "a");
	if (!ASSERT_TRUE(mirror_open(&m), "maps"))
		return;
	contact(&c[0], "sip:a@192.0.2.1", now + 3600);
	contact(&c[1], "sip:a@192.0.2.2", now + 3600);
	ASSERT_OK(reg(&cs, AOR, 1, 1, 10, c, 2, false, now, &set),
		  "two bindings before the mirror starts");
	ASSERT_OK(mirror_sync(&m), "full sync");
	ASSERT_EQ(map_count(m.loc.bindings_fd, sizeof(struct siplb_location_key)),
		  2, "both in the map");
	ASSERT_EQ(map_count(m.loc.sources_fd, sizeof(struct siplb_addr)), 1,
		  "their source counted");
	/* A change after the sync reaches the map through the stream. */
	c[1].b.expires_at = 0;
	ASSERT_OK(reg(&cs, AOR, 1, 2, 10, &c[1], 1, false, now, &set),
		  "one removed");
	contact(&c[0], "sip:a@192.0.2.3", now + 5);
	ASSERT_OK(reg(&cs, "sip:bob@example.com", 2, 1, 10, c, 1, false, now,
		      &set), "bob registers");
	ASSERT_OK(mirror_step(&m, 100), "read the stream");
	ASSERT_EQ(map_count(m.loc.bindings_fd, sizeof(struct siplb_location_key)),
		  2, "alice's removal and bob's binding mirrored");
	ASSERT_TRUE(mirrored(&m, "sip:bob@example.com", 0, &b) &&
		    !strcmp(b.contact, "sip:a@192.0.2.3"), "bob's contact");
	/* Expiry: Redis's sweep, heard through the stream. */
	ASSERT_OK(cluster_store_sweep(&cs, now + 5, 100, &removed), "sweep");
	ASSERT_OK(mirror_step(&m, 100), "read the stream");
	ASSERT_FALSE(mirrored(&m, "sip:bob@example.com", 0, &b),
		     "an expired binding disappears from the mirror");
	/* Missing changes (the stream trimmed past us): a full sync. */
	for (i = 0; i < 3; i++) {
		const char *argv[] = { "XTRIM", REDIS_KEY_STREAM, "MAXLEN", "0" };

		contact(&c[0], "sip:a@192.0.2.9", now + 3600);
		reg(&cs, "sip:carol@example.com", 3, 1 + i, 10, c, 1, false,
		    now, &set);
		redis_reply_free(redis_conn_cmd(&cs.rc, 4, argv, NULL));
	}
	m.checked_ms = 0;	/* a second later: the periodic check is due */
	ASSERT_OK(mirror_step(&m, 100), "step after the trim");
	ASSERT_EQ(m.stats.syncs, 2, "the trim seen: a second full sync");
	ASSERT_TRUE(mirrored(&m, "sip:carol@example.com", 0, &b),
		    "carol's binding, never in the stream we read, arrived");
	mirror_close(&m);
	cluster_store_free(&cs);
}

TEST(mirror_gets_blocks)
{
	struct siplb_addr src = { .addr = { 0x0a000002 }, .family = 2 };
	struct cluster_store cs;
	struct siplb_block blk;
	struct mirror m;
	bool blocked;
	__u32 n;

	if (geteuid()) {
		testlib_skip("BPF maps need root");
		return;
	}
	flush();
	node_open(&cs, "a");
	if (!ASSERT_TRUE(mirror_open(&m), "maps"))
		return;
	ASSERT_OK(mirror_sync(&m), "empty sync");
	cluster_store_auth_failure(&cs, &src, 60, 2, 60000, &blocked, &n);
	cluster_store_auth_failure(&cs, &src, 60, 2, 60000, &blocked, &n);
	ASSERT_TRUE(blocked, "blocked in Redis");
	ASSERT_OK(mirror_step(&m, 100), "read the stream");
	ASSERT_OK(bpf_map_lookup_elem(m.blocked_fd, &src, &blk),
		  "the block in this host's siplb_blocked");
	ASSERT_EQ(blk.failures, 2, "with its count");
	mirror_close(&m);
	/* A mirror started later finds the block by its sync. */
	ASSERT_TRUE(mirror_open(&m), "maps");
	ASSERT_OK(mirror_sync(&m), "late sync");
	ASSERT_OK(bpf_map_lookup_elem(m.blocked_fd, &src, &blk),
		  "the late mirror has the block too");
	mirror_close(&m);
	cluster_store_free(&cs);
}

int main(int argc, char **argv)
{
	int err, ret;

	debug_port = getenv("SIPLB_TEST_REDIS_PORT");
	if (debug_port) {	/* an existing server, to look at afterwards */
		srv.port = atoi(debug_port);
		return testlib_main(argc, argv);
	}
	err = redis_server_start(&srv, false);
	if (err == -ENOENT)
		testlib_skip_all("redis-server is not installed (scripts/deps.sh)");
	if (err) {
		printf("Bail out! couldn't start redis-server: %s\n",
		       strerror(-err));
		return 1;
	}
	/* As siplbd: a write to a Redis that went away is an error. */
	signal(SIGPIPE, SIG_IGN);
	ret = testlib_main(argc, argv);
	redis_server_remove(&srv);
	return ret;
}
