// SPDX-License-Identifier: MIT
/*
 * Thread-safe initialisation (init.h).  Two stages, each under its own
 * pthread_once:
 *   1. socksify_init(): real symbols, the environment (read here and only
 *      here), logging through real.write, the fd table, fork handlers.
 *      Run by a constructor when the library is loaded, so that it never
 *      first happens inside an arbitrary libc call (a write() from a signal
 *      handler or from inside malloc must not allocate); hooks still call
 *      it in case they run before the constructor.
 *   2. socksify_conf(): the config and the process facts used by routes
 *      (program, uid, user: getpwuid_r may use NSS), lazily, on the first
 *      call that needs a route.
 * Both run with the re-entry guard set: getpwuid_r (NSS) or the config
 * parser may call libc functions we interpose.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "conf/conf_path.h"
#include "preload/confuse_lazy.h"
#include "preload/hooks.h"
#include "preload/fdtable.h"
#include "preload/init.h"
#include "preload/kind_internal.h"
#include "preload/preload.h"
#include "preload/proxy_addr.h"
#include "preload/real.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

__thread int socksify_guard;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_once_t conf_once = PTHREAD_ONCE_INIT;

/* The environment, copied once (the program may change or overwrite it
 * later: setenv, setproctitle). */
static struct {
	char *conf;
	char *proxy;
	char *log;
	char *user;
	char *pass;
	char *xdg_config;
	char *home;
	bool has_debug;
	int debug;
} env;

static const struct conf *the_conf;

/* Process facts for rules. */
static char prog_name[NAME_MAX + 1];
static char user_name[256];
static bool have_user;
static uid_t prog_uid;

/*
 * Where env_dup() copies values: loading the library allocates nothing,
 * because a process's first malloc() costs system calls and page faults
 * (arena and tcache set-up) that a program such as `true` never pays.
 * Usual values (a proxy URL, a config path) fit; longer ones are
 * strdup()ed.
 */
static char env_store[1024];
static size_t env_used;

/* A private copy of $@name, or NULL when unset (or out of memory). */
static char *env_dup(const char *name)
{
	const char *v = getenv(name);
	size_t n;
	char *p;

	if (!v)
		return NULL;
	n = strlen(v) + 1;
	if (n > sizeof(env_store) - env_used)
		return strdup(v);
	p = env_store + env_used;
	memcpy(p, v, n);
	env_used += n;
	return p;
}

/* Copy @src into @dst of @cap bytes, truncating. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void init_process_facts(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	const char *base = program_invocation_short_name;

	if (n > 0) {
		path[n] = '\0';
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
	}
	if (base)
		copy_str(prog_name, sizeof(prog_name), base);

	prog_uid = getuid();
	struct passwd pw, *res = NULL;
	char buf[2048];

	if (getpwuid_r(prog_uid, &pw, buf, sizeof(buf), &res) == 0 && res) {
		copy_str(user_name, sizeof(user_name), res->pw_name);
		have_user = true;
	}
}

/* Where the log file goes: high, marked internal (kind_internal.h). */
static int init_place_log(int fd)
{
	return kint_adopt(fd, NULL, NULL);
}

static void init_once_fn(void)
{
	const char *dbg;
	int level;

	socksify_guard++;
	env.conf = env_dup("SOCKS_CONF");
	env.proxy = env_dup("SOCKS_PROXY");
	env.log = env_dup("SOCKS_LOG");
	env.user = env_dup("SOCKS_USERNAME");
	env.pass = env_dup("SOCKS_PASSWORD");
	env.xdg_config = env_dup("XDG_CONFIG_HOME");
	env.home = env_dup("HOME");
	dbg = getenv("SOCKS_DEBUG");
	if (dbg && *dbg) {
		env.has_debug = true;
		env.debug = atoi(dbg);
	}

	io_sys.read = real.read;
	io_sys.send = real.send;
	io_sys.poll = real.poll;
	io_sys.write = real.write;
	(void)fdt_init(); /* before the log file: kint_place needs its size */
	log_set_writer(real.write);
	log_set_placer(init_place_log); /* the log file is an internal fd */
	level = env.has_debug ? env.debug : LOG_LVL_ERR;
	if (log_open("socksify", level, env.log ? env.log : "stderr") < 0)
		(void)log_open("socksify", level, "stderr");
	if (log_fd() >= 0)
		kint_mark(log_fd(), NULL, NULL);
	hook_fork_register();
	socksify_guard--;
}

void socksify_init(void)
{
	real_init();
	pthread_once(&init_once, init_once_fn);
}

__attribute__((constructor)) static void socksify_ctor(void)
{
	socksify_init();
}

