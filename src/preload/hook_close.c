// SPDX-License-Identifier: MIT
/*
 * close, close_range, closefrom, dup, dup2, dup3, fcntl(F_DUPFD*): keep
 * the fd table in step with the program's fds, and protect the library's
 * internal fds (log file, eventfds, the engine's epoll; later UDP control
 * sockets) from programs that close or dup2 over "all" fds:
 *   - close() of an internal fd reports success and keeps it open (the
 *     number stays taken, so the program cannot get it from open());
 *   - close_range() and closefrom() close everything in the range except
 *     internal fds (glibc's closefrom calls the close_range system call
 *     directly, so it needs its own hook);
 *   - dup2()/dup3() onto an internal fd first moves the library's fd to
 *     another number, then lets the program have the one it asked for.
 * A duplicate of a proxied connection shares its state (getpeername), but
 * only the original fd is gated during the handshake.
 *
 * A vfork()ed child shares the parent's memory: its close/dup2 (between
 * vfork and exec) pass straight to libc and leave the table alone
 * (fdt_in_vfork_child).  close() in a signal handler that interrupted the
 * library on the same thread waits for no lock (fdt_op_forget).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <unistd.h>

#include "common/log.h"
#include "preload/hooks.h"
#include "preload/kind_internal.h"

HOOK_SLOW int close_slow(int fd)
{
	uint8_t b;

	HOOK_INIT(close);
	b = fdt_peek(fd);
	if (!b || hook_passthrough())
		return real.close(fd);
	if ((b & FDT_KIND_MASK) == FDT_INTERNAL) {
		LOG_DBG("close(%d): internal fd kept open", fd);
		return 0;
	}
	int saved = errno;

	if (!fdt_in_vfork_child())
		fdt_op_forget(fd);
	errno = saved;
	return real.close(fd);
}

/* An fd that is not ours at all: straight to libc. */
SOCKSIFY_EXPORT int close(int fd)
{
	HOOK_TAIL(close, !fdt_peek(fd), close_slow, fd);
}

/*
 * close_range(2) minus internal fds.  First the managed fds in the range
 * are forgotten; then, under the placement lock (no internal fd is being
 * made meanwhile, fdtable.h), the range is cut around the internal fds and
 * each piece handed to libc.  Returns 0 or -errno.
 */
static int hook_close_range(unsigned int first, unsigned int last, int flags)
{
	unsigned int lo = first, maxfd;
	int top, rc = 0;

	/* fdt_maxfd is -1 while nothing was ever marked: no loop then. */
	top = atomic_load(&fdt_maxfd);
	for (unsigned int fd = first;
	     top >= 0 && fd <= last && fd <= (unsigned int)top; fd++) {
		uint8_t b = fdt_peek((int)fd);

		if (b && (b & FDT_KIND_MASK) != FDT_INTERNAL &&
		    !(flags & CLOSE_RANGE_CLOEXEC))
			fdt_op_forget((int)fd);
	}
	fdt_place_lock();
	top = atomic_load(&fdt_maxfd);
	maxfd = top < 0 ? 0 : (unsigned int)top;
	for (unsigned int fd = first; top >= 0 && fd <= last && fd <= maxfd;
	     fd++) {
		if (fdt_kind_of((int)fd) != FDT_INTERNAL)
			continue;
		if (fd > lo && real.close_range(lo, fd - 1, flags) < 0)
			rc = -errno;
		lo = fd + 1;
		if (fd == last)
			break;
	}
	if (lo <= last && real.close_range(lo, last, flags) < 0)
		rc = -errno;
	fdt_place_unlock();
	return rc;
}

SOCKSIFY_EXPORT int close_range(unsigned int first, unsigned int last,
				int flags)
{
	int saved = errno;

	HOOK_INIT(close_range);
	if (!real.close_range)
		return hook_ret(-ENOSYS);
	if (hook_passthrough() || first > last || fdt_in_vfork_child())
		return real.close_range(first, last, flags);
	return hook_ret_saved(hook_close_range(first, last, flags), saved);
}

/*
 * closefrom(3) (glibc 2.34+): close_range() above from @first on, which
 * spares internal fds; where that fails, the fds are closed one by one
 * through close() above, as glibc's own fallback does.
 */
SOCKSIFY_EXPORT void closefrom(int first)
{
	int saved = errno;

	if (first < 0)
		first = 0;
	if (close_range((unsigned int)first, ~0u, 0) == 0) {
		errno = saved;
		return;
	}
	for (int fd = first, max = (int)sysconf(_SC_OPEN_MAX); fd < max; fd++)
		if (fdt_kind_of(fd) != FDT_INTERNAL)
			(void)close(fd);
	errno = saved;
}

