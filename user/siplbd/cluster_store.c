// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * cluster_store.c - bindings, nonce counts and failed logins in Redis
 * (cluster_store.h).
 *
 * The REGISTER script is where a cluster decides a registration: Redis
 * runs one script at a time, so the RFC 3261 10.3 checks (Call-ID/CSeq
 * ordering, max-contacts, all or nothing) see exactly the bindings they
 * change, whichever node the REGISTERs crossed. The node only prepares
 * the request (the bindings it asks for, with their identities), and
 * lists in its 200 the set the script returns.
 *
 * Layout (redis_conn.h): a hash per AOR, field = binding identity, value
 * = "SLOT EXPIRES_AT CSEQ CALLIDHASH\n" + struct siplb_binding; a sorted
 * set of every binding by expiry, which the sweep script walks; and a
 * stream to which every change is appended, so that the mirrors
 * (siplb-mirror) hear of each one, expiry included. Redis 7.0 has no TTL
 * on hash fields, and a key per binding with PEXPIRE would disappear
 * without a trace in the stream (keyspace notifications are not
 * delivered to a mirror that was away): hence the sweep.
 *
 * The scripts name only the keys in KEYS except the sweep's per-AOR
 * hashes: fine for one Redis (with replicas); Redis Cluster would need
 * the AOR hashes and their expiry set in one hash slot per shard.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cluster_store.h"
#include "log.h"
#include "nonce.h"
#include "sip_uri.h"

#define STR(x)	#x
#define XSTR(x)	STR(x)

/* The scripts are laid out as Lua, one line of Lua per line here. */
/* clang-format off */

/*
 * KEYS: the AOR's hash, the expiry set, the stream.
 * ARGV: aor, now, max_contacts, star (0/1), callid hash (hex), cseq,
 * node, then per contact: identity, expires_at (0: remove), binding.
 * Returns {"OK", value...} with every live binding, or {"ORDER"} or
 * {"FULL"} having changed nothing but removing already expired ones.
 */
static struct redis_script register_script = { .name = "register", .lua =
"local aor, now, maxc = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
"local star, cid, cseq, node = ARGV[4] == '1', ARGV[5], tonumber(ARGV[6]),"
" ARGV[7]\n"
"local function emit(op, slot, blob)\n"
"  if blob then\n"
"    redis.call('XADD', KEYS[3], 'MAXLEN', '~', '" XSTR(REDIS_STREAM_MAXLEN)
"', '*', 'op', op, 'aor', aor, 'slot', slot, 'node', node, 'b', blob)\n"
"  else\n"
"    redis.call('XADD', KEYS[3], 'MAXLEN', '~', '" XSTR(REDIS_STREAM_MAXLEN)
"', '*', 'op', op, 'aor', aor, 'slot', slot, 'node', node)\n"
"  end\n"
"end\n"
"local cur, live, used = {}, 0, {}\n"
"local all = redis.call('HGETALL', KEYS[1])\n"
"for i = 1, #all, 2 do\n"
"  local s, e, q, c = string.match(all[i + 1], '^(%d+) (%d+) (%d+) (%x+)\\n')\n"
"  s, e = tonumber(s), tonumber(e)\n"
"  if e <= now then\n"
"    redis.call('HDEL', KEYS[1], all[i])\n"
"    redis.call('ZREM', KEYS[2], aor .. '\\0' .. all[i])\n"
"    emit('del', s)\n"
"  else\n"
"    cur[all[i]] = { slot = s, cseq = tonumber(q), cid = c }\n"
"    live = live + 1\n"
"    used[s] = true\n"
"  end\n"
"end\n"
"local function stale(b) return b.cid == cid and cseq <= b.cseq end\n"
"local n = (#ARGV - 7) / 3\n"
"if star then\n"
"  for id, b in pairs(cur) do if stale(b) then return { 'ORDER' } end end\n"
"else\n"
"  local adds, removes = 0, 0\n"
"  for k = 0, n - 1 do\n"
"    local b, e = cur[ARGV[8 + 3 * k]], tonumber(ARGV[9 + 3 * k])\n"
"    if b and stale(b) then return { 'ORDER' } end\n"
"    if not b and e > 0 then adds = adds + 1 end\n"
"    if b and e == 0 then removes = removes + 1 end\n"
"  end\n"
"  if live + adds - removes > maxc then return { 'FULL' } end\n"
"end\n"
"local function remove(id, b)\n"
"  redis.call('HDEL', KEYS[1], id)\n"
"  redis.call('ZREM', KEYS[2], aor .. '\\0' .. id)\n"
"  used[b.slot] = nil\n"
"  emit('del', b.slot)\n"
"end\n"
"for k = 0, n - 1 do\n"
"  local id = ARGV[8 + 3 * k]\n"
"  if (star or tonumber(ARGV[9 + 3 * k]) == 0) and cur[id] then\n"
"    remove(id, cur[id]); cur[id] = nil\n"
"  end\n"
"end\n"
"if star then for id, b in pairs(cur) do remove(id, b) end end\n"
"for k = 0, n - 1 do\n"
"  local id, e = ARGV[8 + 3 * k], tonumber(ARGV[9 + 3 * k])\n"
"  if not star and e > 0 then\n"
"    local slot = cur[id] and cur[id].slot\n"
"    if not slot then\n"
"      slot = 0\n"
"      while used[slot] do slot = slot + 1 end\n"
"      used[slot] = true\n"
"      cur[id] = { slot = slot }\n"
"    end\n"
"    local v = string.format('%d %d %d %s\\n', slot, e, cseq, cid) .. ARGV[10 + 3 * k]\n"
"    redis.call('HSET', KEYS[1], id, v)\n"
"    redis.call('ZADD', KEYS[2], e, aor .. '\\0' .. id)\n"
"    emit('put', slot, v)\n"
"  end\n"
"end\n"
"local out = redis.call('HVALS', KEYS[1])\n"
"table.insert(out, 1, 'OK')\n"
"return out\n"
};

