// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * state_file.c - the bindings on disk for a reboot (state_file.h).
 *
 * Saving walks siplb_location in batches and streams records to a
 * temporary file while hashing them; loading checks the size and the hash
 * in a first pass and only then writes to the map in a second, so a
 * damaged file changes nothing. Both stream: memory does not grow with the
 * number of bindings.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <openssl/evp.h>

#include "state_file.h"

#define BATCH 1024	/* bindings per map batch and per write */

static int failf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

static int write_all(int fd, const void *buf, size_t len, EVP_MD_CTX *md)
{
	const char *p = buf;
	ssize_t n;

	if (md && !EVP_DigestUpdate(md, buf, len))
		return -EIO;
	while (len) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Read exactly len bytes at the current offset: 0, -EIO at a short read. */
static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* Stream the live bindings into fd. */
static int write_records(int fd, const struct location *loc, __u64 now,
			 EVP_MD_CTX *md, __u64 *count)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct siplb_location_key *keys;
	struct siplb_binding *vals;
	struct state_file_record *recs;
	__u32 token = 0, n, i, nrec;
	bool first = true, last = false;
	int ret = 0;

	keys = calloc(BATCH, sizeof(*keys));
	vals = calloc(BATCH, sizeof(*vals));
	recs = calloc(BATCH, sizeof(*recs));
	if (!keys || !vals || !recs) {
		ret = -ENOMEM;
		goto out;
	}
	while (!last) {
		n = BATCH;
		if (bpf_map_lookup_batch(loc->bindings_fd, first ? NULL : &token,
					 &token, keys, vals, &n, &opts)) {
			if (errno != ENOENT) {
				ret = -errno;
				break;
			}
			last = true;	/* ENOENT: this was the last batch */
		}
		first = false;
		for (i = 0, nrec = 0; i < n; i++) {
			if (vals[i].expires_at <= now)
				continue;
			recs[nrec].key = keys[i];
			recs[nrec].binding = vals[i];
			nrec++;
		}
		ret = write_all(fd, recs, nrec * sizeof(*recs), md);
		if (ret)
			break;
		*count += nrec;
	}
out:
	free(recs);
	free(vals);
	free(keys);
	return ret;
}

