/* SPDX-License-Identifier: MIT */
/*
 * Small I/O pieces shared by the test and bench helper programs: exact
 * reads and writes on blocking sockets (EINTR retried) and the port file
 * the test scripts wait for.  Header-only: each helper is one C file that
 * the benchmarks may also compile on their own.
 */
#ifndef SOCKSIFY_TESTS_HELPER_IO_H
#define SOCKSIFY_TESTS_HELPER_IO_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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

/*
 * Publish @port: to stdout without @path, else written to @path.tmp and
 * renamed, so a reader never sees a partial file.  Exits on failure.
 */
static inline void write_portfile(const char *prog, const char *path,
				  int port)
{
	char tmp[4096];
	FILE *f;

	if (!path) {
		printf("%d\n", port);
		fflush(stdout);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) < 0) {
		fprintf(stderr, "%s: port file %s: ", prog, path);
		perror(NULL);
		exit(1);
	}
}

#endif
