/* SPDX-License-Identifier: MIT */
/*
 * Address translation between the program's TCP connections and lwIP.
 * Debian's lwIP takes a segment only when it is addressed to one of its
 * interfaces, and it numbers interfaces in a byte; so lwIP sees every
 * connection as made to its own address (ISO_GW_IP4 / ISO_GW_IP6), from a
 * source port of its own that names the connection ("nport"), to the
 * destination port the program used:
 *
 *   program  P:sport -> X:dport     (what the program sent)
 *   lwIP     P:nport -> GW:dport    (what lwIP receives and answers)
 *
 * Segments both ways are rewritten with RFC 1624 incremental checksums.
 * A mapping is made for a SYN, kept while the flow lives and ISO_NAT_LINGER_MS
 * after it (the closing handshake), and an nport is not handed out again
 * before the whole port range went round.  Pure: no I/O, no lwIP.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_NAT_H
#define SOCKSIFY_ISOLATE_ISO_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/net.h"

#define ISO_NAT_LINGER_MS 30000
#define ISO_NAT_PORT_MIN 1024 /* nports: 1024..65535 */

/* lwIP's own addresses (the interface the daemon gives it). */
void iso_nat_init(const struct net_ip *gw4, const struct net_ip *gw6);

/*
 * A mapping for the program's connection @src:@sport -> @dst:@dport.
 * Returns the nport (> 0), or -ENOSPC when every nport is taken, -ENOMEM.
 */
int iso_nat_add(const struct net_ip *src, uint16_t sport,
		const struct net_ip *dst, uint16_t dport);

/* The flow of @nport ended at @now_ms: the mapping lingers, then goes. */
void iso_nat_release(uint16_t nport, int64_t now_ms);

/* Free the mappings whose linger ended by @now_ms.  Returns how many are
 * left. */
size_t iso_nat_expire(int64_t now_ms);

/*
 * Rewrite the IP packet @pkt (@len bytes) from the program for lwIP.
 * Returns 1 (rewritten), 0 (not TCP: leave it alone) or -ENOENT (TCP of
 * no known connection: drop it).
 */
int iso_nat_in(uint8_t *pkt, size_t len);

/*
 * Rewrite the IP packet @pkt (@len bytes) lwIP sends, for the program.
 * Its first ISO_NAT_SAVE bytes are copied to @save first, so that the
 * caller can put them back (the packet may be lwIP's retransmission
 * copy).  Returns 1, 0 or -ENOENT as iso_nat_in.
 */
#define ISO_NAT_SAVE 80 /* the largest IP header + a TCP header's fixed part */
int iso_nat_out(uint8_t *pkt, size_t len, uint8_t save[ISO_NAT_SAVE]);

#endif
