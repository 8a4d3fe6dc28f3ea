/* SPDX-License-Identifier: MIT */
/*
 * The pure codec: golden vectors from the RFC diagrams (encode and decode),
 * round trips, each malformed field with its own error, encoder NOSPACE and
 * INVAL, struct socks_addr helpers, the errno <-> REP/CD table.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "proto_vec.h"

static const struct vec *V;
static size_t NV;

static void setup(void)
{
	V = proto_vectors(&NV);
}

/* ---- 1. golden vectors ---- */

static void golden_decode_one(size_t i)
{
	const struct vec *v = &V[i];
	union msg m;
	ssize_t n;

	memset(&m, 0xa5, sizeof(m));
	n = msg_decode(v->kind, v->bytes, v->len, &m);
	ck_assert_msg(n == (ssize_t)v->len, "%s: decode returned %zd, want %zu",
		      v->name, n, v->len);
	ck_assert_msg(memcmp(&m, &v->m, msg_size(v->kind)) == 0,
		      "%s: decoded struct differs", v->name);
}

START_TEST(golden_decode)
{
	size_t i;

	for (i = 0; i < NV; i++)
		golden_decode_one(i);
}
END_TEST

static void golden_encode_one(size_t i)
{
	const struct vec *v = &V[i];
	uint8_t want[VEC_MAX], *out;
	ssize_t n;

	memcpy(want, v->bytes, v->len);
	if (!v->canonical)
		msg_canonicalize(v->kind, want, v->len);
	/* exactly sized: ASan catches a write past cap */
	out = malloc(v->len);
	ck_assert_ptr_nonnull(out);
	n = msg_encode(v->kind, out, v->len, &v->m);
	ck_assert_msg(n == (ssize_t)v->len, "%s: encode returned %zd, want %zu",
		      v->name, n, v->len);
	ck_assert_msg(memcmp(out, want, v->len) == 0, "%s: bytes differ",
		      v->name);
	free(out);

	/* with room to spare: the same bytes, nothing written after them */
	{
		uint8_t big[VEC_MAX + 32];

		memset(big, 0xee, sizeof(big));
		n = msg_encode(v->kind, big, sizeof(big), &v->m);
		ck_assert_msg(n == (ssize_t)v->len, "%s: big cap gave %zd",
			      v->name, n);
		ck_assert(memcmp(big, want, v->len) == 0);
		for (size_t j = v->len; j < sizeof(big); j++)
			ck_assert_msg(big[j] == 0xee, "%s: byte %zu touched",
				      v->name, j);
	}
}

START_TEST(golden_encode)
{
	size_t i;

	for (i = 0; i < NV; i++)
		golden_encode_one(i);
}
END_TEST

/* Every cap smaller than needed gives NOSPACE, and writes nothing past it. */
static void golden_encode_nospace_one(size_t i)
{
	const struct vec *v = &V[i];
	size_t cap;

	for (cap = 0; cap < v->len; cap++) {
		uint8_t *out = malloc(cap ? cap : 1);
		ssize_t n;

		ck_assert_ptr_nonnull(out);
		n = msg_encode(v->kind, cap ? out : NULL, cap, &v->m);
		ck_assert_msg(n == PROTO_E_NOSPACE, "%s: cap %zu gave %zd",
			      v->name, cap, n);
		free(out);
	}
}

START_TEST(golden_encode_nospace)
{
	size_t i;

	for (i = 0; i < NV; i++)
		golden_encode_nospace_one(i);
}
END_TEST

/* A few vectors spelled out once more against the RFC text. */
START_TEST(golden_spot_checks)
{
	uint8_t b[16];
	struct socks5_reply rep;

	/* failure reply with unset bnd: ATYP 1, 0.0.0.0:0 */
	memset(&rep, 0, sizeof(rep));
	rep.rep = SOCKS5_REP_COMMAND_NOT_SUPPORTED;
	ck_assert_int_eq(socks5_reply_encode(b, sizeof(b), &rep), 10);
	ck_assert_mem_eq(
		b,
		((const uint8_t[]){0x05, 0x07, 0x00, 0x01, 0, 0, 0, 0, 0, 0}),
		10);
	ck_assert_int_eq(socks5_reply_encode(b, 9, &rep), PROTO_E_NOSPACE);
	/* RFC 1929 reply VER is 1, not 5 */
	ck_assert_int_eq(auth1929_reply_encode(b, 2, 0), 2);
	ck_assert_int_eq(b[0], 0x01);
	ck_assert_int_eq(b[1], 0x00);
	/* SOCKS4 reply VN is 0, not 4 */
	{
		struct socks4_reply r4 = {.cd = 90, .port = 1};

		ck_assert_int_eq(socks4_reply_encode(b, 8, &r4), 8);
		ck_assert_int_eq(b[0], 0);
		ck_assert_int_eq(b[1], 90);
		ck_assert_int_eq(b[2], 0);
		ck_assert_int_eq(b[3], 1);
	}
	/* the reply is parsed by its own ATYP */
	{
		static const uint8_t r6[] = {0x05, 0x00, 0x00, 0x04, 0x20, 0x01,
					     0x0d, 0xb8, 0,    0,    0,	   0,
					     0,	   0,	 0,    0,    0,	   0,
					     0,	   9,	 0x00, 0x50, 0xAA};

		ck_assert_int_eq(socks5_reply_decode(r6, sizeof(r6), &rep), 22);
		ck_assert_int_eq(rep.bnd.type, SOCKS5_ATYP_IPV6);
		ck_assert_int_eq(rep.bnd.port, 80);
		ck_assert_int_eq(rep.bnd.u.ip6[15], 9);
	}
}
END_TEST

/* ---- 2. round trips ---- */

