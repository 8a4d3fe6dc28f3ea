// SPDX-License-Identifier: MIT
/*
 * socksifyd config (see srvconf.h).  libconfuse validators check each value
 * as it is parsed, so errors carry the FILE:LINE of the offending option;
 * the compiled struct is built after a clean parse and cfg_free()d source
 * is never kept.  libconfuse is not thread-safe: main thread only.
 */
#include "config.h"

#include <arpa/inet.h>
#include <confuse.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfgtext.h"

/* A config file larger than this is refused (bounded memory). */
#define SRVCONF_FILE_MAX (4 * 1024 * 1024)

#include "common/net.h"
#include "server/srvconf.h"

/* State of the one parse in progress (main thread only). */
struct parse_ctx {
	const char *name; /* file name for messages */
	char *err;
	size_t errlen;
	bool failed;
	int *rule_lines; /* line of each rule's "action" */
	size_t nrule_lines, cap_lines;
	int last_action_line;
};
static struct parse_ctx *ctx;

static void errfn(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[SRV_ERR_MAX];
	const char *file = ctx->name;

	if (ctx->failed)
		return; /* keep the first message */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (cfg && cfg->filename && strcmp(cfg->filename, "[buf]") != 0)
		file = cfg->filename;
	if (cfg && cfg->line > 0)
		snprintf(ctx->err, ctx->errlen, "%s:%d: %s", file, cfg->line,
			 msg);
	else
		snprintf(ctx->err, ctx->errlen, "%s: %s", file, msg);
	ctx->failed = true;
}

/*
 * "HOST:PORT" for a listener: numeric hosts, or a name resolved now (at
 * start-up, blocking is fine).  Appends to @c->listen.
 */
