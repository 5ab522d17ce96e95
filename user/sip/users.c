// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * users.c - load and look up the users file (format in users.h).
 *
 * The file is read into one buffer that then becomes the table's string
 * store: fields are NUL-terminated in place and the entries point into it.
 * So the HA1s exist in exactly one copy, which users_free() wipes, and a
 * 10,000-user file costs one read, one pass and three allocations.
 *
 * Lookups go through an open-addressing index of FNV-1a hashes of
 * "user\0realm". An unkeyed hash is enough here: the keys in the table come
 * from the administrator's file, and a client choosing the user name it
 * looks up can only walk the chains the file made, never lengthen them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "users.h"

struct user_entry {
	const char *user;
	const char *realm;
	const char *ha1[DIGEST_ALG_COUNT];	/* lower-case hex or NULL */
	uint64_t hash;
	unsigned int line;
};

struct users {
	char *text;		/* the file; fields NUL-terminated in place */
	size_t text_size;	/* bytes allocated for text */
	struct user_entry *entries;
	size_t n;
	uint32_t *index;	/* entry number + 1; 0 = empty slot */
	size_t index_mask;
};

/* Where a message about the file goes. */
struct loader {
	const char *name;
	unsigned int line;
	char *err;
	size_t errsz;
};

static void __attribute__((format(printf, 2, 3)))
fail(const struct loader *ld, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!ld->err || !ld->errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->line)
		snprintf(ld->err, ld->errsz, "%s:%u: %s", ld->name, ld->line,
			 msg);
	else
		snprintf(ld->err, ld->errsz, "%s: %s", ld->name, msg);
}

static uint64_t entry_hash(const char *user, const char *realm)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */
	const unsigned char *p;

	for (p = (const unsigned char *)user; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	h *= 0x100000001b3ULL;	/* the '\0' between user and realm */
	for (p = (const unsigned char *)realm; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

/* The index slot holding user:realm, or the empty slot where it would go. */
static size_t index_slot(const struct users *db, const char *user,
			 const char *realm, uint64_t h)
{
	size_t i;

	for (i = h & db->index_mask; db->index[i];
	     i = (i + 1) & db->index_mask) {
		const struct user_entry *e = &db->entries[db->index[i] - 1];

		if (e->hash == h && !strcmp(e->user, user) &&
		    !strcmp(e->realm, realm))
			break;
	}
	return i;
}

static bool is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!s[i] || !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	return true;
}

static void lower_hex(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'F')
			*s = (char)(*s - 'A' + 'a');
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* An ALGORITHM=HEX field after the MD5 HA1. */
static int parse_extension(const struct loader *ld, char *field,
			   struct user_entry *e)
{
	char *eq = strchr(field, '=');
	enum digest_alg alg;
	bool sess;

	if (!eq) {
		fail(ld, "expected ALGORITHM=HEX after the HA1");
		return -EINVAL;
	}
	*eq = '\0';
	if (digest_alg_parse(field, strlen(field), &alg, &sess)) {
		fail(ld, "unknown algorithm '%.32s'", field);
		return -EINVAL;
	}
	if (alg == DIGEST_ALG_MD5) {
		fail(ld, "the MD5 HA1 belongs in the third field");
		return -EINVAL;
	}
	if (sess) {
		/* -sess derives its HA1 per nonce from the plain one. */
		fail(ld, "%.32s uses the %s HA1: write %s=", field,
		     digest_alg_name(alg), digest_alg_name(alg));
		return -EINVAL;
	}
	if (e->ha1[alg]) {
		fail(ld, "%s HA1 given twice", digest_alg_name(alg));
		return -EINVAL;
	}
	if (strlen(eq + 1) != digest_alg_hexlen(alg) ||
	    !is_hex(eq + 1, digest_alg_hexlen(alg))) {
		fail(ld, "%s HA1 must be %zu hex digits", digest_alg_name(alg),
		     digest_alg_hexlen(alg));
		return -EINVAL;
	}
	lower_hex(eq + 1);
	e->ha1[alg] = eq + 1;
	return 0;
}

static int check_names(const struct loader *ld, const struct user_entry *e)
{
	if (!*e->user || !*e->realm) {
		fail(ld, "empty %s", *e->user ? "realm" : "user name");
		return -EINVAL;
	}
	if (has_ctl(e->user) || has_ctl(e->realm)) {
		fail(ld, "control character in the %s",
		     has_ctl(e->user) ? "user name" : "realm");
		return -EINVAL;
	}
	return 0;
}

/* user:realm:HA1[:ALG=HEX]..., split in place (line is NUL-terminated). */
static int parse_entry(const struct loader *ld, char *line,
		       struct user_entry *e)
{
	char *rest = line, *md5;
	int i, err;

	e->user = strsep(&rest, ":");
	e->realm = rest ? strsep(&rest, ":") : NULL;
	if (!e->realm || !rest) {
		fail(ld, "expected user:realm:HA1");
		return -EINVAL;
	}
	err = check_names(ld, e);
	if (err)
		return err;
	md5 = strsep(&rest, ":");
	if (*md5 && (strlen(md5) != 32 || !is_hex(md5, 32))) {
		fail(ld, "HA1 must be 32 hex digits");
		return -EINVAL;
	}
	if (*md5) {
		lower_hex(md5);
		e->ha1[DIGEST_ALG_MD5] = md5;
	}
	while (rest) {
		err = parse_extension(ld, strsep(&rest, ":"), e);
		if (err)
			return err;
	}
	for (i = 0; i < DIGEST_ALG_COUNT; i++)
		if (e->ha1[i])
			return 0;
	fail(ld, "no HA1: give the MD5 HA1 or an ALGORITHM=HEX field");
	return -EINVAL;
}

static int add_entry(struct users *db, const struct loader *ld,
		     const struct user_entry *e)
{
	size_t slot = index_slot(db, e->user, e->realm, e->hash);

	if (db->index[slot]) {
		fail(ld, "duplicate entry for user '%.64s' in realm '%.64s' "
			 "(first on line %u)", e->user, e->realm,
		     db->entries[db->index[slot] - 1].line);
		return -EINVAL;
	}
	db->entries[db->n] = *e;
	db->index[slot] = (uint32_t)++db->n;
	return 0;
}

static bool is_blank_or_comment(const char *line)
{
	line += strspn(line, " \t");
	return *line == '\0' || *line == '#';
}

static int parse_line(struct users *db, const struct loader *ld, char *line,
		      size_t len)
{
	struct user_entry e = { .line = ld->line };
	int err;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (memchr(line, '\0', len)) {
		fail(ld, "NUL byte in the line");
		return -EINVAL;
	}
	if (is_blank_or_comment(line))
		return 0;
	err = parse_entry(ld, line, &e);
	if (err)
		return err;
	e.hash = entry_hash(e.user, e.realm);
	return add_entry(db, ld, &e);
}

/* Size the entries and the index (load <= 1/2) for the number of lines. */
static int users_alloc(struct users *db)
{
	size_t lines = 1, slots = 16, i;

	for (i = 0; i + 1 < db->text_size; i++)
		lines += db->text[i] == '\n';
	if (lines > UINT32_MAX / 2)
		return -EFBIG;
	while (slots < 2 * lines)
		slots <<= 1;
	db->entries = calloc(lines, sizeof(*db->entries));
	db->index = calloc(slots, sizeof(*db->index));
	if (!db->entries || !db->index)
		return -ENOMEM;
	db->index_mask = slots - 1;
	return 0;
}

/* Parse db->text (text_size - 1 bytes and a NUL) into db. */
static int parse_text(struct users *db, struct loader *ld)
{
	char *p = db->text, *end = db->text + db->text_size - 1;
	int err;

	err = users_alloc(db);
	if (err) {
		fail(ld, "%s", strerror(-err));
		return err;
	}
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eol = nl ? nl : end;

		*eol = '\0';
		ld->line++;
		err = parse_line(db, ld, p, (size_t)(eol - p));
		if (err)
			return err;
		p = eol + 1;
	}
	return 0;
}

