/* SPDX-License-Identifier: MIT */
/*
 * Moving a program's unconnected TCP socket to the other IP family
 * (sock_replace.c), for a proxy its own family cannot reach: an IPv6 proxy
 * from an AF_INET socket, an IPv4 proxy from an AF_INET6 socket with
 * IPV6_V6ONLY.
 *
 * A new socket of the other family, with the same type and protocol, gets
 * every file status flag, owner/signal setting and socket option of the
 * old one that differs from a fresh socket of the old family (copying a
 * default would lock it: SO_SNDBUF set by hand turns autotuning off), then
 * takes the program's fd number with dup3() (FD_CLOEXEC kept); the
 * temporary fd is closed.  Options with no counterpart in the new family
 * are mapped (IP_TOS <-> IPV6_TCLASS, IP_TTL <-> IPV6_UNICAST_HOPS).
 */
#ifndef SOCKSIFY_PRELOAD_SOCK_REPLACE_H
#define SOCKSIFY_PRELOAD_SOCK_REPLACE_H

#include <stdbool.h>

/*
 * Can @fd, a socket of @family (AF_INET or AF_INET6), connect to an
 * address of family @target?  An AF_INET6 socket reaches IPv4 through
 * v4-mapped addresses unless IPV6_V6ONLY is set.  Sets *@v6only (when not
 * NULL) to that option's value (false for AF_INET).  No side effect.
 */
bool sockrep_reaches(int fd, int family, int target, bool *v6only);

/*
 * Replace the unconnected TCP socket behind @fd (of family @from) by one of
 * family @to, as the file header says.  A socket bound to a wildcard
 * address with a port is bound to the new family's wildcard and that port
 * (with IPV6_V6ONLY set on an AF_INET6 one, as the old socket holds the
 * port until it is replaced).  Options that cannot be copied are logged
 * at debug level and skipped.  On failure @fd is unchanged.
 * Returns 0, -EADDRNOTAVAIL when @fd is bound to a specific local address
 * (it cannot move), -EAFNOSUPPORT when @fd is not a socket of @from, or
 * the -errno of a failed socket(), bind() or dup3().  errno is clobbered.
 */
int sockrep_replace(int fd, int from, int to);

#endif
