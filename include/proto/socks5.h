/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 (RFC 1928): greeting, method selection, request, reply.
 *
 *   greeting:   +----+----------+----------+
 *               |VER | NMETHODS | METHODS  |
 *               +----+----------+----------+
 *               | 1  |    1     | 1 to 255 |
 *
 *   selection:  +----+--------+
 *               |VER | METHOD |
 *               +----+--------+
 *
 *   request:    +----+-----+-------+------+----------+----------+
 *               |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
 *               +----+-----+-------+------+----------+----------+
 *               | 1  |  1  | X'00' |  1   | Variable |    2     |
 *
 *   reply:      +----+-----+-------+------+----------+----------+
 *               |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
 *               +----+-----+-------+------+----------+----------+
 *
 *   ADDR: ATYP 01 = 4 octets, 04 = 16 octets, 03 = LEN octet + LEN octets.
 */
#ifndef SOCKSIFY_PROTO_SOCKS5_H
#define SOCKSIFY_PROTO_SOCKS5_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/addr.h"
#include "proto/error.h"

struct socks5_greeting {
	uint8_t nmethods; /* 1..255 */
	uint8_t methods[255];
};

struct socks5_request {
	uint8_t cmd;           /* SOCKS5_CMD_* */
	struct socks_addr dst;
};

struct socks5_reply {
	uint8_t rep;           /* SOCKS5_REP_* */
	struct socks_addr bnd;
};

/* NMETHODS 0 gives PROTO_E_INVAL. */
ssize_t socks5_greeting_encode(uint8_t *buf, size_t cap,
			       const struct socks5_greeting *g);
/* Checks VER = 5, NMETHODS >= 1. */
ssize_t socks5_greeting_decode(const uint8_t *buf, size_t len,
			       struct socks5_greeting *g);

/* Method selection: 2 bytes. */
ssize_t socks5_method_encode(uint8_t *buf, size_t cap, uint8_t method);
ssize_t socks5_method_decode(const uint8_t *buf, size_t len,
			     uint8_t *method);

/*
 * The address must be set (IPV4, IPV6 or DOMAINNAME, a name 1..255 bytes
 * without NUL) and CMD one of 1..3, else PROTO_E_INVAL.
 */
ssize_t socks5_request_encode(uint8_t *buf, size_t cap,
			      const struct socks5_request *r);
/*
 * Checks, in wire order and as soon as the byte is there: VER = 5, CMD in
 * {1, 2, 3} (PROTO_E_CMD), ATYP (PROTO_E_ATYP), name length 1..255 and no
 * NUL (PROTO_E_NAME).  RSV is ignored on receipt (notes A.5).  On
 * PROTO_E_CMD @r->cmd holds the offending command.
 */
ssize_t socks5_request_decode(const uint8_t *buf, size_t len,
			      struct socks5_request *r);

/* A failure reply with unset bnd is sent as ATYP 1, 0.0.0.0:0. */
ssize_t socks5_reply_encode(uint8_t *buf, size_t cap,
			    const struct socks5_reply *r);
/* Parsed by the reply's own ATYP (never the request's). */
ssize_t socks5_reply_decode(const uint8_t *buf, size_t len,
			    struct socks5_reply *r);

/*
 * Shared by the request, reply and UDP header codecs: encode/decode the
 * ATYP + ADDR + PORT part.  Decode returns bytes consumed, 0, or an error
 * (PROTO_E_ATYP, PROTO_E_NAME as soon as LEN 0 or a NUL name byte arrives).
 * Names are not checked further: servers apply socks_name_is_valid().
 */
ssize_t socks5_addr_encode(uint8_t *buf, size_t cap,
			   const struct socks_addr *a);
ssize_t socks5_addr_decode(const uint8_t *buf, size_t len,
			   struct socks_addr *a);

#endif
