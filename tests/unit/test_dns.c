/* SPDX-License-Identifier: MIT */
/*
 * The DNS pieces of the codec (src/proto/dns.c): question decode, query
 * encode, answer status, DNS-over-TCP framing, resolv.conf's nameserver.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "proto/dns.h"
#include "proto/error.h"

/* RFC 1035 query, ID 0xbeef, RD, one question: example.com MX IN */
static const uint8_t q_mx[] = {0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
			       0x00, 0x00, 0x00, 0x00, 7,    'e',  'x',	 'a',
			       'm',  'p',  'l',	 'e',  3,    'c',  'o',	 'm',
			       0,    0x00, 0x0f, 0x00, 0x01};

START_TEST(encode_golden)
{
	uint8_t buf[64];

	ck_assert_int_eq(dns_query_encode(buf, sizeof(buf), 0xbeef,
					  "example.com", 1, 15),
			 (int)sizeof(q_mx));
	ck_assert_mem_eq(buf, q_mx, sizeof(q_mx));
	/* a trailing dot is the same name */
	ck_assert_int_eq(dns_query_encode(buf, sizeof(buf), 0xbeef,
					  "example.com.", 1, 15),
			 (int)sizeof(q_mx));
	ck_assert_mem_eq(buf, q_mx, sizeof(q_mx));
	ck_assert_int_eq(dns_id(buf), 0xbeef);
}
END_TEST

START_TEST(encode_errors)
{
	uint8_t buf[300];
	char longlabel[80], longname[300];

	memset(longlabel, 'a', 64);
	longlabel[64] = '\0';
	memset(longname, 'a', sizeof(longname));
	for (int i = 10; i < 290; i += 10)
		longname[i] = '.';
	longname[254] = '\0';
	ck_assert_int_eq(dns_query_encode(buf, sizeof(buf), 1, "", 1, 1),
			 PROTO_E_INVAL);
	ck_assert_int_eq(dns_query_encode(buf, sizeof(buf), 1, "a..b", 1, 1),
			 PROTO_E_INVAL);
	ck_assert_int_eq(dns_query_encode(buf, sizeof(buf), 1, longlabel, 1, 1),
			 PROTO_E_INVAL);
	ck_assert_int_eq(dns_query_encode(buf, sizeof(buf), 1, longname, 1, 1),
			 PROTO_E_INVAL);
	ck_assert_int_eq(dns_query_encode(buf, sizeof(buf), 1, "a b", 1, 1),
			 PROTO_E_INVAL);
	/* argument checked before space */
	ck_assert_int_eq(dns_query_encode(buf, 5, 1, "a..b", 1, 1),
			 PROTO_E_INVAL);
	ck_assert_int_eq(dns_query_encode(buf, sizeof(q_mx) - 1, 1,
					  "example.com", 1, 15),
			 PROTO_E_NOSPACE);
	longlabel[63] = '\0';
	ck_assert_int_gt(dns_query_encode(buf, sizeof(buf), 1, longlabel, 1, 1),
			 0);
}
END_TEST

START_TEST(question_golden)
{
	struct dns_question q;

	ck_assert_int_eq(dns_question_decode(q_mx, sizeof(q_mx), &q),
			 (int)sizeof(q_mx));
	ck_assert_str_eq(q.name, "example.com");
	ck_assert_int_eq(q.qtype, 15);
	ck_assert_int_eq(q.qclass, 1);
}
END_TEST

/* Every proper prefix of the query is truncated, never a name. */
START_TEST(question_every_split)
{
	struct dns_question q;

	for (size_t n = 0; n < sizeof(q_mx); n++) {
		ck_assert_int_eq(dns_question_decode(q_mx, n, &q),
				 PROTO_E_TRUNCATED);
		ck_assert_str_eq(q.name, "");
	}
}
END_TEST

