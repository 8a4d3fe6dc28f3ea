// SPDX-License-Identifier: MIT
/*
 * socksify-probe: the program `socksify --selftest` runs under the
 * library (the wrapper itself may be static, where LD_PRELOAD does
 * nothing).  Plain libc calls, as an unmodified program makes them:
 *
 *   socksify-probe tcp HOST PORT   connect, send a line, expect it back
 *   socksify-probe udp HOST PORT   sendto a datagram, expect it back
 *   socksify-probe dns NAME PORT   getaddrinfo(NAME), then connect to it
 *
 * Prints one line: "ok ..." (exit 0) or "fail: reason" (exit 1).  Every
 * wait is bounded (5 s).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROBE_WAIT_MS 5000
static const char probe_msg[] = "socksify selftest\n";

/* Wait up to PROBE_WAIT_MS for @fd to be readable; 0 or -1 (timeout). */
static int probe_wait(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, PROBE_WAIT_MS) == 1 ? 0 : -1;
}

/* Send probe_msg on @fd and expect it back; 0 or 1 with a line printed. */
static int probe_echo(int fd, const char *what)
{
	char buf[64];
	size_t got = 0;
	ssize_t n;

	if (send(fd, probe_msg, sizeof(probe_msg) - 1, MSG_NOSIGNAL) < 0) {
		printf("fail: send: %s\n", strerror(errno));
		return 1;
	}
	while (got < sizeof(probe_msg) - 1) {
		if (probe_wait(fd) < 0) {
			printf("fail: no echo within %d ms\n", PROBE_WAIT_MS);
			return 1;
		}
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n <= 0) {
			printf("fail: recv: %s\n",
			       n == 0 ? "closed" : strerror(errno));
			return 1;
		}
		got += (size_t)n;
	}
	if (memcmp(buf, probe_msg, sizeof(probe_msg) - 1) != 0) {
		printf("fail: the echo differs\n");
		return 1;
	}
	printf("ok: %s\n", what);
	return 0;
}

/* Connect a socket of @type to @ai; the fd or -1 with a line printed. */
static int probe_connect(const struct addrinfo *ai, int type)
{
	int fd = socket(ai->ai_family, type, 0);

	if (fd < 0) {
		printf("fail: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		printf("fail: connect: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char host[INET6_ADDRSTRLEN] = "?";
	int fd, rc, udp;

	if (argc != 4) {
		fprintf(stderr,
			"usage: socksify-probe tcp|udp|dns HOST PORT\n");
		return 2;
	}
	udp = strcmp(argv[1], "udp") == 0;
	hints.ai_family = AF_INET;
	hints.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
	rc = getaddrinfo(argv[2], argv[3], &hints, &ai);
	if (rc != 0) {
		printf("fail: getaddrinfo %s: %s\n", argv[2], gai_strerror(rc));
		return 1;
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, host,
		  sizeof(host));
	if (strcmp(argv[1], "dns") == 0) {
		/* The proxy cannot reach the name (it is made up): what
		 * counts is that the name was not resolved here and went to
		 * the proxy; the caller reads that from the proxy's log. */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		rc = fd >= 0 ? connect(fd, ai->ai_addr, ai->ai_addrlen) : -1;
		printf("ok: %s got %s here, no DNS query; connect %s\n",
		       argv[2], host,
		       rc == 0 ? "succeeded" : "failed (expected)");
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return 0;
	}
	fd = probe_connect(ai, hints.ai_socktype);
	freeaddrinfo(ai);
	if (fd < 0)
		return 1;
	rc = probe_echo(fd, udp ? "datagram echoed" : "bytes echoed");
	close(fd);
	return rc;
}
