/* SPDX-License-Identifier: MIT */
/*
 * Resolver policy (SPEC section 3, resolve = remote): which names are
 * answered locally, which get a fake address, which are denied; and how a
 * name or an address is routed.  Next to the routes (conf/rules.h): the
 * hooks (hook_resolve.c, hook_res.c, hook_gai_async.c) ask here and act.
 *
 * classify: a NULL or numeric node, "localhost" and *.localhost (and the
 *   loopback aliases of /etc/hosts, and this host's own name), or
 *   resolve = local: the real function, unchanged.
 * route: rules_match() with has_ip = false, the name, the port of the
 *   service when it is known (0 otherwise), command 0 (any) and the process
 *   facts, route by route (see resolve_policy_route(): a deny route limited
 *   to some ports or commands does not deny a name whose port is unknown).
 *   PROXY  -> a fake address (or, for res_*, the query through the proxy).
 *   DIRECT -> the real function (the name resolves locally).
 *   DENY   -> the lookup fails with one log line (also with no usable
 *             config).  No DNS packet either.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/conf.h"
#include "conf/rules.h"
#include "preload/init.h"
#include "preload/preload.h"
#include "preload/resolve_policy.h"

/* Case-insensitive equality ignoring one trailing dot on @name. */
static bool resolve_name_is(const char *name, const char *what)
{
	size_t n = strlen(name), w = strlen(what);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return n == w && strncasecmp(name, what, n) == 0;
}

/* Does @name end in ".@suffix" (case-insensitive, one trailing dot)? */
static bool resolve_name_under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return n > s + 1 && name[n - s - 1] == '.' &&
	       strncasecmp(name + n - s, suffix, s) == 0;
}

/*
 * Names that always resolve locally: localhost and *.localhost (RFC 6761),
 * the loopback aliases Debian's /etc/hosts carries, and this host's own
 * name (programs that resolve it want to bind to it).
 */
bool resolve_policy_is_local_name(const char *name)
{
	struct utsname u;

	if (resolve_name_is(name, "localhost") ||
	    resolve_name_under(name, "localhost") ||
	    resolve_name_is(name, "localhost.localdomain") ||
	    resolve_name_is(name, "ip6-localhost") ||
	    resolve_name_is(name, "ip6-loopback"))
		return true;
	return uname(&u) == 0 && u.nodename[0] != '\0' &&
	       resolve_name_is(name, u.nodename);
}

/*
 * A numeric host in any form glibc accepts without DNS: inet_aton() forms
 * ("127.1", "0x7f000001"), IPv6 text, IPv6 with a %scope.
 */
bool resolve_policy_is_numeric(const char *name)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	struct in_addr a4;
	const char *pct;
	size_t len;

	if (inet_aton(name, &a4))
		return true;
	if (inet_pton(AF_INET6, name, &a6) == 1)
		return true;
	pct = strchr(name, '%');
	if (pct == NULL)
		return false;
	len = (size_t)(pct - name);
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &a6) == 1;
}

/* resolve = remote in force?  (No usable config counts as remote: the
 * route then denies, which keeps names off DNS.) */
bool resolve_policy_remote(void)
{
	const struct conf *c = socksify_conf();

	return c == NULL || c->resolve == CONF_RESOLVE_REMOTE;
}

/* Process facts for routes, computed once the way init.c does. */
static struct {
	char program[NAME_MAX + 1];
	uid_t uid;
	char user[256];
	bool has_user;
} resolve_facts;
static pthread_once_t resolve_facts_once = PTHREAD_ONCE_INIT;

static void resolve_facts_fn(void)
{
	struct passwd pw, *res = NULL;
	char path[PATH_MAX], buf[2048];
	const char *base = program_invocation_short_name;
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n > 0) {
		path[n] = '\0';
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
	}
	if (base)
		snprintf(resolve_facts.program, sizeof(resolve_facts.program),
			 "%.*s", NAME_MAX, base);
	resolve_facts.uid = getuid();
	socksify_guard++; /* NSS may call what we interpose */
	if (getpwuid_r(resolve_facts.uid, &pw, buf, sizeof(buf), &res) == 0 &&
	    res) {
		snprintf(resolve_facts.user, sizeof(resolve_facts.user), "%s",
			 res->pw_name);
		resolve_facts.has_user = true;
	}
	socksify_guard--;
}