/* After a successful dup of managed @oldfd to @newfd: share the state. */
static void hook_dup_state(int oldfd, int newfd)
{
	uint8_t b = fdt_peek(oldfd);
	struct fdt_entry *e;
	int saved = errno;

	if ((b & FDT_KIND_MASK) != FDT_TCP && (b & FDT_KIND_MASK) != FDT_UDP &&
	    (b & FDT_KIND_MASK) != FDT_RAW && (b & FDT_KIND_MASK) != FDT_LISTEN)
		return;
	e = fdt_get(oldfd);
	if (e) {
		/* The duplicate shares the state; the kind says whether it
		 * is intercepted too (an associated UDP socket is). */
		uint8_t nb = fdt_op_dup(oldfd, newfd, b);

		(void)fdt_set(newfd, e, nb & ~FDT_F_SUBST);
		fdt_put(e);
	}
	errno = saved;
}

/* Before the program's dup2/dup3 onto @newfd. */
static int hook_dup_target(int oldfd, int newfd)
{
	uint8_t b = fdt_peek(newfd);
	int saved = errno, rc = 0;

	if (!b || oldfd == newfd)
		return 0;
	if ((b & FDT_KIND_MASK) == FDT_INTERNAL)
		rc = kint_evict(newfd);
	else
		fdt_op_forget(newfd);
	errno = saved;
	return rc;
}

SOCKSIFY_EXPORT int dup(int oldfd)
{
	int fd;

	HOOK_INIT(dup);
	fd = real.dup(oldfd);
	if (fd >= 0 && fdt_peek(oldfd) && !hook_passthrough() &&
	    !fdt_in_vfork_child())
		hook_dup_state(oldfd, fd);
	return fd;
}

SOCKSIFY_EXPORT int dup2(int oldfd, int newfd)
{
	int fd, rc;

	HOOK_INIT(dup2);
	if ((!fdt_peek(newfd) && !fdt_peek(oldfd)) || hook_passthrough() ||
	    fdt_in_vfork_child())
		return real.dup2(oldfd, newfd);
	rc = hook_dup_target(oldfd, newfd);
	if (rc < 0)
		return hook_ret(rc);
	fd = real.dup2(oldfd, newfd);
	if (fd >= 0 && fd != oldfd)
		hook_dup_state(oldfd, fd);
	return fd;
}

SOCKSIFY_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	int fd, rc;

	HOOK_INIT(dup3);
	if ((!fdt_peek(newfd) && !fdt_peek(oldfd)) || hook_passthrough() ||
	    fdt_in_vfork_child())
		return real.dup3(oldfd, newfd, flags);
	if (oldfd != newfd) {
		rc = hook_dup_target(oldfd, newfd);
		if (rc < 0)
			return hook_ret(rc);
	}
	fd = real.dup3(oldfd, newfd, flags);
	if (fd >= 0)
		hook_dup_state(oldfd, fd);
	return fd;
}

/*
 * fcntl: F_DUPFD and F_DUPFD_CLOEXEC concern us, and F_SETFL on an fd
 * whose kind keeps its O_NONBLOCK (hook_settings).  Every command's
 * third argument, if any, is an int, a pointer or absent; it is passed on
 * as a pointer-sized value (the x86-64 and aarch64 ABIs pass both in the
 * same register).
 */
/* After fcntl/fcntl64 returned @rc: a duplicate of ours shares its state. */
static int fcntl_done(int fd, int cmd, int rc)
{
	if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) &&
	    fdt_peek(fd) && !hook_passthrough() && !fdt_in_vfork_child())
		hook_dup_state(fd, rc);
	else if (rc >= 0 && cmd == F_SETFL)
		hook_settings(fd, -1, 0); /* O_NONBLOCK: a kind may keep it */
	return rc;
}

SOCKSIFY_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	HOOK_INIT(fcntl);
	rc = real.fcntl(fd, cmd, arg);
	return fcntl_done(fd, cmd, rc);
}

/* fcntl under _FILE_OFFSET_BITS=64 (glibc 2.28+ redirects to fcntl64). */
SOCKSIFY_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	HOOK_INIT(fcntl);
	rc = real.fcntl64 ? real.fcntl64(fd, cmd, arg)
			  : real.fcntl(fd, cmd, arg);
	return fcntl_done(fd, cmd, rc);
}
