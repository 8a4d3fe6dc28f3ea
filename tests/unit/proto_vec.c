/* SPDX-License-Identifier: MIT */
/* Golden vectors and dispatch helpers for the proto suites (see .h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "proto_vec.h"

const char *msg_kind_name(enum msg_kind k)
{
	static const char *const names[K_COUNT] = {
		"socks4_request",   "socks4_reply",   "socks5_greeting",
		"socks5_method",    "socks5_request", "socks5_reply",
		"auth1929_request", "auth1929_reply", "socks5_udp_header",
		"socks5_addr",
	};
	return names[k];
}

size_t msg_size(enum msg_kind k)
{
	switch (k) {
	case K_S4_REQ:
		return sizeof(struct socks4_request);
	case K_S4_REP:
		return sizeof(struct socks4_reply);
	case K_S5_GREET:
		return sizeof(struct socks5_greeting);
	case K_S5_METHOD:
	case K_AUTH_REP:
		return 1;
	case K_S5_REQ:
		return sizeof(struct socks5_request);
	case K_S5_REP:
		return sizeof(struct socks5_reply);
	case K_AUTH_REQ:
		return sizeof(struct auth1929_request);
	case K_UDP:
		return sizeof(struct socks5_udp_header);
	default:
		return sizeof(struct socks_addr);
	}
}

ssize_t msg_decode(enum msg_kind k, const uint8_t *buf, size_t len,
		   union msg *m)
{
	switch (k) {
	case K_S4_REQ:
		return socks4_request_decode(buf, len, &m->s4req);
	case K_S4_REP:
		return socks4_reply_decode(buf, len, &m->s4rep);
	case K_S5_GREET:
		return socks5_greeting_decode(buf, len, &m->greet);
	case K_S5_METHOD:
		return socks5_method_decode(buf, len, &m->method);
	case K_S5_REQ:
		return socks5_request_decode(buf, len, &m->s5req);
	case K_S5_REP:
		return socks5_reply_decode(buf, len, &m->s5rep);
	case K_AUTH_REQ:
		return auth1929_request_decode(buf, len, &m->auth);
	case K_AUTH_REP:
		return auth1929_reply_decode(buf, len, &m->status);
	case K_UDP:
		return socks5_udp_header_decode(buf, len, &m->udp);
	default:
		return socks5_addr_decode(buf, len, &m->addr);
	}
}

ssize_t msg_encode(enum msg_kind k, uint8_t *buf, size_t cap,
		   const union msg *m)
{
	switch (k) {
	case K_S4_REQ:
		return socks4_request_encode(buf, cap, &m->s4req);
	case K_S4_REP:
		return socks4_reply_encode(buf, cap, &m->s4rep);
	case K_S5_GREET:
		return socks5_greeting_encode(buf, cap, &m->greet);
	case K_S5_METHOD:
		return socks5_method_encode(buf, cap, m->method);
	case K_S5_REQ:
		return socks5_request_encode(buf, cap, &m->s5req);
	case K_S5_REP:
		return socks5_reply_encode(buf, cap, &m->s5rep);
	case K_AUTH_REQ:
		return auth1929_request_encode(buf, cap, &m->auth);
	case K_AUTH_REP:
		return auth1929_reply_encode(buf, cap, m->status);
	case K_UDP:
		return socks5_udp_header_encode(buf, cap, &m->udp);
	default:
		return socks5_addr_encode(buf, cap, &m->addr);
	}
}

void msg_canonicalize(enum msg_kind k, uint8_t *buf, size_t n)
{
	switch (k) {
	case K_S5_REQ:
	case K_S5_REP:
		if (n > 2)
			buf[2] = 0;
		break;
	case K_AUTH_REP:
		if (n > 0)
			buf[0] = 1;
		break;
	case K_S4_REQ:
		if (n > 7 && buf[4] == 0 && buf[5] == 0 && buf[6] == 0 &&
		    buf[7] != 0)
			buf[7] = 1;
		break;
	default:
		break;
	}
}

const char *name255(void)
{
	static char n[256];
	size_t i;

	if (!n[0]) {
		for (i = 0; i < 255; i++)
			n[i] = (i % 64 == 63) ? '.' : (char)('a' + i % 26);
		n[255] = '\0';
	}
	return n;
}

const char *field255(char c)
{
	static char f[256];

	memset(f, c, 255);
	f[255] = '\0';
	return f;
}

/* ---- building the vector table ---- */

