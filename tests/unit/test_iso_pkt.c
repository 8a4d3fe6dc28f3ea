/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the isolation daemon's packet code: src/isolate/iso_pkt.c
 * (header fields, the TCP RST and the UDP reply it makes) and
 * src/isolate/iso_gso.c (lwIP's segments of a flow joined into one GSO
 * packet).  Every checksum is checked by the test's own RFC 1071 routine
 * over a pseudo-header it builds itself: a packet whose checksum is right
 * sums to 0xffff.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "isolate/iso_gso.h"
#include "isolate/iso_pkt.h"

/* Test hosts (documentation networks only). */
static const uint8_t prog4[4] = {198, 51, 100, 7};
static const uint8_t peer4[4] = {203, 0, 113, 5};
static const uint8_t prog6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
				  0,	0,    0,    0,	  0, 0, 0, 7};
static const uint8_t peer6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0,
				  0,	0,    0,    0,	  0, 0, 0, 5};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

/*
 * The test's own one's complement sum (RFC 1071), byte by byte with the
 * end-around carry folded at every step (iso_pkt_sum folds once at the
 * end): @acc plus the @n bytes at @p, where @p starts a 16-bit word.
 */
static uint16_t t_sum(uint16_t acc, const uint8_t *p, size_t n)
{
	uint32_t s = acc;
	size_t i;

	for (i = 0; i < n; i++) {
		s += i % 2 == 0 ? (uint32_t)p[i] << 8 : p[i];
		s = (s & 0xffff) + (s >> 16);
	}
	return (uint16_t)s;
}

/* The sum of the pseudo-header (RFC 793 / RFC 8200 8.1) of @pkt's
 * addresses, @proto and @l4len, built here as bytes. */
static uint16_t t_pseudo(const uint8_t *pkt, uint8_t proto, size_t l4len)
{
	uint8_t ph[40] = {0};

	if (pkt[0] >> 4 == 4) {
		memcpy(ph, pkt + 12, 8);
		ph[9] = proto;
		wr16(ph + 10, (uint32_t)l4len);
		return t_sum(0, ph, 12);
	}
	memcpy(ph, pkt + 8, 32);
	wr32(ph + 32, (uint32_t)l4len);
	ph[39] = proto;
	return t_sum(0, ph, 40);
}

/* Does the transport checksum of @pkt (IP header @hl, @l4len bytes
 * after it) verify? */
static bool l4_ok(const uint8_t *pkt, size_t hl, uint8_t proto, size_t l4len)
{
	return t_sum(t_pseudo(pkt, proto, l4len), pkt + hl, l4len) == 0xffff;
}

static bool ip4_ok(const uint8_t *pkt)
{
	return t_sum(0, pkt, (size_t)(pkt[0] & 0x0f) * 4) == 0xffff;
}

/* ---- packets the tests send ---- */

/* One TCP segment as lwIP writes it, and the ways a test spoils it. */
struct seg {
	bool v6;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t flags;
	uint8_t opt[40];
	size_t optlen;	  /* TCP options, a multiple of 4 */
	size_t plen;	  /* payload: pat(seq + i) */
	size_t ipopt;	  /* IPv4 options (NOPs), a multiple of 4 */
	uint16_t frag;	  /* IPv4 flags + fragment offset field */
	bool hbh;	  /* IPv6: a hop-by-hop options header first */
	uint8_t proto;	  /* 0: TCP */
	uint8_t src_last; /* 0: the peer's address as is */
};

/* The payload byte at stream position @x. */
static uint8_t pat(uint32_t x)
{
	return (uint8_t)((x * 2654435761u) >> 24);
}

static struct seg seg_base(bool v6, uint32_t seq, size_t plen)
{
	struct seg s = {
		.v6 = v6,
		.sport = 8080,
		.dport = 40000,
		.seq = seq,
		.ack = 0x01020304,
		.win = 65535,
		.flags = ISO_TCP_ACK,
		.plen = plen,
		.frag = 0x4000, /* DF */
	};

	return s;
}

/* Write @s into @out (room for 65600 bytes); returns the length.  The
 * IPv4 header checksum and the TCP checksum are complete. */
static size_t seg_build(const struct seg *s, uint8_t *out)
{
	size_t hl, thl = 20 + s->optlen, l4, i, ext;
	uint8_t *t;
	uint16_t ck;

	if (!s->v6) {
		hl = 20 + s->ipopt;
		l4 = thl + s->plen;
		memset(out, 0, hl);
		out[0] = (uint8_t)(0x40 | hl / 4);
		wr16(out + 2, (uint32_t)(hl + l4));
		wr16(out + 4, s->seq & 0xffff); /* some ID */
		wr16(out + 6, s->frag);
		out[8] = 255;
		out[9] = IPPROTO_TCP;
		memcpy(out + 12, peer4, 4);
		memcpy(out + 16, prog4, 4);
		if (s->src_last)
			out[15] = s->src_last;
		for (i = 20; i < hl; i++)
			out[i] = 1; /* NOP */
		wr16(out + 10, (uint16_t)~t_sum(0, out, hl));
	} else {
		ext = s->hbh ? 8 : 0;
		hl = 40 + ext;
		l4 = thl + s->plen;
		memset(out, 0, hl);
		out[0] = 0x60;
		wr16(out + 4, (uint32_t)(ext + l4));
		out[6] = s->hbh ? 0 : IPPROTO_TCP;
		out[7] = 255;
		memcpy(out + 8, peer6, 16);
		memcpy(out + 24, prog6, 16);
		if (s->src_last)
			out[23] = s->src_last;
		if (s->hbh) {
			out[40] = IPPROTO_TCP;
			out[42] = 1; /* PadN, 4 bytes of padding */
			out[43] = 4;
		}
	}
	t = out + hl;
	memset(t, 0, thl);
	wr16(t, s->sport);
	wr16(t + 2, s->dport);
	wr32(t + 4, s->seq);
	wr32(t + 8, s->ack);
	t[12] = (uint8_t)(thl / 4 << 4);
	t[13] = s->flags;
	wr16(t + 14, s->win);
	memcpy(t + 20, s->opt, s->optlen);
	for (i = 0; i < s->plen; i++)
		t[thl + i] = pat(s->seq + (uint32_t)i);
	/* the pseudo-header length is the TCP segment's (RFC 8200 8.1) */
	ck = (uint16_t)~t_sum(t_pseudo(out, IPPROTO_TCP, l4), t, l4);
	wr16(t + 16, ck);
	if (s->proto)
		out[s->v6 ? (s->hbh ? 40 : 6) : 9] = s->proto;
	return hl + l4;
}

