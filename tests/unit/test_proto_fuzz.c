/* SPDX-License-Identifier: MIT */
/*
 * Deterministic random inputs for every decoder: at least 1,000,000 per
 * decoder (PROTO_FUZZ_N raises it), lengths 0..600, a quarter fully random
 * bytes, a quarter random bytes behind a plausible header, half mutations
 * of the golden vectors.  Each input is copied into a heap buffer of
 * exactly its length so that AddressSanitizer catches any read past len.
 * Checks: the result is 0..len or one of the errors this decoder may
 * return; a positive result re-encodes to the same bytes (after
 * canonicalisation of RSV, the RFC 1929 reply VER and the SOCKS4A DSTIP)
 * and decodes the same from exactly its own bytes.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto_vec.h"

#define FUZZ_MAXLEN 600
#define FUZZ_DEFAULT_N 1000000L

static const struct vec *V;
static size_t NV;
static long fuzz_n = FUZZ_DEFAULT_N;

static void setup(void)
{
	const char *e = getenv("PROTO_FUZZ_N");

	V = proto_vectors(&NV);
	if (e && atol(e) > FUZZ_DEFAULT_N)
		fuzz_n = atol(e);
}

#define E(x) (1u << (-(x)))

/* Errors each decoder may return (bit -code). */
static unsigned int allowed_errors(enum msg_kind k)
{
	switch (k) {
	case K_S4_REQ:
		return E(PROTO_E_VERSION) | E(PROTO_E_CMD) | E(PROTO_E_USERID) |
		       E(PROTO_E_NAME);
	case K_S5_GREET:
		return E(PROTO_E_VERSION) | E(PROTO_E_NMETHODS);
	case K_S5_REQ:
		return E(PROTO_E_VERSION) | E(PROTO_E_CMD) | E(PROTO_E_ATYP) |
		       E(PROTO_E_NAME);
	case K_S5_REP:
		return E(PROTO_E_VERSION) | E(PROTO_E_ATYP) | E(PROTO_E_NAME);
	case K_AUTH_REQ:
		return E(PROTO_E_VERSION) | E(PROTO_E_ULEN);
	case K_UDP:
		return E(PROTO_E_RSV) | E(PROTO_E_ATYP) | E(PROTO_E_NAME) |
		       E(PROTO_E_TRUNCATED);
	case K_S5_ADDR:
		return E(PROTO_E_ATYP) | E(PROTO_E_NAME);
	default: /* S4_REP, METHOD, AUTH_REP */
		return E(PROTO_E_VERSION);
	}
}

static void fill_random(uint64_t *s, uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t r = xs64(s);

		memcpy(p, &r, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t r = xs64(s);

		memcpy(p, &r, n);
	}
}

/* Make the first bytes look like the kind's header, so decoders go deep. */
static void plausible_header(uint64_t *s, enum msg_kind k, uint8_t *p, size_t n)
{
	static const uint8_t atyps[] = {1, 3, 4, 3};
	uint64_t r = xs64(s);
	uint8_t atyp = atyps[r % 4];

	r >>= 8;
	switch (k) {
	case K_S4_REQ:
		if (n > 0)
			p[0] = 4;
		if (n > 1)
			p[1] = (uint8_t)(1 + r % 2);
		if (n > 6 && (r & 0x100)) /* SOCKS4A */
			p[4] = p[5] = p[6] = 0;
		/* sprinkle NULs so USERID and names end sometimes */
		if (n > 8 && (r & 0x200))
			p[8 + (r >> 12) % (n - 8)] = 0;
		if (n > 8 && (r & 0x400))
			p[8 + (r >> 24) % (n - 8)] = 0;
		break;
	case K_S4_REP:
		if (n > 0)
			p[0] = 0;
		break;
	case K_S5_GREET:
	case K_S5_METHOD:
		if (n > 0)
			p[0] = 5;
		if (n > 1 && k == K_S5_GREET)
			p[1] = (uint8_t)(r % 2 ? p[1] : p[1] % 8);
		break;
	case K_S5_REQ:
	case K_S5_REP:
		if (n > 0)
			p[0] = 5;
		if (n > 1 && k == K_S5_REQ)
			p[1] = (uint8_t)(1 + r % 3);
		if (n > 3)
			p[3] = atyp;
		if (n > 4 && atyp == 3 && (r & 0x100))
			p[4] = (uint8_t)(n - 7 > 0 && n < 262 ? n - 7 : p[4]);
		break;
	case K_AUTH_REQ:
		if (n > 0)
			p[0] = 1;
		if (n > 1 && (r & 1))
			p[1] = (uint8_t)(p[1] % 32);
		if (n > 2 && p[1] + 2u < n && (r & 2))
			p[2 + p[1]] = (uint8_t)(p[2 + p[1]] % 32);
		break;
	case K_AUTH_REP:
		if (n > 0)
			p[0] = (r & 1) ? 1 : 5;
		break;
	case K_UDP:
		if (n > 0)
			p[0] = 0;
		if (n > 1)
			p[1] = 0;
		if (n > 3)
			p[3] = atyp;
		if (n > 4 && atyp == 3 && (r & 0x100))
			p[4] = (uint8_t)(n > 7 && n < 262 ? n - 7 : p[4]);
		break;
	default:
		if (n > 0)
			p[0] = atyp;
		break;
	}
}

