/* SPDX-License-Identifier: MIT */
/*
 * Addresses of proxies given by host name (proxy_addr.c).
 *
 * A proxy's name is resolved when the config is loaded, again PXA_TTL_MS
 * after each lookup, and after a connection to it failed: always by
 * pxa_refresh(), on a program thread that holds no library lock (the
 * connect hook, before a handshake starts).  The handshake itself (client.c,
 * possibly on the engine thread, under an entry lock) only reads the
 * cached answer with pxa_lookup(): no resolver call, no blocking.
 */
#ifndef SOCKSIFY_PRELOAD_PROXY_ADDR_H
#define SOCKSIFY_PRELOAD_PROXY_ADDR_H

#include <stdbool.h>

#include "common/net.h"
#include "conf/conf.h"

/* How long an answer is used before the name is looked up again (the
 * system resolver gives no TTL). */
#define PXA_TTL_MS (5 * 60 * 1000)

/*
 * Look up the proxies of @c given by name whose answer is missing, older
 * than PXA_TTL_MS or marked failed.  Blocking (the system resolver, with
 * the re-entry guard set); a no-op costing one clock read when nothing is
 * due.  Call without library locks.
 */
void pxa_refresh(const struct conf *c);

/*
 * The address of proxy @p for a socket of @family (AF_INET prefers IPv4,
 * AF_INET6 IPv6; the other family when it is all the name has): 0 and
 * *@ip, or -EHOSTUNREACH when the name has no address (not resolved, or
 * it does not resolve; logged by pxa_refresh).  Numeric proxies answer
 * from the config.  No I/O.
 */
int pxa_lookup(const struct conf_proxy *p, int family, struct net_ip *ip);

/* A connection to @p failed: its name is looked up again at the next
 * pxa_refresh(). */
void pxa_failed(const struct conf_proxy *p);

/* fork: the cache lock is held across it. */
void pxa_atfork_prepare(void);
void pxa_atfork_parent(void);
void pxa_atfork_child(void);

#endif