/* fsync the directory holding path, so that the rename is durable. */
static int sync_dir_of(const char *path)
{
	char copy[PATH_MAX];
	int fd, ret = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

int state_file_save(const char *path, const struct location *loc, __u64 now,
		    __u64 *saved, char *err, size_t errlen)
{
	struct state_file_header hdr = {
		.version = STATE_FILE_VERSION,
		.record_size = sizeof(struct state_file_record),
		.written_at = now,
	};
	struct state_file_trailer tr = {};
	char tmp[PATH_MAX];
	unsigned int mdlen;
	EVP_MD_CTX *md;
	int fd, ret;

	*saved = 0;
	memcpy(hdr.magic, STATE_FILE_MAGIC, sizeof(hdr.magic));
	/* One name, not one per process: a write cut short by a crash
	 * leaves a PATH.tmp that the next write simply truncates. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return failf(err, errlen, -ENAMETOOLONG, "%s: path too long",
			     path);
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return failf(err, errlen, -ENOMEM, "%s: no SHA-256", path);
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		EVP_MD_CTX_free(md);
		return failf(err, errlen, ret, "Couldn't create %s: %s", tmp,
			     strerror(-ret));
	}
	ret = write_all(fd, &hdr, sizeof(hdr), md);
	if (!ret)
		ret = write_records(fd, loc, now, md, &tr.count);
	if (!ret && !EVP_DigestUpdate(md, &tr.count, sizeof(tr.count)))
		ret = -EIO;
	if (!ret && !EVP_DigestFinal_ex(md, tr.sha256, &mdlen))
		ret = -EIO;
	if (!ret)
		ret = write_all(fd, &tr, sizeof(tr), NULL);
	if (!ret && fsync(fd))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	EVP_MD_CTX_free(md);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return failf(err, errlen, ret, "Couldn't write %s: %s", path,
			     strerror(-ret));
	}
	ret = sync_dir_of(path);
	if (ret)
		return failf(err, errlen, ret, "Couldn't sync the directory "
			     "of %s: %s", path, strerror(-ret));
	*saved = tr.count;
	return 0;
}

/* Version 1 lacked the RFC 5626 fields at the end of the binding. */
static size_t record_size_of(__u32 version)
{
	return version == 1 ? STATE_FILE_V1_RECORD :
			      sizeof(struct state_file_record);
}

/* Header and trailer agree with each other and with the file's size. */
static int check_layout(int fd, const char *path, struct state_file_header *hdr,
			struct state_file_trailer *tr, char *err, size_t errlen)
{
	const off_t fixed = sizeof(*hdr) + sizeof(*tr);
	struct stat st;

	if (fstat(fd, &st))
		return failf(err, errlen, -errno, "%s: %s", path,
			     strerror(errno));
	if (st.st_size < fixed)
		return failf(err, errlen, -EINVAL, "%s: truncated (%lld bytes, "
			     "a state file has at least %lld)", path,
			     (long long)st.st_size, (long long)fixed);
	if (read_all(fd, hdr, sizeof(*hdr)))
		return failf(err, errlen, -EINVAL, "%s: unreadable header",
			     path);
	if (memcmp(hdr->magic, STATE_FILE_MAGIC, sizeof(hdr->magic)))
		return failf(err, errlen, -EINVAL, "%s: not a siplb state file",
			     path);
	if (hdr->version != STATE_FILE_VERSION && hdr->version != 1)
		return failf(err, errlen, -EINVAL, "%s: version %u (this siplbd "
			     "reads versions 1 and %u)", path, hdr->version,
			     STATE_FILE_VERSION);
	if (hdr->record_size != record_size_of(hdr->version))
		return failf(err, errlen, -EINVAL, "%s: records of %u bytes, "
			     "expected %zu", path, hdr->record_size,
			     record_size_of(hdr->version));
	if (pread(fd, tr, sizeof(*tr), st.st_size - sizeof(*tr)) !=
	    (ssize_t)sizeof(*tr))
		return failf(err, errlen, -EINVAL, "%s: unreadable trailer",
			     path);
	/* Compare in division, not multiplication: count is untrusted. */
	if ((st.st_size - fixed) % hdr->record_size ||
	    tr->count != (__u64)(st.st_size - fixed) / hdr->record_size)
		return failf(err, errlen, -EINVAL, "%s: truncated or extended "
			     "(%lld bytes for %llu records)", path,
			     (long long)st.st_size,
			     (unsigned long long)tr->count);
	return 0;
}

/* Pass 1: the SHA-256 of everything before it matches the trailer's. */
static int check_hash(int fd, const char *path,
		      const struct state_file_header *hdr,
		      const struct state_file_trailer *tr, char *err,
		      size_t errlen)
{
	__u8 sum[32], *buf;
	unsigned int mdlen;
	__u64 left = tr->count * hdr->record_size;
	EVP_MD_CTX *md;
	size_t n;
	int ret = 0;

	buf = malloc(BATCH * sizeof(struct state_file_record));
	md = EVP_MD_CTX_new();
	if (!buf || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		ret = failf(err, errlen, -ENOMEM, "%s: no memory", path);
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) || read_all(fd, buf,
					      sizeof(struct state_file_header)) ||
	    !EVP_DigestUpdate(md, buf, sizeof(struct state_file_header))) {
		ret = failf(err, errlen, -EIO, "%s: read error", path);
		goto out;
	}
	while (left) {
		n = left < BATCH * sizeof(struct state_file_record) ?
			    left : BATCH * sizeof(struct state_file_record);
		if (read_all(fd, buf, n) || !EVP_DigestUpdate(md, buf, n)) {
			ret = failf(err, errlen, -EIO, "%s: read error", path);
			goto out;
		}
		left -= n;
	}
	if (!EVP_DigestUpdate(md, &tr->count, sizeof(tr->count)) ||
	    !EVP_DigestFinal_ex(md, sum, &mdlen)) {
		ret = failf(err, errlen, -EIO, "%s: SHA-256 failed", path);
		goto out;
	}
	if (memcmp(sum, tr->sha256, sizeof(sum)))
		ret = failf(err, errlen, -EINVAL, "%s: checksum mismatch (the "
			    "file is damaged)", path);
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return ret;
}

/* A record whose strings end inside their arrays and whose slot exists. */
static bool record_valid(const struct state_file_record *r)
{
	return r->key.aor[0] &&
	       memchr(r->key.aor, '\0', sizeof(r->key.aor)) &&
	       memchr(r->binding.contact, '\0',
		      sizeof(r->binding.contact)) &&
	       memchr(r->binding.instance, '\0',
		      sizeof(r->binding.instance)) &&
	       r->key.slot < SIPLB_CONTACTS_MAX;
}

/* Pass 2: the records into the map. */
static int load_records(int fd, const char *path, size_t rsize,
			const struct location *loc, __u64 now,
			struct state_file_counts *c, char *err, size_t errlen)
{
	struct state_file_record *recs;
	__u64 left = c->records;
	size_t n, i;
	int ret = 0, perr;
	__u8 *raw;

	recs = calloc(BATCH, sizeof(*recs));
	raw = malloc(BATCH * rsize);
	if (!recs || !raw) {
		free(recs);
		free(raw);
		return failf(err, errlen, -ENOMEM, "%s: no memory", path);
	}
	if (lseek(fd, sizeof(struct state_file_header), SEEK_SET) < 0) {
		ret = failf(err, errlen, -errno, "%s: %s", path,
			    strerror(errno));
		goto out;
	}
	while (left) {
		n = left < BATCH ? left : BATCH;
		if (read_all(fd, raw, n * rsize)) {
			ret = failf(err, errlen, -EIO, "%s: read error", path);
			goto out;
		}
		/* A shorter (older) record is a prefix: the rest is zero. */
		memset(recs, 0, n * sizeof(*recs));
		for (i = 0; i < n; i++)
			memcpy(&recs[i], raw + i * rsize, rsize);
		left -= n;
		for (i = 0; i < n; i++) {
			if (!record_valid(&recs[i])) {
				c->invalid++;
				continue;
			}
			if (recs[i].binding.expires_at <= now) {
				c->expired++;
				continue;
			}
			perr = location_put(loc, recs[i].key.aor,
					    strlen(recs[i].key.aor),
					    recs[i].key.slot,
					    &recs[i].binding);
			if (perr == -E2BIG) {
				c->full++;
				continue;
			}
			if (perr) {
				ret = failf(err, errlen, perr, "%s: writing a "
					    "binding to the map: %s", path,
					    strerror(-perr));
				goto out;
			}
			c->loaded++;
		}
	}
out:
	free(raw);
	free(recs);
	return ret;
}

int state_file_load(const char *path, const struct location *loc, __u64 now,
		    struct state_file_counts *counts, char *err,
		    size_t errlen)
{
	struct state_file_header hdr;
	struct state_file_trailer tr;
	int fd, ret;

	memset(counts, 0, sizeof(*counts));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return failf(err, errlen, ret, "%s: %s", path, strerror(-ret));
	}
	ret = check_layout(fd, path, &hdr, &tr, err, errlen);
	if (!ret)
		ret = check_hash(fd, path, &hdr, &tr, err, errlen);
	if (!ret) {
		counts->records = tr.count;
		ret = load_records(fd, path, hdr.record_size, loc, now,
				   counts, err, errlen);
	}
	close(fd);
	return ret;
}
