/* SPDX-License-Identifier: MIT */
/*
 * SOCKS4 and SOCKS4A requests and replies.  Pure.
 *
 * Conventions as in socks5.c: encoders check the argument (PROTO_E_INVAL)
 * before the space (PROTO_E_NOSPACE); decoders check bytes in wire order,
 * fail as soon as an offending byte is present, return 0 while incomplete
 * and otherwise the exact message length.
 */
#include "config.h"

#include <string.h>

#include "proto/socks4.h"
#include "wire.h"

/* DSTIP 0.0.0.x with x != 0 announces a SOCKS4A name. */
static int ip_is_4a(const uint8_t ip[4])
{
	return ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0;
}

/*
 *   +----+----+----+----+----+----+----+----+----+----+....+----+
 *   | VN | CD | DSTPORT |      DSTIP        | USERID       |NULL|
 *   +----+----+----+----+----+----+----+----+----+----+....+----+
 *      1    1      2              4           variable       1
 *   SOCKS4A: DSTIP 0.0.0.1, then NAME (1..255 bytes) and a NUL.
 *
 * Returns bytes written.  PROTO_E_INVAL when: CD is not CONNECT/BIND; dst
 * is unset or IPV6; dst is an IPV4 address 0.0.0.x with x != 0 (it would be
 * read as SOCKS4A); the USERID or the name contains a NUL; the name is
 * empty.  PROTO_E_NOSPACE when @cap is too small.
 */
ssize_t socks4_request_encode(uint8_t *buf, size_t cap,
			      const struct socks4_request *r)
{
	static const uint8_t ip_4a[4] = {0, 0, 0, 1};
	const struct socks_addr *a = &r->dst;
	size_t n = SOCKS4_REQUEST_MIN + r->userid_len;
	size_t off;

	if (r->cmd != SOCKS4_CMD_CONNECT && r->cmd != SOCKS4_CMD_BIND)
		return PROTO_E_INVAL;
	if (memchr(r->userid, 0, r->userid_len) != NULL)
		return PROTO_E_INVAL;
	if (a->type == SOCKS5_ATYP_IPV4) {
		if (ip_is_4a(a->u.ip4))
			return PROTO_E_INVAL;
	} else if (a->type == SOCKS5_ATYP_DOMAINNAME) {
		if (a->len == 0 || memchr(a->u.name, 0, a->len) != NULL)
			return PROTO_E_INVAL;
		n += (size_t)a->len + 1;
	} else {
		return PROTO_E_INVAL;
	}
	if (cap < n)
		return PROTO_E_NOSPACE;

	buf[0] = SOCKS4_VERSION;
	buf[1] = r->cmd;
	wire_put16(buf + 2, a->port);
	memcpy(buf + 4, a->type == SOCKS5_ATYP_IPV4 ? a->u.ip4 : ip_4a, 4);
	off = 8;
	memcpy(buf + off, r->userid, r->userid_len);
	off += r->userid_len;
	buf[off++] = 0;
	if (a->type == SOCKS5_ATYP_DOMAINNAME) {
		memcpy(buf + off, a->u.name, a->len);
		off += a->len;
		buf[off++] = 0;
	}
	return (ssize_t)off;
}

/*
 * Find the NUL ending a field of at most @max bytes that starts at @off.
 * Returns the field length (>= 0), -1 if more bytes are needed, -2 if
 * @max + 1 bytes are present and none is a NUL (the field is too long).
 */
static long field_len(const uint8_t *buf, size_t len, size_t off, size_t max)
{
	size_t avail = len - off;
	const uint8_t *nul;

	if (avail > max + 1)
		avail = max + 1;
	nul = memchr(buf + off, 0, avail);
	if (nul)
		return (long)(nul - (buf + off));
	return avail == max + 1 ? -2 : -1;
}

