// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_differential.c - the XDP scan and the user-space SIP parser side by
 * side: the RFC 4475/5118 torture messages, a table of edge cases,
 * generated calls, and at least 100,000 mutations of them.
 *
 * Each message goes to the XDP program (BPF_PROG_TEST_RUN, UDP/IPv4 to
 * FIX_VIP4; the one counter that moved says why) and to sip_msg_parse()
 * (from a heap copy of exactly its length, so a sanitizer build catches an
 * overread). What the two must agree on (issue 6):
 *
 *   1. A steered message was steered by the Call-ID the parser found. If
 *      the parser rejects the message, XDP may still have steered it, but
 *      only by the trimmed value of its first Call-ID header; these are
 *      counted by the parser's reason.
 *   2. A non-REGISTER message the parser accepts, whose Call-ID is at most
 *      SIPLB_CALLID_MAX bytes, not folded and inside the scan window, is
 *      steered -- or passed up (never dropped) for a reason the message
 *      itself shows: a limit of the scan, counted per limit.
 *   3. Never steered by another Call-ID than the parser's.
 *   4. pass_register only for what the parser calls REGISTER (or
 *      rejects), and a REGISTER is never steered.
 *
 * Which value XDP hashed is proved, not guessed: the affinity entry keyed
 * by siplb_callid_hash() of the expected value is deleted before the run
 * and must exist after it (the program writes it when it steers), so no
 * entry left by an earlier message can make a false match.
 *
 * Reproducible: message i is built from splitmix64 seeded by (seed, i) and
 * the corpus alone. SIPLB_DIFF_SEED, SIPLB_DIFF_MUTANTS and
 * SIPLB_DIFF_ONLY=i choose the seed, the number of mutants and one message
 * to run again; failures are hex-dumped to /tmp/siplb-differential-SEED.txt.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "packet.h"
#include "sip_msg.h"
#include "siplb_hash.h"
#include "siplb_maps.h"
#include "lb_stats.h"
#include "testlib.h"
#include "xdp_fixture.h"

#define DEFAULT_SEED		0x5198447551180006ULL
#define DEFAULT_GENERATED	10000
#define DEFAULT_MUTANTS		200000
#define MSG_CAP		4096	/* the largest seed (RFC 4475 longreq): 3515 */
#define PAYLOAD_MAX	1900	/* fits a single-buffer test frame */
#define CLIENT_PORT	5070
#define REPORT_MAX	20	/* failures printed as they happen */
#define DUMP_MAX	12	/* failures written out in full */
#define METHOD_MAX	64	/* the longest method sip_scan takes */

static struct xdp_fixture fix;
static __u32 vip4_id;
static __u64 last_stats[SIPLB_STAT_MAX];
static struct sip_msg parsed;	/* 6 KiB: kept off the stack */

static struct {
	__u64 seed;
	size_t generated, mutants, only;
	bool only_set;
	const char *root;
} cfg;

/* ---- random numbers ------------------------------------------------ */

struct rng {
	__u64 state;
};

