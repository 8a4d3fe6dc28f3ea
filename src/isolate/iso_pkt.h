/* SPDX-License-Identifier: MIT */
/*
 * IP packets as the TUN device carries them (IFF_NO_PI: the packet starts
 * with the IP header): the few fields the daemon decides on, and the
 * kinds of packet it writes itself (a TCP RST for a refused connection,
 * a UDP datagram answering a DNS query or carrying a relayed one, an
 * ICMP port unreachable for a refused UDP datagram).  Pure: no I/O.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_PKT_H
#define SOCKSIFY_ISOLATE_ISO_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/net.h"

#define ISO_TCP_FIN 0x01
#define ISO_TCP_SYN 0x02
#define ISO_TCP_RST 0x04
#define ISO_TCP_ACK 0x10

struct iso_pkt {
	struct net_ip src, dst;
	uint8_t proto;	       /* IPPROTO_TCP, IPPROTO_UDP, ... */
	uint16_t sport, dport; /* TCP/UDP, host order */
	uint8_t tcp_flags;
	uint32_t seq;		/* TCP */
	size_t l4_off;		/* transport header */
	const uint8_t *payload; /* UDP payload */
	size_t payload_len;
};

/* RFC 1071: the sum of @len bytes at @p added to @sum, not folded; and a
 * sum folded to 16 bits and complemented (the checksum field's value). */
uint32_t iso_pkt_sum(uint32_t sum, const uint8_t *p, size_t len);
uint16_t iso_pkt_fold(uint32_t sum);

/*
 * Read the IP header of @buf (@len bytes) and, for TCP and UDP, the ports.
 * IPv6 extension headers are not followed (proto is then the first
 * next-header value).  Returns 0, or -EINVAL for a packet too short or of
 * another version.
 */
int iso_pkt_parse(const uint8_t *buf, size_t len, struct iso_pkt *p);

/*
 * The MSS option (RFC 9293 3.7.1) of the TCP segment @buf (@len bytes),
 * parsed into @p: its value, or 0 when there is none (or the options are
 * malformed).
 */
uint16_t iso_pkt_tcp_mss(const uint8_t *buf, size_t len,
			 const struct iso_pkt *p);

/*
 * Raise the MSS option of the TCP segment @buf (@len bytes, parsed into
 * @p) to @mss when it is lower, keeping the TCP checksum right (RFC 1624).
 * Returns true when it changed.
 */
bool iso_pkt_raise_mss(uint8_t *buf, size_t len, const struct iso_pkt *p,
		       uint16_t mss);

/*
 * A TCP RST|ACK answering the SYN @syn (the peer sees "connection
 * refused"), into @out of @cap bytes.  Returns its length or -ENOSPC.
 */
int iso_pkt_rst(const struct iso_pkt *syn, uint8_t *out, size_t cap);

/*
 * A UDP datagram from @q's destination to its source carrying @data
 * (@dlen bytes), into @out of @cap bytes.  Returns its length or -ENOSPC.
 */
int iso_pkt_udp_reply(const struct iso_pkt *q, const uint8_t *data, size_t dlen,
		      uint8_t *out, size_t cap);

/*
 * Room the ICMP errors quote at most: the offending packet as far as the
 * error still fits in the minimum MTU (RFC 1812 4.3.2.3: 576 bytes for
 * IPv4; RFC 4443 2.4 (c): 1280 for IPv6), minus the IP and ICMP headers.
 */
#define ISO_ICMP4_QUOTE_MAX (576 - 20 - 8)
#define ISO_ICMP6_QUOTE_MAX (1280 - 40 - 8)

/*
 * An ICMP destination unreachable, code "port unreachable" (ICMPv4 type 3
 * code 3, RFC 792; ICMPv6 type 1 code 4, RFC 4443 3.1), from @q's
 * destination to its source, quoting the packet @q was parsed from
 * (@pkt, @len bytes) as far as it fits.  A connected Linux UDP socket
 * then fails its next call with ECONNREFUSED.  Into @out of @cap bytes
 * (1280 is always enough).  Returns its length, -EINVAL for a packet
 * too short to quote (less than its IP header and 8 bytes) or -ENOSPC.
 */
int iso_pkt_unreach(const struct iso_pkt *q, const uint8_t *pkt, size_t len,
		    uint8_t *out, size_t cap);

#endif