/* A packet buffer large enough for any test packet. */
static uint8_t *pkt_new(void)
{
	uint8_t *p = malloc(65600);

	ck_assert_ptr_nonnull(p);
	return p;
}

/* ---- iso_pkt_tcp_mss ---- */

static const struct {
	uint8_t opt[40];
	size_t len;   /* a multiple of 4 */
	uint16_t mss; /* what iso_pkt_tcp_mss says */
} mss_cases[] = {
	{{2, 4, 0xff, 0xd7}, 4, 65495}, /* MSS alone */
	{{2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7},
	 20,
	 1460},					     /* Linux's SYN order */
	{{1, 1, 4, 2, 2, 4, 0x3f, 0xff}, 8, 0x3fff}, /* after NOP, SACKP */
	{{1, 1, 1, 1}, 4, 0},			     /* NOPs only */
	{{0, 0, 2, 4, 5, 0xb4, 0, 0}, 8, 0},	     /* EOL first */
	{{3, 0, 2, 4, 5, 0xb4, 0, 0}, 8, 0},	     /* a zero length */
	{{3, 1, 2, 4, 5, 0xb4, 0, 0}, 8, 0},	     /* a length of 1 */
	{{1, 1, 1, 2}, 4, 0},			     /* kind, no length */
	{{1, 1, 2, 4}, 4, 0},			     /* MSS cut short */
	{{8, 40, 2, 4, 5, 0xb4, 0, 0}, 8, 0},	     /* past the header */
	{{2, 3, 5, 2, 4, 1, 0, 0}, 8, 0x100}, /* a bad MSS length: skip */
	{{0}, 0, 0},			      /* no options */
};

START_TEST(tcp_mss)
{
	uint8_t *b = pkt_new();
	struct seg s = seg_base(_i & 1, 1, 0);
	struct iso_pkt p;
	size_t n, k = (size_t)_i / 2;

	s.flags = ISO_TCP_SYN;
	memcpy(s.opt, mss_cases[k].opt, mss_cases[k].len);
	s.optlen = mss_cases[k].len;
	n = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, n, &p), 0);
	ck_assert_uint_eq(iso_pkt_tcp_mss(b, n, &p), mss_cases[k].mss);
	/* the header said longer than what was captured */
	if (s.optlen > 0)
		ck_assert_uint_eq(iso_pkt_tcp_mss(b, n - 1, &p), 0);
	/* not TCP */
	p.proto = IPPROTO_UDP;
	ck_assert_uint_eq(iso_pkt_tcp_mss(b, n, &p), 0);
	free(b);
}
END_TEST

/* iso_pkt_raise_mss: raised only upwards, the checksum still right, the
 * rest of the segment untouched. */
START_TEST(tcp_raise_mss)
{
	static const uint16_t to[] = {1000, 1460, 1461, 65495, 0xffff};
	uint8_t *b = pkt_new(), *orig = pkt_new();
	struct seg s = seg_base(_i & 1, 77, 10);
	size_t n, k, hl = (_i & 1) ? 40 : 20;
	struct iso_pkt p;

	s.flags = ISO_TCP_SYN | ISO_TCP_ACK;
	memcpy(s.opt, (const uint8_t[]){1, 1, 2, 4, 5, 0xb4, 1, 3, 3, 7}, 10);
	s.opt[10] = s.opt[11] = 0;
	s.optlen = 12;
	n = seg_build(&s, orig);
	for (k = 0; k < sizeof(to) / sizeof(to[0]); k++) {
		memcpy(b, orig, n);
		ck_assert_int_eq(iso_pkt_parse(b, n, &p), 0);
		ck_assert(iso_pkt_raise_mss(b, n, &p, to[k]) == (to[k] > 1460));
		ck_assert_uint_eq(iso_pkt_tcp_mss(b, n, &p),
				  to[k] > 1460 ? to[k] : 1460);
		ck_assert(l4_ok(b, hl, IPPROTO_TCP, n - hl));
		/* only the option's value and the checksum changed */
		ck_assert_mem_eq(b, orig, hl + 16);
		ck_assert_mem_eq(b + hl + 18, orig + hl + 18, 6);
		ck_assert_mem_eq(b + hl + 26, orig + hl + 26, n - hl - 26);
	}
	/* no MSS option: nothing to raise */
	s.optlen = 0;
	n = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, n, &p), 0);
	ck_assert(!iso_pkt_raise_mss(b, n, &p, 9000));
	free(b);
	free(orig);
}
END_TEST

/* ---- iso_pkt_parse ---- */

START_TEST(parse_v4_tcp)
{
	uint8_t *b = pkt_new();
	struct seg s = seg_base(false, 0xdeadbeef, 10);
	struct iso_pkt p;
	size_t len;

	s.flags = ISO_TCP_SYN;
	len = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
	ck_assert_int_eq(p.src.family, AF_INET);
	ck_assert_int_eq(p.dst.family, AF_INET);
	ck_assert_mem_eq(p.src.b, peer4, 4);
	ck_assert_mem_eq(p.dst.b, prog4, 4);
	ck_assert_uint_eq(p.proto, IPPROTO_TCP);
	ck_assert_uint_eq(p.sport, 8080);
	ck_assert_uint_eq(p.dport, 40000);
	ck_assert_uint_eq(p.seq, 0xdeadbeef);
	ck_assert_uint_eq(p.tcp_flags, ISO_TCP_SYN);
	ck_assert_uint_eq(p.l4_off, 20);
	ck_assert_ptr_null(p.payload); /* a UDP field only */
	ck_assert_uint_eq(p.payload_len, 0);
	free(b);
}
END_TEST

