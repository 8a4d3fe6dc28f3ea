/* SPDX-License-Identifier: MIT */
/*
 * SOCKS4 and SOCKS4A requests and replies.
 *
 *   request:  +----+----+----+----+----+----+----+----+----+----+....+----+
 *             | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|
 *             +----+----+----+----+----+----+----+----+----+----+....+----+
 *                1    1      2              4           variable       1
 *   SOCKS4A:  DSTIP = 0.0.0.x (x != 0), then NAME... NUL after the USERID.
 *
 *   reply:    +----+----+----+----+----+----+----+----+
 *             | VN | CD | DSTPORT |      DSTIP        |
 *             +----+----+----+----+----+----+----+----+
 *                1    1      2              4          VN = 0
 */
#ifndef SOCKSIFY_PROTO_SOCKS4_H
#define SOCKSIFY_PROTO_SOCKS4_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/addr.h"
#include "proto/error.h"

struct socks4_request {
	uint8_t cmd;           /* SOCKS4_CMD_CONNECT or SOCKS4_CMD_BIND */
	struct socks_addr dst; /* IPV4, or DOMAINNAME for SOCKS4A */
	uint8_t userid_len;
	char userid[SOCKS4_USERID_MAX + 1]; /* NUL-terminated */
};

struct socks4_reply {
	uint8_t cd;            /* SOCKS4_CD_* */
	uint16_t port;         /* host order */
	uint8_t ip[4];         /* network order */
};

/*
 * Encode @r.  dst must be IPV4 or (SOCKS4A) DOMAINNAME; a DOMAINNAME is sent
 * as DSTIP 0.0.0.1 followed by the name.  PROTO_E_INVAL for: cmd not
 * CONNECT/BIND, dst unset or IPV6, an IPV4 dst 0.0.0.x with x != 0 (it would
 * be read as SOCKS4A), a NUL inside the USERID or the name, an empty name.
 * PROTO_E_NOSPACE when @cap is too small.
 */
ssize_t socks4_request_encode(uint8_t *buf, size_t cap,
			      const struct socks4_request *r);
/*
 * Decode a request.  Checks VN = 4, CD in {1, 2} (else PROTO_E_CMD),
 * USERID at most 255 bytes (PROTO_E_USERID once 256 bytes without NUL are
 * there), a 4A name 1..255 bytes (PROTO_E_NAME for an empty name or 256
 * bytes without NUL).  On PROTO_E_CMD @r->cmd holds the offending CD.  A 4A
 * request decodes to dst DOMAINNAME (the x of 0.0.0.x is not kept).
 */
ssize_t socks4_request_decode(const uint8_t *buf, size_t len,
			      struct socks4_request *r);

/* Always 8 bytes, VN = 0. */
ssize_t socks4_reply_encode(uint8_t *buf, size_t cap,
			    const struct socks4_reply *r);
/* Checks VN = 0 (PROTO_E_VERSION otherwise). Any CD is returned as is. */
ssize_t socks4_reply_decode(const uint8_t *buf, size_t len,
			    struct socks4_reply *r);

#endif