static void rt(enum msg_kind k, const union msg *m)
{
	uint8_t buf[VEC_MAX];
	union msg back;
	ssize_t n, d;

	n = msg_encode(k, buf, sizeof(buf), m);
	REQUIRE(n > 0, "%s: encode %zd", msg_kind_name(k), n);
	memset(&back, 0x5a, sizeof(back));
	d = msg_decode(k, buf, (size_t)n, &back);
	REQUIRE(d == n, "%s: decode %zd of %zd", msg_kind_name(k), d, n);
	REQUIRE(memcmp(&back, m, msg_size(k)) == 0, "%s: struct differs",
		msg_kind_name(k));
}

static void rand_bytes(uint64_t *s, void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)xs64(s);
}

/* A random address of any type; names are random non-NUL bytes. */
static void rand_addr(uint64_t *s, struct socks_addr *a, int allow_v6,
		      int allow_name)
{
	uint8_t ip[16];
	char name[255];
	uint16_t port = (uint16_t)xs64(s);
	unsigned int t = (unsigned int)(xs64(s) % 3);
	size_t len, i;

	rand_bytes(s, ip, sizeof(ip));
	if (t == 1 && !allow_v6)
		t = 0;
	if (t == 2 && !allow_name)
		t = 0;
	if (t == 0) {
		if (!allow_v6 && ip[0] == 0 && ip[1] == 0 && ip[2] == 0)
			ip[0] = 1; /* 0.0.0.x is SOCKS4A in SOCKS4 */
		socks_addr_set_ip4(a, ip, port);
	} else if (t == 1) {
		socks_addr_set_ip6(a, ip, port);
	} else {
		len = 1 + (size_t)(xs64(s) % 255);
		if (xs64(s) % 4 == 0)
			len = 255;
		for (i = 0; i < len; i++)
			name[i] = (char)(1 + xs64(s) % 255);
		ck_assert_int_eq(socks_addr_set_name(a, name, len, port), 0);
	}
}

START_TEST(roundtrip_many)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	int i;

	for (i = 0; i < 20000; i++) {
		union msg m;
		size_t j;

		memset(&m, 0, sizeof(m));
		switch (i % K_COUNT) {
		case K_S4_REQ:
			m.s4req.cmd = (uint8_t)(1 + xs64(&s) % 2);
			rand_addr(&s, &m.s4req.dst, 0, 1);
			m.s4req.userid_len = (uint8_t)(xs64(&s) % 256);
			for (j = 0; j < m.s4req.userid_len; j++)
				m.s4req.userid[j] = (char)(1 + xs64(&s) % 255);
			break;
		case K_S4_REP:
			m.s4rep.cd = (uint8_t)xs64(&s);
			m.s4rep.port = (uint16_t)xs64(&s);
			rand_bytes(&s, m.s4rep.ip, 4);
			break;
		case K_S5_GREET:
			m.greet.nmethods = (uint8_t)(1 + xs64(&s) % 255);
			rand_bytes(&s, m.greet.methods, m.greet.nmethods);
			break;
		case K_S5_METHOD:
			m.method = (uint8_t)xs64(&s);
			break;
		case K_S5_REQ:
			m.s5req.cmd = (uint8_t)(1 + xs64(&s) % 3);
			rand_addr(&s, &m.s5req.dst, 1, 1);
			break;
		case K_S5_REP:
			m.s5rep.rep = (uint8_t)xs64(&s);
			rand_addr(&s, &m.s5rep.bnd, 1, 1);
			break;
		case K_AUTH_REQ:
			m.auth.ulen = (uint8_t)(1 + xs64(&s) % 255);
			m.auth.plen = (uint8_t)(xs64(&s) % 256);
			/* any bytes, NUL included */
			rand_bytes(&s, m.auth.uname, m.auth.ulen);
			rand_bytes(&s, m.auth.passwd, m.auth.plen);
			break;
		case K_AUTH_REP:
			m.status = (uint8_t)xs64(&s);
			break;
		case K_UDP:
			m.udp.frag = (uint8_t)xs64(&s);
			rand_addr(&s, &m.udp.addr, 1, 1);
			break;
		default:
			rand_addr(&s, &m.addr, 1, 1);
			break;
		}
		rt((enum msg_kind)(i % K_COUNT), &m);
	}
}
END_TEST

/* Edge values: every port boundary, every name and field length. */
START_TEST(roundtrip_edges)
{
	static const uint16_t ports[] = {0,    1,     255,   256,
					 1080, 32768, 65534, 65535};
	union msg m;
	size_t i, len;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.s5req.cmd = SOCKS5_CMD_CONNECT;
		socks_addr_set_ip4(&m.s5req.dst,
				   (const uint8_t[]){255, 255, 255, 255},
				   ports[i]);
		rt(K_S5_REQ, &m);
		memset(&m, 0, sizeof(m));
		m.s4rep.port = ports[i];
		rt(K_S4_REP, &m);
	}
	for (len = 1; len <= 255; len++) {
		memset(&m, 0, sizeof(m));
		m.s5req.cmd = SOCKS5_CMD_BIND;
		ck_assert_int_eq(socks_addr_set_name(&m.s5req.dst, name255(),
						     len, (uint16_t)len),
				 0);
		rt(K_S5_REQ, &m);
		memset(&m, 0, sizeof(m));
		m.s4req.cmd = SOCKS4_CMD_CONNECT;
		m.s4req.userid_len = (uint8_t)(255 - len);
		memset(m.s4req.userid, 'x', 255 - len);
		ck_assert_int_eq(
			socks_addr_set_name(&m.s4req.dst, name255(), len, 80),
			0);
		rt(K_S4_REQ, &m);
		memset(&m, 0, sizeof(m));
		m.auth.ulen = (uint8_t)len;
		m.auth.plen = (uint8_t)(255 - len);
		memset(m.auth.uname, 'u', len);
		memset(m.auth.passwd, 'p', 255 - len);
		rt(K_AUTH_REQ, &m);
		memset(&m, 0, sizeof(m));
		m.greet.nmethods = (uint8_t)len;
		rt(K_S5_GREET, &m);
	}
}
END_TEST

/* ---- 4. malformed input, one error per field ---- */

