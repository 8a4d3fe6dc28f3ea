/* SPDX-License-Identifier: MIT */
/*
 * The raw kind of the registry (kind_raw.c): an IP socket SOCKS cannot
 * carry (raw, ICMP, SCTP, DCCP, ...) that socket() let through because a
 * route allows command "raw" (hook_socket.c).  Each destination it is
 * given is routed here: it must match a raw route whose via is "direct".
 */
#ifndef SOCKSIFY_PRELOAD_KIND_RAW_H
#define SOCKSIFY_PRELOAD_KIND_RAW_H

#include <stdbool.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "preload/fdtable.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#ifndef SOCK_DCCP
#define SOCK_DCCP 6
#endif
#define SOCK_TYPE_MASK 0xf /* type without SOCK_NONBLOCK, SOCK_CLOEXEC */

static inline bool sock_is_ip(int domain)
{
	return domain == AF_INET || domain == AF_INET6;
}

/*
 * Can SOCKS carry a socket of @type (flags masked off) and @protocol?
 * TCP: SOCK_STREAM with 0, IPPROTO_TCP or IPPROTO_MPTCP; UDP: SOCK_DGRAM
 * with 0, IPPROTO_UDP or IPPROTO_UDPLITE.
 */
static inline bool sock_socks_can_carry(int type, int protocol)
{
	if (type == SOCK_STREAM)
		return protocol == 0 || protocol == IPPROTO_TCP ||
		       protocol == IPPROTO_MPTCP;
	if (type == SOCK_DGRAM)
		return protocol == 0 || protocol == IPPROTO_UDP ||
		       protocol == IPPROTO_UDPLITE;
	return false;
}

/* Is @fd marked as a raw socket (one relaxed byte load)? */
static inline bool raw_is(int fd)
{
	return fdt_kind_of(fd) == FDT_RAW;
}

/* Mark the new raw socket @fd.  Returns 0 or -errno. */
int raw_mark(int fd);

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
int raw_check(int fd, const struct sockaddr *sa, socklen_t len, bool sending);

/*
 * raw_check() for each message of a sendmmsg: 0 with *@n cut to the
 * messages before the first refused one (at least one left), 1 (not
 * raw), or -EACCES when the first message is refused.
 */
int raw_check_mmsg(int fd, const struct mmsghdr *vec, unsigned int *n);

#endif