static int parse_listen(struct srvconf *c, const char *s, char *why,
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

static int v_listen(cfg_t *cfg, cfg_opt_t *opt)
{
	struct net_hostport hp;
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		if (net_hostport_parse(cfg_opt_getnstr(opt, i), 1080, true,
				       &hp) < 0) {
			cfg_error(cfg,
				  "bad listen address '%.64s' (expected "
				  "HOST:PORT or [V6]:PORT)",
				  cfg_opt_getnstr(opt, i));
			return -1;
		}
	return 0;
}

static int v_external(cfg_t *cfg, cfg_opt_t *opt)
{
	struct net_ip ip;

	if (net_ip_parse(cfg_opt_getnstr(opt, 0), &ip) < 0) {
		cfg_error(cfg,
			  "external must be a numeric IP address, not "
			  "'%.64s'",
			  cfg_opt_getnstr(opt, 0));
		return -1;
	}
	return 0;
}

static int v_auth(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++) {
		const char *m = cfg_opt_getnstr(opt, i);

		if (strcmp(m, "gssapi") == 0) {
			cfg_error(cfg,
				  "auth method \"gssapi\" is reserved "
				  "and not supported yet; use \"username\" "
				  "or \"none\"");
			return -1;
		}
		if (strcmp(m, "none") && strcmp(m, "username")) {
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
static int int_in(cfg_t *cfg, cfg_opt_t *opt, long lo, long hi,
		  const char *what)
{
	long v = cfg_opt_getnint(opt, 0);

	if (v < lo || v > hi) {
		cfg_error(cfg, "%s must be %s", opt->name, what);
		return -1;
	}
	return 0;
}

static int v_nonneg(cfg_t *cfg, cfg_opt_t *opt)
{
	return int_in(cfg, opt, 0, 86400 * 365, "between 0 and 31536000");
}

static int v_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	return int_in(cfg, opt, 1, 10000000, "a positive number");
}

static int v_workers(cfg_t *cfg, cfg_opt_t *opt)
{
	return int_in(cfg, opt, 1, SRV_WORKERS_MAX,
		      "between 1 and " SRV_STR(SRV_WORKERS_MAX));
}

static int v_spin(cfg_t *cfg, cfg_opt_t *opt)
{
	return int_in(
		cfg, opt, 0, SRV_POLL_SPIN_MAX,
		"between 0 and " SRV_STR(SRV_POLL_SPIN_MAX) " (microseconds)");
}

/* A TCP congestion control name (TCP_CA_NAME_MAX), or "" for none. */
static int v_cc(cfg_t *cfg, cfg_opt_t *opt)
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

static int v_user(cfg_t *cfg, cfg_opt_t *opt)
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

static int v_hash(cfg_t *cfg, cfg_opt_t *opt)
{
	if (!auth_hash_is_valid(cfg_opt_getnstr(opt, 0))) {
		cfg_error(cfg, "hash is not a crypt(3) hash this system "
			       "supports (make one with `openssl passwd -6`)");
		return -1;
	}
	return 0;
}

static int v_action(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *a = cfg_opt_getnstr(opt, 0);

	if (strcmp(a, "pass") && strcmp(a, "block")) {
		cfg_error(cfg,
			  "action must be \"pass\" or \"block\", not "
			  "'%.64s'",
			  a);
		return -1;
	}
	ctx->last_action_line = cfg->line;
	return 0;
}

static int v_from(cfg_t *cfg, cfg_opt_t *opt)
{
	struct net_cidr c;
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		if (net_cidr_parse(cfg_opt_getnstr(opt, i), &c) < 0) {
			cfg_error(cfg, "bad CIDR '%.64s' in from",
				  cfg_opt_getnstr(opt, i));
			return -1;
		}
	return 0;
}

static int v_to(cfg_t *cfg, cfg_opt_t *opt)
{
	struct net_cidr c;
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++) {
		const char *t = cfg_opt_getnstr(opt, i);

		if (net_cidr_parse(t, &c) < 0 && !net_glob_is_valid(t)) {
			cfg_error(cfg,
				  "bad destination '%.64s' in to "
				  "(expected a CIDR, an address or a host "
				  "name glob)",
				  t);
			return -1;
		}
	}
	return 0;
}

static int v_ports(cfg_t *cfg, cfg_opt_t *opt)
{
	struct net_ports p;

	if (net_ports_parse(cfg_opt_getnstr(opt, 0), &p) < 0) {
		cfg_error(cfg,
			  "bad ports '%.64s' (expected N, N-M or a "
			  "comma list)",
			  cfg_opt_getnstr(opt, 0));
		return -1;
	}
	return 0;
}

static unsigned cmd_bit(const char *s)
{
	if (strcmp(s, "connect") == 0)
		return ACL_CMD_CONNECT;
	if (strcmp(s, "bind") == 0)
		return ACL_CMD_BIND;
	if (strcmp(s, "udp") == 0 || strcmp(s, "udpassociate") == 0)
		return ACL_CMD_UDP;
	return 0;
}

static int v_command(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		if (!cmd_bit(cfg_opt_getnstr(opt, i))) {
			cfg_error(cfg,
				  "unknown command '%.64s' (expected "
				  "connect, bind or udp)",
				  cfg_opt_getnstr(opt, i));
			return -1;
		}
	return 0;
}

static unsigned ver_bit(const char *s)
{
	if (strcmp(s, "4") == 0 || strcmp(s, "4a") == 0)
		return ACL_VER4;
	if (strcmp(s, "5") == 0)
		return ACL_VER5;
	return 0;
}

static int v_version(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		if (!ver_bit(cfg_opt_getnstr(opt, i))) {
			cfg_error(cfg,
				  "unknown version '%.64s' (expected "
				  "\"4\" or \"5\")",
				  cfg_opt_getnstr(opt, i));
			return -1;
		}
	return 0;
}

static int v_time(cfg_t *cfg, cfg_opt_t *opt)
{
	struct timewin t;
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		if (acl_time_parse(cfg_opt_getnstr(opt, i), &t) < 0) {
			cfg_error(cfg,
				  "bad time window '%.64s' (expected "
				  "e.g. \"Mon-Fri 08:00-18:00\")",
				  cfg_opt_getnstr(opt, i));
			return -1;
		}
	return 0;
}

static int v_rule(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);

	if (cfg_size(sec, "action") == 0) {
		cfg_error(cfg, "rule without action (\"pass\" or \"block\")");
		return -1;
	}
	if (ctx->nrule_lines == ctx->cap_lines) {
		size_t cap = ctx->cap_lines ? ctx->cap_lines * 2 : 16;
		int *n = realloc(ctx->rule_lines, cap * sizeof(*n));

		if (!n) {
			cfg_error(cfg, "out of memory");
			return -1;
		}
		ctx->rule_lines = n;
		ctx->cap_lines = cap;
	}
	ctx->rule_lines[ctx->nrule_lines++] = ctx->last_action_line;
	return 0;
}