static __u64 rng_next(struct rng *r)
{
	__u64 z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rng_below(struct rng *r, size_t n)
{
	return n ? (size_t)(rng_next(r) % n) : 0;
}

static size_t rng_range(struct rng *r, size_t lo, size_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

/* Message i's own generator state: what a report calls its seed. */
static __u64 message_seed(size_t idx)
{
	struct rng r = { cfg.seed ^ ((__u64)idx * 0xd1342543de82ef95ULL) };

	return rng_next(&r);
}

/* ---- message buffers ------------------------------------------------- */

struct mbuf {
	char b[MSG_CAP];
	size_t len;
};

/* Appends and inserts are cut at MSG_CAP; the payload at PAYLOAD_MAX. */
static void insert_at(struct mbuf *m, size_t off, const void *p, size_t n)
{
	if (off > m->len)
		off = m->len;
	if (n > MSG_CAP - m->len)
		n = MSG_CAP - m->len;
	memmove(m->b + off + n, m->b + off, m->len - off);
	memcpy(m->b + off, p, n);
	m->len += n;
}

static void delete_at(struct mbuf *m, size_t off, size_t n)
{
	if (off >= m->len)
		return;
	if (n > m->len - off)
		n = m->len - off;
	memmove(m->b + off, m->b + off + n, m->len - off - n);
	m->len -= n;
}

static void put(struct mbuf *m, const void *p, size_t n)
{
	insert_at(m, m->len, p, n);
}

static void put_str(struct mbuf *m, const char *s)
{
	put(m, s, strlen(s));
}

static void put_rep(struct mbuf *m, char c, size_t n)
{
	while (n-- && m->len < MSG_CAP)
		m->b[m->len++] = c;
}

static __attribute__((format(printf, 2, 3))) void
put_fmt(struct mbuf *m, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(m, tmp, (size_t)n < sizeof(tmp) ? (size_t)n :
						       sizeof(tmp) - 1);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- the first Call-ID header, read leniently ---------------------- */

/*
 * Where the first Call-ID header is, read as a plain line splitter reads
 * it: after the start line (and any CRLFs before it, as the parser skips
 * them), before the first empty line; a name of token characters, SP/HTAB,
 * ':'; the value runs to the end of the line and its continuations. Used
 * where the parser gave up before reaching the header, and by the
 * mutations that aim at the Call-ID line.
 */
struct callid_ref {
	size_t line;		/* the header name */
	size_t name_end;
	size_t colon;
	size_t end;		/* the LF that ends the header, or len */
	struct sip_slice value;	/* trimmed of LWS */
};

static bool is_token(unsigned char c)
{
	return sip_char_is(c, SIP_CC_TOKEN);
}

static bool callid_name(const char *p, size_t n)
{
	return (n == 7 && !strncasecmp(p, "Call-ID", 7)) ||
	       (n == 1 && (p[0] == 'i' || p[0] == 'I'));
}

static size_t line_end(const char *b, size_t len, size_t from)
{
	const char *lf = from < len ? memchr(b + from, '\n', len - from) : NULL;

	return lf ? (size_t)(lf - b) : len;
}

static bool ref_first_callid(const char *b, size_t len, struct callid_ref *r)
{
	size_t pos = 0, end, p;
	bool in_callid = false;

	while (pos < len && (b[pos] == '\n' ||
			     (b[pos] == '\r' && pos + 1 < len &&
			      b[pos + 1] == '\n')))
		pos++;
	for (pos = line_end(b, len, pos) + 1; pos < len; pos = end + 1) {
		end = line_end(b, len, pos);
		if (end == pos || (end == pos + 1 && b[pos] == '\r'))
			break;
		if (is_ws(b[pos])) {
			if (in_callid)
				r->end = end;
			continue;
		}
		if (in_callid)
			break;
		for (p = pos; p < end && is_token(b[p]); p++)
			;
		if (!callid_name(b + pos, p - pos))
			continue;
		r->name_end = p;
		while (p < end && is_ws(b[p]))
			p++;
		if (p == end || b[p] != ':')
			continue;
		r->line = pos;
		r->colon = p;
		r->end = end;
		in_callid = true;
	}
	if (!in_callid)
		return false;
	r->value = sip_slice_trim(sip_slice_make(b + r->colon + 1,
						 r->end - r->colon - 1));
	return true;
}

/* The first Call-ID header: the parser's if it got that far. */
struct first_callid {
	size_t name_end;	/* offset just past its name */
	struct sip_slice value;	/* trimmed */
	struct sip_slice bounded; /* as bounded loops would take it: see
				   * scan_limits() */
};

static bool first_callid(const char *b, size_t len, struct first_callid *fc)
{
	const struct sip_hdr *h = sip_msg_hdr(&parsed, SIP_HDR_CALL_ID);
	struct callid_ref ref;

	if (h) {
		fc->name_end = h->name.p + h->name.len - b;
		fc->value = h->value;
		return true;
	}
	if (!ref_first_callid(b, len, &ref))
		return false;
	fc->name_end = ref.name_end;
	fc->value = ref.value;
	return true;
}

/* ---- the scan's limits, read off an accepted message ---------------- */

/*
 * The limits of the XDP scan (ARCHITECTURE.md, sip_scan.bpf.h) that the
 * parser's Call-ID header runs into. WINDOW, LONG and FOLDED put a message
 * outside rule 2; the others are inside it, and only some of them let XDP
 * pass the message up -- none lets it steer by another value.
 */
enum scan_limit {
	LIM_WINDOW = 1 << 0,	/* its line, and the byte after, not all
				 * inside the SIPLB_SCAN_MAX window */
	LIM_LONG = 1 << 1,	/* value longer than SIPLB_CALLID_MAX */
	LIM_FOLDED = 1 << 2,	/* the header continues on a folded line */
	LIM_WS_NAME = 1 << 3,	/* > SIPLB_NAME_WS_MAX SP/HTAB before ':' */
	LIM_WS_VALUE = 1 << 4,	/* > SIPLB_NAME_WS_MAX SP/HTAB after ':' */
	LIM_TRAILING = 1 << 5,	/* > 2 * SIPLB_NAME_WS_MAX SP/HTAB/CR after */
	LIM_LINE = 1 << 6,	/* line end not where the scan looks for it */
	LIM_BARE_CR = 1 << 7,	/* a bare CR where the value starts: the
				 * parser trims it as LWS (and rejects the
				 * message) */
	LIM_START = 1 << 8,	/* CR/LF before the start line, or a method
				 * longer than 64 bytes: the scan passes these
				 * up (pass_unusual) */
};

static const char *const limit_names[] = {
	"Call-ID line ends beyond the scan window",
	"Call-ID longer than 256 bytes",
	"Call-ID header folded",
	"more than 16 SP/HTAB before the colon",
	"more than 16 SP/HTAB after the colon",
	"more than 32 SP/HTAB/CR after the value",
	"value and trailing white space longer than 271 bytes",
	"bare CR before the value",
	"CR/LF before the start line or a method over 64 bytes",
};

#define LIM_OUT_OF_SCOPE (LIM_WINDOW | LIM_LONG | LIM_FOLDED)

/*
 * The scan looks for the end of the value's line in SIPLB_CALLID_MAX / 8 + 2
 * words from the value's start (callid_value_end); a line that ends later
 * is "long" even when the value, trimmed, is not.
 */
#define SCAN_VALUE_LINE_MAX ((SIPLB_CALLID_MAX / 8 + 2) * 8)

/*
 * Also sets fc->bounded: the value as a scan that skips at most 16 SP/HTAB
 * after the colon and trims at most 32 SP/HTAB/CR at the end would take
 * it. Only a failure's report uses it: a mis-steer by exactly that value
 * is one of the limits below, anything else is a new kind of failure.
 */
/* The start-line shapes the scan leaves to the slow path. */
static unsigned int start_limits(const char *b, size_t len)
{
	size_t m = 0;

	if (len && (b[0] == '\r' || b[0] == '\n'))
		return LIM_START;
	while (m < len && b[m] != ' ' && b[m] != '\r' && b[m] != '\n')
		m++;
	return m > 64 ? LIM_START : 0;
}

static unsigned int scan_limits(const char *b, size_t len,
				struct first_callid *fc)
{
	size_t p = fc->name_end, ws_name = 0, ws_value = 0;
	size_t v, lf, trail = 0, trimmed;
	unsigned int lim = 0;

	for (; p < len && is_ws(b[p]); p++)
		ws_name++;
	for (p++; p < len && is_ws(b[p]); p++)	/* past the ':' */
		ws_value++;
	lf = line_end(b, len, p);
	/* Where the scan thinks the value starts: after at most 16 SP/HTAB. */
	v = p - ws_value + (ws_value < SIPLB_NAME_WS_MAX ? ws_value :
							    SIPLB_NAME_WS_MAX);
	for (p = lf; p > v && (is_ws(b[p - 1]) || b[p - 1] == '\r'); p--)
		trail++;
	trimmed = trail < 2 * SIPLB_NAME_WS_MAX ? trail :
						 2 * SIPLB_NAME_WS_MAX;
	fc->bounded = sip_slice_make(b + v, lf - v - trimmed);
	if (lf + 1 < len && is_ws(b[lf + 1]))
		lim |= LIM_FOLDED;
	if (len > SIPLB_SCAN_MAX && lf + 1 >= SIPLB_SCAN_MAX)
		lim |= LIM_WINDOW;
	if (fc->value.len > SIPLB_CALLID_MAX)
		lim |= LIM_LONG;
	if (ws_name > SIPLB_NAME_WS_MAX)
		lim |= LIM_WS_NAME;
	if (ws_value > SIPLB_NAME_WS_MAX)
		lim |= LIM_WS_VALUE;
	if (trail > 2 * SIPLB_NAME_WS_MAX)
		lim |= LIM_TRAILING;
	if (lf - v >= SCAN_VALUE_LINE_MAX)
		lim |= LIM_LINE;
	if (v + 1 < lf && b[v] == '\r')
		lim |= LIM_BARE_CR;
	lim |= start_limits(b, len);
	return lim;
}

/*
 * The limits that may make the scan pass a message up with this counter.
 * Passing up is always safe; so white space beyond what the scan skips
 * may end in pass_no_callid or (counted into the value) pass_callid_long
 * -- but never in steering by a value with that white space in it.
 */
static unsigned int limit_explaining(int stat)
{
	switch (stat) {
	case SIPLB_STAT_PASS_SCAN_LIMIT:
		return LIM_WINDOW;
	case SIPLB_STAT_PASS_CALLID_LONG:
		return LIM_LONG | LIM_LINE | LIM_WS_VALUE | LIM_TRAILING;
	case SIPLB_STAT_PASS_CALLID_FOLDED:
		return LIM_FOLDED;
	case SIPLB_STAT_PASS_NO_CALLID:
		return LIM_WS_NAME | LIM_WS_VALUE | LIM_TRAILING;
	case SIPLB_STAT_PASS_UNUSUAL:
		return LIM_START;
	}
	return 0;
}

/* The names of the limits in lim, joined (a static buffer). */
static const char *limit_name(unsigned int lim)
{
	static char names[256];
	size_t i, used = 0;

	names[0] = '\0';
	for (i = 0; i < sizeof(limit_names) / sizeof(limit_names[0]); i++)
		if ((lim & (1u << i)) && used < sizeof(names))
			used += snprintf(names + used, sizeof(names) - used,
					 "%s%s", used ? " + " : "",
					 limit_names[i]);
	return used ? names : "no limit of the scan";
}

/* Why the scan may have dropped a message: its documented start-line rules. */
static const char *drop_reason(const char *b, size_t len)
{
	size_t i;

	if (len && (b[0] == '\r' || b[0] == '\n'))
		return "CR/LF before the start line";
	if (len >= 4 && !strncasecmp(b, "SIP/", 4))
		return len > 11 && b[11] != ' ' ?
		       "no SP after the status code" : "status line";
	for (i = 0; i < len && b[i] != ' '; i++)
		;
	if (i > METHOD_MAX)
		return "method longer than 64 characters";
	return "request line";
}

/* ---- tallies --------------------------------------------------------- */

struct tally {
	char name[160];
	unsigned long n;
	size_t first;		/* index of the first message counted */
};

#define TALLY_MAX 64

struct tallies {
	struct tally t[TALLY_MAX];
	int n;
	unsigned long other;	/* categories beyond TALLY_MAX */
};

static __attribute__((format(printf, 3, 4))) void
tally(struct tallies *ts, size_t idx, const char *fmt, ...)
{
	char name[sizeof(ts->t[0].name)];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (i = 0; i < ts->n; i++) {
		if (!strcmp(ts->t[i].name, name)) {
			ts->t[i].n++;
			return;
		}
	}
	if (ts->n == TALLY_MAX) {
		ts->other++;
		return;
	}
	snprintf(ts->t[ts->n].name, sizeof(ts->t[0].name), "%s", name);
	ts->t[ts->n].n = 1;
	ts->t[ts->n].first = idx;
	ts->n++;
}

static unsigned long tally_sum(const struct tallies *ts)
{
	unsigned long sum = ts->other;
	int i;

	for (i = 0; i < ts->n; i++)
		sum += ts->t[i].n;
	return sum;
}

static unsigned long tally_of(const struct tallies *ts, const char *prefix)
{
	unsigned long sum = 0;
	int i;

	for (i = 0; i < ts->n; i++)
		if (!strncmp(ts->t[i].name, prefix, strlen(prefix)))
			sum += ts->t[i].n;
	return sum;
}

/* What one test saw. */
struct run {
	const char *what;
	struct timespec start;
	size_t messages, skipped;
	unsigned long by_stat[SIPLB_STAT_MAX][2]; /* [counter][accepted] */
	unsigned long accepted, in_scope, in_scope_steered;
	struct tallies agree, steered_rejected, legit, fail;
};

static struct run run;

/* ---- one message ------------------------------------------------------ */

struct subject {
	size_t idx;
	char origin[96];	/* "corpus rfc4475/wsinv.dat", ... */
	char muts[200];		/* the mutations applied, in order */
	struct mbuf msg;
};

static struct subject subj;

struct xdp_outcome {
	int action;
	int stat;		/* the counter that moved (-1: not one) */
	bool unchanged;		/* frame out == frame in */
};

static __u8 frame_in[PKT_MAX];
static size_t frame_len;
static struct xdp_result result;

static int xdp_run(const char *payload, size_t len, struct xdp_outcome *o)
{
	struct pkt_spec spec = {
		.family = 4, .src = FIX_CLIENT4, .dst = FIX_VIP4,
		.sport = CLIENT_PORT, .dport = FIX_SIP_PORT,
		.payload = payload, .len = len,
	};
	__u64 now[SIPLB_STAT_MAX], moved = 0;
	int err, i;

	frame_len = pkt_build(&spec, frame_in, sizeof(frame_in));
	if (!frame_len)
		return -EMSGSIZE;
	/* repeat = 1: test-run reuses the frame only within one run. */
	err = fixture_run(&fix, fix.ifindex_client, frame_in, frame_len, 1,
			  &result);
	if (!err)
		err = fixture_stats(&fix, now);
	if (err)
		return err;
	o->action = result.action;
	o->stat = -1;
	for (i = 0; i < SIPLB_STAT_MAX; i++) {
		if (now[i] != last_stats[i]) {
			moved += now[i] - last_stats[i];
			o->stat = i;
		}
	}
	memcpy(last_stats, now, sizeof(now));
	if (moved != 1)
		o->stat = -1;
	o->unchanged = result.out_len == frame_len &&
		       !memcmp(result.out, frame_in, frame_len);
	return 0;
}

static bool stat_is_steer(int stat)
{
	return stat >= SIPLB_STAT_STEER_TX && stat <= SIPLB_STAT_STEER_KERNEL;
}

/* The verdict a counter implies (siplb.bpf.c, forward.bpf.h). */
static int action_of(int stat)
{
	if (siplb_stat_is_drop(stat))
		return XDP_DROP;
	if (stat == SIPLB_STAT_STEER_TX)
		return XDP_TX;
	if (stat == SIPLB_STAT_STEER_REDIRECT)
		return XDP_REDIRECT;
	return XDP_PASS;
}

static const char *stat_name(int stat)
{
	return stat >= 0 && stat < SIPLB_STAT_MAX ? siplb_stat_names[stat] :
						    "(no single counter)";
}

static struct siplb_affinity_key affinity_key(struct sip_slice v)
{
	struct siplb_affinity_key key = { .vip_id = vip4_id };

	key.callid_hash = siplb_callid_hash((const __u8 *)v.p, (__u32)v.len,
					    fix_hash_key);
	return key;
}

static void affinity_forget(struct sip_slice v)
{
	struct siplb_affinity_key key = affinity_key(v);

	bpf_map_delete_elem(fix.maps.affinity, &key);
}

/* Did the last run steer by exactly v? (test_xdp.c affinity_has) */
static bool affinity_has(struct sip_slice v)
{
	struct siplb_affinity_key key = affinity_key(v);
	struct siplb_affinity aff;

	return !bpf_map_lookup_elem(fix.maps.affinity, &key, &aff);
}

/*
 * For a report: the bytes XDP did hash, found by trying every substring
 * of the first Call-ID header line (deleted first, then the message run
 * again). Returns false if none matches.
 */
static bool xdp_hashed(const char *b, size_t len, struct sip_slice *out)
{
	struct callid_ref ref;
	struct xdp_outcome o;
	size_t from, to, a, z;

	if (!ref_first_callid(b, len, &ref))
		return false;
	from = ref.colon + 1;
	to = ref.end < len ? ref.end : len;
	if (to - from > 400)
		to = from + 400;
	for (a = from; a < to; a++)
		for (z = a + 1; z <= to; z++)
			affinity_forget(sip_slice_make(b + a, z - a));
	if (xdp_run(b, len, &o))
		return false;
	for (a = from; a < to; a++) {
		for (z = a + 1; z <= to; z++) {
			if (affinity_has(sip_slice_make(b + a, z - a))) {
				*out = sip_slice_make(b + a, z - a);
				return true;
			}
		}
	}
	return false;
}

/* ---- failures ------------------------------------------------------------ */

static FILE *dump_file;
static char dump_path[96];
static int dumped;
static unsigned long failures_seen;

/* s as a C string literal (cut at max bytes). */
static void fput_escaped(FILE *f, const char *s, size_t n, size_t max)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = s[i];

		if (c == '\r')
			fputs("\\r", f);
		else if (c == '\n')
			fputs(i + 1 < n ? "\\n\"\n\t\"" : "\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x\"\"", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
	if (n > max)
		fprintf(f, " ... (%zu bytes)", n);
}

static void fput_hexdump(FILE *f, const char *s, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i += 16) {
		fprintf(f, "  %04zx ", i);
		for (j = i; j < i + 16; j++) {
			if (j < n)
				fprintf(f, " %02x", (unsigned char)s[j]);
			else
				fputs("   ", f);
		}
		fputs("  ", f);
		for (j = i; j < i + 16 && j < n; j++)
			fputc(s[j] >= 0x20 && s[j] < 0x7f ? s[j] : '.', f);
		fputc('\n', f);
	}
}

/* The message, both verdicts and how to run it again. */
static void describe(FILE *f, const char *what, const struct xdp_outcome *o,
		     int perr)
{
	const char *b = subj.msg.b;
	size_t len = subj.msg.len;
	struct sip_slice hashed;

	fprintf(f, "=== message %zu (SIPLB_DIFF_SEED=0x%016llx "
		"SIPLB_DIFF_ONLY=%zu; message seed 0x%016llx)\n", subj.idx,
		(unsigned long long)cfg.seed, subj.idx,
		(unsigned long long)message_seed(subj.idx));
	fprintf(f, "origin: %s\nmutations: %s\nverdict: %s\n", subj.origin,
		subj.muts[0] ? subj.muts : "none", what);
	fprintf(f, "XDP: verdict %d, counter %s\n", o->action,
		stat_name(o->stat));
	if (perr) {
		fprintf(f, "parser: rejects (%d, %s)\n", perr,
			parsed.error ? parsed.error : "?");
	} else {
		fprintf(f, "parser: accepts %s, Call-ID ",
			parsed.request ? "request" : "response");
		fput_escaped(f, parsed.call_id.p, parsed.call_id.len, 300);
		fputc('\n', f);
	}
	if (stat_is_steer(o->stat)) {
		fputs("XDP hashed: ", f);
		if (xdp_hashed(b, len, &hashed))
			fput_escaped(f, hashed.p, hashed.len, 300);
		else
			fputs("(not a substring of the Call-ID line)", f);
		fputc('\n', f);
	}
	fputs("message:\n\t", f);
	fput_escaped(f, b, len, PAYLOAD_MAX);
	fputs("\n", f);
	fput_hexdump(f, b, len);
	fputc('\n', f);
	fflush(f);
}

static void dump_failure(const char *what, const struct xdp_outcome *o,
			 int perr)
{
	if (!dump_file) {
		snprintf(dump_path, sizeof(dump_path),
			 "/tmp/siplb-differential-%016llx.txt",
			 (unsigned long long)cfg.seed);
		dump_file = fopen(dump_path, "w");
		if (!dump_file)
			return;
	}
	describe(dump_file, what, o, perr);
}

static __attribute__((format(printf, 3, 4))) void
fail(const struct xdp_outcome *o, int perr, const char *fmt, ...)
{
	char what[sizeof(run.fail.t[0].name)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	tally(&run.fail, subj.idx, "%s", what);
	failures_seen++;
	fflush(stdout);	/* keep the two streams in order in one log */
	if (failures_seen <= REPORT_MAX)
		fprintf(stderr, "FAIL differential message %zu (%s%s%s): %s; "
			"XDP %s, parser %s\n", subj.idx, subj.origin,
			subj.muts[0] ? ", " : "", subj.muts, what,
			stat_name(o->stat), perr ? parsed.error : "accepts");
	if (dumped < DUMP_MAX) {
		dumped++;
		dump_failure(what, o, perr);
	}
}

/* ---- the rules ----------------------------------------------------------- */

static bool parsed_register(void)
{
	return parsed.request && sip_slice_eq_str(parsed.method, "REGISTER");
}

/* What the parser says about the message being judged. */
struct parser_view {
	const char *buf;		/* the copy it parsed */
	size_t len;
	int err;			/* of sip_msg_parse() */
	bool has_first;			/* a first Call-ID header found */
	struct first_callid first;
	unsigned int lim;		/* its scan_limits() */
};

/* Why XDP steered by another value than the expected one, if known. */
static const char *mis_steer_reason(const struct parser_view *pv)
{
	if (!pv->has_first)
		return "the message has no Call-ID header";
	if (affinity_has(pv->first.bounded))
		return limit_name(pv->lim &
				  (LIM_WS_VALUE | LIM_TRAILING | LIM_BARE_CR));
	return "XDP hashed a value that no known limit explains";
}

static void judge_steered(const struct xdp_outcome *o,
			  const struct parser_view *pv)
{
	if (pv->err) {
		if (pv->has_first && affinity_has(pv->first.value))
			tally(&run.steered_rejected, subj.idx, "%s",
			      parsed.error ? parsed.error : "?");
		else
			fail(o, pv->err, "rule 1: steered a message the parser "
			     "rejects, not by its first Call-ID header [%s]",
			     mis_steer_reason(pv));
		return;
	}
	if (parsed_register())
		fail(o, pv->err, "rule 4: REGISTER steered");
	else if (affinity_has(parsed.call_id))
		tally(&run.agree, subj.idx, "steered by the parser's Call-ID");
	else
		fail(o, pv->err, "rule 3: steered by another Call-ID [%s]",
		     mis_steer_reason(pv));
}

static void judge_passed(const struct xdp_outcome *o,
			 const struct parser_view *pv)
{
	unsigned int why = pv->lim & limit_explaining(o->stat);

	if (!o->unchanged)
		fail(o, pv->err, "passed up modified (%s)",
		     stat_name(o->stat));
	if (o->stat == SIPLB_STAT_PASS_REGISTER) {
		if (!pv->err && !parsed_register())
			fail(o, pv->err, "rule 4: pass_register, parser says "
			     "method %.*s", (int)parsed.method.len,
			     parsed.method.p ? parsed.method.p : "");
		else
			tally(&run.agree, subj.idx, "pass_register, parser %s",
			      pv->err ? "rejects" : "says REGISTER");
	} else if (pv->err) {
		tally(&run.agree, subj.idx, "not steered, parser rejects: %s",
		      stat_name(o->stat));
	} else if (parsed_register()) {
		tally(&run.legit, subj.idx, "REGISTER passed up as %s",
		      stat_name(o->stat));
	} else if (why) {	/* named by the first limit that explains it */
		tally(&run.legit, subj.idx, "%s: %s", stat_name(o->stat),
		      limit_name(why & -why));
	} else if (pv->lim & LIM_OUT_OF_SCOPE) {
		tally(&run.legit, subj.idx, "%s: %s (outside rule 2)",
		      stat_name(o->stat),
		      limit_name(pv->lim & LIM_OUT_OF_SCOPE));
	} else {
		fail(o, pv->err, "rule 2: Call-ID within the scan's limits "
		     "passed up (%s) [%s]", stat_name(o->stat),
		     limit_name(pv->lim));
	}
}

static void judge_dropped(const struct xdp_outcome *o,
			  const struct parser_view *pv)
{
	if (pv->err)
		tally(&run.agree, subj.idx, "not steered, parser rejects: %s",
		      stat_name(o->stat));
	else
		fail(o, pv->err, "rule 2: dropped (%s) a message the parser "
		     "accepts [%s]", stat_name(o->stat),
		     drop_reason(pv->buf, pv->len));
}

/* Parse a copy of exactly the message's length, for sanitizer builds. */
static int parser_look(struct parser_view *pv)
{
	char *copy = malloc(subj.msg.len ? subj.msg.len : 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, subj.msg.b, subj.msg.len);
	pv->buf = copy;
	pv->len = subj.msg.len;
	pv->err = sip_msg_parse(&parsed, copy, pv->len);
	pv->has_first = first_callid(copy, pv->len, &pv->first);
	pv->lim = pv->has_first ? scan_limits(copy, pv->len, &pv->first) : 0;
	return 0;
}

static void judge(void)
{
	struct parser_view pv = { .buf = NULL };
	struct xdp_outcome o;
	bool in_scope;

	if (!ASSERT_OK(parser_look(&pv), "parse a copy"))
		return;
	/* Forget what earlier messages left under the values to look for. */
	if (!pv.err)
		affinity_forget(parsed.call_id);
	if (pv.has_first) {
		affinity_forget(pv.first.value);
		affinity_forget(pv.first.bounded);
	}
	if (!ASSERT_OK(xdp_run(subj.msg.b, subj.msg.len, &o),
		       "BPF_PROG_TEST_RUN"))
		goto out;
	in_scope = !pv.err && !parsed_register() &&
		   !(pv.lim & LIM_OUT_OF_SCOPE);
	run.messages++;
	run.accepted += !pv.err;
	run.in_scope += in_scope;
	if (o.stat >= 0)
		run.by_stat[o.stat][!pv.err]++;
	if (o.stat < 0 || action_of(o.stat) != o.action)
		fail(&o, pv.err, "verdict %d with counter %s", o.action,
		     stat_name(o.stat));
	else if (stat_is_steer(o.stat))
		judge_steered(&o, &pv);
	else if (o.action == XDP_DROP)
		judge_dropped(&o, &pv);
	else
		judge_passed(&o, &pv);
	if (in_scope && stat_is_steer(o.stat) && affinity_has(parsed.call_id))
		run.in_scope_steered++;
	if (cfg.only_set)	/* one message run again: show it */
		describe(stderr, run.fail.n ? run.fail.t[0].name : "agree", &o,
			 pv.err);
out:
	free((char *)pv.buf);
}

/* ---- seeds: the corpus ------------------------------------------------ */

struct seed_msg {
	char name[80];
	char *data;
	size_t len;
};

#define SEEDS_MAX 128
static struct seed_msg seeds[SEEDS_MAX];
static size_t nseeds;

static int dat_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && !strcmp(d->d_name + n - 4, ".dat");
}

static void load_dir(const char *sub)
{
	char dir[256], path[512];
	struct dirent **names;
	int n, i;

	snprintf(dir, sizeof(dir), "%s/%s", cfg.root, sub);
	n = scandir(dir, &names, dat_filter, alphasort);
	for (i = 0; i < n; i++) {
		struct seed_msg *s = &seeds[nseeds];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		f = fopen(path, "rb");
		if (f && nseeds < SEEDS_MAX) {
			s->data = malloc(MSG_CAP);
			s->len = s->data ? fread(s->data, 1, MSG_CAP, f) : 0;
			snprintf(s->name, sizeof(s->name), "%.16s/%.60s", sub,
				 names[i]->d_name);
			if (s->len)
				nseeds++;
			else
				free(s->data);
		}
		if (f)
			fclose(f);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* ---- seeds: edge cases ------------------------------------------------ */

/*
 * One message per limit of the scan or quirk of the grammar, each on both
 * sides of its boundary, built around a template (CRLF line ends).
 */
struct edge_case {
	const char *name;
	const char *prefix;		/* bytes before the start line */
	const char *start;		/* the start line */
	struct sip_slice callid;	/* the Call-ID header line(s) */
	size_t value_len;		/* or "Call-ID: " + this many bytes */
	size_t lf_at;			/* pad: the Call-ID line's LF here */
	const char *body;
};

#define S(lit) SIP_SLICE_LIT(lit)
#define INV "INVITE sip:bob@example.com SIP/2.0"
#define SP16 "                "

/* The common case: a template message with this Call-ID line. */
#define EDGE(name_, prefix_, start_, callid_)                                 \
	{ .name = (name_), .prefix = (prefix_), .start = (start_),            \
	  .callid = S(callid_) }

static const struct edge_case edge_cases[] = {
	EDGE("plain INVITE", "", INV, "Call-ID: edge-plain@host\r\n"),
	EDGE("CRLF before the start line (RFC 3261 7.5)", "\r\n", INV,
	     "Call-ID: edge-leading-crlf\r\n"),
	EDGE("LF before the start line", "\n", INV,
	     "Call-ID: edge-leading-lf\r\n"),
	EDGE("status line without a reason phrase", "", "SIP/2.0 200",
	     "Call-ID: edge-no-reason\r\n"),
	EDGE("status line with an empty reason phrase", "", "SIP/2.0 200 ",
	     "Call-ID: edge-empty-reason\r\n"),
	EDGE("64-character method", "",
	     "M123456789012345678901234567890123456789012345678901234567890123"
	     " sip:bob@example.com SIP/2.0", "Call-ID: edge-method-64\r\n"),
	EDGE("65-character method", "",
	     "M1234567890123456789012345678901234567890123456789012345678901234"
	     " sip:bob@example.com SIP/2.0", "Call-ID: edge-method-65\r\n"),
	EDGE("16 SP before the colon", "", INV,
	     "Call-ID" SP16 ": edge-ws-name-16\r\n"),
	EDGE("17 SP before the colon", "", INV,
	     "Call-ID" SP16 " : edge-ws-name-17\r\n"),
	EDGE("16 SP after the colon", "", INV,
	     "Call-ID:" SP16 "edge-ws-value-16\r\n"),
	EDGE("17 SP after the colon", "", INV,
	     "Call-ID:" SP16 " edge-ws-value-17\r\n"),
	EDGE("31 SP and CR after the value", "", INV,
	     "Call-ID: edge-trailing-31" SP16 "               \r\n"),
	EDGE("32 SP and CR after the value", "", INV,
	     "Call-ID: edge-trailing-32" SP16 SP16 "\r\n"),
	{ .name = "Call-ID of 256 bytes", .prefix = "", .start = INV,
	  .value_len = 256 },
	{ .name = "Call-ID of 257 bytes", .prefix = "", .start = INV,
	  .value_len = 257 },
	{ .name = "Call-ID line's LF at byte 1534", .prefix = "", .start = INV,
	  .callid = S("Call-ID: edge-window-1534\r\n"), .lf_at = 1534 },
	{ .name = "Call-ID line's LF at byte 1535", .prefix = "", .start = INV,
	  .callid = S("Call-ID: edge-window-1535\r\n"), .lf_at = 1535 },
	{ .name = "Call-ID line's LF at byte 1536", .prefix = "", .start = INV,
	  .callid = S("Call-ID: edge-window-1536\r\n"), .lf_at = 1536 },
	EDGE("folded before the value", "", INV,
	     "Call-ID:\r\n edge-fold-before\r\n"),
	EDGE("white space continuation after the value", "", INV,
	     "Call-ID: edge-fold-after\r\n \r\n"),
	EDGE("folded inside the value", "", INV,
	     "Call-ID: edge-fold\r\n inside\r\n"),
	EDGE("look-alikes first", "", INV,
	     "In-Reply-To: 70710@saturn\r\nCall-IDx: no\r\nX-Call-ID: no\r\n"
	     "Call-Info: <http://x/>\r\nI-Nfo: no\r\ni: edge-lookalikes\r\n"),
	{ .name = "Call-ID only in the body", .prefix = "", .start = INV,
	  .callid = S(""), .body = "Call-ID: edge-in-body\r\n" },
	{ .name = "Call-ID in the body too", .prefix = "", .start = INV,
	  .callid = S("i: edge-body-too\r\n"),
	  .body = "Call-ID: edge-in-body-2\r\n" },
	EDGE("two Call-ID headers", "", INV,
	     "Call-ID: edge-first\r\ni: edge-second\r\n"),
	EDGE("NUL in the Call-ID", "", INV, "Call-ID: edge\0nul\r\n"),
	EDGE("CR in the Call-ID", "", INV, "Call-ID: edge\rcr\r\n"),
	EDGE("bare CR before the Call-ID", "", INV,
	     "Call-ID: \redge-bare-cr\r\n"),
	EDGE("Call-ID line ends in LF only", "", INV, "Call-ID: edge-lf\n"),
	EDGE("compact form, tabs", "", INV, "i\t:\tedge-tabs\t\r\n"),
	EDGE("value starts with a colon", "", INV, "Call-ID::edge-colon\r\n"),
	EDGE("REGISTER", "", "REGISTER sip:example.com SIP/2.0",
	     "Call-ID: edge-register\r\n"),
	EDGE("lower-case register is not REGISTER", "",
	     "register sip:example.com SIP/2.0", "Call-ID: edge-lc-reg\r\n"),
	EDGE("SIP/3.0 request", "", "OPTIONS sip:bob@example.com SIP/3.0",
	     "Call-ID: edge-v3\r\n"),
	EDGE("sip/2.0 in lower case", "", "INVITE sip:bob@example.com sip/2.0",
	     "Call-ID: edge-lc-version\r\n"),
};

#define NEDGE (sizeof(edge_cases) / sizeof(edge_cases[0]))

static void edge_build(const struct edge_case *e, struct mbuf *m)
{
	const char *sp = strchr(e->start, ' ');
	struct mbuf line = { .len = 0 };
	size_t pad;

	put_str(m, e->prefix);
	put_str(m, e->start);
	put_str(m, "\r\nVia: SIP/2.0/UDP 10.10.1.2:5070;branch=z9hG4bK-edge\r\n"
		   "Max-Forwards: 70\r\n"
		   "From: <sip:alice@example.com>;tag=1\r\n"
		   "To: <sip:bob@example.com>\r\n");
	if (!strncmp(e->start, "SIP/", 4) || !sp)
		put_str(m, "CSeq: 1 INVITE\r\n");
	else
		put_fmt(m, "CSeq: 1 %.*s\r\n", (int)(sp - e->start), e->start);
	if (e->value_len) {
		put_str(&line, "Call-ID: edge-long-");
		put_rep(&line, 'x', e->value_len - 10);
		put_str(&line, "\r\n");
	} else {
		put(&line, e->callid.p, e->callid.len);
	}
	if (e->lf_at) {
		/* "X-Pad: " pad CRLF, then the line with its LF at lf_at. */
		pad = e->lf_at - m->len - 9 - (line.len - 1);
		put_str(m, "X-Pad: ");
		put_rep(m, 'p', pad);
		put_str(m, "\r\n");
	}
	put(m, line.b, line.len);
	if (e->lf_at) {	/* and more headers, beyond the window */
		put_str(m, "X-After: ");
		put_rep(m, 'a', 200);
		put_str(m, "\r\n");
	}
	put_fmt(m, "Content-Length: %zu\r\n\r\n",
		e->body ? strlen(e->body) : (size_t)0);
	if (e->body)
		put_str(m, e->body);
}

/* ---- generated calls ------------------------------------------------- */

struct gen_start {
	const char *method;	/* NULL: a response */
	int status;
	const char *reason;
	const char *cseq_method;
};

static const struct gen_start gen_starts[] = {
	{ "INVITE", 0, NULL, "INVITE" },
	{ "ACK", 0, NULL, "ACK" },
	{ "BYE", 0, NULL, "BYE" },
	{ "OPTIONS", 0, NULL, "OPTIONS" },
	{ "CANCEL", 0, NULL, "CANCEL" },
	{ "REGISTER", 0, NULL, "REGISTER" },
	{ NULL, 100, "Trying", "INVITE" },
	{ NULL, 180, "Ringing", "INVITE" },
	{ NULL, 200, "OK", "INVITE" },
	{ NULL, 200, "OK", "BYE" },
	{ NULL, 486, "Busy Here", "INVITE" },
};

/* RFC 3261 "word": the Call-ID alphabet. */
static const char word_chars[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	"-.!%*_+`'~()<>:\\\"/[]?{}";

static const char *const lookalikes[] = {
	"In-Reply-To: 70710@saturn.example.com",
	"Call-IDx: not-this-one",
	"X-Call-ID: nor-this",
	"Call-Info: <http://www.example.com/alice/photo.jpg>;purpose=icon",
	"Info: x",
	"I-Nfo: y",
	"Iii: z",
	"Call-ID-Ext: q",
	"cALL-idX: n",
	"Identity-Info: <https://example.com/cert>",
};

struct gen {
	struct rng *r;
	struct mbuf *m;
	int eol;	/* 0 CRLF, 1 LF, 2 mixed, 3 CR only */
};

static void gen_eol(struct gen *g)
{
	static const char *const eols[] = { "\r\n", "\n", NULL, "\r" };

	if (g->eol == 2)
		put_str(g->m, rng_pct(g->r, 50) ? "\r\n" : "\n");
	else
		put_str(g->m, eols[g->eol]);
}

/* A header line; '\n' in it stands for a line end (a fold: SP follows). */
static void gen_line(struct gen *g, const struct mbuf *line)
{
	size_t i;

	for (i = 0; i < line->len; i++) {
		if (line->b[i] == '\n')
			gen_eol(g);
		else
			put(g->m, &line->b[i], 1);
	}
	gen_eol(g);
}

/* SP/HTAB: mostly none, some a few, a few around SIPLB_NAME_WS_MAX. */
static void gen_ws(struct rng *r, struct mbuf *l, unsigned int none_pct,
		   size_t around)
{
	size_t n, i;

	if (rng_pct(r, none_pct))
		return;
	n = rng_pct(r, 75) ? rng_range(r, 1, 3) :
			     rng_range(r, around - 3, around + 3);
	for (i = 0; i < n; i++)
		put_str(l, rng_pct(r, 70) ? " " : "\t");
}

static void gen_callid_value(struct rng *r, struct mbuf *l, bool short_only)
{
	size_t n, i;
	size_t kind = rng_below(r, 100);

	if (short_only || kind < 85)
		n = rng_range(r, 8, 48);
	else if (kind < 92)
		n = rng_range(r, SIPLB_CALLID_MAX - 6, SIPLB_CALLID_MAX + 6);
	else if (kind < 95)
		n = rng_range(r, SIPLB_CALLID_MAX + 7, 1200);
	else
		n = rng_range(r, 1, 7);
	for (i = 0; i < n; i++)
		put_rep(l, word_chars[rng_below(r, sizeof(word_chars) - 1)], 1);
	if (n < 200 && rng_pct(r, 40))
		put_fmt(l, "@host%zu.example.com", rng_below(r, 1000));
}

static void gen_callid_line(struct rng *r, struct mbuf *l, bool short_only)
{
	static const char *const names[] = {
		"Call-ID", "call-id", "CALL-ID", "cAlL-iD", "Call-Id", "i", "I",
	};
	size_t fold = rng_below(r, 100);

	put_str(l, names[rng_below(r, sizeof(names) / sizeof(names[0]))]);
	gen_ws(r, l, 80, SIPLB_NAME_WS_MAX);
	put_str(l, ":");
	if (fold < 4)		/* the value on a continuation line */
		put_str(l, "\n ");
	else if (rng_pct(r, 75))
		put_str(l, " ");
	else
		gen_ws(r, l, 30, SIPLB_NAME_WS_MAX);
	gen_callid_value(r, l, short_only);
	if (fold >= 4 && fold < 6) {	/* a fold inside the value */
		put_str(l, "\n ");
		gen_callid_value(r, l, true);
	}
	gen_ws(r, l, 85, 2 * SIPLB_NAME_WS_MAX);
	if (fold >= 6 && fold < 9)	/* a continuation of white space */
		put_str(l, "\n  ");
}

static void gen_body(struct rng *r, struct mbuf *body)
{
	size_t i, n;

	if (rng_pct(r, 70)) {
		put_str(body, "v=0\r\no=alice 2890844526 2890844526 IN IP4 "
			      "10.10.1.2\r\ns=-\r\nc=IN IP4 10.10.1.2\r\n"
			      "t=0 0\r\nm=audio 49170 RTP/AVP 0\r\n");
	}
	if (rng_pct(r, 60))
		put_fmt(body, "%s: body-%zu@fake\r\n",
			rng_pct(r, 70) ? "Call-ID" : "i", rng_below(r, 1000));
	if (rng_pct(r, 10)) {
		n = rng_range(r, 1, 8);
		for (i = 0; i < n; i++)
			put_rep(body, (char)rng_below(r, 256), 1);
	}
}

/* The headers a generated message carries besides its Call-ID. */
enum gen_hdr {
	GEN_VIA, GEN_FROM, GEN_TO, GEN_CSEQ,	/* always */
	GEN_CONTACT, GEN_SUBJECT_FOLDED, GEN_NUL, GEN_LOOKALIKE,
	GEN_USER_AGENT,
};

/* A header line of one kind, in long or compact form. */
static void gen_header(struct rng *r, struct mbuf *l, enum gen_hdr kind,
		       const struct gen_start *st)
{
	bool compact = rng_pct(r, 15);

	switch (kind) {
	case GEN_VIA:
		put_fmt(l, "%s: SIP/2.0/UDP 10.10.1.%zu:5070;branch=z9hG4bK"
			"%llx", compact ? "v" : "Via", rng_range(r, 2, 250),
			(unsigned long long)rng_next(r));
		break;
	case GEN_FROM:
		put_fmt(l, "%s: Alice <sip:alice@example.com>;tag=%zu",
			compact ? "f" : "From", rng_below(r, 1000000));
		break;
	case GEN_TO:
		put_fmt(l, "%s: Bob <sip:bob@example.com>%s",
			compact ? "t" : "To",
			st->method ? "" : ";tag=8321234356");
		break;
	case GEN_CSEQ:
		put_fmt(l, "CSeq: %zu %s", rng_range(r, 1, 99999),
			st->cseq_method);
		break;
	case GEN_CONTACT:
		put_fmt(l, "%s: <sip:alice@10.10.1.2:5070>",
			compact ? "m" : "Contact");
		break;
	case GEN_SUBJECT_FOLDED:
		put_str(l, "Subject: a subject\n  on two lines");
		break;
	case GEN_NUL:
		put_str(l, "X-Nul: a");
		put_rep(l, '\0', 1);
		put_str(l, "b");
		break;
	case GEN_LOOKALIKE:
		put_str(l, lookalikes[rng_below(r, sizeof(lookalikes) /
						      sizeof(lookalikes[0]))]);
		break;
	case GEN_USER_AGENT:
		put_str(l, "User-Agent: differential/1.0");
		break;
	}
}

#define GEN_HDRS_MAX 16

/* Which headers, in which order; returns how many. */
static size_t gen_pick_headers(struct rng *r, enum gen_hdr *kinds)
{
	size_t n = 0, i, j, k;
	enum gen_hdr t;

	for (k = GEN_VIA; k <= GEN_CSEQ; k++)
		kinds[n++] = k;
	if (rng_pct(r, 50))
		kinds[n++] = GEN_CONTACT;
	if (rng_pct(r, 8))
		kinds[n++] = GEN_SUBJECT_FOLDED;
	if (rng_pct(r, 8))
		kinds[n++] = GEN_NUL;
	for (k = rng_pct(r, 30) ? rng_range(r, 1, 3) : 0; k > 0; k--)
		kinds[n++] = GEN_LOOKALIKE;
	if (rng_pct(r, 30))
		kinds[n++] = GEN_USER_AGENT;
	if (rng_pct(r, 50)) {	/* any order is valid (RFC 3261 7.3.1) */
		for (i = n - 1; i > 0; i--) {
			j = rng_below(r, i + 1);
			t = kinds[i];
			kinds[i] = kinds[j];
			kinds[j] = t;
		}
	}
	return n;
}

/*
 * A request or response of a call, its Call-ID header in one of many
 * spellings at a random place (or near the end of the scan window), with
 * look-alike headers, folds, NULs, a body that may mention a Call-ID, and
 * CRLF, LF, mixed or (rarely) CR-only line ends.
 */
static void gen_message(struct rng *r, struct mbuf *m)
{
	const struct gen_start *st = &gen_starts[rng_below(
		r, sizeof(gen_starts) / sizeof(gen_starts[0]))];
	size_t eol = rng_below(r, 100), n, i, at, target = 0;
	static struct mbuf hdrs[GEN_HDRS_MAX], line, body;
	struct gen g = { r, m, eol < 70 ? 0 : eol < 88 ? 1 : eol < 98 ? 2 : 3 };
	enum gen_hdr kinds[GEN_HDRS_MAX];

	n = gen_pick_headers(r, kinds);
	for (i = 0; i < n; i++) {
		hdrs[i].len = 0;
		gen_header(r, &hdrs[i], kinds[i], st);
	}
	/* A fifth of the messages put the Call-ID near the window's end. */
	if (rng_pct(r, 20))
		target = rng_range(r, SIPLB_SCAN_MAX - 160,
				   SIPLB_SCAN_MAX + 80);
	at = target ? n : rng_below(r, n + 1);
	line.len = 0;
	gen_callid_line(r, &line, target != 0);
	body.len = 0;
	if (!target && rng_pct(r, st->method && !strcmp(st->method, "INVITE") ?
			      50 : 15))
		gen_body(r, &body);

	if (st->method)
		put_fmt(m, "%s sip:bob@example.com SIP/2.0", st->method);
	else
		put_fmt(m, "SIP/2.0 %d %s", st->status, st->reason);
	gen_eol(&g);
	if (st->method) {
		put_str(m, "Max-Forwards: 70");
		gen_eol(&g);
	}
	for (i = 0; i <= n; i++) {
		if (i == at) {
			if (target > m->len + 10) {
				put_str(m, "X-Pad: ");
				put_rep(m, 'p', target - m->len - 2);
				gen_eol(&g);
			}
			gen_line(&g, &line);
			if (rng_pct(r, 2)) {	/* the parser refuses two */
				put_str(m, "i: second-call-id");
				gen_eol(&g);
			}
		}
		if (i < n)
			gen_line(&g, &hdrs[i]);
	}
	if (body.len) {
		put_str(m, "Content-Type: application/sdp");
		gen_eol(&g);
	}
	if (rng_pct(r, 90)) {
		put_fmt(m, "Content-Length: %zu", body.len);
		gen_eol(&g);
	}
	gen_eol(&g);
	put(m, body.b, body.len);
}

/* ---- mutations ------------------------------------------------------- */

static const char special_bytes[] = {
	'\r', '\n', ' ', '\t', ':', '\0', (char)0x80, (char)0xff, 'i', 'I',
	'c', 'C', '@', '"', '\\', '<',
};

static const char *const insertions[] = {
	"\r\n", "\n", "\r", " ", "\t", "\r\n ", "\r\n\t", ":", "\r\n\r\n",
	"Call-ID: inserted@x\r\n", "i:x\r\n", "\r\ni: ins\r\n", "REGISTER ",
	"SIP/2.0 ", " SIP/2.0", "@", "Call-ID", "i", "\r\nCall-ID:", "\n\r",
};

/* A position, aimed at the Call-ID header almost half of the time. */
static size_t pick_pos(struct rng *r, const struct mbuf *m, bool at_end)
{
	struct callid_ref ref;

	if (m->len && rng_pct(r, 45) && ref_first_callid(m->b, m->len, &ref))
		return ref.line + rng_below(r, (ref.end < m->len ? ref.end + 1 :
						m->len) - ref.line + at_end);
	return rng_below(r, m->len + at_end);
}

#define LINES_MAX 128

/* Line k spans [start[k], start[k + 1]), its line end included. */
struct lines {
	size_t start[LINES_MAX + 1];
	size_t n;
};

static void lines_of(const struct mbuf *m, struct lines *l)
{
	size_t pos = 0;

	l->n = 0;
	while (pos < m->len && l->n < LINES_MAX) {
		l->start[l->n++] = pos;
		pos = line_end(m->b, m->len, pos) + 1;
	}
	l->start[l->n] = pos < m->len ? pos : m->len;
}

static void mut_insert(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	size_t pos = pick_pos(r, m, true), n, i;
	const char *s;
	char bytes[24];

	if (rng_pct(r, 40)) {
		s = insertions[rng_below(r, sizeof(insertions) /
					    sizeof(insertions[0]))];
		insert_at(m, pos, s, strlen(s));
		snprintf(note, sz, "insert@%zu:%zu", pos, strlen(s));
		return;
	}
	n = rng_range(r, 1, sizeof(bytes));
	if (rng_pct(r, 50))
		memset(bytes,
		       special_bytes[rng_below(r, sizeof(special_bytes))], n);
	else
		for (i = 0; i < n; i++)
			bytes[i] = (char)rng_below(r, 256);
	insert_at(m, pos, bytes, n);
	snprintf(note, sz, "insert@%zu:%zu", pos, n);
}

static void mut_line_copy(struct rng *r, struct mbuf *m, bool swap,
			  char *note, size_t sz)
{
	static struct mbuf a, b;
	struct lines l;
	size_t k1, k2, t;

	lines_of(m, &l);
	if (l.n < 3)
		return;
	k1 = rng_range(r, 1, l.n - 1);
	k2 = rng_range(r, 1, l.n - 1);
	if (swap && k1 > k2) {
		t = k1;
		k1 = k2;
		k2 = t;
	}
	a.len = b.len = 0;
	put(&a, m->b + l.start[k1], l.start[k1 + 1] - l.start[k1]);
	if (!swap) {	/* duplicate line k1 before line k2 */
		insert_at(m, l.start[k2], a.b, a.len);
		snprintf(note, sz, "dup-line%zu@line%zu", k1, k2);
		return;
	}
	if (k1 == k2)
		return;
	put(&b, m->b + l.start[k2], l.start[k2 + 1] - l.start[k2]);
	delete_at(m, l.start[k2], b.len);
	insert_at(m, l.start[k2], a.b, a.len);
	delete_at(m, l.start[k1], a.len);
	insert_at(m, l.start[k1], b.b, b.len);
	snprintf(note, sz, "swap-lines%zu,%zu", k1, k2);
}

/* Replace every `from` by `to` (or only the one at a random line end). */
static void mut_eol(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	static const char *const eols[] = { "\n", "\r\n", "\r", "\r\r\n",
					    "\n\r" };
	static struct mbuf out;
	size_t i, which = rng_below(r, 4), nth = 0, pick;
	const char *to;
	struct lines l;

	if (which == 3) {	/* one line end */
		lines_of(m, &l);
		if (!l.n)
			return;
		pick = rng_below(r, l.n);
		i = line_end(m->b, m->len, l.start[pick]);
		if (i >= m->len)
			return;
		nth = i > 0 && m->b[i - 1] == '\r';
		delete_at(m, i - nth, nth + 1);
		to = eols[rng_below(r, 5)];
		insert_at(m, i - nth, to, strlen(to));
		snprintf(note, sz, "eol@line%zu", pick);
		return;
	}
	to = which == 0 ? "\n" : which == 1 ? "\r\n" : "\r";
	out.len = 0;
	for (i = 0; i < m->len; i++) {
		if (m->b[i] == '\r' && i + 1 < m->len && m->b[i + 1] == '\n')
			continue;	/* the LF that follows decides */
		if (m->b[i] == '\n')
			put_str(&out, to);
		else
			put(&out, &m->b[i], 1);
	}
	memcpy(m, &out, sizeof(out));
	snprintf(note, sz, "eol-all:%s", which == 0 ? "LF" :
					 which == 1 ? "CRLF" : "CR");
}

static void mut_case(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	struct callid_ref ref;
	struct lines l;
	size_t from, i, mode = rng_below(r, 3);

	if (rng_pct(r, 50) && ref_first_callid(m->b, m->len, &ref)) {
		from = ref.line;
	} else {
		lines_of(m, &l);
		if (!l.n)
			return;
		from = l.start[rng_below(r, l.n)];
	}
	for (i = from; i < m->len && m->b[i] != ':' && m->b[i] != '\n'; i++) {
		char c = m->b[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			continue;
		if (mode == 0 || (mode == 2 && rng_pct(r, 50)))
			m->b[i] = c ^ 0x20;
		else if (mode == 1)
			m->b[i] = c & ~0x20;
	}
	snprintf(note, sz, "case@%zu", from);
}

/* White space around the Call-ID's colon or after its value. */
static void mut_callid_ws(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	static const size_t counts[] = { 1, 2, 15, 16, 17, 20, 31, 32, 33, 40 };
	struct callid_ref ref;
	size_t n = counts[rng_below(r, sizeof(counts) / sizeof(counts[0]))];
	size_t where = rng_below(r, 3), pos, i;
	char ws[40];

	if (!ref_first_callid(m->b, m->len, &ref))
		return;
	for (i = 0; i < n; i++)
		ws[i] = rng_pct(r, 80) ? ' ' : '\t';
	pos = where == 0 ? ref.colon : where == 1 ? ref.colon + 1 :
	      line_end(m->b, m->len, ref.colon);
	if (where == 2 && pos > 0 && pos <= m->len && m->b[pos - 1] == '\r')
		pos--;
	insert_at(m, pos, ws, n);
	snprintf(note, sz, "callid-ws%zu@%s", n,
		 where == 0 ? "name" : where == 1 ? "value" : "end");
}

/* Move the Call-ID line near the window's end with a header before it. */
static void mut_shift(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	static struct mbuf pad;
	struct callid_ref ref;
	size_t at = line_end(m->b, m->len, 0) + 1, lf, want, n;

	if (at > m->len)
		return;
	want = rng_range(r, SIPLB_SCAN_MAX - 40, SIPLB_SCAN_MAX + 40);
	if (ref_first_callid(m->b, m->len, &ref) && ref.end < want)
		lf = ref.end;
	else
		lf = want - rng_range(r, 100, 1000);
	n = want - lf;
	if (n < 12)
		return;
	pad.len = 0;
	put_str(&pad, "X-Shift: ");
	put_rep(&pad, 's', n - 11);
	put_str(&pad, "\r\n");
	insert_at(m, at, pad.b, pad.len);
	snprintf(note, sz, "shift%zu", n);
}

static void mut_flip(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	size_t pos = pick_pos(r, m, false);

	if (pos < m->len) {
		m->b[pos] ^= (char)(1 << rng_below(r, 8));
		snprintf(note, sz, "flip@%zu", pos);
	}
}

static void mut_set(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	size_t pos = pick_pos(r, m, false);

	if (pos < m->len) {
		m->b[pos] = special_bytes[rng_below(r, sizeof(special_bytes))];
		snprintf(note, sz, "set@%zu", pos);
	}
}

static void mut_delete(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	size_t pos = pick_pos(r, m, false), n = rng_range(r, 1, 40);

	delete_at(m, pos, n);
	snprintf(note, sz, "delete@%zu:%zu", pos, n);
}

static void mut_dup_line(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	mut_line_copy(r, m, false, note, sz);
}

static void mut_swap_lines(struct rng *r, struct mbuf *m, char *note,
			   size_t sz)
{
	mut_line_copy(r, m, true, note, sz);
}

static void mut_truncate(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	m->len = pick_pos(r, m, true);
	snprintf(note, sz, "truncate@%zu", m->len);
}

static void mut_fold(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	size_t pos = pick_pos(r, m, false);

	insert_at(m, pos, rng_pct(r, 50) ? "\r\n " : "\n\t", 3);
	snprintf(note, sz, "fold@%zu", pos);
}

typedef void mutation_fn(struct rng *r, struct mbuf *m, char *note,
			 size_t sz);

/* The mutations and their weights (out of 100). */
static const struct {
	unsigned int weight;
	mutation_fn *fn;
} mutations[] = {
	{ 10, mut_flip },	/* a bit */
	{ 12, mut_set },	/* a byte to CR, LF, SP, HTAB, ':', NUL, ... */
	{ 14, mut_insert },	/* a run of bytes or a telling string */
	{ 10, mut_delete },	/* a run of bytes */
	{ 8, mut_dup_line },
	{ 6, mut_swap_lines },
	{ 6, mut_truncate },
	{ 8, mut_eol },		/* CRLF / LF / CR, one line or all */
	{ 8, mut_case },	/* of a header name */
	{ 10, mut_callid_ws },	/* around the Call-ID's colon, after it */
	{ 5, mut_fold },
	{ 3, mut_shift },	/* the Call-ID near the window's end */
};

static void mutate_once(struct rng *r, struct mbuf *m, char *note, size_t sz)
{
	unsigned int pick = rng_below(r, 100), i;

	note[0] = '\0';
	for (i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		if (pick < mutations[i].weight) {
			mutations[i].fn(r, m, note, sz);
			return;
		}
		pick -= mutations[i].weight;
	}
}

/* ---- the messages, by index ----------------------------------------- */

/* Indexes: corpus seeds, edge cases, generated messages, mutants. */
static size_t first_edge(void)
{
	return nseeds;
}

static size_t first_generated(void)
{
	return nseeds + NEDGE;
}

static size_t first_mutant(void)
{
	return first_generated() + cfg.generated;
}

static void base_message(struct rng *r, struct subject *s)
{
	size_t pick = rng_below(r, nseeds + NEDGE);

	if (rng_pct(r, 50)) {
		gen_message(r, &s->msg);
		snprintf(s->origin, sizeof(s->origin), "mutant of a generated "
			 "message");
	} else if (pick < nseeds) {
		put(&s->msg, seeds[pick].data, seeds[pick].len);
		snprintf(s->origin, sizeof(s->origin), "mutant of %.80s",
			 seeds[pick].name);
	} else {
		edge_build(&edge_cases[pick - nseeds], &s->msg);
		snprintf(s->origin, sizeof(s->origin), "mutant of edge case "
			 "\"%s\"", edge_cases[pick - nseeds].name);
	}
}

static void build_subject(size_t idx, struct subject *s)
{
	struct rng r = { message_seed(idx) };
	size_t k, nmut, used;
	char note[96];

	s->idx = idx;
	s->msg.len = 0;
	s->muts[0] = '\0';
	if (idx < first_edge()) {
		put(&s->msg, seeds[idx].data, seeds[idx].len);
		snprintf(s->origin, sizeof(s->origin), "corpus %.80s",
			 seeds[idx].name);
		return;
	}
	if (idx < first_generated()) {
		edge_build(&edge_cases[idx - first_edge()], &s->msg);
		snprintf(s->origin, sizeof(s->origin), "edge case \"%s\"",
			 edge_cases[idx - first_edge()].name);
		return;
	}
	if (idx < first_mutant()) {
		gen_message(&r, &s->msg);
		snprintf(s->origin, sizeof(s->origin), "generated");
		return;
	}
	base_message(&r, s);
	nmut = rng_range(&r, 1, 3);
	for (k = 0; k < nmut; k++) {
		mutate_once(&r, &s->msg, note, sizeof(note));
		used = strlen(s->muts);
		if (note[0])
			snprintf(s->muts + used, sizeof(s->muts) - used, "%s%s",
				 used ? " " : "", note);
	}
	if (s->msg.len > PAYLOAD_MAX) {
		s->msg.len = PAYLOAD_MAX;
		used = strlen(s->muts);
		snprintf(s->muts + used, sizeof(s->muts) - used,
			 " cut@%d", PAYLOAD_MAX);
	}
}

/* ---- running and reporting ------------------------------------------- */

static void run_begin(const char *what)
{
	memset(&run, 0, sizeof(run));
	run.what = what;
	clock_gettime(CLOCK_MONOTONIC, &run.start);
	testlib_note("differential %s: seed 0x%016llx (SIPLB_DIFF_SEED to change)\n",
		     what, (unsigned long long)cfg.seed);
}

static void run_range(size_t from, size_t to)
{
	size_t idx;

	for (idx = from; idx < to; idx++) {
		if (cfg.only_set && idx != cfg.only)
			continue;
		build_subject(idx, &subj);
		if (subj.msg.len > PAYLOAD_MAX) {
			testlib_note("  %s: %zu bytes, more than one test frame: not "
				     "run as it is (its mutants are cut to %d)\n",
				     subj.origin, subj.msg.len, PAYLOAD_MAX);
			run.skipped++;
			continue;
		}
		judge();
	}
}

static void print_tallies(const char *title, const struct tallies *ts)
{
	int i;

	testlib_note("  %s: %lu\n", title, tally_sum(ts));
	for (i = 0; i < ts->n; i++)
		testlib_note("    %8lu  %s (first: message %zu)\n", ts->t[i].n,
			     ts->t[i].name, ts->t[i].first);
	if (ts->other)
		testlib_note("    %8lu  (other categories)\n", ts->other);
}

static void run_end(void)
{
	struct timespec now;
	double secs;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (now.tv_sec - run.start.tv_sec) +
	       (now.tv_nsec - run.start.tv_nsec) / 1e9;
	testlib_note("  %s: %zu messages run (%zu not run) in %.1f s; parser "
		     "accepts %lu; %lu in rule 2's scope, %lu of them steered by "
		     "their Call-ID\n", run.what, run.messages, run.skipped, secs,
		     run.accepted, run.in_scope, run.in_scope_steered);
	testlib_note("  %-22s %14s %14s\n", "XDP counter", "parser accepts",
		     "parser rejects");
	for (i = 0; i < SIPLB_STAT_MAX; i++)
		if (run.by_stat[i][0] || run.by_stat[i][1])
			testlib_note("  %-22s %14lu %14lu\n", siplb_stat_names[i],
				     run.by_stat[i][1], run.by_stat[i][0]);
	print_tallies("agreements", &run.agree);
	print_tallies("steered, parser rejects (XDP took the first Call-ID "
		      "header's value)", &run.steered_rejected);
	print_tallies("legitimate differences (parser accepts, XDP passes up)",
		      &run.legit);
	print_tallies("FAILURES", &run.fail);
	fflush(stdout);
	for (i = 0; i < run.fail.n; i++)
		testlib_report(false, __FILE__, __LINE__, run.fail.t[i].name,
			       "%lu messages, the first is %zu (SIPLB_DIFF_SEED"
			       "=0x%016llx SIPLB_DIFF_ONLY=%zu)",
			       run.fail.t[i].n, run.fail.t[i].first,
			       (unsigned long long)cfg.seed,
			       run.fail.t[i].first);
	ASSERT_EQ(run.fail.other, 0, "failures in uncounted categories");
	if (run.fail.n && dumped)
		testlib_note("  the first %d failing messages are in %s\n", dumped,
			     dump_path);
}

TEST(edge_cases_agree)
{
	run_begin("edge cases");
	run_range(first_edge(), first_generated());
	run_end();
	if (!cfg.only_set)
		ASSERT_EQ(run.messages, NEDGE, "edge cases run");
}

TEST(rfc4475_rfc5118_messages_agree)
{
	run_begin("RFC 4475/5118 corpus");
	ASSERT_GE(nseeds, 65, "corpus messages found (50 + 15)");
	run_range(0, first_edge());
	run_end();
	/* Only RFC 4475 "longreq" (3515 bytes) is bigger than a frame. */
	if (!cfg.only_set)
		ASSERT_LE(run.skipped, 1, "corpus messages not run");
}

TEST(generated_and_mutated_messages_agree)
{
	size_t mutants_before;

	run_begin("generated and mutated");
	testlib_note("  %zu generated messages, %zu mutants (SIPLB_DIFF_MUTANTS)\n",
		     cfg.generated, cfg.mutants);
	run_range(first_generated(), first_mutant());
	mutants_before = run.messages;
	run_range(first_mutant(), first_mutant() + cfg.mutants);
	run_end();
	if (cfg.only_set || cfg.mutants < DEFAULT_MUTANTS)
		return;
	/* Coverage: each rule and each limit of the scan was met. */
	ASSERT_GE(run.messages - mutants_before, DEFAULT_MUTANTS,
		  "mutants run");
	ASSERT_GE(run.in_scope_steered, 5000, "rule 2 exercised");
	ASSERT_GE(tally_sum(&run.steered_rejected), 100, "rule 1 exercised");
	ASSERT_GE(tally_of(&run.agree, "pass_register, parser says"), 100,
		  "rule 4 exercised");
	ASSERT_GE(run.by_stat[SIPLB_STAT_PASS_SCAN_LIMIT][1], 10,
		  "Call-IDs beyond the window met");
	ASSERT_GE(run.by_stat[SIPLB_STAT_PASS_CALLID_LONG][1], 10,
		  "long Call-IDs met");
	ASSERT_GE(run.by_stat[SIPLB_STAT_PASS_CALLID_FOLDED][1], 10,
		  "folded Call-IDs met");
}

static __u64 env_u64(const char *name, __u64 dflt, bool *set)
{
	const char *v = getenv(name);

	if (set)
		*set = v && *v;
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static int lookup_vip_id(void)
{
	struct siplb_endpoint ep;
	struct siplb_vip v;

	fixture_endpoint(FIX_VIP4, FIX_SIP_PORT, &ep);
	if (bpf_map_lookup_elem(fix.maps.vips, &ep, &v))
		return -errno;
	vip4_id = v.vip_id;
	return 0;
}

int main(int argc, char **argv)
{
	int err;

	testlib_require_root("BPF_PROG_TEST_RUN in a network namespace");

	cfg.seed = env_u64("SIPLB_DIFF_SEED", DEFAULT_SEED, NULL);
	cfg.mutants = env_u64("SIPLB_DIFF_MUTANTS", DEFAULT_MUTANTS, NULL);
	cfg.generated = DEFAULT_GENERATED;
	cfg.only = env_u64("SIPLB_DIFF_ONLY", 0, &cfg.only_set);
	cfg.root = getenv("SIPLB_CORPUS") ?: "tests/corpus";
	load_dir("rfc4475");
	load_dir("rfc5118");

	err = fixture_setup(&fix);
	if (!err)
		err = lookup_vip_id();
	if (!err)
		err = fixture_stats(&fix, last_stats);
	if (err) {
		fprintf(stderr, "test_differential: fixture setup failed: %s\n",
			strerror(-err));
		fixture_teardown(&fix);
		return 1;
	}
	err = testlib_main(argc, argv);
	fixture_teardown(&fix);
	if (dump_file)
		fclose(dump_file);
	return err;
}
