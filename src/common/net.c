/* SPDX-License-Identifier: MIT */
/*
 * Parsers and sockaddr helpers.  Pure: no I/O, no allocation, no name
 * resolution, no locale.  Every loop is bounded by the length of its input,
 * and every input is bounded by a fixed maximum before it is looked at.
 */
#include "config.h"

#include "common/chars.h"
#include "common/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* Longest numeric address text we look at ("ffff:...:255.255.255.255"). */
#define NET_IPTEXT_MAX 63

static const uint8_t net_v4mapped_prefix[12] = {[10] = 0xff, [11] = 0xff};

/*
 * Parse @len decimal digits at @s as a number <= @max.  No sign, no spaces,
 * at least one digit.  Returns the value or -1.
 */
static long net_parse_uint(const char *s, size_t len, long max)
{
	long v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (!chr_is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/*
 * Numeric address of exactly @len characters at @s.  Sets *@mapped when the
 * text was a v4-mapped IPv6 address (stored as AF_INET).  With @v6_only the
 * text must be an IPv6 address (used inside brackets).  Returns 0 or -EINVAL.
 */
static int net_ip_parse_n(const char *s, size_t len, bool v6_only,
			  struct net_ip *ip, bool *mapped)
{
	char tmp[NET_IPTEXT_MAX + 1];
	uint8_t b[16];

	*mapped = false;
	if (len == 0 || len > NET_IPTEXT_MAX)
		return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(ip, 0, sizeof(*ip));
	if (!v6_only && inet_pton(AF_INET, tmp, b) == 1) {
		ip->family = AF_INET;
		memcpy(ip->b, b, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, b) != 1)
		return -EINVAL;
	if (memcmp(b, net_v4mapped_prefix, 12) == 0) {
		ip->family = AF_INET;
		memcpy(ip->b, b + 12, 4);
		*mapped = true;
		return 0;
	}
	ip->family = AF_INET6;
	memcpy(ip->b, b, 16);
	return 0;
}

/* Parse a numeric address (v4, v6, v4-mapped -> AF_INET). 0 or -EINVAL. */
int net_ip_parse(const char *s, struct net_ip *ip)
{
	bool mapped;

	if (!s || !ip)
		return -EINVAL;
	return net_ip_parse_n(s, strlen(s), false, ip, &mapped);
}

/* v4-mapped IPv6 -> AF_INET, in place; anything else is left alone. */
void net_ip_unmap(struct net_ip *ip)
{
	uint8_t v4[4];

	if (ip->family != AF_INET6 ||
	    memcmp(ip->b, net_v4mapped_prefix, 12) != 0)
		return;
	memcpy(v4, ip->b + 12, 4);
	memset(ip, 0, sizeof(*ip));
	ip->family = AF_INET;
	memcpy(ip->b, v4, 4);
}

/*
 * Fill @ip (and *@port in host order, if @port is not NULL) from a socket
 * address of @len bytes.  v4-mapped v6 becomes AF_INET.  Every length the
 * kernel accepts is accepted, so that no address the kernel would use
 * escapes routing because this parser refused it:
 *   AF_INET   16 .. sizeof(struct sockaddr_storage) bytes;
 *   AF_INET6  24 (SIN6_LEN_RFC2133: RFC 2133's struct, no sin6_scope_id,
 *             the scope is then 0) .. sizeof(struct sockaddr_storage).
 * Bytes past the family's struct are ignored, as the kernel does.
 * Returns 0, -EAFNOSUPPORT for other families, -EINVAL when @len is too
 * short or longer than the kernel takes (it fails such calls with EINVAL
 * itself); @ip and @port are untouched on error.
 */
int net_ip_from_sockaddr(struct net_ip *ip, uint16_t *port,
			 const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (!sa || !ip || len < (socklen_t)sizeof(sa_family_t) ||
	    len > (socklen_t)sizeof(struct sockaddr_storage))
		return -EINVAL;
	switch (sa->sa_family) {
	case AF_INET:
		if (len < (socklen_t)sizeof(sin))
			return -EINVAL;
		memcpy(&sin, sa, sizeof(sin));
		memset(ip, 0, sizeof(*ip));
		ip->family = AF_INET;
		memcpy(ip->b, &sin.sin_addr, 4);
		if (port)
			*port = ntohs(sin.sin_port);
		return 0;
	case AF_INET6:
		if (len < NET_SIN6_LEN_MIN)
			return -EINVAL;
		memset(&sin6, 0, sizeof(sin6));
		memcpy(&sin6, sa, len < sizeof(sin6) ? len : sizeof(sin6));
		memset(ip, 0, sizeof(*ip));
		if (memcmp(&sin6.sin6_addr, net_v4mapped_prefix, 12) == 0) {
			ip->family = AF_INET;
			memcpy(ip->b, (const uint8_t *)&sin6.sin6_addr + 12, 4);
		} else {
			ip->family = AF_INET6;
			memcpy(ip->b, &sin6.sin6_addr, 16);
		}
		if (port)
			*port = ntohs(sin6.sin6_port);
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

/*
 * Build a socket address of @ip's own family with @port (host order) into
 * @ss.  Returns its length, or 0 for an unknown family.
 */
socklen_t net_ip_to_sockaddr(const struct net_ip *ip, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->family == AF_INET)
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, ip->b, 4);
	else if (ip->family == AF_INET6)
		memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, ip->b, 16);
	else
		return 0;
	ss->ss_family = (sa_family_t)ip->family;
	net_sa_set_port(ss, port);
	return net_sa_len(ss);
}

/*
 * Text form of @ip without port into @buf (INET6_ADDRSTRLEN is enough).
 * Always returns @buf; it holds "?" for an unknown family or a too small
 * @cap (and is empty when @cap < 2), so the result can go straight to %s.
 */
const char *net_ip_format(const struct net_ip *ip, char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return "?";
	if (!ip || (ip->family != AF_INET && ip->family != AF_INET6) ||
	    !inet_ntop(ip->family, ip->b, buf, (socklen_t)cap)) {
		if (cap >= 2)
			memcpy(buf, "?", 2);
		else
			buf[0] = '\0';
	}
	return buf;
}

/* Contract: net.h. */
socklen_t net_ip_to_sockaddr6(const struct net_ip *ip, uint16_t port,
			      struct sockaddr_storage *ss)
{
	struct net_ip mapped = {.family = AF_INET6};

	if (ip->family != AF_INET)
		return net_ip_to_sockaddr(ip, port, ss);
	memcpy(mapped.b, net_v4mapped_prefix, 12);
	memcpy(mapped.b + 12, ip->b, 4);
	return net_ip_to_sockaddr(&mapped, port, ss);
}

/* Contract: net.h. */
void net_sa_unmap(struct sockaddr_storage *ss)
{
	struct sockaddr_in6 sin6;
	struct net_ip ip;

	if (ss->ss_family != AF_INET6)
		return;
	memcpy(&sin6, ss, sizeof(sin6));
	if (!IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
		return;
	ip.family = AF_INET;
	memcpy(ip.b, &sin6.sin6_addr.s6_addr[12], 4);
	net_ip_to_sockaddr(&ip, ntohs(sin6.sin6_port), ss);
}

/* Where the port of an AF_INET/AF_INET6 sockaddr is; NULL for another. */
static in_port_t *net_sa_port_at(struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return &((struct sockaddr_in *)ss)->sin_port;
	if (ss->ss_family == AF_INET6)
		return &((struct sockaddr_in6 *)ss)->sin6_port;
	return NULL;
}

/* Contract: net.h. */
void net_sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	in_port_t *at = net_sa_port_at(ss);

	if (at)
		*at = htons(port);
}

/* Contract: net.h. */
uint16_t net_sa_port(const struct sockaddr_storage *ss)
{
	const in_port_t *at =
		net_sa_port_at((struct sockaddr_storage *)(uintptr_t)ss);

	return at ? ntohs(*at) : 0;
}

/* Contract: net.h. */
socklen_t net_sa_len(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (ss->ss_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

/*
 * "ADDR:PORT" or "[V6]:PORT" (v4-mapped shown as IPv4) into @buf; "-" for
 * another family, "?" when @cap is too small.  No stdio: hook paths may
 * call it.  Returns @buf.
 */
const char *net_sa_format(const struct sockaddr *sa, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN], port[5];
	struct net_ip a;
	uint16_t p;
	size_t n = 0, iplen, plen = 0;
	bool v6;

	if (!buf || cap == 0)
		return "?";
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return chr_copy(buf, cap, "-");
	if (net_ip_from_sockaddr(&a, &p, sa,
				 sa->sa_family == AF_INET
					 ? sizeof(struct sockaddr_in)
					 : sizeof(struct sockaddr_in6)) < 0)
		return chr_copy(buf, cap, "-");
	net_ip_format(&a, ip, sizeof(ip));
	v6 = a.family == AF_INET6;
	do { /* decimal, most significant digit first */
		memmove(port + 1, port, plen++);
		port[0] = (char)('0' + p % 10);
		p /= 10;
	} while (p);
	iplen = strlen(ip);
	if (iplen + plen + (v6 ? 3 : 1) >= cap)
		return chr_copy(buf, cap, "?");
	if (v6)
		buf[n++] = '[';
	memcpy(buf + n, ip, iplen);
	n += iplen;
	if (v6)
		buf[n++] = ']';
	buf[n++] = ':';
	memcpy(buf + n, port, plen);
	buf[n + plen] = '\0';
	return buf;
}

/* 127.0.0.0/8 and ::1 (v4-mapped loopback is AF_INET already). */
bool net_ip_is_loopback(const struct net_ip *ip)
{
	static const uint8_t v6lo[16] = {[15] = 1};

	if (ip->family == AF_INET)
		return ip->b[0] == 127;
	if (ip->family == AF_INET6)
		return memcmp(ip->b, v6lo, 16) == 0;
	return false;
}

/*
 * A host name of @len characters: labels of [A-Za-z0-9_-] (1..63 each)
 * separated by single dots, one trailing dot allowed, at most NET_HOST_MAX
 * characters.  A name made only of digits and dots is a broken IPv4
 * address, not a name.  Returns true when acceptable.
 */
static bool net_hostname_ok(const char *s, size_t len)
{
	size_t i, label = 0;
	bool only_num = true;

	if (len == 0 || len > NET_HOST_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!chr_is_alnum(c) && c != '-' && c != '_')
			return false;
		if (!chr_is_digit(c))
			only_num = false;
		if (++label > 63)
			return false;
	}
	return !only_num;
}

/*
 * The one host[:port] parser behind net_hostport_parse() and the URL
 * parser: @len characters at @s.  @bare_v6 allows an unbracketed IPv6
 * address when no port is needed.  *@why gets a static reason on error.
 * Returns 0 or -EINVAL.
 */
int net_hostport_parse_n(const char *s, size_t len, int default_port,
			 bool allow_zero, bool bare_v6, struct net_hostport *hp,
			 const char **why)
{
	const char *host, *port = NULL, *colon;
	size_t hlen, plen = 0;
	bool mapped;
	long v;
	int rc;

	memset(hp, 0, sizeof(*hp));
	if (default_port > 65535) {
		*why = "bad default port";
		return -EINVAL;
	}
	if (len == 0) {
		*why = "empty host";
		return -EINVAL;
	}
	if (s[0] == '[') {
		const char *end = memchr(s, ']', len);

		if (!end) {
			*why = "missing ']' after IPv6 address";
			return -EINVAL;
		}
		host = s + 1;
		hlen = (size_t)(end - host);
		if (hlen == 0) {
			*why = "empty host";
			return -EINVAL;
		}
		if (net_ip_parse_n(host, hlen, true, &hp->ip, &mapped) < 0) {
			*why = "bad IPv6 address in brackets";
			return -EINVAL;
		}
		hp->is_ip = true;
		if ((size_t)(end + 1 - s) < len) {
			if (end[1] != ':') {
				*why = "garbage after ']'";
				return -EINVAL;
			}
			port = end + 2;
			plen = len - (size_t)(port - s);
		}
	} else {
		colon = memchr(s, ':', len);
		if (colon &&
		    memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) {
			/* two or more colons: a bare IPv6 address */
			if (!bare_v6 || default_port < 0) {
				*why = "IPv6 address must be in brackets";
				return -EINVAL;
			}
			rc = net_ip_parse_n(s, len, true, &hp->ip, &mapped);
			if (rc < 0) {
				*why = "bad IPv6 address";
				return -EINVAL;
			}
			hp->is_ip = true;
		} else {
			host = s;
			hlen = colon ? (size_t)(colon - s) : len;
			if (colon) {
				port = colon + 1;
				plen = len - hlen - 1;
			}
			if (hlen == 0) {
				*why = "empty host";
				return -EINVAL;
			}
			if (net_ip_parse_n(host, hlen, false, &hp->ip,
					   &mapped) == 0) {
				hp->is_ip = true;
			} else if (net_hostname_ok(host, hlen)) {
				memcpy(hp->host, host, hlen);
				hp->host[hlen] = '\0';
			} else {
				*why = "bad host name or address";
				return -EINVAL;
			}
		}
	}
	if (hp->is_ip)
		net_ip_format(&hp->ip, hp->host, sizeof(hp->host));
	if (!port) {
		if (default_port < 0) {
			*why = "missing port";
			return -EINVAL;
		}
		v = default_port;
	} else {
		v = net_parse_uint(port, plen, 65535);
		if (v < 0) {
			*why = plen == 0 ? "missing port"
					 : "port is not a number in 1..65535";
			return -EINVAL;
		}
	}
	if (v == 0 && !allow_zero) {
		*why = "port 0 is not allowed";
		return -EINVAL;
	}
	hp->port = (uint16_t)v;
	return 0;
}

/*
 * "host:port", "[v6]:port", "v4:port"; with @default_port >= 0 also "host",
 * "[v6]" and a bare IPv6 address.  Host names are checked for syntax only.
 * For numeric hosts hp->host holds the canonical text form (v4-mapped
 * addresses as dotted quads).  Returns 0 or -EINVAL (*@hp cleared).
 */
int net_hostport_parse(const char *s, int default_port, bool allow_zero,
		       struct net_hostport *hp)
{
	const char *why;
	int rc;

	if (!hp)
		return -EINVAL;
	memset(hp, 0, sizeof(*hp));
	if (!s)
		return -EINVAL;
	rc = net_hostport_parse_n(s, strlen(s), default_port, allow_zero, true,
				  hp, &why);
	if (rc < 0)
		memset(hp, 0, sizeof(*hp));
	return rc;
}

/* Clear every bit of @c->ip past @c->prefix. */
static void net_cidr_clear_host_bits(struct net_cidr *c)
{
	unsigned int nbytes = c->ip.family == AF_INET ? 4 : 16;
	unsigned int i;

	for (i = 0; i < nbytes; i++) {
		unsigned int first = i * 8;

		if (first >= c->prefix)
			c->ip.b[i] = 0;
		else if (first + 8 > c->prefix)
			c->ip.b[i] &=
				(uint8_t)(0xff << (8 - (c->prefix - first)));
	}
}

/*
 * "a.b.c.d/n" (n 0..32), "v6/n" (n 0..128), or a single address (full
 * prefix).  "::ffff:a.b.c.d/n" becomes "a.b.c.d/(n-96)"; n < 96 on a
 * v4-mapped address is an error.  Host bits past the prefix are cleared,
 * not rejected ("10.1.2.3/8" is 10.0.0.0/8), as ip route and iptables do.
 * Returns 0 or -EINVAL.
 */
int net_cidr_parse(const char *s, struct net_cidr *c)
{
	const char *slash;
	size_t alen, len;
	bool mapped;
	long prefix, max;

	if (!s || !c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	len = strlen(s);
	slash = memchr(s, '/', len);
	alen = slash ? (size_t)(slash - s) : len;
	if (net_ip_parse_n(s, alen, false, &c->ip, &mapped) < 0)
		return -EINVAL;
	max = c->ip.family == AF_INET ? 32 : 128;
	if (mapped)
		max = 128;
	if (slash) {
		prefix = net_parse_uint(slash + 1, len - alen - 1, max);
		if (prefix < 0)
			return -EINVAL;
	} else {
		prefix = max;
	}
	if (mapped) {
		if (prefix < 96)
			return -EINVAL;
		prefix -= 96;
	}
	c->prefix = (uint8_t)prefix;
	net_cidr_clear_host_bits(c);
	return 0;
}

/* True when @ip has @c's family and its first c->prefix bits equal c's. */
bool net_cidr_contains(const struct net_cidr *c, const struct net_ip *ip)
{
	unsigned int bits, full, rest;

	if (c->ip.family != ip->family)
		return false;
	bits = c->ip.family == AF_INET ? 32u : 128u;
	if (bits > c->prefix) /* never read past the address, even if bogus */
		bits = c->prefix;
	full = bits / 8u;
	rest = bits % 8u;
	if (memcmp(c->ip.b, ip->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->ip.b[full] ^ ip->b[full]) &
		(uint8_t)(0xff << (8 - rest))) == 0;
}

/* "addr/prefix" into @buf (INET6_ADDRSTRLEN + 4 is enough); returns @buf. */
const char *net_cidr_format(const struct net_cidr *c, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	size_t n;
	unsigned int p = c->prefix, i = 0;
	char digits[4];

	if (!buf || cap == 0)
		return "?";
	net_ip_format(&c->ip, ip, sizeof(ip));
	n = strlen(ip);
	do {
		digits[i++] = (char)('0' + p % 10);
		p /= 10;
	} while (p && i < sizeof(digits));
	if (n + 1 + i + 1 > cap) {
		if (cap >= 2)
			memcpy(buf, "?", 2);
		else
			buf[0] = '\0';
		return buf;
	}
	memcpy(buf, ip, n);
	buf[n++] = '/';
	while (i)
		buf[n++] = digits[--i];
	buf[n] = '\0';
	return buf;
}

static bool net_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * "N", "N-M", or a comma list of those, 1 <= N <= M <= 65535, at most
 * NET_PORT_RANGES_MAX items.  Spaces and tabs around items (i.e. around
 * commas) are allowed, nowhere else.  Never yields n = 0 ("any" is the
 * caller's default when no port spec is given).  Returns 0 or -EINVAL.
 */
int net_ports_parse(const char *s, struct net_ports *p)
{
	const char *item, *end, *dash;
	long lo, hi;

	if (!p)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	if (!s)
		return -EINVAL;
	item = s;
	for (;;) {
		size_t len;

		while (net_is_space(*item))
			item++;
		end = item;
		while (*end && *end != ',')
			end++;
		len = (size_t)(end - item);
		while (len && net_is_space(item[len - 1]))
			len--;
		if (len == 0 || p->n == NET_PORT_RANGES_MAX)
			goto bad;
		dash = memchr(item, '-', len);
		if (dash) {
			lo = net_parse_uint(item, (size_t)(dash - item), 65535);
			hi = net_parse_uint(dash + 1,
					    len - (size_t)(dash - item) - 1,
					    65535);
		} else {
			lo = hi = net_parse_uint(item, len, 65535);
		}
		if (lo < 1 || hi < 1 || lo > hi)
			goto bad;
		p->r[p->n].lo = (uint16_t)lo;
		p->r[p->n].hi = (uint16_t)hi;
		p->n++;
		if (*end == '\0')
			return 0;
		item = end + 1;
	}
bad:
	memset(p, 0, sizeof(*p));
	return -EINVAL;
}

/* True when @p is "any" (n == 0) or one of its ranges holds @port. */
bool net_ports_contains(const struct net_ports *p, uint16_t port)
{
	unsigned int i;

	if (p->n == 0)
		return true;
	for (i = 0; i < p->n && i < NET_PORT_RANGES_MAX; i++)
		if (port >= p->r[i].lo && port <= p->r[i].hi)
			return true;
	return false;
}

/*
 * Case-insensitive (ASCII) glob: '*' any run (dots included), '?' exactly
 * one character.  One trailing dot is ignored on @name and on @pattern.
 * Iterative with a single backtrack point (the last '*'): O(len(p) *
 * len(n)) worst case, no recursion.
 */
bool net_glob_match(const char *pattern, const char *name)
{
	size_t plen, nlen, pi = 0, ni = 0, star_p = (size_t)-1, star_n = 0;

	if (!pattern || !name)
		return false;
	plen = strlen(pattern);
	nlen = strlen(name);
	if (plen && pattern[plen - 1] == '.')
		plen--;
	if (nlen && name[nlen - 1] == '.')
		nlen--;
	while (ni < nlen) {
		if (pi < plen && pattern[pi] == '*') {
			star_p = pi++;
			star_n = ni;
		} else if (pi < plen &&
			   (pattern[pi] == '?' ||
			    chr_lower(pattern[pi]) == chr_lower(name[ni]))) {
			pi++;
			ni++;
		} else if (star_p != (size_t)-1) {
			pi = star_p + 1;
			ni = ++star_n;
		} else {
			return false;
		}
	}
	while (pi < plen && pattern[pi] == '*')
		pi++;
	return pi == plen;
}

/*
 * A host glob we accept: 1..NET_HOST_MAX characters of [A-Za-z0-9.*?_-],
 * not starting with '.', no empty label ("..").  Globs match host names
 * only, so a pattern that could only ever match dotted numbers (an IPv4
 * address such as "10.0.0.1", or "10.0.0.*": digits, dots, '*' and '?'
 * with at least one digit and one dot) is rejected: that is a CIDR's job.
 * Returns true when valid.
 */
bool net_glob_is_valid(const char *pattern)
{
	size_t i, len;
	bool numeric = true, digit = false, dot = false;

	if (!pattern)
		return false;
	len = strlen(pattern);
	if (len == 0 || len > NET_HOST_MAX || pattern[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = pattern[i];

		if (!chr_is_alnum(c) && c != '.' && c != '*' && c != '?' &&
		    c != '_' && c != '-')
			return false;
		if (c == '.' && pattern[i + 1] == '.')
			return false;
		if (chr_is_digit(c))
			digit = true;
		else if (c == '.')
			dot = true;
		else if (c != '*' && c != '?')
			numeric = false;
	}
	return !(numeric && digit && dot);
}