static cfg_t *make_cfg(void)
{
	static cfg_opt_t user_opts[] = {
		CFG_STR("password", NULL, CFGF_NODEFAULT),
		CFG_STR("hash", NULL, CFGF_NODEFAULT), CFG_END()};
	static cfg_opt_t rule_opts[] = {
		CFG_STR("action", NULL, CFGF_NODEFAULT),
		CFG_STR_LIST("from", NULL, CFGF_NODEFAULT),
		CFG_STR_LIST("to", NULL, CFGF_NODEFAULT),
		CFG_STR("ports", NULL, CFGF_NODEFAULT),
		CFG_STR_LIST("command", NULL, CFGF_NODEFAULT),
		CFG_STR_LIST("users", NULL, CFGF_NODEFAULT),
		CFG_STR_LIST("version", NULL, CFGF_NODEFAULT),
		CFG_STR_LIST("time", NULL, CFGF_NODEFAULT),
		CFG_END()};
	static cfg_opt_t opts[] = {
		CFG_STR_LIST("listen", NULL, CFGF_NODEFAULT),
		CFG_STR("external", NULL, CFGF_NODEFAULT),
		CFG_STR_LIST("auth", NULL, CFGF_NODEFAULT),
		CFG_STR("users_file", NULL, CFGF_NODEFAULT),
		CFG_SEC("user", user_opts, CFGF_MULTI | CFGF_TITLE),
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
		CFG_INT("debug", 1, 0),
		CFG_STR("log", "stderr", 0),
		CFG_STR("gssapi_keytab", NULL, CFGF_NODEFAULT),
		CFG_STR("gssapi_service", "rcmd", 0),
		CFG_SEC("rule", rule_opts, CFGF_MULTI),
		CFG_END()};
	static const char *const nonneg[] = {
		"handshake_timeout", "connect_timeout", "idle_timeout",
		"udp_timeout",	     "bind_timeout",	"max_pipes"};
	cfg_t *cfg = cfg_init(opts, 0);
	size_t i;

	if (!cfg)
		return NULL;
	cfg_set_error_function(cfg, errfn);
	cfg_set_validate_func(cfg, "listen", v_listen);
	cfg_set_validate_func(cfg, "external", v_external);
	cfg_set_validate_func(cfg, "auth", v_auth);
	cfg_set_validate_func(cfg, "user", v_user);
	cfg_set_validate_func(cfg, "user|hash", v_hash);
	for (i = 0; i < sizeof(nonneg) / sizeof(nonneg[0]); i++)
		cfg_set_validate_func(cfg, nonneg[i], v_nonneg);
	cfg_set_validate_func(cfg, "max_clients", v_positive);
	cfg_set_validate_func(cfg, "pipe_size", v_positive);
	cfg_set_validate_func(cfg, "workers", v_workers);
	cfg_set_validate_func(cfg, "poll_spin", v_spin);
	cfg_set_validate_func(cfg, "loopback_congestion", v_cc);
	cfg_set_validate_func(cfg, "rule", v_rule);
	cfg_set_validate_func(cfg, "rule|action", v_action);
	cfg_set_validate_func(cfg, "rule|from", v_from);
	cfg_set_validate_func(cfg, "rule|to", v_to);
	cfg_set_validate_func(cfg, "rule|ports", v_ports);
	cfg_set_validate_func(cfg, "rule|command", v_command);
	cfg_set_validate_func(cfg, "rule|version", v_version);
	cfg_set_validate_func(cfg, "rule|time", v_time);
	return cfg;
}