START_TEST(parse_v4_options)
{
	uint8_t *b = pkt_new();
	struct seg s = seg_base(false, 7, 0);
	struct iso_pkt p;
	size_t len, opt;

	for (opt = 4; opt <= 40; opt += 4) {
		s.ipopt = opt;
		s.flags = ISO_TCP_SYN | ISO_TCP_ACK;
		len = seg_build(&s, b);
		ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
		ck_assert_uint_eq(p.l4_off, 20 + opt);
		ck_assert_uint_eq(p.sport, 8080);
		ck_assert_uint_eq(p.dport, 40000);
		ck_assert_uint_eq(p.seq, 7);
		ck_assert_uint_eq(p.tcp_flags, ISO_TCP_SYN | ISO_TCP_ACK);
		ck_assert_mem_eq(p.src.b, peer4, 4);
	}
	free(b);
}
END_TEST

START_TEST(parse_v6_tcp)
{
	uint8_t *b = pkt_new();
	struct seg s = seg_base(true, 0x80000001, 3);
	struct iso_pkt p;
	size_t len;

	s.flags = ISO_TCP_FIN | ISO_TCP_ACK;
	len = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
	ck_assert_int_eq(p.src.family, AF_INET6);
	ck_assert_int_eq(p.dst.family, AF_INET6);
	ck_assert_mem_eq(p.src.b, peer6, 16);
	ck_assert_mem_eq(p.dst.b, prog6, 16);
	ck_assert_uint_eq(p.proto, IPPROTO_TCP);
	ck_assert_uint_eq(p.sport, 8080);
	ck_assert_uint_eq(p.dport, 40000);
	ck_assert_uint_eq(p.seq, 0x80000001);
	ck_assert_uint_eq(p.tcp_flags, ISO_TCP_FIN | ISO_TCP_ACK);
	ck_assert_uint_eq(p.l4_off, 40);
	/* an extension header is not followed: proto is its type */
	s.hbh = true;
	len = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
	ck_assert_uint_eq(p.proto, 0);
	ck_assert_uint_eq(p.l4_off, 40);
	ck_assert_uint_eq(p.sport, 0);
	ck_assert_uint_eq(p.dport, 0);
	free(b);
}
END_TEST

/* A UDP datagram @src:@sport -> @dst:53 with @dlen bytes of data, no
 * checksum (the parser does not look at it).  Returns the length. */
static size_t udp_build(bool v6, uint8_t *b, const uint8_t *data, size_t dlen)
{
	size_t hl = v6 ? 40 : 20;

	memset(b, 0, hl + 8);
	if (v6) {
		b[0] = 0x60;
		wr16(b + 4, (uint32_t)(8 + dlen));
		b[6] = IPPROTO_UDP;
		b[7] = 64;
		memcpy(b + 8, prog6, 16);
		memcpy(b + 24, peer6, 16);
	} else {
		b[0] = 0x45;
		wr16(b + 2, (uint32_t)(28 + dlen));
		b[8] = 64;
		b[9] = IPPROTO_UDP;
		memcpy(b + 12, prog4, 4);
		memcpy(b + 16, peer4, 4);
		wr16(b + 10, (uint16_t)~t_sum(0, b, 20));
	}
	wr16(b + hl, 45678);
	wr16(b + hl + 2, 53);
	wr16(b + hl + 4, (uint32_t)(8 + dlen));
	memcpy(b + hl + 8, data, dlen);
	return hl + 8 + dlen;
}

START_TEST(parse_udp)
{
	static const uint8_t d[5] = {1, 2, 3, 4, 5};
	uint8_t b[128];
	struct iso_pkt p;
	size_t len;
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		size_t hl = v6 ? 40 : 20;

		len = udp_build(v6, b, d, sizeof(d));
		ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
		ck_assert_int_eq(p.src.family, v6 ? AF_INET6 : AF_INET);
		ck_assert_mem_eq(p.src.b, v6 ? prog6 : prog4, v6 ? 16 : 4);
		ck_assert_mem_eq(p.dst.b, v6 ? peer6 : peer4, v6 ? 16 : 4);
		ck_assert_uint_eq(p.proto, IPPROTO_UDP);
		ck_assert_uint_eq(p.sport, 45678);
		ck_assert_uint_eq(p.dport, 53);
		ck_assert_uint_eq(p.l4_off, hl);
		ck_assert_ptr_eq(p.payload, b + hl + 8);
		ck_assert_uint_eq(p.payload_len, sizeof(d));
		ck_assert_uint_eq(p.tcp_flags, 0);
		/* an empty datagram: payload at its end, no bytes */
		len = udp_build(v6, b, d, 0);
		ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
		ck_assert_ptr_eq(p.payload, b + hl + 8);
		ck_assert_uint_eq(p.payload_len, 0);
		/* a UDP header cut short: IP fields only, no payload */
		ck_assert_int_eq(iso_pkt_parse(b, hl + 7, &p), 0);
		ck_assert_uint_eq(p.proto, IPPROTO_UDP);
		ck_assert_uint_eq(p.sport, 0);
		ck_assert_ptr_null(p.payload);
	}
}
END_TEST

START_TEST(parse_short_tcp_header)
{
	uint8_t *b = pkt_new();
	struct seg s = seg_base(false, 1, 0);
	struct iso_pkt p;
	size_t len;

	len = seg_build(&s, b);
	/* 19 bytes of TCP header: the IP fields, no ports */
	ck_assert_int_eq(iso_pkt_parse(b, len - 1, &p), 0);
	ck_assert_uint_eq(p.proto, IPPROTO_TCP);
	ck_assert_uint_eq(p.sport, 0);
	ck_assert_uint_eq(p.dport, 0);
	ck_assert_uint_eq(p.tcp_flags, 0);
	free(b);
}
END_TEST