/* A query with the process facts and the local time (@tm holds it). */
static void resolve_policy_query(struct rule_query *q, struct tm *tm)
{
	time_t now = time(NULL);

	pthread_once(&resolve_facts_once, resolve_facts_fn);
	memset(q, 0, sizeof(*q));
	q->program = resolve_facts.program[0] ? resolve_facts.program : NULL;
	q->uid = resolve_facts.uid;
	q->user = resolve_facts.has_user ? resolve_facts.user : NULL;
	q->now = localtime_r(&now, tm);
}

/*
 * Does route @r only apply to some ports or commands?  At resolution time
 * both are unknown, and rules_match() lets such conditions hold.
 */
static bool resolve_route_conditional(const struct conf_route *r)
{
	return r->ports.n != 0 || (r->commands & CONF_CMD_ALL) != CONF_CMD_ALL;
}

/*
 * rules_match() on @q (port and command possibly unknown), route by route:
 * a deny route limited to some ports or commands does not match while
 * the port is unknown.  Returns the action; @r->route is NULL when no
 * route matched (RULE_DENY).  A proxy route without proxies denies.
 */
static enum rule_action resolve_policy_match(const struct conf *c,
					     const struct rule_query *q,
					     struct rule_result *r)
{
	struct conf one;
	size_t i;

	for (i = 0; i < c->nroutes; i++) {
		enum rule_action a;

		one = *c;
		one.routes = &c->routes[i];
		one.nroutes = 1;
		a = rules_match(&one, q, r);
		if (r->route == NULL)
			continue;
		if (a == RULE_DENY && q->port == 0 &&
		    resolve_route_conditional(r->route))
			continue;
		if (a == RULE_PROXY && r->nproxies == 0)
			a = RULE_DENY;
		return a;
	}
	memset(r, 0, sizeof(*r));
	return RULE_DENY;
}

/*
 * Route a name-only query (has_ip false, @port host order or 0 = unknown,
 * command 0 = any) through rules_match(), one route at a time, so that a
 * deny route limited to some ports or commands (SPEC's `ports = "25" via =
 * "deny"`) does not deny the *name* when the port is not known yet: the
 * connection is still checked when it is made.  Any other first match
 * decides.  A denial is logged here, once.  Returns the action; @out (or
 * NULL) gets the match (its proxy list lives in the config).
 */
enum rule_action resolve_policy_route(const char *name, uint16_t port,
				      struct rule_result *out)
{
	const struct conf *c = socksify_conf();
	struct rule_result r;
	struct rule_query q;
	struct tm tm;
	enum rule_action a;

	if (c == NULL) {
		LOG_ERR("%.200s: lookup denied: no usable configuration", name);
		return RULE_DENY;
	}
	resolve_policy_query(&q, &tm);
	q.hostname = name;
	q.port = port;
	a = resolve_policy_match(c, &q, &r);
	if (r.route == NULL) {
		LOG_ERR("%.200s: lookup denied: no route matches", name);
		return RULE_DENY;
	}
	if (a == RULE_DENY)
		LOG_ERR("%.200s: lookup denied by the route at line %d of "
			"%.200s",
			name, r.route->line, c->path);
	if (out != NULL)
		*out = r;
	return a;
}

/*
 * Classify and route @name for a forward lookup on @port (host order, 0 =
 * unknown).  Returns the verdict.
 */
enum resolve_verdict resolve_policy_decide(const char *name, uint16_t port)
{
	enum rule_action a;

	if (name == NULL || resolve_policy_is_numeric(name) ||
	    resolve_policy_is_local_name(name) || !resolve_policy_remote())
		return RESOLVE_REAL;
	a = resolve_policy_route(name, port, NULL);
	if (a == RULE_PROXY)
		return RESOLVE_FAKE;
	if (a == RULE_DIRECT)
		return RESOLVE_REAL;
	return RESOLVE_DENY;
}

/*
 * Route the address @ip of a reverse lookup (has_ip, port and command
 * unknown).  Quiet: the caller answers without a PTR query unless the
 * route is direct.  No usable config counts as a denial.
 */
enum rule_action resolve_policy_route_addr(const struct net_ip *ip)
{
	const struct conf *c = socksify_conf();
	struct rule_result r;
	struct rule_query q;
	struct tm tm;

	if (c == NULL)
		return RULE_DENY;
	resolve_policy_query(&q, &tm);
	q.has_ip = true;
	q.ip = *ip;
	net_ip_unmap(&q.ip);
	return resolve_policy_match(c, &q, &r);
}
