/* SPDX-License-Identifier: MIT */
/*
 * socks.conf (SPEC section 3), the client's schema on the shared skeleton
 * (cfgload.h) and value parsers (cfgvalue.h): libconfuse option tables, a
 * parse callback per key that checks each value where it is written (so an
 * error names FILE:LINE of the value), section validators for what needs
 * the whole section, and a compiler from the libconfuse tree into the
 * immutable struct conf of conf.h.
 *
 * A new key: a row in its section's option table (conf_root_opts,
 * conf_proxy_opts, conf_route_opts) with conf_cb_str, or conf_cb_int and
 * a row in conf_ints (range, message); for a string, a row in
 * conf_key_checks naming its kind of value (a case in
 * conf_value_why(), shared parsers in cfgvalue.h) or, when the check needs
 * more than the value, a conf_check_* function; the field in struct conf
 * (conf.h) and its line in conf_compile().  The message for an
 * unknown key lists the tables' keys by itself.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <confuse.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/chars.h"
#include "common/timewin.h"
#include "conf/cfgload.h"
#include "conf/cfgvalue.h"
#include "conf/conf.h"
#include "proto/consts.h"

#define CONF_FILE_MAX (1024 * 1024)
#define CONF_FAKE4_MIN 8
#define CONF_FAKE4_MAX 30
#define CONF_FAKE6_MIN 8
#define CONF_FAKE6_MAX 126

/* Messages: what a key expects.  Tests match on these phrases. */
#define CONF_WHY_VIA_MIX \
	"\"direct\" and \"deny\" cannot be combined with other entries"

/* ---- value parsers: return NULL, or what was expected ----------------- */

/* A `to` entry into @t (cfgvalue.h says which strings are what). */
static const char *conf_target_parse(const char *s, struct conf_target *t)
{
	bool is_glob;
	const char *why;

	memset(t, 0, sizeof(*t));
	why = cfgval_target(s, &is_glob, &t->cidr, t->glob);
	t->kind = is_glob ? CONF_TARGET_GLOB : CONF_TARGET_CIDR;
	return why;
}

/* Program glob: a base name, so no '/', no control characters. */
static const char *conf_program_parse(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > NET_HOST_MAX)
		return "expected a glob on the program's name (1 to 255 "
		       "characters) such as \"curl\" or \"python3*\"";
	for (i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "expected a glob on the program's base name, "
			       "without '/', such as \"curl\" or \"python3*\"";
	return NULL;
}

/* An `isolate` entry: "auto" or a program glob. */
static const char *conf_isolate_parse(const char *s)
{
	if (strcmp(s, CONF_ISOLATE_AUTO) == 0)
		return NULL;
	return conf_program_parse(s) ? "expected \"auto\" or a glob on the "
				       "program's base name, such as "
				       "\"kubectl\" or \"terraform*\""
				     : NULL;
}

static const char *conf_user_parse(const char *s, struct conf_user *u)
{
	const char *why = "expected a user name or uid:N";
	size_t i, n;
	bool digits = true;
	long v;

	memset(u, 0, sizeof(*u));
	if (strncmp(s, "uid:", 4) == 0) {
		for (i = 4; s[i]; i++)
			if (!chr_is_digit(s[i]))
				return why;
		/* (uid_t)-1 is "no user" for the kernel: refuse it. */
		if (cfgval_long(s + 4, 0, 4294967294L, &v) != 0)
			return why;
		u->is_uid = true;
		u->uid = (uid_t)v;
		return NULL;
	}
	n = strlen(s);
	if (n == 0 || n > CONF_NAME_MAX || s[0] == '-')
		return why;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!chr_is_digit(ch))
			digits = false;
		if (chr_is_alpha(ch) || chr_is_digit(ch) || ch == '.' ||
		    ch == '_' || ch == '-' || (ch == '$' && i == n - 1))
			continue;
		return why;
	}
	if (digits)
		return "expected a user name, or uid:N for a numeric user id";
	memcpy(u->name, s, n + 1);
	return NULL;
}

static bool conf_via_keyword(const char *s)
{
	return strcasecmp(s, "direct") == 0 || strcasecmp(s, "deny") == 0;
}

static bool conf_has_loopback(const struct net_cidr *c)
{
	struct net_ip lo;

	if (c->ip.family == AF_INET) {
		if (net_ip_parse("127.0.0.1", &lo) != 0)
			return false;
		/* overlaps 127.0.0.0/8: contains 127.0.0.1, or lies inside */
		return net_cidr_contains(c, &lo) ||
		       (c->prefix >= 8 && c->ip.b[0] == 127);
	}
	if (net_ip_parse("::1", &lo) != 0)
		return false;
	return net_cidr_contains(c, &lo);
}

static const char *conf_fake_parse(const char *s, int family,
				   struct net_cidr *c)
{
	if (family == AF_INET) {
		if (net_cidr_parse(s, c) != 0 || c->ip.family != AF_INET)
			return "expected an IPv4 network such as "
			       "\"198.18.0.0/15\"";
		if (c->prefix < CONF_FAKE4_MIN || c->prefix > CONF_FAKE4_MAX)
			return "the IPv4 prefix must be between /8 and /30";
	} else {
		if (net_cidr_parse(s, c) != 0 || c->ip.family != AF_INET6)
			return "expected an IPv6 network such as "
			       "\"fd53:6f63:6b73::/64\"";
		if (c->prefix < CONF_FAKE6_MIN || c->prefix > CONF_FAKE6_MAX)
			return "the IPv6 prefix must be between /8 and /126";
	}
	if (conf_has_loopback(c))
		return "a fake network must not overlap the loopback network";
	return NULL;
}

