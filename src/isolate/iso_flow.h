/* SPDX-License-Identifier: MIT */
/*
 * TCP flows of the isolated program, each one SOCKS CONNECT:
 *
 *   SYN from the program -> to port 53: SYNWAIT at once, and when lwIP
 *                           accepts, the connection is iso_dns_tcp.c's
 *                        -> route: deny / direct / no name -> RST at once
 *                        -> proxy: HANDSHAKE (client.c on a socket to the
 *                           proxy; SYN retransmissions dropped meanwhile)
 *   HANDSHAKE -> failed: RST (the program's connect() is refused)
 *             -> done: the SYN goes to lwIP, which answers SYN-ACK: SYNWAIT
 *   SYNWAIT -> lwIP accepted (iso_flow_accept): OPEN, relayed both ways;
 *              lwIP's receive window is opened only as bytes reach the
 *              proxy, and the proxy is read only while lwIP has send buffer
 *   OPEN -> both sides closed, or either reset: the flow ends, one log line
 *
 * All flow state is touched with lwIP's core lock held (the loop thread
 * takes it; lwIP's timer thread holds it when it calls back).
 */
#ifndef SOCKSIFY_ISOLATE_ISO_FLOW_H
#define SOCKSIFY_ISOLATE_ISO_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "isolate/iso_pkt.h"

struct flow;

/* TCP connections at once; a SYN beyond them is refused (RST).  Each
 * holds a socket to the proxy and up to 1 MiB (while at most 16 are open)
 * or 64 KiB of data the program has not read yet. */
#define ISO_FLOWS_MAX 4096

/* The epoll instance flows register their proxy sockets with. */
void iso_flow_set_epoll(int ep);

/*
 * A TCP packet @p (@buf, @len bytes) from the program: a new SYN starts a
 * flow or is refused; anything else goes to lwIP.  Locked.
 */
void iso_flow_tcp(const struct iso_pkt *p, const uint8_t *buf, size_t len);

/* @events (epoll) on flow @f's proxy socket.  Locked. */
void iso_flow_event(struct flow *f, uint32_t events);

/* What the program wrote in this batch sent on; deadlines of handshakes,
 * flows that ended.  Locked.  Returns the number of flows still open. */
size_t iso_flow_tick(void);

#endif