static void assert_einval(const uint8_t *b, size_t len)
{
	struct iso_pkt p;
	static const struct iso_pkt zero;

	memset(&p, 0xa5, sizeof(p));
	ck_assert_int_eq(iso_pkt_parse(b, len, &p), -EINVAL);
	/* nothing half-filled is left behind */
	ck_assert_mem_eq(&p, &zero, sizeof(p));
}

START_TEST(parse_invalid)
{
	uint8_t *b = pkt_new();
	struct seg s4 = seg_base(false, 1, 0), s6 = seg_base(true, 1, 0);
	size_t len, i;

	len = seg_build(&s4, b);
	for (i = 0; i < 20; i++)
		assert_einval(b, i); /* shorter than any IP header */
	for (i = 0; i < 5; i++) {    /* IHL below 5 */
		b[0] = (uint8_t)(0x40 | i);
		assert_einval(b, len);
	}
	s4.ipopt = 40; /* IHL 15: 60 bytes of header */
	len = seg_build(&s4, b);
	assert_einval(b, 59);
	len = seg_build(&s6, b);
	for (i = 20; i < 40; i++)
		assert_einval(b, i); /* an IPv6 header cut short */
	for (i = 0; i < 16; i++) {   /* versions other than 4 and 6 */
		if (i == 4 || i == 6)
			continue;
		b[0] = (uint8_t)(i << 4 | 5);
		assert_einval(b, len);
	}
	memset(b, 0xff, 64); /* garbage */
	assert_einval(b, 64);
	free(b);
}
END_TEST

/* ---- iso_pkt_rst ---- */

/* The RST|ACK expected for the SYN of seg_base(): IP header without its
 * checksum and TCP header without its checksum, as literal bytes. */
START_TEST(rst_v4)
{
	static const uint8_t want[40] = {
		0x45,
		0,
		0,
		40,
		0,
		0,
		0x40,
		0,
		64,
		6,
		0,
		0,
		/* checksum */ 198,
		51,
		100,
		7,
		203,
		0,
		113,
		5,
		/* TCP */
		0x9c,
		0x40,
		0x1f,
		0x90,
		0,
		0,
		0,
		0,
		0xde,
		0xad,
		0xbf,
		0x00,
		0x50,
		0x14,
		0,
		0,
		0,
		/* checksum */ 0,
		0,
		0,
	};
	uint8_t *b = pkt_new(), out[64], got[40];
	struct seg s = seg_base(false, 0xdeadbeff, 0);
	struct iso_pkt p;
	size_t len;

	s.flags = ISO_TCP_SYN;
	len = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(iso_pkt_rst(&p, out, sizeof(out)), 40);
	memcpy(got, out, 40);
	got[10] = got[11] = 0;
	got[36] = got[37] = 0;
	ck_assert_mem_eq(got, want, 40);
	ck_assert(ip4_ok(out));
	ck_assert(l4_ok(out, 20, IPPROTO_TCP, 20));
	/* the sequence number wraps: ACK 0 for a SYN at 0xffffffff */
	s.seq = 0xffffffff;
	len = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
	ck_assert_int_eq(iso_pkt_rst(&p, out, sizeof(out)), 40);
	ck_assert_uint_eq(rd32(out + 28), 0);
	ck_assert(l4_ok(out, 20, IPPROTO_TCP, 20));
	free(b);
}
END_TEST

START_TEST(rst_v6)
{
	static const uint8_t want_tcp[20] = {
		0x9c, 0x40, 0x1f, 0x90, 0,    0, 0, 0, 0x12,
		0x34, 0x56, 0x79, 0x50, 0x14, 0, 0, 0, /* checksum */ 0,
		0,    0,
	};
	static const uint8_t want_ip[8] = {0x60, 0, 0, 0, 0, 20, 6, 64};
	uint8_t *b = pkt_new(), out[60];
	struct seg s = seg_base(true, 0x12345678, 0);
	struct iso_pkt p;
	size_t len;

	s.flags = ISO_TCP_SYN;
	len = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
	memset(out, 0xa5, sizeof(out));
	ck_assert_int_eq(iso_pkt_rst(&p, out, sizeof(out)), 60);
	ck_assert_mem_eq(out, want_ip, 8);
	ck_assert_mem_eq(out + 8, prog6, 16);
	ck_assert_mem_eq(out + 24, peer6, 16);
	ck_assert(l4_ok(out, 40, IPPROTO_TCP, 20));
	out[56] = out[57] = 0;
	ck_assert_mem_eq(out + 40, want_tcp, 20);
	free(b);
}
END_TEST

START_TEST(rst_nospace)
{
	uint8_t *b = pkt_new(), out[64];
	struct seg s = seg_base(true, 1, 0);
	struct iso_pkt p;
	size_t len, cap;

	s.flags = ISO_TCP_SYN;
	len = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
	memset(out, 0xa5, sizeof(out));
	for (cap = 0; cap < 60; cap++)
		ck_assert_int_eq(iso_pkt_rst(&p, out, cap), -ENOSPC);
	ck_assert_uint_eq(out[0], 0xa5); /* nothing written */
	ck_assert_int_eq(iso_pkt_rst(&p, out, 60), 60);
	s.v6 = false;
	len = seg_build(&s, b);
	ck_assert_int_eq(iso_pkt_parse(b, len, &p), 0);
	for (cap = 0; cap < 40; cap++)
		ck_assert_int_eq(iso_pkt_rst(&p, out, cap), -ENOSPC);
	free(b);
}
END_TEST

/* ---- iso_pkt_udp_reply ---- */

