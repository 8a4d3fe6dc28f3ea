/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/isolate/iso_pkt.c's ICMP port unreachable
 * (iso_pkt_unreach): fields, checksums (computed here independently,
 * RFC 1071 over RFC 792 / RFC 4443 2.3), the quote cut at the minimum
 * MTU, and the errors.  The program-side effect (a connected socket's
 * ECONNREFUSED) is checked in tests/netns/isolate.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "isolate/iso_pkt.h"

/* RFC 1071 one's-complement sum, folded: 0xffff over a valid message
 * with its checksum field in. */
static uint16_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* A UDP datagram from @src:4000 to @dst:@dport with @dlen payload bytes
 * (iso_pkt_udp_reply writes from q.dst to q.src), parsed into @p. */
static size_t make_udp(const char *src, const char *dst, uint16_t dport,
		       size_t dlen, uint8_t *buf, size_t cap, struct iso_pkt *p)
{
	static uint8_t data[2000];
	struct iso_pkt q;
	int n;

	memset(&q, 0, sizeof(q));
	memset(data, 0xa5, sizeof(data));
	q.src.family = q.dst.family = strchr(src, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(q.src.family, dst, q.src.b), 1);
	ck_assert_int_eq(inet_pton(q.src.family, src, q.dst.b), 1);
	q.sport = dport;
	q.dport = 4000;
	n = iso_pkt_udp_reply(&q, data, dlen, buf, cap);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(iso_pkt_parse(buf, (size_t)n, p), 0);
	ck_assert_uint_eq(p->proto, IPPROTO_UDP);
	ck_assert_uint_eq(p->sport, 4000);
	ck_assert_uint_eq(p->dport, dport);
	return (size_t)n;
}

static void check_v4(size_t dlen)
{
	uint8_t in[2100], out[1280];
	struct iso_pkt p;
	size_t len = make_udp("10.255.255.2", "203.0.113.2", 9, dlen, in,
			      sizeof(in), &p);
	size_t quote = len < ISO_ICMP4_QUOTE_MAX ? len : ISO_ICMP4_QUOTE_MAX;
	int n = iso_pkt_unreach(&p, in, len, out, sizeof(out));

	ck_assert_int_eq(n, (int)(20 + 8 + quote));
	ck_assert_int_le(n, 576);
	ck_assert_uint_eq(out[0], 0x45);
	ck_assert_uint_eq((unsigned)(out[2] << 8 | out[3]), (unsigned)n);
	ck_assert_uint_eq(out[9], IPPROTO_ICMP);
	ck_assert_uint_eq(sum16(0, out, 20), 0xffff);
	ck_assert_mem_eq(out + 12, in + 16, 4); /* from the destination */
	ck_assert_mem_eq(out + 16, in + 12, 4); /* to the program */
	ck_assert_uint_eq(out[20], 3);		/* destination unreachable */
	ck_assert_uint_eq(out[21], 3);		/* port unreachable */
	ck_assert_uint_eq(sum16(0, out + 20, (size_t)n - 20), 0xffff);
	ck_assert_mem_eq(out + 24, "\0\0\0\0", 4);
	ck_assert_mem_eq(out + 28, in, quote);
}

static void check_v6(size_t dlen)
{
	uint8_t in[2100], out[1280];
	struct iso_pkt p;
	size_t len = make_udp("fd00:736f:636b::2", "2001:db8:2::2", 10, dlen,
			      in, sizeof(in), &p);
	size_t quote = len < ISO_ICMP6_QUOTE_MAX ? len : ISO_ICMP6_QUOTE_MAX;
	int n = iso_pkt_unreach(&p, in, len, out, sizeof(out));
	uint32_t ph = 0;
	size_t ml = (size_t)n - 40;
	uint8_t pseudo[40];

	ck_assert_int_eq(n, (int)(40 + 8 + quote));
	ck_assert_int_le(n, 1280);
	ck_assert_uint_eq(out[0] >> 4, 6);
	ck_assert_uint_eq((size_t)(out[4] << 8 | out[5]), ml);
	ck_assert_uint_eq(out[6], IPPROTO_ICMPV6);
	ck_assert_mem_eq(out + 8, in + 24, 16);
	ck_assert_mem_eq(out + 24, in + 8, 16);
	ck_assert_uint_eq(out[40], 1); /* destination unreachable */
	ck_assert_uint_eq(out[41], 4); /* port unreachable */
	/* RFC 8200 8.1 pseudo-header: addresses, length, next header */
	memcpy(pseudo, out + 8, 32);
	pseudo[32] = pseudo[33] = 0;
	pseudo[34] = (uint8_t)(ml >> 8);
	pseudo[35] = (uint8_t)ml;
	pseudo[36] = pseudo[37] = pseudo[38] = 0;
	pseudo[39] = IPPROTO_ICMPV6;
	ph = sum16(0, pseudo, 40);
	ck_assert_uint_eq(sum16(ph, out + 40, ml), 0xffff);
	ck_assert_mem_eq(out + 48, in, quote);
}

START_TEST(t_unreach_v4_small)
{
	check_v4(5);
	check_v4(0);
	check_v4(1); /* odd length: the checksum's padding byte */
}
END_TEST

START_TEST(t_unreach_v4_cut)
{
	check_v4(ISO_ICMP4_QUOTE_MAX - 28); /* just fits */
	check_v4(ISO_ICMP4_QUOTE_MAX - 27); /* one byte cut */
	check_v4(1400);
}
END_TEST

START_TEST(t_unreach_v6_small)
{
	check_v6(5);
	check_v6(0);
	check_v6(3);
}
END_TEST

START_TEST(t_unreach_v6_cut)
{
	check_v6(ISO_ICMP6_QUOTE_MAX - 48);
	check_v6(ISO_ICMP6_QUOTE_MAX - 47);
	check_v6(1452);
}
END_TEST

START_TEST(t_unreach_errors)
{
	uint8_t in[200], out[1280];
	struct iso_pkt p;
	size_t len = make_udp("10.255.255.2", "203.0.113.2", 9, 100, in,
			      sizeof(in), &p);

	/* The IP header and less than 8 bytes of it: nothing to quote. */
	ck_assert_int_eq(iso_pkt_unreach(&p, in, 27, out, sizeof(out)),
			 -EINVAL);
	ck_assert_int_eq(iso_pkt_unreach(&p, in, len, out, 20 + 8 + len - 1),
			 -ENOSPC);
	ck_assert_int_eq(iso_pkt_unreach(&p, in, len, out, 20 + 8 + len),
			 (int)(20 + 8 + len));
	len = make_udp("fd00:736f:636b::2", "2001:db8:2::2", 10, 100, in,
		       sizeof(in), &p);
	ck_assert_int_eq(iso_pkt_unreach(&p, in, 47, out, sizeof(out)),
			 -EINVAL);
	ck_assert_int_eq(iso_pkt_unreach(&p, in, len, out, 40 + 8 + len - 1),
			 -ENOSPC);
}
END_TEST

static Suite *iso_icmp_suite(void)
{
	Suite *s = suite_create("iso_icmp");
	TCase *tc = tcase_create("unreach");

	tcase_add_test(tc, t_unreach_v4_small);
	tcase_add_test(tc, t_unreach_v4_cut);
	tcase_add_test(tc, t_unreach_v6_small);
	tcase_add_test(tc, t_unreach_v6_cut);
	tcase_add_test(tc, t_unreach_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(iso_icmp_suite());
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK); /* pure functions */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
