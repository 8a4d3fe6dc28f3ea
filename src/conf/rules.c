/* SPDX-License-Identifier: MIT */
/*
 * rules_match(): the route decision.  Pure: no allocation, no I/O, no
 * locale, no global state; safe from any thread and from hooks.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <string.h>

#include "conf/rules.h"

/*
 * Case-sensitive glob on a program's base name: '*' any run (also empty),
 * '?' one character, everything else literal.  Iterative, linear in
 * practice: on a mismatch it retries from the last '*' one character later.
 */
static bool rules_glob(const char *pat, const char *s)
{
	const char *star = NULL, *retry = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			retry = s;
		} else if (*pat == '?' || *pat == *s) {
			pat++;
			s++;
		} else if (star) {
			pat = star + 1;
			s = ++retry;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static bool rules_target(const struct conf_target *t,
			 const struct rule_query *q, const struct net_ip *ip)
{
	if (t->kind == CONF_TARGET_GLOB)
		return q->hostname && net_glob_match(t->glob, q->hostname);
	if (q->has_ip)
		return net_cidr_contains(&t->cidr, ip);
	/* Name only: just the catch-all networks say "any destination". */
	return t->cidr.prefix == 0;
}

static bool rules_targets(const struct conf_route *r,
			  const struct rule_query *q, const struct net_ip *ip)
{
	size_t i;

	if (r->nto == 0)
		return true;
	for (i = 0; i < r->nto; i++)
		if (rules_target(&r->to[i], q, ip))
			return true;
	return false;
}

static bool rules_users(const struct conf_route *r, const struct rule_query *q)
{
	size_t i;

	if (r->nusers == 0)
		return true;
	for (i = 0; i < r->nusers; i++) {
		const struct conf_user *u = &r->users[i];

		if (u->is_uid ? q->uid == u->uid
			      : (q->user && strcmp(q->user, u->name) == 0))
			return true;
	}
	return false;
}

static bool rules_times(const struct conf_route *r, const struct rule_query *q)
{
	size_t i;

	if (r->ntimes == 0)
		return true;
	if (!q->now || q->now->tm_hour < 0 || q->now->tm_hour > 23 ||
	    q->now->tm_min < 0 || q->now->tm_min > 59)
		return false;
	for (i = 0; i < r->ntimes; i++)
		if (timewin_match(&r->times[i], q->now))
			return true;
	return false;
}

static bool rules_route(const struct conf_route *r, const struct rule_query *q,
			const struct net_ip *ip)
{
	if (q->command ? !(r->commands & q->command)
		       : !(r->commands & CONF_CMD_ALL))
		return false; /* unknown: any SOCKS command, never raw alone */
	if (!rules_targets(r, q, ip))
		return false;
	if (r->ports.n && q->port && !net_ports_contains(&r->ports, q->port))
		return false;
	if (r->program[0] &&
	    !(q->program && rules_glob(r->program, q->program)))
		return false;
	return rules_users(r, q) && rules_times(r, q);
}

/*
 * Semantics (also in socks.conf(5)):
 *  - Routes are tried top to bottom; the first whose every condition holds
 *    decides.  No match: RULE_DENY with r->route = NULL ("no route").
 *  - to: a CIDR entry matches q->ip when q->has_ip (v4-mapped addresses are
 *    compared as IPv4; "::/0" does not cover IPv4).  A glob entry matches
 *    q->hostname when it is set.  A query with only a name (has_ip false:
 *    name resolution, or a connect to a fake address whose name is known)
 *    matches a CIDR entry only if its prefix is 0 ("0.0.0.0/0", "::/0").
 *    With both an address and a name, either may match.  No `to`: any.
 *  - q->port 0 is "unknown" (resolution time): a ports condition holds.
 *    q->command 0 is "unknown": the command condition holds when the
 *    route allows any of connect, bind, udp; a route for command "raw"
 *    alone answers only raw queries (a name is never resolved "direct"
 *    because a raw route is).
 *  - program: glob ('*', '?', case-sensitive) on q->program; fails when
 *    q->program is NULL.  user: q->uid equals a uid:N entry or q->user
 *    equals a name entry.  time: q->now falls in a window; with q->now NULL
 *    time-conditioned routes do not match.
 *  - The action is the route's via: RULE_DIRECT, RULE_DENY, or RULE_PROXY
 *    with r->proxies / r->nproxies in the order to try.
 *  - Because unknown facts hold, a name-only query with port 0 meets a deny
 *    route limited to some ports (`ports = "25" via = deny`).  Resolvers
 *    that want "where would this name go" pass such routes over themselves
 *    (hook_resolve.c does); rules_match() reports the first match as is.
 * Pure; @r is always filled.  Returns r->action.
 */
enum rule_action rules_match(const struct conf *c, const struct rule_query *q,
			     struct rule_result *r)
{
	struct net_ip ip;
	size_t i;

	r->action = RULE_DENY;
	r->route = NULL;
	r->proxies = NULL;
	r->nproxies = 0;
	if (!c || !q)
		return r->action;
	memset(&ip, 0, sizeof(ip));
	if (q->has_ip) {
		ip = q->ip;
		net_ip_unmap(&ip);
	}
	for (i = 0; i < c->nroutes; i++) {
		const struct conf_route *route = &c->routes[i];

		if (!rules_route(route, q, &ip))
			continue;
		r->route = route;
		switch (route->via) {
		case CONF_VIA_DIRECT:
			r->action = RULE_DIRECT;
			break;
		case CONF_VIA_PROXY:
			r->action = RULE_PROXY;
			r->proxies = route->proxies;
			r->nproxies = route->nproxies;
			break;
		case CONF_VIA_DENY:
		default:
			r->action = RULE_DENY;
			break;
		}
		return r->action;
	}
	return r->action;
}

/* Contract: rules.h. */
bool rules_isolates(const struct conf *c, const char *program)
{
	size_t i;

	for (i = 0; i < c->nisolate; i++)
		if (rules_glob(c->isolate[i], program))
			return true;
	return false;
}
