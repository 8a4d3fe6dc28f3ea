/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/isolate/iso_dns.c: DNS queries inside isolation
 * answered from the fake-name table (a private one per test, as in
 * test_fakedns.c), with the route of each name set by the test.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/net.h"
#include "isolate/iso.h"
#include "isolate/iso_dns.h"
#include "preload/fakedns.h"
#include "preload/init.h"

#define T_A 1
#define T_MX 15
#define T_TXT 16
#define T_AAAA 28
#define T_OPT 41
#define T_HTTPS 65
#define T_ANY 255
#define C_IN 1
#define C_CH 3

/* fakedns.c asks init.c for the config; the tests set the networks. */
const struct conf *socksify_conf(void)
{
	return NULL;
}

/* The route iso_dns.c asks for: names starting "direct." go direct,
 * "deny." are denied, the rest via a proxy.  The last question is kept. */
static char routed_name[300];
static int routed_calls;

enum rule_action iso_route(const struct net_ip *ip, const char *name,
			   uint16_t port, struct rule_result *r)
{
	ck_assert_ptr_null(ip);
	ck_assert_ptr_nonnull(name);
	ck_assert_uint_eq(port, 0);
	memset(r, 0, sizeof(*r));
	strncpy(routed_name, name, sizeof(routed_name) - 1);
	routed_calls++;
	if (strncmp(name, "direct.", 7) == 0)
		r->action = RULE_DIRECT;
	else if (strncmp(name, "deny.", 5) == 0)
		r->action = RULE_DENY;
	else
		r->action = RULE_PROXY;
	return r->action;
}

static void setup(void)
{
	ck_assert_int_eq(fakedns_reset_for_tests(NULL, NULL), 0);
	routed_calls = 0;
	routed_name[0] = '\0';
}

static void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned rd16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

