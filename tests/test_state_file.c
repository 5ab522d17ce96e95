// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_state_file.c - the bindings state file (user/siplbd/state_file.c) against
 * real BPF maps: siplb_location and siplb_sources made in-process with the
 * layouts of bpf/maps.bpf.h (small, so "map full" is near).
 *
 * A round trip (save, new empty maps, load) gives back every live binding
 * byte for byte and the per-source counts, leaves expired ones out, and
 * the write is atomic (no temporary file left, the old file replaced
 * whole). Then a table of damaged files -- empty, truncated, extended, bad
 * magic, version, record size, a flipped byte in a record, in the count or
 * in the checksum -- each of which must be refused with its reason and
 * leave the map empty. A valid file larger than the map loads what fits
 * and counts the rest.
 *
 * Needs root (CAP_BPF) for bpf_map_create().
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <openssl/evp.h>

#include "location.h"
#include "log.h"
#include "state_file.h"
#include "testlib.h"

#define ENTRIES		64	/* siplb_location in the fixture */
#define NOW		1800000000ULL	/* CLOCK_REALTIME seconds */
#define LIVE		20	/* bindings the round trip saves */
#define EXPIRED		5	/* ...and those it must leave out */

struct maps {
	struct location loc;
};

static char dir[] = "/tmp/siplb-test-state.XXXXXX";
static char path[256];

static bool maps_up(struct maps *m, __u32 entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, no_prealloc,
		    .map_flags = BPF_F_NO_PREALLOC);

	m->loc.max_contacts = SIPLB_CONTACTS_MAX;
	m->loc.bindings_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_location",
					    sizeof(struct siplb_location_key),
					    sizeof(struct siplb_binding),
					    entries, &no_prealloc);
	m->loc.sources_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_sources",
					   sizeof(struct siplb_addr),
					   sizeof(struct siplb_source), 1024,
					   &no_prealloc);
	m->loc.aors_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "siplb_aors",
					sizeof(struct siplb_aor_key),
					sizeof(struct siplb_aor), entries,
					&no_prealloc);
	return ASSERT_GE(m->loc.bindings_fd, 0,
			 "create siplb_location (needs root)") &&
	       ASSERT_GE(m->loc.sources_fd, 0, "create siplb_sources") &&
	       ASSERT_GE(m->loc.aors_fd, 0, "create siplb_aors");
}

static void maps_down(struct maps *m)
{
	if (m->loc.bindings_fd >= 0)
		close(m->loc.bindings_fd);
	if (m->loc.sources_fd >= 0)
		close(m->loc.sources_fd);
	if (m->loc.aors_fd >= 0)
		close(m->loc.aors_fd);
	m->loc.bindings_fd = m->loc.sources_fd = m->loc.aors_fd = -1;
}

static void binding_make(unsigned int i, __u64 expires_at,
			 struct siplb_binding *b)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->contact, sizeof(b->contact), "sip:user%u@192.0.2.%u:5060",
		 i, i % 250 + 1);
	b->source.family = SIPLB_AF_INET;
	b->source.addr[0] = htobe32(0xc0000200 + i % 4);  /* 4 sources */
	b->source.port = htobe16(5060);
	b->q = 500 + i;
	b->expires_at = expires_at;
	b->registered_at = NOW - 100;
	b->callid_hash = 0x1234567890abcdefULL ^ i;
	b->cseq = 1000 + i;
	if (i % 2) {	/* RFC 5626 instances and flows survive too */
		snprintf(b->instance, sizeof(b->instance),
			 "urn:uuid:00000000-0000-4000-8000-%012u", i);
		b->reg_id = i % 3;
		b->flags = b->reg_id ? SIPLB_BINDING_OUTBOUND : 0;
	}
}

static void aor_of(unsigned int i, char *aor, size_t size)
{
	snprintf(aor, size, "sip:user%u@example.com", i);
}

/* LIVE live bindings (user0..) and EXPIRED expired ones (user100..). */
static bool fill(struct maps *m)
{
	struct siplb_binding b;
	char aor[64];
	unsigned int i;

	for (i = 0; i < LIVE + EXPIRED; i++) {
		unsigned int u = i < LIVE ? i : 100 + i;

		binding_make(u, i < LIVE ? NOW + 3600 : NOW - 1, &b);
		aor_of(u, aor, sizeof(aor));
		if (!ASSERT_OK(location_put(&m->loc, aor, strlen(aor), u % 3,
					    &b), "location_put"))
			return false;
	}
	return true;
}