/* Build one rule from a parsed (and validated) section. */
static int compile_rule(cfg_t *sec, int line, struct acl_rule *r)
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
			const char *t = cfg_getnstr(sec, "to", i);

			if (net_cidr_parse(t, &r->to[i].cidr) == 0) {
				r->to[i].kind = ACL_TARGET_CIDR;
			} else {
				r->to[i].kind = ACL_TARGET_GLOB;
				snprintf(r->to[i].glob, sizeof(r->to[i].glob),
					 "%s", t);
			}
		}
		r->nto = n;
	}
	if (cfg_size(sec, "ports"))
		net_ports_parse(cfg_getstr(sec, "ports"), &r->ports);
	for (i = 0; i < cfg_size(sec, "command"); i++)
		r->commands |= cmd_bit(cfg_getnstr(sec, "command", i));
	for (i = 0; i < cfg_size(sec, "version"); i++)
		r->versions |= ver_bit(cfg_getnstr(sec, "version", i));
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
			acl_time_parse(cfg_getnstr(sec, "time", i),
				       &r->times[i]);
		r->ntimes = n;
	}
	return 0;
}

static void conf_destroy(struct srvconf *c)
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
		conf_destroy(c);
}

static bool sa_is_loopback(const struct sockaddr_storage *ss)
{
	struct net_ip ip;
	uint16_t port;

	if (net_ip_from_sockaddr(&ip, &port, (const struct sockaddr *)ss,
				 sizeof(*ss)) < 0)
		return false;
	return net_ip_is_loopback(&ip);
}

/* Everything after a clean parse: values, users, rules, CLI, checks. */
static int compile(cfg_t *cfg, const struct srv_cli *cli, struct srvconf *c,
		   char *err, size_t errlen)
{
	char why[SRV_ERR_MAX];
	const char *ufile;
	bool public_listener = false, client_rule = false;
	bool want_none = false, want_user = false;
	unsigned i, n;
	int rc;

	/* Listeners: -l replaces the file's list. */
	if (cli && cli->nlisten) {
		for (i = 0; i < cli->nlisten; i++)
			if (parse_listen(c, cli->listen[i], why, sizeof(why))) {
				snprintf(err, errlen, "-l %s", why);
				return -1;
			}
	} else if (cfg_size(cfg, "listen")) {
		for (i = 0; i < cfg_size(cfg, "listen"); i++)
			if (parse_listen(c, cfg_getnstr(cfg, "listen", i), why,
					 sizeof(why))) {
				snprintf(err, errlen, "%s: %s", ctx->name, why);
				return -1;
			}
	} else {
		parse_listen(c, SRV_DEFAULT_LISTEN, why, sizeof(why));
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
			snprintf(err, errlen, "%s: user \"%.64s\": %s",
				 ctx->name, cfg_title(u), strerror(-rc));
			return -1;
		}
	}
	ufile = cli && cli->users_file	      ? cli->users_file
		: cfg_size(cfg, "users_file") ? cfg_getstr(cfg, "users_file")
					      : NULL;
	if (ufile && auth_db_load_file(&c->users, ufile, err, errlen) < 0)
		return -1;
	for (i = 0; cli && i < cli->nusers; i++)
		if (auth_db_add_userpass(&c->users, cli->users[i]) < 0) {
			snprintf(err, errlen, "-u: expected USER:PASS");
			return -1;
		}

	/* Methods: the file's list, else username when users exist. */
	n = cfg_size(cfg, "auth");
	for (i = 0; i < n; i++) {
		const char *m = cfg_getnstr(cfg, "auth", i);
		uint8_t code = strcmp(m, "none") == 0 ? SOCKS5_METHOD_NONE
						      : SOCKS5_METHOD_USERNAME;
		bool *seen =
			code == SOCKS5_METHOD_NONE ? &want_none : &want_user;

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
		snprintf(err, errlen,
			 "%s: auth \"username\" needs users "
			 "(-u, -U, users_file or user sections)",
			 ctx->name);
		return -1;
	}

	/* Rules, in file order. */
	n = cfg_size(cfg, "rule");
	if (n) {
		c->rules = calloc(n, sizeof(*c->rules));
		if (!c->rules) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (i = 0; i < n; i++) {
			int line =
				i < ctx->nrule_lines ? ctx->rule_lines[i] : 0;

			c->nrules = i + 1;
			if (compile_rule(cfg_getnsec(cfg, "rule", i), line,
					 &c->rules[i]) < 0) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			if (c->rules[i].nfrom)
				client_rule = true;
		}
	}

	for (i = 0; i < c->nlisten; i++)
		if (!sa_is_loopback(&c->listen[i].ss))
			public_listener = true;
	c->acl.rules = c->rules;
	c->acl.nrules = c->nrules;
	c->acl.public_listener = public_listener;
	c->acl.auth_required = !want_none;

	/* Safe default: no open proxy on a reachable address. */
	if (public_listener && want_none && !client_rule && !c->allow_open) {
		char sa[64];

		for (i = 0; i < c->nlisten; i++)
			if (!sa_is_loopback(&c->listen[i].ss))
				break;
		snprintf(err, errlen,
			 "refusing to listen on %s without authentication or "
			 "a client rule (open proxy): add users (-u USER:PASS, "
			 "-U FILE), a rule with from = {...}, or set "
			 "allow_open = true in the config file",
			 net_sa_format((struct sockaddr *)&c->listen[i].ss, sa,
				       sizeof(sa)));
		return -1;
	}
	return 0;
}