/* Check the reply @r (@n bytes) to the query @q carrying @d (@dlen). */
static void assert_udp_reply(const uint8_t *r, int n, const struct iso_pkt *q,
			     const uint8_t *d, size_t dlen)
{
	bool v6 = q->src.family == AF_INET6;
	size_t hl = v6 ? 40 : 20, alen = v6 ? 16 : 4;

	ck_assert_int_eq(n, (int)(hl + 8 + dlen));
	if (v6) {
		ck_assert_uint_eq(r[0], 0x60);
		ck_assert_uint_eq(rd32(r) & 0x0fffffff, 0); /* class, flow */
		ck_assert_uint_eq(rd16(r + 4), 8 + dlen);
		ck_assert_uint_eq(r[6], IPPROTO_UDP);
		ck_assert_uint_eq(r[7], 64);
		ck_assert_mem_eq(r + 8, q->dst.b, alen);
		ck_assert_mem_eq(r + 24, q->src.b, alen);
	} else {
		static const uint8_t h[10] = {0x45, 0,	  0, 0,	 0,
					      0,    0x40, 0, 64, IPPROTO_UDP};
		uint8_t got[10];

		memcpy(got, r, 10);
		got[2] = got[3] = 0;
		ck_assert_mem_eq(got, h, 10);
		ck_assert_uint_eq(rd16(r + 2), 28 + dlen);
		ck_assert(ip4_ok(r));
		ck_assert_mem_eq(r + 12, q->dst.b, alen);
		ck_assert_mem_eq(r + 16, q->src.b, alen);
	}
	ck_assert_uint_eq(rd16(r + hl), q->dport);
	ck_assert_uint_eq(rd16(r + hl + 2), q->sport);
	ck_assert_uint_eq(rd16(r + hl + 4), 8 + dlen);
	ck_assert_uint_ne(rd16(r + hl + 6), 0); /* a checksum, always */
	ck_assert(l4_ok(r, hl, IPPROTO_UDP, 8 + dlen));
	if (dlen)
		ck_assert_mem_eq(r + hl + 8, d, dlen);
}

static void udp_query(bool v6, struct iso_pkt *p, uint8_t *b)
{
	static const uint8_t q[3] = {'a', 'b', 'c'};

	ck_assert_int_eq(iso_pkt_parse(b, udp_build(v6, b, q, 3), p), 0);
}

START_TEST(udp_reply)
{
	uint8_t b[128], out[2048], d[1001];
	struct iso_pkt p;
	size_t i, dlen;
	int v6, n;

	for (i = 0; i < sizeof(d); i++)
		d[i] = pat((uint32_t)i);
	for (v6 = 0; v6 <= 1; v6++) {
		udp_query(v6, &p, b);
		/* odd and even lengths, and none */
		for (dlen = 0; dlen <= sizeof(d); dlen += dlen < 4 ? 1 : 333) {
			memset(out, 0xa5, sizeof(out));
			n = iso_pkt_udp_reply(&p, d, dlen, out, sizeof(out));
			assert_udp_reply(out, n, &p, d, dlen);
		}
	}
}
END_TEST

/* A checksum that comes out 0 is sent as 0xffff (RFC 768: 0 is "none"). */
START_TEST(udp_reply_zero_sum)
{
	uint8_t b[128], out[256], d[2] = {0, 0};
	struct iso_pkt p;
	uint16_t s;
	int v6, n;

	for (v6 = 0; v6 <= 1; v6++) {
		size_t hl = v6 ? 40 : 20;

		d[0] = d[1] = 0;
		udp_query(v6, &p, b);
		/* find the data word that makes the sum 0xffff: with the
		 * checksum field 0 the reply sums to s + word */
		n = iso_pkt_udp_reply(&p, d, 2, out, sizeof(out));
		ck_assert_int_gt(n, 0);
		out[hl + 6] = out[hl + 7] = 0;
		s = t_sum(t_pseudo(out, IPPROTO_UDP, 10), out + hl, 10);
		wr16(d, (uint16_t)~s);
		n = iso_pkt_udp_reply(&p, d, 2, out, sizeof(out));
		ck_assert_int_eq(n, (int)hl + 10);
		ck_assert_uint_eq(rd16(out + hl + 6), 0xffff);
		assert_udp_reply(out, n, &p, d, 2);
	}
}
END_TEST

/* The data already lies in the output buffer (iso_main.c builds the DNS
 * answer there): below, at, above and across where it ends up. */
START_TEST(udp_reply_in_place)
{
	static const size_t offs[] = {0, 1, 7, 27, 28, 29, 47, 48, 49, 64, 100};
	uint8_t b[128], out[4096], d[700];
	struct iso_pkt p;
	size_t i, k;
	int v6, n;

	for (i = 0; i < sizeof(d); i++)
		d[i] = pat((uint32_t)i * 3);
	for (v6 = 0; v6 <= 1; v6++) {
		udp_query(v6, &p, b);
		for (k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
			memset(out, 0xa5, sizeof(out));
			memcpy(out + offs[k], d, sizeof(d));
			n = iso_pkt_udp_reply(&p, out + offs[k], sizeof(d), out,
					      sizeof(out));
			assert_udp_reply(out, n, &p, d, sizeof(d));
		}
	}
}
END_TEST

START_TEST(udp_reply_nospace)
{
	uint8_t b[128], d[100] = {0}, *out = pkt_new();
	struct iso_pkt p;
	size_t cap;
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		udp_query(v6, &p, b);
		memset(out, 0xa5, 256);
		for (cap = 0; cap < (v6 ? 48 : 28) + sizeof(d); cap++)
			ck_assert_int_eq(
				iso_pkt_udp_reply(&p, d, sizeof(d), out, cap),
				-ENOSPC);
		ck_assert_uint_eq(out[0], 0xa5); /* nothing written */
		ck_assert_int_eq(iso_pkt_udp_reply(&p, d, sizeof(d), out,
						   48 + sizeof(d)),
				 (int)((v6 ? 48 : 28) + sizeof(d)));
		/* more than a UDP datagram can carry */
		ck_assert_int_eq(iso_pkt_udp_reply(&p, out, 65528, out, 65600),
				 -ENOSPC);
	}
	free(out);
}
END_TEST

/* ---- iso_gso ---- */

static struct iso_gso *gso_new(void)
{
	struct iso_gso *g = malloc(sizeof(*g));

	ck_assert_ptr_nonnull(g);
	memset(g, 0xa5, sizeof(*g)); /* reset alone must be enough */
	iso_gso_reset(g);
	return g;
}