/* @name (dotted, "" for the root) as QNAME at @p; returns its length. */
static size_t qname(uint8_t *p, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

/* A standard query (RD set) for @name, @type, @class into @b; returns
 * its length, the end of the question. */
static size_t query(uint8_t *b, const char *name, unsigned type, unsigned class)
{
	size_t n;

	memset(b, 0, 12);
	wr16(b, 0xbeef); /* ID */
	b[2] = 0x01;	 /* RD */
	wr16(b + 4, 1);	 /* QDCOUNT */
	n = 12 + qname(b + 12, name);
	wr16(b + n, type);
	wr16(b + n + 2, class);
	return n + 4;
}

/* Check the answer @a (@n bytes) to the query @q whose question ends at
 * @qend: header, question copied, @rcode and @ancount. */
static void assert_header(const uint8_t *a, int n, const uint8_t *q,
			  size_t qend, unsigned rcode, unsigned ancount)
{
	ck_assert_int_ge(n, (int)qend);
	ck_assert_uint_eq(rd16(a), rd16(q));	       /* ID */
	ck_assert_uint_eq(a[2], 0x80 | (q[2] & 0x79)); /* QR, opcode, RD */
	ck_assert_uint_eq(a[3], 0x80 | rcode);	       /* RA, no Z/AD/CD */
	ck_assert_uint_eq(rd16(a + 4), 1);
	ck_assert_uint_eq(rd16(a + 6), ancount);
	ck_assert_uint_eq(rd16(a + 8), 0);
	ck_assert_uint_eq(rd16(a + 10), 0);
	ck_assert_mem_eq(a + 12, q + 12, qend - 12); /* the question */
	if (ancount == 0)
		ck_assert_int_eq(n, (int)qend);
}

/* The one record after the question: its address, @len bytes. */
static struct net_ip assert_record(const uint8_t *a, int n, size_t qend,
				   unsigned type)
{
	const uint8_t *r = a + qend;
	size_t len = type == T_A ? 4 : 16;
	static const uint8_t head[10] = {0xc0, 0x0c, 0, 0, 0,
					 C_IN, 0,    0, 0, 60};
	uint8_t got[10];
	struct net_ip ip = {.family = type == T_A ? AF_INET : AF_INET6};

	ck_assert_int_eq(n, (int)(qend + 12 + len));
	memcpy(got, r, 10);
	ck_assert_uint_eq(rd16(r + 2), type);
	got[2] = got[3] = 0;
	ck_assert_mem_eq(got, head, 10); /* pointer to the name, IN, TTL */
	ck_assert_uint_eq(rd16(r + 10), len);
	memcpy(ip.b, r + 12, len);
	return ip;
}

/* Ask for @name @type (IN); the address answered. */
static struct net_ip ask(const char *name, unsigned type)
{
	uint8_t q[512], a[512];
	size_t qend = query(q, name, type, C_IN);
	int n = iso_dns_answer(q, qend, a, sizeof(a));

	assert_header(a, n, q, qend, 0, 1);
	return assert_record(a, n, qend, type);
}

static bool in_net(const char *cidr, const struct net_ip *ip)
{
	struct net_cidr c;

	ck_assert_int_eq(net_cidr_parse(cidr, &c), 0);
	return net_cidr_contains(&c, ip);
}

START_TEST(a_fake)
{
	struct net_ip a, b, a2, t;
	char name[FAKEDNS_NAME_MAX + 1];

	a = ask("www.example.com", T_A);
	ck_assert_str_eq(routed_name, "www.example.com");
	ck_assert(in_net("198.18.0.0/15", &a));
	b = ask("mail.example.com", T_A);
	a2 = ask("www.example.com", T_A);
	ck_assert_mem_eq(a.b, a2.b, 4); /* the same name, the same address */
	ck_assert_mem_ne(a.b, b.b, 4);
	/* the table has the name behind it, and agrees */
	ck_assert_int_eq(fakedns_lookup(&a, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "www.example.com");
	ck_assert_int_eq(fakedns_assign("mail.example.com", AF_INET, &t), 0);
	ck_assert_mem_eq(t.b, b.b, 4);
}
END_TEST

START_TEST(aaaa_fake)
{
	struct net_ip a, b, a2, v4;
	char name[FAKEDNS_NAME_MAX + 1];

	a = ask("www.example.com", T_AAAA);
	ck_assert(in_net("fd53:6f63:6b73::/64", &a));
	b = ask("ftp.example.org", T_AAAA);
	a2 = ask("www.example.com", T_AAAA);
	ck_assert_mem_eq(a.b, a2.b, 16);
	ck_assert_mem_ne(a.b, b.b, 16);
	ck_assert_int_eq(fakedns_lookup(&a, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "www.example.com");
	v4 = ask("www.example.com", T_A); /* each family its own */
	ck_assert(in_net("198.18.0.0/15", &v4));
	ck_assert_int_eq(fakedns_lookup(&v4, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "www.example.com");
}
END_TEST

/* The configured networks are used; names fold case, the question is
 * echoed as asked (0x20 mixing survives). */
START_TEST(networks_and_case)
{
	struct net_cidr v4, v6;
	struct net_ip a, b, c;

	ck_assert_int_eq(net_cidr_parse("203.0.113.0/24", &v4), 0);
	ck_assert_int_eq(net_cidr_parse("2001:db8:5::/64", &v6), 0);
	ck_assert_int_eq(fakedns_reset_for_tests(&v4, &v6), 0);
	a = ask("WwW.ExAmPlE.CoM", T_A);
	b = ask("www.example.com", T_A);
	c = ask("www.example.COM", T_AAAA);
	ck_assert_mem_eq(a.b, b.b, 4);
	ck_assert(in_net("203.0.113.0/24", &a));
	ck_assert(in_net("2001:db8:5::/64", &c));
}
END_TEST

START_TEST(localhost)
{
	struct net_ip a;
	static const uint8_t lo4[4] = {127, 0, 0, 1};
	static const uint8_t lo6[16] = {[15] = 1};

	a = ask("localhost", T_A);
	ck_assert_mem_eq(a.b, lo4, 4);
	a = ask("LocalHost", T_AAAA);
	ck_assert_mem_eq(a.b, lo6, 16);
	ck_assert_int_eq(routed_calls, 0); /* no route asked, no fake */
}
END_TEST

/* Other types and classes: NOERROR without a record. */
START_TEST(other_types)
{
	static const unsigned types[] = {T_MX, T_TXT, T_HTTPS, T_ANY, 5, 12};
	uint8_t q[512], a[512];
	size_t qend, i;
	int n;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		qend = query(q, "www.example.com", types[i], C_IN);
		n = iso_dns_answer(q, qend, a, sizeof(a));
		assert_header(a, n, q, qend, 0, 0);
	}
	qend = query(q, "www.example.com", T_A, C_CH);
	n = iso_dns_answer(q, qend, a, sizeof(a));
	assert_header(a, n, q, qend, 0, 0);
	qend = query(q, "localhost", T_MX, C_IN);
	n = iso_dns_answer(q, qend, a, sizeof(a));
	assert_header(a, n, q, qend, 0, 0);
}
END_TEST

/* A name routed direct or denied: REFUSED, whatever the type. */
START_TEST(refused)
{
	static const char *names[] = {"direct.example.com", "deny.example.com"};
	static const unsigned types[] = {T_A, T_AAAA, T_MX, T_HTTPS};
	uint8_t q[512], a[512];
	size_t qend, i, k;
	int n;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
			qend = query(q, names[i], types[k], C_IN);
			n = iso_dns_answer(q, qend, a, sizeof(a));
			assert_header(a, n, q, qend, 5, 0);
			ck_assert_str_eq(routed_name, names[i]);
		}
	}
}
END_TEST

/* The fake network is full: SERVFAIL for A (try again later). */
START_TEST(table_full)
{
	struct net_cidr v4;
	uint8_t q[512], a[512];
	size_t qend;
	int n;

	ck_assert_int_eq(net_cidr_parse("203.0.113.0/30", &v4), 0);
	ck_assert_int_eq(fakedns_reset_for_tests(&v4, NULL), 0);
	ask("one.example", T_A); /* .1 */
	ask("two.example", T_A); /* .2; .3 is the broadcast */
	qend = query(q, "three.example", T_A, C_IN);
	n = iso_dns_answer(q, qend, a, sizeof(a));
	assert_header(a, n, q, qend, 2, 0);
	ask("three.example", T_AAAA); /* the other family still works */
	/* other types need no address: answered, and none is spent */
	qend = query(q, "four.example", T_MX, C_IN);
	n = iso_dns_answer(q, qend, a, sizeof(a));
	assert_header(a, n, q, qend, 0, 0);
}
END_TEST

/* Other types spend no fake address: the next A gets the next one. */
START_TEST(other_types_spend_nothing)
{
	struct net_cidr v4;
	uint8_t q[512], a[512];
	struct net_ip ip;
	size_t qend;
	int n;

	ck_assert_int_eq(net_cidr_parse("203.0.113.0/30", &v4), 0);
	ck_assert_int_eq(fakedns_reset_for_tests(&v4, NULL), 0);
	qend = query(q, "mx.example", T_MX, C_IN);
	n = iso_dns_answer(q, qend, a, sizeof(a));
	assert_header(a, n, q, qend, 0, 0);
	qend = query(q, "txt.example", T_TXT, C_IN);
	n = iso_dns_answer(q, qend, a, sizeof(a));
	assert_header(a, n, q, qend, 0, 0);
	qend = query(q, "a.example", T_A, C_IN);
	n = iso_dns_answer(q, qend, a, sizeof(a));
	assert_header(a, n, q, qend, 0, 1);
	ip = assert_record(a, n, qend, T_A);
	ck_assert_uint_eq(ip.b[3], 1); /* the first address of the /30 */
}
END_TEST

/* An opcode other than QUERY (RFC 1035 4.1.1; NOTIFY 4, UPDATE 5):
 * NOTIMP, no record, nothing routed. */
START_TEST(opcode_notimp)
{
	static const unsigned ops[] = {1, 2, 4, 5, 15};
	uint8_t q[512], a[512];
	size_t qend, i;
	int n;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		qend = query(q, "deny.example.com", T_A, C_IN);
		q[2] = (uint8_t)(ops[i] << 3 | 1); /* RD */
		routed_name[0] = '\0';
		n = iso_dns_answer(q, qend, a, sizeof(a));
		ck_assert_int_gt(n, 0);
		ck_assert_uint_eq(a[2], 0x80 | (q[2] & 0x79));
		ck_assert_uint_eq(a[3] & 0x0f, 4);
		ck_assert_uint_eq(a[7], 0); /* ANCOUNT */
		ck_assert_str_eq(routed_name, "");
	}
}
END_TEST