struct bad {
	const char *name;
	enum msg_kind kind;
	ssize_t want;
	size_t len;
	uint8_t b[40];
};

#define BAD(n, k, w, ...)                                        \
	{                                                        \
		n, k, w, sizeof((const uint8_t[]){__VA_ARGS__}), \
		{                                                \
			__VA_ARGS__                              \
		}                                                \
	}

/* clang-format off */
static const struct bad bads[] = {
	/* SOCKS4 request */
	BAD("s4 VN 5", K_S4_REQ, PROTO_E_VERSION, 0x05),
	BAD("s4 VN 0 full", K_S4_REQ, PROTO_E_VERSION, 0x00, 0x01, 0, 80, 1, 2,
	    3, 4, 0),
	BAD("s4 CD 0", K_S4_REQ, PROTO_E_CMD, 0x04, 0x00),
	BAD("s4 CD 3", K_S4_REQ, PROTO_E_CMD, 0x04, 0x03, 0, 80),
	BAD("s4 CD F0", K_S4_REQ, PROTO_E_CMD, 0x04, 0xf0),
	BAD("s4a empty name", K_S4_REQ, PROTO_E_NAME, 0x04, 0x01, 0, 80, 0, 0,
	    0, 1, 0x00, 0x00),
	BAD("s4a empty name after userid", K_S4_REQ, PROTO_E_NAME, 0x04, 0x02,
	    0, 80, 0, 0, 0, 9, 'u', 0x00, 0x00, 'x'),
	/* SOCKS4 reply */
	BAD("s4 reply VN 4", K_S4_REP, PROTO_E_VERSION, 0x04),
	BAD("s4 reply VN 5 full", K_S4_REP, PROTO_E_VERSION, 0x05, 90, 0, 0, 0,
	    0, 0, 0),
	/* greeting and selection */
	BAD("greeting VER 4", K_S5_GREET, PROTO_E_VERSION, 0x04),
	BAD("greeting VER 1", K_S5_GREET, PROTO_E_VERSION, 0x01, 0x01, 0x00),
	BAD("greeting NMETHODS 0", K_S5_GREET, PROTO_E_NMETHODS, 0x05, 0x00),
	BAD("method VER 1", K_S5_METHOD, PROTO_E_VERSION, 0x01),
	BAD("method VER 0", K_S5_METHOD, PROTO_E_VERSION, 0x00, 0x00),
	/* SOCKS5 request */
	BAD("req VER 4", K_S5_REQ, PROTO_E_VERSION, 0x04),
	BAD("req CMD 0", K_S5_REQ, PROTO_E_CMD, 0x05, 0x00),
	BAD("req CMD 4", K_S5_REQ, PROTO_E_CMD, 0x05, 0x04, 0x00, 0x01),
	BAD("req CMD F0", K_S5_REQ, PROTO_E_CMD, 0x05, 0xf0),
	BAD("req ATYP 0", K_S5_REQ, PROTO_E_ATYP, 0x05, 0x01, 0x00, 0x00),
	BAD("req ATYP 2", K_S5_REQ, PROTO_E_ATYP, 0x05, 0x01, 0x00, 0x02),
	BAD("req ATYP 5", K_S5_REQ, PROTO_E_ATYP, 0x05, 0x01, 0x00, 0x05, 1, 2,
	    3, 4, 0, 80),
	BAD("req ATYP FF", K_S5_REQ, PROTO_E_ATYP, 0x05, 0x03, 0x00, 0xff),
	BAD("req name len 0", K_S5_REQ, PROTO_E_NAME, 0x05, 0x01, 0x00, 0x03,
	    0x00),
	BAD("req name len 0 full", K_S5_REQ, PROTO_E_NAME, 0x05, 0x01, 0x00,
	    0x03, 0x00, 0x00, 0x50),
	BAD("req NUL first name byte", K_S5_REQ, PROTO_E_NAME, 0x05, 0x01, 0x00,
	    0x03, 0x0b, 0x00),
	BAD("req NUL inside name", K_S5_REQ, PROTO_E_NAME, 0x05, 0x01, 0x00,
	    0x03, 0x03, 'a', 0x00, 'b', 0x00, 0x50),
	BAD("req NUL last name byte", K_S5_REQ, PROTO_E_NAME, 0x05, 0x02, 0x00,
	    0x03, 0x02, 'a', 0x00, 0x00, 0x50),
	/* SOCKS5 reply */
	BAD("reply VER 0", K_S5_REP, PROTO_E_VERSION, 0x00),
	BAD("reply VER 4", K_S5_REP, PROTO_E_VERSION, 0x04, 0x00, 0x00, 0x01,
	    0, 0, 0, 0, 0, 0),
	BAD("reply ATYP 2", K_S5_REP, PROTO_E_ATYP, 0x05, 0x00, 0x00, 0x02),
	BAD("reply ATYP 0", K_S5_REP, PROTO_E_ATYP, 0x05, 0x00, 0x00, 0x00),
	BAD("reply name len 0", K_S5_REP, PROTO_E_NAME, 0x05, 0x00, 0x00, 0x03,
	    0x00),
	BAD("reply NUL in name", K_S5_REP, PROTO_E_NAME, 0x05, 0x00, 0x00, 0x03,
	    0x04, 'a', 'b', 0x00),
	/* RFC 1929 */
	BAD("auth req VER 5", K_AUTH_REQ, PROTO_E_VERSION, 0x05),
	BAD("auth req VER 5 full", K_AUTH_REQ, PROTO_E_VERSION, 0x05, 0x01, 'u',
	    0x01, 'p'),
	BAD("auth req VER 0", K_AUTH_REQ, PROTO_E_VERSION, 0x00),
	BAD("auth req ULEN 0", K_AUTH_REQ, PROTO_E_ULEN, 0x01, 0x00),
	BAD("auth req ULEN 0 full", K_AUTH_REQ, PROTO_E_ULEN, 0x01, 0x00, 0x01,
	    'p'),
	BAD("auth reply VER 2", K_AUTH_REP, PROTO_E_VERSION, 0x02),
	BAD("auth reply VER 0", K_AUTH_REP, PROTO_E_VERSION, 0x00, 0x00),
	BAD("auth reply VER 4", K_AUTH_REP, PROTO_E_VERSION, 0x04, 0x00),
	/* UDP header */
	BAD("udp empty", K_UDP, PROTO_E_TRUNCATED),
	BAD("udp RSV first byte", K_UDP, PROTO_E_RSV, 0x01),
	BAD("udp RSV second byte", K_UDP, PROTO_E_RSV, 0x00, 0x80),
	BAD("udp RSV full", K_UDP, PROTO_E_RSV, 0x00, 0x01, 0x00, 0x01, 1, 2,
	    3, 4, 0, 53),
	BAD("udp 1 byte", K_UDP, PROTO_E_TRUNCATED, 0x00),
	BAD("udp 3 bytes", K_UDP, PROTO_E_TRUNCATED, 0x00, 0x00, 0x00),
	BAD("udp ipv4 cut", K_UDP, PROTO_E_TRUNCATED, 0x00, 0x00, 0x00, 0x01,
	    198, 51, 100, 7, 0x00),
	BAD("udp ipv6 cut", K_UDP, PROTO_E_TRUNCATED, 0x00, 0x00, 0x00, 0x04,
	    0x20, 0x01),
	BAD("udp name cut", K_UDP, PROTO_E_TRUNCATED, 0x00, 0x00, 0x00, 0x03,
	    0x05, 'a', 'b'),
	BAD("udp name len missing", K_UDP, PROTO_E_TRUNCATED, 0x00, 0x00, 0x00,
	    0x03),
	BAD("udp ATYP 2", K_UDP, PROTO_E_ATYP, 0x00, 0x00, 0x00, 0x02),
	BAD("udp name len 0", K_UDP, PROTO_E_NAME, 0x00, 0x00, 0x00, 0x03,
	    0x00, 0x00, 0x35),
	BAD("udp NUL in name", K_UDP, PROTO_E_NAME, 0x00, 0x00, 0x00, 0x03,
	    0x02, 0x00),
	/* ATYP ADDR PORT */
	BAD("addr ATYP 0", K_S5_ADDR, PROTO_E_ATYP, 0x00),
	BAD("addr ATYP 6", K_S5_ADDR, PROTO_E_ATYP, 0x06, 1, 2, 3, 4, 5, 6),
	BAD("addr name len 0", K_S5_ADDR, PROTO_E_NAME, 0x03, 0x00),
};
/* clang-format on */

