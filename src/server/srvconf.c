// SPDX-License-Identifier: MIT
/*
 * socksifyd config (see srvconf.h): the server's schema on the config
 * skeleton shared with socks.conf (conf/cfgload.h) and its value parsers
 * (conf/cfgvalue.h).  libconfuse validators check each value as it is
 * parsed, so errors carry the FILE:LINE of the offending option; the
 * compiled struct is built after a clean parse (srvconf_compile) and the
 * libconfuse tree is never kept.
 *
 * A new key: a row in srvconf_opts (or srvconf_rule_opts); when its values
 * need a check, a row in srvconf_values (a kind of value parsed in
 * srvconf_value_why(), shared parsers in conf/cfgvalue.h) or a validator
 * set in srvconf_setup(); the field in
 * struct srvconf (srvconf.h) and its line in srvconf_compile().  The
 * message for an unknown key lists the tables' keys by itself.
 */
#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/net.h"
#include "conf/cfgload.h"
#include "conf/cfgvalue.h"
#include "server/srvconf.h"

/* A config file larger than this is refused (bounded memory). */
#define SRVCONF_FILE_MAX (4 * 1024 * 1024)

/* The commands a rule may name (no "raw": not a SOCKS command). */
#define SRVCONF_CMDS (CFGVAL_CMD_CONNECT | CFGVAL_CMD_BIND | CFGVAL_CMD_UDP)
_Static_assert(ACL_CMD_CONNECT == CFGVAL_CMD_CONNECT &&
		       ACL_CMD_BIND == CFGVAL_CMD_BIND &&
		       ACL_CMD_UDP == CFGVAL_CMD_UDP,
	       "acl.h and cfgvalue.h number the commands alike");

/* The server's own state of the parse in progress (cfgload's user). */
struct srvconf_parse {
	const struct srv_cli *cli;
	int *rule_lines; /* line of each rule's "action" */
	size_t nrule_lines, cap_lines;
	int last_action_line;
};

static struct srvconf_parse *srvconf_cur(void)
{
	return cfgload_current()->user;
}

/*
 * "HOST:PORT" for a listener: numeric hosts, or a name resolved now (at
 * start-up, blocking is fine).  Appends to @c->listen.
 */
static int srvconf_listen_add(struct srvconf *c, const char *s, char *why,
			      size_t whylen)
{
	struct net_hostport hp;
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	int rc;

	if (net_hostport_parse(s, 1080, true, &hp) < 0) {
		snprintf(why, whylen,
			 "bad listen address '%.64s' "
			 "(expected HOST:PORT or [V6]:PORT)",
			 s);
		return -1;
	}
	if (hp.is_ip) {
		if (c->nlisten >= SRV_LISTEN_MAX) {
			snprintf(why, whylen, "too many listeners");
			return -1;
		}
		c->listen[c->nlisten].len = net_ip_to_sockaddr(
			&hp.ip, hp.port, &c->listen[c->nlisten].ss);
		c->nlisten++;
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", hp.port);
	rc = getaddrinfo(hp.host, port, &hints, &res);
	if (rc) {
		snprintf(why, whylen, "cannot resolve listen host '%.64s': %s",
			 hp.host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (c->nlisten >= SRV_LISTEN_MAX)
			break;
		memcpy(&c->listen[c->nlisten].ss, ai->ai_addr, ai->ai_addrlen);
		c->listen[c->nlisten].len = ai->ai_addrlen;
		c->nlisten++;
	}
	freeaddrinfo(res);
	return 0;
}

/* ---- validators: called by libconfuse as each value is parsed ---- */

static int srvconf_v_auth(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++) {
		const char *m = cfg_opt_getnstr(opt, i);
		uint8_t code;

		if (cfgval_method(m, &code) == NULL &&
		    code == SOCKS5_METHOD_GSSAPI) {
			cfg_error(cfg,
				  "auth method \"gssapi\" is reserved "
				  "and not supported yet; use \"username\" "
				  "or \"none\"");
			return -1;
		}
		if (cfgval_method(m, &code) != NULL) {
			cfg_error(cfg,
				  "unknown auth method '%.64s' (expected "
				  "\"none\" or \"username\")",
				  m);
			return -1;
		}
	}
	return 0;
}

/* The option's integer lies in [@lo, @hi], else "NAME must be @what". */
static int srvconf_int_in(cfg_t *cfg, cfg_opt_t *opt, long lo, long hi,
			  const char *what)
{
	long v = cfg_opt_getnint(opt, 0);

	if (v < lo || v > hi) {
		cfg_error(cfg, "%s must be %s", opt->name, what);
		return -1;
	}
	return 0;
}

static int srvconf_v_nonneg(cfg_t *cfg, cfg_opt_t *opt)
{
	return srvconf_int_in(cfg, opt, 0, 86400 * 365,
			      "between 0 and 31536000");
}

static int srvconf_v_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	return srvconf_int_in(cfg, opt, 1, 10000000, "a positive number");
}

