/* SPDX-License-Identifier: MIT */
/* The SOCKS5 UDP request header, RFC 1928 section 7.  Pure. */
#include "config.h"

#include <string.h>

#include "proto/socks5.h"
#include "proto/udp_header.h"

/*
 *   +----+------+------+----------+----------+----------+
 *   |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
 *   +----+------+------+----------+----------+----------+
 *   | 2  |  1   |  1   | Variable |    2     | Variable |
 *
 * Writes the header (RSV X'0000') only.  Returns its length, PROTO_E_INVAL
 * for an unset or invalid address, PROTO_E_NOSPACE.
 */
ssize_t socks5_udp_header_encode(uint8_t *buf, size_t cap,
				 const struct socks5_udp_header *h)
{
	ssize_t n;

	/* Validate the address before looking at the space. */
	n = socks5_addr_encode(NULL, 0, &h->addr);
	if (n == PROTO_E_INVAL)
		return n;
	n = (ssize_t)socks_addr_wire_len(&h->addr);
	if (cap < 3 + (size_t)n)
		return PROTO_E_NOSPACE;
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = h->frag;
	return 3 + socks5_addr_encode(buf + 3, cap - 3, &h->addr);
}

/*
 * Decode the header at the start of a whole datagram of @len bytes into @h
 * (zeroed first).  In wire order: RSV bytes zero (PROTO_E_RSV), FRAG as
 * is, ATYP (PROTO_E_ATYP), name (PROTO_E_NAME).  A datagram that ends
 * before the header does gives PROTO_E_TRUNCATED, never 0.  Returns the
 * header length: DATA is buf[ret..len).
 */
ssize_t socks5_udp_header_decode(const uint8_t *buf, size_t len,
				 struct socks5_udp_header *h)
{
	ssize_t n;
	size_t i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < 2; i++) {
		if (len <= i)
			return PROTO_E_TRUNCATED;
		if (buf[i] != 0)
			return PROTO_E_RSV;
	}
	if (len < 4)
		return PROTO_E_TRUNCATED;
	n = socks5_addr_decode(buf + 3, len - 3, &h->addr);
	if (n == 0)
		return PROTO_E_TRUNCATED;
	if (n < 0)
		return n;
	h->frag = buf[2];
	return 3 + n;
}