START_TEST(question_rejects)
{
	uint8_t m[sizeof(q_mx)];
	struct dns_question q;

	memcpy(m, q_mx, sizeof(m));
	m[5] = 0; /* QDCOUNT 0 */
	ck_assert_int_eq(dns_question_decode(m, sizeof(m), &q), PROTO_E_INVAL);
	memcpy(m, q_mx, sizeof(m));
	m[12] = 0xc0; /* a compression pointer */
	ck_assert_int_eq(dns_question_decode(m, sizeof(m), &q), PROTO_E_INVAL);
	memcpy(m, q_mx, sizeof(m));
	m[14] = '.'; /* a dot inside a label would change the routed name */
	ck_assert_int_eq(dns_question_decode(m, sizeof(m), &q), PROTO_E_NAME);
	ck_assert_str_eq(q.name, "");
	m[14] = '\0';
	ck_assert_int_eq(dns_question_decode(m, sizeof(m), &q), PROTO_E_NAME);
}
END_TEST

START_TEST(answer_status)
{
	uint8_t a[DNS_HEADER_LEN] = {0, 1, 0x81, 0x80, 0, 1, 0, 1};

	ck_assert_int_eq(dns_answer_status(a, sizeof(a)), DNS_ST_ANSWER);
	a[7] = 0;
	ck_assert_int_eq(dns_answer_status(a, sizeof(a)), DNS_ST_NODATA);
	a[3] = 0x83;
	ck_assert_int_eq(dns_answer_status(a, sizeof(a)), DNS_ST_NXDOMAIN);
	a[3] = 0x82;
	ck_assert_int_eq(dns_answer_status(a, sizeof(a)), DNS_ST_SERVFAIL);
	a[3] = 0x85;
	ck_assert_int_eq(dns_answer_status(a, sizeof(a)), DNS_ST_REFUSED);
	a[2] = 0x01; /* a query, not an answer */
	ck_assert_int_eq(dns_answer_status(a, sizeof(a)), PROTO_E_INVAL);
	ck_assert_int_eq(dns_answer_status(a, 11), PROTO_E_TRUNCATED);
}
END_TEST

START_TEST(tcp_prefix)
{
	uint8_t p[2];

	ck_assert_int_eq(dns_tcp_prefix_encode(p, 0x1234), 2);
	ck_assert_int_eq(p[0], 0x12);
	ck_assert_int_eq(p[1], 0x34);
	ck_assert_uint_eq(dns_tcp_prefix_decode(p), 0x1234);
	ck_assert_int_eq(dns_tcp_prefix_encode(p, 65535), 2);
	ck_assert_uint_eq(dns_tcp_prefix_decode(p), 65535);
	ck_assert_int_eq(dns_tcp_prefix_encode(p, 0), PROTO_E_INVAL);
	ck_assert_int_eq(dns_tcp_prefix_encode(p, 65536), PROTO_E_INVAL);
}
END_TEST

START_TEST(resolvconf)
{
	static const char t[] = "# nameserver 192.0.2.1\n"
				"search example.com\n"
				"nameservers 192.0.2.2\n"
				"nameserver\t2001:db8::53 # comment\n"
				"nameserver 198.51.100.53\n";
	char out[64];

	ck_assert_int_eq(
		dns_resolvconf_nameserver(t, strlen(t), out, sizeof(out)), 12);
	ck_assert_str_eq(out, "2001:db8::53");
	ck_assert_int_eq(dns_resolvconf_nameserver(t, strlen(t), out, 5),
			 PROTO_E_NOSPACE);
	ck_assert_int_eq(
		dns_resolvconf_nameserver("search x\n", 9, out, sizeof(out)),
		0);
	/* the text need not end in a newline */
	ck_assert_int_eq(dns_resolvconf_nameserver("nameserver 127.0.0.53", 21,
						   out, sizeof(out)),
			 10);
	ck_assert_str_eq(out, "127.0.0.53");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("dns");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, encode_golden);
	tcase_add_test(tc, encode_errors);
	tcase_add_test(tc, question_golden);
	tcase_add_test(tc, question_every_split);
	tcase_add_test(tc, question_rejects);
	tcase_add_test(tc, answer_status);
	tcase_add_test(tc, tcp_prefix);
	tcase_add_test(tc, resolvconf);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