/*
 * nameserver: "" (unset), "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT",
 * numeric only (a name would need DNS to be found).  NULL or why not.
 */
static const char *conf_nameserver_parse(const char *s, struct conf *c)
{
	struct net_hostport hp;

	if (s[0] == '\0')
		return NULL;
	if (net_hostport_parse(s, 53, false, &hp) != 0 || !hp.is_ip)
		return "expected a numeric address such as \"198.51.100.53\" "
		       "or \"[2001:db8::53]:53\"";
	if (c != NULL) {
		c->has_nameserver = true;
		c->nameserver = hp.ip;
		c->nameserver_port = hp.port;
	}
	return NULL;
}

/*
 * bind_peer: "auto" (or ""), "any", or a numeric address.  NULL or why
 * not; @c (may be NULL) gets the value.
 */
static const char *conf_bind_peer_parse(const char *s, struct conf *c)
{
	struct net_ip ip;
	enum conf_bind_peer m = CONF_BIND_PEER_ADDR;

	if (s[0] == '\0' || strcmp(s, "auto") == 0)
		m = CONF_BIND_PEER_AUTO;
	else if (strcmp(s, "any") == 0)
		m = CONF_BIND_PEER_ANY;
	else if (net_ip_parse(s, &ip) != 0)
		return "expected \"auto\", \"any\" or a numeric address such "
		       "as \"203.0.113.7\"";
	if (c) {
		c->bind_peer = m;
		if (m == CONF_BIND_PEER_ADDR) {
			net_ip_unmap(&ip);
			c->bind_peer_ip = ip;
		}
	}
	return NULL;
}

static const char *conf_log_parse(const char *s)
{
	if (strcmp(s, "stderr") == 0 || strcmp(s, "syslog") == 0)
		return NULL;
	if (s[0] == '/' && strlen(s) < sizeof(((struct conf *)0)->log))
		return NULL;
	return "expected \"stderr\", \"syslog\" or an absolute file path";
}

static const char *conf_resolve_parse(const char *s, enum conf_resolve *r)
{
	if (strcasecmp(s, "remote") == 0)
		*r = CONF_RESOLVE_REMOTE;
	else if (strcasecmp(s, "local") == 0)
		*r = CONF_RESOLVE_LOCAL;
	else
		return "expected \"remote\" or \"local\"";
	return NULL;
}

/* ---- parse callbacks: one check per key ------------------------------ */

typedef int (*conf_check_fn)(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
			     unsigned int idx, const char *value);

/* The common shape of a failed value: "bad KEY "VALUE": WHY". */
static int conf_bad(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
		    const char *value, const char *why)
{
	return cfgload_err(p, sec->line, "bad %s \"%.64s\": %s", opt->name,
			   value, why);
}

/* Keys whose value is checked on its own: what conf_value_why() parses. */
enum conf_value {
	CONF_V_NONE, /* checked by the row's function */
	CONF_V_LOG,
	CONF_V_RESOLVE,
	CONF_V_FAKE4,
	CONF_V_FAKE6,
	CONF_V_NAMESERVER,
	CONF_V_BIND_PEER,
	CONF_V_TO,
	CONF_V_COMMAND,
	CONF_V_PROGRAM,
	CONF_V_USER,
	CONF_V_TIME,
	CONF_V_ISOLATE,
};

/* NULL when @v is a good value of kind @kind, else what was expected. */
static const char *conf_value_why(enum conf_value kind, const char *v)
{
	union {
		enum conf_resolve resolve;
		struct net_cidr cidr;
		struct conf_target target;
		unsigned int bit;
		struct conf_user user;
		struct timewin time;
	} tmp;

	switch (kind) {
	case CONF_V_LOG:
		return conf_log_parse(v);
	case CONF_V_RESOLVE:
		return conf_resolve_parse(v, &tmp.resolve);
	case CONF_V_FAKE4:
		return conf_fake_parse(v, AF_INET, &tmp.cidr);
	case CONF_V_FAKE6:
		return conf_fake_parse(v, AF_INET6, &tmp.cidr);
	case CONF_V_NAMESERVER:
		return conf_nameserver_parse(v, NULL);
	case CONF_V_BIND_PEER:
		return conf_bind_peer_parse(v, NULL);
	case CONF_V_TO:
		return conf_target_parse(v, &tmp.target);
	case CONF_V_COMMAND:
		return cfgval_command(v, CONF_CMD_ALL | CONF_CMD_RAW, &tmp.bit);
	case CONF_V_PROGRAM:
		return conf_program_parse(v);
	case CONF_V_USER:
		return conf_user_parse(v, &tmp.user);
	case CONF_V_TIME:
		return timewin_parse(v, &tmp.time);
	case CONF_V_ISOLATE:
		return conf_isolate_parse(v);
	case CONF_V_NONE:
		break;
	}
	return NULL;
}

static int conf_check_url(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
			  unsigned int idx, const char *v)
{
	struct net_proxy_url u;
	const char *why = NULL;

	/* The URL may hold a password: never echo it. */
	if (net_proxy_url_parse(v, &u, &why) != 0)
		return cfgload_err(p, sec->line,
				   "bad url: %s (expected socks4://host:port, "
				   "socks4a://, socks5:// or socks5h://"
				   "[user[:pass]@]host:port)",
				   why ? why : "not a proxy URL");
	return 0;
}