/* KEYS: the expiry set, the stream. ARGV: now, limit, node. */
static struct redis_script sweep_script = { .name = "sweep", .lua =
"local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0,"
" ARGV[2])\n"
"local removed = 0\n"
"for _, m in ipairs(due) do\n"
"  local z = string.find(m, '\\0', 1, true)\n"
"  local aor, id = string.sub(m, 1, z - 1), string.sub(m, z + 1)\n"
"  local key = '" REDIS_KEY_BINDINGS "' .. aor\n"
"  local v = redis.call('HGET', key, id)\n"
"  redis.call('ZREM', KEYS[1], m)\n"
"  if v then\n"
"    local s, e = string.match(v, '^(%d+) (%d+) ')\n"
"    if tonumber(e) <= tonumber(ARGV[1]) then\n"
"      redis.call('HDEL', key, id)\n"
"      redis.call('XADD', KEYS[2], 'MAXLEN', '~', '" XSTR(REDIS_STREAM_MAXLEN)
"', '*', 'op', 'del', 'aor', aor, 'slot', s, 'node', ARGV[3])\n"
"      removed = removed + 1\n"
"    end\n"
"  end\n"
"end\n"
"return removed\n"
};

/* KEYS: the nonce's key, and the failure count to clear once the nonce
 * count is accepted (optional). ARGV: nc, seconds it has left.
 * 1: accepted. */
static struct redis_script nonce_script = { .name = "nonce", .lua =
"local top = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
"if tonumber(ARGV[1]) <= top then return 0 end\n"
"redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
"if KEYS[2] then redis.call('DEL', KEYS[2]) end\n"
"return 1\n"
};

/*
 * KEYS: the source's count, its block, the stream. ARGV: window (s),
 * threshold, block (ms), address (bytes), node. Returns {count, blocked}.
 */
static struct redis_script fail_script = { .name = "auth-failure", .lua =
"local n = redis.call('INCR', KEYS[1])\n"
"if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end\n"
"if n < tonumber(ARGV[2]) or tonumber(ARGV[3]) == 0 then return { n, 0 } end\n"
"redis.call('DEL', KEYS[1])\n"
"redis.call('SET', KEYS[2], n, 'PX', ARGV[3])\n"
"redis.call('XADD', KEYS[3], 'MAXLEN', '~', '" XSTR(REDIS_STREAM_MAXLEN)
"', '*', 'op', 'block', 'addr', ARGV[4], 'ms', ARGV[3], 'failures', n,"
" 'node', ARGV[5])\n"
"return { n, 1 }\n"
};

/* clang-format on */

void cluster_store_init(struct cluster_store *cs, const char *host,
			__u16 port, const char *node)
{
	memset(cs, 0, sizeof(*cs));
	redis_conn_init(&cs->rc, host, port, CLUSTER_TIMEOUT_MS);
	snprintf(cs->node, sizeof(cs->node), "%s", node);
	redis_script_init(&register_script);
	redis_script_init(&sweep_script);
	redis_script_init(&nonce_script);
	redis_script_init(&fail_script);
}

void cluster_store_free(struct cluster_store *cs)
{
	redis_conn_free(&cs->rc);
}

