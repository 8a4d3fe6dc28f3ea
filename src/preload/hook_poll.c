// SPDX-License-Identifier: MIT
/*
 * poll, ppoll, select, pselect.
 *
 * While no fd of the process is in handshake (the common case) these go
 * straight to libc.  Otherwise the program's set is scanned once; if none
 * of its fds is in handshake it still goes straight to libc.  If some are,
 * each such fd is replaced, for the kernel, by its connection's eventfd
 * (signalled by the engine at completion, success or failure); when one
 * fires, the set is polled again with the time left, now seeing the
 * socket's real state (writable with SO_ERROR 0, or POLLOUT|POLLHUP with
 * the mapped errno in SO_ERROR).  No EINTR is injected; the program's
 * timeout and signal mask are honoured.  select/pselect are served by the
 * same code through a pollfd array built from the fd_sets.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/io.h"
#include "preload/hooks.h"

#define POLL_STACK 64

/* Is @fd's readiness substituted?  Fills *@sub with the stand-in fd. */
static bool poll_in_handshake(int fd, int *sub)
{
	if (fd < 0 || !(fdt_peek(fd) & FDT_F_SUBST))
		return false;
	*sub = fdt_op_subst_fd(fd);
	return *sub >= 0;
}

static bool poll_set_has_subst(const struct pollfd *fds, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++)
		if (fds[i].fd >= 0 && (fdt_peek(fds[i].fd) & FDT_F_SUBST))
			return true;
	return false;
}

static int64_t ts_to_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_to_ns(&ts);
}

/*
 * poll with substitution (see the top of this file).  @timeout NULL waits
 * forever.  Returns the number of ready entries or -errno.
 */
static int poll_managed(struct pollfd *fds, nfds_t n,
			const struct timespec *timeout, const sigset_t *mask)
{
	struct pollfd stack[POLL_STACK], *copy = stack;
	bool stack_sub[POLL_STACK], *sub = stack_sub;
	int64_t deadline = timeout ? now_ns() + ts_to_ns(timeout) : -1;
	int rc;

	if (n > POLL_STACK) {
		copy = calloc(n, sizeof(*copy));
		sub = calloc(n, sizeof(*sub));
		if (!copy || !sub) {
			free(copy);
			free(sub);
			return -ENOMEM;
		}
	}
	for (;;) {
		struct timespec left, *lp = NULL;
		bool fired = false;
		int ready = 0;

		for (nfds_t i = 0; i < n; i++) {
			int evfd;

			copy[i] = fds[i];
			copy[i].revents = 0;
			sub[i] = poll_in_handshake(fds[i].fd, &evfd);
			if (sub[i]) {
				copy[i].fd = evfd;
				copy[i].events = POLLIN;
			}
		}
		if (deadline >= 0) {
			int64_t l = deadline - now_ns();

			if (l < 0)
				l = 0;
			left.tv_sec = l / 1000000000;
			left.tv_nsec = l % 1000000000;
			lp = &left;
		}
		rc = real.ppoll(copy, n, lp, mask);
		if (rc < 0) {
			rc = -errno;
			break;
		}
		for (nfds_t i = 0; i < n; i++) {
			if (sub[i]) {
				if (copy[i].revents)
					fired = true;
				fds[i].revents = 0;
			} else {
				fds[i].revents = copy[i].revents;
			}
			if (fds[i].revents)
				ready++;
		}
		rc = ready;
		/* A handshake ended and nothing else is ready: look again at
		 * the socket itself, within the time left. */
		if (!fired || ready > 0)
			break;
	}
	if (copy != stack) {
		free(copy);
		free(sub);
	}
	return rc;
}

SOCKSIFY_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec ts;
	int saved = errno;

	HOOK_INIT(poll);
	if (atomic_load_explicit(&fdt_nsubst, memory_order_relaxed) == 0 ||
	    hook_passthrough() || !poll_set_has_subst(fds, n))
		return real.poll(fds, n, timeout);
	ts.tv_sec = timeout / 1000;
	ts.tv_nsec = (long)(timeout % 1000) * 1000000;
	return hook_ret_saved(
		poll_managed(fds, n, timeout < 0 ? NULL : &ts, NULL), saved);
}

SOCKSIFY_EXPORT int ppoll(struct pollfd *fds, nfds_t n,
			  const struct timespec *ts, const sigset_t *mask)
{
	int saved = errno;

	HOOK_INIT(ppoll);
	if (atomic_load_explicit(&fdt_nsubst, memory_order_relaxed) == 0 ||
	    hook_passthrough() || !poll_set_has_subst(fds, n))
		return real.ppoll(fds, n, ts, mask);
	return hook_ret_saved(poll_managed(fds, n, ts, mask), saved);
}

