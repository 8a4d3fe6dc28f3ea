/* SPDX-License-Identifier: MIT */
/*
 * struct socks_addr helpers: sizes, sockaddr conversions, text.  Pure: no
 * I/O, no allocation, no global state (inet_ntop only).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "proto/addr.h"

/*
 * Encoded size of ATYP + ADDR + PORT: 7 for IPv4, 19 for IPv6, 4 + len for
 * a domain name, 0 for an unset or unknown type.
 */
size_t socks_addr_wire_len(const struct socks_addr *a)
{
	switch (a->type) {
	case SOCKS5_ATYP_IPV4:
		return 1 + 4 + 2;
	case SOCKS5_ATYP_IPV6:
		return 1 + 16 + 2;
	case SOCKS5_ATYP_DOMAINNAME:
		return 1 + 1 + (size_t)a->len + 2;
	default:
		return 0;
	}
}

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
					    0, 0, 0, 0, 0xff, 0xff};

/* RFC 2133's sockaddr_in6 (no sin6_scope_id): the shortest the kernel
 * takes (its SIN6_LEN_RFC2133). */
#define ADDR_SIN6_LEN_MIN 24

/*
 * Fill @a from an AF_INET or AF_INET6 sockaddr of @salen bytes.  The port is
 * converted to host order; a v4-mapped IPv6 address becomes IPV4.  Lengths
 * are the kernel's: at least 16 bytes for AF_INET, 24 (RFC 2133) for
 * AF_INET6; bytes beyond the family's struct are ignored.
 * Returns 0, -EAFNOSUPPORT for another family (or NULL), -EINVAL when
 * @salen is too short for the family.
 */
int socks_addr_from_sockaddr(struct socks_addr *a, const struct sockaddr *sa,
			     socklen_t salen)
{
	if (!sa || salen < (socklen_t)sizeof(sa_family_t))
		return -EAFNOSUPPORT;

	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;

		if (salen < (socklen_t)sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		socks_addr_set_ip4(a, (const uint8_t *)&sin.sin_addr,
				   ntohs(sin.sin_port));
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;
		const uint8_t *ip;

		if (salen < ADDR_SIN6_LEN_MIN)
			return -EINVAL;
		memset(&sin6, 0, sizeof(sin6));
		memcpy(&sin6, sa,
		       salen < sizeof(sin6) ? (size_t)salen : sizeof(sin6));
		ip = (const uint8_t *)&sin6.sin6_addr;
		if (memcmp(ip, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0)
			socks_addr_set_ip4(a, ip + 12, ntohs(sin6.sin6_port));
		else
			socks_addr_set_ip6(a, ip, ntohs(sin6.sin6_port));
		return 0;
	}
	return -EAFNOSUPPORT;
}

/*
 * Write @a as sockaddr_in / sockaddr_in6 into @ss (zeroed first) and its size
 * into *@len.  Returns 0, or -EAFNOSUPPORT for a name or an unset address.
 */
int socks_addr_to_sockaddr(const struct socks_addr *a,
			   struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->type == SOCKS5_ATYP_IPV4) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(a->port);
		memcpy(&sin.sin_addr, a->u.ip4, 4);
		memcpy(ss, &sin, sizeof(sin));
		*len = sizeof(sin);
		return 0;
	}
	if (a->type == SOCKS5_ATYP_IPV6) {
		struct sockaddr_in6 sin6;

		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(a->port);
		memcpy(&sin6.sin6_addr, a->u.ip6, 16);
		memcpy(ss, &sin6, sizeof(sin6));
		*len = sizeof(sin6);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/*
 * Set @a to the domain @name of @len bytes.  The whole struct is zeroed
 * first, so equal addresses compare equal with memcmp().  Returns 0, or
 * -EINVAL for a length outside 1..255 or a NUL byte in the name.
 */
int socks_addr_set_name(struct socks_addr *a, const char *name, size_t len,
			uint16_t port)
{
	if (!name || len < 1 || len > SOCKS5_DOMAIN_MAX ||
	    memchr(name, 0, len) != NULL)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->type = SOCKS5_ATYP_DOMAINNAME;
	a->len = (uint8_t)len;
	a->port = port;
	memcpy(a->u.name, name, len);
	return 0;
}

/* Set @a to IPv4 @ip (network order) and @port; the struct is zeroed first. */
void socks_addr_set_ip4(struct socks_addr *a, const uint8_t ip[4],
			uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->type = SOCKS5_ATYP_IPV4;
	a->port = port;
	memcpy(a->u.ip4, ip, 4);
}

/* Set @a to IPv6 @ip (network order) and @port; the struct is zeroed first. */
void socks_addr_set_ip6(struct socks_addr *a, const uint8_t ip[16],
			uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->type = SOCKS5_ATYP_IPV6;
	a->port = port;
	memcpy(a->u.ip6, ip, 16);
}

/*
 * True for 0.0.0.0, :: and an unset address (which is sent as 0.0.0.0);
 * false for any domain name.
 */
int socks_addr_is_zero(const struct socks_addr *a)
{
	size_t n, i;

	switch (a->type) {
	case SOCKS5_ATYP_IPV4:
		n = 4;
		break;
	case SOCKS5_ATYP_IPV6:
		n = 16;
		break;
	case SOCKS5_ATYP_DOMAINNAME:
		return 0;
	default:
		return 1;
	}
	for (i = 0; i < n; i++)
		if (a->u.ip6[i] != 0)
			return 0;
	return 1;
}

/* A bounded text writer: never writes past cap - 1, always NUL-terminates. */
struct textbuf {
	char *p;
	size_t cap;
	size_t pos;
};

static void tb_putc(struct textbuf *tb, char c)
{
	if (tb->pos + 1 < tb->cap)
		tb->p[tb->pos++] = c;
	tb->p[tb->pos] = '\0';
}

static void tb_puts(struct textbuf *tb, const char *s)
{
	while (*s)
		tb_putc(tb, *s++);
}

static void tb_putu(struct textbuf *tb, unsigned int v)
{
	char digits[10];
	size_t n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(digits));
	while (n)
		tb_putc(tb, digits[--n]);
}