static void malformed_one(size_t i)
{
	const struct bad *b = &bads[i];
	uint8_t *copy = malloc(b->len ? b->len : 1);
	union msg m;
	ssize_t n;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, b->b, b->len);
	n = msg_decode(b->kind, copy, b->len, &m);
	ck_assert_msg(n == b->want, "%s: got %zd (%s), want %zd (%s)", b->name,
		      n, proto_strerror((int)n), b->want,
		      proto_strerror((int)b->want));
	free(copy);
}

/*
 * Wire order, fail early: over the prefixes of each malformed message the
 * result is "need more" (UDP: TRUNCATED) up to the offending byte and the
 * same error from there on; it never flips back or changes code.
 */
static void malformed_prefixes_one(size_t i)
{
	const struct bad *b = &bads[i];
	ssize_t short_want = b->kind == K_UDP ? PROTO_E_TRUNCATED : 0;
	int seen_error = 0;
	size_t p;

	for (p = 0; p <= b->len; p++) {
		uint8_t *copy = malloc(p ? p : 1);
		union msg m;
		ssize_t n;

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, b->b, p);
		n = msg_decode(b->kind, copy, p, &m);
		free(copy);
		if (n == b->want && n != short_want)
			seen_error = 1;
		else
			ck_assert_msg(!seen_error && n == short_want,
				      "%s: prefix %zu gave %zd", b->name, p, n);
	}
	ck_assert(seen_error || b->want == short_want);
}

START_TEST(malformed_prefixes)
{
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		malformed_prefixes_one(i);
}
END_TEST

START_TEST(malformed_table)
{
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		malformed_one(i);
}
END_TEST

START_TEST(malformed_cmd_reported)
{
	struct socks5_request r5;
	struct socks4_request r4;

	ck_assert_int_eq(
		socks5_request_decode((const uint8_t[]){5, 0xf1}, 2, &r5),
		PROTO_E_CMD);
	ck_assert_int_eq(r5.cmd, 0xf1);
	ck_assert_int_eq(socks5_request_decode((const uint8_t[]){5, 0}, 2, &r5),
			 PROTO_E_CMD);
	ck_assert_int_eq(r5.cmd, 0);
	ck_assert_int_eq(socks4_request_decode((const uint8_t[]){4, 7}, 2, &r4),
			 PROTO_E_CMD);
	ck_assert_int_eq(r4.cmd, 7);
}
END_TEST

