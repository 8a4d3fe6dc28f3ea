/* SPDX-License-Identifier: MIT */
/*
 * Username/password authentication for SOCKS5, RFC 1929.
 *
 *   request:  +----+------+----------+------+----------+
 *             |VER | ULEN |  UNAME   | PLEN |  PASSWD  |
 *             +----+------+----------+------+----------+
 *             | 1  |  1   | 1 to 255 |  1   | 1 to 255 |
 *   reply:    +----+--------+
 *             |VER | STATUS |
 *             +----+--------+        VER = X'01' (not 5)
 */
#ifndef SOCKSIFY_PROTO_AUTH1929_H
#define SOCKSIFY_PROTO_AUTH1929_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/consts.h"
#include "proto/error.h"

struct auth1929_request {
	uint8_t ulen;
	uint8_t plen;
	char uname[AUTH1929_FIELD_MAX + 1];  /* NUL-terminated copies */
	char passwd[AUTH1929_FIELD_MAX + 1];
};

/* ULEN 0 gives PROTO_E_INVAL; PLEN 0 (empty password) is allowed. */
ssize_t auth1929_request_encode(uint8_t *buf, size_t cap,
				const struct auth1929_request *r);
/*
 * Checks VER = 1 (PROTO_E_VERSION), ULEN >= 1 (PROTO_E_ULEN).  An empty
 * PASSWD is accepted: curl sends one for "user:".  Fields are copied as
 * received and may contain NUL bytes: compare them by ulen/plen, never as
 * C strings.
 */
ssize_t auth1929_request_decode(const uint8_t *buf, size_t len,
				struct auth1929_request *r);

ssize_t auth1929_reply_encode(uint8_t *buf, size_t cap, uint8_t status);
/*
 * Accepts VER 1, and VER 5 which many servers send (notes A.3).
 * Any other VER is PROTO_E_VERSION.
 */
ssize_t auth1929_reply_decode(const uint8_t *buf, size_t len,
			      uint8_t *status);

#endif