static long long count_of(int fd)
{
	struct location loc = { .bindings_fd = fd };
	__u64 n;

	return location_count(&loc, &n) ? -1 : (long long)n;
}

static bool save(struct maps *m, __u64 *saved)
{
	char err[512] = "";
	int ret = state_file_save(path, &m->loc, NOW, saved, err, sizeof(err));

	if (ret)
		fprintf(stderr, "  state_file_save: %s\n", err);
	return ASSERT_OK(ret, "state_file_save");
}

static bool dir_has_only_the_file(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s)\" = \"%s\"", dir,
		 strrchr(path, '/') + 1);
	return system(cmd) == 0;
}

TEST(state_round_trip)
{
	struct maps a = { { -1, -1, 0, -1 } }, b = { { -1, -1, 0, -1 } };
	struct state_file_counts c;
	struct siplb_location_key key;
	struct siplb_binding want, got;
	struct siplb_source src;
	struct siplb_addr addr = { .family = SIPLB_AF_INET };
	char err[512] = "", aor[64];
	__u64 saved = 0;
	unsigned int i;

	if (!maps_up(&a, ENTRIES) || !maps_up(&b, ENTRIES) || !fill(&a))
		goto out;
	if (!save(&a, &saved))
		goto out;
	ASSERT_EQ(saved, LIVE, "saved the live bindings, not the expired");
	ASSERT_TRUE(dir_has_only_the_file(), "no temporary file left");
	ASSERT_OK(state_file_load(path, &b.loc, NOW, &c, err, sizeof(err)),
		  "state_file_load");
	ASSERT_EQ(c.records, LIVE, "records in the file");
	ASSERT_EQ(c.loaded, LIVE, "all loaded");
	ASSERT_EQ(c.expired + c.invalid + c.full, 0, "none skipped");
	ASSERT_EQ(count_of(b.loc.bindings_fd), LIVE, "map holds them");
	for (i = 0; i < LIVE; i++) {
		binding_make(i, NOW + 3600, &want);
		aor_of(i, aor, sizeof(aor));
		location_key(aor, strlen(aor), &key);
		key.slot = i % 3;
		if (!ASSERT_OK(bpf_map_lookup_elem(b.loc.bindings_fd, &key,
						   &got) ? -errno : 0,
			       "binding back under its key"))
			continue;
		ASSERT_MEM_EQ(&got, &want, sizeof(got),
			      "binding identical (contact, source, CSeq...)");
	}
	/* siplb_sources rebuilt: 4 source addresses, 5 bindings each. */
	for (i = 0; i < 4; i++) {
		addr.addr[0] = htobe32(0xc0000200 + i);
		if (ASSERT_OK(bpf_map_lookup_elem(b.loc.sources_fd, &addr,
						  &src) ? -errno : 0,
			      "source counted"))
			ASSERT_EQ(src.bindings, LIVE / 4, "bindings per source");
	}

	/* Loading later: what expired meanwhile is skipped, not loaded. */
	maps_down(&b);
	if (!maps_up(&b, ENTRIES))
		goto out;
	ASSERT_OK(state_file_load(path, &b.loc, NOW + 3600, &c, err,
				  sizeof(err)), "load an hour later");
	ASSERT_EQ(c.expired, LIVE, "all expired by then");
	ASSERT_EQ(count_of(b.loc.bindings_fd), 0, "nothing loaded");

	/* Saving over an existing file replaces it whole. */
	maps_down(&b);
	if (!maps_up(&b, ENTRIES) || !save(&b, &saved))
		goto out;
	ASSERT_EQ(saved, 0, "an empty map saves no record");
	ASSERT_OK(state_file_load(path, &a.loc, NOW, &c, err, sizeof(err)),
		  "load the empty file");
	ASSERT_EQ(c.records, 0, "the new file replaced the old one");
out:
	maps_down(&a);
	maps_down(&b);
	unlink(path);
}

TEST(state_missing_file)
{
	struct maps m = { { -1, -1, 0, -1 } };
	struct state_file_counts c;
	char err[512] = "";

	unlink(path);
	if (maps_up(&m, ENTRIES))
		ASSERT_EQ(state_file_load(path, &m.loc, NOW, &c, err,
					  sizeof(err)), -ENOENT,
			  "no file: -ENOENT");
	maps_down(&m);
}