static int conf_check_username(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
			       unsigned int idx, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 255)
		return cfgload_err(p, sec->line,
				   "bad username: expected 1 to 255 bytes");
	return 0;
}

static int conf_check_password(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
			       unsigned int idx, const char *v)
{
	if (strlen(v) > 255)
		return cfgload_err(p, sec->line,
				   "bad password: expected at most 255 bytes");
	return 0;
}

static int conf_check_method(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
			     unsigned int idx, const char *v)
{
	uint8_t m, prev;
	const char *why = cfgval_method(v, &m);
	unsigned int i;

	if (why)
		return conf_bad(p, sec, opt, v, why);
	for (i = 0; i < idx; i++) {
		const char *o = cfg_opt_getnstr(opt, i);

		if (o && !cfgval_method(o, &prev) && prev == m)
			return conf_bad(p, sec, opt, v, "listed twice");
	}
	return 0;
}

static int conf_check_gssapi(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
			     unsigned int idx, const char *v)
{
	if (!cfgval_name_ok(v, CONF_NAME_MAX))
		return conf_bad(p, sec, opt, v,
				"expected a service name of 1 to 63 "
				"characters [A-Za-z0-9._-] such as \"rcmd\"");
	return 0;
}

static int conf_check_ports(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
			    unsigned int idx, const char *v)
{
	struct net_ports acc;
	const char *why = NULL;
	unsigned int i;

	memset(&acc, 0, sizeof(acc));
	for (i = 0; i < idx && !why; i++) {
		const char *o = cfg_opt_getnstr(opt, i);

		if (o)
			why = cfgval_ports_add(&acc, o);
	}
	if (!why)
		why = cfgval_ports_add(&acc, v);
	return why ? conf_bad(p, sec, opt, v, why) : 0;
}

/* Names only here; whether a proxy of that name exists is checked once the
 * whole file is read (proxies may follow the routes that use them). */
static int conf_check_via(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
			  unsigned int idx, const char *v)
{
	const char *first = idx ? cfg_opt_getnstr(opt, 0) : NULL;

	if (idx >= CONF_VIA_MAX)
		return conf_bad(p, sec, opt, v,
				"too many proxies (at most 8 in a route)");
	if (idx > 0 &&
	    (conf_via_keyword(v) || (first && conf_via_keyword(first))))
		return conf_bad(p, sec, opt, v, CONF_WHY_VIA_MIX);
	if (!conf_via_keyword(v) && !cfgval_name_ok(v, CONF_NAME_MAX))
		return conf_bad(p, sec, opt, v,
				"expected \"direct\", \"deny\" or proxy names");
	return 0;
}

static const struct {
	const char *name;
	enum conf_mode mode;
} conf_modes[] = {
	{"failover", CONF_MODE_FAILOVER},
	{"round-robin", CONF_MODE_ROUND_ROBIN},
	{"random", CONF_MODE_RANDOM},
	{"chain", CONF_MODE_CHAIN},
};

/* A route's mode by name: 0 or -1. */
static int conf_mode_parse(const char *v, enum conf_mode *m)
{
	size_t i;

	for (i = 0; v && i < sizeof(conf_modes) / sizeof(conf_modes[0]); i++)
		if (strcasecmp(v, conf_modes[i].name) == 0) {
			*m = conf_modes[i].mode;
			return 0;
		}
	return -1;
}

static int conf_check_mode(struct cfgload *p, cfg_t *sec, cfg_opt_t *opt,
			   unsigned int idx, const char *v)
{
	enum conf_mode m;

	(void)idx;
	if (conf_mode_parse(v, &m) < 0)
		return conf_bad(p, sec, opt, v,
				"expected \"failover\", \"round-robin\", "
				"\"random\" or \"chain\"");
	return 0;
}

/* What is checked where a value is written: a kind of value, or a
 * function for keys that look at more than the value. */
struct conf_key {
	const char *sec; /* "root", "proxy", "route" */
	const char *key;
	enum conf_value kind;
	conf_check_fn check; /* with CONF_V_NONE */
};

static const struct conf_key conf_key_checks[] = {
	{"root", "log", CONF_V_LOG, NULL},
	{"root", "resolve", CONF_V_RESOLVE, NULL},
	{"root", "fake_network", CONF_V_FAKE4, NULL},
	{"root", "fake_network6", CONF_V_FAKE6, NULL},
	{"root", "nameserver", CONF_V_NAMESERVER, NULL},
	{"root", "isolate", CONF_V_ISOLATE, NULL},
	{"proxy", "url", CONF_V_NONE, conf_check_url},
	{"proxy", "username", CONF_V_NONE, conf_check_username},
	{"proxy", "password", CONF_V_NONE, conf_check_password},
	{"proxy", "method", CONF_V_NONE, conf_check_method},
	{"proxy", "gssapi_service", CONF_V_NONE, conf_check_gssapi},
	{"route", "to", CONF_V_TO, NULL},
	{"route", "ports", CONF_V_NONE, conf_check_ports},
	{"route", "command", CONF_V_COMMAND, NULL},
	{"route", "program", CONF_V_PROGRAM, NULL},
	{"route", "user", CONF_V_USER, NULL},
	{"route", "time", CONF_V_TIME, NULL},
	{"route", "via", CONF_V_NONE, conf_check_via},
	{"route", "mode", CONF_V_NONE, conf_check_mode},
};

