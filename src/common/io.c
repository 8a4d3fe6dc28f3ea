/* SPDX-License-Identifier: MIT */
/*
 * All-or-nothing I/O with a deadline on the monotonic clock.  Every libc
 * call goes through io_sys so the preload library can use the real libc
 * functions and never its own hooks.
 */
#include "config.h"

#include "common/io.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct io_sys io_sys = {
	.read = read,
	.send = send,
	.poll = poll,
	.write = write,
};

/* Monotonic clock in milliseconds. */
int64_t io_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* io_now_ms() + @ms, or -1 (no deadline) for @ms < 0. */
int64_t io_deadline(int ms)
{
	if (ms < 0)
		return -1;
	return io_now_ms() + ms;
}

/*
 * poll(2) timeout left until @deadline: -1 for none, or > 0 ms.
 * Returns -ETIMEDOUT once the deadline has passed.
 */
static int io_timeout_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - io_now_ms();
	if (left <= 0)
		return -ETIMEDOUT;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Like io_wait() but errno is the caller's to save. */
static int io_wait_raw(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int timeout, n;

	for (;;) {
		timeout = io_timeout_left(deadline);
		if (timeout == -ETIMEDOUT)
			return -ETIMEDOUT;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = io_sys.poll(&pfd, 1, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			continue; /* timed out: io_timeout_left decides */
		if (pfd.revents & POLLNVAL)
			return -EBADF;
		return pfd.revents;
	}
}

/*
 * Wait until @fd is ready for @events before @deadline.  Returns revents
 * (> 0), -ETIMEDOUT, -EBADF (POLLNVAL) or -errno of poll.  errno preserved.
 */
int io_wait(int fd, short events, int64_t deadline)
{
	int saved = errno;
	int rc = io_wait_raw(fd, events, deadline);

	errno = saved;
	return rc;
}

/*
 * After a read or write of @fd failed with errno: 0 to try again (EINTR,
 * or EAGAIN and @fd became ready for @events before @deadline), else
 * -ETIMEDOUT or -errno.
 */
static int io_retry(int fd, short events, int64_t deadline)
{
	int rc;

	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return -errno;
	rc = io_wait_raw(fd, events, deadline);
	return rc < 0 ? rc : 0;
}

/*
 * Write all @len bytes before @deadline.  send(MSG_NOSIGNAL) first; on
 * ENOTSOCK switch to io_sys.write for the rest (pipes, files, ttys: plain
 * write(2) semantics, SIGPIPE included).  EINTR retried, EAGAIN waits for
 * POLLOUT, short writes continue.  With a deadline, sends use MSG_DONTWAIT
 * so that a blocking socket cannot outlive it (the fd's flags are never
 * changed); writes to non-sockets wait for POLLOUT first.  Returns 0,
 * -ETIMEDOUT or -errno (-EIO if a call wrote nothing without an error).
 * errno preserved.
 */
int io_write_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	int saved = errno;
	const char *p = buf;
	bool use_write = false;
	int flags = MSG_NOSIGNAL | (deadline >= 0 ? MSG_DONTWAIT : 0);
	ssize_t n;
	int rc = 0;

	while (len > 0) {
		if (use_write) {
			if (deadline >= 0) {
				rc = io_wait_raw(fd, POLLOUT, deadline);
				if (rc < 0)
					break;
				rc = 0;
			}
			n = io_sys.write(fd, p, len);
		} else {
			n = io_sys.send(fd, p, len, flags);
		}
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0) {
			rc = -EIO;
			break;
		}
		if (errno == ENOTSOCK && !use_write) {
			use_write = true;
			continue;
		}
		rc = io_retry(fd, POLLOUT, deadline);
		if (rc < 0)
			break;
	}
	errno = saved;
	return rc;
}

/*
 * Read exactly @len bytes before @deadline.  With a deadline each read is
 * preceded by a wait for POLLIN, so blocking descriptors honour it too.
 * Returns 0, -ECONNRESET on EOF before @len bytes, -ETIMEDOUT, or -errno.
 * errno preserved.
 */
int io_read_all(int fd, void *buf, size_t len, int64_t deadline)
{
	int saved = errno;
	char *p = buf;
	ssize_t n;
	int rc = 0;

	while (len > 0) {
		if (deadline >= 0) {
			rc = io_wait_raw(fd, POLLIN, deadline);
			if (rc < 0)
				break;
			rc = 0;
		}
		n = io_sys.read(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == 0) {
			rc = -ECONNRESET;
			break;
		}
		rc = io_retry(fd, POLLIN, deadline);
		if (rc < 0)
			break;
	}
	errno = saved;
	return rc;
}
