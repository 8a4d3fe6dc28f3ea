/* SPDX-License-Identifier: MIT */
/*
 * The one table between errno and SOCKS reply codes (SPEC section 4,
 * protocol notes A.6).  Client side: REP/CD -> errno.  Server side:
 * errno / getaddrinfo error -> REP/CD.
 */
#ifndef SOCKSIFY_PROTO_ERRMAP_H
#define SOCKSIFY_PROTO_ERRMAP_H

#include <stdint.h>

/*
 * SOCKS5 REP -> errno: 00 -> 0, 01 -> ECONNREFUSED, 02 -> EACCES,
 * 03 -> ENETUNREACH, 04 -> EHOSTUNREACH, 05 -> ECONNREFUSED,
 * 06 -> ETIMEDOUT, 07 -> EOPNOTSUPP, 08 -> EAFNOSUPPORT,
 * anything else -> ECONNREFUSED.
 */
int socks5_rep_to_errno(uint8_t rep);
/* SOCKS4 CD -> errno: 90 -> 0, 91..93 and unknown -> ECONNREFUSED. */
int socks4_cd_to_errno(uint8_t cd);

/*
 * errno -> SOCKS5 REP: 0 -> 00; ECONNREFUSED, ECONNRESET -> 05;
 * ENETUNREACH, ENETDOWN -> 03; EHOSTUNREACH, EHOSTDOWN -> 04;
 * ETIMEDOUT -> 06; EACCES, EPERM -> 02; EAFNOSUPPORT, EPROTONOSUPPORT -> 08;
 * anything else -> 01.  A negative @err is read as -errno.
 */
uint8_t socks5_rep_from_errno(int err);
/* errno -> SOCKS4 CD: 0 -> 90, anything else -> 91. */
uint8_t socks4_cd_from_errno(int err);
/* getaddrinfo() EAI_* failure -> SOCKS5 REP (name not found -> 04). */
uint8_t socks5_rep_from_eai(int eai);

/* Static name of a REP code, e.g. "host unreachable". */
const char *socks5_rep_name(uint8_t rep);

#endif
