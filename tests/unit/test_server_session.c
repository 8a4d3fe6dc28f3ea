/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/server/session.c, the handshake state machine.  Every
 * valid handshake (SOCKS4, 4A, SOCKS5 no-auth and user/password, each
 * command and address type) is fed coalesced in one buffer with early data
 * appended, and one byte at a time; both must give the same reply bytes,
 * the same request, and the early data as data for the target.  A
 * malformed corpus checks the exact reply bytes and the close.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "proto/proto.h"
#include "server/session.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAXB 2048

/* The driver's scripted answers. */
static const uint8_t BND_IP[4] = {203, 0, 113, 5};   /* port 4242 */
static const uint8_t PEER_IP[4] = {198, 51, 100, 7}; /* port 5555 */

static const struct sess_policy pol_none = {{SOCKS5_METHOD_NONE}, 1};
static const struct sess_policy pol_user = {{SOCKS5_METHOD_USERNAME}, 1};

struct outcome {
	uint8_t out[MAXB];
	size_t outlen;
	uint8_t target[4 * MAXB + 8192]; /* early data + bytes never fed */
	size_t targetlen;
	enum sess_action last;
	int result;
	uint8_t ver, cmd;
	struct socks_addr dst;
	bool authed;
};

struct hs {
	const char *name;
	const struct sess_policy *pol;
	const uint8_t *in;
	size_t inlen;
	uint8_t rep;	     /* answer to SESS_ACT_REQUEST */
	const uint8_t *want; /* exact output */
	size_t wantlen;
	enum sess_action last;
	size_t early; /* trailing bytes of @in that are early data */
};

static void take_output(struct sess *s, struct outcome *o)
{
	const uint8_t *p;
	size_t n;

	p = sess_output(s, &n);
	ck_assert_uint_le(o->outlen + n, MAXB);
	memcpy(o->out + o->outlen, p, n);
	o->outlen += n;
	sess_sent(s, n);
}

/*
 * Feed @in in pieces of @chunk bytes, answering actions like conn.c does:
 * credentials alice/secret are right, requests get @rep with BND_IP:4242,
 * a BIND gets its second reply (PEER_IP:5555) at once.
 */
static void run(const struct sess_policy *pol, const uint8_t *in, size_t len,
		size_t chunk, uint8_t rep, struct outcome *o)
{
	static struct sess s;
	size_t off = 0, used, n;
	enum sess_action act = SESS_ACT_NONE;
	struct socks_addr bnd, peer;
	const uint8_t *early;

	memset(o, 0, sizeof(*o));
	socks_addr_set_ip4(&bnd, BND_IP, 4242);
	socks_addr_set_ip4(&peer, PEER_IP, 5555);
	sess_init(&s, pol);
	while (off < len) {
		n = len - off < chunk ? len - off : chunk;
		act = sess_feed(&s, in + off, n, &used);
		off += used;
		for (;;) {
			take_output(&s, o);
			if (act == SESS_ACT_AUTH) {
				const struct auth1929_request *a =
					sess_auth(&s);
				bool ok = a->ulen == 5 &&
					  memcmp(a->uname, "alice", 5) == 0 &&
					  a->plen == 6 &&
					  memcmp(a->passwd, "secret", 6) == 0;

				act = sess_auth_done(&s, ok);
				o->authed = ok;
				continue;
			}
			if (act == SESS_ACT_REQUEST) {
				o->ver = s.ver;
				o->cmd = s.cmd;
				o->dst = s.dst;
				/* conn.c sends no address with a failure */
				act = sess_reply(&s, rep, rep ? NULL : &bnd);
				if (act == SESS_ACT_NONE &&
				    s.state == SESS_ST_BIND_WAIT)
					act = sess_reply(&s, rep, &peer);
				continue;
			}
			break;
		}
		if (act == SESS_ACT_RELAY || act == SESS_ACT_UDP ||
		    act == SESS_ACT_CLOSE)
			break;
		if (used == 0 && n > 0)
			break; /* no room: the rest stays in the "kernel" */
	}
	take_output(&s, o);
	o->last = act;
	o->result = s.result;
	/* For the target: what the session buffered, then the rest. */
	early = sess_early(&s, &n);
	if (act == SESS_ACT_RELAY) {
		memcpy(o->target, early, n);
		o->targetlen = n;
		memcpy(o->target + n, in + off, len - off);
		o->targetlen += len - off;
	}
	if (!o->ver)
		o->ver = s.ver;
}

