/* SPDX-License-Identifier: MIT */
/*
 * IP sockets SOCKS cannot carry (hook_socket.c): socket() refuses them
 * unless a route allows command "raw"; an allowed one is marked FDT_RAW
 * and each of its destinations is routed here.
 */
#ifndef SOCKSIFY_PRELOAD_HOOK_SOCKET_H
#define SOCKSIFY_PRELOAD_HOOK_SOCKET_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "preload/fdtable.h"

/* Is @fd marked as a raw socket (one relaxed byte load)? */
static inline bool hook_is_raw(int fd)
{
	return (fdt_peek(fd) & FDT_KIND_MASK) == FDT_RAW;
}

/*
 * Check destination @sa (@len bytes; NULL: none, the connected peer) of
 * raw socket @fd before connect (@sending false) or a send (@sending true:
 * AF_UNSPEC then means the socket's own family, as the kernel reads it).
 * Returns 0 when the real call may go ahead (a raw route with via
 * "direct", no destination, or an address the kernel refuses itself),
 * 1 when @fd is no longer a raw socket (its mark was stale and is
 * dropped: handle the call as usual), or -EACCES (logged).  errno is left
 * untouched.
 */
int hook_raw_check(int fd, const struct sockaddr *sa, socklen_t len,
		   bool sending);

/*
 * hook_raw_check() for each message of a sendmmsg: 0 with *@n cut to the
 * messages before the first refused one (at least one left), 1 (not
 * raw), or -EACCES when the first message is refused.
 */
int hook_raw_check_mmsg(int fd, const struct mmsghdr *vec, unsigned int *n);

/*
 * A datagram to an AF_UNSPEC address on an AF_INET UDP socket goes where
 * its sin_addr says (the kernel's udp_sendmsg reads it as AF_INET).  When
 * @sa (@len bytes) is such an address on @fd, *@out gets it as AF_INET
 * and the answer is true: route and send that instead, the kernel does
 * the same with either.  Costs two getsockopt for AF_UNSPEC only; errno
 * untouched.
 */
bool hook_unspec_as_inet(int fd, const struct sockaddr *sa, socklen_t len,
			 struct sockaddr_in *out);

#endif
