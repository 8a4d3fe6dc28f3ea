/* SPDX-License-Identifier: MIT */
/*
 * Proxy pools (socks.conf route `mode`): which proxy of a route's list a
 * connection tries first, and which proxies are skipped for a while
 * because they could not be reached (root key `proxy_retry`).  State is
 * per process, lock-free (atomics): the hooks, the engine thread and a
 * fork child may all use it.
 */
#ifndef SOCKSIFY_PRELOAD_POOL_H
#define SOCKSIFY_PRELOAD_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

/*
 * The order in which to try route @r's proxies: @order[i] is an index
 * into r->proxies.  FAILOVER and CHAIN keep the written order;
 * ROUND_ROBIN starts one further than the previous connection of this
 * route in this process (the first at a random one), RANDOM at a random one (both then go round the list).  Except
 * for CHAIN, proxies that failed within the last proxy_retry seconds
 * move to the end (still tried when all others fail).  No I/O.
 */
void pool_order(const struct conf_route *r, uint8_t order[CONF_VIA_MAX]);

/* Proxy @p could not be reached just now. */
void pool_failed(const struct conf_proxy *p);

#endif
