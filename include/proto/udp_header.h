/* SPDX-License-Identifier: MIT */
/*
 * The SOCKS5 UDP request header, RFC 1928 section 7.
 *
 *   +----+------+------+----------+----------+----------+
 *   |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
 *   +----+------+------+----------+----------+----------+
 *   | 2  |  1   |  1   | Variable |    2     | Variable |
 */
#ifndef SOCKSIFY_PROTO_UDP_HEADER_H
#define SOCKSIFY_PROTO_UDP_HEADER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/addr.h"
#include "proto/error.h"

struct socks5_udp_header {
	uint8_t frag; /* 0 = standalone datagram */
	struct socks_addr addr;
};

/* Writes the header only; the caller appends DATA. */
ssize_t socks5_udp_header_encode(uint8_t *buf, size_t cap,
				 const struct socks5_udp_header *h);
/*
 * Decode the header at the start of a whole datagram.  Returns the header
 * length (DATA starts there), PROTO_E_TRUNCATED if the datagram ends inside
 * the header, PROTO_E_RSV, PROTO_E_ATYP or PROTO_E_NAME.  FRAG is returned
 * as is: dropping FRAG != 0 is the caller's policy.
 */
ssize_t socks5_udp_header_decode(const uint8_t *buf, size_t len,
				 struct socks5_udp_header *h);

#endif