/* Fortified variants (_FORTIFY_SOURCE with a known array size). */
SOCKSIFY_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout,
			       size_t fdslen);
SOCKSIFY_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout,
			       size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort(); /* what glibc's __chk_fail does, minus the message */
	return poll(fds, n, timeout);
}

SOCKSIFY_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n,
				const struct timespec *ts, const sigset_t *mask,
				size_t fdslen);
SOCKSIFY_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n,
				const struct timespec *ts, const sigset_t *mask,
				size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		abort();
	return ppoll(fds, n, ts, mask);
}

/* Does any fd set in the three sets have FDT_F_SUBST? */
static bool select_has_subst(int nfds, fd_set *r, fd_set *w, fd_set *x)
{
	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	for (int fd = 0; fd < nfds; fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		     (x && FD_ISSET(fd, x))) &&
		    (fdt_peek(fd) & FDT_F_SUBST))
			return true;
	return false;
}

/* select/pselect through poll_managed.  Returns the count or -errno. */
static int select_managed(int nfds, fd_set *r, fd_set *w, fd_set *x,
			  const struct timespec *ts, const sigset_t *mask)
{
	struct pollfd *pfd;
	nfds_t n = 0;
	int rc, count = 0;

	if (nfds > FD_SETSIZE)
		nfds = FD_SETSIZE;
	pfd = calloc((size_t)nfds + 1, sizeof(*pfd));
	if (!pfd)
		return -ENOMEM;
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;

		if (r && FD_ISSET(fd, r))
			ev |= POLLIN;
		if (w && FD_ISSET(fd, w))
			ev |= POLLOUT;
		if (x && FD_ISSET(fd, x))
			ev |= POLLPRI;
		if (ev) {
			pfd[n].fd = fd;
			pfd[n].events = ev;
			n++;
		}
	}
	rc = poll_managed(pfd, n, ts, mask);
	if (rc < 0)
		goto out;
	for (nfds_t i = 0; i < n; i++)
		if (pfd[i].revents & POLLNVAL) {
			rc = -EBADF;
			goto out;
		}
	if (r)
		FD_ZERO(r);
	if (w)
		FD_ZERO(w);
	if (x)
		FD_ZERO(x);
	for (nfds_t i = 0; i < n; i++) {
		short re = pfd[i].revents, ev = pfd[i].events;

		/* The kernel's POLLIN_SET / POLLOUT_SET / POLLEX_SET. */
		if ((ev & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) {
			FD_SET(pfd[i].fd, r);
			count++;
		}
		if ((ev & POLLOUT) && (re & (POLLOUT | POLLERR))) {
			FD_SET(pfd[i].fd, w);
			count++;
		}
		if ((ev & POLLPRI) && (re & POLLPRI)) {
			FD_SET(pfd[i].fd, x);
			count++;
		}
	}
	rc = count;
out:
	free(pfd);
	return rc;
}

SOCKSIFY_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x,
			   struct timeval *tv)
{
	struct timespec ts;
	int64_t start = 0;
	int rc, saved = errno;

	HOOK_INIT(select);
	if (atomic_load_explicit(&fdt_nsubst, memory_order_relaxed) == 0 ||
	    hook_passthrough() || !select_has_subst(nfds, r, w, x))
		return real.select(nfds, r, w, x, tv);
	if (tv) {
		ts.tv_sec = tv->tv_sec;
		ts.tv_nsec = tv->tv_usec * 1000;
		start = io_now_ms();
	}
	rc = select_managed(nfds, r, w, x, tv ? &ts : NULL, NULL);
	if (tv) {
		/* Linux select() reports the time left. */
		int64_t left = (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000 -
			       (io_now_ms() - start);

		if (left < 0)
			left = 0;
		tv->tv_sec = left / 1000;
		tv->tv_usec = (left % 1000) * 1000;
	}
	return hook_ret_saved(rc, saved);
}

SOCKSIFY_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x,
			    const struct timespec *ts, const sigset_t *mask)
{
	int saved = errno;

	HOOK_INIT(pselect);
	if (atomic_load_explicit(&fdt_nsubst, memory_order_relaxed) == 0 ||
	    hook_passthrough() || !select_has_subst(nfds, r, w, x))
		return real.pselect(nfds, r, w, x, ts, mask);
	return hook_ret_saved(select_managed(nfds, r, w, x, ts, mask), saved);
}