/* Offer @s to @g; returns what iso_gso_add said. */
static bool gso_offer(struct iso_gso *g, const struct seg *s)
{
	uint8_t *b = pkt_new();
	size_t len = seg_build(s, b);
	bool r = iso_gso_add(g, b, len);

	free(b);
	return r;
}

/*
 * Check the finished packet @pkt (@len bytes, header @vh) made of the
 * @n segments @segs: headers, lengths, checksums, the vnet fields, and
 * that cutting it at gso_size gives back every segment's payload.
 */
static void assert_gso_packet(const uint8_t *pkt, size_t len,
			      const struct iso_vnet *vh, const struct seg *segs,
			      size_t n, uint8_t want_flags)
{
	bool v6 = segs[0].v6;
	size_t hl = v6 ? 40 : 20, thl = 20 + segs[0].optlen, i, off, total = 0;
	uint8_t *c = malloc(len);
	uint16_t s;

	for (i = 0; i < n; i++)
		total += segs[i].plen;
	ck_assert_uint_eq(len, hl + thl + total);
	if (v6) {
		ck_assert_uint_eq(rd16(pkt + 4), len - 40);
		ck_assert_uint_eq(vh->gso_type, VIRTIO_NET_HDR_GSO_TCPV6);
	} else {
		ck_assert_uint_eq(rd16(pkt + 2), len);
		ck_assert(ip4_ok(pkt));
		ck_assert_uint_eq(vh->gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	}
	ck_assert_uint_eq(vh->flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(vh->hdr_len, hl + thl);
	ck_assert_uint_eq(vh->gso_size, segs[0].plen);
	ck_assert_uint_eq(vh->csum_start, hl);
	ck_assert_uint_eq(vh->csum_offset, 16);
	/* the first segment's TCP header, flags and all */
	ck_assert_uint_eq(rd16(pkt + hl), segs[0].sport);
	ck_assert_uint_eq(rd16(pkt + hl + 2), segs[0].dport);
	ck_assert_uint_eq(rd32(pkt + hl + 4), segs[0].seq);
	ck_assert_uint_eq(rd32(pkt + hl + 8), segs[0].ack);
	ck_assert_uint_eq(pkt[hl + 12], thl / 4 << 4);
	ck_assert_uint_eq(pkt[hl + 13], want_flags);
	ck_assert_uint_eq(rd16(pkt + hl + 14), segs[0].win);
	ck_assert_mem_eq(pkt + hl + 20, segs[0].opt, segs[0].optlen);
	/*
	 * The checksum field holds the pseudo-header sum: the kernel (or
	 * this test) sums from csum_start to the end, complements, and
	 * stores the result at csum_start + csum_offset.
	 */
	memcpy(c, pkt, len);
	s = t_sum(0, c + vh->csum_start, len - vh->csum_start);
	wr16(c + vh->csum_start + vh->csum_offset, (uint16_t)~s);
	ck_assert(l4_ok(c, hl, IPPROTO_TCP, len - hl));
	/* cut back into gso_size segments: the payloads, byte for byte */
	off = vh->hdr_len;
	for (i = 0; i < n; i++) {
		size_t k = len - off < vh->gso_size ? len - off : vh->gso_size;
		uint8_t *b = pkt_new();
		size_t sl = seg_build(&segs[i], b);

		ck_assert_uint_eq(k, segs[i].plen);
		ck_assert_mem_eq(pkt + off, b + sl - segs[i].plen, k);
		off += k;
		free(b);
	}
	ck_assert_uint_eq(off, len);
	free(c);
}

/* @n in-order segments of @plen bytes (the last @last) from @seq. */
static void make_run(struct seg *segs, size_t n, bool v6, uint32_t seq,
		     size_t plen, size_t last)
{
	size_t i;

	for (i = 0; i < n; i++) {
		segs[i] = seg_base(v6, seq, i + 1 == n ? last : plen);
		seq += (uint32_t)segs[i].plen;
	}
}

static void run_join(bool v6, uint32_t seq, const uint8_t *opt, size_t optlen)
{
	struct iso_gso *g = gso_new();
	struct seg segs[6];
	struct iso_vnet vh;
	size_t i, len;

	make_run(segs, 6, v6, seq, 1460, 777);
	for (i = 0; i < 6; i++) {
		if (optlen)
			memcpy(segs[i].opt, opt, optlen);
		segs[i].optlen = optlen;
		ck_assert(gso_offer(g, &segs[i]));
		ck_assert_uint_eq(g->segs, i + 1);
	}
	len = iso_gso_finish(g, &vh);
	assert_gso_packet(g->pkt, len, &vh, segs, 6, ISO_TCP_ACK);
	iso_gso_reset(g);
	ck_assert_uint_eq(g->len, 0);
	/* and the next packet starts afresh */
	ck_assert(gso_offer(g, &segs[0]));
	ck_assert_uint_eq(g->segs, 1);
	free(g);
}

START_TEST(gso_join_v4)
{
	static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};

	run_join(false, 1000, NULL, 0);
	run_join(false, 0xfffff000, NULL, 0); /* the sequence wraps */
	run_join(false, 5, ts, sizeof(ts));   /* equal options join */
}
END_TEST

START_TEST(gso_join_v6)
{
	static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};

	run_join(true, 1000, NULL, 0);
	run_join(true, 0xfffffe00, NULL, 0);
	run_join(true, 5, ts, sizeof(ts));
}
END_TEST

/* PSH on any segment is kept on the packet (the kernel leaves it on the
 * last segment it cuts). */
START_TEST(gso_psh_kept)
{
	int v6, at;

	for (v6 = 0; v6 <= 1; v6++) {
		for (at = 0; at < 3; at++) {
			struct iso_gso *g = gso_new();
			struct seg segs[3];
			struct iso_vnet vh;
			size_t i, len;

			make_run(segs, 3, v6, 77, 1000, 1000);
			segs[at].flags |= 0x08;
			for (i = 0; i < 3; i++)
				ck_assert(gso_offer(g, &segs[i]));
			len = iso_gso_finish(g, &vh);
			assert_gso_packet(g->pkt, len, &vh, segs, 3,
					  ISO_TCP_ACK | 0x08);
			free(g);
		}
	}
}
END_TEST