/* Header bits: ID and RD echoed, opcode kept, AA/TC/Z/AD/CD cleared. */
START_TEST(header_bits)
{
	uint8_t q[512], a[512];
	size_t qend;
	int n;

	qend = query(q, "www.example.com", T_A, C_IN);
	wr16(q, 0x1234);
	q[2] = 0x06; /* AA, TC, no RD */
	q[3] = 0x7f; /* Z, AD, CD, an RCODE */
	n = iso_dns_answer(q, qend, a, sizeof(a));
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(rd16(a), 0x1234);
	ck_assert_uint_eq(a[2], 0x80);
	ck_assert_uint_eq(a[3], 0x80);
	assert_record(a, n, qend, T_A);
	/* a response is not answered */
	q[2] = 0x81;
	ck_assert_int_eq(iso_dns_answer(q, qend, a, sizeof(a)), -EINVAL);
}
END_TEST

/* EDNS (RFC 6891): the OPT record after the question is not echoed. */
START_TEST(edns_opt)
{
	uint8_t q[512], a[512];
	struct net_ip ip;
	size_t qend;
	int n;

	qend = query(q, "www.example.com", T_AAAA, C_IN);
	wr16(q + 10, 1); /* ARCOUNT */
	memset(q + qend, 0, 11);
	wr16(q + qend + 1, T_OPT);
	wr16(q + qend + 3, 1232); /* UDP payload size */
	n = iso_dns_answer(q, qend + 11, a, sizeof(a));
	assert_header(a, n, q, qend, 0, 1);
	ip = assert_record(a, n, qend, T_AAAA);
	ck_assert(in_net("fd53:6f63:6b73::/64", &ip));
}
END_TEST

