/* SPDX-License-Identifier: MIT */
/*
 * The UDP kind of the registry (kind_udp.c): a UDP socket whose
 * destinations are route-checked.  UDP fails closed until UDP ASSOCIATE
 * exists: a destination routed via a proxy or denied is refused with
 * EACCES, never sent directly.
 */
#ifndef SOCKSIFY_PRELOAD_KIND_UDP_H
#define SOCKSIFY_PRELOAD_KIND_UDP_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "preload/fdtable.h"

/*
 * Does @sa, an IPv4/IPv6 destination of @fd, need udp_check()?  True for
 * an unclassified fd, a UDP one, and one marked TCP (a mark that outlived
 * its socket, closed where no hook saw it, must not let a new UDP socket
 * on the same number skip the check).  No syscall.
 */
static inline bool udp_candidate(int fd, const struct sockaddr *sa,
				 socklen_t len)
{
	uint8_t k;

	if (!sa || len < sizeof(sa_family_t) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return false;
	k = fdt_kind_of(fd);
	return k == FDT_NONE || k == FDT_UDP || k == FDT_TCP;
}

/*
 * Check a UDP destination @sa of @fd (udp_candidate() true).  An
 * unclassified fd is classified once (SO_TYPE/SO_PROTOCOL) and a UDP one
 * recorded as FDT_UDP; @verify (connect and MSG_FASTOPEN, rare paths), or
 * an fd marked TCP, is classified again, in case its number was reused
 * for another socket behind the library's back.  Returns 1 when @fd is not
 * a UDP socket, 0 when the datagram may go (route DIRECT), -EACCES when
 * the route is PROXY (not supported yet, logged) or DENY, or @sa is a
 * fake address.  errno is left untouched.
 */
int udp_check(int fd, const struct sockaddr *sa, socklen_t len, bool verify);

/*
 * A datagram to an AF_UNSPEC address on an AF_INET UDP socket goes where
 * its sin_addr says (the kernel's udp_sendmsg reads it as AF_INET).  When
 * @sa (@len bytes) is such an address on @fd, *@out gets it as AF_INET
 * and the answer is true: route and send that instead, the kernel does
 * the same with either.  Costs two getsockopt for AF_UNSPEC only; errno
 * untouched.
 */
bool udp_unspec_as_inet(int fd, const struct sockaddr *sa, socklen_t len,
			struct sockaddr_in *out);

#endif
