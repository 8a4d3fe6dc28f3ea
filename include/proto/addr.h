/* SPDX-License-Identifier: MIT */
/*
 * struct socks_addr: one destination or bound address as SOCKS carries it:
 * an IPv4 or IPv6 address, or a domain name, plus a port.  Conversions to and
 * from struct sockaddr and to text.  Pure: no I/O, no allocation.
 */
#ifndef SOCKSIFY_PROTO_ADDR_H
#define SOCKSIFY_PROTO_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/consts.h"

struct socks_addr {
	uint8_t type;  /* SOCKS5_ATYP_IPV4, _IPV6, _DOMAINNAME, or 0 = unset */
	uint8_t len;   /* name length 1..255 when type is DOMAINNAME */
	uint16_t port; /* host byte order */
	union {
		uint8_t ip4[4];
		uint8_t ip6[16];
		char name[SOCKS5_DOMAIN_MAX + 1]; /* NUL-terminated copy */
	} u;
};

/* Longest text socks_addr_format() writes: "[v6]:65535" or "name:65535". */
#define SOCKS_ADDR_STRLEN (SOCKS5_DOMAIN_MAX + 8)

/* Encoded size of the address part (ATYP + ADDR + PORT); 0 if type unset. */
size_t socks_addr_wire_len(const struct socks_addr *a);

/*
 * Fill @a from an AF_INET or AF_INET6 sockaddr.  A v4-mapped IPv6 address
 * (::ffff:a.b.c.d) becomes IPV4.  Returns 0, -EAFNOSUPPORT (other family or
 * NULL), or -EINVAL when @salen is too short for the family.
 */
int socks_addr_from_sockaddr(struct socks_addr *a, const struct sockaddr *sa,
			     socklen_t salen);

/*
 * Write @a as a sockaddr (sockaddr_in or sockaddr_in6) into @ss; *len gets
 * its size.  Returns 0, or -EAFNOSUPPORT for a domain name or unset address.
 */
int socks_addr_to_sockaddr(const struct socks_addr *a,
			   struct sockaddr_storage *ss, socklen_t *len);

/*
 * Set @a to the domain @name of @len bytes (1..255, no NUL byte).
 * Returns 0 or -EINVAL.  The set_* functions zero the whole struct first, so
 * equal addresses compare equal with memcmp(); decoders do the same.
 */
int socks_addr_set_name(struct socks_addr *a, const char *name, size_t len,
			uint16_t port);

/* Set @a to an IPv4 address given as 4 bytes in network order. */
void socks_addr_set_ip4(struct socks_addr *a, const uint8_t ip[4],
			uint16_t port);
/* Set @a to an IPv6 address given as 16 bytes in network order. */
void socks_addr_set_ip6(struct socks_addr *a, const uint8_t ip[16],
			uint16_t port);

/*
 * True when the address part is all zeros (0.0.0.0 or ::) for IP types, and
 * for an unset address (sent as 0.0.0.0); false for a domain name.
 */
int socks_addr_is_zero(const struct socks_addr *a);

/*
 * Format as "1.2.3.4:80", "[2001:db8::1]:80" or "name:80" into @buf
 * (@cap >= SOCKS_ADDR_STRLEN is always enough).  Untrusted names are written
 * with bytes outside 0x21..0x7e replaced by '?'.  An unset address gives
 * "unset".  A smaller @cap truncates (still NUL-terminated; 0 writes
 * nothing).  Returns @buf.
 */
char *socks_addr_format(const struct socks_addr *a, char *buf, size_t cap);

/*
 * True if @name (len bytes) looks like a host name we are willing to resolve:
 * 1..255 bytes of [A-Za-z0-9._-], not starting with '.', '-'.
 * Servers use it before resolution (protocol notes A.5).
 */
int socks_name_is_valid(const char *name, size_t len);

#endif
