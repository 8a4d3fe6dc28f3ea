/* SPDX-License-Identifier: MIT */
/*
 * SOCKS5 (RFC 1928) greeting, method selection, request and reply, and the
 * ATYP + ADDR + PORT part they share with the UDP header.  Pure.
 *
 * Conventions: encoders validate the whole argument first (PROTO_E_INVAL),
 * then the space (PROTO_E_NOSPACE), then write.  Decoders look at the bytes
 * in wire order and return an error as soon as an offending byte is
 * present, 0 while the message is incomplete, else the exact length of the
 * message (never more: pipelined bytes after it are not touched).
 */
#include "config.h"

#include <string.h>

#include "proto/socks5.h"
#include "wire.h"

/* Wire length of @a, or PROTO_E_INVAL if it cannot be encoded. */
static ssize_t addr_check(const struct socks_addr *a)
{
	size_t n = socks_addr_wire_len(a);

	if (n == 0)
		return PROTO_E_INVAL;
	if (a->type == SOCKS5_ATYP_DOMAINNAME &&
	    (a->len == 0 || memchr(a->u.name, 0, a->len) != NULL))
		return PROTO_E_INVAL;
	return (ssize_t)n;
}

/*
 *   +------+----------+----------+
 *   | ATYP | DST.ADDR | DST.PORT |
 *   +------+----------+----------+
 *   |  1   | Variable |    2     |
 *   ATYP 01: 4 octets; 04: 16 octets; 03: LEN octet then LEN octets (1..255,
 *   no NUL).  Port MSB first.
 *
 * Returns bytes written, PROTO_E_INVAL for an unset/unknown type or a bad
 * name, PROTO_E_NOSPACE if @cap is too small.
 */
ssize_t socks5_addr_encode(uint8_t *buf, size_t cap, const struct socks_addr *a)
{
	ssize_t n = addr_check(a);
	size_t off = 0;

	if (n < 0)
		return n;
	if (cap < (size_t)n)
		return PROTO_E_NOSPACE;
	buf[off++] = a->type;
	switch (a->type) {
	case SOCKS5_ATYP_IPV4:
		memcpy(buf + off, a->u.ip4, 4);
		off += 4;
		break;
	case SOCKS5_ATYP_IPV6:
		memcpy(buf + off, a->u.ip6, 16);
		off += 16;
		break;
	default: /* SOCKS5_ATYP_DOMAINNAME, checked above */
		buf[off++] = a->len;
		memcpy(buf + off, a->u.name, a->len);
		off += a->len;
		break;
	}
	wire_put16(buf + off, a->port);
	return n;
}

/*
 * Decode ATYP + ADDR + PORT (diagram above) into @a (zeroed first; a name is
 * NUL-terminated).  Returns bytes consumed, 0 if incomplete, PROTO_E_ATYP for
 * an unknown ATYP, PROTO_E_NAME for LEN 0 or a NUL among the name bytes
 * received so far.
 */
ssize_t socks5_addr_decode(const uint8_t *buf, size_t len, struct socks_addr *a)
{
	size_t need, nlen, avail;

	memset(a, 0, sizeof(*a));
	if (len < 1)
		return 0;
	switch (buf[0]) {
	case SOCKS5_ATYP_IPV4:
		need = 1 + 4 + 2;
		break;
	case SOCKS5_ATYP_IPV6:
		need = 1 + 16 + 2;
		break;
	case SOCKS5_ATYP_DOMAINNAME:
		if (len < 2)
			return 0;
		nlen = buf[1];
		if (nlen == 0)
			return PROTO_E_NAME;
		avail = len - 2 < nlen ? len - 2 : nlen;
		if (memchr(buf + 2, 0, avail) != NULL)
			return PROTO_E_NAME;
		need = 1 + 1 + nlen + 2;
		break;
	default:
		return PROTO_E_ATYP;
	}
	if (len < need)
		return 0;

	a->type = buf[0];
	switch (a->type) {
	case SOCKS5_ATYP_IPV4:
		memcpy(a->u.ip4, buf + 1, 4);
		break;
	case SOCKS5_ATYP_IPV6:
		memcpy(a->u.ip6, buf + 1, 16);
		break;
	default:
		a->len = buf[1];
		memcpy(a->u.name, buf + 2, a->len);
		a->u.name[a->len] = '\0';
		break;
	}
	a->port = wire_get16(buf + need - 2);
	return (ssize_t)need;
}

/*
 *   +----+----------+----------+
 *   |VER | NMETHODS | METHODS  |
 *   +----+----------+----------+
 *   | 1  |    1     | 1 to 255 |
 *
 * Returns 2 + nmethods, PROTO_E_INVAL for nmethods 0, or PROTO_E_NOSPACE.
 */
ssize_t socks5_greeting_encode(uint8_t *buf, size_t cap,
			       const struct socks5_greeting *g)
{
	size_t n = 2 + (size_t)g->nmethods;

	if (g->nmethods == 0)
		return PROTO_E_INVAL;
	if (cap < n)
		return PROTO_E_NOSPACE;
	buf[0] = SOCKS5_VERSION;
	buf[1] = g->nmethods;
	memcpy(buf + 2, g->methods, g->nmethods);
	return (ssize_t)n;
}

/*
 * Decode a greeting into @g (zeroed first).  Returns 2 + NMETHODS, 0 if
 * incomplete, PROTO_E_VERSION (VER != 5) or PROTO_E_NMETHODS (NMETHODS 0).
 */
ssize_t socks5_greeting_decode(const uint8_t *buf, size_t len,
			       struct socks5_greeting *g)
{
	size_t n;

