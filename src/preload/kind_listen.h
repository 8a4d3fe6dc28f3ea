/* SPDX-License-Identifier: MIT */
/*
 * The listener kind of the registry (kind_listen.c): a TCP socket that the
 * program listen()s on, where the routes send command "bind" via a proxy,
 * waits for its peer at the proxy through a SOCKS BIND.  The program's fd
 * becomes a real loopback listener that the library connects to once the
 * peer is there, so that every readiness API (select, poll, epoll in any
 * mode) is the kernel's own; accept() then hands over the connection to
 * the proxy, which carries the peer's.
 */
#ifndef SOCKSIFY_PRELOAD_KIND_LISTEN_H
#define SOCKSIFY_PRELOAD_KIND_LISTEN_H

#include <stdbool.h>
#include <sys/socket.h>

#include "conf/rules.h"
#include "proto/proto.h"

/*
 * Turn @fd (a TCP socket of family AF_INET or AF_INET6, neither connected
 * nor listening) into a listener behind a SOCKS BIND for peer @peer
 * through the proxies of route @r, with the program's @backlog.  Waits on
 * this thread for the proxy's first reply (bounded by the config's
 * timeout), so that getsockname() reports the proxy's address when
 * listen() returns; the second reply is the engine's.  Returns 0 or
 * -errno (then @fd is as it was: the route's failure, as for connect).
 */
int lsn_listen(int fd, int backlog, const struct rule_result *r,
	       const struct socks_addr *peer);

/*
 * accept4(@fd, @sa, @len, @flags) on a listener of this kind: the peer's
 * connection as a new fd (getpeername: the peer), or -errno (EAGAIN on a
 * non-blocking listener with no peer yet; the BIND's failure, once).  The
 * accept after one that returned issues a new BIND.  Blocks (no lock
 * held) as the kernel's accept would.  *@ours is set false when @fd is
 * not (or no longer) of this kind: the caller then does the real call.
 */
int lsn_accept(int fd, struct sockaddr *sa, socklen_t *len, int flags,
	       bool *ours);

#endif
