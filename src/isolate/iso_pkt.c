// SPDX-License-Identifier: MIT
/*
 * IP packet fields and the packets the daemon makes itself (iso_pkt.h).
 * Explicit bytes, network order, no struct overlays.  Checksums: RFC 1071
 * over the RFC 793 / RFC 8200 8.1 pseudo-header (ICMPv4: over the ICMP
 * message alone, RFC 792).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "isolate/iso_pkt.h"
#include "proto/wire.h"

/* Contract: iso_pkt.h. */
uint32_t iso_pkt_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += wire_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* Contract: iso_pkt.h. */
uint16_t iso_pkt_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Contract: iso_pkt.h. */
int iso_pkt_parse(const uint8_t *buf, size_t len, struct iso_pkt *p)
{
	size_t hl;

	memset(p, 0, sizeof(*p));
	if (len < 20)
		return -EINVAL;
	if (buf[0] >> 4 == 4) {
		hl = (size_t)(buf[0] & 0x0f) * 4;
		if (hl < 20 || len < hl)
			return -EINVAL;
		p->src.family = p->dst.family = AF_INET;
		memcpy(p->src.b, buf + 12, 4);
		memcpy(p->dst.b, buf + 16, 4);
		p->proto = buf[9];
	} else if (buf[0] >> 4 == 6) {
		hl = 40;
		if (len < hl)
			return -EINVAL;
		p->src.family = p->dst.family = AF_INET6;
		memcpy(p->src.b, buf + 8, 16);
		memcpy(p->dst.b, buf + 24, 16);
		p->proto = buf[6];
	} else {
		return -EINVAL;
	}
	p->l4_off = hl;
	if (p->proto == IPPROTO_TCP && len >= hl + 20) {
		p->sport = wire_get16(buf + hl);
		p->dport = wire_get16(buf + hl + 2);
		p->seq = (uint32_t)wire_get16(buf + hl + 4) << 16 |
			 wire_get16(buf + hl + 6);
		p->tcp_flags = buf[hl + 13];
	} else if (p->proto == IPPROTO_UDP && len >= hl + 8) {
		p->sport = wire_get16(buf + hl);
		p->dport = wire_get16(buf + hl + 2);
		p->payload = buf + hl + 8;
		p->payload_len = len - hl - 8;
	}
	return 0;
}

/* The offset of the MSS option's value in the TCP header at @t (@thl
 * bytes of it), or 0. */
static size_t pkt_mss_at(const uint8_t *t, size_t thl)
{
	size_t i;

	for (i = 20; i < thl;) {
		if (t[i] == 0) /* end of options */
			return 0;
		if (t[i] == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= thl || t[i + 1] < 2 || i + t[i + 1] > thl)
			return 0;
		if (t[i] == 2 && t[i + 1] == 4)
			return i + 2;
		i += t[i + 1];
	}
	return 0;
}

/* The TCP header of @buf and its length, or NULL. */
static uint8_t *pkt_tcp(const uint8_t *buf, size_t len, const struct iso_pkt *p,
			size_t *thl)
{
	const uint8_t *t = buf + p->l4_off;

	if (p->proto != IPPROTO_TCP || len < p->l4_off + 20)
		return NULL;
	*thl = (size_t)(t[12] >> 4) * 4;
	if (*thl < 20 || len < p->l4_off + *thl)
		return NULL;
	return (uint8_t *)t;
}

/* Contract: iso_pkt.h. */
uint16_t iso_pkt_tcp_mss(const uint8_t *buf, size_t len,
			 const struct iso_pkt *p)
{
	size_t thl, at;
	const uint8_t *t = pkt_tcp(buf, len, p, &thl);

	at = t ? pkt_mss_at(t, thl) : 0;
	return at ? wire_get16(t + at) : 0;
}

/* Contract: iso_pkt.h. */
bool iso_pkt_raise_mss(uint8_t *buf, size_t len, const struct iso_pkt *p,
		       uint16_t mss)
{
	size_t thl, at;
	uint8_t *t = pkt_tcp(buf, len, p, &thl);
	uint16_t old;
	uint32_t sum;

	at = t ? pkt_mss_at(t, thl) : 0;
	if (at == 0 || (old = wire_get16(t + at)) >= mss)
		return false;
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
	sum = (uint16_t)~wire_get16(t + 16);
	sum += (uint16_t)~old;
	sum += mss;
	wire_put16(t + at, mss);
	wire_put16(t + 16, iso_pkt_fold(sum));
	return true;
}

/*
 * The IP header of a packet from @q's destination to its source with
 * @l4len transport bytes of protocol @proto, into @out.  Returns the
 * header length; *@psum gets the pseudo-header sum.
 */
