/* SPDX-License-Identifier: MIT */
/*
 * UDP of the isolated program (other than DNS, which iso_dns.c answers):
 * one program socket - one source address and port - is one SOCKS5 UDP
 * ASSOCIATE, its control connection driven by src/preload/client.c, its
 * datagrams sent to the relay through a UDP socket connected to it.
 *
 *   a datagram from a new source -> an association (IDLE); its
 *       destination is routed with the UDP command: deny, direct, a
 *       SOCKS4-only route, or a proxy other than the association's ->
 *       ICMP port unreachable to the program at once (its connected
 *       socket gets ECONNREFUSED), and that verdict is kept
 *   IDLE -> the first destination via a proxy: SETUP (the handshake;
 *       datagrams queued, 32 or 64 KiB at most, then dropped)
 *   SETUP -> failed: FAILED (queued datagrams answered with ICMP; for
 *             a second, every datagram is; then the next starts anew)
 *         -> done: READY, the queue sent
 *   READY -> 60 s without a datagram either way, the control connection
 *            closed, or the program exited: DEAD (one log line)
 *
 * A destination that is a fake address goes to the proxy as its name;
 * replies are written to the program from the address and port it sent
 * to: for a name, the fake address, whatever address the relay reports.
 * At most 256 associations; datagrams that would need one more are
 * dropped and counted, as are datagrams to multicast or broadcast
 * addresses and fragmented ones (larger than the device's MTU).  All state is touched by the loop thread with
 * lwIP's core lock held, like iso_flow.c's.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_UDP_H
#define SOCKSIFY_ISOLATE_ISO_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "isolate/iso.h"
#include "isolate/iso_pkt.h"

/* The epoll instance associations register their sockets with. */
void iso_udp_set_epoll(int ep);

/*
 * A UDP datagram @p (the IP packet @buf, @len bytes) from the program to
 * a port other than 53: sent through its socket's association, queued,
 * refused (ICMP) or dropped.
 */
void iso_udp_packet(const struct iso_pkt *p, const uint8_t *buf, size_t len);

/* @events (epoll) on the association socket registered with @t. */
void iso_udp_event(struct iso_ev *t, uint32_t events);

/* Handshake deadlines, idle associations; frees those that ended.
 * Returns the number of associations left. */
size_t iso_udp_tick(void);

/* The program exited: end every association (their log lines) and log
 * the datagrams dropped, if any. */
void iso_udp_end_all(void);

#endif
