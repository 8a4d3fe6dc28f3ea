/* SPDX-License-Identifier: MIT */
/*
 * DNS over TCP inside isolation: a TCP connection to port 53, whatever
 * the address, is answered here like a UDP query (iso_dns.h) and never
 * reaches a proxy.  iso_flow.c lets lwIP accept it (no SOCKS handshake)
 * and hands the connection over.  Queries are framed by their two-byte
 * length (RFC 1035 4.2.2, RFC 7766): several on one connection, sent
 * back to back or split anyhow, each answered in order, framed the same
 * way.  A query longer than ISO_DNS_TCP_QMAX or one iso_dns_answer()
 * cannot answer resets the connection; one idle for ISO_DNS_TCP_IDLE_S
 * seconds is closed.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_DNS_TCP_H
#define SOCKSIFY_ISOLATE_ISO_DNS_TCP_H

#include <stdint.h>

#include "common/net.h"

#define ISO_DNS_PORT 53
#define ISO_DNS_TCP_QMAX 1024
#define ISO_DNS_TCP_IDLE_S 10

struct tcp_pcb;

/*
 * Serve DNS on @pcb, which lwIP has just accepted (locked); @dst is the
 * address the program asked (for the log).  Takes over the connection's
 * mapping @nport (iso_nat.h), released when the connection ends.
 * Returns 0, or -ENOMEM: then @pcb is aborted and the mapping is still
 * the caller's.
 */
int iso_dns_tcp_start(struct tcp_pcb *pcb, const struct net_ip *dst,
		      uint16_t nport);

#endif