static int srvconf_v_workers(cfg_t *cfg, cfg_opt_t *opt)
{
	return srvconf_int_in(cfg, opt, 1, SRV_WORKERS_MAX,
			      "between 1 and " SRV_STR(SRV_WORKERS_MAX));
}

static int srvconf_v_spin(cfg_t *cfg, cfg_opt_t *opt)
{
	return srvconf_int_in(
		cfg, opt, 0, SRV_POLL_SPIN_MAX,
		"between 0 and " SRV_STR(SRV_POLL_SPIN_MAX) " (microseconds)");
}

/* A TCP congestion control name (TCP_CA_NAME_MAX), or "" for none. */
static int srvconf_v_cc(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	size_t i, n = v ? strlen(v) : 0;

	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '_' ||
		      v[i] == '-'))
			break;
	if (n >= SRV_CC_NAME_MAX || i < n) {
		cfg_error(cfg, "loopback_congestion must be a congestion "
			       "control name such as \"reno\", or \"\"");
		return -1;
	}
	return 0;
}

static int srvconf_v_user(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *title = cfg_title(sec);
	bool has_pw = cfg_size(sec, "password") > 0;
	bool has_hash = cfg_size(sec, "hash") > 0;

	if (!title || !*title || strlen(title) > 255 || strchr(title, ':')) {
		cfg_error(cfg, "bad user name");
		return -1;
	}
	if (has_pw == has_hash) {
		cfg_error(cfg,
			  "user \"%.64s\" needs exactly one of password "
			  "or hash",
			  title);
		return -1;
	}
	return 0;
}

static int srvconf_v_hash(cfg_t *cfg, cfg_opt_t *opt)
{
	if (!auth_hash_is_valid(cfg_opt_getnstr(opt, 0))) {
		cfg_error(cfg, "hash is not a crypt(3) hash this system "
			       "supports (make one with `openssl passwd -6`)");
		return -1;
	}
	return 0;
}

static int srvconf_v_action(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *a = cfg_opt_getnstr(opt, 0);

	if (strcmp(a, "pass") && strcmp(a, "block")) {
		cfg_error(cfg,
			  "action must be \"pass\" or \"block\", not "
			  "'%.64s'",
			  a);
		return -1;
	}
	srvconf_cur()->last_action_line = cfg->line;
	return 0;
}

static unsigned srvconf_ver_bit(const char *s)
{
	if (strcmp(s, "4") == 0 || strcmp(s, "4a") == 0)
		return ACL_VER4;
	if (strcmp(s, "5") == 0)
		return ACL_VER5;
	return 0;
}

/* Keys whose every value is checked on its own (srvconf_values). */
enum srvconf_value {
	SRVCONF_V_LISTEN,
	SRVCONF_V_EXTERNAL,
	SRVCONF_V_FROM,
	SRVCONF_V_TO,
	SRVCONF_V_PORTS,
	SRVCONF_V_COMMAND,
	SRVCONF_V_VERSION,
	SRVCONF_V_TIME,
};

