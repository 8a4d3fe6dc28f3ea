/* SPDX-License-Identifier: MIT */
/*
 * Shared by the proto unit suites: one tagged union over every message the
 * codec handles, dispatching encode/decode wrappers, and the golden vectors
 * written byte by byte from the RFC diagrams.
 */
#ifndef SOCKSIFY_TESTS_PROTO_VEC_H
#define SOCKSIFY_TESTS_PROTO_VEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/proto.h"

enum msg_kind {
	K_S4_REQ,
	K_S4_REP,
	K_S5_GREET,
	K_S5_METHOD,
	K_S5_REQ,
	K_S5_REP,
	K_AUTH_REQ,
	K_AUTH_REP,
	K_UDP,
	K_S5_ADDR,
	K_COUNT
};

union msg {
	struct socks4_request s4req;
	struct socks4_reply s4rep;
	struct socks5_greeting greet;
	uint8_t method;
	struct socks5_request s5req;
	struct socks5_reply s5rep;
	struct auth1929_request auth;
	uint8_t status;
	struct socks5_udp_header udp;
	struct socks_addr addr;
};

#define VEC_MAX 600

struct vec {
	const char *name;
	enum msg_kind kind;
	/* encode(m) gives exactly bytes[0..len) */
	int canonical;
	size_t len;
	uint8_t bytes[VEC_MAX];
	union msg m;
};

const char *msg_kind_name(enum msg_kind k);
/* Size of the struct of kind @k inside union msg (what memcmp compares). */
size_t msg_size(enum msg_kind k);
ssize_t msg_decode(enum msg_kind k, const uint8_t *buf, size_t len,
		   union msg *m);
ssize_t msg_encode(enum msg_kind k, uint8_t *buf, size_t cap,
		   const union msg *m);
/*
 * Rewrite the bytes of a decoded message of kind @k, @n bytes long, into
 * the form our encoder produces (RSV 0, RFC 1929 reply VER 1, SOCKS4A
 * DSTIP 0.0.0.1), so that decode -> encode can be compared byte by byte.
 */
void msg_canonicalize(enum msg_kind k, uint8_t *buf, size_t n);

/* The golden vectors (built once; static storage). */
const struct vec *proto_vectors(size_t *count);

/* A 255-byte host name of [a-z.], NUL-terminated, for "longest" vectors. */
const char *name255(void);
/* 255 bytes of 'u'..., NUL-terminated: longest USERID / UNAME / PASSWD. */
const char *field255(char c);

/*
 * check's ck_assert_* record every passing assertion through a pipe in fork
 * mode: far too slow for millions of inputs.  Hot paths test by hand and
 * only call into check on failure.
 */
#define REQUIRE(cond, ...)                         \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0) /* needs <check.h> at the use site */

/* xorshift64: the suites' own deterministic PRNG (fixed seeds). */
static inline uint64_t xs64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

#endif
