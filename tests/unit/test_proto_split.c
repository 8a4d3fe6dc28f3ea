/* SPDX-License-Identifier: MIT */
/*
 * Every valid message fed split at every byte boundary: each shorter prefix
 * means "need more" (0; a UDP datagram cut short is PROTO_E_TRUNCATED), the
 * whole message gives exactly its length and the same struct, and bytes
 * after it (pipelined data) are never consumed.  Then a pipelined client
 * conversation replayed with a split at every offset and byte by byte.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "proto_vec.h"

static const struct vec *V;
static size_t NV;

static void setup(void)
{
	V = proto_vectors(&NV);
}

/* Decode @len bytes of @src from an exactly sized heap copy. */
static ssize_t decode_exact(enum msg_kind k, const uint8_t *src, size_t len,
			    union msg *m)
{
	uint8_t *p = malloc(len ? len : 1);
	ssize_t n;

	ck_assert_ptr_nonnull(p);
	memcpy(p, src, len);
	n = msg_decode(k, p, len, m);
	free(p);
	return n;
}

static void every_prefix_one(size_t i)
{
	const struct vec *v = &V[i];
	ssize_t short_want = v->kind == K_UDP ? PROTO_E_TRUNCATED : 0;
	union msg m;
	size_t p;
	ssize_t n;

	for (p = 0; p < v->len; p++) {
		n = decode_exact(v->kind, v->bytes, p, &m);
		ck_assert_msg(n == short_want, "%s: prefix %zu/%zu gave %zd",
			      v->name, p, v->len, n);
	}
	memset(&m, 0x33, sizeof(m));
	n = decode_exact(v->kind, v->bytes, v->len, &m);
	ck_assert_msg(n == (ssize_t)v->len, "%s: full gave %zd", v->name, n);
	ck_assert_msg(memcmp(&m, &v->m, msg_size(v->kind)) == 0,
		      "%s: struct differs", v->name);
}

START_TEST(every_prefix)
{
	size_t i;

	for (i = 0; i < NV; i++)
		every_prefix_one(i);
}
END_TEST

static void trailing_bytes_one(size_t i)
{
	static const size_t extra[] = {1, 2, 3, 7, 64, 300, 600};
	const struct vec *v = &V[i];
	uint8_t buf[VEC_MAX + 600];
	uint64_t s = 0x1234567 + (uint64_t)i;
	size_t e, j;

	for (e = 0; e < sizeof(extra) / sizeof(extra[0]); e++) {
		/* the next message may start with anything: 00, FF, random */
		for (j = 0; j < 3; j++) {
			union msg m;
			size_t k;
			ssize_t n;

			memcpy(buf, v->bytes, v->len);
			for (k = 0; k < extra[e]; k++)
				buf[v->len + k] = j == 0   ? 0x00
						  : j == 1 ? 0xff
							   : (uint8_t)xs64(&s);
			memset(&m, 0x44, sizeof(m));
			n = decode_exact(v->kind, buf, v->len + extra[e], &m);
			ck_assert_msg(n == (ssize_t)v->len,
				      "%s: +%zu bytes gave %zd", v->name,
				      extra[e], n);
			ck_assert_msg(memcmp(&m, &v->m, msg_size(v->kind)) == 0,
				      "%s: struct differs with +%zu", v->name,
				      extra[e]);
		}
	}
}

START_TEST(trailing_bytes)
{
	size_t i;

	for (i = 0; i < NV; i++)
		trailing_bytes_one(i);
}
END_TEST

/*
 * A pipelined SOCKS5 client: greeting + RFC 1929 + CONNECT + early data in
 * one stream.  Feed it in two chunks split at every offset (and byte by
 * byte); a consumer that decodes whatever is buffered must see the three
 * messages and leave exactly the data.
 */
struct stream {
	uint8_t buf[1024];
	size_t have; /* bytes received */
	size_t used; /* bytes consumed by decoded messages */
	int stage;   /* 0 greeting, 1 auth, 2 request, 3 data */
	union msg got[3];
};

static const enum msg_kind conv_kinds[3] = {K_S5_GREET, K_AUTH_REQ, K_S5_REQ};

static void consume(struct stream *st)
{
	while (st->stage < 3) {
		ssize_t n =
			decode_exact(conv_kinds[st->stage], st->buf + st->used,
				     st->have - st->used, &st->got[st->stage]);

		ck_assert_int_ge(n, 0);
		if (n == 0)
			return;
		st->used += (size_t)n;
		st->stage++;
	}
}

static size_t build_conversation(uint8_t *out, union msg want[3],
				 const char *data)
{
	size_t off = 0;
	ssize_t n;

	memset(want, 0, 3 * sizeof(want[0]));
	want[0].greet.nmethods = 2;
	want[0].greet.methods[0] = SOCKS5_METHOD_NONE;
	want[0].greet.methods[1] = SOCKS5_METHOD_USERNAME;
	want[1].auth.ulen = 5;
	memcpy(want[1].auth.uname, "alice", 5);
	want[1].auth.plen = 6;
	memcpy(want[1].auth.passwd, "s3cret", 6);
	want[2].s5req.cmd = SOCKS5_CMD_CONNECT;
	ck_assert_int_eq(socks_addr_set_name(&want[2].s5req.dst,
					     "www.example.org", 15, 443),
			 0);
	for (int i = 0; i < 3; i++) {
		n = msg_encode(conv_kinds[i], out + off, 512, &want[i]);
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
	memcpy(out + off, data, strlen(data));
	return off + strlen(data);
}

static void check_done(const struct stream *st, const union msg want[3],
		       size_t total, const char *data)
{
	ck_assert_int_eq(st->stage, 3);
	for (int i = 0; i < 3; i++)
		ck_assert(memcmp(&st->got[i], &want[i],
				 msg_size(conv_kinds[i])) == 0);
	ck_assert_uint_eq(total - st->used, strlen(data));
	ck_assert(memcmp(st->buf + st->used, data, strlen(data)) == 0);
}

START_TEST(pipelined_every_split)
{
	static const char data[] = "GET / HTTP/1.0\r\n\r\n";
	uint8_t all[1024];
	union msg want[3];
	size_t total = build_conversation(all, want, data);
	size_t split;

	for (split = 0; split <= total; split++) {
		struct stream st;

		memset(&st, 0, sizeof(st));
		memcpy(st.buf, all, split);
		st.have = split;
		consume(&st);
		memcpy(st.buf + split, all + split, total - split);
		st.have = total;
		consume(&st);
		check_done(&st, want, total, data);
	}
}
END_TEST

START_TEST(pipelined_byte_by_byte)
{
	static const char data[] = "\x00\x05\x01hello";
	uint8_t all[1024];
	union msg want[3];
	size_t total = build_conversation(all, want, data);
	struct stream st;
	size_t i;

	memset(&st, 0, sizeof(st));
	for (i = 0; i < total; i++) {
		st.buf[i] = all[i];
		st.have = i + 1;
		consume(&st);
	}
	check_done(&st, want, total, data);
}
END_TEST

static Suite *split_suite(void)
{
	Suite *s = suite_create("proto_split");
	TCase *tc = tcase_create("split");

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, every_prefix);
	tcase_add_test(tc, trailing_bytes);
	tcase_add_test(tc, pipelined_every_split);
	tcase_add_test(tc, pipelined_byte_by_byte);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(split_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
