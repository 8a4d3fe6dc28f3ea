/* SPDX-License-Identifier: MIT */
/*
 * rules_match(): the route decision, a pure function of the config and the
 * query.  First matching route wins; no match is a denial ("no route").
 */
#ifndef SOCKSIFY_CONF_RULES_H
#define SOCKSIFY_CONF_RULES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/net.h"
#include "conf/conf.h"

struct rule_query {
	unsigned command; /* one CONF_CMD_* bit */
	bool has_ip;
	struct net_ip ip;     /* destination address (v4-mapped -> v4) */
	const char *hostname; /* name the program resolved, or NULL */
	uint16_t port;	      /* destination port, host order */
	const char *program;  /* program name (basename), or NULL */
	uid_t uid;
	const char *user;     /* login name of uid, or NULL */
	const struct tm *now; /* local time, or NULL (time windows fail) */
};

enum rule_action { RULE_DIRECT, RULE_DENY, RULE_PROXY };

struct rule_result {
	enum rule_action action;
	const struct conf_route *route;		 /* NULL: no route matched */
	const struct conf_proxy *const *proxies; /* route->proxies */
	size_t nproxies;
};

/*
 * Match @q against @c's routes top to bottom.  A route matches when every
 * condition it sets holds: a target (CIDR on the IP; glob on the hostname),
 * a port, the command, the program glob, a user, a time window.  Returns
 * the action; @r gets the route and its proxy list.  Pure: no allocation,
 * no I/O, no locale.  The exact semantics (name-only queries, port and
 * command 0 = unknown, time windows past midnight, v4-mapped addresses)
 * are written above the definition in rules.c and in socks.conf(5).
 */
enum rule_action rules_match(const struct conf *c, const struct rule_query *q,
			     struct rule_result *r);

/*
 * Does @c's `isolate` list name @program (a base name) with one of its
 * globs (the route's `program` syntax)?  "auto" is not a glob: the caller
 * reads c->isolate_auto.  Pure.
 */
bool rules_isolates(const struct conf *c, const char *program);

#endif