/* Copy a golden vector of kind @k and mutate it; returns the length. */
static size_t mutate(uint64_t *s, enum msg_kind k, uint8_t *p)
{
	static const uint8_t interesting[] = {0, 1,    2,    3,	   4,
					      5, 0x7f, 0x80, 0xfe, 0xff};
	const struct vec *v;
	size_t len, idx, pos, i, nmut;
	uint64_t r;

	do {
		idx = (size_t)(xs64(s) % NV);
	} while (V[idx].kind != k);
	v = &V[idx];
	memcpy(p, v->bytes, v->len);
	len = v->len;
	nmut = 1 + xs64(s) % 4;
	for (i = 0; i < nmut; i++) {
		r = xs64(s);
		pos = len ? (size_t)((r >> 8) % len) : 0;
		switch (r % 7) {
		case 0: /* random byte */
			if (len)
				p[pos] = (uint8_t)(r >> 40);
			break;
		case 1: /* interesting byte */
			if (len)
				p[pos] = interesting[(r >> 40) %
						     sizeof(interesting)];
			break;
		case 2: /* truncate */
			len = len ? (size_t)((r >> 8) % len) : 0;
			break;
		case 3: /* append random bytes */
		{
			size_t add = (size_t)((r >> 8) % 64);

			if (len + add > FUZZ_MAXLEN)
				add = FUZZ_MAXLEN - len;
			fill_random(s, p + len, add);
			len += add;
			break;
		}
		case 4: /* insert a byte */
			if (len < FUZZ_MAXLEN) {
				memmove(p + pos + 1, p + pos, len - pos);
				p[pos] = (uint8_t)(r >> 40);
				len++;
			}
			break;
		case 5: /* delete a byte */
			if (len) {
				memmove(p + pos, p + pos + 1, len - pos - 1);
				len--;
			}
			break;
		default: /* flip one bit */
			if (len)
				p[pos] ^= (uint8_t)(1u << ((r >> 40) % 8));
			break;
		}
	}
	return len;
}

static ssize_t check_one(enum msg_kind k, const uint8_t *in, size_t len,
			 long iter)
{
	uint8_t out[VEC_MAX], canon[FUZZ_MAXLEN];
	union msg m, m2;
	ssize_t n, e;

	n = msg_decode(k, in, len, &m);
	if (n < 0) {
		REQUIRE(n >= PROTO_E_TRUNCATED && (allowed_errors(k) & E(n)),
			"%s iter %ld: len %zu gave error %zd", msg_kind_name(k),
			iter, len, n);
		return n;
	}
	REQUIRE((size_t)n <= len, "%s iter %ld: consumed %zd of %zu",
		msg_kind_name(k), iter, n, len);
	if (n == 0) {
		REQUIRE(k != K_UDP, "udp iter %ld: returned 0", iter);
		return 0;
	}
	/* re-encode: same bytes, once canonical */
	e = msg_encode(k, out, sizeof(out), &m);
	REQUIRE(e == n, "%s iter %ld: re-encode %zd, decoded %zd",
		msg_kind_name(k), iter, e, n);
	memcpy(canon, in, (size_t)n);
	msg_canonicalize(k, canon, (size_t)n);
	REQUIRE(memcmp(out, canon, (size_t)n) == 0,
		"%s iter %ld: re-encoded bytes differ", msg_kind_name(k), iter);
	/* exactly its own bytes decode the same */
	e = msg_decode(k, in, (size_t)n, &m2);
	REQUIRE(e == n && memcmp(&m, &m2, msg_size(k)) == 0,
		"%s iter %ld: prefix decode differs", msg_kind_name(k), iter);
	return n;
}

START_TEST(fuzz_decoder)
{
	enum msg_kind k = (enum msg_kind)_i;
	uint64_t s = 0x2545f4914f6cdd1dULL ^ ((uint64_t)(_i + 1) << 32);
	static uint8_t *exact[FUZZ_MAXLEN + 1];
	uint8_t scratch[FUZZ_MAXLEN];
	long iter, positive = 0, zero = 0, neg = 0;

	/*
	 * exact[n] is a heap buffer of exactly n bytes (malloc(0) for 0):
	 * AddressSanitizer flags any byte read at or past n.  Allocated once,
	 * so the loop costs no malloc/free (and no ASan quarantine churn).
	 */
	for (iter = 0; iter <= FUZZ_MAXLEN; iter++) {
		exact[iter] = malloc((size_t)iter);
		REQUIRE(exact[iter] != NULL || iter == 0, "malloc");
	}
	for (iter = 0; iter < fuzz_n; iter++) {
		uint64_t r = xs64(&s);
		size_t len;
		uint8_t *in;
		ssize_t n;

		if ((r & 3) < 2) {
			len = (size_t)((r >> 8) % (FUZZ_MAXLEN + 1));
			fill_random(&s, scratch, len);
			if ((r & 3) == 1)
				plausible_header(&s, k, scratch, len);
		} else {
			len = mutate(&s, k, scratch);
		}
		in = exact[len];
		if (len)
			memcpy(in, scratch, len);
		n = check_one(k, in, len, iter);
		if (n > 0)
			positive++;
		else if (n == 0)
			zero++;
		else
			neg++;
	}
	for (iter = 0; iter <= FUZZ_MAXLEN; iter++)
		free(exact[iter]);
	printf("%s: %ld inputs: %ld accepted, %ld need more, %ld rejected\n",
	       msg_kind_name(k), fuzz_n, positive, zero, neg);
	/* the generator must reach every outcome, or the test proves little */
	ck_assert_int_gt(positive, fuzz_n / 50);
	ck_assert_int_gt(neg, fuzz_n / 50);
	if (k != K_UDP)
		ck_assert_int_gt(zero, fuzz_n / 50);
}
END_TEST

static Suite *fuzz_suite(void)
{
	Suite *s = suite_create("proto_fuzz");
	TCase *tc = tcase_create("fuzz");

	tcase_add_unchecked_fixture(tc, setup, NULL);
	/* about a second per decoder; generous for ASan on a busy machine */
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, fuzz_decoder, 0, K_COUNT);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fuzz_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