/* ---- valid handshakes ------------------------------------------------ */

#define B(...) ((const uint8_t[]){__VA_ARGS__})
#define L(...) sizeof((const uint8_t[]){__VA_ARGS__})
#define EARLY 'E', 'A', 'R', 'L', 'Y'
#define V4_OK_BND 0x00, 0x5a, 0x10, 0x92, 203, 0, 113, 5
#define V4_OK_PEER 0x00, 0x5a, 0x15, 0xb3, 198, 51, 100, 7
#define V4_FAIL 0x00, 0x5b, 0, 0, 0, 0, 0, 0
#define V5_OK_BND 0x05, 0x00, 0x00, 0x01, 203, 0, 113, 5, 0x10, 0x92
#define V5_OK_PEER 0x05, 0x00, 0x00, 0x01, 198, 51, 100, 7, 0x15, 0xb3
#define V5_FAIL(rep) 0x05, rep, 0x00, 0x01, 0, 0, 0, 0, 0, 0
#define AUTH_ALICE \
	0x01, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e', 't'
#define IN(...) B(__VA_ARGS__), L(__VA_ARGS__)
#define WANT(...) B(__VA_ARGS__), L(__VA_ARGS__)

static const struct hs valid[] = {
	{"v4 connect", &pol_none,
	 IN(4, 1, 0, 80, 203, 0, 113, 5, 'u', 0, EARLY), 0, WANT(V4_OK_BND),
	 SESS_ACT_RELAY, 5},
	{"v4a connect", &pol_none,
	 IN(4, 1, 0, 80, 0, 0, 0, 1, 0, 'e', 'x', '.', 'o', 'r', 'g', 0, EARLY),
	 0, WANT(V4_OK_BND), SESS_ACT_RELAY, 5},
	{"v4 bind", &pol_none,
	 IN(4, 2, 0, 21, 198, 51, 100, 7, 'u', 's', 'r', 0, EARLY), 0,
	 WANT(V4_OK_BND, V4_OK_PEER), SESS_ACT_RELAY, 5},
	{"v4a bind", &pol_none,
	 IN(4, 2, 0, 21, 0, 0, 0, 9, 0, 'f', 't', 'p', 0, EARLY), 0,
	 WANT(V4_OK_BND, V4_OK_PEER), SESS_ACT_RELAY, 5},
	{"v5 none connect ipv4", &pol_none,
	 IN(5, 1, 0, 5, 1, 0, 1, 203, 0, 113, 5, 0, 80, EARLY), 0,
	 WANT(5, 0, V5_OK_BND), SESS_ACT_RELAY, 5},
	{"v5 none connect ipv6", &pol_none,
	 IN(5, 1, 0, 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 1, 0, 80, EARLY),
	 0, WANT(5, 0, V5_OK_BND), SESS_ACT_RELAY, 5},
	{"v5 none connect domain", &pol_none,
	 IN(5, 2, 2, 0, 5, 1, 0, 3, 6, 'e', 'x', '.', 'o', 'r', 'g', 1, 187,
	    EARLY),
	 0, WANT(5, 0, V5_OK_BND), SESS_ACT_RELAY, 5},
	{"v5 rsv nonzero accepted", &pol_none,
	 IN(5, 1, 0, 5, 1, 7, 1, 203, 0, 113, 5, 0, 80), 0,
	 WANT(5, 0, V5_OK_BND), SESS_ACT_RELAY, 0},
	{"v5 user connect domain", &pol_user,
	 IN(5, 2, 0, 2, AUTH_ALICE, 5, 1, 0, 3, 6, 'e', 'x', '.', 'o', 'r', 'g',
	    0, 80, EARLY),
	 0, WANT(5, 2, 1, 0, V5_OK_BND), SESS_ACT_RELAY, 5},
	{"v5 user connect ipv4", &pol_user,
	 IN(5, 1, 2, AUTH_ALICE, 5, 1, 0, 1, 203, 0, 113, 5, 0, 80, EARLY), 0,
	 WANT(5, 2, 1, 0, V5_OK_BND), SESS_ACT_RELAY, 5},
	{"v5 none bind ipv4", &pol_none,
	 IN(5, 1, 0, 5, 2, 0, 1, 198, 51, 100, 7, 0, 21, EARLY), 0,
	 WANT(5, 0, V5_OK_BND, V5_OK_PEER), SESS_ACT_RELAY, 5},
	{"v5 user bind domain", &pol_user,
	 IN(5, 1, 2, AUTH_ALICE, 5, 2, 0, 3, 3, 'f', 't', 'p', 0, 21), 0,
	 WANT(5, 2, 1, 0, V5_OK_BND, V5_OK_PEER), SESS_ACT_RELAY, 0},
	{"v5 none udp zeros", &pol_none,
	 IN(5, 1, 0, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0), 0, WANT(5, 0, V5_OK_BND),
	 SESS_ACT_UDP, 0},
	{"v5 user udp ipv6", &pol_user,
	 IN(5, 1, 2, AUTH_ALICE, 5, 3, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 1, 0x30, 0x39),
	 0, WANT(5, 2, 1, 0, V5_OK_BND), SESS_ACT_UDP, 0},
	{"v5 udp domain", &pol_none, IN(5, 1, 0, 5, 3, 0, 3, 1, 'h', 0, 53), 0,
	 WANT(5, 0, V5_OK_BND), SESS_ACT_UDP, 0},
};

