// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * config.c - parse and validate siplbd's configuration (config.h; the
 * format is documented by example in etc/siplb.conf).
 *
 * The file is read whole and split into lines, each line into words. A
 * table says, for every directive, where it may appear, how many words it
 * takes, whether it opens a block and whether it may be repeated, so those
 * rules are checked in one place; the handlers only parse their arguments.
 * Numeric directives are table entries too: a field offset and a range.
 * Rules that relate several directives (min <= default <= max) are checked
 * when their block closes, and what is required when the file ends.
 *
 * The first error stops the parse: a missing '}' or a bad VIP would make
 * every later message misleading.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "config.h"
#include "endpoint.h"
#include "secret_file.h"
#include "siplb_location.h"
#include "siplb_guard.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CONF_MAX_WORDS 8	/* no directive takes more than 3 */
#define CONF_STR_(x) #x
#define CONF_STR(x) CONF_STR_(x)

enum conf_ctx {
	CTX_TOP,
	CTX_VIP,
	CTX_REGISTRAR,
	CTX_AUTH,
	CTX_HEALTH,
	CTX_GUARD,
	CTX_POLICY,
	CTX_WORKER,
	CTX_CLUSTER,
};

static const char *const ctx_names[] = {
	[CTX_TOP] = "top level",
	[CTX_VIP] = "vip",
	[CTX_REGISTRAR] = "registrar",
	[CTX_AUTH] = "auth",
	[CTX_HEALTH] = "health",
	[CTX_GUARD] = "guard",
	[CTX_POLICY] = "policy",
	[CTX_WORKER] = "worker",
	[CTX_CLUSTER] = "cluster",
};

struct directive;

struct parser {
	const char *name;		/* the file, for messages */
	struct siplb_conf *conf;
	char *err;
	size_t errlen;
	unsigned int line;
	enum conf_ctx ctx;
	unsigned int block_line;	/* where the open block began */
	unsigned int seen[96];		/* per directive: first line, 0 = no */
	unsigned int iface_line[CONF_MAX_INTERFACES];
	unsigned int budget_line[SIPLB_METHOD_CLASSES];
	unsigned int scanner_line[SIPLB_SCANNER_MAX];
	size_t nbackends;		/* in all VIPs: one id space */
	const struct directive *dir;	/* the directive being handled... */
	char **argv;			/* ...its arguments */
	int argc;
};

/* A handler parses p->argv[0..p->argc-1], the words after the keyword. */
typedef int (*directive_fn)(struct parser *p);

struct directive {
	const char *keyword;
	enum conf_ctx ctx;		/* where it may appear */
	unsigned char min_args, max_args;
	bool block;			/* opens a block: `keyword args {` */
	enum conf_ctx opens;		/* block: the context inside it */
	bool repeatable;
	directive_fn handle;		/* NULL: nothing to do but open */
	size_t field;			/* numbers: offset in siplb_conf */
	__u32 min, max;			/* numbers: the range, inclusive */
};

static int fail_at(struct parser *p, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct parser *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

#define fail(p, ...) fail_at((p), (p)->line, __VA_ARGS__)

/* Decimal digits only: "0x10", "+5", "-1" and "1e3" are typos here. */
static int parse_u32(const char *s, __u32 *out)
{
	unsigned long long val = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		val = val * 10 + (unsigned)(*s - '0');
		if (val > 0xffffffffULL)
			return -ERANGE;
	}
	*out = (__u32)val;
	return 0;
}

static int parse_number(struct parser *p, const char *what, const char *s,
			__u32 min, __u32 max, __u32 *out)
{
	__u32 val;
	int err = parse_u32(s, &val);

	if (err == -EINVAL)
		return fail(p, "%s: '%s' is not a number", what, s);
	if (err || val < min || val > max)
		return fail(p, "%s: %s is out of range %u..%u", what, s, min,
			    max);
	*out = val;
	return 0;
}

static int copy_string(struct parser *p, const char *what, const char *s,
		       char *dst, size_t size)
{
	size_t len = strlen(s);

	if (len >= size)
		return fail(p, "%s: longer than %zu bytes", what, size - 1);
	memcpy(dst, s, len + 1);
	return 0;
}

/* A number directive: the table gives the field and its range. */
static int handle_number(struct parser *p)
{
	const struct directive *d = p->dir;
	__u32 *field = (__u32 *)((char *)p->conf + d->field);

	return parse_number(p, d->keyword, p->argv[0], d->min, d->max, field);
}

/* Absolute, because the daemon changes to "/" once it is running. */
static int copy_absolute(struct parser *p, const char *what, const char *s,
			 char *dst, size_t size)
{
	if (s[0] != '/')
		return fail(p, "%s: '%s' is not an absolute path", what, s);
	return copy_string(p, what, s, dst, size);
}

static int handle_pin_dir(struct parser *p)
{
	return copy_absolute(p, "pin-dir", p->argv[0], p->conf->pin_dir,
			     sizeof(p->conf->pin_dir));
}

/* state-file PATH [SECONDS]: where siplbd keeps a copy of the bindings
 * for a reboot (user/siplbd/state_file.h), and how often it may rewrite it. */
static int handle_state_file(struct parser *p)
{
	struct siplb_conf *c = p->conf;
	int err;

	err = copy_absolute(p, "state-file", p->argv[0], c->state_path,
			    sizeof(c->state_path));
	if (err || p->argc < 2)
		return err;
	return parse_number(p, "state-file interval", p->argv[1], 1,
			    CONF_SECONDS_MAX, &c->state_interval);
}

/* metrics ADDR:PORT: where siplbd serves /metrics (user/siplbd/metrics.h). */
static int handle_metrics(struct parser *p)
{
	if (endpoint_parse(p->argv[0], &p->conf->metrics))
		return fail(p, "metrics: '%s' is not ADDRESS:PORT or "
			    "[IPV6]:PORT", p->argv[0]);
	p->conf->metrics_on = true;
	return 0;
}

static int parse_on_off(struct parser *p, bool *out);

static int handle_xdp_replace(struct parser *p)
{
	return parse_on_off(p, &p->conf->xdp_replace);
}

static int handle_control_socket(struct parser *p)
{
	return copy_absolute(p, "control-socket", p->argv[0],
			     p->conf->control_socket,
			     sizeof(p->conf->control_socket));
}

/* The kernel's dev_valid_name(): such a name could never be attached. */
static bool ifname_valid(const char *name)
{
	return strcmp(name, ".") && strcmp(name, "..") &&
	       !strpbrk(name, "/:");
}

static int handle_interface(struct parser *p)
{
	struct siplb_conf *c = p->conf;
	const char *name = p->argv[0];
	size_t i;

	if (strlen(name) >= IFNAMSIZ)
		return fail(p, "interface: '%s' is longer than %d characters",
			    name, IFNAMSIZ - 1);
	if (!ifname_valid(name))
		return fail(p, "interface: '%s' is not a valid interface name",
			    name);
	for (i = 0; i < c->ninterfaces; i++)
		if (!strcmp(c->interfaces[i], name))
			return fail(p, "interface %s: given twice "
				    "(first at line %u)", name,
				    p->iface_line[i]);
	if (c->ninterfaces == CONF_MAX_INTERFACES)
		return fail(p, "interface %s: more than %d interfaces", name,
			    CONF_MAX_INTERFACES);
	strcpy(c->interfaces[c->ninterfaces], name);
	p->iface_line[c->ninterfaces++] = p->line;
	return 0;
}

static int handle_xdp_mode(struct parser *p)
{
	static const enum attach_mode modes[] = {
		ATTACH_AUTO, ATTACH_NATIVE, ATTACH_GENERIC
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!strcmp(p->argv[0], conf_xdp_mode_name(modes[i]))) {
			p->conf->xdp_mode = modes[i];
			return 0;
		}
	}
	return fail(p, "xdp-mode: '%s' is not auto, native or generic",
		    p->argv[0]);
}