/* A shorter segment joins and ends the packet. */
START_TEST(gso_shorter_ends)
{
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		struct iso_gso *g = gso_new();
		struct seg segs[3], more;
		struct iso_vnet vh;
		size_t len;

		make_run(segs, 3, v6, 1, 1000, 1);
		ck_assert(gso_offer(g, &segs[0]));
		ck_assert(gso_offer(g, &segs[1]));
		ck_assert(gso_offer(g, &segs[2]));
		more = seg_base(v6, segs[2].seq + 1, 1);
		ck_assert(!gso_offer(g, &more));
		more.plen = 1000;
		ck_assert(!gso_offer(g, &more));
		ck_assert_uint_eq(g->segs, 3);
		len = iso_gso_finish(g, &vh);
		assert_gso_packet(g->pkt, len, &vh, segs, 3, ISO_TCP_ACK);
		free(g);
	}
}
END_TEST

/* A single segment comes back as it went in, with an empty header. */
START_TEST(gso_single)
{
	static const struct iso_vnet empty;
	int v6, psh;

	for (v6 = 0; v6 <= 1; v6++) {
		for (psh = 0; psh <= 1; psh++) {
			struct iso_gso *g = gso_new();
			struct seg s = seg_base(v6, 99, 1460);
			struct iso_vnet vh;
			uint8_t *b = pkt_new();
			size_t len;

			if (psh)
				s.flags |= 0x08;
			len = seg_build(&s, b);
			ck_assert(iso_gso_add(g, b, len));
			memset(&vh, 0xa5, sizeof(vh));
			ck_assert_uint_eq(iso_gso_finish(g, &vh), len);
			ck_assert_mem_eq(g->pkt, b, len);
			ck_assert_mem_eq(&vh, &empty, sizeof(vh));
			free(b);
			free(g);
		}
	}
}
END_TEST

/* Ways to spoil the segment after a 1000-byte one (seq 5000, options
 * none): each must be refused, and leave the packet as it was. */
enum spoil {
	SP_GAP,
	SP_RETRANSMIT,
	SP_SPORT,
	SP_DPORT,
	SP_SRC,
	SP_ACK,
	SP_WIN,
	SP_OPTIONS,
	SP_OPTLEN,
	SP_FIN,
	SP_SYN,
	SP_RST,
	SP_URG,
	SP_NO_ACK,
	SP_PURE_ACK,
	SP_LONGER,
	SP_IPOPT,  /* IPv4 only */
	SP_MF,	   /* IPv4 only */
	SP_OFFSET, /* IPv4 only */
	SP_HBH,	   /* IPv6 only */
	SP_UDP,
	SP_FAMILY,
	SP_COUNT
};

static void spoil(struct seg *s, enum spoil how)
{
	switch (how) {
	case SP_GAP:
		s->seq += 1;
		break;
	case SP_RETRANSMIT:
		s->seq -= 1000;
		break;
	case SP_SPORT:
		s->sport++;
		break;
	case SP_DPORT:
		s->dport++;
		break;
	case SP_SRC:
		s->src_last = 99;
		break;
	case SP_ACK:
		s->ack++;
		break;
	case SP_WIN:
		s->win--;
		break;
	case SP_OPTIONS: /* another timestamp value, same length */
		s->opt[7]++;
		break;
	case SP_OPTLEN: /* no options */
		s->optlen = 0;
		break;
	case SP_FIN:
		s->flags |= ISO_TCP_FIN;
		break;
	case SP_SYN:
		s->flags |= ISO_TCP_SYN;
		break;
	case SP_RST:
		s->flags |= ISO_TCP_RST;
		break;
	case SP_URG:
		s->flags |= 0x20;
		break;
	case SP_NO_ACK:
		s->flags = 0x08;
		break;
	case SP_PURE_ACK:
		s->plen = 0;
		break;
	case SP_LONGER:
		s->plen++;
		break;
	case SP_IPOPT:
		s->ipopt = 4;
		break;
	case SP_MF:
		s->frag = 0x2000;
		break;
	case SP_OFFSET:
		s->frag = 0x0001;
		break;
	case SP_HBH:
		s->hbh = true;
		break;
	case SP_UDP:
		s->proto = IPPROTO_UDP;
		break;
	case SP_FAMILY:
		s->v6 = !s->v6;
		break;
	case SP_COUNT:
		break;
	}
}

static bool spoil_applies(bool v6, int how)
{
	if (how == SP_IPOPT || how == SP_MF || how == SP_OFFSET)
		return !v6;
	if (how == SP_HBH)
		return v6;
	return true;
}

/* A segment carrying a timestamp option (RFC 7323). */
static struct seg seg_with_ts(bool v6, uint32_t seq, size_t plen)
{
	static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
	struct seg s = seg_base(v6, seq, plen);

	memcpy(s.opt, ts, sizeof(ts));
	s.optlen = sizeof(ts);
	return s;
}

START_TEST(gso_refused)
{
	int v6 = _i / SP_COUNT, how = _i % SP_COUNT;
	struct iso_gso *g = gso_new();
	struct seg first = seg_with_ts(v6, 4000, 1000);
	struct seg next = seg_with_ts(v6, 5000, 1000);
	size_t len;

	if (!spoil_applies(v6, how)) {
		free(g);
		return;
	}
	ck_assert(gso_offer(g, &first));
	len = g->len;
	spoil(&next, how);
	ck_assert_msg(!gso_offer(g, &next), "v6 %d, spoil %d joined", v6, how);
	ck_assert_uint_eq(g->len, len);
	ck_assert_uint_eq(g->segs, 1);
	/* the unspoilt one still joins */
	next = seg_with_ts(v6, 5000, 1000);
	ck_assert(gso_offer(g, &next));
	free(g);
}
END_TEST