static void check_same(const struct outcome *a, const struct outcome *b,
		       const char *name)
{
	ck_assert_msg(a->outlen == b->outlen &&
			      memcmp(a->out, b->out, a->outlen) == 0,
		      "%s: output differs between coalesced and split", name);
	ck_assert_msg(a->targetlen == b->targetlen &&
			      memcmp(a->target, b->target, a->targetlen) == 0,
		      "%s: target data differs", name);
	ck_assert_int_eq(a->last, b->last);
	ck_assert_int_eq(a->result, b->result);
	ck_assert_int_eq(a->ver, b->ver);
	ck_assert_int_eq(a->cmd, b->cmd);
	ck_assert_msg(memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0,
		      "%s: request differs", name);
}

static void check_want(const struct hs *h, const struct outcome *o)
{
	char buf[3 * MAXB + 1];
	size_t i;

	for (i = 0; i < o->outlen && i < MAXB; i++)
		snprintf(buf + 3 * i, 4, "%02x ", o->out[i]);
	buf[3 * i] = '\0';
	ck_assert_msg(o->outlen == h->wantlen &&
			      memcmp(o->out, h->want, h->wantlen) == 0,
		      "%s: output %s", h->name, buf);
	ck_assert_msg(o->last == h->last, "%s: action %d", h->name, o->last);
	if (h->last == SESS_ACT_RELAY) {
		ck_assert_msg(
			o->targetlen == h->early &&
				memcmp(o->target, h->in + h->inlen - h->early,
				       h->early) == 0,
			"%s: early data (%zu bytes)", h->name, o->targetlen);
	}
}

START_TEST(t_valid)
{
	const struct hs *h = &valid[_i];
	struct outcome whole, split, pairs;

	run(h->pol, h->in, h->inlen, MAXB, h->rep, &whole);
	run(h->pol, h->in, h->inlen, 1, h->rep, &split);
	run(h->pol, h->in, h->inlen, 2, h->rep, &pairs);
	check_want(h, &whole);
	check_same(&whole, &split, h->name);
	check_same(&whole, &pairs, h->name);
	ck_assert_int_eq(whole.result, SOCKS5_REP_SUCCEEDED);
}
END_TEST

START_TEST(t_valid_fields)
{
	struct outcome o;

	run(&pol_none, valid[1].in, valid[1].inlen, 1, 0, &o);
	ck_assert_int_eq(o.ver, 4);
	ck_assert_int_eq(o.cmd, SESS_CMD_CONNECT);
	ck_assert_int_eq(o.dst.type, SOCKS5_ATYP_DOMAINNAME);
	ck_assert_str_eq(o.dst.u.name, "ex.org");
	ck_assert_uint_eq(o.dst.port, 80);

	run(&pol_user, valid[8].in, valid[8].inlen, 1, 0, &o);
	ck_assert(o.authed);
	ck_assert_int_eq(o.ver, 5);
	ck_assert_int_eq(o.dst.type, SOCKS5_ATYP_DOMAINNAME);

	run(&pol_none, valid[5].in, valid[5].inlen, MAXB, 0, &o);
	ck_assert_int_eq(o.dst.type, SOCKS5_ATYP_IPV6);
	ck_assert_int_eq(o.dst.u.ip6[0], 0x20);

	run(&pol_none, valid[12].in, valid[12].inlen, MAXB, 0, &o);
	ck_assert_int_eq(o.cmd, SESS_CMD_UDP);

	run(&pol_none, valid[2].in, valid[2].inlen, MAXB, 0, &o);
	ck_assert_int_eq(o.cmd, SESS_CMD_BIND);
}
END_TEST