/* SOCKS4 USERID and 4A name limits, at the exact boundary. */
START_TEST(malformed_socks4_lengths)
{
	static const uint8_t hdr4[8] = {4, 1, 0, 80, 203, 0, 113, 5};
	static const uint8_t hdr4a[8] = {4, 1, 0, 80, 0, 0, 0, 1};
	uint8_t b[SOCKS4_REQUEST_MAX + 16];
	struct socks4_request r;

	/* 255 bytes of USERID without NUL: need more; with NUL: fine */
	memcpy(b, hdr4, 8);
	memset(b + 8, 'u', 256);
	ck_assert_int_eq(socks4_request_decode(b, 8 + 255, &r), 0);
	ck_assert_int_eq(socks4_request_decode(b, 8 + 256, &r), PROTO_E_USERID);
	ck_assert_int_eq(socks4_request_decode(b, 8 + 300 - 40, &r),
			 PROTO_E_USERID);
	b[8 + 255] = 0;
	ck_assert_int_eq(socks4_request_decode(b, 8 + 256, &r), 8 + 256);
	ck_assert_int_eq(r.userid_len, 255);

	/* 4A name: 255 bytes without NUL need more, 256 are an error */
	memcpy(b, hdr4a, 8);
	b[8] = 0;
	memset(b + 9, 'n', 256);
	ck_assert_int_eq(socks4_request_decode(b, 9, &r), 0);
	ck_assert_int_eq(socks4_request_decode(b, 9 + 255, &r), 0);
	ck_assert_int_eq(socks4_request_decode(b, 9 + 256, &r), PROTO_E_NAME);
	b[9 + 255] = 0;
	ck_assert_int_eq(socks4_request_decode(b, 9 + 256, &r), 9 + 256);
	ck_assert_int_eq(r.dst.type, SOCKS5_ATYP_DOMAINNAME);
	ck_assert_int_eq(r.dst.len, 255);
	ck_assert_int_eq(r.dst.u.name[255], 0);

	/* 255-byte USERID and 255-byte name: the largest request */
	memcpy(b, hdr4a, 8);
	memset(b + 8, 'u', 255);
	b[8 + 255] = 0;
	memset(b + 8 + 256, 'n', 255);
	b[8 + 256 + 255] = 0;
	ck_assert_int_eq(socks4_request_decode(b, SOCKS4_REQUEST_MAX, &r),
			 SOCKS4_REQUEST_MAX);
	b[8 + 256 + 255] = 'n';
	b[8 + 256 + 256] = 0;
	ck_assert_int_eq(socks4_request_decode(b, SOCKS4_REQUEST_MAX + 1, &r),
			 PROTO_E_NAME);
}
END_TEST

/* ---- encoder INVAL ---- */

START_TEST(encode_inval)
{
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8};
	uint8_t b[SOCKS4_REQUEST_MAX];
	struct socks4_request r4;
	struct socks5_request r5;
	struct socks5_reply rep;
	struct socks5_greeting g;
	struct auth1929_request au;
	struct socks5_udp_header h;
	struct socks_addr a;

	/* SOCKS4: IPv6, unset, 0.0.0.x, bad CD, NUL in USERID, empty name */
	memset(&r4, 0, sizeof(r4));
	r4.cmd = SOCKS4_CMD_CONNECT;
	socks_addr_set_ip6(&r4.dst, ip6, 80);
	ck_assert_int_eq(socks4_request_encode(b, sizeof(b), &r4),
			 PROTO_E_INVAL);
	ck_assert_int_eq(socks4_request_encode(b, 0, &r4), PROTO_E_INVAL);
	memset(&r4.dst, 0, sizeof(r4.dst));
	ck_assert_int_eq(socks4_request_encode(b, sizeof(b), &r4),
			 PROTO_E_INVAL);
	socks_addr_set_ip4(&r4.dst, (const uint8_t[]){0, 0, 0, 5}, 80);
	ck_assert_int_eq(socks4_request_encode(b, sizeof(b), &r4),
			 PROTO_E_INVAL);
	socks_addr_set_ip4(&r4.dst, (const uint8_t[]){0, 0, 0, 0}, 80);
	ck_assert_int_eq(socks4_request_encode(b, sizeof(b), &r4), 9);
	r4.cmd = 3;
	ck_assert_int_eq(socks4_request_encode(b, sizeof(b), &r4),
			 PROTO_E_INVAL);
	r4.cmd = SOCKS4_CMD_BIND;
	r4.userid_len = 3;
	memcpy(r4.userid, "a\0b", 3);
	ck_assert_int_eq(socks4_request_encode(b, sizeof(b), &r4),
			 PROTO_E_INVAL);
	r4.userid_len = 0;
	memset(&r4.dst, 0, sizeof(r4.dst));
	r4.dst.type = SOCKS5_ATYP_DOMAINNAME;
	ck_assert_int_eq(socks4_request_encode(b, sizeof(b), &r4),
			 PROTO_E_INVAL);
	r4.dst.len = 3;
	memcpy(r4.dst.u.name, "a\0b", 3);
	ck_assert_int_eq(socks4_request_encode(b, sizeof(b), &r4),
			 PROTO_E_INVAL);

	/* greeting NMETHODS 0 */
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(socks5_greeting_encode(b, sizeof(b), &g),
			 PROTO_E_INVAL);

	/* SOCKS5 request: unset, unknown type, bad name, bad CMD */
	memset(&r5, 0, sizeof(r5));
	r5.cmd = SOCKS5_CMD_CONNECT;
	ck_assert_int_eq(socks5_request_encode(b, sizeof(b), &r5),
			 PROTO_E_INVAL);
	ck_assert_int_eq(socks5_request_encode(b, 0, &r5), PROTO_E_INVAL);
	r5.dst.type = 2;
	ck_assert_int_eq(socks5_request_encode(b, sizeof(b), &r5),
			 PROTO_E_INVAL);
	r5.dst.type = SOCKS5_ATYP_DOMAINNAME;
	r5.dst.len = 0;
	ck_assert_int_eq(socks5_request_encode(b, sizeof(b), &r5),
			 PROTO_E_INVAL);
	r5.dst.len = 2;
	memcpy(r5.dst.u.name, "a\0", 2);
	ck_assert_int_eq(socks5_request_encode(b, sizeof(b), &r5),
			 PROTO_E_INVAL);
	socks_addr_set_ip4(&r5.dst, (const uint8_t[]){1, 2, 3, 4}, 5);
	ck_assert_int_eq(socks5_request_encode(b, sizeof(b), &r5), 10);
	r5.cmd = 0;
	ck_assert_int_eq(socks5_request_encode(b, sizeof(b), &r5),
			 PROTO_E_INVAL);
	r5.cmd = 4;
	ck_assert_int_eq(socks5_request_encode(b, sizeof(b), &r5),
			 PROTO_E_INVAL);

	/* reply: unknown type or bad name (unset is fine, see golden) */
	memset(&rep, 0, sizeof(rep));
	rep.bnd.type = 9;
	ck_assert_int_eq(socks5_reply_encode(b, sizeof(b), &rep),
			 PROTO_E_INVAL);
	rep.bnd.type = SOCKS5_ATYP_DOMAINNAME;
	ck_assert_int_eq(socks5_reply_encode(b, sizeof(b), &rep),
			 PROTO_E_INVAL);

	/* RFC 1929 ULEN 0 */
	memset(&au, 0, sizeof(au));
	au.plen = 1;
	ck_assert_int_eq(auth1929_request_encode(b, sizeof(b), &au),
			 PROTO_E_INVAL);

	/* UDP header and bare address: unset */
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(socks5_udp_header_encode(b, sizeof(b), &h),
			 PROTO_E_INVAL);
	ck_assert_int_eq(socks5_udp_header_encode(b, 0, &h), PROTO_E_INVAL);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(socks5_addr_encode(b, sizeof(b), &a), PROTO_E_INVAL);
	a.type = SOCKS5_ATYP_DOMAINNAME;
	ck_assert_int_eq(socks5_addr_encode(b, sizeof(b), &a), PROTO_E_INVAL);
}
END_TEST