#define NVEC 96
static struct vec vecs[NVEC];
static size_t nvec;

static struct vec *add(const char *name, enum msg_kind k, int canonical,
		       const uint8_t *b, size_t n)
{
	struct vec *v = &vecs[nvec++];

	if (nvec > NVEC)
		abort();
	memset(v, 0, sizeof(*v));
	v->name = name;
	v->kind = k;
	v->canonical = canonical;
	memcpy(v->bytes, b, n);
	v->len = n;
	return v;
}

static void app(struct vec *v, const void *b, size_t n)
{
	if (v->len + n > VEC_MAX)
		abort();
	memcpy(v->bytes + v->len, b, n);
	v->len += n;
}

#define ADD(name, kind, canon, ...)                            \
	add(name, kind, canon, (const uint8_t[]){__VA_ARGS__}, \
	    sizeof((const uint8_t[]){__VA_ARGS__}))
#define APP(v, ...)                            \
	app(v, (const uint8_t[]){__VA_ARGS__}, \
	    sizeof((const uint8_t[]){__VA_ARGS__}))

static const uint8_t ip4_203_0_113_5[4] = {203, 0, 113, 5};
static const uint8_t ip4_198_51_100_7[4] = {198, 51, 100, 7};
static const uint8_t ip4_zero[4];
static const uint8_t ip6_db8_1[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				      0,    0,	  0,	0,    0, 0, 0, 1};
static const uint8_t ip6_db8_2[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				      0,    0,	  0,	0,    0, 0, 0, 2};
static const uint8_t ip6_db8_53[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				       0,    0,	   0,	 0,    0, 0, 0, 0x53};
static const uint8_t ip6_zero[16];

static void s4req(struct vec *v, uint8_t cmd, const char *userid)
{
	v->m.s4req.cmd = cmd;
	v->m.s4req.userid_len = (uint8_t)strlen(userid);
	memcpy(v->m.s4req.userid, userid, strlen(userid));
}

static void set_name(struct socks_addr *a, const char *n, uint16_t port)
{
	if (socks_addr_set_name(a, n, strlen(n), port) != 0)
		abort();
}

static void auth(struct vec *v, const char *u, const char *p)
{
	v->m.auth.ulen = (uint8_t)strlen(u);
	v->m.auth.plen = (uint8_t)strlen(p);
	memcpy(v->m.auth.uname, u, strlen(u));
	memcpy(v->m.auth.passwd, p, strlen(p));
}

/*
 * The byte lists keep the grouping of the RFC diagrams, not the
 * formatter's.
 */
