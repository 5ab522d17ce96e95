/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * redis_conn.h - one connection to the cluster's Redis (hiredis), with a
 * timeout on every command, reconnection at most once a second, and Lua
 * scripts called by SHA1 (EVALSHA, EVAL once when Redis does not know the
 * script yet: after its restart, or the first time).
 *
 * The key names and the change stream that siplbd writes and the mirrors
 * read are defined here, once (docs/ARCHITECTURE.md "Bindings in Redis").
 */
#ifndef SIPLB_REDIS_CONN_H
#define SIPLB_REDIS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Keys. An AOR's bindings: hash "siplb:b:AOR", field = binding identity,
 * value = REDIS_BINDING_HEADER then the struct siplb_binding's bytes. */
#define REDIS_KEY_BINDINGS	"siplb:b:"
#define REDIS_KEY_EXPIRIES	"siplb:exp"	/* zset "AOR\0id" -> expiry */
#define REDIS_KEY_STREAM	"siplb:changes"	/* the change feed */
#define REDIS_KEY_FAILS		"siplb:fail:"	/* + address hex: count */
#define REDIS_KEY_BLOCK		"siplb:block:"	/* + address hex: blocked */
#define REDIS_KEY_NONCE		"siplb:nc:"	/* + nonce MAC hex: top nc */
/* "SLOT EXPIRES_AT CSEQ CALLIDHASH\n": what the script must compare. */
#define REDIS_BINDING_HEADER_MAX	64
/* Stream entries kept (XADD MAXLEN ~): a mirror away for longer than
 * this many changes does a full sync instead. */
#define REDIS_STREAM_MAXLEN	1000000

struct redisContext;
struct redisReply;

struct redis_conn {
	struct redisContext *c;		/* NULL: not connected */
	char host[256];
	__u16 port;
	int timeout_ms;
	__u64 next_try_ms;		/* CLOCK_MONOTONIC: no retry before */
	__u64 connects, failures;
	__u64 scripts_loaded_on;	/* connects when last loaded; 0: never */
};

struct redis_script {
	const char *name;	/* for messages */
	const char *lua;
	char sha[41];		/* filled by redis_script_init() */
};

void redis_conn_init(struct redis_conn *rc, const char *host, __u16 port,
		     int timeout_ms);
/* Connected (connecting if the last try is a second old), or NULL. */
struct redisContext *redis_conn_get(struct redis_conn *rc);
/* After an error on the connection: close it; the next get reconnects. */
void redis_conn_drop(struct redis_conn *rc);
void redis_conn_free(struct redis_conn *rc);
/* A command (argv, binary-safe); NULL when Redis is unreachable. */
struct redisReply *redis_conn_cmd(struct redis_conn *rc, int argc,
				  const char **argv, const size_t *lens);
void redis_script_init(struct redis_script *s);
/* EVALSHA script (nkeys keys first in argv), EVAL if Redis lacks it. */
struct redisReply *redis_conn_script(struct redis_conn *rc,
				     const struct redis_script *s, int nkeys,
				     int argc, const char **argv,
				     const size_t *lens);
void redis_reply_free(struct redisReply *r);

/*
 * Pipelining: commands appended to the connection's output buffer, then
 * their replies read in the same order, so that a batch of requests
 * costs one round trip (Redis runs them one after the other, in order).
 * Pipelined scripts are called by SHA1 only: a NOSCRIPT there cannot be
 * retried in its place without reordering, so the scripts are loaded
 * (SCRIPT LOAD) once per connection, before its first batch.
 */
/* Connected, with scripts s[0..n) loaded on this connection: 0 or -EIO. */
int redis_conn_load_scripts(struct redis_conn *rc,
			    const struct redis_script *const *s, size_t n);
/* EVALSHA appended, nothing sent yet: 0, -EIO (not connected), -E2BIG
 * or -ENOMEM. */
int redis_conn_append_script(struct redis_conn *rc,
			     const struct redis_script *s, int nkeys, int argc,
			     const char **argv, const size_t *lens);
/* The next reply in order (sending what was appended first); NULL when
 * the connection failed or timed out: it is dropped, and every later
 * read of the batch gets NULL too. */
struct redisReply *redis_conn_read(struct redis_conn *rc);
struct siplb_binding;
/* A stored binding value: its slot and the binding. 0 or -EINVAL. */
int redis_binding_parse(const char *v, size_t len, __u32 *slot,
			struct siplb_binding *b);
/* len bytes as lower-case hex into out (2 * len + 1 bytes). */
void redis_hex(const void *p, size_t len, char *out);

#endif /* SIPLB_REDIS_CONN_H */
