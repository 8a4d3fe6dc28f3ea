/* SPDX-License-Identifier: MIT */
/*
 * All-or-nothing I/O with a deadline.  Works on blocking and non-blocking
 * descriptors (waits with poll on EAGAIN; with a deadline, blocking sockets
 * are driven with MSG_DONTWAIT / poll so they honour it, and no file flag
 * is ever changed).  EINTR is retried.  errno is
 * preserved: results are returned as 0 / -errno.  The preload library points
 * io_sys at the real libc functions before first use.
 */
#ifndef SOCKSIFY_COMMON_IO_H
#define SOCKSIFY_COMMON_IO_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct io_sys {
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*send)(int, const void *, size_t, int);
	int (*poll)(struct pollfd *, nfds_t, int);
	/* io_write_all's path for non-sockets (send fails with ENOTSOCK) */
	ssize_t (*write)(int, const void *, size_t);
};
extern struct io_sys io_sys;

/* Monotonic clock in milliseconds. */
int64_t io_now_ms(void);
/* A deadline @ms from now (ms < 0: none). */
int64_t io_deadline(int ms);

/*
 * Write all @len bytes (send with MSG_NOSIGNAL on sockets, write otherwise)
 * before @deadline (an io_now_ms() value, or -1 for none).
 * Returns 0, -ETIMEDOUT, or -errno of the failing call (-EPIPE, ...).
 */
int io_write_all(int fd, const void *buf, size_t len, int64_t deadline);
/*
 * Read exactly @len bytes before @deadline.  Returns 0, -ECONNRESET when
 * the peer closes first (EOF), -ETIMEDOUT, or -errno.
 */
int io_read_all(int fd, void *buf, size_t len, int64_t deadline);
/*
 * Wait until @fd is ready for @events (POLLIN/POLLOUT) before @deadline.
 * Returns the revents (> 0; may be POLLERR/POLLHUP: the next I/O call
 * tells the error), -ETIMEDOUT, -EBADF for POLLNVAL, or -errno.
 */
int io_wait(int fd, short events, int64_t deadline);

#endif