/* Two questions: the first one is answered, QDCOUNT 1. */
START_TEST(two_questions)
{
	uint8_t q[512], a[512];
	size_t qend, n2;
	int n;

	qend = query(q, "www.example.com", T_A, C_IN);
	n2 = qend + qname(q + qend, "other.example");
	wr16(q + n2, T_A);
	wr16(q + n2 + 2, C_IN);
	wr16(q + 4, 2);
	n = iso_dns_answer(q, n2 + 4, a, sizeof(a));
	ck_assert_int_eq(n, (int)qend + 16);
	ck_assert_uint_eq(rd16(a + 4), 1);
	ck_assert_uint_eq(rd16(a + 6), 1);
	ck_assert_str_eq(routed_name, "www.example.com");
}
END_TEST

/* Short, truncated and malformed queries are dropped (-EINVAL). */
START_TEST(malformed)
{
	uint8_t q[512], a[512];
	size_t qend, i;

	qend = query(q, "www.example.com", T_A, C_IN);
	for (i = 0; i < qend; i++) /* cut anywhere */
		ck_assert_int_eq(iso_dns_answer(q, i, a, sizeof(a)), -EINVAL);
	wr16(q + 4, 0); /* no question */
	ck_assert_int_eq(iso_dns_answer(q, qend, a, sizeof(a)), -EINVAL);
	qend = query(q, "", T_A, C_IN); /* the root */
	ck_assert_int_eq(iso_dns_answer(q, qend, a, sizeof(a)), -EINVAL);
	qend = query(q, "a.b", T_A, C_IN);
	q[12] = 0x41; /* a label type 01 (RFC 6891: EDNS labels) */
	ck_assert_int_eq(iso_dns_answer(q, qend, a, sizeof(a)), -EINVAL);
	qend = query(q, "a b.example", T_A, C_IN); /* a space */
	ck_assert_int_eq(iso_dns_answer(q, qend, a, sizeof(a)), -EINVAL);
	ck_assert_int_eq(routed_calls, 0);
}
END_TEST