/* ---- struct socks_addr helpers ---- */

START_TEST(addr_sockaddr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct sockaddr_storage ss;
	struct socks_addr a, b;
	socklen_t len;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1080);
	sin.sin_addr.s_addr = htonl(0xcb007105);
	ck_assert_int_eq(
		socks_addr_from_sockaddr(&a, (void *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(a.type, SOCKS5_ATYP_IPV4);
	ck_assert_int_eq(a.port, 1080);
	ck_assert_mem_eq(a.u.ip4, ((const uint8_t[]){203, 0, 113, 5}), 4);
	ck_assert_int_eq(socks_addr_wire_len(&a), 7);
	ck_assert_int_eq(socks_addr_to_sockaddr(&a, &ss, &len), 0);
	ck_assert_int_eq(len, sizeof(sin));
	ck_assert_mem_eq(&ss, &sin, sizeof(sin));
	ck_assert_int_eq(
		socks_addr_from_sockaddr(&a, (void *)&sin, sizeof(sin) - 1),
		-EINVAL);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	sin6.sin6_addr.s6_addr[0] = 0x20;
	sin6.sin6_addr.s6_addr[1] = 0x01;
	sin6.sin6_addr.s6_addr[2] = 0x0d;
	sin6.sin6_addr.s6_addr[3] = 0xb8;
	sin6.sin6_addr.s6_addr[15] = 1;
	ck_assert_int_eq(
		socks_addr_from_sockaddr(&a, (void *)&sin6, sizeof(sin6)), 0);
	ck_assert_int_eq(a.type, SOCKS5_ATYP_IPV6);
	ck_assert_int_eq(a.port, 443);
	ck_assert_int_eq(socks_addr_wire_len(&a), 19);
	ck_assert_int_eq(socks_addr_to_sockaddr(&a, &ss, &len), 0);
	ck_assert_int_eq(len, sizeof(sin6));
	ck_assert_mem_eq(&ss, &sin6, sizeof(sin6));
	/* RFC 2133's 24-byte sockaddr_in6 is one the kernel takes */
	ck_assert_int_eq(socks_addr_from_sockaddr(&a, (void *)&sin6, 24), 0);
	ck_assert_int_eq(a.type, SOCKS5_ATYP_IPV6);
	ck_assert_int_eq(a.port, 443);
	ck_assert_int_eq(a.u.ip6[15], 1);
	ck_assert_int_eq(socks_addr_from_sockaddr(&a, (void *)&sin6, 23),
			 -EINVAL);

	/* v4-mapped becomes IPV4 */
	memset(sin6.sin6_addr.s6_addr, 0, 16);
	sin6.sin6_addr.s6_addr[10] = 0xff;
	sin6.sin6_addr.s6_addr[11] = 0xff;
	sin6.sin6_addr.s6_addr[12] = 198;
	sin6.sin6_addr.s6_addr[13] = 51;
	sin6.sin6_addr.s6_addr[14] = 100;
	sin6.sin6_addr.s6_addr[15] = 7;
	ck_assert_int_eq(
		socks_addr_from_sockaddr(&a, (void *)&sin6, sizeof(sin6)), 0);
	socks_addr_set_ip4(&b, (const uint8_t[]){198, 51, 100, 7}, 443);
	ck_assert_mem_eq(&a, &b, sizeof(a));

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(
		socks_addr_from_sockaddr(&a, (void *)&sun, sizeof(sun)),
		-EAFNOSUPPORT);
	ck_assert_int_eq(socks_addr_from_sockaddr(&a, NULL, 0), -EAFNOSUPPORT);

	/* names and unset cannot become a sockaddr */
	ck_assert_int_eq(socks_addr_set_name(&a, "x", 1, 1), 0);
	ck_assert_int_eq(socks_addr_wire_len(&a), 5);
	ck_assert_int_eq(socks_addr_to_sockaddr(&a, &ss, &len), -EAFNOSUPPORT);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(socks_addr_wire_len(&a), 0);
	ck_assert_int_eq(socks_addr_to_sockaddr(&a, &ss, &len), -EAFNOSUPPORT);
}
END_TEST

START_TEST(addr_name_and_zero)
{
	struct socks_addr a;
	uint8_t z[16] = {0};

	ck_assert_int_eq(socks_addr_set_name(&a, "", 0, 1), -EINVAL);
	ck_assert_int_eq(socks_addr_set_name(&a, NULL, 3, 1), -EINVAL);
	ck_assert_int_eq(socks_addr_set_name(&a, "a\0b", 3, 1), -EINVAL);
	ck_assert_int_eq(socks_addr_set_name(&a, name255(), 256, 1), -EINVAL);
	ck_assert_int_eq(socks_addr_set_name(&a, name255(), 255, 7), 0);
	ck_assert_int_eq(a.len, 255);
	ck_assert_int_eq(a.u.name[255], 0);
	ck_assert_int_eq(socks_addr_wire_len(&a), 259);
	ck_assert_int_eq(socks_addr_is_zero(&a), 0);

	socks_addr_set_ip4(&a, z, 0);
	ck_assert_int_eq(socks_addr_is_zero(&a), 1);
	z[3] = 1;
	socks_addr_set_ip4(&a, z, 0);
	ck_assert_int_eq(socks_addr_is_zero(&a), 0);
	z[3] = 0;
	socks_addr_set_ip6(&a, z, 0);
	ck_assert_int_eq(socks_addr_is_zero(&a), 1);
	z[15] = 1;
	socks_addr_set_ip6(&a, z, 0);
	ck_assert_int_eq(socks_addr_is_zero(&a), 0);
	memset(&a, 0, sizeof(a));
	ck_assert_int_eq(socks_addr_is_zero(&a), 1);

	ck_assert(socks_name_is_valid("example.org", 11));
	ck_assert(socks_name_is_valid("a", 1));
	ck_assert(socks_name_is_valid("A-b_c.9", 7));
	ck_assert(socks_name_is_valid(name255(), 255));
	ck_assert(!socks_name_is_valid(name255(), 256));
	ck_assert(!socks_name_is_valid("", 0));
	ck_assert(!socks_name_is_valid(NULL, 1));
	ck_assert(!socks_name_is_valid(".a", 2));
	ck_assert(!socks_name_is_valid("-a", 2));
	ck_assert(!socks_name_is_valid("a\0b", 3));
	ck_assert(!socks_name_is_valid("a b", 3));
	ck_assert(!socks_name_is_valid("a/b", 3));
	ck_assert(!socks_name_is_valid("a:b", 3));
	ck_assert(!socks_name_is_valid("\xc3\xa9", 2));
}
END_TEST

START_TEST(addr_format)
{
	char buf[SOCKS_ADDR_STRLEN];
	struct socks_addr a;
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					0,    0,    0,	  0,	0, 0, 0, 1};
	size_t cap;

	socks_addr_set_ip4(&a, (const uint8_t[]){203, 0, 113, 5}, 80);
	ck_assert_str_eq(socks_addr_format(&a, buf, sizeof(buf)),
			 "203.0.113.5:80");
	socks_addr_set_ip4(&a, (const uint8_t[]){0, 0, 0, 0}, 0);
	ck_assert_str_eq(socks_addr_format(&a, buf, sizeof(buf)), "0.0.0.0:0");
	socks_addr_set_ip6(&a, ip6, 443);
	ck_assert_str_eq(socks_addr_format(&a, buf, sizeof(buf)),
			 "[2001:db8::1]:443");
	ck_assert_int_eq(socks_addr_set_name(&a, "example.org", 11, 65535), 0);
	ck_assert_str_eq(socks_addr_format(&a, buf, sizeof(buf)),
			 "example.org:65535");
	/* untrusted bytes never reach a log line raw */
	ck_assert_int_eq(
		socks_addr_set_name(&a, "a\nb\x1b[1m \x7f\xff%s", 12, 1), 0);
	ck_assert_str_eq(socks_addr_format(&a, buf, sizeof(buf)),
			 "a?b?[1m???%s:1");
	memset(&a, 0, sizeof(a));
	ck_assert_str_eq(socks_addr_format(&a, buf, sizeof(buf)), "unset");

	/* the longest text fits SOCKS_ADDR_STRLEN */
	ck_assert_int_eq(socks_addr_set_name(&a, name255(), 255, 65535), 0);
	socks_addr_format(&a, buf, sizeof(buf));
	ck_assert_uint_eq(strlen(buf), 255 + 6);
	ck_assert_uint_lt(strlen(buf), SOCKS_ADDR_STRLEN);
	{
		static const uint8_t ffff[16] = {
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

		socks_addr_set_ip6(&a, ffff, 65535);
		socks_addr_format(&a, buf, sizeof(buf));
		ck_assert_str_eq(
			buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	}

	/* any cap: truncated, NUL-terminated, nothing written past cap */
	ck_assert_int_eq(socks_addr_set_name(&a, "example.org", 11, 8080), 0);
	ck_assert_ptr_eq(socks_addr_format(&a, NULL, 0), NULL);
	for (cap = 1; cap < 20; cap++) {
		char *p = malloc(cap);

		ck_assert_ptr_nonnull(p);
		ck_assert_ptr_eq(socks_addr_format(&a, p, cap), p);
		ck_assert_uint_eq(strlen(p), cap - 1 < 16 ? cap - 1 : 16);
		ck_assert_int_eq(strncmp(p, "example.org:8080", cap - 1), 0);
		free(p);
	}
}
END_TEST

/* ---- 5. errno <-> REP/CD ---- */

START_TEST(errmap_rep_to_errno)
{
	static const int want[9] = {0,		 ECONNREFUSED, EACCES,
				    ENETUNREACH, EHOSTUNREACH, ECONNREFUSED,
				    ETIMEDOUT,	 EOPNOTSUPP,   EAFNOSUPPORT};
	int rep;

	for (rep = 0; rep <= 255; rep++) {
		int w = rep < 9 ? want[rep] : ECONNREFUSED;

		ck_assert_msg(socks5_rep_to_errno((uint8_t)rep) == w,
			      "REP %d -> %d, want %d", rep,
			      socks5_rep_to_errno((uint8_t)rep), w);
		ck_assert_ptr_nonnull(socks5_rep_name((uint8_t)rep));
		if (rep >= 9)
			ck_assert_str_eq(socks5_rep_name((uint8_t)rep),
					 "unassigned");
	}
	for (rep = 0; rep < 9; rep++) {
		int o;

		for (o = 0; o < rep; o++)
			ck_assert_str_ne(socks5_rep_name((uint8_t)rep),
					 socks5_rep_name((uint8_t)o));
	}
	ck_assert_str_eq(socks5_rep_name(4), "host unreachable");
}
END_TEST

START_TEST(errmap_cd)
{
	int cd;

	for (cd = 0; cd <= 255; cd++)
		ck_assert_int_eq(socks4_cd_to_errno((uint8_t)cd),
				 cd == 90 ? 0 : ECONNREFUSED);
	ck_assert_int_eq(socks4_cd_from_errno(0), SOCKS4_CD_GRANTED);
	ck_assert_int_eq(socks4_cd_from_errno(ECONNREFUSED),
			 SOCKS4_CD_REJECTED);
	ck_assert_int_eq(socks4_cd_from_errno(ETIMEDOUT), SOCKS4_CD_REJECTED);
	ck_assert_int_eq(socks4_cd_from_errno(EACCES), SOCKS4_CD_REJECTED);
	ck_assert_int_eq(socks4_cd_from_errno(-ENETUNREACH),
			 SOCKS4_CD_REJECTED);
}
END_TEST

START_TEST(errmap_from_errno)
{
	static const struct {
		int err;
		uint8_t rep;
	} t[] = {
		{0, 0x00},
		{ECONNREFUSED, 0x05},
		{ECONNRESET, 0x05},
		{ENETUNREACH, 0x03},
		{ENETDOWN, 0x03},
		{EHOSTUNREACH, 0x04},
		{EHOSTDOWN, 0x04},
		{ETIMEDOUT, 0x06},
		{EACCES, 0x02},
		{EPERM, 0x02},
		{EAFNOSUPPORT, 0x08},
		{EPROTONOSUPPORT, 0x08},
		{EMFILE, 0x01},
		{ENFILE, 0x01},
		{ENOMEM, 0x01},
		{ENOBUFS, 0x01},
		{EINVAL, 0x01},
		{EADDRNOTAVAIL, 0x01},
		{9999, 0x01},
		{-ECONNREFUSED, 0x05},
		{-ETIMEDOUT, 0x06},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(socks5_rep_from_errno(t[i].err) == t[i].rep,
			      "errno %d -> %u, want %u", t[i].err,
			      socks5_rep_from_errno(t[i].err), t[i].rep);
	/* client and server tables agree where both are defined */
	ck_assert_int_eq(
		socks5_rep_to_errno(socks5_rep_from_errno(EHOSTUNREACH)),
		EHOSTUNREACH);
	ck_assert_int_eq(
		socks5_rep_to_errno(socks5_rep_from_errno(ENETUNREACH)),
		ENETUNREACH);
	ck_assert_int_eq(socks5_rep_to_errno(socks5_rep_from_errno(ETIMEDOUT)),
			 ETIMEDOUT);
	ck_assert_int_eq(socks5_rep_to_errno(socks5_rep_from_errno(EACCES)),
			 EACCES);
}
END_TEST

START_TEST(errmap_from_eai)
{
	ck_assert_int_eq(socks5_rep_from_eai(0), 0x00);
	ck_assert_int_eq(socks5_rep_from_eai(EAI_NONAME), 0x04);
	ck_assert_int_eq(socks5_rep_from_eai(EAI_AGAIN), 0x04);
	ck_assert_int_eq(socks5_rep_from_eai(EAI_FAIL), 0x04);
#ifdef EAI_NODATA
	ck_assert_int_eq(socks5_rep_from_eai(EAI_NODATA), 0x04);
#endif
#ifdef EAI_ADDRFAMILY
	ck_assert_int_eq(socks5_rep_from_eai(EAI_ADDRFAMILY), 0x04);
#endif
	ck_assert_int_eq(socks5_rep_from_eai(EAI_FAMILY), 0x08);
	ck_assert_int_eq(socks5_rep_from_eai(EAI_MEMORY), 0x01);
	ck_assert_int_eq(socks5_rep_from_eai(EAI_SYSTEM), 0x01);
	ck_assert_int_eq(socks5_rep_from_eai(EAI_SERVICE), 0x01);
	ck_assert_int_eq(socks5_rep_from_eai(EAI_BADFLAGS), 0x01);
}
END_TEST

START_TEST(strerror_codes)
{
	int c, o;

	for (c = PROTO_E_TRUNCATED; c <= PROTO_E_VERSION; c++) {
		ck_assert_ptr_nonnull(proto_strerror(c));
		ck_assert_str_ne(proto_strerror(c), "unknown codec error");
		for (o = PROTO_E_TRUNCATED; o < c; o++)
			ck_assert_str_ne(proto_strerror(c), proto_strerror(o));
	}
	ck_assert_str_eq(proto_strerror(0), "success");
	ck_assert_str_eq(proto_strerror(7), "success");
	ck_assert_str_eq(proto_strerror(-99), "unknown codec error");
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto_codec");
	TCase *tc;

	tc = tcase_create("golden");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, golden_decode);
	tcase_add_test(tc, golden_encode);
	tcase_add_test(tc, golden_encode_nospace);
	tcase_add_test(tc, golden_spot_checks);
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_add_test(tc, roundtrip_many);
	tcase_add_test(tc, roundtrip_edges);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_test(tc, malformed_table);
	tcase_add_test(tc, malformed_prefixes);
	tcase_add_test(tc, malformed_cmd_reported);
	tcase_add_test(tc, malformed_socks4_lengths);
	tcase_add_test(tc, encode_inval);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr");
	tcase_add_test(tc, addr_sockaddr);
	tcase_add_test(tc, addr_name_and_zero);
	tcase_add_test(tc, addr_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("errmap");
	tcase_add_test(tc, errmap_rep_to_errno);
	tcase_add_test(tc, errmap_cd);
	tcase_add_test(tc, errmap_from_errno);
	tcase_add_test(tc, errmap_from_eai);
	tcase_add_test(tc, strerror_codes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