/* Append s (n bytes), or the decoded URI part, lower-cased if asked. */
static int id_put(char **p, size_t *left, struct sip_slice s, bool unescape,
		  bool lower)
{
	int n, i;

	if (unescape) {
		n = sip_unescape(s, *p, *left);
		if (n < 0)
			return -ENAMETOOLONG;
	} else {
		if (s.len >= *left)
			return -ENAMETOOLONG;
		memcpy(*p, s.p, s.len);
		n = s.len;
		(*p)[n] = '\0';
	}
	for (i = 0; lower && i < n; i++)
		if ((*p)[i] >= 'A' && (*p)[i] <= 'Z')
			(*p)[i] += 32;
	*p += n;
	*left -= n;
	return 0;
}

static int id_text(char **p, size_t *left, const char *text)
{
	return id_put(p, left, sip_slice_str(text), false, false);
}

int cluster_binding_id(const char *uri, const char *instance, __u32 reg_id,
		       char *out, size_t size)
{
	static const char *const kept[] = { "transport", "user", "ttl",
					    "method", "maddr" };
	char *p = out, port[16];
	size_t left = size, i;
	struct sip_slice v;
	struct sip_uri u;
	int err;

	if (instance[0]) {
		int n = snprintf(out, size, "i:%s#%u", instance, reg_id);

		for (p = out + 2; *p && *p != '#'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 32;
		return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
	}
	/* Not a SIP URI we can take apart: the text itself. */
	if (sip_uri_parse(sip_slice_str(uri), &u) ||
	    (u.scheme != SIP_URI_SIP && u.scheme != SIP_URI_SIPS)) {
		int n = snprintf(out, size, "t:%s", uri);

		return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
	}
	snprintf(port, sizeof(port), ":%u", u.port);
	err = id_text(&p, &left, u.scheme == SIP_URI_SIPS ? "u:sips:" :
							     "u:sip:");
	if (!err)
		err = id_put(&p, &left, u.user, true, false);
	if (!err && u.password.len) {
		err = id_text(&p, &left, ":");
		if (!err)
			err = id_put(&p, &left, u.password, true, false);
	}
	if (!err)
		err = id_text(&p, &left, "@");
	if (!err)
		err = id_put(&p, &left, u.host, true, true);
	if (!err)
		err = id_text(&p, &left, port);
	for (i = 0; !err && i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (sip_param_get(u.params, kept[i], &v))
			continue;
		err = id_text(&p, &left, ";");
		if (!err)
			err = id_text(&p, &left, kept[i]);
		if (!err)
			err = id_text(&p, &left, "=");
		if (!err)
			err = id_put(&p, &left, v, true, true);
	}
	return err;
}

/* The reply of a failed or refused call: -EIO, logged and counted. */
static int redis_failed(struct cluster_store *cs, redisReply *r)
{
	cs->stats.redis_errors++;
	redis_reply_free(r);
	return -EIO;
}

static int set_from_reply(const redisReply *r, struct location_set *set)
{
	size_t i;

	set->n = 0;
	set->free_slots = 0;
	for (i = 1; i < r->elements && set->n < SIPLB_CONTACTS_MAX; i++) {
		const redisReply *e = r->element[i];

		if (e->type != REDIS_REPLY_STRING ||
		    redis_binding_parse(e->str, e->len, &set->slot[set->n],
					&set->b[set->n]))
			return -EIO;
		set->n++;
	}
	return 0;
}

/* Up to SIPLB_CONTACTS_MAX contacts, 3 words each, and the 10 fixed. */
#define REGISTER_ARGS	(10 + 3 * SIPLB_CONTACTS_MAX)

/* The REGISTER script's words, and the text they point to. */
struct register_words {
	char key[sizeof(REDIS_KEY_BINDINGS) + SIPLB_AOR_MAX];
	char now[24], maxc[16], cid[24], cseq[16];
	char exp[SIPLB_CONTACTS_MAX][24];
	const char *argv[REGISTER_ARGS];
	size_t lens[REGISTER_ARGS];
	int argc;
};

static int register_words(const struct cluster_store *cs,
			  const struct cluster_register *req,
			  struct register_words *w)
{
	size_t i;
	int argc = 0;

	if (req->n > SIPLB_CONTACTS_MAX)
		return -E2BIG;
	snprintf(w->key, sizeof(w->key), REDIS_KEY_BINDINGS "%s", req->aor);
	snprintf(w->now, sizeof(w->now), "%llu", (unsigned long long)req->now);
	snprintf(w->maxc, sizeof(w->maxc), "%u", req->max_contacts);
	snprintf(w->cid, sizeof(w->cid), "%016llx",
		 (unsigned long long)req->callid_hash);
	snprintf(w->cseq, sizeof(w->cseq), "%u", req->cseq);
	w->argv[argc++] = w->key;
	w->argv[argc++] = REDIS_KEY_EXPIRIES;
	w->argv[argc++] = REDIS_KEY_STREAM;
	w->argv[argc++] = req->aor;
	w->argv[argc++] = w->now;
	w->argv[argc++] = w->maxc;
	w->argv[argc++] = req->star ? "1" : "0";
	w->argv[argc++] = w->cid;
	w->argv[argc++] = w->cseq;
	w->argv[argc++] = cs->node;
	for (i = 0; i < (size_t)argc; i++)
		w->lens[i] = strlen(w->argv[i]);
	for (i = 0; i < req->n; i++) {
		snprintf(w->exp[i], sizeof(w->exp[i]), "%llu",
			 (unsigned long long)req->contacts[i].b.expires_at);
		w->argv[argc] = req->contacts[i].id;
		w->lens[argc++] = strlen(req->contacts[i].id);
		w->argv[argc] = w->exp[i];
		w->lens[argc++] = strlen(w->exp[i]);
		w->argv[argc] = (const char *)&req->contacts[i].b;
		w->lens[argc++] = sizeof(req->contacts[i].b);
	}
	w->argc = argc;
	return 0;
}

/* What the REGISTER script answered (r is freed). */
static int register_result(struct cluster_store *cs, redisReply *r,
			   struct location_set *set)
{
	int err;

	if (!r || r->type != REDIS_REPLY_ARRAY || !r->elements ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return redis_failed(cs, r);
	cs->stats.registers++;
	if (!strcmp(r->element[0]->str, "ORDER"))
		err = -EALREADY;
	else if (!strcmp(r->element[0]->str, "FULL"))
		err = -ENOSPC;
	else
		err = set_from_reply(r, set);
	if (err == -EIO)
		return redis_failed(cs, r);
	redis_reply_free(r);
	return err;
}

int cluster_store_register(struct cluster_store *cs,
			   const struct cluster_register *req,
			   struct location_set *set)
{
	struct register_words *w = malloc(sizeof(*w));
	redisReply *r;
	int err;

	if (!w)
		return -ENOMEM;
	err = register_words(cs, req, w);
	if (err) {
		free(w);
		return err;
	}
	r = redis_conn_script(&cs->rc, &register_script, 3, w->argc, w->argv,
			      w->lens);
	free(w);
	return register_result(cs, r, set);
}

int cluster_store_sweep(struct cluster_store *cs, __u64 now, __u32 limit,
			__u64 *removed)
{
	char nowtext[24], lim[16];
	const char *argv[] = { REDIS_KEY_EXPIRIES, REDIS_KEY_STREAM, nowtext,
			       lim, cs->node };
	redisReply *r;

	snprintf(nowtext, sizeof(nowtext), "%llu", (unsigned long long)now);
	snprintf(lim, sizeof(lim), "%u", limit);
	r = redis_conn_script(&cs->rc, &sweep_script, 2, 5, argv, NULL);
	if (!r || r->type != REDIS_REPLY_INTEGER)
		return redis_failed(cs, r);
	*removed += r->integer;
	cs->stats.swept += r->integer;
	redis_reply_free(r);
	return 0;
}

static void addr_key(char *out, size_t size, const char *prefix,
		     const struct siplb_addr *src)
{
	char hex[2 * sizeof(*src) + 1];

	redis_hex(src, sizeof(*src), hex);
	snprintf(out, size, "%s%s", prefix, hex);
}

/* The nonce script's words, and the text they point to. */
struct nonce_words {
	char key[sizeof(REDIS_KEY_NONCE) + 2 * NONCE_MAC_LEN];
	char nctext[16], ttl[24], fkey[64];
	const char *argv[4];
	int argc, nkeys;
};

static int nonce_words(const struct nonce_id *id, __u32 nc, __u64 now,
		       const struct siplb_addr *src, struct nonce_words *w)
{
	int argc = 0;

	if (!nc)
		return -EINVAL;
	w->argv[argc++] = w->key;
	if (src) {	/* one round trip: the count cleared with the nc */
		addr_key(w->fkey, sizeof(w->fkey), REDIS_KEY_FAILS, src);
		w->argv[argc++] = w->fkey;
	}
	w->nkeys = argc;
	w->argv[argc++] = w->nctext;
	w->argv[argc++] = w->ttl;
	w->argc = argc;
	memcpy(w->key, REDIS_KEY_NONCE, strlen(REDIS_KEY_NONCE));
	redis_hex(id->mac, NONCE_MAC_LEN, w->key + strlen(REDIS_KEY_NONCE));
	snprintf(w->nctext, sizeof(w->nctext), "%u", nc);
	/* The key lives as long as the nonce: then nonce_check says stale. */
	snprintf(w->ttl, sizeof(w->ttl), "%llu", (unsigned long long)
		 (id->expires > now ? id->expires - now : 1));
	return 0;
}

/* What the nonce script answered (r is freed). */
static int nonce_result(struct cluster_store *cs, redisReply *r)
{
	int err;

	if (!r || r->type != REDIS_REPLY_INTEGER)
		return redis_failed(cs, r);
	err = r->integer == 1 ? 0 : -EALREADY;
	redis_reply_free(r);
	return err;
}

int cluster_store_nonce_use(struct cluster_store *cs,
			    const struct nonce_id *id, __u32 nc, __u64 now,
			    const struct siplb_addr *src)
{
	struct nonce_words w;
	int err = nonce_words(id, nc, now, src, &w);

	if (err)
		return err;
	return nonce_result(cs, redis_conn_script(&cs->rc, &nonce_script,
						  w.nkeys, w.argc, w.argv,
						  NULL));
}

/* ---- pipelined: one round trip for a batch (cluster_store.h) ------- */

int cluster_store_pipe_begin(struct cluster_store *cs)
{
	static const struct redis_script *const piped[] = {
		&register_script, &nonce_script,
	};

	return redis_conn_load_scripts(&cs->rc, piped, 2);
}

int cluster_store_register_send(struct cluster_store *cs,
				const struct cluster_register *req)
{
	static struct register_words w;	/* 17 KB; one process, one loop */
	int err = register_words(cs, req, &w);

	if (!err)
		err = redis_conn_append_script(&cs->rc, &register_script, 3,
					       w.argc, w.argv, w.lens);
	return err;
}

int cluster_store_register_recv(struct cluster_store *cs,
				struct location_set *set)
{
	return register_result(cs, redis_conn_read(&cs->rc), set);
}

int cluster_store_nonce_send(struct cluster_store *cs,
			     const struct nonce_id *id, __u32 nc, __u64 now,
			     const struct siplb_addr *src)
{
	struct nonce_words w;
	int err = nonce_words(id, nc, now, src, &w);

	if (!err)
		err = redis_conn_append_script(&cs->rc, &nonce_script, w.nkeys,
					       w.argc, w.argv, NULL);
	return err;
}

int cluster_store_nonce_recv(struct cluster_store *cs)
{
	return nonce_result(cs, redis_conn_read(&cs->rc));
}

int cluster_store_auth_failure(struct cluster_store *cs,
			       const struct siplb_addr *src, __u32 window_s,
			       __u32 threshold, __u64 block_ms, bool *blocked,
			       __u32 *failures)
{
	char fkey[64], bkey[64], win[16], thr[16], ms[24];
	const char *argv[] = { fkey, bkey, REDIS_KEY_STREAM, win, thr, ms,
			       (const char *)src, cs->node };
	size_t lens[8];
	redisReply *r;
	int i;

	addr_key(fkey, sizeof(fkey), REDIS_KEY_FAILS, src);
	addr_key(bkey, sizeof(bkey), REDIS_KEY_BLOCK, src);
	snprintf(win, sizeof(win), "%u", window_s);
	snprintf(thr, sizeof(thr), "%u", threshold);
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)block_ms);
	for (i = 0; i < 8; i++)
		lens[i] = i == 6 ? sizeof(*src) : strlen(argv[i]);
	r = redis_conn_script(&cs->rc, &fail_script, 3, 8, argv, lens);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER)
		return redis_failed(cs, r);
	*failures = r->element[0]->integer;
	*blocked = r->element[1]->integer == 1;
	redis_reply_free(r);
	return 0;
}

int cluster_store_auth_success(struct cluster_store *cs,
			       const struct siplb_addr *src)
{
	char fkey[64];
	const char *argv[] = { "DEL", fkey };
	redisReply *r;

	addr_key(fkey, sizeof(fkey), REDIS_KEY_FAILS, src);
	r = redis_conn_cmd(&cs->rc, 2, argv, NULL);
	if (!r || r->type == REDIS_REPLY_ERROR)
		return redis_failed(cs, r);
	redis_reply_free(r);
	return 0;
}