/*
 * One row a key: its path for cfg_set_validate_func(), its kind, and the
 * message around the value: "PRE'VALUE'POST", or "PRE'VALUE' (WHY)" when
 * @post is NULL (WHY from the shared parser).
 */
static const struct {
	const char *path;
	enum srvconf_value kind;
	const char *pre, *post;
} srvconf_values[] = {
	{"listen", SRVCONF_V_LISTEN, "bad listen address ",
	 " (expected HOST:PORT or [V6]:PORT)"},
	{"external", SRVCONF_V_EXTERNAL,
	 "external must be a numeric IP address, not ", ""},
	{"rule|from", SRVCONF_V_FROM, "bad CIDR ", " in from"},
	{"rule|to", SRVCONF_V_TO, "bad destination ",
	 " in to (expected a CIDR, an address or a host name glob)"},
	{"rule|ports", SRVCONF_V_PORTS, "bad ports ", NULL},
	{"rule|command", SRVCONF_V_COMMAND, "unknown command ",
	 " (expected connect, bind or udp)"},
	{"rule|version", SRVCONF_V_VERSION, "unknown version ",
	 " (expected \"4\" or \"5\")"},
	{"rule|time", SRVCONF_V_TIME, "bad time window ",
	 " (expected e.g. \"Mon-Fri 08:00-18:00\")"},
};

/* NULL when @v is a good value of @kind, else what was expected. */
static const char *srvconf_value_why(enum srvconf_value kind, const char *v)
{
	union {
		struct net_hostport hp;
		struct net_ip ip;
		struct net_cidr cidr;
		struct net_ports ports;
		struct timewin time;
		unsigned int bit;
	} tmp;
	char glob[NET_HOST_MAX + 1];
	bool is_glob;

	memset(&tmp, 0, sizeof(tmp));
	switch (kind) {
	case SRVCONF_V_LISTEN:
		return net_hostport_parse(v, 1080, true, &tmp.hp) < 0 ? ""
								      : NULL;
	case SRVCONF_V_EXTERNAL:
		return net_ip_parse(v, &tmp.ip) < 0 ? "" : NULL;
	case SRVCONF_V_FROM:
		return net_cidr_parse(v, &tmp.cidr) < 0 ? "" : NULL;
	case SRVCONF_V_TO:
		return cfgval_target(v, &is_glob, &tmp.cidr, glob);
	case SRVCONF_V_PORTS:
		return cfgval_ports_add(&tmp.ports, v);
	case SRVCONF_V_COMMAND:
		return cfgval_command(v, SRVCONF_CMDS, &tmp.bit);
	case SRVCONF_V_VERSION:
		return srvconf_ver_bit(v) ? NULL : "";
	case SRVCONF_V_TIME:
		return timewin_parse(v, &tmp.time);
	}
	return NULL;
}

/* Validator of the keys in srvconf_values: each value of @opt. */
static int srvconf_v_value(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *why, *key;
	size_t k;
	unsigned int i;

	for (k = 0; k < sizeof(srvconf_values) / sizeof(srvconf_values[0]);
	     k++) {
		key = strchr(srvconf_values[k].path, '|');
		key = key ? key + 1 : srvconf_values[k].path;
		if (strcmp(key, opt->name) == 0)
			break;
	}
	if (k == sizeof(srvconf_values) / sizeof(srvconf_values[0]))
		return 0;
	for (i = 0; i < cfg_opt_size(opt); i++) {
		const char *v = cfg_opt_getnstr(opt, i);

		why = srvconf_value_why(srvconf_values[k].kind, v);
		if (!why)
			continue;
		if (srvconf_values[k].post)
			cfg_error(cfg, "%s'%.64s'%s", srvconf_values[k].pre, v,
				  srvconf_values[k].post);
		else
			cfg_error(cfg, "%s'%.64s' (%s)", srvconf_values[k].pre,
				  v, why);
		return -1;
	}
	return 0;
}

