/* SPDX-License-Identifier: MIT */
/*
 * The handshake engine: drives the SOCKS handshakes of non-blocking sockets
 * on a lazily started thread with its own epoll, and hides the socket from
 * the program's poll/select/epoll until the tunnel is up (the design is
 * explained at the top of engine.c and in libsocksify(8)).
 */
#ifndef SOCKSIFY_PRELOAD_ENGINE_H
#define SOCKSIFY_PRELOAD_ENGINE_H

#include <stdbool.h>
#include <sys/epoll.h>

#include "preload/fdtable.h"

/*
 * Start the handshake of connection @e (kind FDT_TCP, state
 * CONN_HANDSHAKE, fd attached in the table with FDT_F_SLOW) on a
 * non-blocking socket.  Takes the fd out of the program's epoll sets,
 * makes the first step inline (the TCP connect to the proxy) and hands the
 * rest to the engine thread.  Returns 0 (in progress: the hook reports
 * EINPROGRESS) or -errno when it failed at once.
 */
int engine_start(struct fdt_entry *e);

/*
 * Finish connection @e with @rc (0 or -errno), called with e->lock held:
 * on success the held-back epoll registrations are re-added and the fd
 * leaves the slow path; on failure the socket is disconnected (it polls
 * writable with POLLHUP) and the error is kept for SO_ERROR.  Signals the
 * completion eventfd either way.
 */
void engine_finish(struct fdt_entry *e, int rc);

/*
 * Program calls epoll_ctl(@epfd, @op, fd, @ev) on an fd in handshake:
 * record it (applied at completion).  Called with e->lock held and the
 * state CONN_HANDSHAKE.  Returns 0 or -errno as epoll_ctl would.
 */
int engine_record_ctl(struct conn *c, int epfd, int op,
		      const struct epoll_event *ev);

/* Take @fd out of the engine's epoll (the program closes it). */
void engine_fd_del(int fd);

/* Remove every held registration made through @epfd (the program closed
 * it).  Safe to call for any fd. */
void engine_forget_epoll(int epfd);

/*
 * Wait until @e's handshake is over (for a program that made the socket
 * blocking again mid-handshake).  Called without locks.
 */
void engine_wait(struct fdt_entry *e);

/*
 * fork handlers (registered by hook_fork.c): the engine lock is held across
 * fork so no handshake step is half done; the engine thread does not
 * exist in a child and is started again on demand there.
 */
void engine_atfork_prepare(void);
void engine_atfork_parent(void);
void engine_atfork_child(void);

#endif
