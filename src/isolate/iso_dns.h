/* SPDX-License-Identifier: MIT */
/*
 * DNS inside isolation: every UDP query to port 53, whatever the address,
 * is answered here and never leaves (over TCP: iso_dns_tcp.h).  A name whose route goes via a proxy
 * gets its fake address from the user's shared table (A from
 * fake_network, AAAA from fake_network6), so that the connection that
 * follows carries the name to the proxy; "localhost" answers loopback; a
 * name routed direct or denied gets REFUSED (there is no direct path from
 * inside isolation); other query types get an empty answer, other
 * opcodes than QUERY NOTIMP.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_DNS_H
#define SOCKSIFY_ISOLATE_ISO_DNS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The answer to the query @q (@qlen bytes) into @out (@cap bytes).
 * Returns its length, or -EINVAL when @q is no query we can answer (the
 * caller drops it).
 */
int iso_dns_answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap);

#endif
