/* SPDX-License-Identifier: MIT */
/*
 * Resolver policy: which names resolve locally, which are faked or carried
 * through a proxy, which are denied (resolve_policy.c has the rules).
 */
#ifndef SOCKSIFY_PRELOAD_RESOLVE_POLICY_H
#define SOCKSIFY_PRELOAD_RESOLVE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/net.h"
#include "conf/rules.h"

enum resolve_verdict {
	RESOLVE_REAL, /* let the real function do it */
	RESOLVE_FAKE, /* hand out a fake address (res_*: ask via the proxy) */
	RESOLVE_DENY  /* fail the lookup (logged by resolve_policy_route) */
};

/* resolve = remote in force?  (No usable config counts as remote: the
 * route then denies, which keeps names off DNS.) */
bool resolve_policy_remote(void);

/* localhost, *.localhost, the loopback aliases of /etc/hosts, this host's
 * own name (case-insensitive, one trailing dot allowed). */
bool resolve_policy_is_local_name(const char *name);

/* A numeric host in any form glibc accepts without DNS (inet_aton forms,
 * IPv6 text, IPv6 with a %scope). */
bool resolve_policy_is_numeric(const char *name);

/*
 * Route the name-only query @name (@port host order, 0 = unknown).  Logs a
 * denial once.  Returns the action; @out (or NULL) gets the match, whose
 * proxy list (RULE_PROXY) lives as long as the config.
 */
enum rule_action resolve_policy_route(const char *name, uint16_t port,
				      struct rule_result *out);

/* Classify and route @name for a forward lookup on @port (host order, 0 =
 * unknown): the verdict. */
enum resolve_verdict resolve_policy_decide(const char *name, uint16_t port);

/* Route the address of a reverse lookup (quiet; no config: RULE_DENY). */
enum rule_action resolve_policy_route_addr(const struct net_ip *ip);

#endif