/*
 * A list of Digest algorithms, most preferred first, from words
 * [first, argc) of the line; what names the directive in errors.
 */
static int parse_alg_list(struct parser *p, const char *what, int first,
			  struct digest_alg_list *list)
{
	enum digest_alg alg;
	bool sess = false;
	size_t i;
	int a;

	list->n = 0;
	for (a = first; a < p->argc; a++) {
		if (digest_alg_parse(p->argv[a], strlen(p->argv[a]), &alg,
				     &sess) || sess)
			return fail(p, "%s: '%s' is not MD5, SHA-256 "
				    "or SHA-512-256", what, p->argv[a]);
		if (!digest_alg_available(alg))
			return fail(p, "%s: %s is not available in "
				    "this OpenSSL", what, p->argv[a]);
		for (i = 0; i < list->n; i++)
			if (list->algs[i] == alg)
				return fail(p, "%s: %s given twice", what,
					    p->argv[a]);
		list->algs[list->n++] = alg;
	}
	return 0;
}

/*
 * Digest algorithms to challenge with, most preferred first, for clients
 * no user-agent-algorithms line names (digest_policy.h says why MD5
 * alone is the default).
 */
static int handle_algorithms(struct parser *p)
{
	return parse_alg_list(p, "algorithms", 0, &p->conf->auth.digest.dflt);
}

/* `user-agent-algorithms PATTERN ALG...`: checked in file order. */
static int handle_ua_algorithms(struct parser *p)
{
	struct digest_policy *d = &p->conf->auth.digest;
	struct digest_ua_rule *rule;
	const char *pattern = p->argv[0];
	size_t i;

	if (d->nrules == DIGEST_POLICY_RULES_MAX)
		return fail(p, "user-agent-algorithms: more than %d lines",
			    DIGEST_POLICY_RULES_MAX);
	if (strlen(pattern) > DIGEST_POLICY_PATTERN_MAX)
		return fail(p, "user-agent-algorithms: pattern '%s' is "
			    "longer than %d bytes", pattern,
			    DIGEST_POLICY_PATTERN_MAX);
	for (i = 0; i < d->nrules; i++)
		if (!strcasecmp(d->rules[i].pattern, pattern))
			return fail(p, "user-agent-algorithms: pattern '%s' "
				    "given twice", pattern);
	rule = &d->rules[d->nrules];
	memcpy(rule->pattern, pattern, strlen(pattern) + 1);
	if (parse_alg_list(p, "user-agent-algorithms", 1, &rule->list))
		return -EINVAL;
	d->nrules++;
	return 0;
}

/*
 * The realm is sent inside a quoted-string (WWW-Authenticate: Digest
 * realm="..."), where '"' and '\' would need escaping that clients get
 * wrong; control characters never reach here (see check_bytes()).
 */
static int handle_realm(struct parser *p)
{
	const char *realm = p->argv[0];

	if (strpbrk(realm, "\"\\"))
		return fail(p, "realm: '%s' contains '\"' or '\\'", realm);
	return copy_string(p, "realm", realm, p->conf->realm,
			   sizeof(p->conf->realm));
}

/* A relative file is next to the config, not in the cwd. */
static int config_relative(struct parser *p, const char *kw, char *out,
			   size_t size)
{
	const char *file = p->argv[0], *slash = strrchr(p->name, '/');
	int dirlen, n;

	if (file[0] == '/' || !slash)
		return copy_string(p, kw, file, out, size);
	dirlen = (int)(slash - p->name);
	n = snprintf(out, size, "%.*s/%s", dirlen, p->name, file);
	if (n < 0 || (size_t)n >= size)
		return fail(p, "%s: path longer than %zu bytes", kw, size - 1);
	return 0;
}

static int handle_users(struct parser *p)
{
	return config_relative(p, "users", p->conf->users_path,
			       sizeof(p->conf->users_path));
}

/* Read now, so that -n says whether the workers will be able to. */
static int handle_dialog_secret(struct parser *p)
{
	static struct secret key;	/* large; wiped at once */
	char why[PATH_MAX + 128];
	int err;

	err = config_relative(p, "dialog-secret-file",
			      p->conf->dialog_secret_path,
			      sizeof(p->conf->dialog_secret_path));
	if (err)
		return err;
	err = secret_load(p->conf->dialog_secret_path, &key, why, sizeof(why));
	secret_wipe(&key);
	if (err)
		return fail(p, "dialog-secret-file: %s", why);
	return 0;
}

/* Where an endpoint is already used, as a VIP or a backend; or NULL. */
static const struct conf_vip *find_vip(const struct siplb_conf *c,
				       const struct siplb_endpoint *ep)
{
	size_t i;

	for (i = 0; i < c->nvips; i++)
		if (endpoint_equal(&c->vips[i].ep, ep))
			return &c->vips[i];
	return NULL;
}

static const struct conf_backend *find_backend(const struct siplb_conf *c,
					       const struct siplb_endpoint *ep,
					       const struct conf_vip **vip)
{
	size_t i, j;

	for (i = 0; i < c->nvips; i++) {
		for (j = 0; j < c->vips[i].nbackends; j++) {
			if (endpoint_equal(&c->vips[i].backends[j].ep, ep)) {
				*vip = &c->vips[i];
				return &c->vips[i].backends[j];
			}
		}
	}
	return NULL;
}

static int handle_vip(struct parser *p)
{
	struct siplb_conf *c = p->conf;
	const struct conf_backend *be;
	const struct conf_vip *other;
	struct siplb_endpoint ep;
	struct conf_vip *vips;
	const char *text = p->argv[0];

	if (endpoint_parse(text, &ep))
		return fail(p, "vip: '%s' is not ADDRESS:PORT or [IPV6]:PORT",
			    text);
	other = find_vip(c, &ep);
	if (other)
		return fail(p, "vip %s: given twice (first at line %u)",
			    text, other->line);
	be = find_backend(c, &ep, &other);
	if (be)
		return fail(p, "vip %s: already a backend (line %u)", text,
			    be->line);
	if (c->nvips == SIPLB_MAX_VIPS)
		return fail(p, "vip %s: more than %d VIPs", text,
			    SIPLB_MAX_VIPS);
	vips = reallocarray(c->vips, c->nvips + 1, sizeof(*vips));
	if (!vips)
		return -ENOMEM;
	c->vips = vips;
	memset(&vips[c->nvips], 0, sizeof(vips[0]));
	vips[c->nvips].ep = ep;
	vips[c->nvips].line = p->line;
	c->nvips++;
	return 0;
}

/* `backend EP` or `backend EP weight N`. */
static int parse_weight(struct parser *p, __u32 *weight)
{
	char **argv = p->argv;

	*weight = 1;
	if (p->argc == 1)
		return 0;
	if (strcmp(argv[1], "weight"))
		return fail(p, "backend %s: unknown option '%s' "
			    "(expected weight)", argv[0], argv[1]);
	if (p->argc == 2)
		return fail(p, "backend %s: weight: missing value", argv[0]);
	return parse_number(p, "weight", argv[2], 1, SIPLB_WEIGHT_MAX, weight);
}

/* A backend endpoint belongs to one VIP: replies are SNATed to it. */
static int check_backend_unique(struct parser *p, const char *text,
				const struct siplb_endpoint *ep)
{
	const struct conf_backend *be;
	const struct conf_vip *vip;
	char buf[ENDPOINT_STRLEN];

	be = find_backend(p->conf, ep, &vip);
	if (be)
		return fail(p, "backend %s: already a backend of vip %s "
			    "(line %u)", text,
			    endpoint_format(&vip->ep, buf, sizeof(buf)),
			    be->line);
	vip = find_vip(p->conf, ep);
	if (vip)
		return fail(p, "backend %s: is a VIP (line %u)", text,
			    vip->line);
	return 0;
}