/*
 * Decode a SOCKS4 or SOCKS4A request into @r (zeroed first).  In wire order:
 * VN = 4 (PROTO_E_VERSION); CD 1 or 2 (PROTO_E_CMD, @r->cmd set to it);
 * USERID up to its NUL, at most 255 bytes (PROTO_E_USERID as soon as 256
 * bytes without a NUL are present); if DSTIP is 0.0.0.x (x != 0) a name up
 * to its NUL, 1..255 bytes (PROTO_E_NAME for an empty name or 256 bytes
 * without a NUL).  A 4A request gives dst type DOMAINNAME (the x is not
 * kept); otherwise IPV4.  Returns bytes consumed or 0 if incomplete.
 */
ssize_t socks4_request_decode(const uint8_t *buf, size_t len,
			      struct socks4_request *r)
{
	long ulen, nlen;
	size_t off;

	memset(r, 0, sizeof(*r));
	if (len < 1)
		return 0;
	if (buf[0] != SOCKS4_VERSION)
		return PROTO_E_VERSION;
	if (len < 2)
		return 0;
	if (buf[1] != SOCKS4_CMD_CONNECT && buf[1] != SOCKS4_CMD_BIND) {
		r->cmd = buf[1];
		return PROTO_E_CMD;
	}
	if (len < 8)
		return 0;
	ulen = field_len(buf, len, 8, SOCKS4_USERID_MAX);
	if (ulen == -2)
		return PROTO_E_USERID;
	if (ulen < 0)
		return 0;
	off = 8 + (size_t)ulen + 1;

	if (!ip_is_4a(buf + 4)) {
		r->cmd = buf[1];
		socks_addr_set_ip4(&r->dst, buf + 4, wire_get16(buf + 2));
	} else {
		if (len <= off)
			return 0;
		nlen = field_len(buf, len, off, SOCKS5_DOMAIN_MAX);
		if (nlen == 0 || nlen == -2)
			return PROTO_E_NAME;
		if (nlen < 0)
			return 0;
		r->cmd = buf[1];
		r->dst.type = SOCKS5_ATYP_DOMAINNAME;
		r->dst.len = (uint8_t)nlen;
		r->dst.port = wire_get16(buf + 2);
		memcpy(r->dst.u.name, buf + off, (size_t)nlen);
		off += (size_t)nlen + 1;
	}
	r->userid_len = (uint8_t)ulen;
	memcpy(r->userid, buf + 8, (size_t)ulen);
	return (ssize_t)off;
}

/*
 *   +----+----+----+----+----+----+----+----+
 *   | VN | CD | DSTPORT |      DSTIP        |
 *   +----+----+----+----+----+----+----+----+
 *      1    1      2              4           VN = 0
 *
 * Returns 8 or PROTO_E_NOSPACE.
 */
ssize_t socks4_reply_encode(uint8_t *buf, size_t cap,
			    const struct socks4_reply *r)
{
	if (cap < SOCKS4_REPLY_LEN)
		return PROTO_E_NOSPACE;
	buf[0] = SOCKS4_REPLY_VERSION;
	buf[1] = r->cd;
	wire_put16(buf + 2, r->port);
	memcpy(buf + 4, r->ip, 4);
	return SOCKS4_REPLY_LEN;
}

/*
 * Decode a reply into @r.  VN must be 0 (PROTO_E_VERSION as soon as the
 * first byte is there); CD is returned as is.  Returns 8 or 0.
 */
ssize_t socks4_reply_decode(const uint8_t *buf, size_t len,
			    struct socks4_reply *r)
{
	memset(r, 0, sizeof(*r));
	if (len < 1)
		return 0;
	if (buf[0] != SOCKS4_REPLY_VERSION)
		return PROTO_E_VERSION;
	if (len < SOCKS4_REPLY_LEN)
		return 0;
	r->cd = buf[1];
	r->port = wire_get16(buf + 2);
	memcpy(r->ip, buf + 4, 4);
	return SOCKS4_REPLY_LEN;
}