static size_t pkt_ip_reply(const struct iso_pkt *q, uint8_t proto, size_t l4len,
			   uint8_t *out, uint32_t *psum)
{
	uint32_t sum;

	if (q->src.family == AF_INET) {
		memset(out, 0, 20);
		out[0] = 0x45;
		wire_put16(out + 2, (uint16_t)(20 + l4len));
		out[6] = 0x40; /* DF */
		out[8] = 64;
		out[9] = proto;
		memcpy(out + 12, q->dst.b, 4);
		memcpy(out + 16, q->src.b, 4);
		wire_put16(out + 10, iso_pkt_fold(iso_pkt_sum(0, out, 20)));
		sum = iso_pkt_sum(0, out + 12, 8);
		*psum = sum + proto + (uint32_t)l4len;
		return 20;
	}
	memset(out, 0, 40);
	out[0] = 0x60;
	wire_put16(out + 4, (uint16_t)l4len);
	out[6] = proto;
	out[7] = 64;
	memcpy(out + 8, q->dst.b, 16);
	memcpy(out + 24, q->src.b, 16);
	sum = iso_pkt_sum(0, out + 8, 32);
	*psum = sum + proto + (uint32_t)l4len;
	return 40;
}

/* Contract: iso_pkt.h. */
int iso_pkt_rst(const struct iso_pkt *syn, uint8_t *out, size_t cap)
{
	uint32_t psum;
	size_t hl;
	uint8_t *t;

	if (cap < 60)
		return -ENOSPC;
	hl = pkt_ip_reply(syn, IPPROTO_TCP, 20, out, &psum);
	t = out + hl;
	memset(t, 0, 20);
	wire_put16(t, syn->dport);
	wire_put16(t + 2, syn->sport);
	wire_put32(t + 8, syn->seq + 1); /* acknowledges the SYN */
	t[12] = 5 << 4;
	t[13] = ISO_TCP_RST | ISO_TCP_ACK;
	wire_put16(t + 16, iso_pkt_fold(iso_pkt_sum(psum, t, 20)));
	return (int)(hl + 20);
}

/* Contract: iso_pkt.h. */
int iso_pkt_udp_reply(const struct iso_pkt *q, const uint8_t *data, size_t dlen,
		      uint8_t *out, size_t cap)
{
	uint32_t psum;
	uint16_t ck;
	size_t hl;
	uint8_t *u;

	if (cap < 48 + dlen || dlen > 65000)
		return -ENOSPC;
	/* @data may lie inside @out, even where the headers go: moved first */
	hl = q->src.family == AF_INET ? 20 : 40;
	memmove(out + hl + 8, data, dlen);
	pkt_ip_reply(q, IPPROTO_UDP, 8 + dlen, out, &psum);
	u = out + hl;
	wire_put16(u, q->dport);
	wire_put16(u + 2, q->sport);
	wire_put16(u + 4, (uint16_t)(8 + dlen));
	wire_put16(u + 6, 0);
	ck = iso_pkt_fold(iso_pkt_sum(psum, u, 8 + dlen));
	wire_put16(u + 6, ck ? ck : 0xffff);
	return (int)(hl + 8 + dlen);
}

/*
 * RFC 792 (IPv4) and RFC 4443 3.1 (IPv6) destination unreachable:
 *
 *   +--------+--------+-----------------+
 *   |  Type  |  Code  |    Checksum     |
 *   +--------+--------+-----------------+
 *   |             unused (0)            |
 *   +-----------------------------------+
 *   | as much of the invoking packet as |
 *   | fits in the minimum MTU           |
 *   +-----------------------------------+
 *
 * Contract: iso_pkt.h.
 */
int iso_pkt_unreach(const struct iso_pkt *q, const uint8_t *pkt, size_t len,
		    uint8_t *out, size_t cap)
{
	bool v4 = q->src.family == AF_INET;
	size_t quote = len,
	       max = v4 ? ISO_ICMP4_QUOTE_MAX : ISO_ICMP6_QUOTE_MAX;
	uint32_t psum;
	size_t hl;
	uint8_t *m;

	if (len < q->l4_off + 8 || q->l4_off == 0)
		return -EINVAL;
	if (quote > max)
		quote = max;
	if (cap < (v4 ? 20u : 40u) + 8 + quote)
		return -ENOSPC;
	hl = pkt_ip_reply(q, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, 8 + quote, out,
			  &psum);
	m = out + hl;
	m[0] = v4 ? 3 : 1; /* destination unreachable */
	m[1] = v4 ? 3 : 4; /* port unreachable */
	wire_put16(m + 2, 0);
	wire_put32(m + 4, 0);
	memcpy(m + 8, pkt, quote);
	wire_put16(m + 2,
		   iso_pkt_fold(iso_pkt_sum(v4 ? 0 : psum, m, 8 + quote)));
	return (int)(hl + 8 + quote);
}