/*
 * Comments out and structure checked before libconfuse sees the text
 * (cfgtext.h says why).  0 or -1 (reported).
 */
static int prescan(char *buf, char *err, size_t errlen)
{
	const char *why;
	int line;

	if (cfgtext_prescan(buf, &line, &why) == 0)
		return 0;
	snprintf(err, errlen, "%s:%d: %s", ctx->name, line, why);
	return -1;
}

static int load(const char *text, const char *name, const struct srv_cli *cli,
		struct srvconf **out, char *err, size_t errlen)
{
	struct parse_ctx pc;
	struct srvconf *c;
	char *copy = NULL;
	cfg_t *cfg;
	int rc = -1;

	memset(&pc, 0, sizeof(pc));
	pc.name = name ? name : "(defaults)";
	pc.err = err;
	pc.errlen = errlen;
	ctx = &pc;
	*out = NULL;
	c = calloc(1, sizeof(*c));
	cfg = make_cfg();
	if (!c || !cfg) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (name)
		snprintf(c->path, sizeof(c->path), "%s", name);
	if (text) {
		copy = strdup(text);
	} else if (name) {
		copy = cfgtext_read_file(name, SRVCONF_FILE_MAX, NULL);
		if (!copy) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			rc = -1;
			goto out;
		}
	} else {
		copy = strdup("");
	}
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto out;
	}
	if (prescan(copy, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	rc = cfg_parse_buf(cfg, copy);
	if (rc != CFG_SUCCESS) {
		if (!pc.failed)
			snprintf(err, errlen, "%s: cannot parse", pc.name);
		rc = -1;
		goto out;
	}
	rc = compile(cfg, cli, c, err, errlen);
out:
	if (copy) {
		explicit_bzero(copy, strlen(copy)); /* may hold passwords */
		free(copy);
	}
	if (cfg)
		cfg_free(cfg);
	free(pc.rule_lines);
	ctx = NULL;
	if (rc == 0) {
		c->refs = 1;
		*out = c;
	} else {
		conf_destroy(c);
	}
	return rc;
}

int srvconf_load(const struct srv_cli *cli, struct srvconf **out, char *err,
		 size_t errlen)
{
	return load(NULL, cli ? cli->config : NULL, cli, out, err, errlen);
}

int srvconf_load_buf(const char *text, const char *name,
		     const struct srv_cli *cli, struct srvconf **out, char *err,
		     size_t errlen)
{
	return load(text, name ? name : "[buf]", cli, out, err, errlen);
}
