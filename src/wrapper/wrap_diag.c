// SPDX-License-Identifier: MIT
/*
 * socksify --check and --explain (wrap_diag.h).  Everything here answers
 * from the config the library would load and the same pure matcher it
 * calls (rules_match()), so the answer is the library's decision, not a
 * second implementation of it.  Name resolution follows the library's
 * policy (libsocksify(8), NAMES): numeric hosts and localhost resolve
 * locally; with resolve = remote a name whose route goes via a proxy gets
 * a fake address and the name is sent to the proxy; other names resolve
 * locally, and the address decides the route at connect time.
 */
#include "config.h"

#include <netdb.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf/rules.h"
#include "wrapper/wrap_diag.h"

#define DIAG_ADDRS_MAX 8

int diag_warn(const struct conf *c, FILE *f)
{
	size_t i;
	bool proxied = false;
	int n = 0;

	if (c->nroutes == 0) {
		fprintf(f,
			"socksify: warning: %s has no route: every "
			"connection, even to loopback, will be denied "
			"(EACCES); add route { } blocks (socks.conf(5))\n",
			c->path);
		return 1;
	}
	for (i = 0; i < c->nroutes; i++)
		if (c->routes[i].via == CONF_VIA_PROXY)
			proxied = true;
	if (!proxied) {
		fprintf(f,
			"socksify: warning: %s: no route uses a proxy: "
			"nothing will be socksified\n",
			c->path);
		n++;
	}
	return n;
}

int diag_check(const struct conf *c)
{
	printf("%s: config OK (%zu prox%s, %zu route%s, resolve %s)\n", c->path,
	       c->nproxies, c->nproxies == 1 ? "y" : "ies", c->nroutes,
	       c->nroutes == 1 ? "" : "s",
	       c->resolve == CONF_RESOLVE_REMOTE ? "remote" : "local");
	diag_warn(c, stdout);
	return 0;
}

/* Is @name one the library always resolves locally (resolve_policy.c)? */
static bool diag_local_name(const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return (n == 9 && strncasecmp(name, "localhost", 9) == 0) ||
	       (n > 10 && strncasecmp(name + n - 10, ".localhost", 10) == 0);
}

/* "route at FILE:LINE" or "no route" for @r. */
static void diag_print_route(const struct conf *c, const struct rule_result *r)
{
	static const char *const act[] = {"direct", "deny", "proxy"};
	size_t i;

	if (r->route == NULL) {
		printf("  route:      none matches: denied (EACCES), as with "
		       "any destination no route covers\n");
		return;
	}
	if (r->route->line > 0)
		printf("  route:      %s:%d matched: %s", c->path,
		       r->route->line, act[r->action]);
	else
		printf("  route:      %s's built-in route %d (loopback direct, "
		       "the rest via the proxy) matched: %s",
		       c->path, (int)(r->route - c->routes) + 1,
		       act[r->action]);
	if (r->action == RULE_DENY)
		printf(" (the call fails with EACCES)");
	printf("\n");
	if (r->action != RULE_PROXY)
		return;
	for (i = 0; i < r->nproxies; i++) {
		const struct conf_proxy *p = r->proxies[i];
		char host[NET_HOST_MAX + 8];

		if (strchr(p->url.hp.host, ':'))
			snprintf(host, sizeof(host), "[%s]", p->url.hp.host);
		else
			snprintf(host, sizeof(host), "%s", p->url.hp.host);
		printf("  proxy %zu:    %s = %s://%s%s:%u%s\n", i + 1, p->name,
		       net_scheme_name(p->url.scheme),
		       p->has_user ? "USER@" : "", host,
		       (unsigned)p->url.hp.port,
		       i == 0 && r->nproxies > 1 ? " (then the next one if it "
						   "cannot be reached)"
						 : "");
	}
}

/* The query every --explain match starts from: the caller's facts. */
static void diag_query(struct rule_query *q, unsigned cmd, uint16_t port,
		       const char *program, struct tm *tm, char *user,
		       size_t ucap)
{
	struct passwd *pw;
	time_t now = time(NULL);

	memset(q, 0, sizeof(*q));
	q->command = cmd;
	q->port = port;
	q->program = program;
	q->uid = getuid();
	pw = getpwuid(q->uid);
	if (pw != NULL) {
		snprintf(user, ucap, "%s", pw->pw_name);
		q->user = user;
	}
	q->now = localtime_r(&now, tm);
}

/* --explain for a name: the lookup's route first, then the addresses. */
static void diag_explain_name(const struct conf *c, struct rule_query *q,
			      const char *name)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	struct rule_result r;
	enum rule_action a;
	char ip[NET_HOST_MAX];
	int n = 0, rc;

	q->hostname = name;
	if (c->resolve == CONF_RESOLVE_REMOTE && !diag_local_name(name)) {
		a = rules_match(c, q, &r);
		if (a == RULE_PROXY) {
			char net[64];

			printf("  resolution: remote: the program gets a fake "
			       "address from %s and the name goes to the "
			       "proxy (no DNS query leaves this host)\n",
			       net_cidr_format(&c->fake_network, net,
					       sizeof(net)));
			diag_print_route(c, &r);
			return;
		}
		if (a == RULE_DENY) {
			printf("  resolution: denied: the lookup fails, no DNS "
			       "query is sent\n");
			diag_print_route(c, &r);
			return;
		}
	}
	if (diag_local_name(name))
		printf("  resolution: local (localhost is never sent to a "
		       "proxy)\n");
	else if (c->resolve == CONF_RESOLVE_LOCAL)
		printf("  resolution: local (resolve = local)\n");
	else {
		printf("  resolution: local (the name's route is direct)\n");
		diag_print_route(c, &r);
	}
	printf("  then:       each address the lookup gives decides the "
	       "connection's route\n");
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		printf("  lookup:     %s: %s\n", name, gai_strerror(rc));
		return;
	}
	for (ai = res; ai != NULL && n < DIAG_ADDRS_MAX; ai = ai->ai_next) {
		struct net_ip addr;

		if (net_ip_from_sockaddr(&addr, NULL, ai->ai_addr,
					 ai->ai_addrlen) < 0)
			continue;
		q->has_ip = true;
		q->ip = addr;
		rules_match(c, q, &r);
		printf("  address:    %s\n",
		       net_ip_format(&addr, ip, sizeof(ip)));
		diag_print_route(c, &r);
		n++;
	}
	freeaddrinfo(res);
}

int diag_explain(const struct conf *c, const char *dest, unsigned cmd,
		 const char *program)
{
	static const char *const cmds[] = {"", "connect", "bind", "", "udp"};
	struct net_hostport hp;
	struct rule_query q;
	struct rule_result r;
	char user[256] = "";
	struct tm tm;

	if (net_hostport_parse(dest, 80, true, &hp) < 0) {
		fprintf(stderr,
			"socksify: --explain %s: expected HOST[:PORT] "
			"(IPv6 as [ADDR]:PORT)\n",
			dest);
		return 2;
	}
	diag_query(&q, cmd, hp.port, program, &tm, user, sizeof(user));
	printf("%s port %u, %s, program %s, user %s\n", hp.host,
	       (unsigned)hp.port, cmds[cmd], program ? program : "(any)",
	       q.user ? q.user : "(unknown)");
	printf("  config:     %s\n", c->path);
	if (!hp.is_ip) {
		diag_explain_name(c, &q, hp.host);
		return 0;
	}
	q.has_ip = true;
	q.ip = hp.ip;
	printf("  resolution: none (a numeric address)\n");
	rules_match(c, &q, &r);
	diag_print_route(c, &r);
	return 0;
}