static int srvconf_v_rule(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);

	if (cfg_size(sec, "action") == 0) {
		cfg_error(cfg, "rule without action (\"pass\" or \"block\")");
		return -1;
	}
	struct srvconf_parse *sp = srvconf_cur();

	if (sp->nrule_lines == sp->cap_lines) {
		size_t cap = sp->cap_lines ? sp->cap_lines * 2 : 16;
		int *n = realloc(sp->rule_lines, cap * sizeof(*n));

		if (!n) {
			cfg_error(cfg, "out of memory");
			return -1;
		}
		sp->rule_lines = n;
		sp->cap_lines = cap;
	}
	sp->rule_lines[sp->nrule_lines++] = sp->last_action_line;
	return 0;
}

static cfg_opt_t srvconf_user_opts[] = {
	CFG_STR("password", NULL, CFGF_NODEFAULT),
	CFG_STR("hash", NULL, CFGF_NODEFAULT), CFG_END()};
static cfg_opt_t srvconf_rule_opts[] = {
	CFG_STR("action", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("from", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("to", NULL, CFGF_NODEFAULT),
	CFG_STR("ports", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("command", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("users", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("version", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("time", NULL, CFGF_NODEFAULT),
	CFG_END()};
static cfg_opt_t srvconf_opts[] = {
	CFG_STR_LIST("listen", NULL, CFGF_NODEFAULT),
	CFG_STR("external", NULL, CFGF_NODEFAULT),
	CFG_STR_LIST("auth", NULL, CFGF_NODEFAULT),
	CFG_STR("users_file", NULL, CFGF_NODEFAULT),
	CFG_SEC("user", srvconf_user_opts, CFGF_MULTI | CFGF_TITLE),
	CFG_INT("handshake_timeout", SRV_DEFAULT_HANDSHAKE_TIMEOUT, 0),
	CFG_INT("connect_timeout", SRV_DEFAULT_CONNECT_TIMEOUT, 0),
	CFG_INT("idle_timeout", SRV_DEFAULT_IDLE_TIMEOUT, 0),
	CFG_INT("udp_timeout", SRV_DEFAULT_UDP_TIMEOUT, 0),
	CFG_INT("bind_timeout", SRV_DEFAULT_BIND_TIMEOUT, 0),
	CFG_INT("max_clients", SRV_DEFAULT_MAX_CLIENTS, 0),
	CFG_INT("max_pipes", SRV_DEFAULT_MAX_PIPES, 0),
	CFG_INT("workers", 1, 0),
	CFG_INT("pipe_size", SRV_DEFAULT_PIPE_SIZE, 0),
	CFG_INT("poll_spin", SRV_DEFAULT_POLL_SPIN, 0),
	CFG_STR("loopback_congestion", "reno", 0),
	CFG_BOOL("allow_open", cfg_false, 0),
	CFG_BOOL("fastopen", cfg_true, 0),
	CFG_INT("debug", 1, 0),
	CFG_STR("log", "stderr", 0),
	CFG_STR("gssapi_keytab", NULL, CFGF_NODEFAULT),
	CFG_STR("gssapi_service", "rcmd", 0),
	CFG_SEC("rule", srvconf_rule_opts, CFGF_MULTI),
	CFG_END()};
/* The validators of srvconf_opts (libconfuse calls them as it parses). */
static int srvconf_setup(struct cfgload *p, cfg_t *cfg)
{
	static const char *const nonneg[] = {
		"handshake_timeout", "connect_timeout", "idle_timeout",
		"udp_timeout",	     "bind_timeout",	"max_pipes"};
	size_t i;

	(void)p;
	cfg_set_validate_func(cfg, "auth", srvconf_v_auth);
	cfg_set_validate_func(cfg, "user", srvconf_v_user);
	cfg_set_validate_func(cfg, "user|hash", srvconf_v_hash);
	for (i = 0; i < sizeof(nonneg) / sizeof(nonneg[0]); i++)
		cfg_set_validate_func(cfg, nonneg[i], srvconf_v_nonneg);
	cfg_set_validate_func(cfg, "max_clients", srvconf_v_positive);
	cfg_set_validate_func(cfg, "pipe_size", srvconf_v_positive);
	cfg_set_validate_func(cfg, "workers", srvconf_v_workers);
	cfg_set_validate_func(cfg, "poll_spin", srvconf_v_spin);
	cfg_set_validate_func(cfg, "loopback_congestion", srvconf_v_cc);
	cfg_set_validate_func(cfg, "rule", srvconf_v_rule);
	cfg_set_validate_func(cfg, "rule|action", srvconf_v_action);
	for (i = 0; i < sizeof(srvconf_values) / sizeof(srvconf_values[0]); i++)
		cfg_set_validate_func(cfg, srvconf_values[i].path,
				      srvconf_v_value);
	return 0;
}

/* Build one rule from a parsed (and validated) section. */
static int srvconf_rule_compile(cfg_t *sec, int line, struct acl_rule *r)
{
	unsigned i, n;

	memset(r, 0, sizeof(*r));
	r->line = line;
	r->pass = strcmp(cfg_getstr(sec, "action"), "pass") == 0;
	n = cfg_size(sec, "from");
	if (n) {
		r->from = calloc(n, sizeof(*r->from));
		if (!r->from)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			net_cidr_parse(cfg_getnstr(sec, "from", i),
				       &r->from[i]);
		r->nfrom = n;
	}
	n = cfg_size(sec, "to");
	if (n) {
		r->to = calloc(n, sizeof(*r->to));
		if (!r->to)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			bool is_glob;

			cfgval_target(cfg_getnstr(sec, "to", i), &is_glob,
				      &r->to[i].cidr, r->to[i].glob);
			r->to[i].kind =
				is_glob ? ACL_TARGET_GLOB : ACL_TARGET_CIDR;
		}
		r->nto = n;
	}
	if (cfg_size(sec, "ports"))
		cfgval_ports_add(&r->ports, cfg_getstr(sec, "ports"));
	for (i = 0; i < cfg_size(sec, "command"); i++) {
		unsigned bit = 0;

		cfgval_command(cfg_getnstr(sec, "command", i), SRVCONF_CMDS,
			       &bit);
		r->commands |= bit;
	}
	for (i = 0; i < cfg_size(sec, "version"); i++)
		r->versions |= srvconf_ver_bit(cfg_getnstr(sec, "version", i));
	n = cfg_size(sec, "users");
	if (n) {
		r->users = calloc(n, sizeof(*r->users));
		if (!r->users)
			return -ENOMEM;
		for (i = 0; i < n; i++) {
			r->users[i] = strdup(cfg_getnstr(sec, "users", i));
			if (!r->users[i])
				return -ENOMEM;
			r->nusers = i + 1;
		}
	}
	n = cfg_size(sec, "time");
	if (n) {
		r->times = calloc(n, sizeof(*r->times));
		if (!r->times)
			return -ENOMEM;
		for (i = 0; i < n; i++)
			timewin_parse(cfg_getnstr(sec, "time", i),
				      &r->times[i]);
		r->ntimes = n;
	}
	return 0;
}

static void srvconf_destroy(struct srvconf *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nrules; i++)
		acl_rule_clear(&c->rules[i]);
	free(c->rules);
	auth_db_free(&c->users);
	free(c);
}

struct srvconf *srvconf_ref(struct srvconf *c)
{
	c->refs++;
	return c;
}

void srvconf_unref(struct srvconf *c)
{
	if (c && --c->refs == 0)
		srvconf_destroy(c);
}

static bool srvconf_sa_is_loopback(const struct sockaddr_storage *ss)
{
	struct net_ip ip;
	uint16_t port;

	if (net_ip_from_sockaddr(&ip, &port, (const struct sockaddr *)ss,
				 sizeof(*ss)) < 0)
		return false;
	return net_ip_is_loopback(&ip);
}

/*
 * The compile step: everything after a clean parse into @out (a struct
 * srvconf): values, users, rules, the command line, the safe-default
 * check.  0 or -1 (reported).
 */
static int srvconf_compile(struct cfgload *p, cfg_t *cfg, void *out)
{
	struct srvconf_parse *sp = p->user;
	const struct srv_cli *cli = sp->cli;
	struct srvconf *c = out;
	char why[SRV_ERR_MAX];
	const char *ufile;
	bool public_listener = false, client_rule = false;
	bool want_none = false, want_user = false;
	unsigned i, n;
	int rc;

	/* Listeners: -l replaces the file's list. */
	if (cli && cli->nlisten) {
		for (i = 0; i < cli->nlisten; i++)
			if (srvconf_listen_add(c, cli->listen[i], why,
					       sizeof(why))) {
				return cfgload_say(p, "-l %s", why);
			}
	} else if (cfg_size(cfg, "listen")) {
		for (i = 0; i < cfg_size(cfg, "listen"); i++)
			if (srvconf_listen_add(c, cfg_getnstr(cfg, "listen", i),
					       why, sizeof(why))) {
				return cfgload_err(p, 0, "%s", why);
			}
	} else {
		srvconf_listen_add(c, SRV_DEFAULT_LISTEN, why, sizeof(why));
	}
	if (cfg_size(cfg, "external")) {
		struct net_ip ip;

		net_ip_parse(cfg_getstr(cfg, "external"), &ip);
		c->external_len = net_ip_to_sockaddr(&ip, 0, &c->external);
		c->has_external = true;
	}
	c->handshake_timeout = (int)cfg_getint(cfg, "handshake_timeout");
	c->connect_timeout = (int)cfg_getint(cfg, "connect_timeout");
	c->idle_timeout = (int)cfg_getint(cfg, "idle_timeout");
	c->udp_timeout = (int)cfg_getint(cfg, "udp_timeout");
	c->bind_timeout = (int)cfg_getint(cfg, "bind_timeout");
	c->max_clients = (int)cfg_getint(cfg, "max_clients");
	c->max_pipes = (int)cfg_getint(cfg, "max_pipes");
	c->workers = (int)cfg_getint(cfg, "workers");
	c->pipe_size = (int)cfg_getint(cfg, "pipe_size");
	c->poll_spin = (int)cfg_getint(cfg, "poll_spin");
	snprintf(c->loopback_cc, sizeof(c->loopback_cc), "%s",
		 cfg_getstr(cfg, "loopback_congestion"));
	c->allow_open = cfg_getbool(cfg, "allow_open");
	c->fastopen = cfg_getbool(cfg, "fastopen");
	c->debug = (int)cfg_getint(cfg, "debug");
	if (cli && cli->debug >= 0)
		c->debug = cli->debug;
	snprintf(c->log, sizeof(c->log), "%s", cfg_getstr(cfg, "log"));

	/* Users: config sections, then the users file, then -u. */
	n = cfg_size(cfg, "user");
	for (i = 0; i < n; i++) {
		cfg_t *u = cfg_getnsec(cfg, "user", i);
		bool hashed = cfg_size(u, "hash") > 0;

		rc = auth_db_add(&c->users, cfg_title(u),
				 cfg_getstr(u, hashed ? "hash" : "password"),
				 hashed);
		if (rc < 0) {
			return cfgload_err(p, 0, "user \"%.64s\": %s",
					   cfg_title(u), strerror(-rc));
		}
	}
	ufile = cli && cli->users_file	      ? cli->users_file
		: cfg_size(cfg, "users_file") ? cfg_getstr(cfg, "users_file")
					      : NULL;
	if (ufile &&
	    auth_db_load_file(&c->users, ufile, p->err, p->errlen) < 0) {
		p->failed = true;
		return -1;
	}
	for (i = 0; cli && i < cli->nusers; i++)
		if (auth_db_add_userpass(&c->users, cli->users[i]) < 0) {
			return cfgload_say(p, "-u: expected USER:PASS");
		}

	/* Methods: the file's list, else username when users exist. */
	n = cfg_size(cfg, "auth");
	for (i = 0; i < n; i++) {
		uint8_t code = SOCKS5_METHOD_USERNAME;
		bool *seen;

		/* checked while parsing: none or username */
		cfgval_method(cfg_getnstr(cfg, "auth", i), &code);
		seen = code == SOCKS5_METHOD_NONE ? &want_none : &want_user;

		if (*seen)
			continue;
		*seen = true;
		c->methods.methods[c->methods.nmethods++] = code;
	}
	if (!n) {
		if (c->users.n)
			want_user = true;
		else
			want_none = true;
		c->methods.methods[c->methods.nmethods++] =
			want_user ? SOCKS5_METHOD_USERNAME : SOCKS5_METHOD_NONE;
	}
	if (want_user && !c->users.n) {
		return cfgload_err(p, 0,
				   "auth \"username\" needs users "
				   "(-u, -U, users_file or user sections)");
	}

	/* Rules, in file order. */
	n = cfg_size(cfg, "rule");
	if (n) {
		c->rules = calloc(n, sizeof(*c->rules));
		if (!c->rules) {
			return cfgload_say(p, "out of memory");
		}
		for (i = 0; i < n; i++) {
			int line = i < sp->nrule_lines ? sp->rule_lines[i] : 0;

			c->nrules = i + 1;
			if (srvconf_rule_compile(cfg_getnsec(cfg, "rule", i),
						 line, &c->rules[i]) < 0) {
				return cfgload_say(p, "out of memory");
			}
			if (c->rules[i].nfrom)
				client_rule = true;
		}
	}

	for (i = 0; i < c->nlisten; i++)
		if (!srvconf_sa_is_loopback(&c->listen[i].ss))
			public_listener = true;
	c->acl.rules = c->rules;
	c->acl.nrules = c->nrules;
	c->acl.public_listener = public_listener;
	c->acl.auth_required = !want_none;

	/* Safe default: no open proxy on a reachable address. */
	if (public_listener && want_none && !client_rule && !c->allow_open) {
		char sa[64];

		for (i = 0; i < c->nlisten; i++)
			if (!srvconf_sa_is_loopback(&c->listen[i].ss))
				break;
		return cfgload_say(
			p,
			"refusing to listen on %s without authentication or "
			"a client rule (open proxy): add users (-u USER:PASS, "
			"-U FILE), a rule with from = {...}, or set "
			"allow_open = true in the config file",
			net_sa_format((struct sockaddr *)&c->listen[i].ss, sa,
				      sizeof(sa)));
	}
	return 0;
}

static const struct cfgload_schema srvconf_schema = {
	.opts = srvconf_opts,
	.file_max = SRVCONF_FILE_MAX,
	.setup = srvconf_setup,
	.compile = srvconf_compile,
};

/*
 * @text (NULL: the file @name; both NULL: the defaults) into a new config
 * holding one reference.  0 or -1 with the message in @err.
 */
static int srvconf_load_any(const char *text, const char *name,
			    const struct srv_cli *cli, struct srvconf **out,
			    char *err, size_t errlen)
{
	struct srvconf_parse sp = {.cli = cli};
	struct srvconf *c;
	int rc;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (name)
		snprintf(c->path, sizeof(c->path), "%s", name);
	if (text || !name)
		rc = cfgload_text(&srvconf_schema, text ? text : "",
				  name ? name : "(defaults)", &sp, c, err,
				  errlen);
	else
		rc = cfgload_file(&srvconf_schema, name, &sp, c, err, errlen);
	free(sp.rule_lines);
	if (rc != 0) {
		srvconf_destroy(c);
		return -1;
	}
	c->refs = 1;
	*out = c;
	return 0;
}

int srvconf_load(const struct srv_cli *cli, struct srvconf **out, char *err,
		 size_t errlen)
{
	return srvconf_load_any(NULL, cli ? cli->config : NULL, cli, out, err,
				errlen);
}

int srvconf_load_buf(const char *text, const char *name,
		     const struct srv_cli *cli, struct srvconf **out, char *err,
		     size_t errlen)
{
	return srvconf_load_any(text, name ? name : "[buf]", cli, out, err,
				errlen);
}
