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

#include "preload/hooks.h"
#include "preload/kind_internal.h"

SOCKSIFY_EXPORT int epoll_create(int size)
{
	int fd;

	HOOK_INIT(epoll_create);
	fd = real.epoll_create(size);
	if (fd >= 0 && !hook_passthrough())
		kint_mark_epoll(fd);
	return fd;
}

SOCKSIFY_EXPORT int epoll_create1(int flags)
{
	int fd;

	HOOK_INIT(epoll_create1);
	fd = real.epoll_create1(flags);
	if (fd >= 0 && !hook_passthrough())
		kint_mark_epoll(fd);
	return fd;
}

SOCKSIFY_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int rc = 1, saved = errno;

	HOOK_INIT(epoll_ctl);
	if (hook_passthrough())
		return real.epoll_ctl(epfd, op, fd, ev);
	if (fdt_peek(fd) & FDT_F_SUBST) {
		rc = fdt_op_epoll_ctl(fd, epfd, op, ev);
		if (rc != 1) {
			if (fdt_kind_of(epfd) == FDT_NONE)
				kint_mark_epoll(epfd);
			return hook_ret_saved(rc, saved);
		}
	}
	rc = real.epoll_ctl(epfd, op, fd, ev);
	/* An epoll fd we did not see created (inherited, raw syscall). */
	if (rc == 0 && fdt_peek(epfd) == 0)
		kint_mark_epoll(epfd);
	return rc;
}