/* Records the value's line (and its section's), then checks the value. */
static int conf_cb_str(cfg_t *sec, cfg_opt_t *opt, const char *value,
		       void *result)
{
	struct cfgload *p = cfgload_current();
	unsigned int idx = opt->nvalues ? opt->nvalues - 1 : 0;
	size_t i;

	*(const char **)result = value;
	if (!p || !value)
		return 0;
	if (sec != p->root && !cfgload_noted(p, sec, "", 0) &&
	    cfgload_note(p, sec, "", 0, p->root->line) != 0)
		return -1;
	if (cfgload_note(p, sec, opt->name, idx, sec->line) != 0)
		return -1;
	for (i = 0; i < sizeof(conf_key_checks) / sizeof(conf_key_checks[0]);
	     i++) {
		const struct conf_key *k = &conf_key_checks[i];

		const char *why;

		if (strcmp(k->sec, sec->name) != 0 ||
		    strcmp(k->key, opt->name) != 0)
			continue;
		if (k->check)
			return k->check(p, sec, opt, idx, value);
		why = conf_value_why(k->kind, value);
		return why ? conf_bad(p, sec, opt, value, why) : 0;
	}
	return 0;
}

/* The integer keys (CFG_INT_CB with conf_cb_int): range and message. */
static const struct {
	const char *key;
	long lo, hi;
	const char *why;
} conf_ints[] = {
	{"debug", 0, CONF_DEBUG_MAX, "expected a level from 0 to 3"},
	{"timeout", 1, CONF_TIMEOUT_MAX,
	 "expected a number of seconds from 1 to 3600"},
	{"bind_timeout", 1, CONF_TIMEOUT_MAX,
	 "expected a number of seconds from 1 to 3600"},
	{"fake_ttl", 1, CONF_FAKE_TTL_MAX,
	 "expected a number of seconds from 1 to 31536000"},
	{"proxy_retry", 0, CONF_TIMEOUT_MAX,
	 "expected a number of seconds from 0 to 3600"},
};

/* Integer keys: our own parsing, for our own messages.  A key missing
 * from conf_ints is refused (a table row is part of adding one). */
static int conf_cb_int(cfg_t *sec, cfg_opt_t *opt, const char *value,
		       void *result)
{
	struct cfgload *p = cfgload_current();
	const char *why = "internal error: no range for this key";
	long v, lo = 1, hi = 0;
	size_t i;

	for (i = 0; i < sizeof(conf_ints) / sizeof(conf_ints[0]); i++)
		if (strcmp(opt->name, conf_ints[i].key) == 0) {
			lo = conf_ints[i].lo;
			hi = conf_ints[i].hi;
			why = conf_ints[i].why;
			break;
		}
	if (cfgval_long(value, lo, hi, &v) != 0) {
		if (p)
			conf_bad(p, sec, opt, value ? value : "", why);
		return -1;
	}
	*(long *)result = v;
	return 0;
}

/* ---- section validators ---------------------------------------------- */

/* The section just closed (the last of @opt), and the line to blame. */
static cfg_t *conf_closed(struct cfgload *p, cfg_t *parent, cfg_opt_t *opt,
			  int *line)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);

	*line = sec ? cfgload_sec_line(p, sec) : 0;
	if (*line <= 0)
		*line = parent->line;
	return sec;
}

/* A list key written as "key = {}": set, but empty. */
static bool conf_empty_list(cfg_t *sec, const char *key)
{
	cfg_opt_t *o = cfg_getopt(sec, key);

	return o && (o->flags & CFGF_MODIFIED) && cfg_opt_size(o) == 0;
}

/*
 * Section validator, run by libconfuse at the closing brace of each proxy:
 * a valid name, a url, and credentials/methods that fit the scheme.
 * Returns 0, or -1 after reporting (libconfuse then stops).
 */
static int conf_check_proxy(cfg_t *parent, cfg_opt_t *opt)
{
	struct cfgload *p = cfgload_current();
	struct net_proxy_url u;
	const char *why = NULL, *title;
	bool socks4;
	cfg_t *sec;
	int line;

	if (!p)
		return 0;
	sec = conf_closed(p, parent, opt, &line);
	if (!sec)
		return cfgload_err(p, line, "internal error: no proxy section");
	title = cfg_title(sec) ? cfg_title(sec) : "";
	if (!cfgval_name_ok(title, CONF_NAME_MAX))
		return cfgload_err(p, line,
				   "bad proxy name \"%.64s\": expected 1 to 63 "
				   "characters [A-Za-z0-9._-]",
				   title);
	if (conf_via_keyword(title))
		return cfgload_err(p, line,
				   "bad proxy name \"%.64s\": \"direct\" and "
				   "\"deny\" are reserved",
				   title);
	if (cfg_size(sec, "url") == 0)
		return cfgload_err(p, line,
				   "proxy \"%s\" has no url (expected url = "
				   "\"socks5://host:port\")",
				   title);
	if (net_proxy_url_parse(cfg_getstr(sec, "url"), &u, &why) != 0)
		return cfgload_err(p, cfgload_line_of(p, sec, "url", 0),
				   "bad url: %s",
				   why ? why : "not a proxy URL");
	socks4 =
		u.scheme == NET_SCHEME_SOCKS4 || u.scheme == NET_SCHEME_SOCKS4A;
	if (socks4 && cfg_size(sec, "password") > 0)
		return cfgload_err(
			p, cfgload_line_of(p, sec, "password", 0),
			"proxy \"%s\": socks4 has no password (only a "
			"user id: set username)",
			title);
	if (socks4 && cfg_size(sec, "method") > 0)
		return cfgload_err(p, cfgload_line_of(p, sec, "method", 0),
				   "proxy \"%s\": method applies to socks5 "
				   "proxies only",
				   title);
	if (conf_empty_list(sec, "method"))
		return cfgload_err(p, line,
				   "proxy \"%s\": method is an empty list "
				   "(expected none, username or gssapi)",
				   title);
	if (cfg_size(sec, "password") > 0 && cfg_size(sec, "username") == 0 &&
	    !u.has_user)
		return cfgload_err(p, cfgload_line_of(p, sec, "password", 0),
				   "proxy \"%s\": password without username",
				   title);
	return 0;
}