/* Not a data segment that can be coalesced: refused by an empty @g too
 * (the caller writes it as it is). */
START_TEST(gso_refused_first)
{
	int v6 = _i / SP_COUNT, how = _i % SP_COUNT;
	struct iso_gso *g = gso_new();
	struct seg s = seg_base(v6, 4000, 1000);

	if (!spoil_applies(v6, how) || how == SP_GAP || how == SP_RETRANSMIT ||
	    how == SP_SPORT || how == SP_DPORT || how == SP_SRC ||
	    how == SP_ACK || how == SP_WIN || how == SP_OPTIONS ||
	    how == SP_OPTLEN || how == SP_LONGER || how == SP_FAMILY) {
		free(g);
		return; /* a flow property, fine on its own */
	}
	spoil(&s, how);
	ck_assert_msg(!gso_offer(g, &s), "v6 %d, spoil %d taken", v6, how);
	ck_assert_uint_eq(g->len, 0);
	free(g);
}
END_TEST

START_TEST(gso_refused_garbage)
{
	struct iso_gso *g = gso_new();
	uint8_t *b = pkt_new();
	struct seg s = seg_base(false, 1, 100);
	size_t len = seg_build(&s, b), i;

	for (i = 0; i < 41; i++) /* cut short */
		ck_assert(!iso_gso_add(g, b, i));
	ck_assert(!iso_gso_add(g, b, len - 1)); /* total length disagrees */
	b[32] = 0x40;				/* data offset 4 */
	ck_assert(!iso_gso_add(g, b, len));
	s.v6 = true;
	len = seg_build(&s, b);
	for (i = 0; i < 61; i++)
		ck_assert(!iso_gso_add(g, b, i));
	ck_assert(!iso_gso_add(g, b, len + 1)); /* payload length disagrees */
	memset(b, 0xff, 100);
	ck_assert(!iso_gso_add(g, b, 100));
	ck_assert_uint_eq(g->len, 0);
	free(b);
	free(g);
}
END_TEST

/* The whole packet stays within ISO_GSO_MAX bytes. */
START_TEST(gso_cap)
{
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		struct iso_gso *g = gso_new();
		struct seg segs[5], s;
		struct iso_vnet vh;
		size_t i, len;

		/* headers + 5 * mss = 65535 exactly */
		size_t mss = (ISO_GSO_MAX - (v6 ? 60 : 40)) / 5;

		ck_assert_uint_eq(mss * 5 + (v6 ? 60 : 40), ISO_GSO_MAX);
		make_run(segs, 5, v6, 1, mss, mss);
		for (i = 0; i < 5; i++)
			ck_assert(gso_offer(g, &segs[i]));
		len = iso_gso_finish(g, &vh);
		ck_assert_uint_eq(len, ISO_GSO_MAX);
		assert_gso_packet(g->pkt, len, &vh, segs, 5, ISO_TCP_ACK);
		free(g);
		/* one byte more does not fit: the fifth is refused */
		g = gso_new();
		make_run(segs, 5, v6, 1, mss + 1, mss + 1);
		for (i = 0; i < 4; i++)
			ck_assert(gso_offer(g, &segs[i]));
		ck_assert(!gso_offer(g, &segs[4]));
		ck_assert_uint_eq(g->segs, 4);
		len = iso_gso_finish(g, &vh);
		assert_gso_packet(g->pkt, len, &vh, segs, 4, ISO_TCP_ACK);
		free(g);
		/* lwIP's 1460: 44 segments, not 45 */
		g = gso_new();
		s = seg_base(v6, 1, 1460);
		for (i = 0; i < 44; i++, s.seq += 1460)
			ck_assert(gso_offer(g, &s));
		ck_assert(!gso_offer(g, &s));
		free(g);
	}
}
END_TEST

/* A segment larger than the packet buffer (an IPv6 payload length up to
 * 65535) is refused, never copied. */
START_TEST(gso_oversized_segment)
{
	struct iso_gso *g = gso_new();
	struct seg s = seg_base(true, 1, 65535 - 20);

	ck_assert(!gso_offer(g, &s));
	ck_assert_uint_eq(g->len, 0);
	s.plen = ISO_GSO_MAX - 60;
	ck_assert(gso_offer(g, &s));
	free(g);
}
END_TEST

static Suite *iso_pkt_suite(void)
{
	Suite *s = suite_create("iso_pkt");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, parse_v4_tcp);
	tcase_add_test(tc, parse_v4_options);
	tcase_add_test(tc, parse_v6_tcp);
	tcase_add_test(tc, parse_udp);
	tcase_add_test(tc, parse_short_tcp_header);
	tcase_add_test(tc, parse_invalid);
	tcase_add_loop_test(tc, tcp_raise_mss, 0, 2);
	tcase_add_loop_test(
		tc, tcp_mss, 0,
		(int)(2 * sizeof(mss_cases) / sizeof(mss_cases[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("reply");
	tcase_add_test(tc, rst_v4);
	tcase_add_test(tc, rst_v6);
	tcase_add_test(tc, rst_nospace);
	tcase_add_test(tc, udp_reply);
	tcase_add_test(tc, udp_reply_zero_sum);
	tcase_add_test(tc, udp_reply_in_place);
	tcase_add_test(tc, udp_reply_nospace);
	suite_add_tcase(s, tc);
	tc = tcase_create("gso");
	tcase_add_test(tc, gso_join_v4);
	tcase_add_test(tc, gso_join_v6);
	tcase_add_test(tc, gso_psh_kept);
	tcase_add_test(tc, gso_shorter_ends);
	tcase_add_test(tc, gso_single);
	tcase_add_loop_test(tc, gso_refused, 0, 2 * SP_COUNT);
	tcase_add_loop_test(tc, gso_refused_first, 0, 2 * SP_COUNT);
	tcase_add_test(tc, gso_refused_garbage);
	tcase_add_test(tc, gso_cap);
	tcase_add_test(tc, gso_oversized_segment);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(iso_pkt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
