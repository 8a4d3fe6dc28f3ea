/* SPDX-License-Identifier: MIT */
/*
 * DNS through the proxy (resolve_tunnel.c): a query for a name routed via
 * a proxy is carried as DNS over TCP (RFC 1035 4.2.2, RFC 7766) inside a
 * SOCKS CONNECT to a nameserver the proxy can reach.  No packet of it
 * goes anywhere but to the proxy.
 */
#ifndef SOCKSIFY_PRELOAD_RESOLVE_TUNNEL_H
#define SOCKSIFY_PRELOAD_RESOLVE_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "conf/rules.h"

/*
 * Send the DNS query @q (@qlen bytes, its question about @name, for logs)
 * through @r's proxies (tried in order) to the configured nameserver, and
 * read the answer into @ans (@anscap bytes; a longer answer is cut there
 * with its TC bit set, as glibc does).  Blocking, bounded by the config's
 * timeout for the proxy and again for the exchange.  Returns the answer
 * length, or -errno with one log line: -EDESTADDRREQ no nameserver the
 * proxy can reach (none set, and resolv.conf's first one is loopback or
 * missing), the client driver's errors (-ECONNREFUSED, -ETIMEDOUT, ...),
 * -EPROTO for an answer that does not match the query.
 */
int resolve_tunnel_query(const struct rule_result *r, const char *name,
			 const uint8_t *q, size_t qlen, uint8_t *ans,
			 size_t anscap);

#endif