static int handle_backend(struct parser *p)
{
	struct conf_vip *vip = &p->conf->vips[p->conf->nvips - 1];
	struct conf_backend *bes;
	struct siplb_endpoint ep;
	const char *text = p->argv[0];
	__u32 weight;
	int err;

	if (endpoint_parse(text, &ep))
		return fail(p, "backend: '%s' is not ADDRESS:PORT or "
			    "[IPV6]:PORT", text);
	err = parse_weight(p, &weight);
	if (err)
		return err;
	if (ep.family != vip->ep.family)
		return fail(p, "backend %s: address family differs from "
			    "its VIP's", text);
	err = check_backend_unique(p, text, &ep);
	if (err)
		return err;
	/* Backend id 0 means "none" in the maps. */
	if (p->nbackends == SIPLB_MAX_BACKENDS - 1)
		return fail(p, "backend %s: more than %d backends in all",
			    text, SIPLB_MAX_BACKENDS - 1);
	bes = reallocarray(vip->backends, vip->nbackends + 1, sizeof(*bes));
	if (!bes)
		return -ENOMEM;
	vip->backends = bes;
	bes[vip->nbackends].ep = ep;
	bes[vip->nbackends].weight = weight;
	bes[vip->nbackends].line = p->line;
	vip->nbackends++;
	p->nbackends++;
	return 0;
}

/* ---- event servers: SUBSCRIBE/PUBLISH per package (the workers') ----- */