/*
 * Format @a into @buf of @cap bytes: "1.2.3.4:80", "[2001:db8::1]:80",
 * "name:80", or "unset".  Name bytes outside printable ASCII (0x21..0x7e)
 * become '?', so an untrusted name cannot inject control characters.  The
 * output is truncated (and still NUL-terminated) when @cap is too small;
 * @cap == 0 writes nothing.  Returns @buf.
 */
char *socks_addr_format(const struct socks_addr *a, char *buf, size_t cap)
{
	struct textbuf tb = {buf, cap, 0};
	char ip6[INET6_ADDRSTRLEN];
	size_t i;

	if (cap == 0)
		return buf;
	buf[0] = '\0';
	switch (a->type) {
	case SOCKS5_ATYP_IPV4:
		for (i = 0; i < 4; i++) {
			if (i)
				tb_putc(&tb, '.');
			tb_putu(&tb, a->u.ip4[i]);
		}
		break;
	case SOCKS5_ATYP_IPV6:
		if (!inet_ntop(AF_INET6, a->u.ip6, ip6, sizeof(ip6)))
			ip6[0] = '\0';
		tb_putc(&tb, '[');
		tb_puts(&tb, ip6);
		tb_putc(&tb, ']');
		break;
	case SOCKS5_ATYP_DOMAINNAME:
		for (i = 0; i < a->len; i++) {
			unsigned char c = (unsigned char)a->u.name[i];

			tb_putc(&tb, (c > 0x20 && c < 0x7f) ? (char)c : '?');
		}
		break;
	default:
		tb_puts(&tb, "unset");
		return buf;
	}
	tb_putc(&tb, ':');
	tb_putu(&tb, a->port);
	return buf;
}

static int name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/*
 * True if @name (@len bytes) is 1..255 bytes of [A-Za-z0-9._-] and does not
 * start with '.' or '-'.  Locale-independent.
 */
int socks_name_is_valid(const char *name, size_t len)
{
	size_t i;

	if (!name || len < 1 || len > SOCKS5_DOMAIN_MAX)
		return 0;
	if (name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < len; i++)
		if (!name_char_ok((unsigned char)name[i]))
			return 0;
	return 1;
}
