// SPDX-License-Identifier: MIT
/*
 * epoll_create, epoll_create1, epoll_ctl.
 *
 * The program's epoll instances are remembered in the fd table (kind
 * FDT_EPOLL) so that, when a socket starts its handshake, its existing
 * registrations can be found (/proc/self/fdinfo) and held back.  An
 * epoll_ctl() on a socket in handshake is recorded instead of applied; the
 * engine applies the registrations when the tunnel is up (engine.c).
 * epoll_wait/epoll_pwait/epoll_pwait2 need no hook: a socket in handshake
 * is in none of the program's sets, so they cannot report it early, and
 * its re-registration wakes them like any newly ready fd.
 */
#include "config.h"

#include <errno.h>

#include "preload/engine.h"
#include "preload/hooks.h"

SOCKSIFY_EXPORT int epoll_create(int size)
{
	int fd;

	HOOK_INIT(epoll_create);
	fd = real.epoll_create(size);
	if (fd >= 0 && !hook_passthrough())
		fdt_mark_epoll(fd);
	return fd;
}

SOCKSIFY_EXPORT int epoll_create1(int flags)
{
	int fd;

	HOOK_INIT(epoll_create1);
	fd = real.epoll_create1(flags);
	if (fd >= 0 && !hook_passthrough())
		fdt_mark_epoll(fd);
	return fd;
}

SOCKSIFY_EXPORT int epoll_ctl(int epfd, int op, int fd,
			      struct epoll_event *ev)
{
	struct fdt_entry *e;
	int rc = 1, saved = errno;

	HOOK_INIT(epoll_ctl);
	if (hook_passthrough())
		return real.epoll_ctl(epfd, op, fd, ev);
	if ((fdt_peek(fd) & FDT_F_SLOW) && (e = fdt_get(fd)) != NULL) {
		if (e->kind == FDT_TCP) {
			pthread_mutex_lock(&e->lock);
			if (e->u.tcp.state == CONN_HANDSHAKE &&
			    e->u.tcp.fd == fd)
				rc = engine_record_ctl(&e->u.tcp, epfd, op, ev);
			pthread_mutex_unlock(&e->lock);
		}
		fdt_put(e);
		if (rc != 1) {
			if ((fdt_peek(epfd) & FDT_KIND_MASK) == FDT_NONE)
				fdt_mark_epoll(epfd);
			return hook_ret_saved(rc, saved);
		}
	}
	rc = real.epoll_ctl(epfd, op, fd, ev);
	/* An epoll fd we did not see created (inherited, raw syscall). */
	if (rc == 0 && fdt_peek(epfd) == 0)
		fdt_mark_epoll(epfd);
	return rc;
}