/*
 * Section validator for each route: via present and not empty, no list
 * written as an empty {}.  Returns 0, or -1 after reporting.
 */
static int conf_check_route(cfg_t *parent, cfg_opt_t *opt)
{
	static const char *const lists[] = {"to", "ports", "command", "user",
					    "time"};
	struct cfgload *p = cfgload_current();
	cfg_t *sec;
	size_t i;
	int line;

	if (!p)
		return 0;
	sec = conf_closed(p, parent, opt, &line);
	if (!sec)
		return cfgload_err(p, line, "internal error: no route section");
	if (conf_empty_list(sec, "via"))
		return cfgload_err(p, line,
				   "route: via is an empty list (expected "
				   "\"direct\", \"deny\" or proxy names)");
	if (cfg_size(sec, "via") == 0)
		return cfgload_err(
			p, line,
			"route without via (expected via = \"direct\", "
			"\"deny\" or a list of proxy names)");
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (conf_empty_list(sec, lists[i]))
			return cfgload_err(
				p, line,
				"route: %s is an empty list (leave it "
				"out to match any)",
				lists[i]);
	return 0;
}

/* ---- option tables ---------------------------------------------------- */

static cfg_opt_t conf_proxy_opts[] = {
	CFG_STR_CB("url", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_CB("username", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_CB("password", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_LIST_CB("method", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_CB("gssapi_service", CONF_DEFAULT_GSSAPI_SERVICE, CFGF_NONE,
		   conf_cb_str),
	CFG_BOOL("fastopen", cfg_true, CFGF_NODEFAULT),
	CFG_BOOL("pipeline", cfg_false, CFGF_NODEFAULT),
	CFG_BOOL("optimistic", cfg_false, CFGF_NODEFAULT),
	CFG_END()};

static cfg_opt_t conf_route_opts[] = {
	CFG_STR_LIST_CB("to", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_LIST_CB("ports", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_LIST_CB("command", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_CB("program", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_LIST_CB("user", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_LIST_CB("time", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_LIST_CB("via", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_STR_CB("mode", "failover", CFGF_NONE, conf_cb_str),
	CFG_BOOL("optimistic", cfg_false, CFGF_NONE),
	CFG_END()};

static cfg_opt_t conf_root_opts[] = {
	CFG_INT_CB("debug", 0, CFGF_NONE, conf_cb_int),
	CFG_STR_CB("log", "stderr", CFGF_NONE, conf_cb_str),
	CFG_STR_CB("resolve", "remote", CFGF_NONE, conf_cb_str),
	CFG_STR_CB("fake_network", CONF_DEFAULT_FAKE_NETWORK, CFGF_NONE,
		   conf_cb_str),
	CFG_STR_CB("fake_network6", CONF_DEFAULT_FAKE_NETWORK6, CFGF_NONE,
		   conf_cb_str),
	CFG_INT_CB("fake_ttl", CONF_DEFAULT_FAKE_TTL, CFGF_NONE, conf_cb_int),
	CFG_STR_CB("nameserver", "", CFGF_NONE, conf_cb_str),
	CFG_INT_CB("timeout", CONF_DEFAULT_TIMEOUT, CFGF_NONE, conf_cb_int),
	CFG_STR_CB("bind_peer", "auto", CFGF_NONE, conf_cb_str),
	CFG_INT_CB("bind_timeout", CONF_DEFAULT_BIND_TIMEOUT, CFGF_NONE,
		   conf_cb_int),
	CFG_INT_CB("proxy_retry", CONF_DEFAULT_PROXY_RETRY, CFGF_NONE,
		   conf_cb_int),
	CFG_STR_LIST_CB("isolate", NULL, CFGF_NODEFAULT, conf_cb_str),
	CFG_SEC("proxy", conf_proxy_opts,
		CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("route", conf_route_opts, CFGF_MULTI),
	CFG_END()};

/* ---- compiling the tree ---------------------------------------------- */

/* The default offer when the section sets no method (see conf.h). */
static void conf_default_methods(struct conf_proxy *px)
{
	px->nmethods = 0;
	px->methods[px->nmethods++] = SOCKS5_METHOD_NONE;
	if (px->has_user)
		px->methods[px->nmethods++] = SOCKS5_METHOD_USERNAME;
	px->methods_set = false;
}

/* Effective credentials from the URL, then the section's keys. */
static void conf_proxy_creds(struct conf_proxy *px)
{
	if (px->url.has_user) {
		px->has_user = true;
		chr_copy(px->username, sizeof(px->username), px->url.user);
	}
	if (px->url.has_pass) {
		px->has_pass = true;
		chr_copy(px->password, sizeof(px->password), px->url.pass);
	}
}

/* The round-trip settings from the URL's options, else the defaults
 * (fastopen on, pipeline and optimistic off). */
static void conf_proxy_flags(struct conf_proxy *px)
{
	const struct net_proxy_url *u = &px->url;

	px->fastopen = !(u->opts_set & NET_URL_FASTOPEN) ||
		       (u->opts_on & NET_URL_FASTOPEN);
	px->pipeline = (u->opts_on & NET_URL_PIPELINE) != 0;
	px->optimistic = (u->opts_on & NET_URL_OPTIMISTIC) != 0;
}

/* One checked proxy section into @px: URL, effective credentials (URL,
 * then the keys), methods or their default, GSS-API service.  0 or -1. */
static int conf_proxy_compile(struct cfgload *p, cfg_t *sec,
			      struct conf_proxy *px)
{
	const char *why = NULL;
	unsigned int i, n;

	chr_copy(px->name, sizeof(px->name),
		 cfg_title(sec) ? cfg_title(sec) : "");
	if (net_proxy_url_parse(cfg_getstr(sec, "url"), &px->url, &why) != 0)
		return cfgload_err(p, cfgload_line_of(p, sec, "url", 0),
				   "bad url: %s",
				   why ? why : "not a proxy URL");
	conf_proxy_creds(px);
	if (cfg_size(sec, "username")) {
		px->has_user = true;
		chr_copy(px->username, sizeof(px->username),
			 cfg_getstr(sec, "username"));
	}
	if (cfg_size(sec, "password")) {
		px->has_pass = true;
		chr_copy(px->password, sizeof(px->password),
			 cfg_getstr(sec, "password"));
	}
	n = cfg_size(sec, "method");
	if (n == 0) {
		conf_default_methods(px);
	} else {
		px->methods_set = true;
		for (i = 0; i < n && i < CONF_METHODS_MAX; i++) {
			why = cfgval_method(cfg_getnstr(sec, "method", i),
					    &px->methods[i]);
			if (why)
				return cfgload_err(
					p, cfgload_line_of(p, sec, "method", i),
					"bad method: %s", why);
		}
		px->nmethods = (uint8_t)i;
	}
	chr_copy(px->gssapi_service, sizeof(px->gssapi_service),
		 cfg_getstr(sec, "gssapi_service"));
	conf_proxy_flags(px);
	if (cfg_size(sec, "fastopen"))
		px->fastopen = cfg_getbool(sec, "fastopen");
	if (cfg_size(sec, "pipeline"))
		px->pipeline = cfg_getbool(sec, "pipeline");
	if (cfg_size(sec, "optimistic"))
		px->optimistic = cfg_getbool(sec, "optimistic");
	return 0;
}

static const struct conf_proxy *conf_find_proxy(const struct conf *c,
						const char *name)
{
	size_t i;

	for (i = 0; i < c->nproxies; i++)
		if (strcmp(c->proxies[i].name, name) == 0)
			return &c->proxies[i];
	return NULL;
}

/* via: a keyword, or proxy names resolved against @c's proxies (the whole
 * file is read by now, so order does not matter).  0 or -1 naming the line
 * of an unknown name. */
static int conf_route_via(struct cfgload *p, cfg_t *sec, const struct conf *c,
			  struct conf_route *r)
{
	unsigned int i, n = cfg_size(sec, "via");
	const char *first = cfg_getnstr(sec, "via", 0);

	if (strcasecmp(first, "direct") == 0) {
		r->via = CONF_VIA_DIRECT;
		return 0;
	}
	if (strcasecmp(first, "deny") == 0) {
		r->via = CONF_VIA_DENY;
		return 0;
	}
	r->via = CONF_VIA_PROXY;
	if (r->commands & CONF_CMD_RAW)
		return cfgload_err(
			p, cfgload_line_of(p, sec, "via", 0),
			"command \"raw\" cannot go via a proxy (SOCKS "
			"carries only TCP and UDP): use via = "
			"\"direct\" or \"deny\"");
	for (i = 0; i < n && i < CONF_VIA_MAX; i++) {
		const char *name = cfg_getnstr(sec, "via", i);
		const struct conf_proxy *px = conf_find_proxy(c, name);

		if (!px)
			return cfgload_err(
				p, cfgload_line_of(p, sec, "via", i),
				"unknown proxy '%.64s' in via (expected "
				"\"direct\", \"deny\" or the name of a "
				"proxy section)",
				name);
		r->proxies[r->nproxies++] = px;
	}
	return 0;
}

/* One checked route section into @r (arrays allocated; conf_free() frees
 * them even when this fails half way).  0 or -1. */
static int conf_route_compile(struct cfgload *p, cfg_t *sec,
			      const struct conf *c, struct conf_route *r)
{
	const char *why;
	unsigned int i, n;

	r->line = cfgload_sec_line(p, sec);

	n = cfg_size(sec, "to");
	if (n) {
		r->to = calloc(n, sizeof(*r->to));
		if (!r->to)
			return cfgload_err(p, r->line, "out of memory");
	}
	for (i = 0; i < n; i++, r->nto++) {
		why = conf_target_parse(cfg_getnstr(sec, "to", i), &r->to[i]);
		if (why)
			return cfgload_err(p, cfgload_line_of(p, sec, "to", i),
					   "bad to: %s", why);
	}

	n = cfg_size(sec, "ports");
	for (i = 0; i < n; i++) {
		why = cfgval_ports_add(&r->ports, cfg_getnstr(sec, "ports", i));
		if (why)
			return cfgload_err(p,
					   cfgload_line_of(p, sec, "ports", i),
					   "bad ports: %s", why);
	}

	n = cfg_size(sec, "command");
	r->commands = n ? 0 : CONF_CMD_ALL;
	for (i = 0; i < n; i++) {
		unsigned int bit;

		why = cfgval_command(cfg_getnstr(sec, "command", i),
				     CONF_CMD_ALL | CONF_CMD_RAW, &bit);
		if (why)
			return cfgload_err(
				p, cfgload_line_of(p, sec, "command", i),
				"bad command: %s", why);
		r->commands |= bit;
	}

	if (cfg_size(sec, "program"))
		chr_copy(r->program, sizeof(r->program),
			 cfg_getstr(sec, "program"));

	n = cfg_size(sec, "user");
	if (n) {
		r->users = calloc(n, sizeof(*r->users));
		if (!r->users)
			return cfgload_err(p, r->line, "out of memory");
	}
	for (i = 0; i < n; i++, r->nusers++) {
		why = conf_user_parse(cfg_getnstr(sec, "user", i),
				      &r->users[i]);
		if (why)
			return cfgload_err(p,
					   cfgload_line_of(p, sec, "user", i),
					   "bad user: %s", why);
	}

	n = cfg_size(sec, "time");
	if (n) {
		r->times = calloc(n, sizeof(*r->times));
		if (!r->times)
			return cfgload_err(p, r->line, "out of memory");
	}
	for (i = 0; i < n; i++, r->ntimes++) {
		why = timewin_parse(cfg_getnstr(sec, "time", i), &r->times[i]);
		if (why)
			return cfgload_err(p,
					   cfgload_line_of(p, sec, "time", i),
					   "bad time: %s", why);
	}

	if (conf_mode_parse(cfg_getstr(sec, "mode"), &r->mode) < 0)
		return cfgload_err(p, cfgload_line_of(p, sec, "mode", 0),
				   "bad mode");
	r->optimistic = cfg_getbool(sec, "optimistic");
	return conf_route_via(p, sec, c, r);
}

/* `isolate` into @c: "auto" sets isolate_auto, the globs go to
 * c->isolate.  0 or -1 (out of memory, reported). */
static int conf_isolate_compile(struct cfgload *p, cfg_t *root, struct conf *c)
{
	unsigned int i, n = cfg_size(root, "isolate");
	const char *v;

	if (n) {
		c->isolate = calloc(n, sizeof(*c->isolate));
		if (!c->isolate)
			return cfgload_err(p, 0, "out of memory");
	}
	for (i = 0; i < n; i++) {
		v = cfg_getnstr(root, "isolate", i);
		if (strcmp(v, CONF_ISOLATE_AUTO) == 0)
			c->isolate_auto = true;
		else
			chr_copy(c->isolate[c->nisolate++],
				 sizeof(c->isolate[0]), v);
	}
	return 0;
}

/* Fills @c from the checked tree; 0 or -1 (error reported). */
static int conf_compile(struct cfgload *p, cfg_t *root, struct conf *c)
{
	const char *why;
	unsigned int i, n;

	chr_copy(c->path, sizeof(c->path), p->name);
	c->debug = (int)cfg_getint(root, "debug");
	c->timeout = (int)cfg_getint(root, "timeout");
	c->bind_timeout = (int)cfg_getint(root, "bind_timeout");
	c->proxy_retry = (int)cfg_getint(root, "proxy_retry");
	c->fake_ttl = (int)cfg_getint(root, "fake_ttl");
	chr_copy(c->log, sizeof(c->log), cfg_getstr(root, "log"));
	why = conf_resolve_parse(cfg_getstr(root, "resolve"), &c->resolve);
	if (!why)
		why = conf_fake_parse(cfg_getstr(root, "fake_network"), AF_INET,
				      &c->fake_network);
	if (!why)
		why = conf_fake_parse(cfg_getstr(root, "fake_network6"),
				      AF_INET6, &c->fake_network6);
	if (!why)
		why = conf_nameserver_parse(cfg_getstr(root, "nameserver"), c);
	if (!why)
		why = conf_bind_peer_parse(cfg_getstr(root, "bind_peer"), c);
	if (why) /* checked while parsing: cannot happen */
		return cfgload_err(p, 0, "%s", why);
	if (conf_isolate_compile(p, root, c) != 0)
		return -1;

	n = cfg_size(root, "proxy");
	if (n) {
		c->proxies = calloc(n, sizeof(*c->proxies));
		if (!c->proxies)
			return cfgload_err(p, 0, "out of memory");
	}
	for (i = 0; i < n; i++, c->nproxies++)
		if (conf_proxy_compile(p, cfg_getnsec(root, "proxy", i),
				       &c->proxies[i]) != 0)
			return -1;

	n = cfg_size(root, "route");
	if (n) {
		c->routes = calloc(n, sizeof(*c->routes));
		if (!c->routes)
			return cfgload_err(p, 0, "out of memory");
	}
	for (i = 0; i < n; i++) {
		c->nroutes++; /* counted first: conf_free() sees partial ones */
		if (conf_route_compile(p, cfg_getnsec(root, "route", i), c,
				       &c->routes[i]) != 0)
			return -1;
	}
	return 0;
}

/* ---- public API ------------------------------------------------------- */

void conf_free(struct conf *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nroutes; i++) {
		free(c->routes[i].to);
		free(c->routes[i].users);
		free(c->routes[i].times);
	}
	free(c->routes);
	free(c->isolate);
	for (i = 0; i < c->nproxies; i++) {
		explicit_bzero(c->proxies[i].password,
			       sizeof(c->proxies[i].password));
		explicit_bzero(c->proxies[i].url.pass,
			       sizeof(c->proxies[i].url.pass));
	}
	free(c->proxies);
	free(c);
}

/* Validators of whole sections (libconfuse calls them at the closing
 * brace). */
static int conf_setup(struct cfgload *p, cfg_t *cfg)
{
	(void)p;
	cfg_set_validate_func(cfg, "proxy", conf_check_proxy);
	cfg_set_validate_func(cfg, "route", conf_check_route);
	return 0;
}

/* The compile step: a new struct conf from the checked tree. */
static int conf_compile_new(struct cfgload *p, cfg_t *root, void *out)
{
	struct conf *c = calloc(1, sizeof(*c));

	if (!c)
		return cfgload_err(p, 0, "out of memory");
	if (conf_compile(p, root, c) != 0) {
		conf_free(c);
		return -1;
	}
	*(struct conf **)out = c;
	return 0;
}

static const struct cfgload_schema conf_schema = {
	.opts = conf_root_opts,
	.file_max = CONF_FILE_MAX,
	.unique_titles = "proxy",
	.setup = conf_setup,
	.compile = conf_compile_new,
};

/* Contract: conf.h. */
int conf_load_buf(const char *text, const char *name, struct conf **out,
		  char *err, size_t errlen)
{
	*out = NULL;
	return cfgload_text(&conf_schema, text, name, NULL, out, err, errlen);
}

/* Contract: conf.h. */
int conf_load_file(const char *path, struct conf **out, char *err,
		   size_t errlen)
{
	*out = NULL;
	return cfgload_file(&conf_schema, path, NULL, out, err, errlen);
}

static int conf_add_target(struct conf_route *r, const char *s)
{
	if (conf_target_parse(s, &r->to[r->nto]) != NULL)
		return -1;
	r->nto++;
	return 0;
}

/*
 * One-proxy mode (SPEC section 2): see conf.h.  Builds the structure
 * directly; no libconfuse involved.
 */
int conf_from_url(const char *url, struct conf **out, char *err, size_t errlen)
{
	struct cfgload p;
	struct conf_proxy *px;
	struct conf_route *r;
	struct conf *c;
	const char *why = NULL;

	*out = NULL;
	cfgload_init(&p, "SOCKS_PROXY", err, errlen);

	c = calloc(1, sizeof(*c));
	if (!c)
		return cfgload_err(&p, 0, "out of memory");
	c->proxies = calloc(1, sizeof(*c->proxies));
	c->routes = calloc(2, sizeof(*c->routes));
	if (!c->proxies || !c->routes) {
		cfgload_err(&p, 0, "out of memory");
		goto fail;
	}
	px = &c->proxies[0];
	c->nproxies = 1;
	if (!url || net_proxy_url_parse(url, &px->url, &why) != 0) {
		cfgload_err(&p, 0,
			    "bad proxy URL: %s (expected socks4://host:port, "
			    "socks4a://, socks5:// or socks5h://"
			    "[user[:pass]@]host:port)",
			    why ? why : "not a proxy URL");
		goto fail;
	}
	chr_copy(px->name, sizeof(px->name), "proxy");
	conf_proxy_creds(px);
	conf_default_methods(px);
	conf_proxy_flags(px);
	chr_copy(px->gssapi_service, sizeof(px->gssapi_service),
		 CONF_DEFAULT_GSSAPI_SERVICE);

	chr_copy(c->path, sizeof(c->path), "SOCKS_PROXY");
	chr_copy(c->log, sizeof(c->log), "stderr");
	c->timeout = CONF_DEFAULT_TIMEOUT;
	c->bind_timeout = CONF_DEFAULT_BIND_TIMEOUT;
	c->proxy_retry = CONF_DEFAULT_PROXY_RETRY;
	c->fake_ttl = CONF_DEFAULT_FAKE_TTL;
	c->resolve = (px->url.scheme == NET_SCHEME_SOCKS4A ||
		      px->url.scheme == NET_SCHEME_SOCKS5H)
			     ? CONF_RESOLVE_REMOTE
			     : CONF_RESOLVE_LOCAL;
	if (conf_fake_parse(CONF_DEFAULT_FAKE_NETWORK, AF_INET,
			    &c->fake_network) ||
	    conf_fake_parse(CONF_DEFAULT_FAKE_NETWORK6, AF_INET6,
			    &c->fake_network6)) {
		cfgload_err(&p, 0, "internal error: default fake networks");
		goto fail;
	}

	c->nroutes = 2;
	r = &c->routes[0];
	r->to = calloc(3, sizeof(*r->to));
	r->commands = CONF_CMD_ALL;
	r->via = CONF_VIA_DIRECT;
	if (!r->to) {
		cfgload_err(&p, 0, "out of memory");
		goto fail;
	}
	if (conf_add_target(r, "127.0.0.0/8") ||
	    conf_add_target(r, "::1/128") || conf_add_target(r, "localhost")) {
		cfgload_err(&p, 0, "internal error: loopback targets");
		goto fail;
	}
	r = &c->routes[1];
	r->to = calloc(2, sizeof(*r->to));
	r->commands = CONF_CMD_ALL;
	r->via = CONF_VIA_PROXY;
	r->proxies[0] = px;
	r->nproxies = 1;
	if (!r->to) {
		cfgload_err(&p, 0, "out of memory");
		goto fail;
	}
	if (conf_add_target(r, "0.0.0.0/0") || conf_add_target(r, "::/0")) {
		cfgload_err(&p, 0, "internal error: catch-all targets");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	conf_free(c);
	return -1;
}
