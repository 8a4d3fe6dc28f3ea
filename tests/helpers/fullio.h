/* SPDX-License-Identifier: MIT */
/*
 * read_full / write_full for the test and bench helper programs (blocking
 * sockets; EINTR retried).  Header-only: each helper is one C file that the
 * benchmarks may also compile on their own.
 */
#ifndef SOCKSIFY_TESTS_FULLIO_H
#define SOCKSIFY_TESTS_FULLIO_H

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Read exactly @n bytes; returns 0, or -1 on EOF/error. */
static inline int read_full(int fd, void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Write exactly @n bytes (no SIGPIPE); returns 0, or -1 on error. */
static inline int write_full(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

#endif