void users_free(struct users *db)
{
	if (!db)
		return;
	if (db->text) {
		explicit_bzero(db->text, db->text_size);
		free(db->text);
	}
	free(db->entries);
	free(db->index);
	free(db);
}

/* Take ownership of text (size bytes, the last a NUL) and parse it. */
static int users_from_text(char *text, size_t size, struct loader *ld,
			   struct users **out)
{
	struct users *db;
	int err;

	db = calloc(1, sizeof(*db));
	if (!db) {
		explicit_bzero(text, size);
		free(text);
		fail(ld, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	db->text = text;
	db->text_size = size;
	err = parse_text(db, ld);
	if (err) {
		users_free(db);
		return err;
	}
	*out = db;
	return 0;
}

int users_parse(const char *name, const char *text, size_t len,
		struct users **out, char *err, size_t errsz)
{
	struct loader ld = { name ? name : "users", 0, err, errsz };
	char *copy;

	*out = NULL;
	if (len > USERS_FILE_MAX) {
		fail(&ld, "bigger than %u bytes", USERS_FILE_MAX);
		return -EFBIG;
	}
	copy = malloc(len + 1);
	if (!copy) {
		fail(&ld, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	return users_from_text(copy, len + 1, &ld, out);
}

/* Read all of fd (a regular file of st_size bytes) into a new buffer. */
static int read_whole(int fd, const struct stat *st, char **text,
		      size_t *size)
{
	size_t want = (size_t)st->st_size, got = 0;
	char extra, *buf;
	ssize_t n;

	buf = malloc(want + 1);
	if (!buf)
		return -ENOMEM;
	while (got < want) {
		n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	/* A file that changed under us is not what was checked: retry later. */
	if (got != want || read(fd, &extra, 1) != 0) {
		explicit_bzero(buf, want + 1);
		free(buf);
		return -EAGAIN;
	}
	buf[want] = '\0';
	*text = buf;
	*size = want + 1;
	return 0;
}

int users_load(const char *path, struct users **out, char *err, size_t errsz)
{
	struct loader ld = { path, 0, err, errsz };
	struct stat st;
	size_t size = 0;
	char *text = NULL;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		fail(&ld, "%s", strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode))
		rc = -EINVAL;
	else if (st.st_size > (off_t)USERS_FILE_MAX)
		rc = -EFBIG;
	else
		rc = read_whole(fd, &st, &text, &size);
	close(fd);
	if (rc == -EINVAL)
		fail(&ld, "not a regular file");
	else if (rc == -EAGAIN)
		fail(&ld, "changed while being read (try again)");
	else if (rc)
		fail(&ld, "%s", strerror(-rc));
	if (rc)
		return rc;
	return users_from_text(text, size, &ld, out);
}

const char *users_find(const struct users *db, const char *user,
		       const char *realm, enum digest_alg alg)
{
	size_t slot;

	if (!db || !user || !realm || (unsigned int)alg >= DIGEST_ALG_COUNT)
		return NULL;
	slot = index_slot(db, user, realm, entry_hash(user, realm));
	if (!db->index[slot])
		return NULL;
	return db->entries[db->index[slot] - 1].ha1[alg];
}

bool users_known(const struct users *db, const char *user,
		 const char *realm)
{
	if (!db || !user || !realm)
		return false;
	return db->index[index_slot(db, user, realm,
				    entry_hash(user, realm))] != 0;
}

size_t users_check_realm(const struct users *db, const char *realm,
			 users_realm_warn_fn warn, void *ctx)
{
	size_t i, n = 0;

	for (i = 0; i < db->n; i++) {
		if (!strcmp(db->entries[i].realm, realm))
			n++;
		else if (warn)
			warn(ctx, db->entries[i].line, db->entries[i].user,
			     db->entries[i].realm);
	}
	return n;
}

size_t users_count(const struct users *db)
{
	return db ? db->n : 0;
}

/* What a user or realm must be to fit in a line of the file. */
static bool valid_name(const char *s)
{
	return s && *s && !strchr(s, ':') && !has_ctl(s);
}

int users_ha1(enum digest_alg alg, const char *user, const char *realm,
	      const char *password, char out[DIGEST_HEX_SIZE])
{
	struct digest_str parts[3];

	if (!valid_name(user) || !valid_name(realm) || !password)
		return -EINVAL;
	parts[0] = (struct digest_str){ user, strlen(user) };
	parts[1] = (struct digest_str){ realm, strlen(realm) };
	parts[2] = (struct digest_str){ password, strlen(password) };
	return digest_hash_hex(alg, parts, 3, out);
}

/* Append the HA1 field for alg to the line in buf (used bytes so far). */
static int append_ha1(char *buf, size_t bufsz, size_t *used,
		      enum digest_alg alg, const char *user, const char *realm,
		      const char *password)
{
	char ha1[DIGEST_HEX_SIZE];
	int n, err;

	err = users_ha1(alg, user, realm, password, ha1);
	if (!err && alg == DIGEST_ALG_MD5)
		n = snprintf(buf + *used, bufsz - *used, "%s", ha1);
	else if (!err)
		n = snprintf(buf + *used, bufsz - *used, ":%s=%s",
			     digest_alg_name(alg), ha1);
	explicit_bzero(ha1, sizeof(ha1));
	if (err)
		return err;
	if (n < 0 || (size_t)n >= bufsz - *used)
		return -ENOSPC;
	*used += (size_t)n;
	return 0;
}

int users_format_line(const char *user, const char *realm,
		      const char *password, unsigned int algs, char *buf,
		      size_t bufsz)
{
	size_t used;
	int i, n, err = 0;

	if (algs == 0)
		algs = DIGEST_ALG_BIT(DIGEST_ALG_MD5) |
		       DIGEST_ALG_BIT(DIGEST_ALG_SHA256);
	if (!valid_name(user) || !valid_name(realm) || !password ||
	    (algs >> DIGEST_ALG_COUNT))
		return -EINVAL;
	/*
	 * users_parse() reads a line whose first non-blank is '#' as a
	 * comment: such a user's line would be silently ignored (found by
	 * tests/fuzz/fuzz_users.c, regression tests/fuzz/users/regressions/
	 * format-hash-user). Tabs are control characters, refused above.
	 */
	if (user[strspn(user, " ")] == '#')
		return -EINVAL;
	n = snprintf(buf, bufsz, "%s:%s:", user, realm);
	if (n < 0 || (size_t)n >= bufsz)
		return -ENOSPC;
	used = (size_t)n;
	/* MD5 first: it is the third field whatever else follows. */
	for (i = 0; i < DIGEST_ALG_COUNT && !err; i++)
		if (algs & DIGEST_ALG_BIT(i))
			err = append_ha1(buf, bufsz, &used, (enum digest_alg)i,
					 user, realm, password);
	if (err)
		explicit_bzero(buf, bufsz);
	return err;
}