static void conf_once_fn(void)
{
	char err[CONF_ERR_MAX];
	struct conf *c = NULL;
	char dflt_path[PATH_MAX];
	const char *path;
	bool dflt = false, is_user = false;

	socksify_guard++;
	init_process_facts();
	err[0] = '\0';
	if (env.conf && *env.conf) {
		path = env.conf;
	} else if (env.proxy && *env.proxy) {
		if (conf_from_url(env.proxy, &c, err, sizeof(err)) < 0) {
			LOG_ERR("SOCKS_PROXY: %.200s", err);
			c = NULL;
		}
		goto out;
	} else {
		(void)conf_default_path(env.xdg_config, env.home,
					SYSCONFDIR "/socks.conf", dflt_path,
					sizeof(dflt_path), &is_user);
		path = dflt_path;
		dflt = !is_user;
	}
	if (dflt && access(path, F_OK) != 0) {
		LOG_ERR("no config: %s does not exist and SOCKS_PROXY is not "
			"set; every routed call fails with EACCES",
			path);
		goto out;
	}
	if (conf_load_file(path, &c, err, sizeof(err)) < 0) {
		LOG_ERR("%.400s; every routed call fails with EACCES", err);
		c = NULL;
	}
out:
	if (c) {
		/* The config's logging applies unless the environment chose. */
		int level = env.has_debug ? env.debug : c->debug;
		const char *target = env.log ? env.log : c->log;

		if (!env.has_debug || (!env.log && c->log[0])) {
			int old = log_fd();

			if (log_open("socksify", level,
				     target[0] ? target : "stderr") == 0 &&
			    log_fd() != old) {
				if (old >= 0)
					kint_unmark(old);
				if (log_fd() >= 0)
					kint_mark(log_fd(), NULL, NULL);
			}
		}
	}
	the_conf = c;
	pxa_refresh(c); /* proxies given by name, resolved at load */
	socksify_guard--;
}

static const struct conf *conf_override;

void socksify_conf_set(const struct conf *c)
{
	conf_override = c;
}

const struct conf *socksify_conf(void)
{
	socksify_init();
	if (conf_override)
		return conf_override;
	/* The config comes from a file (conf_once_fn): the library opens
	 * libconfuse only now, and before the once, never inside it
	 * (confuse_lazy.c).  SOCKS_PROXY alone never needs it. */
	if (confuse_preload &&
	    ((env.conf && *env.conf) || !env.proxy || !*env.proxy))
		confuse_preload();
	pthread_once(&conf_once, conf_once_fn);
	return the_conf;
}

const char *socksify_env_username(void)
{
	return env.user;
}

const char *socksify_env_password(void)
{
	return env.pass;
}

/* "dest" text of a query for logs. */
static const char *route_dest(const struct rule_query *q, char *buf, size_t cap)
{
	char ip[64];

	if (q->command == CONF_CMD_RAW && q->has_ip) /* raw, ICMP, SCTP... */
		snprintf(buf, cap, "raw socket to %s",
			 net_ip_format(&q->ip, ip, sizeof(ip)));
	else if (q->hostname)
		snprintf(buf, cap, "%.200s:%u", q->hostname, q->port);
	else if (q->has_ip && q->ip.family == AF_INET6)
		snprintf(buf, cap, "[%s]:%u",
			 net_ip_format(&q->ip, ip, sizeof(ip)), q->port);
	else if (q->has_ip)
		snprintf(buf, cap, "%s:%u",
			 net_ip_format(&q->ip, ip, sizeof(ip)), q->port);
	else
		snprintf(buf, cap, "?:%u", q->port);
	return buf;
}

/* True if a route of @c has a time window (the config never changes). */
static bool conf_has_times(const struct conf *c)
{
	for (size_t i = 0; i < c->nroutes; i++)
		if (c->routes[i].ntimes)
			return true;
	return false;
}

enum rule_action socksify_route(struct rule_query *q, struct rule_result *r)
{
	const struct conf *c = socksify_conf();
	struct tm tm;
	bool timed = c && conf_has_times(c);
	time_t now = timed ? time(NULL) : 0;
	char dest[300];
	enum rule_action a;

	pthread_once(&conf_once, conf_once_fn); /* the process facts */
	memset(r, 0, sizeof(*r));
	q->program = prog_name[0] ? prog_name : NULL;
	q->uid = prog_uid;
	q->user = have_user ? user_name : NULL;
	/* The local time only when some route has a time window. */
	q->now = timed && localtime_r(&now, &tm) ? &tm : NULL;
	if (!c) {
		/* Fail closed; the reason was logged once, at load time. */
		r->action = RULE_DENY;
		LOG_DBG("%s denied: no usable configuration",
			route_dest(q, dest, sizeof(dest)));
		return RULE_DENY;
	}
	a = rules_match(c, q, r);
	if (a == RULE_DENY) {
		if (r->route)
			LOG_ERR("%s denied by the route at line %d of %.200s",
				route_dest(q, dest, sizeof(dest)),
				r->route->line, c->path);
		else
			LOG_ERR("%s denied: no route matches",
				route_dest(q, dest, sizeof(dest)));
	} else if (a == RULE_PROXY && r->nproxies == 0) {
		r->action = a = RULE_DENY;
		LOG_ERR("%s denied: route has no proxy",
			route_dest(q, dest, sizeof(dest)));
	}
	return a;
}