/* clang-format off */
static void build_socks4(void)
{
	struct vec *v;

	/* SOCKS4 request: VN CD DSTPORT(2) DSTIP(4) USERID NUL */
	v = ADD("s4 CONNECT 203.0.113.5:80 no userid", K_S4_REQ, 1,
		0x04, 0x01, 0x00, 0x50, 0xcb, 0x00, 0x71, 0x05, 0x00);
	s4req(v, SOCKS4_CMD_CONNECT, "");
	socks_addr_set_ip4(&v->m.s4req.dst, ip4_203_0_113_5, 80);

	v = ADD("s4 CONNECT userid fred", K_S4_REQ, 1,
		0x04, 0x01, 0x00, 0x50, 0xcb, 0x00, 0x71, 0x05,
		'f', 'r', 'e', 'd', 0x00);
	s4req(v, SOCKS4_CMD_CONNECT, "fred");
	socks_addr_set_ip4(&v->m.s4req.dst, ip4_203_0_113_5, 80);

	v = ADD("s4 BIND 198.51.100.7:21 no userid", K_S4_REQ, 1,
		0x04, 0x02, 0x00, 0x15, 0xc6, 0x33, 0x64, 0x07, 0x00);
	s4req(v, SOCKS4_CMD_BIND, "");
	socks_addr_set_ip4(&v->m.s4req.dst, ip4_198_51_100_7, 21);

	v = ADD("s4 BIND userid alice", K_S4_REQ, 1,
		0x04, 0x02, 0x00, 0x15, 0xc6, 0x33, 0x64, 0x07,
		'a', 'l', 'i', 'c', 'e', 0x00);
	s4req(v, SOCKS4_CMD_BIND, "alice");
	socks_addr_set_ip4(&v->m.s4req.dst, ip4_198_51_100_7, 21);

	v = ADD("s4 CONNECT port 65535 userid 255", K_S4_REQ, 1,
		0x04, 0x01, 0xff, 0xff, 0xcb, 0x00, 0x71, 0x05);
	app(v, field255('u'), 255);
	APP(v, 0x00);
	s4req(v, SOCKS4_CMD_CONNECT, field255('u'));
	socks_addr_set_ip4(&v->m.s4req.dst, ip4_203_0_113_5, 65535);

	/* SOCKS4A: DSTIP 0.0.0.x, USERID NUL, NAME NUL */
	v = ADD("s4a CONNECT example.org:443", K_S4_REQ, 1,
		0x04, 0x01, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x00,
		'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g', 0x00);
	s4req(v, SOCKS4_CMD_CONNECT, "");
	set_name(&v->m.s4req.dst, "example.org", 443);

	v = ADD("s4a BIND 1-byte name, userid u", K_S4_REQ, 1,
		0x04, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 'u', 0x00,
		'a', 0x00);
	s4req(v, SOCKS4_CMD_BIND, "u");
	set_name(&v->m.s4req.dst, "a", 1);

	v = ADD("s4a DSTIP 0.0.0.255 (non-canonical)", K_S4_REQ, 0,
		0x04, 0x01, 0x00, 0x50, 0x00, 0x00, 0x00, 0xff, 0x00,
		'x', 0x00);
	s4req(v, SOCKS4_CMD_CONNECT, "");
	set_name(&v->m.s4req.dst, "x", 80);

	v = ADD("s4a max: userid 255 + name 255", K_S4_REQ, 1,
		0x04, 0x01, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01);
	app(v, field255('u'), 255);
	APP(v, 0x00);
	app(v, name255(), 255);
	APP(v, 0x00);
	s4req(v, SOCKS4_CMD_CONNECT, field255('u'));
	set_name(&v->m.s4req.dst, name255(), 80);

	/* SOCKS4 reply: VN=0 CD DSTPORT DSTIP */
	v = ADD("s4 reply granted 203.0.113.9:8080", K_S4_REP, 1,
		0x00, 0x5a, 0x1f, 0x90, 0xcb, 0x00, 0x71, 0x09);
	v->m.s4rep.cd = SOCKS4_CD_GRANTED;
	v->m.s4rep.port = 8080;
	memcpy(v->m.s4rep.ip, (const uint8_t[]){ 203, 0, 113, 9 }, 4);

	v = ADD("s4 reply rejected", K_S4_REP, 1,
		0x00, 0x5b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	v->m.s4rep.cd = SOCKS4_CD_REJECTED;

	v = ADD("s4 reply 93", K_S4_REP, 1,
		0x00, 0x5d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	v->m.s4rep.cd = SOCKS4_CD_IDENT_MISMATCH;
}

static void build_socks5(void)
{
	struct vec *v;
	uint8_t i;

	/* greeting: VER NMETHODS METHODS */
	v = ADD("s5 greeting 1 method (00)", K_S5_GREET, 1, 0x05, 0x01, 0x00);
	v->m.greet.nmethods = 1;

	v = ADD("s5 greeting 00 02", K_S5_GREET, 1, 0x05, 0x02, 0x00, 0x02);
	v->m.greet.nmethods = 2;
	v->m.greet.methods[1] = 2;

	v = ADD("s5 greeting 255 methods", K_S5_GREET, 1, 0x05, 0xff);
	v->m.greet.nmethods = 255;
	for (i = 0; i < 255; i++) {
		APP(v, i);
		v->m.greet.methods[i] = i;
	}

	/* method selection: VER METHOD */
	v = ADD("s5 method 00", K_S5_METHOD, 1, 0x05, 0x00);
	v->m.method = SOCKS5_METHOD_NONE;
	v = ADD("s5 method 02", K_S5_METHOD, 1, 0x05, 0x02);
	v->m.method = SOCKS5_METHOD_USERNAME;
	v = ADD("s5 method FF", K_S5_METHOD, 1, 0x05, 0xff);
	v->m.method = SOCKS5_METHOD_NO_ACCEPTABLE;

	/* request: VER CMD RSV ATYP DST.ADDR DST.PORT */
	v = ADD("s5 CONNECT ipv4 203.0.113.5:80", K_S5_REQ, 1,
		0x05, 0x01, 0x00, 0x01, 0xcb, 0x00, 0x71, 0x05, 0x00, 0x50);
	v->m.s5req.cmd = SOCKS5_CMD_CONNECT;
	socks_addr_set_ip4(&v->m.s5req.dst, ip4_203_0_113_5, 80);

	v = ADD("s5 CONNECT ipv6 [2001:db8::1]:443", K_S5_REQ, 1,
		0x05, 0x01, 0x00, 0x04,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x01, 0xbb);
	v->m.s5req.cmd = SOCKS5_CMD_CONNECT;
	socks_addr_set_ip6(&v->m.s5req.dst, ip6_db8_1, 443);

	v = ADD("s5 CONNECT domain a:443", K_S5_REQ, 1,
		0x05, 0x01, 0x00, 0x03, 0x01, 'a', 0x01, 0xbb);
	v->m.s5req.cmd = SOCKS5_CMD_CONNECT;
	set_name(&v->m.s5req.dst, "a", 443);

	v = ADD("s5 CONNECT domain example.org:80", K_S5_REQ, 1,
		0x05, 0x01, 0x00, 0x03, 0x0b,
		'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g',
		0x00, 0x50);
	v->m.s5req.cmd = SOCKS5_CMD_CONNECT;
	set_name(&v->m.s5req.dst, "example.org", 80);

	v = ADD("s5 CONNECT domain 255 bytes", K_S5_REQ, 1,
		0x05, 0x01, 0x00, 0x03, 0xff);
	app(v, name255(), 255);
	APP(v, 0x00, 0x50);
	v->m.s5req.cmd = SOCKS5_CMD_CONNECT;
	set_name(&v->m.s5req.dst, name255(), 80);

	v = ADD("s5 BIND ipv4 198.51.100.7:21", K_S5_REQ, 1,
		0x05, 0x02, 0x00, 0x01, 0xc6, 0x33, 0x64, 0x07, 0x00, 0x15);
	v->m.s5req.cmd = SOCKS5_CMD_BIND;
	socks_addr_set_ip4(&v->m.s5req.dst, ip4_198_51_100_7, 21);

	v = ADD("s5 BIND ipv6 [2001:db8::2]:20", K_S5_REQ, 1,
		0x05, 0x02, 0x00, 0x04,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
		0x00, 0x14);
	v->m.s5req.cmd = SOCKS5_CMD_BIND;
	socks_addr_set_ip6(&v->m.s5req.dst, ip6_db8_2, 20);

	v = ADD("s5 BIND domain f:21", K_S5_REQ, 1,
		0x05, 0x02, 0x00, 0x03, 0x01, 'f', 0x00, 0x15);
	v->m.s5req.cmd = SOCKS5_CMD_BIND;
	set_name(&v->m.s5req.dst, "f", 21);

	v = ADD("s5 BIND domain 255 bytes", K_S5_REQ, 1,
		0x05, 0x02, 0x00, 0x03, 0xff);
	app(v, name255(), 255);
	APP(v, 0x00, 0x15);
	v->m.s5req.cmd = SOCKS5_CMD_BIND;
	set_name(&v->m.s5req.dst, name255(), 21);

	v = ADD("s5 UDP ASSOCIATE ipv4 0.0.0.0:0", K_S5_REQ, 1,
		0x05, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	v->m.s5req.cmd = SOCKS5_CMD_UDP_ASSOCIATE;
	socks_addr_set_ip4(&v->m.s5req.dst, ip4_zero, 0);

	v = ADD("s5 UDP ASSOCIATE ipv6 [::]:0", K_S5_REQ, 1,
		0x05, 0x03, 0x00, 0x04,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00);
	v->m.s5req.cmd = SOCKS5_CMD_UDP_ASSOCIATE;
	socks_addr_set_ip6(&v->m.s5req.dst, ip6_zero, 0);

	v = ADD("s5 UDP ASSOCIATE domain h:53", K_S5_REQ, 1,
		0x05, 0x03, 0x00, 0x03, 0x01, 'h', 0x00, 0x35);
	v->m.s5req.cmd = SOCKS5_CMD_UDP_ASSOCIATE;
	set_name(&v->m.s5req.dst, "h", 53);

	v = ADD("s5 UDP ASSOCIATE domain 255 bytes", K_S5_REQ, 1,
		0x05, 0x03, 0x00, 0x03, 0xff);
	app(v, name255(), 255);
	APP(v, 0xff, 0xfe);
	v->m.s5req.cmd = SOCKS5_CMD_UDP_ASSOCIATE;
	set_name(&v->m.s5req.dst, name255(), 65534);

	v = ADD("s5 CONNECT RSV FF accepted (non-canonical)", K_S5_REQ, 0,
		0x05, 0x01, 0xff, 0x01, 0xcb, 0x00, 0x71, 0x05, 0x00, 0x50);
	v->m.s5req.cmd = SOCKS5_CMD_CONNECT;
	socks_addr_set_ip4(&v->m.s5req.dst, ip4_203_0_113_5, 80);

	/* reply: VER REP RSV ATYP BND.ADDR BND.PORT */
	v = ADD("s5 reply ok ipv4 127.0.0.1:56291", K_S5_REP, 1,
		0x05, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xdb, 0xe3);
	v->m.s5rep.rep = SOCKS5_REP_SUCCEEDED;
	socks_addr_set_ip4(&v->m.s5rep.bnd,
			   (const uint8_t[]){ 127, 0, 0, 1 }, 56291);

	v = ADD("s5 reply ok ipv6 [2001:db8::2]:1080", K_S5_REP, 1,
		0x05, 0x00, 0x00, 0x04,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
		0x04, 0x38);
	v->m.s5rep.rep = SOCKS5_REP_SUCCEEDED;
	socks_addr_set_ip6(&v->m.s5rep.bnd, ip6_db8_2, 1080);

	v = ADD("s5 reply 04 domain proxy.test:4660", K_S5_REP, 1,
		0x05, 0x04, 0x00, 0x03, 0x0a,
		'p', 'r', 'o', 'x', 'y', '.', 't', 'e', 's', 't', 0x12, 0x34);
	v->m.s5rep.rep = SOCKS5_REP_HOST_UNREACHABLE;
	set_name(&v->m.s5rep.bnd, "proxy.test", 0x1234);

	v = ADD("s5 reply ok domain 1 byte", K_S5_REP, 1,
		0x05, 0x00, 0x00, 0x03, 0x01, 'p', 0x00, 0x01);
	v->m.s5rep.rep = SOCKS5_REP_SUCCEEDED;
	set_name(&v->m.s5rep.bnd, "p", 1);

	v = ADD("s5 reply ok domain 255 bytes", K_S5_REP, 1,
		0x05, 0x00, 0x00, 0x03, 0xff);
	app(v, name255(), 255);
	APP(v, 0x01, 0x00);
	v->m.s5rep.rep = SOCKS5_REP_SUCCEEDED;
	set_name(&v->m.s5rep.bnd, name255(), 256);

	v = ADD("s5 reply 05 ipv4 0.0.0.0:0", K_S5_REP, 1,
		0x05, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	v->m.s5rep.rep = SOCKS5_REP_CONNECTION_REFUSED;
	socks_addr_set_ip4(&v->m.s5rep.bnd, ip4_zero, 0);

	v = ADD("s5 reply F7 RSV 01 (non-canonical)", K_S5_REP, 0,
		0x05, 0xf7, 0x01, 0x01, 0xc6, 0x33, 0x64, 0x07, 0x00, 0x15);
	v->m.s5rep.rep = 0xf7;
	socks_addr_set_ip4(&v->m.s5rep.bnd, ip4_198_51_100_7, 21);
}

static void build_auth_udp(void)
{
	struct vec *v;

	/* RFC 1929: VER=1 ULEN UNAME PLEN PASSWD */
	v = ADD("rfc1929 user/pass", K_AUTH_REQ, 1,
		0x01, 0x04, 'u', 's', 'e', 'r', 0x04, 'p', 'a', 's', 's');
	auth(v, "user", "pass");

	v = ADD("rfc1929 u + empty password", K_AUTH_REQ, 1,
		0x01, 0x01, 'u', 0x00);
	auth(v, "u", "");

	v = ADD("rfc1929 255/255", K_AUTH_REQ, 1, 0x01, 0xff);
	app(v, field255('u'), 255);
	APP(v, 0xff);
	app(v, field255('p'), 255);
	v->m.auth.ulen = 255;
	v->m.auth.plen = 255;
	memset(v->m.auth.uname, 'u', 255);
	memset(v->m.auth.passwd, 'p', 255);

	v = ADD("rfc1929 reply success", K_AUTH_REP, 1, 0x01, 0x00);
	v->m.status = AUTH1929_STATUS_SUCCESS;
	v = ADD("rfc1929 reply failure", K_AUTH_REP, 1, 0x01, 0x01);
	v->m.status = AUTH1929_STATUS_FAILURE;
	v = ADD("rfc1929 reply VER 5 (non-canonical)", K_AUTH_REP, 0,
		0x05, 0x00);
	v->m.status = AUTH1929_STATUS_SUCCESS;

	/* UDP: RSV(2) FRAG ATYP DST.ADDR DST.PORT */
	v = ADD("udp ipv4 198.51.100.7:53", K_UDP, 1,
		0x00, 0x00, 0x00, 0x01, 0xc6, 0x33, 0x64, 0x07, 0x00, 0x35);
	socks_addr_set_ip4(&v->m.udp.addr, ip4_198_51_100_7, 53);

	v = ADD("udp ipv6 [2001:db8::53]:5353", K_UDP, 1,
		0x00, 0x00, 0x00, 0x04,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x53,
		0x14, 0xe9);
	socks_addr_set_ip6(&v->m.udp.addr, ip6_db8_53, 5353);

	v = ADD("udp domain dns.test:53 FRAG 1", K_UDP, 1,
		0x00, 0x00, 0x01, 0x03, 0x08,
		'd', 'n', 's', '.', 't', 'e', 's', 't', 0x00, 0x35);
	v->m.udp.frag = 1;
	set_name(&v->m.udp.addr, "dns.test", 53);

	v = ADD("udp domain 255 FRAG 0x81", K_UDP, 1,
		0x00, 0x00, 0x81, 0x03, 0xff);
	app(v, name255(), 255);
	APP(v, 0x00, 0x35);
	v->m.udp.frag = 0x81;
	set_name(&v->m.udp.addr, name255(), 53);

	/* ATYP ADDR PORT alone */
	v = ADD("addr ipv4", K_S5_ADDR, 1,
		0x01, 0xcb, 0x00, 0x71, 0x05, 0x01, 0x00);
	socks_addr_set_ip4(&v->m.addr, ip4_203_0_113_5, 256);
	v = ADD("addr ipv6", K_S5_ADDR, 1,
		0x04,
		0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x01);
	socks_addr_set_ip6(&v->m.addr, ip6_db8_1, 1);
	v = ADD("addr domain", K_S5_ADDR, 1,
		0x03, 0x03, 'a', '.', 'b', 0x80, 0x00);
	set_name(&v->m.addr, "a.b", 0x8000);
}

/* clang-format on */

const struct vec *proto_vectors(size_t *count)
{
	if (nvec == 0) {
		build_socks4();
		build_socks5();
		build_auth_udp();
	}
	*count = nvec;
	return vecs;
}
