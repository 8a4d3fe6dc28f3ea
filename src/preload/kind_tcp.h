/* SPDX-License-Identifier: MIT */
/*
 * The outbound TCP kind of the registry: a program's TCP socket connected
 * through a proxy with SOCKS CONNECT (kind_tcp.c).  The payload keeps what
 * the program asked for (getpeername), the handshake (client + engine
 * job) and, while it runs or after it failed, what the hooks must answer
 * instead of the kernel.
 */
#ifndef SOCKSIFY_PRELOAD_KIND_TCP_H
#define SOCKSIFY_PRELOAD_KIND_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/rules.h"
#include "preload/client.h"
#include "preload/engine.h"
#include "preload/fdtable.h"

/*
 * MSG_FASTOPEN data kept for a non-blocking socket until its tunnel is up:
 * at most this much (the call reports the shorter count, as a stream
 * socket may), so that sending it at completion never blocks the engine.
 */
#define TCP_EARLY_MAX 2048

/*
 * Connect @fd (a fresh TCP socket) to @dst through the proxies of route
 * @r, on behalf of connect(@sa, @len) (kept for getpeername).  @early /
 * @nearly: MSG_FASTOPEN data to send once the tunnel is up, or NULL.
 * Blocking sockets wait here (client_run); non-blocking ones go to the
 * engine.  Returns 0 (connected; for MSG_FASTOPEN on a non-blocking
 * socket: data queued, *@taken bytes of it), -EINPROGRESS, or -errno.
 */
int tcp_connect(int fd, const struct sockaddr *sa, socklen_t len,
		const struct rule_result *r, const struct socks_addr *dst,
		const void *early, size_t nearly, size_t *taken);

/*
 * Connect @fd to the name behind fake address @sa, which the routes send
 * direct for @port (the name was faked because another route, for other
 * ports, goes via a proxy): the name is resolved as a direct name would
 * have been, and @fd connected to its first address of @fd's family.  A
 * blocking socket waits here; a non-blocking one returns -EINPROGRESS at
 * once and a thread of its own resolves the name and starts the connect
 * (the fd is held as during a handshake meanwhile).  Returns 0,
 * -EINPROGRESS, or -errno (-EHOSTUNREACH when the name does not resolve).
 */
int tcp_connect_direct_name(int fd, const struct sockaddr *sa, const char *name,
			    uint16_t port);

/*
 * The most recent connections made through a proxy (the expected peer of
 * a BIND, kind_listen.c): a small record of the last TCP_RECENT_MAX
 * tunnels that came up, each with its proxy and the destination asked
 * for, under a leaf lock of its own (taken under an entry's lock, never
 * around another lock; fork takes it: tcp_recent_atfork_*).
 */
#define TCP_RECENT_MAX 8

/*
 * The destination of the newest tunnel through proxy @p (NULL: any proxy)
 * that a socket of @family can BIND for (AF_INET: an IPv4 address or a
 * name; AF_INET6: any) into @dst, and its proxy into *@via (may be NULL).
 * Returns 0 or -ENOENT.
 */
int tcp_recent_peer(const struct conf_proxy *p, int family,
		    struct socks_addr *dst, const struct conf_proxy **via);
void tcp_recent_atfork_prepare(void);
void tcp_recent_atfork_parent(void);
void tcp_recent_atfork_child(void);

/*
 * Register @fd, a connection to a proxy that now carries the program's
 * accepted connection from @peer (@len bytes), as an established tunnel:
 * getpeername() answers @peer.  Returns 0 or -errno (the fd still works;
 * getpeername then shows the proxy).
 */
int tcp_adopt_accepted(int fd, const struct sockaddr *peer, socklen_t len);

#endif
