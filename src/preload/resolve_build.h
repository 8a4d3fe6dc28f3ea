/* SPDX-License-Identifier: MIT */
/*
 * glibc-style result builders for the resolver hooks (resolve_build.c):
 * getaddrinfo() socket-type lists, addrinfo lists, hostent buffers.
 */
#ifndef SOCKSIFY_PRELOAD_RESOLVE_BUILD_H
#define SOCKSIFY_PRELOAD_RESOLVE_BUILD_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/net.h"

/* The socket types one addrinfo list may carry. */
struct resolve_kind {
	int socktype;
	int protocol;
	uint16_t port; /* network order */
};

#define RESOLVE_KINDS_MAX 7

/*
 * The socket-type list of a getaddrinfo() answer for @service and @hints,
 * as glibc builds it.  Returns the number of kinds (> 0) or an EAI_* code
 * (< 0).  *@route_port gets the port to route by (host order, 0 if none).
 */
int resolve_build_kinds(const char *service, const struct addrinfo *hints,
			struct resolve_kind *kinds, uint16_t *route_port);

/*
 * An addrinfo list: for each of @ips, one node per kind, laid out like
 * glibc's; @canon (or NULL) in the first node.  Returns 0 or EAI_MEMORY
 * (nothing allocated then).
 */
int resolve_build_addrinfo(const struct net_ip *ips, int nips,
			   const struct resolve_kind *kinds, int nkinds,
			   const char *canon, struct addrinfo **res);

/* A fakedns_assign() error as an EAI_* code. */
int resolve_build_eai(int err);

/*
 * Lay out a hostent for @name with the one address @addr (@len bytes of
 * @family) in @buf.  Returns 0 or ERANGE.
 */
int resolve_build_hostent(const char *name, int family, const void *addr,
			  size_t len, struct hostent *he, char *buf,
			  size_t buflen);

/* Bytes of @buf resolve_build_hostent() needs at most for a name of
 * @namelen characters (alignment included). */
#define RESOLVE_HOSTENT_BUF(namelen) \
	((namelen) + 1 + 3 * sizeof(char *) + 16 + 16)

#endif
