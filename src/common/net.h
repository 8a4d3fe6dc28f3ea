/* SPDX-License-Identifier: MIT */
/*
 * Parsers and sockaddr helpers: host:port, CIDRs, port sets, host-name
 * globs (proxy URLs: proxy_url.h).  Pure: no I/O, no allocation, no name resolution.
 * Functions return 0 or -EINVAL unless stated otherwise.
 */
#ifndef SOCKSIFY_COMMON_NET_H
#define SOCKSIFY_COMMON_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NET_HOST_MAX 255

/* An IP address in either family; v4-mapped v6 is stored as AF_INET. */
struct net_ip {
	int family;    /* AF_INET or AF_INET6 */
	uint8_t b[16]; /* network order; 4 bytes used for AF_INET */
};

struct net_cidr {
	struct net_ip ip; /* host bits cleared */
	uint8_t prefix;	  /* 0..32 or 0..128 */
};

/* "host:port", "[v6]:port"; host may be a name (not resolved). */
struct net_hostport {
	char host[NET_HOST_MAX + 1];
	uint16_t port;
	bool is_ip; /* host is a numeric address, parsed into ip */
	struct net_ip ip;
};

#define NET_PORT_RANGES_MAX 32 /* cfgvalue.c says "at most 32" */
struct net_ports {
	uint8_t n; /* 0 = any port */
	struct {
		uint16_t lo, hi;
	} r[NET_PORT_RANGES_MAX];
};

/* Parse a numeric address (v4, v6, v4-mapped -> AF_INET). */
int net_ip_parse(const char *s, struct net_ip *ip);
/*
 * The shortest sockaddr_in6 the kernel takes: RFC 2133's, without
 * sin6_scope_id (SIN6_LEN_RFC2133 in the kernel).
 */
#define NET_SIN6_LEN_MIN 24
/* From sockaddr (v4-mapped v6 normalised to AF_INET); every length the
 * kernel accepts (net.c says which). -EAFNOSUPPORT, -EINVAL. */
int net_ip_from_sockaddr(struct net_ip *ip, uint16_t *port,
			 const struct sockaddr *sa, socklen_t len);
/*
 * Socket address of @ip's family with @port (host order) into @ss.
 * Returns its length, 0 for an unknown family.
 */
socklen_t net_ip_to_sockaddr(const struct net_ip *ip, uint16_t port,
			     struct sockaddr_storage *ss);
/*
 * The same, always AF_INET6: an IPv4 @ip as ::ffff:a.b.c.d (for a socket
 * of family AF_INET6).  Returns the length, 0 for an unknown family.
 */
socklen_t net_ip_to_sockaddr6(const struct net_ip *ip, uint16_t port,
			      struct sockaddr_storage *ss);
/* A v4-mapped AF_INET6 sockaddr becomes plain AF_INET, port kept (others
 * unchanged). */
void net_sa_unmap(struct sockaddr_storage *ss);
/* Sets the port (host order) of an AF_INET/AF_INET6 sockaddr. */
void net_sa_set_port(struct sockaddr_storage *ss, uint16_t port);
/* The port (host order) of an AF_INET/AF_INET6 sockaddr, 0 for another. */
uint16_t net_sa_port(const struct sockaddr_storage *ss);
/* sizeof the family's sockaddr: sockaddr_in or _in6, 0 for another. */
socklen_t net_sa_len(const struct sockaddr_storage *ss);
/* "127.0.0.1:1080", "[::1]:1080" (v4-mapped as IPv4), "-" for another
 * family, "?" if @cap is too small (64 is enough).  Returns @buf. */
const char *net_sa_format(const struct sockaddr *sa, char *buf, size_t cap);
/* A v4-mapped IPv6 address (::ffff:a.b.c.d) in @ip becomes AF_INET. */
void net_ip_unmap(struct net_ip *ip);
/*
 * Text form without port into @buf (INET6_ADDRSTRLEN is enough).  Always
 * returns @buf, holding "?" on error, so it can go straight to "%s".
 */
const char *net_ip_format(const struct net_ip *ip, char *buf, size_t cap);
bool net_ip_is_loopback(const struct net_ip *ip);

/*
 * "host:port", "[v6]:port", "v4:port".  With @default_port >= 0 the port may
 * be omitted ("host", "[v6]", and a bare v6 address).  Port 0 is accepted
 * only when @allow_zero.
 */
int net_hostport_parse(const char *s, int default_port, bool allow_zero,
		       struct net_hostport *hp);
/*
 * The same on @len characters at @s (the URL parser's host part); @bare_v6
 * allows an unbracketed IPv6 address when no port is needed.  *@why gets a
 * static reason on error.  0 or -EINVAL.
 */
int net_hostport_parse_n(const char *s, size_t len, int default_port,
			 bool allow_zero, bool bare_v6, struct net_hostport *hp,
			 const char **why);

/* "a.b.c.d/n", "v6/n", a single address (full prefix), "::ffff:a.b.c.d/n"
 * (normalised to v4 with n - 96). */
int net_cidr_parse(const char *s, struct net_cidr *c);
bool net_cidr_contains(const struct net_cidr *c, const struct net_ip *ip);
const char *net_cidr_format(const struct net_cidr *c, char *buf, size_t cap);

/* "N", "N-M", "N,M-O,..." with 1 <= N <= M <= 65535. */
int net_ports_parse(const char *s, struct net_ports *p);
bool net_ports_contains(const struct net_ports *p, uint16_t port);

/*
 * Case-insensitive glob on host names: '*' matches any run of characters
 * (dots included), '?' one character.  A trailing dot on @name is ignored.
 * "*.example.com" does not match "example.com" itself.
 */
bool net_glob_match(const char *pattern, const char *name);
/*
 * A pattern that we accept as a host glob (not a CIDR): [A-Za-z0-9.*?_-],
 * no leading dot, no "..", and not something that can only match dotted
 * numbers ("10.0.0.1", "10.0.0.*": use a CIDR).
 */
bool net_glob_is_valid(const char *pattern);

/* The proxy URL parser has its own file; callers of net.h see it too. */
#include "common/proxy_url.h"

#endif
