/* SPDX-License-Identifier: MIT */
/*
 * glibc-style result builders for the resolver hooks: the socket-type list
 * of a getaddrinfo() answer, addrinfo lists and hostent buffers.
 *
 * Our addrinfo lists are laid out exactly as glibc's own (one malloc per
 * node holding the addrinfo and its sockaddr, ai_canonname malloc'd on its
 * own in the first node), so freeaddrinfo() -- ours or glibc's, on the head
 * or on any tail -- frees them correctly.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "preload/real.h"
#include "preload/resolve_build.h"

/* Parse a decimal port "0".."65535".  Returns 0 or -EINVAL. */
static int resolve_port_parse(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

/* Port of named @service over @proto, network order; 0 or -ENOENT.
 * getservbyname_r() reads the services database (files), never DNS. */
static int resolve_service(const char *service, const char *proto,
			   uint16_t *port)
{
	struct servent se, *res = NULL;
	char buf[1024];

	if (getservbyname_r(service, proto, &se, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		return -ENOENT;
	*port = (uint16_t)res->s_port;
	return 0;
}

/* glibc's socket type / protocol table (gaih_inet_typeproto). */
static const struct {
	int socktype, protocol;
	const char *proto; /* services database name; NULL: no service */
	bool by_default;   /* listed when hints give no type or protocol */
	bool anyproto;	   /* takes whatever protocol the hints ask */
} resolve_types[] = {
	{SOCK_STREAM, IPPROTO_TCP, "tcp", true, false},
	{SOCK_DGRAM, IPPROTO_UDP, "udp", true, false},
	{SOCK_DCCP, IPPROTO_DCCP, "dccp", false, false},
	{SOCK_DGRAM, IPPROTO_UDPLITE, "udplite", false, false},
	{SOCK_STREAM, IPPROTO_SCTP, "sctp", false, false},
	{SOCK_SEQPACKET, IPPROTO_SCTP, "sctp", false, false},
	{SOCK_RAW, 0, NULL, true, true},
};
#define RESOLVE_TYPES (sizeof(resolve_types) / sizeof(resolve_types[0]))

/*
 * Build the socket-type list of a getaddrinfo() answer the way glibc does:
 *  - hints with a socktype or protocol: the first matching type only (a
 *    named service must exist for it; raw takes no service);
 *  - no socktype and no protocol: with no or a numeric service, the
 *    default types (stream/TCP, datagram/UDP, raw); with a named service,
 *    every type the services database lists it for.
 * Returns the number of kinds (> 0) or an EAI_* code (< 0).  *@route_port
 * gets the port to route by (host order, 0 if none).
 */
int resolve_build_kinds(const char *service, const struct addrinfo *hints,
			struct resolve_kind *kinds, uint16_t *route_port)
{
	int socktype = hints ? hints->ai_socktype : 0;
	int protocol = hints ? hints->ai_protocol : 0;
	bool named = false;
	uint16_t nport = 0, p;
	size_t i;
	int n = 0;

	if (service != NULL) {
		if (resolve_port_parse(service, &p) == 0) {
			nport = htons(p);
		} else if (hints && (hints->ai_flags & AI_NUMERICSERV)) {
			return EAI_NONAME;
		} else {
			named = true;
		}
	}
	if (socktype != 0 || protocol != 0) {
		for (i = 0; i < RESOLVE_TYPES; i++) {
			if ((socktype == 0 ||
			     socktype == resolve_types[i].socktype) &&
			    (protocol == 0 || resolve_types[i].anyproto ||
			     protocol == resolve_types[i].protocol))
				break;
		}
		if (i == RESOLVE_TYPES)
			return socktype != 0 ? EAI_SOCKTYPE : EAI_SERVICE;
		kinds[0].socktype = resolve_types[i].socktype;
		kinds[0].protocol = resolve_types[i].anyproto
					    ? protocol
					    : resolve_types[i].protocol;
		kinds[0].port = nport;
		if (service != NULL && resolve_types[i].proto == NULL)
			return EAI_SERVICE;
		if (named && resolve_service(service, resolve_types[i].proto,
					     &kinds[0].port) < 0)
			return EAI_SERVICE;
		*route_port = ntohs(kinds[0].port);
		return 1;
	}
	for (i = 0; i < RESOLVE_TYPES; i++) {
		struct resolve_kind k = {resolve_types[i].socktype,
					 resolve_types[i].protocol, nport};

		if (named) {
			if (resolve_types[i].proto == NULL ||
			    resolve_service(service, resolve_types[i].proto,
					    &k.port) < 0)
				continue;
		} else if (!resolve_types[i].by_default) {
			continue;
		}
		kinds[n++] = k;
	}
	if (n == 0)
		return EAI_SERVICE;
	*route_port = ntohs(kinds[0].port);
	return n;
}

/*
 * Build the addrinfo list: for each address, one node per kind, laid out
 * like glibc's (see the file comment).  @canon (or NULL) goes into the
 * first node.  Returns 0 or EAI_MEMORY (nothing allocated then).
 */
int resolve_build_addrinfo(const struct net_ip *ips, int nips,
			   const struct resolve_kind *kinds, int nkinds,
			   const char *canon, struct addrinfo **res)
{
	struct addrinfo *head = NULL, **tail = &head;
	int i, j;

	for (i = 0; i < nips; i++) {
		for (j = 0; j < nkinds; j++) {
			struct sockaddr_storage ss;
			socklen_t len = net_ip_to_sockaddr(
				&ips[i], ntohs(kinds[j].port), &ss);
			struct addrinfo *ai = malloc(sizeof(*ai) + len);

			if (ai == NULL)
				goto fail;
			memset(ai, 0, sizeof(*ai));
			ai->ai_family = ips[i].family;
			ai->ai_socktype = kinds[j].socktype;
			ai->ai_protocol = kinds[j].protocol;
			ai->ai_addrlen = len;
			ai->ai_addr = (struct sockaddr *)(ai + 1);
			memcpy(ai->ai_addr, &ss, len);
			*tail = ai;
			tail = &ai->ai_next;
		}
	}
	if (canon != NULL) {
		head->ai_canonname = strdup(canon);
		if (head->ai_canonname == NULL)
			goto fail;
	}
	*res = head;
	return 0;
fail:
	real.freeaddrinfo(head);
	return EAI_MEMORY;
}

/* Map a fakedns_assign() error to an EAI_* code. */
int resolve_build_eai(int err)
{
	if (err == -EINVAL)
		return EAI_NONAME;
	if (err == -ENOMEM)
		return EAI_MEMORY;
	return EAI_FAIL; /* -ENOSPC: logged by fakedns */
}

/*
 * Lay out a hostent for @name with the one address @addr (@len bytes of
 * @family) in @buf.  Returns 0 or ERANGE.
 */
int resolve_build_hostent(const char *name, int family, const void *addr,
			  size_t len, struct hostent *he, char *buf,
			  size_t buflen)
{
	size_t align = sizeof(char *), pad, nlen = strlen(name) + 1;
	char **ptrs;
	char *p;

	pad = (align - ((uintptr_t)buf % align)) % align;
	if (buflen < pad + 3 * sizeof(char *) + 16 + nlen)
		return ERANGE;
	ptrs = (char **)(void *)(buf + pad);
	p = buf + pad + 3 * sizeof(char *);
	memcpy(p, addr, len);
	ptrs[0] = NULL; /* h_aliases: none */
	ptrs[1] = p;	/* h_addr_list[0] */
	ptrs[2] = NULL;
	memcpy(p + 16, name, nlen);
	he->h_name = p + 16;
	he->h_aliases = &ptrs[0];
	he->h_addrtype = family;
	he->h_length = (int)len;
	he->h_addr_list = &ptrs[1];
	return 0;
}