/* A valid file of LIVE records, then damaged by one case. */
struct damage {
	const char *what;
	long long offset;	/* byte to change (negative: from the end) */
	int xor;		/* ...by xor; 0: no change */
	long long truncate;	/* new size (negative: from the end); 0: keep */
	const char *append;	/* bytes to add at the end */
	const char *msg;	/* part of the expected error */
};

#define REC	((long long)sizeof(struct state_file_record))
#define HDR	((long long)sizeof(struct state_file_header))

static const struct damage damages[] = {
	{ "empty file", 0, 0, -(HDR + LIVE * REC + 40), NULL, "truncated" },
	{ "header only", 0, 0, -(LIVE * REC + 40), NULL, "truncated" },
	{ "last record cut in half", 0, 0, -(40 + REC / 2), NULL,
	  "truncated or extended" },
	{ "trailer lost", 0, 0, -40, NULL, "truncated or extended" },
	{ "one record missing", 0, 0, -(40 + REC), NULL,
	  "truncated or extended" },
	{ "bytes appended", 0, 0, 0, "junk", "truncated or extended" },
	{ "bad magic", 0, 0x20, 0, NULL, "not a siplb state file" },
	{ "version 3", 8, 0x01, 0, NULL, "version 3" },
	{ "record size", 12, 0x01, 0, NULL, "records of 553 bytes" },
	{ "version 1 with version 2 records", 8, 0x03, 0, NULL,
	  "records of 552 bytes, expected 448" },
	{ "a contact byte flipped", HDR + 3 * REC + (long long)offsetof(struct state_file_record, binding.contact) + 8, 0x01, 0, NULL,
	  "checksum mismatch" },
	{ "an expiry changed", HDR + 7 * REC + (long long)offsetof(struct state_file_record, binding.expires_at) + 1, 0x40, 0, NULL,
	  "checksum mismatch" },
	{ "written_at changed", 16, 0x01, 0, NULL, "checksum mismatch" },
	{ "count changed", -40, 0x01, 0, NULL, "truncated or extended" },
	{ "checksum byte flipped", -1, 0x80, 0, NULL, "checksum mismatch" },
};