/* `event-server PACKAGE ADDR:PORT`: a token, once per package (any case). */
static int handle_event_server(struct parser *p)
{
	struct siplb_conf *c = p->conf;
	struct conf_event_server *e;
	const char *pkg = p->argv[0];
	size_t i;

	if (strlen(pkg) >= CONF_EVENT_PACKAGE_MAX ||
	    strspn(pkg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789-.!%*_+`'~") != strlen(pkg))
		return fail(p, "event-server: '%s' is not an event package "
			    "name (a token of up to %d bytes)", pkg,
			    CONF_EVENT_PACKAGE_MAX - 1);
	for (i = 0; i < c->nevent_servers; i++)
		if (!strcasecmp(c->event_servers[i].package, pkg))
			return fail(p, "event-server %s: given twice (first "
				    "at line %u)", pkg,
				    c->event_servers[i].line);
	if (c->nevent_servers == CONF_EVENT_SERVERS_MAX)
		return fail(p, "event-server %s: more than %d packages", pkg,
			    CONF_EVENT_SERVERS_MAX);
	e = &c->event_servers[c->nevent_servers];
	if (endpoint_parse(p->argv[1], &e->server))
		return fail(p, "event-server %s: '%s' is not ADDRESS:PORT or "
			    "[IPV6]:PORT", pkg, p->argv[1]);
	strcpy(e->package, pkg);
	e->line = p->line;
	c->nevent_servers++;
	return 0;
}

/* ---- guard: floods and scanners (include/siplb_guard.h) ---------------- */

static unsigned int seen_line(const struct parser *p, const char *keyword);

/*
 * User-Agent values that SIP scanners and war-dialers send by default, as
 * operators' block lists name them: SIPVicious (svmap, svwar, svcrack:
 * "friendly-scanner", newer releases "sipvicious"), sipcli, the
 * VaxSIPUserAgent SDK used by many scanning scripts, the sundayddr worm,
 * iWar, sip-scan, SiVuS, smap and pplsip. Matched as prefixes, any case.
 * Phones and test tools (sipsak, sipp) are deliberately not here.
 */
const char *const conf_builtin_scanners[] = {
	"friendly-scanner", "sipvicious", "sipcli", "VaxSIPUserAgent",
	"sundayddr", "iWar", "sip-scan", "SIVuS", "smap", "pplsip",
};
const size_t conf_nbuiltin_scanners = ARRAY_SIZE(conf_builtin_scanners);

static const char *const method_class_names[SIPLB_METHOD_CLASSES] = {
	[SIPLB_METHOD_REGISTER] = "REGISTER",
	[SIPLB_METHOD_INVITE] = "INVITE",
	[SIPLB_METHOD_OPTIONS] = "OPTIONS",
	[SIPLB_METHOD_OTHER] = "other",
};

static int parse_on_off(struct parser *p, bool *out)
{
	if (!strcmp(p->argv[0], "on"))
		*out = true;
	else if (!strcmp(p->argv[0], "off"))
		*out = false;
	else
		return fail(p, "%s: '%s' is not on or off", p->dir->keyword,
			    p->argv[0]);
	return 0;
}

static int handle_xdp_challenge(struct parser *p)
{
	return parse_on_off(p, &p->conf->auth.xdp_challenge);
}

static int handle_strict(struct parser *p)
{
	return parse_on_off(p, &p->conf->guard.strict);
}

static int handle_passive(struct parser *p)
{
	return parse_on_off(p, &p->conf->health.passive);
}

/* One word of alive-codes: CODE or LO-HI, '!' in front to take it out. */
static int parse_code_range(struct parser *p, const char *w,
			    struct status_set *set)
{
	unsigned int lo, hi;
	bool on = w[0] != '!';
	char tail;
	int n;

	if (!on)
		w++;
	n = sscanf(w, "%3u-%3u%c", &lo, &hi, &tail);
	if (n == 1 && strspn(w, "0123456789") == strlen(w))
		hi = lo;
	else if (n != 2 || strspn(w, "0123456789-") != strlen(w))
		return fail(p, "alive-codes: '%s' is not CODE or LO-HI", w);
	if (lo < STATUS_SET_MIN || hi > STATUS_SET_MAX || lo > hi)
		return fail(p, "alive-codes: '%s' is not within %u..%u", w,
			    STATUS_SET_MIN, STATUS_SET_MAX);
	status_set_put(set, lo, hi, on);
	return 0;
}

/* alive-codes SPEC...: the set starts empty and each word adds or (with
 * '!') removes codes, in order: `alive-codes 200-499 !408`. */
static int handle_alive_codes(struct parser *p)
{
	struct status_set set = {};
	int i, err;

	for (i = 0; i < p->argc; i++) {
		err = parse_code_range(p, p->argv[i], &set);
		if (err)
			return err;
	}
	p->conf->health.alive = set;
	return 0;
}

static int handle_block_scanners(struct parser *p)
{
	return parse_on_off(p, &p->conf->guard.block_scanners);
}

/* RATE BURST, or off; what names the budget in messages (NULL: the
 * directive). */
static int parse_rate_burst(struct parser *p, struct siplb_budget_conf *b,
			    char **argv, int argc, const char *what)
{
	const char *kw = p->dir->keyword, *sep = what ? " " : "";

	if (argc == 1 && !strcmp(argv[0], "off")) {
		b->rate = b->burst = 0;
		return 0;
	}
	if (argc != 2)
		return fail(p, "%s%s%s: expected RATE BURST or off", kw, sep,
			    what ? what : "");
	if (parse_number(p, what ? "budget rate" : "registered-budget rate",
			 argv[0], 1, SIPLB_BUDGET_RATE_MAX, &b->rate))
		return -EINVAL;
	return parse_number(p, what ? "budget burst" :
			    "registered-budget burst", argv[1], 1,
			    SIPLB_BUDGET_BURST_MAX, &b->burst);
}

/* `budget CLASS RATE BURST` or `budget CLASS off`. */
static int handle_budget(struct parser *p)
{
	struct siplb_budget_conf *b;
	const char *cls = p->argv[0];
	int i;

	for (i = 0; i < SIPLB_METHOD_CLASSES; i++)
		if (!strcmp(cls, method_class_names[i]))
			break;
	if (i == SIPLB_METHOD_CLASSES)
		return fail(p, "budget: '%s' is not REGISTER, INVITE, OPTIONS "
			    "or other", cls);
	if (p->budget_line[i])
		return fail(p, "budget %s: given twice (first at line %u)",
			    cls, p->budget_line[i]);
	p->budget_line[i] = p->line;
	b = &p->conf->guard.budget[i];
	return parse_rate_burst(p, b, p->argv + 1, p->argc - 1, cls);
}

/* `registered-budget RATE BURST` or `registered-budget off`. */
static int handle_registered_budget(struct parser *p)
{
	return parse_rate_burst(p, &p->conf->guard.registered, p->argv,
				p->argc, NULL);
}

/* A signature: 1..16 printable bytes (no blanks: the format has none). */
static int add_scanner(struct parser *p, const char *sig)
{
	struct siplb_conf *c = p->conf;
	size_t i;

	if (strlen(sig) > SIPLB_SCANNER_LEN)
		return fail(p, "scanner: '%s' is longer than %d bytes", sig,
			    SIPLB_SCANNER_LEN);
	for (i = 0; i < c->guard.nscanners; i++)
		if (!strcasecmp(c->guard.scanners[i], sig))
			return fail(p, "scanner %s: given twice (first at "
				    "line %u)", sig, p->scanner_line[i]);
	if (c->guard.nscanners == SIPLB_SCANNER_MAX)
		return fail(p, "scanner %s: more than %d signatures (%zu "
			    "built in)", sig, SIPLB_SCANNER_MAX,
			    conf_nbuiltin_scanners);
	strcpy(c->guard.scanners[c->guard.nscanners], sig);
	p->scanner_line[c->guard.nscanners++] = p->line;
	return 0;
}

static int handle_scanner(struct parser *p)
{
	return add_scanner(p, p->argv[0]);
}

/* ADDRESS or ADDRESS/LEN, IPv4 or IPv6; host bits must be zero. */
static int handle_trunk(struct parser *p)
{
	struct siplb_conf *c = p->conf;
	struct conf_trunk *t;
	struct siplb_trunk_key key = {};
	char addr[INET6_ADDRSTRLEN], *slash;
	const char *text = p->argv[0];
	__u32 plen, max, bit;
	size_t i;

	if (strlen(text) >= sizeof(addr))
		return fail(p, "trunk: '%s' is not ADDRESS[/LEN]", text);
	strcpy(addr, text);
	slash = strchr(addr, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, addr, key.addr) == 1) {
		key.family = SIPLB_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, key.addr) == 1) {
		key.family = SIPLB_AF_INET6;
		max = 128;
	} else {
		return fail(p, "trunk: '%s' is not ADDRESS[/LEN]", text);
	}
	plen = max;
	if (slash && parse_number(p, "trunk prefix length", slash + 1, 0, max,
				  &plen))
		return -EINVAL;
	for (bit = plen; bit < max; bit++)
		if (key.addr[bit / 8] & (0x80 >> (bit % 8)))
			return fail(p, "trunk %s: address has bits set beyond "
				    "/%u", text, plen);
	key.prefixlen = 8 + plen;
	for (i = 0; i < c->guard.ntrunks; i++)
		if (!memcmp(&c->guard.trunks[i].key, &key, sizeof(key)))
			return fail(p, "trunk %s: given twice (first at line "
				    "%u)", text, c->guard.trunks[i].line);
	if (c->guard.ntrunks == SIPLB_TRUNKS_SIZE)
		return fail(p, "trunk %s: more than %d trunk prefixes", text,
			    SIPLB_TRUNKS_SIZE);
	t = reallocarray(c->guard.trunks, c->guard.ntrunks + 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	c->guard.trunks = t;
	t[c->guard.ntrunks].key = key;
	t[c->guard.ntrunks].line = p->line;
	c->guard.ntrunks++;
	return 0;
}

/* ---- the policy block ---------------------------------------------------- */

static int handle_caller_auth(struct parser *p)
{
	return parse_on_off(p, &p->conf->policy.caller_auth);
}

static int handle_relay(struct parser *p)
{
	if (!strcmp(p->argv[0], "off"))
		p->conf->policy.relay = CONF_RELAY_OFF;
	else if (!strcmp(p->argv[0], "authenticated"))
		p->conf->policy.relay = CONF_RELAY_AUTHENTICATED;
	else
		return fail(p, "relay: '%s' is not off or authenticated",
			    p->argv[0]);
	return 0;
}

static int handle_inbound(struct parser *p)
{
	if (!strcmp(p->argv[0], "from-anyone"))
		p->conf->policy.inbound = CONF_INBOUND_FROM_ANYONE;
	else if (!strcmp(p->argv[0], "authenticated"))
		p->conf->policy.inbound = CONF_INBOUND_AUTHENTICATED;
	else
		return fail(p, "inbound: '%s' is not from-anyone or "
			    "authenticated", p->argv[0]);
	return 0;
}

/* A user name as the users file and a From URI's user part have it. */
static int check_alias_name(struct parser *p, const char *name)
{
	if (strlen(name) >= CONF_ALIAS_NAME_MAX)
		return fail(p, "alias: '%.20s...' is longer than %d bytes",
			    name, CONF_ALIAS_NAME_MAX - 1);
	if (strpbrk(name, "@:;<>\"'"))
		return fail(p, "alias: '%s' is not a user name (no @ : ; < > "
			    "or quotes)", name);
	return 0;
}

/* `alias USER ALIAS...`: USER, authenticated, may call as each ALIAS. */
static int handle_alias(struct parser *p)
{
	typeof(p->conf->policy) *pol = &p->conf->policy;
	struct conf_alias *a;
	size_t i;
	int k, err = check_alias_name(p, p->argv[0]);

	for (k = 1; k < p->argc && !err; k++) {
		err = check_alias_name(p, p->argv[k]);
		for (i = 0; i < pol->naliases && !err; i++)
			if (!strcmp(pol->aliases[i].user, p->argv[0]) &&
			    !strcmp(pol->aliases[i].alias, p->argv[k]))
				err = fail(p, "alias %s %s: given twice (first "
					   "at line %u)", p->argv[0],
					   p->argv[k], pol->aliases[i].line);
		if (!err && pol->naliases == CONF_ALIASES_MAX)
			err = fail(p, "alias: more than %d aliases",
				   CONF_ALIASES_MAX);
		if (err)
			break;
		a = reallocarray(pol->aliases, pol->naliases + 1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		pol->aliases = a;
		a += pol->naliases++;
		strcpy(a->user, p->argv[0]);
		strcpy(a->alias, p->argv[k]);
		a->line = p->line;
	}
	return err;
}

/* ---- the cluster block ---------------------------------------------------- */

static int handle_cluster(struct parser *p)
{
	p->conf->cluster.enabled = true;
	return 0;
}

/* A name for logs and, later, keys in a shared store: no blanks, no ':'. */
static int handle_node(struct parser *p)
{
	const char *name = p->argv[0];
	const char *s;

	for (s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			return fail(p, "node: '%s' has a character other than "
				    "letters, digits, '.', '_' and '-'", name);
	return copy_string(p, "node", name, p->conf->cluster.node,
			   sizeof(p->conf->cluster.node));
}

static int handle_secret_file(struct parser *p)
{
	p->conf->cluster.secret_line = p->line;
	return copy_absolute(p, "secret-file", p->argv[0],
			     p->conf->cluster.secret_path,
			     sizeof(p->conf->cluster.secret_path));
}

static int handle_redis(struct parser *p)
{
	if (endpoint_parse(p->argv[0], &p->conf->cluster.redis_ep))
		return fail(p, "redis: '%s' is not ADDRESS:PORT or "
			    "[IPV6]:PORT", p->argv[0]);
	p->conf->cluster.redis = true;
	return 0;
}

/* The two things every node must have to agree with the others. */
static int close_cluster(struct parser *p)
{
	unsigned int line = seen_line(p, "cluster");

	if (!p->conf->cluster.node[0])
		return fail_at(p, line, "cluster: node missing (required)");
	if (!p->conf->cluster.secret_path[0])
		return fail_at(p, line, "cluster: secret-file missing "
			       "(required)");
	return 0;
}

/* block-scanners on: the built-in signatures first, then the file's. */
static int close_guard(struct parser *p)
{
	typeof(p->conf->guard) *g = &p->conf->guard;
	char own[SIPLB_SCANNER_MAX][SIPLB_SCANNER_LEN + 1];
	unsigned int own_line[SIPLB_SCANNER_MAX];
	size_t nown = g->nscanners, i;
	unsigned int line = p->line;
	int err = 0;

	if (!g->block_scanners) {
		if (nown)
			return fail_at(p, p->scanner_line[0], "scanner: "
				       "block-scanners is not on");
		return 0;
	}
	memcpy(own, g->scanners, sizeof(own));
	memcpy(own_line, p->scanner_line, sizeof(own_line));
	g->nscanners = 0;
	for (i = 0; i < conf_nbuiltin_scanners; i++) {
		strcpy(g->scanners[i], conf_builtin_scanners[i]);
		p->scanner_line[i] = seen_line(p, "block-scanners");
	}
	g->nscanners = conf_nbuiltin_scanners;
	for (i = 0; i < nown && !err; i++) {
		p->line = own_line[i];	/* errors name the scanner's line */
		err = add_scanner(p, own[i]);
	}
	p->line = line;
	return err;
}


/* ---- worker NAME { ... }: siplb-worker -n NAME ------------------------- */

/* A name systemd can carry as an instance (siplb-worker@NAME), unescaped. */
static bool worker_name_valid(const char *name)
{
	return name[0] && name[0] != '.' &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_.-") == strlen(name);
}

static struct conf_worker *cur_worker(struct parser *p)
{
	return &p->conf->workers[p->conf->nworkers - 1];
}

static int handle_worker(struct parser *p)
{
	struct siplb_conf *c = p->conf;
	const struct conf_worker *other;
	const char *name = p->argv[0];
	struct conf_worker *ws;

	if (strlen(name) >= CONF_WORKER_NAME_MAX || !worker_name_valid(name))
		return fail(p, "worker: '%s' is not a name of 1..%d letters, "
			    "digits, '_', '.' or '-'", name,
			    CONF_WORKER_NAME_MAX - 1);
	other = conf_find_worker(c, name);
	if (other)
		return fail(p, "worker %s: given twice (first at line %u)",
			    name, other->line);
	if (c->nworkers == CONF_WORKERS_MAX)
		return fail(p, "worker %s: more than %d workers", name,
			    CONF_WORKERS_MAX);
	ws = reallocarray(c->workers, c->nworkers + 1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	c->workers = ws;
	memset(&ws[c->nworkers], 0, sizeof(ws[0]));
	strcpy(ws[c->nworkers].name, name);
	ws[c->nworkers].line = p->line;
	c->nworkers++;
	return 0;
}

static int handle_worker_listen(struct parser *p)
{
	struct conf_worker *w = cur_worker(p);
	const char *text = p->argv[0];
	size_t i;

	if (endpoint_parse(text, &w->listen_ep) || !w->listen_ep.port)
		return fail(p, "listen: '%s' is not ADDRESS:PORT or "
			    "[IPV6]:PORT", text);
	for (i = 0; i + 1 < p->conf->nworkers; i++)
		if (endpoint_equal(&p->conf->workers[i].listen_ep,
				   &w->listen_ep))
			return fail(p, "listen %s: already worker %s's (line "
				    "%u)", text, p->conf->workers[i].name,
				    p->conf->workers[i].line);
	return copy_string(p, "listen", text, w->listen, sizeof(w->listen));
}

static int handle_worker_domain(struct parser *p)
{
	return copy_string(p, "domain", p->argv[0], cur_worker(p)->domain,
			   sizeof(cur_worker(p)->domain));
}

/* HOST:PORT, a name looked up when the worker starts. */
static int handle_worker_record_route(struct parser *p)
{
	const char *text = p->argv[0], *colon = strrchr(text, ':');
	__u32 port;

	if (!colon || colon == text || parse_u32(colon + 1, &port) ||
	    port == 0 || port > 65535)
		return fail(p, "record-route: '%s' is not HOST:PORT", text);
	return copy_string(p, "record-route", text,
			   cur_worker(p)->record_route,
			   sizeof(cur_worker(p)->record_route));
}

static int handle_worker_send_from(struct parser *p)
{
	struct siplb_endpoint ep;
	const char *text = p->argv[0];

	if (strcmp(text, "off") && endpoint_parse(text, &ep))
		return fail(p, "send-from: '%s' is not ADDRESS:PORT, "
			    "[IPV6]:PORT or off", text);
	return copy_string(p, "send-from", text, cur_worker(p)->send_from,
			   sizeof(cur_worker(p)->send_from));
}

static int handle_worker_number(struct parser *p)
{
	const struct directive *d = p->dir;
	__u32 *field = (__u32 *)((char *)cur_worker(p) + d->field);

	return parse_number(p, d->keyword, p->argv[0], d->min, d->max, field);
}

/* 0 is a value here (ring only after every phone of a q failed), so
 * whether the line was given is kept apart from the number. */
static int handle_worker_fork_group(struct parser *p)
{
	struct conf_worker *w = cur_worker(p);
	int err;

	err = parse_number(p, p->dir->keyword, p->argv[0], p->dir->min,
			   p->dir->max, &w->fork_group_timeout);
	if (!err)
		w->fork_group_timeout_set = true;
	return err;
}

/* listen and domain are what the worker cannot do without. */
static int close_worker(struct parser *p)
{
	const struct conf_worker *w = cur_worker(p);

	if (!w->listen[0])
		return fail_at(p, w->line, "worker %s: listen: missing "
			       "(required)", w->name);
	if (!w->domain[0])
		return fail_at(p, w->line, "worker %s: domain: missing "
			       "(required)", w->name);
	if (w->send_from[0] && strcmp(w->send_from, "off")) {
		struct siplb_endpoint ep;

		endpoint_parse(w->send_from, &ep);
		if (ep.family != w->listen_ep.family)
			return fail_at(p, w->line, "worker %s: send-from %s: "
				       "address family differs from listen's",
				       w->name, w->send_from);
	}
	return 0;
}

const struct conf_worker *conf_find_worker(const struct siplb_conf *conf,
					   const char *name)
{
	size_t i;

	for (i = 0; i < conf->nworkers; i++)
		if (!strcmp(conf->workers[i].name, name))
			return &conf->workers[i];
	return NULL;
}

#define WORKER_NUMBER(kw, member, lo, hi)                                     \
	{ .keyword = kw, .ctx = CTX_WORKER, .min_args = 1, .max_args = 1,     \
	  .handle = handle_worker_number,                                     \
	  .field = offsetof(struct conf_worker, member), .min = lo, .max = hi }
#define NUMBER(kw, where, member, lo, hi)                                     \
	{ .keyword = kw, .ctx = where, .min_args = 1, .max_args = 1,          \
	  .handle = handle_number,                                            \
	  .field = offsetof(struct siplb_conf, member), .min = lo, .max = hi }
#define STRING(kw, fn)                                                        \
	{ .keyword = kw, .ctx = CTX_TOP, .min_args = 1, .max_args = 1,        \
	  .handle = fn }
#define BLOCK(kw, nargs, inside, repeat, fn)                                  \
	{ .keyword = kw, .ctx = CTX_TOP, .min_args = nargs,                   \
	  .max_args = nargs, .block = true, .opens = inside,                  \
	  .repeatable = repeat, .handle = fn }

static const struct directive directives[] = {
	STRING("pin-dir", handle_pin_dir),
	{ .keyword = "interface", .ctx = CTX_TOP, .min_args = 1, .max_args = 1,
	  .repeatable = true, .handle = handle_interface },
	STRING("xdp-mode", handle_xdp_mode),
	STRING("xdp-replace", handle_xdp_replace),
	STRING("metrics", handle_metrics),
	NUMBER("affinity-size", CTX_TOP, affinity_size, 1, CONF_AFFINITY_MAX),
	STRING("control-socket", handle_control_socket),
	{ .keyword = "state-file", .ctx = CTX_TOP, .min_args = 1,
	  .max_args = 2, .handle = handle_state_file },
	STRING("realm", handle_realm),
	STRING("users", handle_users),
	{ .keyword = "event-server", .ctx = CTX_TOP, .min_args = 2,
	  .max_args = 2, .repeatable = true, .handle = handle_event_server },
	STRING("dialog-secret-file", handle_dialog_secret),
	BLOCK("vip", 1, CTX_VIP, true, handle_vip),
	{ .keyword = "backend", .ctx = CTX_VIP, .min_args = 1, .max_args = 3,
	  .repeatable = true, .handle = handle_backend },
	BLOCK("registrar", 0, CTX_REGISTRAR, false, NULL),
	NUMBER("default-expires", CTX_REGISTRAR, registrar.default_expires,
	       1, CONF_EXPIRES_MAX),
	NUMBER("min-expires", CTX_REGISTRAR, registrar.min_expires,
	       1, CONF_EXPIRES_MAX),
	NUMBER("max-expires", CTX_REGISTRAR, registrar.max_expires,
	       1, CONF_EXPIRES_MAX),
	NUMBER("max-contacts", CTX_REGISTRAR, registrar.max_contacts,
	       1, SIPLB_CONTACTS_MAX),
	NUMBER("max-bindings", CTX_REGISTRAR, registrar.max_bindings,
	       1, CONF_BINDINGS_MAX),
	BLOCK("auth", 0, CTX_AUTH, false, NULL),
	NUMBER("nonce-lifetime", CTX_AUTH, auth.nonce_lifetime,
	       1, CONF_SECONDS_MAX),
	NUMBER("block-threshold", CTX_AUTH, auth.block_threshold,
	       1, CONF_THRESHOLD_MAX),
	NUMBER("block-window", CTX_AUTH, auth.block_window,
	       1, CONF_SECONDS_MAX),
	NUMBER("block-time", CTX_AUTH, auth.block_time, 0, CONF_EXPIRES_MAX),
	{ .keyword = "algorithms", .ctx = CTX_AUTH, .min_args = 1,
	  .max_args = DIGEST_ALG_COUNT, .handle = handle_algorithms },
	{ .keyword = "xdp-challenge", .ctx = CTX_AUTH, .min_args = 1,
	  .max_args = 1, .handle = handle_xdp_challenge },
	{ .keyword = "user-agent-algorithms", .ctx = CTX_AUTH, .min_args = 2,
	  .max_args = 1 + DIGEST_ALG_COUNT, .repeatable = true,
	  .handle = handle_ua_algorithms },
	BLOCK("health", 0, CTX_HEALTH, false, NULL),
	NUMBER("interval", CTX_HEALTH, health.interval,
	       1, CONF_HEALTH_SECONDS_MAX),
	NUMBER("timeout", CTX_HEALTH, health.timeout,
	       1, CONF_HEALTH_SECONDS_MAX),
	NUMBER("down-after", CTX_HEALTH, health.down_after,
	       1, CONF_HEALTH_COUNT_MAX),
	NUMBER("up-after", CTX_HEALTH, health.up_after,
	       1, CONF_HEALTH_COUNT_MAX),
	{ .keyword = "alive-codes", .ctx = CTX_HEALTH, .min_args = 1,
	  .max_args = CONF_MAX_WORDS - 1, .handle = handle_alive_codes },
	NUMBER("retry-after-max", CTX_HEALTH, health.retry_after_max,
	       0, CONF_HEALTH_SECONDS_MAX),
	{ .keyword = "passive", .ctx = CTX_HEALTH, .min_args = 1,
	  .max_args = 1, .handle = handle_passive },
	NUMBER("passive-silence", CTX_HEALTH, health.passive_silence,
	       CONF_PASSIVE_MS_MIN, CONF_PASSIVE_MS_MAX),
	NUMBER("passive-min-requests", CTX_HEALTH, health.passive_min_requests,
	       1, CONF_THRESHOLD_MAX),
	NUMBER("passive-error-share", CTX_HEALTH, health.passive_error_share,
	       1, 100),
	NUMBER("passive-window", CTX_HEALTH, health.passive_window,
	       CONF_PASSIVE_MS_MIN, CONF_PASSIVE_MS_MAX),
	BLOCK("guard", 0, CTX_GUARD, false, NULL),
	{ .keyword = "budget", .ctx = CTX_GUARD, .min_args = 2, .max_args = 3,
	  .repeatable = true, .handle = handle_budget },
	{ .keyword = "registered-budget", .ctx = CTX_GUARD, .min_args = 1,
	  .max_args = 2, .handle = handle_registered_budget },
	{ .keyword = "strict-dialogs", .ctx = CTX_GUARD, .min_args = 1,
	  .max_args = 1, .handle = handle_strict },
	{ .keyword = "trunk", .ctx = CTX_GUARD, .min_args = 1, .max_args = 1,
	  .repeatable = true, .handle = handle_trunk },
	{ .keyword = "block-scanners", .ctx = CTX_GUARD, .min_args = 1,
	  .max_args = 1, .handle = handle_block_scanners },
	{ .keyword = "scanner", .ctx = CTX_GUARD, .min_args = 1, .max_args = 1,
	  .repeatable = true, .handle = handle_scanner },
	BLOCK("policy", 0, CTX_POLICY, false, NULL),
	{ .keyword = "caller-auth", .ctx = CTX_POLICY, .min_args = 1,
	  .max_args = 1, .handle = handle_caller_auth },
	{ .keyword = "relay", .ctx = CTX_POLICY, .min_args = 1, .max_args = 1,
	  .handle = handle_relay },
	{ .keyword = "inbound", .ctx = CTX_POLICY, .min_args = 1,
	  .max_args = 1, .handle = handle_inbound },
	{ .keyword = "alias", .ctx = CTX_POLICY, .min_args = 2,
	  .max_args = CONF_MAX_WORDS - 1, .repeatable = true,
	  .handle = handle_alias },
	BLOCK("worker", 1, CTX_WORKER, true, handle_worker),
	{ .keyword = "listen", .ctx = CTX_WORKER, .min_args = 1,
	  .max_args = 1, .handle = handle_worker_listen },
	{ .keyword = "domain", .ctx = CTX_WORKER, .min_args = 1,
	  .max_args = 1, .handle = handle_worker_domain },
	{ .keyword = "record-route", .ctx = CTX_WORKER, .min_args = 1,
	  .max_args = 1, .handle = handle_worker_record_route },
	{ .keyword = "send-from", .ctx = CTX_WORKER, .min_args = 1,
	  .max_args = 1, .handle = handle_worker_send_from },
	WORKER_NUMBER("ring-timeout", ring_timeout, 1, CONF_RING_TIMEOUT_MAX),
	WORKER_NUMBER("max-transactions", max_transactions, 1,
		      CONF_TRANSACTIONS_MAX),
	{ .keyword = "fork-group-timeout", .ctx = CTX_WORKER, .min_args = 1,
	  .max_args = 1, .handle = handle_worker_fork_group,
	  .min = 0, .max = CONF_FORK_GROUP_MAX },
	WORKER_NUMBER("max-redirects", max_redirects, 0, CONF_REDIRECTS_MAX),
	BLOCK("cluster", 0, CTX_CLUSTER, false, handle_cluster),
	{ .keyword = "node", .ctx = CTX_CLUSTER, .min_args = 1, .max_args = 1,
	  .handle = handle_node },
	{ .keyword = "secret-file", .ctx = CTX_CLUSTER, .min_args = 1,
	  .max_args = 1, .handle = handle_secret_file },
	{ .keyword = "redis", .ctx = CTX_CLUSTER, .min_args = 1,
	  .max_args = 1, .handle = handle_redis },
};

_Static_assert(ARRAY_SIZE(directives) <= ARRAY_SIZE(((struct parser *)0)->seen),
	       "parser.seen has a slot per directive");

static const struct directive *find_directive(const char *keyword)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(directives); i++)
		if (!strcmp(directives[i].keyword, keyword))
			return &directives[i];
	return NULL;
}

/* The line a directive was given on, or 0 if it was left to default. */
static unsigned int seen_line(const struct parser *p, const char *keyword)
{
	return p->seen[find_directive(keyword) - directives];
}

static unsigned int later(unsigned int a, unsigned int b)
{
	return a > b ? a : b;
}

/* min <= default <= max, blamed on whichever was given last. */
static int close_registrar(struct parser *p)
{
	const typeof(p->conf->registrar) *r = &p->conf->registrar;
	unsigned int dflt = seen_line(p, "default-expires");

	if (r->min_expires > r->default_expires)
		return fail_at(p, later(seen_line(p, "min-expires"), dflt),
			       "registrar: min-expires %u is greater than "
			       "default-expires %u", r->min_expires,
			       r->default_expires);
	if (r->default_expires > r->max_expires)
		return fail_at(p, later(seen_line(p, "max-expires"), dflt),
			       "registrar: default-expires %u is greater than "
			       "max-expires %u", r->default_expires,
			       r->max_expires);
	return 0;
}

/* A probe must be answered or given up before the next is sent. */
static int close_health(struct parser *p)
{
	const typeof(p->conf->health) *h = &p->conf->health;

	if (h->timeout >= h->interval)
		return fail_at(p, later(seen_line(p, "timeout"),
					seen_line(p, "interval")),
			       "health: timeout %u must be shorter than "
			       "interval %u", h->timeout, h->interval);
	return 0;
}

static int close_block(struct parser *p)
{
	const struct conf_vip *vip;
	char buf[ENDPOINT_STRLEN];
	enum conf_ctx ctx = p->ctx;

	if (ctx == CTX_TOP)
		return fail(p, "'}' without an open block");
	p->ctx = CTX_TOP;
	switch (ctx) {
	case CTX_VIP:
		vip = &p->conf->vips[p->conf->nvips - 1];
		if (!vip->nbackends)
			return fail_at(p, vip->line, "vip %s: no backend",
				       endpoint_format(&vip->ep, buf,
						       sizeof(buf)));
		return 0;
	case CTX_REGISTRAR:
		return close_registrar(p);
	case CTX_HEALTH:
		return close_health(p);
	case CTX_GUARD:
		return close_guard(p);
	case CTX_WORKER:
		return close_worker(p);
	case CTX_CLUSTER:
		return close_cluster(p);
	default:
		return 0;
	}
}

/* Is the directive allowed here? Messages say where it belongs instead. */
static int check_context(struct parser *p, const struct directive *d)
{
	if (d->ctx == p->ctx)
		return 0;
	if (d->block)
		return fail(p, "%s: blocks do not nest (inside the %s block "
			    "of line %u)", d->keyword, ctx_names[p->ctx],
			    p->block_line);
	if (d->ctx == CTX_TOP)
		return fail(p, "%s: not allowed inside a %s block", d->keyword,
			    ctx_names[p->ctx]);
	return fail(p, "%s: only allowed inside a %s block", d->keyword,
		    ctx_names[d->ctx]);
}

static int check_args(struct parser *p, const struct directive *d, int argc,
		      bool block)
{
	if (d->block && !block)
		return fail(p, "%s: expected '{' at the end of the line",
			    d->keyword);
	if (!d->block && block)
		return fail(p, "%s: does not open a block", d->keyword);
	if (argc >= d->min_args && argc <= d->max_args)
		return 0;
	if (d->max_args == 0)
		return fail(p, "%s: takes no arguments, got %d", d->keyword,
			    argc);
	if (d->min_args == d->max_args)
		return fail(p, "%s: takes %u argument%s, got %d", d->keyword,
			    d->min_args, d->min_args == 1 ? "" : "s", argc);
	return fail(p, "%s: takes %u to %u arguments, got %d", d->keyword,
		    d->min_args, d->max_args, argc);
}

/* Each repeatable block (worker) has its own once-only directives. */
static void forget_seen(struct parser *p, enum conf_ctx ctx)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(directives); i++)
		if (directives[i].ctx == ctx)
			p->seen[i] = 0;
}

static int run_directive(struct parser *p, char **words, int nwords,
			 bool block)
{
	const struct directive *d = find_directive(words[0]);
	unsigned int *seen;
	int err;

	if (!d)
		return fail(p, "unknown directive '%s'", words[0]);
	err = check_context(p, d);
	if (!err)
		err = check_args(p, d, nwords - 1, block);
	if (err)
		return err;
	seen = &p->seen[d - directives];
	if (*seen && !d->repeatable)
		return fail(p, "%s: given twice (first at line %u)", d->keyword,
			    *seen);
	if (!*seen)
		*seen = p->line;
	if (block)
		p->block_line = p->line;
	if (block && d->opens == CTX_WORKER)
		forget_seen(p, CTX_WORKER);
	p->dir = d;
	p->argv = words + 1;
	p->argc = nwords - 1;
	err = d->handle ? d->handle(p) : 0;
	if (!err && d->block)
		p->ctx = d->opens;
	return err;
}

/* Split in place at blanks, up to the comment. */
static int split_words(struct parser *p, char *line, char **words)
{
	char *save = NULL, *word;
	int n = 0;

	line[strcspn(line, "#")] = '\0';
	for (word = strtok_r(line, " \t\r\v\f", &save); word;
	     word = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (n == CONF_MAX_WORDS)
			return fail(p, "%s: too many words on the line",
				    words[0]);
		words[n++] = word;
	}
	return n;
}

static int parse_line(struct parser *p, char *line)
{
	char *words[CONF_MAX_WORDS];
	bool block = false;
	int n, i;

	n = split_words(p, line, words);
	if (n <= 0)
		return n;
	if (!strcmp(words[0], "}") && n == 1)
		return close_block(p);
	if (!strcmp(words[n - 1], "{")) {
		block = true;
		n--;
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(words[i], "}"))
			return fail(p, "'}' must be alone on its line");
		if (!strcmp(words[i], "{"))
			return fail(p, "'{' must end the line");
	}
	if (n == 0)
		return fail(p, "'{' without a directive");
	return run_directive(p, words, n, block);
}

static bool is_blank(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

/*
 * A NUL would end the line early for strtok and strcmp and hide what
 * follows it; other control characters are invisible in an editor and
 * would end up in a path or the realm.
 */
static int check_bytes(struct parser *p, const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && !is_blank(ch)) || ch == 0x7f)
			return fail(p, "control character 0x%02x in the line",
				    ch);
	}
	return 0;
}

/* After the last line: every block closed and everything required given. */
static int check_complete(struct parser *p)
{
	if (p->ctx != CTX_TOP)
		return fail_at(p, p->block_line,
			       "%s block not closed (missing '}')",
			       ctx_names[p->ctx]);
	if (!p->conf->realm[0])
		return fail_at(p, 0, "realm: missing (required)");
	if (!p->conf->users_path[0])
		return fail_at(p, 0, "users: missing (required)");
	if (!p->conf->nvips)
		return fail_at(p, 0, "vip: missing (at least one is required)");
	return 0;
}

static int parse_text(struct parser *p, const char *text, size_t len)
{
	const char *pos = text, *end = text + len;
	char line[CONF_LINE_MAX];
	int err;

	for (p->line = 1; pos < end; p->line++) {
		const char *nl = memchr(pos, '\n', end - pos);
		size_t n = (nl ? nl : end) - pos;

		if (n >= CONF_LINE_MAX)
			return fail(p, "line longer than %d bytes",
				    CONF_LINE_MAX - 1);
		err = check_bytes(p, pos, n);
		if (err)
			return err;
		memcpy(line, pos, n);
		line[n] = '\0';
		err = parse_line(p, line);
		if (err)
			return err;
		pos = nl ? nl + 1 : end;
	}
	return check_complete(p);
}

static struct siplb_conf *conf_new(const char *path)
{
	struct siplb_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->path = strdup(path);
	if (!c->path) {
		free(c);
		return NULL;
	}
	strcpy(c->pin_dir, SIPLB_PIN_DIR_DEFAULT);
	c->xdp_mode = ATTACH_AUTO;
	c->affinity_size = SIPLB_AFFINITY_SIZE;
	strcpy(c->control_socket, CONF_DEFAULT_CONTROL_SOCKET);
	c->state_interval = CONF_DEFAULT_STATE_INTERVAL;
	c->registrar.default_expires = CONF_DEFAULT_EXPIRES;
	c->registrar.min_expires = CONF_DEFAULT_MIN_EXPIRES;
	c->registrar.max_expires = CONF_DEFAULT_MAX_EXPIRES;
	c->registrar.max_contacts = CONF_DEFAULT_MAX_CONTACTS;
	c->registrar.max_bindings = CONF_DEFAULT_MAX_BINDINGS;
	c->auth.nonce_lifetime = CONF_DEFAULT_NONCE_LIFETIME;
	c->auth.xdp_challenge = true;
	digest_policy_init(&c->auth.digest);
	c->auth.block_threshold = CONF_DEFAULT_BLOCK_THRESHOLD;
	c->auth.block_window = CONF_DEFAULT_BLOCK_WINDOW;
	c->auth.block_time = CONF_DEFAULT_BLOCK_TIME;
	c->health.interval = CONF_DEFAULT_HEALTH_INTERVAL;
	c->health.timeout = CONF_DEFAULT_HEALTH_TIMEOUT;
	c->health.down_after = CONF_DEFAULT_DOWN_AFTER;
	c->health.up_after = CONF_DEFAULT_UP_AFTER;
	status_set_default_alive(&c->health.alive);
	c->health.retry_after_max = CONF_DEFAULT_RETRY_AFTER_MAX;
	c->health.passive = true;
	c->health.passive_silence = CONF_DEFAULT_PASSIVE_SILENCE;
	c->health.passive_min_requests = CONF_DEFAULT_PASSIVE_MIN_REQ;
	c->health.passive_error_share = CONF_DEFAULT_PASSIVE_SHARE;
	c->health.passive_window = CONF_DEFAULT_PASSIVE_WINDOW;
	c->policy.caller_auth = true;
	c->policy.relay = CONF_RELAY_OFF;
	c->policy.inbound = CONF_INBOUND_FROM_ANYONE;
	return c;
}

/*
 * Parse len bytes of text (NUL-terminated or not) as a config file called
 * name: name is used in messages and to resolve a relative users path.
 * On success *out is the new config (conf_free() it); on error *out is NULL.
 */
int conf_parse_buffer(const char *name, const char *text, size_t len,
		      struct siplb_conf **out, char *err, size_t errlen)
{
	struct parser p = {
		.name = name, .err = err, .errlen = errlen, .ctx = CTX_TOP,
	};
	int ret;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	p.conf = conf_new(name);
	if (!p.conf)
		return -ENOMEM;
	ret = parse_text(&p, text, len);
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", name);
	if (ret) {
		conf_free(p.conf);
		return ret;
	}
	*out = p.conf;
	return 0;
}

/* The whole file, or -errno; more than CONF_FILE_MAX bytes is -EFBIG. */
static int read_file(const char *path, char **text, size_t *len)
{
	size_t size = 4096, n = 0;
	char *buf, *bigger;
	ssize_t got;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(size);
	while (buf && n <= CONF_FILE_MAX) {
		if (n == size) {
			bigger = realloc(buf, size * 2);
			if (!bigger)
				break;
			buf = bigger;
			size *= 2;
		}
		got = read(fd, buf + n, size - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			err = got < 0 ? -errno : 0;
			goto out;
		}
		n += (size_t)got;
	}
	err = n > CONF_FILE_MAX ? -EFBIG : -ENOMEM;
out:
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*text = buf;
	*len = n;
	return 0;
}

/* Read and parse the file at path (see conf_parse_buffer()). */
int conf_load(const char *path, struct siplb_conf **out, char *err,
	      size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	*out = NULL;
	ret = read_file(path, &text, &len);
	if (ret) {
		if (err && errlen)
			snprintf(err, errlen, "%s: can't read: %s", path,
				 ret == -EFBIG ? "file too large"
					       : strerror(-ret));
		return ret;
	}
	ret = conf_parse_buffer(path, text, len, out, err, errlen);
	free(text);
	if (!ret && (*out)->cluster.enabled) {
		ret = conf_read_cluster_secret(*out, err, errlen);
		if (ret) {
			conf_free(*out);
			*out = NULL;
		}
	}
	return ret;
}

/*
 * Refused if others may read it or anyone but the owner may write it: a
 * secret that leaked lets anyone aim Call-IDs at one backend and forge
 * nonces and Record-Route tokens on every node.
 */
static int secret_stat_ok(int fd, const char **why)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	*why = "not a regular file";
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*why = "readable by others or writable by group or others "
	       "(chmod 600 or 640)";
	if (st.st_mode & (S_IRWXO | S_IWGRP | S_IXGRP))
		return -EPERM;
	*why = "longer than " CONF_STR(CONF_SECRET_MAX) " bytes";
	if (st.st_size > CONF_SECRET_MAX + 2)
		return -EFBIG;
	return 0;
}

/* One trailing newline (or CRLF) is not part of the secret: `echo`,
 * `openssl rand -hex 32 >FILE` and editors all add one. */
static size_t secret_trim(const unsigned char *buf, size_t n)
{
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	return n;
}

int conf_read_cluster_secret(struct siplb_conf *conf, char *err, size_t errlen)
{
	typeof(conf->cluster) *cl = &conf->cluster;
	unsigned char buf[CONF_SECRET_MAX + 3];
	const char *why = NULL;
	ssize_t got;
	size_t n;
	int fd, ret;

	fd = open(cl->secret_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		ret = -errno;
		why = strerror(-ret);
		goto out;
	}
	ret = secret_stat_ok(fd, &why);
	if (ret) {
		close(fd);
		goto out;
	}
	do
		got = read(fd, buf, sizeof(buf));
	while (got < 0 && errno == EINTR);
	ret = got < 0 ? -errno : 0;
	close(fd);
	if (ret) {
		why = strerror(-ret);
		goto out;
	}
	n = secret_trim(buf, (size_t)got);
	if (n < CONF_SECRET_MIN) {
		ret = -EINVAL;
		why = "shorter than " CONF_STR(CONF_SECRET_MIN) " bytes (try "
		      "`openssl rand -hex 32 >FILE`)";
	} else if (n > CONF_SECRET_MAX) {
		ret = -EFBIG;
		why = "longer than " CONF_STR(CONF_SECRET_MAX) " bytes";
	} else {
		memcpy(cl->secret, buf, n);
		cl->secret_len = n;
	}
out:
	explicit_bzero(buf, sizeof(buf));
	if (ret && err && errlen)
		snprintf(err, errlen, "%s:%u: secret-file %s: %s", conf->path,
			 cl->secret_line, cl->secret_path, why);
	return ret;
}

void conf_free(struct siplb_conf *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < conf->nvips; i++)
		free(conf->vips[i].backends);
	free(conf->vips);
	free(conf->guard.trunks);
	free(conf->policy.aliases);
	free(conf->workers);
	explicit_bzero(conf->cluster.secret, sizeof(conf->cluster.secret));
	free(conf->path);
	free(conf);
}

const char *conf_xdp_mode_name(enum attach_mode mode)
{
	switch (mode) {
	case ATTACH_AUTO:
		return "auto";
	case ATTACH_NATIVE:
		return "native";
	case ATTACH_GENERIC:
		return "generic";
	}
	return "?";
}

void conf_print_directives(FILE *out)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(directives); i++)
		fprintf(out, "%s\n", directives[i].keyword);
}
