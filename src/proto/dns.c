/* SPDX-License-Identifier: MIT */
/*
 * DNS pieces for carrying a query through a proxy (include/proto/dns.h).
 *
 * RFC 1035 4.1.1, the header:
 *
 *   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |                      ID                       |
 *  |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
 *  |                    QDCOUNT                    |
 *  |                    ANCOUNT                    |
 *  |                    NSCOUNT                    |
 *  |                    ARCOUNT                    |
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 * followed by the question (4.1.2): QNAME (length-prefixed labels ending
 * in a zero byte), QTYPE (2 bytes), QCLASS (2 bytes); all MSB first.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "proto/dns.h"
#include "proto/error.h"

#define DNS_FLAG_QR 0x80    /* in byte 2 */
#define DNS_FLAG_RD 0x01    /* in byte 2 */
#define DNS_RCODE_MASK 0x0f /* in byte 3 */

static uint16_t dns_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A byte a label may carry in text form: printable, not '.', not '\\'. */
static bool dns_label_byte_ok(uint8_t b)
{
	return b > 0x20 && b < 0x7f && b != '.' && b != '\\';
}

/* Contract: proto/dns.h. */
int dns_question_decode(const uint8_t *msg, size_t len, struct dns_question *q)
{
	size_t off = DNS_HEADER_LEN, out = 0;
	int rc;

	memset(q, 0, sizeof(*q));
	if (len < DNS_HEADER_LEN)
		return PROTO_E_TRUNCATED;
	if (dns_u16(msg + 4) == 0)
		return PROTO_E_INVAL;
	for (;;) {
		uint8_t l;
		size_t i;

		rc = PROTO_E_TRUNCATED;
		if (off >= len)
			goto fail;
		l = msg[off++];
		if (l == 0)
			break;
		rc = PROTO_E_INVAL; /* 0xc0: a pointer; 0x40: EDNS label */
		if (l > DNS_LABEL_MAX)
			goto fail;
		rc = PROTO_E_TRUNCATED;
		if (off + l > len)
			goto fail;
		rc = PROTO_E_NAME;
		if (out + (out ? 1 : 0) + l > DNS_NAME_MAX)
			goto fail;
		if (out)
			q->name[out++] = '.';
		for (i = 0; i < l; i++) {
			if (!dns_label_byte_ok(msg[off + i]))
				goto fail;
			q->name[out++] = (char)msg[off + i];
		}
		off += l;
	}
	rc = PROTO_E_TRUNCATED;
	if (off + 4 > len)
		goto fail;
	q->qtype = dns_u16(msg + off);
	q->qclass = dns_u16(msg + off + 2);
	return (int)(off + 4);
fail:
	memset(q, 0, sizeof(*q));
	return rc;
}

/*
 * Encode @name as QNAME at @p (room checked by the caller: strlen + 2).
 * Returns the bytes written or PROTO_E_INVAL.
 */
static int dns_name_encode(uint8_t *p, const char *name, size_t n)
{
	size_t start = 0, i, w = 0;

	for (i = 0; i <= n; i++) {
		size_t l;

		if (i < n && name[i] != '.') {
			if (!dns_label_byte_ok((uint8_t)name[i]))
				return PROTO_E_INVAL;
			continue;
		}
		l = i - start;
		if (l == 0 || l > DNS_LABEL_MAX)
			return PROTO_E_INVAL;
		p[w++] = (uint8_t)l;
		memcpy(p + w, name + start, l);
		w += l;
		start = i + 1;
	}
	p[w++] = 0;
	return (int)w;
}

/* Contract: proto/dns.h.  Header as above with QR 0, opcode QUERY, RD 1,
 * QDCOUNT 1; the question as above. */
int dns_query_encode(uint8_t *buf, size_t cap, uint16_t id, const char *name,
		     uint16_t qclass, uint16_t qtype)
{
	size_t n = strlen(name), need;
	int w;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX)
		return PROTO_E_INVAL;
	need = DNS_HEADER_LEN + n + 2 + 4;
	if (cap < need) {
		/* validate first: PROTO_E_INVAL before PROTO_E_NOSPACE */
		uint8_t tmp[DNS_NAME_MAX + 2];

		w = dns_name_encode(tmp, name, n);
		return w < 0 ? w : PROTO_E_NOSPACE;
	}
	w = dns_name_encode(buf + DNS_HEADER_LEN, name, n);
	if (w < 0)
		return w;
	memset(buf, 0, DNS_HEADER_LEN);
	dns_put16(buf, id);
	buf[2] = DNS_FLAG_RD;
	dns_put16(buf + 4, 1);
	dns_put16(buf + DNS_HEADER_LEN + w, qtype);
	dns_put16(buf + DNS_HEADER_LEN + w + 2, qclass);
	return (int)need;
}

/* Contract: proto/dns.h. */
uint16_t dns_id(const uint8_t *msg)
{
	return dns_u16(msg);
}

/* Contract: proto/dns.h. */
int dns_answer_status(const uint8_t *msg, size_t len)
{
	if (len < DNS_HEADER_LEN)
		return PROTO_E_TRUNCATED;
	if (!(msg[2] & DNS_FLAG_QR))
		return PROTO_E_INVAL;
	switch (msg[3] & DNS_RCODE_MASK) {
	case DNS_RCODE_NOERROR:
		return dns_u16(msg + 6) ? DNS_ST_ANSWER : DNS_ST_NODATA;
	case DNS_RCODE_NXDOMAIN:
		return DNS_ST_NXDOMAIN;
	case DNS_RCODE_SERVFAIL:
		return DNS_ST_SERVFAIL;
	default:
		return DNS_ST_REFUSED;
	}
}

/*
 * Contract: proto/dns.h.  RFC 1035 4.2.2: "The message is prefixed with a
 * two byte length field which gives the message length, excluding the two
 * byte length field."
 */
int dns_tcp_prefix_encode(uint8_t out[DNS_TCP_PREFIX_LEN], size_t len)
{
	if (len == 0 || len > DNS_MSG_MAX)
		return PROTO_E_INVAL;
	dns_put16(out, (uint16_t)len);
	return DNS_TCP_PREFIX_LEN;
}

/* Contract: proto/dns.h. */
size_t dns_tcp_prefix_decode(const uint8_t in[DNS_TCP_PREFIX_LEN])
{
	return dns_u16(in);
}

static bool dns_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Contract: proto/dns.h.  resolv.conf(5): "nameserver Name-server IP
 * address", one per line, keyword at the start of the line. */
int dns_resolvconf_nameserver(const char *text, size_t len, char *out,
			      size_t cap)
{
	static const char kw[] = "nameserver";
	size_t i = 0;

	while (i < len) {
		size_t eol = i, a, b;

		while (eol < len && text[eol] != '\n')
			eol++;
		if (eol - i > sizeof(kw) - 1 &&
		    memcmp(text + i, kw, sizeof(kw) - 1) == 0 &&
		    dns_space(text[i + sizeof(kw) - 1])) {
			a = i + sizeof(kw) - 1;
			while (a < eol && dns_space(text[a]))
				a++;
			b = a;
			while (b < eol && !dns_space(text[b]) &&
			       text[b] != '#' && text[b] != ';')
				b++;
			if (b > a) {
				if (b - a >= cap)
					return PROTO_E_NOSPACE;
				memcpy(out, text + a, b - a);
				out[b - a] = '\0';
				return (int)(b - a);
			}
		}
		i = eol + 1;
	}
	return 0;
}