static bool damage_file(const struct damage *d)
{
	struct stat st;
	unsigned char byte;
	off_t off;
	int fd, ok = 1;

	fd = open(path, O_RDWR);
	if (!ASSERT_GE(fd, 0, "open the saved file") || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (d->xor) {
		off = d->offset < 0 ? st.st_size + d->offset : d->offset;
		ok = pread(fd, &byte, 1, off) == 1;
		byte ^= d->xor;
		ok = ok && pwrite(fd, &byte, 1, off) == 1;
	}
	if (d->truncate)
		ok = ok && !ftruncate(fd, st.st_size + d->truncate);
	if (d->append)
		ok = ok && pwrite(fd, d->append, strlen(d->append),
				  st.st_size) == (ssize_t)strlen(d->append);
	close(fd);
	return ASSERT_TRUE(ok, "damage the file");
}

TEST(state_damaged_files_refused)
{
	struct maps src = { { -1, -1, 0, -1 } };
	struct state_file_counts c;
	char err[512];
	__u64 saved;
	size_t i;

	if (!maps_up(&src, ENTRIES) || !fill(&src))
		goto out;
	for (i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		const struct damage *d = &damages[i];
		struct maps m = { { -1, -1, 0, -1 } };
		int ret;

		fprintf(stderr, "  case: %s\n", d->what);
		if (!save(&src, &saved) || !damage_file(d))
			continue;
		if (!maps_up(&m, ENTRIES)) {
			maps_down(&m);
			continue;
		}
		err[0] = '\0';
		ret = state_file_load(path, &m.loc, NOW, &c, err, sizeof(err));
		ASSERT_EQ(ret, -EINVAL, d->what);
		if (!ASSERT_TRUE(strstr(err, d->msg) && strstr(err, path),
				 d->what))
			fprintf(stderr, "  got \"%s\", expected \"%s\"\n", err,
				d->msg);
		ASSERT_EQ(count_of(m.loc.bindings_fd), 0,
			  "a refused file loads nothing");
		maps_down(&m);
	}
out:
	maps_down(&src);
	unlink(path);
}

TEST(state_larger_than_the_map)
{
	struct maps src = { { -1, -1, 0, -1 } }, small = { { -1, -1, 0, -1 } };
	struct state_file_counts c;
	char err[512] = "";
	__u64 saved;

	if (!maps_up(&src, ENTRIES) || !maps_up(&small, 8) || !fill(&src) ||
	    !save(&src, &saved))
		goto out;
	ASSERT_OK(state_file_load(path, &small.loc, NOW, &c, err, sizeof(err)),
		  "a file bigger than the map still loads");
	ASSERT_EQ(c.loaded, 8, "as many as fit");
	ASSERT_EQ(c.full, LIVE - 8, "the rest counted as 'full'");
	ASSERT_EQ(count_of(small.loc.bindings_fd), 8, "map full");
out:
	maps_down(&src);
	maps_down(&small);
	unlink(path);
}

TEST(state_unwritable_directory)
{
	struct maps m = { { -1, -1, 0, -1 } };
	char err[512] = "";
	__u64 saved;

	if (maps_up(&m, ENTRIES)) {
		ASSERT_EQ(state_file_save("/nonexistent-dir/state", &m.loc,
					  NOW, &saved, err, sizeof(err)),
			  -ENOENT, "no such directory: -ENOENT");
		ASSERT_TRUE(strstr(err, "/nonexistent-dir/state.tmp"),
			    "the message names the file");
	}
	maps_down(&m);
}

int main(int argc, char **argv)
{
	int ret;

	testlib_require_root("BPF maps");
	log_init("test_state_file", LOG_LEVEL_WARN);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/bindings.state", dir);
	ret = testlib_main(argc, argv);
	unlink(path);
	rmdir(dir);
	return ret;
}

/*
 * A version 1 file (before bindings had the RFC 5626 fields) still loads:
 * made from a version 2 one by cutting each record to its first 448
 * bytes, with a new header and trailer. Its bindings come back without
 * an instance.
 */
TEST(state_version1_file_loads)
{
	struct maps a = { { -1, -1, 0, -1 } }, b = { { -1, -1, 0, -1 } };
	struct state_file_header hdr;
	struct state_file_trailer tr;
	struct state_file_record rec;
	struct state_file_counts c;
	struct siplb_location_key key = {};
	struct siplb_binding got, want;
	char err[512] = "", v1[300];
	unsigned int mdlen;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	FILE *in = NULL, *out = NULL;
	__u64 saved, i;

	if (!maps_up(&a, ENTRIES) || !maps_up(&b, ENTRIES) || !fill(&a) ||
	    !save(&a, &saved))
		goto out;
	snprintf(v1, sizeof(v1), "%s.v1", path);
	in = fopen(path, "rb");
	out = fopen(v1, "wb");
	if (!ASSERT_TRUE(in && out && md, "open the files") ||
	    !ASSERT_EQ(fread(&hdr, sizeof(hdr), 1, in), 1, "header"))
		goto out;
	hdr.version = 1;
	hdr.record_size = STATE_FILE_V1_RECORD;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	fwrite(&hdr, sizeof(hdr), 1, out);
	EVP_DigestUpdate(md, &hdr, sizeof(hdr));
	for (i = 0; i < saved; i++) {
		if (!ASSERT_EQ(fread(&rec, sizeof(rec), 1, in), 1, "record"))
			goto out;
		fwrite(&rec, STATE_FILE_V1_RECORD, 1, out);
		EVP_DigestUpdate(md, &rec, STATE_FILE_V1_RECORD);
	}
	tr.count = saved;
	EVP_DigestUpdate(md, &tr.count, sizeof(tr.count));
	EVP_DigestFinal_ex(md, tr.sha256, &mdlen);
	fwrite(&tr, sizeof(tr), 1, out);
	fclose(out);
	out = NULL;
	if (!ASSERT_OK(state_file_load(v1, &b.loc, NOW, &c, err, sizeof(err)),
		       "a version 1 file loads"))
		fprintf(stderr, "  %s\n", err);
	ASSERT_EQ(c.loaded, LIVE, "all its bindings");
	for (i = 0; i < LIVE; i++) {
		binding_make(i, NOW + 3600, &want);
		memset(want.instance, 0, sizeof(want.instance));
		want.reg_id = want.flags = 0;
		aor_of(i, key.aor, sizeof(key.aor));
		key.slot = i % 3;
		if (!ASSERT_OK(bpf_map_lookup_elem(b.loc.bindings_fd, &key,
						   &got), "binding back") ||
		    !ASSERT_TRUE(!memcmp(&got, &want, sizeof(got)),
				 "as saved, without an instance"))
			break;
	}
	unlink(v1);
out:
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	EVP_MD_CTX_free(md);
	maps_down(&a);
	maps_down(&b);
	unlink(path);
}