	memset(g, 0, sizeof(*g));
	if (len < 1)
		return 0;
	if (buf[0] != SOCKS5_VERSION)
		return PROTO_E_VERSION;
	if (len < 2)
		return 0;
	if (buf[1] == 0)
		return PROTO_E_NMETHODS;
	n = 2 + (size_t)buf[1];
	if (len < n)
		return 0;
	g->nmethods = buf[1];
	memcpy(g->methods, buf + 2, g->nmethods);
	return (ssize_t)n;
}

/*
 *   +----+--------+
 *   |VER | METHOD |
 *   +----+--------+
 *   | 1  |   1    |
 *
 * Any METHOD byte, X'FF' included.  Returns 2 or PROTO_E_NOSPACE.
 */
ssize_t socks5_method_encode(uint8_t *buf, size_t cap, uint8_t method)
{
	if (cap < 2)
		return PROTO_E_NOSPACE;
	buf[0] = SOCKS5_VERSION;
	buf[1] = method;
	return 2;
}

/*
 * Decode a method selection.  Returns 2, 0 if incomplete, PROTO_E_VERSION.
 * *@method gets any value (the caller checks it was offered, and closes on
 * X'FF').
 */
ssize_t socks5_method_decode(const uint8_t *buf, size_t len, uint8_t *method)
{
	if (len < 1)
		return 0;
	if (buf[0] != SOCKS5_VERSION)
		return PROTO_E_VERSION;
	if (len < 2)
		return 0;
	*method = buf[1];
	return 2;
}

static int cmd_known(uint8_t cmd)
{
	return cmd == SOCKS5_CMD_CONNECT || cmd == SOCKS5_CMD_BIND ||
	       cmd == SOCKS5_CMD_UDP_ASSOCIATE;
}

/*
 *   +----+-----+-------+------+----------+----------+
 *   |VER | CMD |  RSV  | ATYP | DST.ADDR | DST.PORT |
 *   +----+-----+-------+------+----------+----------+
 *   | 1  |  1  | X'00' |  1   | Variable |    2     |
 *
 * Returns bytes written; PROTO_E_INVAL for a CMD other than 1..3 or an
 * unset/invalid address; PROTO_E_NOSPACE.
 */
ssize_t socks5_request_encode(uint8_t *buf, size_t cap,
			      const struct socks5_request *r)
{
	ssize_t n = addr_check(&r->dst);

	if (!cmd_known(r->cmd) || n < 0)
		return PROTO_E_INVAL;
	if (cap < 3 + (size_t)n)
		return PROTO_E_NOSPACE;
	buf[0] = SOCKS5_VERSION;
	buf[1] = r->cmd;
	buf[2] = SOCKS5_RSV;
	return 3 + socks5_addr_encode(buf + 3, cap - 3, &r->dst);
}

/*
 * Decode a request into @r (zeroed first).  In wire order: VER = 5
 * (PROTO_E_VERSION), CMD 1..3 (PROTO_E_CMD, with @r->cmd set to it), RSV
 * ignored, then the address (PROTO_E_ATYP, PROTO_E_NAME).  Returns bytes
 * consumed or 0 if incomplete.
 */
ssize_t socks5_request_decode(const uint8_t *buf, size_t len,
			      struct socks5_request *r)
{
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (len < 1)
		return 0;
	if (buf[0] != SOCKS5_VERSION)
		return PROTO_E_VERSION;
	if (len < 2)
		return 0;
	if (!cmd_known(buf[1])) {
		r->cmd = buf[1];
		return PROTO_E_CMD;
	}
	if (len < 4)
		return 0;
	n = socks5_addr_decode(buf + 3, len - 3, &r->dst);
	if (n <= 0)
		return n;
	r->cmd = buf[1];
	return 3 + n;
}

/*
 *   +----+-----+-------+------+----------+----------+
 *   |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
 *   +----+-----+-------+------+----------+----------+
 *   | 1  |  1  | X'00' |  1   | Variable |    2     |
 *
 * An unset bnd is sent as ATYP 01, 0.0.0.0:0.  Returns bytes written,
 * PROTO_E_INVAL for an unknown type or invalid name, PROTO_E_NOSPACE.
 */
ssize_t socks5_reply_encode(uint8_t *buf, size_t cap,
			    const struct socks5_reply *r)
{
	static const uint8_t zero_ip[4];
	struct socks_addr any;
	const struct socks_addr *a = &r->bnd;
	ssize_t n;

	if (a->type == 0) {
		socks_addr_set_ip4(&any, zero_ip, 0);
		a = &any;
	}
	n = addr_check(a);
	if (n < 0)
		return n;
	if (cap < 3 + (size_t)n)
		return PROTO_E_NOSPACE;
	buf[0] = SOCKS5_VERSION;
	buf[1] = r->rep;
	buf[2] = SOCKS5_RSV;
	return 3 + socks5_addr_encode(buf + 3, cap - 3, a);
}

/*
 * Decode a reply into @r (zeroed first), sized by the reply's own ATYP.
 * VER = 5 (PROTO_E_VERSION); any REP; RSV ignored; PROTO_E_ATYP,
 * PROTO_E_NAME from the address.  Returns bytes consumed or 0.
 */
ssize_t socks5_reply_decode(const uint8_t *buf, size_t len,
			    struct socks5_reply *r)
{
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (len < 1)
		return 0;
	if (buf[0] != SOCKS5_VERSION)
		return PROTO_E_VERSION;
	if (len < 4)
		return 0;
	n = socks5_addr_decode(buf + 3, len - 3, &r->bnd);
	if (n <= 0)
		return n;
	r->rep = buf[1];
	return 3 + n;
}