/* More early data than the input buffer holds: the rest stays unread. */
START_TEST(t_big_early_data)
{
	static uint8_t in[8192];
	struct outcome whole, split;
	size_t i;

	memcpy(in, B(5, 1, 0, 5, 1, 0, 1, 203, 0, 113, 5, 0, 80), 13);
	for (i = 13; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	run(&pol_none, in, sizeof(in), sizeof(in), 0, &whole);
	run(&pol_none, in, sizeof(in), 1, 0, &split);
	ck_assert_int_eq(whole.last, SESS_ACT_RELAY);
	ck_assert_uint_eq(whole.targetlen, sizeof(in) - 13);
	ck_assert(memcmp(whole.target, in + 13, sizeof(in) - 13) == 0);
	check_same(&whole, &split, "big early data");
}
END_TEST

/* ---- failures: exact replies, then close ----------------------------- */

static const struct hs bad[] = {
	{"not socks", &pol_none, IN(6, 1, 0), 0, WANT(0), SESS_ACT_CLOSE, 0},
	{"http", &pol_none, IN('G', 'E', 'T', ' ', '/'), 0, WANT(0),
	 SESS_ACT_CLOSE, 0},
	{"nmethods 0", &pol_none, IN(5, 0), 0, WANT(5, 0xff), SESS_ACT_CLOSE,
	 0},
	{"no acceptable method", &pol_none, IN(5, 2, 1, 0x80), 0, WANT(5, 0xff),
	 SESS_ACT_CLOSE, 0},
	{"user server, no-auth client", &pol_user, IN(5, 1, 0), 0,
	 WANT(5, 0xff), SESS_ACT_CLOSE, 0},
	{"gssapi only", &pol_user, IN(5, 1, 1), 0, WANT(5, 0xff),
	 SESS_ACT_CLOSE, 0},
	{"unknown cmd 04", &pol_none,
	 IN(5, 1, 0, 5, 4, 0, 1, 127, 0, 0, 1, 0, 80), 0,
	 WANT(5, 0, V5_FAIL(7)), SESS_ACT_CLOSE, 0},
	{"unknown cmd f0", &pol_none, IN(5, 1, 0, 5, 0xf0, 0, 3, 1, 'a', 0, 80),
	 0, WANT(5, 0, V5_FAIL(7)), SESS_ACT_CLOSE, 0},
	{"unknown atyp 05", &pol_none,
	 IN(5, 1, 0, 5, 1, 0, 5, 127, 0, 0, 1, 0, 80), 0,
	 WANT(5, 0, V5_FAIL(8)), SESS_ACT_CLOSE, 0},
	{"zero-length domain", &pol_none, IN(5, 1, 0, 5, 1, 0, 3, 0, 0, 80), 0,
	 WANT(5, 0, V5_FAIL(4)), SESS_ACT_CLOSE, 0},
	{"NUL in domain", &pol_none,
	 IN(5, 1, 0, 5, 1, 0, 3, 3, 'a', 0, 'b', 0, 80), 0,
	 WANT(5, 0, V5_FAIL(4)), SESS_ACT_CLOSE, 0},
	{"request VER 4", &pol_none,
	 IN(5, 1, 0, 4, 1, 0, 1, 127, 0, 0, 1, 0, 80), 0,
	 WANT(5, 0, V5_FAIL(1)), SESS_ACT_CLOSE, 0},
	{"wrong password", &pol_user,
	 IN(5, 1, 2, 1, 5, 'a', 'l', 'i', 'c', 'e', 2, 'n', 'o'), 0,
	 WANT(5, 2, 1, 1), SESS_ACT_CLOSE, 0},
	{"unknown user", &pol_user,
	 IN(5, 1, 2, 1, 3, 'b', 'o', 'b', 6, 's', 'e', 'c', 'r', 'e', 't'), 0,
	 WANT(5, 2, 1, 1), SESS_ACT_CLOSE, 0},
	{"RFC 1929 VER 5", &pol_user,
	 IN(5, 1, 2, 5, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e',
	    't'),
	 0, WANT(5, 2, 1, 1), SESS_ACT_CLOSE, 0},
	{"RFC 1929 ULEN 0", &pol_user, IN(5, 1, 2, 1, 0, 0), 0,
	 WANT(5, 2, 1, 1), SESS_ACT_CLOSE, 0},
	{"v4 unknown CD", &pol_none, IN(4, 3, 0, 80, 127, 0, 0, 1, 0), 0,
	 WANT(V4_FAIL), SESS_ACT_CLOSE, 0},
	{"v4a empty name", &pol_none, IN(4, 1, 0, 80, 0, 0, 0, 1, 0, 0), 0,
	 WANT(V4_FAIL), SESS_ACT_CLOSE, 0},
	{"v5 connect refused", &pol_none,
	 IN(5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 80, EARLY),
	 SOCKS5_REP_CONNECTION_REFUSED, WANT(5, 0, V5_FAIL(5)), SESS_ACT_CLOSE,
	 0},
	{"v5 not allowed", &pol_none, IN(5, 1, 0, 5, 1, 0, 3, 1, 'h', 0, 80),
	 SOCKS5_REP_NOT_ALLOWED, WANT(5, 0, V5_FAIL(2)), SESS_ACT_CLOSE, 0},
	{"v4 refused", &pol_none, IN(4, 1, 0, 80, 127, 0, 0, 1, 0, EARLY),
	 SOCKS5_REP_CONNECTION_REFUSED, WANT(V4_FAIL), SESS_ACT_CLOSE, 0},
	{"v4 bind refused", &pol_none, IN(4, 2, 0, 80, 127, 0, 0, 1, 0),
	 SOCKS5_REP_NOT_ALLOWED, WANT(V4_FAIL), SESS_ACT_CLOSE, 0},
};

START_TEST(t_bad)
{
	const struct hs *h = &bad[_i];
	struct outcome whole, split;

	run(h->pol, h->in, h->inlen, MAXB, h->rep, &whole);
	run(h->pol, h->in, h->inlen, 1, h->rep, &split);
	if (h->wantlen == 1 && h->want[0] == 0) {
		/* WANT(0): no reply at all */
		ck_assert_msg(whole.outlen == 0, "%s: %zu bytes sent", h->name,
			      whole.outlen);
		ck_assert_int_eq(whole.last, SESS_ACT_CLOSE);
	} else {
		check_want(h, &whole);
	}
	check_same(&whole, &split, h->name);
	ck_assert_int_ne(whole.result, SOCKS5_REP_SUCCEEDED);
}
END_TEST

static int result_of(const struct sess_policy *pol, const uint8_t *in,
		     size_t len, uint8_t rep)
{
	struct outcome o;

	run(pol, in, len, 1, rep, &o);
	return o.result;
}

START_TEST(t_results)
{
	char buf[64];

	ck_assert_int_eq(result_of(&pol_none, B(6), 1, 0), SESS_RES_PROTOCOL);
	ck_assert_int_eq(result_of(&pol_user, B(5, 1, 0), 3, 0),
			 SESS_RES_NO_METHOD);
	ck_assert_int_eq(result_of(&pol_user, bad[12].in, bad[12].inlen, 0),
			 SESS_RES_AUTH_FAILED);
	ck_assert_int_eq(result_of(&pol_user, bad[14].in, bad[14].inlen, 0),
			 SESS_RES_AUTH_FAILED);
	ck_assert_int_eq(result_of(&pol_none, bad[6].in, bad[6].inlen, 0),
			 SOCKS5_REP_COMMAND_NOT_SUPPORTED);
	ck_assert_int_eq(result_of(&pol_none, bad[8].in, bad[8].inlen, 0),
			 SOCKS5_REP_ADDRESS_TYPE_NOT_SUPPORTED);
	ck_assert_int_eq(result_of(&pol_none, bad[20].in, bad[20].inlen,
				   SOCKS5_REP_CONNECTION_REFUSED),
			 SOCKS5_REP_CONNECTION_REFUSED);

	ck_assert_str_eq(sess_result_name(0, buf, sizeof(buf)), "succeeded");
	ck_assert_str_eq(sess_result_name(1, buf, sizeof(buf)),
			 "general-failure");
	ck_assert_str_eq(sess_result_name(2, buf, sizeof(buf)), "not-allowed");
	ck_assert_str_eq(sess_result_name(4, buf, sizeof(buf)),
			 "host-unreachable");
	ck_assert_str_eq(sess_result_name(5, buf, sizeof(buf)),
			 "connection-refused");
	ck_assert_str_eq(sess_result_name(7, buf, sizeof(buf)),
			 "command-not-supported");
	ck_assert_str_eq(sess_result_name(8, buf, sizeof(buf)),
			 "address-type-not-supported");
	ck_assert_str_eq(
		sess_result_name(SESS_RES_AUTH_FAILED, buf, sizeof(buf)),
		"auth-failed");
	ck_assert_str_eq(sess_result_name(SESS_RES_NO_METHOD, buf, sizeof(buf)),
			 "auth-failed");
	ck_assert_str_eq(sess_result_name(SESS_RES_TIMEOUT, buf, sizeof(buf)),
			 "handshake-timeout");
	ck_assert_str_eq(sess_result_name(SESS_RES_PROTOCOL, buf, sizeof(buf)),
			 "protocol-error");
	ck_assert_str_eq(sess_cmd_name(SESS_CMD_UDP), "udp");
	ck_assert_str_eq(sess_cmd_name(SESS_CMD_NONE), "none");
}
END_TEST

/* The password is gone from the session after the verdict. */
START_TEST(t_password_wiped)
{
	static struct sess s;
	const uint8_t in[] = {5, 1, 2, AUTH_ALICE};
	size_t used, i;
	enum sess_action act;

	sess_init(&s, &pol_user);
	act = sess_feed(&s, in, sizeof(in), &used);
	ck_assert_int_eq(act, SESS_ACT_AUTH);
	ck_assert_str_eq(sess_auth(&s)->passwd, "secret");
	act = sess_auth_done(&s, true);
	ck_assert_int_eq(act, SESS_ACT_NONE);
	for (i = 0; i + 6 <= sizeof(s); i++)
		ck_assert_msg(memcmp((uint8_t *)&s + i, "secret", 6) != 0,
			      "password still in the session at %zu", i);
	ck_assert_str_eq(s.auth.uname, "alice");
}
END_TEST

START_TEST(t_timeout_and_eof)
{
	static struct sess s;
	size_t used;

	sess_init(&s, &pol_none);
	sess_feed(&s, B(5, 1), 2, &used);
	ck_assert_int_eq(sess_timeout(&s), SESS_ACT_CLOSE);
	ck_assert_int_eq(s.result, SESS_RES_TIMEOUT);
	ck_assert_int_eq(s.ver, 5);

	sess_init(&s, &pol_none);
	sess_feed(&s, B(5, 1, 0, 5, 1), 5, &used);
	ck_assert_int_eq(sess_eof(&s), SESS_ACT_CLOSE);
	ck_assert_int_eq(s.result, SESS_RES_PROTOCOL);
	ck_assert_int_eq(s.state, SESS_ST_FAILED);
	ck_assert_str_eq(sess_state_name(s.state), "FAILED");
}
END_TEST

/* Nothing is read while the driver works on a request. */
START_TEST(t_no_input_while_busy)
{
	static struct sess s;
	size_t used;
	enum sess_action act;

	sess_init(&s, &pol_none);
	act = sess_feed(&s, B(5, 1, 0, 5, 1, 0, 1, 1, 2, 3, 4, 0, 80), 13,
			&used);
	ck_assert_int_eq(act, SESS_ACT_REQUEST);
	ck_assert_uint_eq(sess_room(&s), 0);
	act = sess_feed(&s, B('x'), 1, &used);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(act, SESS_ACT_NONE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("server_session");
	TCase *tc = tcase_create("handshakes");

	tcase_add_loop_test(tc, t_valid, 0, N(valid));
	tcase_add_test(tc, t_valid_fields);
	tcase_add_test(tc, t_big_early_data);
	tcase_add_loop_test(tc, t_bad, 0, N(bad));
	tcase_add_test(tc, t_results);
	tcase_add_test(tc, t_password_wiped);
	tcase_add_test(tc, t_timeout_and_eof);
	tcase_add_test(tc, t_no_input_while_busy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
