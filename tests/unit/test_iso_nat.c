/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/isolate/iso_nat.c (the program <-> lwIP connection
 * translation) and src/isolate/iso_csum.c (lwIP's checksum, replaced).
 * Checksums are verified with this file's own RFC 1071 code over the
 * real pseudo-header, not with the code under test.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/net.h"
#include "isolate/iso_nat.h"

uint16_t lwip_standard_chksum(const void *dataptr, int len);

/* ---- an independent checksum and packet builder ---------------------- */

static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Does the packet's TCP checksum (and IPv4 header checksum) verify? */
static bool ref_valid(const uint8_t *pkt, size_t len)
{
	uint32_t sum;
	size_t hl;

	if (pkt[0] >> 4 == 4) {
		hl = (size_t)(pkt[0] & 15) * 4;
		if (ref_fold(ref_sum(0, pkt, hl)) != 0xffff)
			return false;
		sum = ref_sum(0, pkt + 12, 8);
	} else {
		hl = 40;
		sum = ref_sum(0, pkt + 8, 32);
	}
	sum += 6 + (uint32_t)(len - hl);
	return ref_fold(ref_sum(sum, pkt + hl, len - hl)) == 0xffff;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A TCP segment @src:@sport -> @dst:@dport with @plen payload bytes and
 * correct checksums, into @out.  Returns its length. */
static size_t mk_tcp(uint8_t *out, const char *src, uint16_t sport,
		     const char *dst, uint16_t dport, size_t plen)
{
	struct net_ip s, d;
	size_t hl, i;
	uint32_t sum;
	uint8_t *t;

	ck_assert_int_eq(net_ip_parse(src, &s), 0);
	ck_assert_int_eq(net_ip_parse(dst, &d), 0);
	if (s.family == AF_INET) {
		hl = 20;
		memset(out, 0, 20);
		out[0] = 0x45;
		put16(out + 2, (uint16_t)(40 + plen));
		out[8] = 64;
		out[9] = 6;
		memcpy(out + 12, s.b, 4);
		memcpy(out + 16, d.b, 4);
		put16(out + 10, (uint16_t)~ref_fold(ref_sum(0, out, 20)));
		sum = ref_sum(0, out + 12, 8);
	} else {
		hl = 40;
		memset(out, 0, 40);
		out[0] = 0x60;
		put16(out + 4, (uint16_t)(20 + plen));
		out[6] = 6;
		out[7] = 64;
		memcpy(out + 8, s.b, 16);
		memcpy(out + 24, d.b, 16);
		sum = ref_sum(0, out + 8, 32);
	}
	t = out + hl;
	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	put16(t + 4, 0x1234);
	t[12] = 5 << 4;
	t[13] = 0x18;
	put16(t + 14, 65535);
	for (i = 0; i < plen; i++)
		t[20 + i] = (uint8_t)(i * 7 + 3);
	sum += 6 + (uint32_t)(20 + plen);
	put16(t + 16, (uint16_t)~ref_fold(ref_sum(sum, t, 20 + plen)));
	ck_assert(ref_valid(out, hl + 20 + plen));
	return hl + 20 + plen;
}

static struct net_ip ip(const char *s)
{
	struct net_ip a;

	ck_assert_int_eq(net_ip_parse(s, &a), 0);
	return a;
}

#define GW4 "10.255.255.1"
#define GW6 "fd00:736f:636b::1"
#define P4 "10.255.255.2"
#define P6 "fd00:736f:636b::2"

static void setup(void)
{
	struct net_ip g4 = ip(GW4), g6 = ip(GW6);

	iso_nat_init(&g4, &g6);
}

/* ---- translation ------------------------------------------------------ */

static const struct {
	const char *p, *x, *gw;
	size_t plen;
} nat_cases[] = {
	{P4, "203.0.113.9", GW4, 0},	       {P4, "198.18.0.77", GW4, 1460},
	{P4, "198.51.100.255", GW4, 1},	       {P6, "2001:db8::9", GW6, 0},
	{P6, "2001:db8:ffff::abcd", GW6, 999}, {P4, "255.255.255.255", GW4, 3},
};

/* The program's segment reaches lwIP as P:nport -> GW:dport, lwIP's
 * answer reaches the program as X:dport -> P:sport, checksums right. */
START_TEST(nat_both_ways)
{
	struct net_ip p = ip(nat_cases[_i].p), x = ip(nat_cases[_i].x);
	uint8_t pkt[1600], back[1600], save[ISO_NAT_SAVE];
	size_t len, blen, hl = p.family == AF_INET ? 20 : 40;
	int nport;

	nport = iso_nat_add(&p, 40000, &x, 443);
	ck_assert_int_ge(nport, ISO_NAT_PORT_MIN);
	len = mk_tcp(pkt, nat_cases[_i].p, 40000, nat_cases[_i].x, 443,
		     nat_cases[_i].plen);
	ck_assert_int_eq(iso_nat_in(pkt, len), 1);
	ck_assert(ref_valid(pkt, len));
	ck_assert_uint_eq(get16(pkt + hl), (unsigned)nport);
	ck_assert_uint_eq(get16(pkt + hl + 2), 443);
	{
		struct net_ip g = ip(nat_cases[_i].gw);

		ck_assert_mem_eq(pkt + (hl == 20 ? 16 : 24), g.b,
				 hl == 20 ? 4 : 16);
		ck_assert_mem_eq(pkt + (hl == 20 ? 12 : 8), p.b,
				 hl == 20 ? 4 : 16);
	}
	/* lwIP's answer */
	blen = mk_tcp(back, nat_cases[_i].gw, 443, nat_cases[_i].p,
		      (uint16_t)nport, nat_cases[_i].plen);
	memcpy(pkt, back, blen);
	ck_assert_int_eq(iso_nat_out(pkt, blen, save), 1);
	ck_assert(ref_valid(pkt, blen));
	ck_assert_uint_eq(get16(pkt + hl), 443);
	ck_assert_uint_eq(get16(pkt + hl + 2), 40000);
	ck_assert_mem_eq(pkt + (hl == 20 ? 12 : 8), x.b, hl == 20 ? 4 : 16);
	/* what the caller puts back is lwIP's packet */
	memcpy(pkt, save, blen < ISO_NAT_SAVE ? blen : ISO_NAT_SAVE);
	ck_assert_mem_eq(pkt, back, blen);
}
END_TEST

START_TEST(nat_unknown_and_other)
{
	struct net_ip p = ip(P4), x = ip("203.0.113.9");
	uint8_t pkt[1600], save[ISO_NAT_SAVE];
	size_t len;
	int nport = iso_nat_add(&p, 40000, &x, 443);

	/* another port, another address, another destination port */
	len = mk_tcp(pkt, P4, 40001, "203.0.113.9", 443, 10);
	ck_assert_int_eq(iso_nat_in(pkt, len), -ENOENT);
	len = mk_tcp(pkt, P4, 40000, "203.0.113.8", 443, 10);
	ck_assert_int_eq(iso_nat_in(pkt, len), -ENOENT);
	len = mk_tcp(pkt, P4, 40000, "203.0.113.9", 444, 10);
	ck_assert_int_eq(iso_nat_in(pkt, len), -ENOENT);
	/* lwIP's side: a wrong nport, source port, source or family */
	len = mk_tcp(pkt, GW4, 443, P4, (uint16_t)(nport + 1), 0);
	ck_assert_int_eq(iso_nat_out(pkt, len, save), -ENOENT);
	len = mk_tcp(pkt, GW4, 444, P4, (uint16_t)nport, 0);
	ck_assert_int_eq(iso_nat_out(pkt, len, save), -ENOENT);
	len = mk_tcp(pkt, "10.255.255.3", 443, P4, (uint16_t)nport, 0);
	ck_assert_int_eq(iso_nat_out(pkt, len, save), -ENOENT);
	len = mk_tcp(pkt, GW6, 443, P6, (uint16_t)nport, 0);
	ck_assert_int_eq(iso_nat_out(pkt, len, save), -ENOENT);
	/* not TCP: untouched */
	len = mk_tcp(pkt, P4, 40000, "203.0.113.9", 443, 10);
	pkt[9] = 17;
	ck_assert_int_eq(iso_nat_in(pkt, len), 0);
	ck_assert_int_eq(iso_nat_in(pkt, 10), 0); /* short */
	/* a later IPv4 fragment: dropped */
	len = mk_tcp(pkt, P4, 40000, "203.0.113.9", 443, 10);
	pkt[7] = 1;
	ck_assert_int_eq(iso_nat_in(pkt, len), -ENOENT);
	/* a TCP header cut short */
	len = mk_tcp(pkt, P4, 40000, "203.0.113.9", 443, 0);
	ck_assert_int_eq(iso_nat_in(pkt, 30), -ENOENT);
}
END_TEST

/* A new connection with the same program 4-tuple gets a new nport; the
 * old one still reaches the program until it expires. */
START_TEST(nat_supersede_and_expire)
{
	struct net_ip p = ip(P4), x = ip("203.0.113.9");
	uint8_t pkt[1600], save[ISO_NAT_SAVE];
	size_t len, hl = 20;
	int a, b;

	a = iso_nat_add(&p, 40000, &x, 80);
	iso_nat_release((uint16_t)a, 1000);
	b = iso_nat_add(&p, 40000, &x, 80);
	ck_assert_int_ne(a, b);
	len = mk_tcp(pkt, P4, 40000, "203.0.113.9", 80, 5);
	ck_assert_int_eq(iso_nat_in(pkt, len), 1);
	ck_assert_uint_eq(get16(pkt + hl), (unsigned)b);
	len = mk_tcp(pkt, GW4, 80, P4, (uint16_t)a, 0);
	ck_assert_int_eq(iso_nat_out(pkt, len, save), 1);
	/* expiry: nothing before the linger ends, then a */
	ck_assert_uint_eq(iso_nat_expire(1000 + ISO_NAT_LINGER_MS - 1), 2);
	ck_assert_uint_eq(iso_nat_expire(1000 + ISO_NAT_LINGER_MS), 1);
	len = mk_tcp(pkt, GW4, 80, P4, (uint16_t)a, 0);
	ck_assert_int_eq(iso_nat_out(pkt, len, save), -ENOENT);
	len = mk_tcp(pkt, P4, 40000, "203.0.113.9", 80, 5);
	ck_assert_int_eq(iso_nat_in(pkt, len), 1); /* b lives */
	/* releasing twice lingers once */
	iso_nat_release((uint16_t)b, 5000);
	iso_nat_release((uint16_t)b, 900000);
	ck_assert_uint_eq(iso_nat_expire(5000 + ISO_NAT_LINGER_MS), 0);
	ck_assert_int_eq(iso_nat_in(pkt, len), -ENOENT);
}
END_TEST

/* Every nport taken: -ENOSPC; one freed: it is handed out again. */
START_TEST(nat_exhaustion)
{
	struct net_ip p = ip(P6), x = ip("2001:db8::1");
	const int span = 65536 - ISO_NAT_PORT_MIN;
	int i, n, last = 0;

	for (i = 0; i < span; i++) {
		n = iso_nat_add(&p, (uint16_t)(i % 60000 + 1), &x,
				(uint16_t)(i / 60000 + 1));
		ck_assert_int_ge(n, ISO_NAT_PORT_MIN);
		ck_assert_int_le(n, 65535);
		last = n;
	}
	ck_assert_int_eq(iso_nat_add(&p, 1, &x, 9), -ENOSPC);
	iso_nat_release((uint16_t)last, 0);
	ck_assert_uint_eq(iso_nat_expire(ISO_NAT_LINGER_MS), (size_t)span - 1);
	ck_assert_int_eq(iso_nat_add(&p, 1, &x, 9), last);
}
END_TEST

/* ---- lwip_standard_chksum -------------------------------------------- */

/* lwIP's algorithm 2, as its contract says: native 16-bit words, an odd
 * start swapped. */
static uint16_t ref_lwip(const uint8_t *pb, int len)
{
	uint16_t t = 0, w;
	uint32_t sum = 0;
	int odd = (int)((uintptr_t)pb & 1);

	if (odd && len > 0) {
		((uint8_t *)&t)[1] = *pb++;
		len--;
	}
	for (; len > 1; len -= 2, pb += 2) {
		memcpy(&w, pb, 2);
		sum += w;
	}
	if (len > 0)
		((uint8_t *)&t)[0] = *pb;
	sum += t;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	if (odd)
		sum = ((sum & 0xff) << 8) | ((sum & 0xff00) >> 8);
	return (uint16_t)sum;
}

START_TEST(csum_matches_lwip)
{
	static uint8_t buf[65536 + 64];
	unsigned seed = 12345;
	int off, len;
	size_t i;

	for (i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 300; len++)
			ck_assert_uint_eq(lwip_standard_chksum(buf + off, len),
					  ref_lwip(buf + off, len));
	for (off = 0; off < 3; off++) {
		ck_assert_uint_eq(lwip_standard_chksum(buf + off, 65535),
				  ref_lwip(buf + off, 65535));
		ck_assert_uint_eq(lwip_standard_chksum(buf + off, 1460),
				  ref_lwip(buf + off, 1460));
	}
	/* all ones: the carries */
	memset(buf, 0xff, 65536);
	ck_assert_uint_eq(lwip_standard_chksum(buf, 65535),
			  ref_lwip(buf, 65535));
	ck_assert_uint_eq(lwip_standard_chksum(buf + 1, 65534),
			  ref_lwip(buf + 1, 65534));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("iso_nat");
	TCase *t = tcase_create("nat");

	tcase_add_checked_fixture(t, setup, NULL);
	tcase_add_loop_test(t, nat_both_ways, 0,
			    (int)(sizeof(nat_cases) / sizeof(nat_cases[0])));
	tcase_add_test(t, nat_unknown_and_other);
	tcase_add_test(t, nat_supersede_and_expire);
	tcase_add_test(t, nat_exhaustion);
	suite_add_tcase(s, t);
	t = tcase_create("csum");
	tcase_add_test(t, csum_matches_lwip);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
