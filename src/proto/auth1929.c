/* SPDX-License-Identifier: MIT */
/* Username/password authentication, RFC 1929.  Pure. */
#include "config.h"

#include <string.h>

#include "proto/auth1929.h"

/*
 *   +----+------+----------+------+----------+
 *   |VER | ULEN |  UNAME   | PLEN |  PASSWD  |
 *   +----+------+----------+------+----------+
 *   | 1  |  1   | 1 to 255 |  1   | 0 to 255 |     VER = X'01'
 *
 * Writes uname[0..ulen) and passwd[0..plen) as they are.  Returns bytes
 * written, PROTO_E_INVAL for ULEN 0, PROTO_E_NOSPACE.
 */
ssize_t auth1929_request_encode(uint8_t *buf, size_t cap,
				const struct auth1929_request *r)
{
	size_t n = 1 + 1 + (size_t)r->ulen + 1 + (size_t)r->plen;
	size_t off = 0;

	if (r->ulen == 0)
		return PROTO_E_INVAL;
	if (cap < n)
		return PROTO_E_NOSPACE;
	buf[off++] = AUTH1929_VERSION;
	buf[off++] = r->ulen;
	memcpy(buf + off, r->uname, r->ulen);
	off += r->ulen;
	buf[off++] = r->plen;
	memcpy(buf + off, r->passwd, r->plen);
	return (ssize_t)n;
}

/*
 * Decode a request into @r (zeroed first; both fields NUL-terminated).  In
 * wire order: VER = 1 (PROTO_E_VERSION), ULEN >= 1 (PROTO_E_ULEN).  PLEN 0
 * is accepted.  The fields are copied as received and may contain NUL
 * bytes: compare them using ulen/plen, never as C strings.  Returns bytes
 * consumed or 0 if incomplete.
 */
ssize_t auth1929_request_decode(const uint8_t *buf, size_t len,
				struct auth1929_request *r)
{
	size_t ulen, plen, n;

	memset(r, 0, sizeof(*r));
	if (len < 1)
		return 0;
	if (buf[0] != AUTH1929_VERSION)
		return PROTO_E_VERSION;
	if (len < 2)
		return 0;
	ulen = buf[1];
	if (ulen == 0)
		return PROTO_E_ULEN;
	if (len < 2 + ulen + 1)
		return 0;
	plen = buf[2 + ulen];
	n = 2 + ulen + 1 + plen;
	if (len < n)
		return 0;
	r->ulen = (uint8_t)ulen;
	r->plen = (uint8_t)plen;
	memcpy(r->uname, buf + 2, ulen);
	memcpy(r->passwd, buf + 2 + ulen + 1, plen);
	return (ssize_t)n;
}

/*
 *   +----+--------+
 *   |VER | STATUS |
 *   +----+--------+
 *   | 1  |   1    |     VER = X'01'; STATUS X'00' = success
 *
 * Returns 2 or PROTO_E_NOSPACE.
 */
ssize_t auth1929_reply_encode(uint8_t *buf, size_t cap, uint8_t status)
{
	if (cap < 2)
		return PROTO_E_NOSPACE;
	buf[0] = AUTH1929_VERSION;
	buf[1] = status;
	return 2;
}

/*
 * Decode a reply.  VER 1, or 5 as many servers send (notes A.3); anything
 * else is PROTO_E_VERSION.  *@status gets STATUS as is.  Returns 2 or 0.
 */
ssize_t auth1929_reply_decode(const uint8_t *buf, size_t len, uint8_t *status)
{
	if (len < 1)
		return 0;
	if (buf[0] != AUTH1929_VERSION && buf[0] != SOCKS5_VERSION)
		return PROTO_E_VERSION;
	if (len < 2)
		return 0;
	*status = buf[1];
	return 2;
}
