/* SPDX-License-Identifier: MIT */
/*
 * The UDP kind of the registry (kind_udp.c, udp_assoc.c, udp_io.c): a UDP
 * socket routed per datagram.  A destination routed direct passes, one
 * denied (or routed to SOCKS4 proxies only) is refused with EACCES, one
 * routed via a SOCKS5 proxy goes through the socket's UDP ASSOCIATE;
 * never sent directly.
 */
#ifndef SOCKSIFY_PRELOAD_KIND_UDP_H
#define SOCKSIFY_PRELOAD_KIND_UDP_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "preload/fdtable.h"

/* udp_check()/udp_route() verdict besides 0 (direct), 1, -errno. */
#define UDP_VIA_PROXY 2

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
 * a UDP socket, 0 when the datagram may go (route DIRECT), UDP_VIA_PROXY
 * (2) when it must go through the association (fdt_op_sendmsg), -EACCES
 * when the route is DENY or SOCKS4 only, or @sa is a fake address routed
 * direct (logged).  errno is left untouched.
 */
int udp_check(int fd, const struct sockaddr *sa, socklen_t len, bool verify);

/*
 * connect(@sa) of UDP socket @fd whose destination udp_check() gave
 * @verdict (an AF_UNSPEC @sa: the program dissolves its connection).  Via
 * a proxy the program's peer is kept (getpeername, send without an
 * address) and the association made (a blocking socket waits for it; a
 * non-blocking one does not: UDP connect never waits).  Returns 0 (done
 * here), 1 when the caller makes the real connect, or -errno.
 */
int udp_connect(int fd, const struct sockaddr *sa, socklen_t len, int verdict);

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