/* A compression pointer in the question (RFC 1035 4.1.4) is not
 * followed: the query is dropped. */
START_TEST(compression_pointer)
{
	uint8_t q[512], a[512];
	size_t qend, n;

	/* "www" then a pointer to "example.com" placed after the question:
	 * 12: 03 www  16: c0 16  18: type class  22: 07 example 03 com 00 */
	qend = query(q, "www", T_A, C_IN);
	ck_assert_uint_eq(qend, 21);
	q[16] = 0xc0;
	q[17] = 22;
	wr16(q + 18, T_A);
	wr16(q + 20, C_IN);
	n = 22 + qname(q + 22, "example.com");
	ck_assert_int_eq(iso_dns_answer(q, n, a, sizeof(a)), -EINVAL);
	/* a pointer as the whole name */
	q[12] = 0xc0;
	q[13] = 12;
	wr16(q + 14, T_A);
	wr16(q + 16, C_IN);
	ck_assert_int_eq(iso_dns_answer(q, 18, a, sizeof(a)), -EINVAL);
	ck_assert_int_eq(routed_calls, 0);
}
END_TEST

/* @n letters @c. */
static void letters(char *p, int c, size_t n)
{
	memset(p, c, n);
	p[n] = '\0';
}

/* Names at the limits: labels of 63, names of 253 characters. */
START_TEST(length_limits)
{
	char name[300];
	uint8_t q[512], a[512];
	struct net_ip ip;
	size_t qend;

	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
	letters(name, 'a', 63);
	name[63] = '.';
	letters(name + 64, 'b', 63);
	name[127] = '.';
	letters(name + 128, 'c', 63);
	name[191] = '.';
	letters(name + 192, 'd', 61);
	ck_assert_uint_eq(strlen(name), 253);
	ip = ask(name, T_A);
	ck_assert(in_net("198.18.0.0/15", &ip));
	ck_assert_str_eq(routed_name, name);
	ip = ask(name, T_AAAA);
	ck_assert(in_net("fd53:6f63:6b73::/64", &ip));
	/* 254: one too many */
	letters(name + 192, 'd', 62);
	qend = query(q, name, T_A, C_IN);
	ck_assert_int_eq(iso_dns_answer(q, qend, a, sizeof(a)), -EINVAL);
	/* a label of 64 */
	letters(name, 'e', 64);
	qend = query(q, name, T_A, C_IN);
	ck_assert_int_eq(iso_dns_answer(q, qend, a, sizeof(a)), -EINVAL);
	/* a label of 63 alone */
	letters(name, 'e', 63);
	ip = ask(name, T_A);
	ck_assert(in_net("198.18.0.0/15", &ip));
}
END_TEST

/* The answer must fit @cap: room for the question and an AAAA record,
 * else -EINVAL. */
START_TEST(capacity)
{
	uint8_t q[512], a[512];
	size_t qend = query(q, "www.example.com", T_AAAA, C_IN), cap;
	int n;

	for (cap = 0; cap < qend + 28; cap++)
		ck_assert_int_eq(iso_dns_answer(q, qend, a, cap), -EINVAL);
	n = iso_dns_answer(q, qend, a, qend + 28);
	ck_assert_int_eq(n, (int)qend + 28);
	assert_record(a, n, qend, T_AAAA);
}
END_TEST

static Suite *iso_dns_suite(void)
{
	Suite *s = suite_create("iso_dns");
	TCase *tc = tcase_create("answer");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, a_fake);
	tcase_add_test(tc, aaaa_fake);
	tcase_add_test(tc, networks_and_case);
	tcase_add_test(tc, localhost);
	tcase_add_test(tc, other_types);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, table_full);
	tcase_add_test(tc, other_types_spend_nothing);
	tcase_add_test(tc, opcode_notimp);
	tcase_add_test(tc, header_bits);
	tcase_add_test(tc, edns_opt);
	tcase_add_test(tc, two_questions);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, compression_pointer);
	tcase_add_test(tc, length_limits);
	tcase_add_test(tc, capacity);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(iso_dns_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
