// SPDX-License-Identifier: MIT
/*
 * bind_probe MODE HOST PORT [NLISTENERS]: a plain program with an active
 * FTP-like callback, for tests/netns/bind_api.sh.  It connects to the
 * callback server HOST:PORT (the control connection), then opens
 * NLISTENERS (1 or 2) listeners of HOST's family bound to the any
 * address, tells the server each listener's getsockname() as
 * "PORT ADDR PORT\n", waits for the callbacks the way MODE says (block:
 * blocking accept; poll; select; epoll-lt; epoll-et; epoll-oneshot:
 * non-blocking listeners), accepts each, checks getpeername() is HOST,
 * reads "peer\n", writes "client\n", half-closes and reads "bye\n" up to
 * the server's EOF.  Prints one line per listener; exit 0 when all went
 * well, 1 otherwise (with the reason).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXL 2
#define WAIT_MS 10000

static int die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	return 1;
}

/* Read up to EOF into @buf (NUL-terminated), waiting at most WAIT_MS per
 * read.  Returns the length or -1. */
static ssize_t read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, WAIT_MS) != 1)
			return -1;
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap - 1)
			break;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

/* The exchange on an accepted connection @a; 0 or 1. */
static int exchange(int a, const char *host, int i)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN], buf[64];
	struct pollfd p = {.fd = a, .events = POLLIN};
	ssize_t n;

	if (getpeername(a, (struct sockaddr *)&ss, &len) < 0)
		return die("getpeername");
	inet_ntop(ss.ss_family,
		  ss.ss_family == AF_INET
			  ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
			  : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
		  ip, sizeof(ip));
	if (strcmp(ip, host) != 0) {
		printf("FAIL listener %d: peer %s, want %s\n", i, ip, host);
		return 1;
	}
	if (poll(&p, 1, WAIT_MS) != 1 || (n = read(a, buf, 5)) != 5 ||
	    memcmp(buf, "peer\n", 5) != 0)
		return die("read peer greeting");
	if (write(a, "client\n", 7) != 7 || shutdown(a, SHUT_WR) < 0)
		return die("write/shutdown");
	if (read_all(a, buf, sizeof(buf)) < 0 || strcmp(buf, "bye\n") != 0) {
		printf("FAIL listener %d: got '%s' after the half-close\n", i,
		       buf);
		return 1;
	}
	printf("ok listener %d: peer %s, data both ways, half-close\n", i, ip);
	return 0;
}

/* Wait until listener @l is readable the way @mode says (@ep: epoll). */
static int wait_readable(const char *mode, int l, int ep)
{
	if (strcmp(mode, "poll") == 0) {
		struct pollfd p = {.fd = l, .events = POLLIN};

		return poll(&p, 1, WAIT_MS) == 1 && (p.revents & POLLIN) ? 0
									 : -1;
	}
	if (strcmp(mode, "select") == 0) {
		fd_set r;
		struct timeval tv = {WAIT_MS / 1000, 0};

		FD_ZERO(&r);
		FD_SET(l, &r);
		return select(l + 1, &r, NULL, NULL, &tv) == 1 ? 0 : -1;
	}
	if (strncmp(mode, "epoll", 5) == 0) {
		/* Edges seen for the other listener are kept for later. */
		static int seen[MAXL], nseen;
		struct epoll_event ev;

		for (;;) {
			for (int i = 0; i < nseen; i++)
				if (seen[i] == l) {
					seen[i] = seen[--nseen];
					return 0;
				}
			if (epoll_wait(ep, &ev, 1, WAIT_MS) != 1)
				return -1;
			if (nseen < MAXL)
				seen[nseen++] = ev.data.fd;
		}
	}
	return 0; /* block: accept waits */
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family, c, n, ep = -1, l[MAXL], rc = 0;
	const char *mode, *host;
	char line[128], ip[INET6_ADDRSTRLEN];

	if (argc < 4)
		return fprintf(stderr,
			       "usage: bind_probe MODE HOST PORT [N]\n"),
		       2;
	mode = argv[1];
	host = argv[2];
	n = argc > 4 ? atoi(argv[4]) : 1;
	if (n < 1 || n > MAXL)
		return 2;
	family = strchr(host, ':') ? AF_INET6 : AF_INET;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		inet_pton(AF_INET, host,
			  &((struct sockaddr_in *)&ss)->sin_addr);
		((struct sockaddr_in *)&ss)->sin_port = htons(atoi(argv[3]));
		len = sizeof(struct sockaddr_in);
	} else {
		inet_pton(AF_INET6, host,
			  &((struct sockaddr_in6 *)&ss)->sin6_addr);
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(atoi(argv[3]));
		len = sizeof(struct sockaddr_in6);
	}
	c = socket(family, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, len) < 0)
		return die("control connect");
	if (strncmp(mode, "epoll", 5) == 0) {
		ep = epoll_create1(0);
		if (ep < 0)
			return die("epoll_create1");
	}
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage a;

		memset(&a, 0, sizeof(a));
		a.ss_family = (sa_family_t)family;
		l[i] = socket(family, SOCK_STREAM, 0);
		if (l[i] < 0 || bind(l[i], (struct sockaddr *)&a, len) < 0)
			return die("socket/bind");
		if (strcmp(mode, "block") != 0)
			fcntl(l[i], F_SETFL, O_NONBLOCK);
		if (ep >= 0) {
			/* Registered before listen(): it must survive. */
			struct epoll_event ev = {.events = EPOLLIN,
						 .data.fd = l[i]};

			if (strcmp(mode, "epoll-et") == 0)
				ev.events |= EPOLLET;
			if (strcmp(mode, "epoll-oneshot") == 0)
				ev.events |= EPOLLONESHOT;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, l[i], &ev) < 0)
				return die("epoll_ctl");
		}
		if (listen(l[i], 1) < 0)
			return die("listen");
		len = sizeof(a);
		if (getsockname(l[i], (struct sockaddr *)&a, &len) < 0)
			return die("getsockname");
		inet_ntop(
			family,
			family == AF_INET
				? (void *)&((struct sockaddr_in *)&a)->sin_addr
				: (void *)&((struct sockaddr_in6 *)&a)
					  ->sin6_addr,
			ip, sizeof(ip));
		snprintf(line, sizeof(line), "PORT %s %u\n", ip,
			 ntohs(family == AF_INET
				       ? ((struct sockaddr_in *)&a)->sin_port
				       : ((struct sockaddr_in6 *)&a)
						 ->sin6_port));
		printf("listener %d at %s", i, line + 5);
		if (write(c, line, strlen(line)) != (ssize_t)strlen(line))
			return die("control write");
		len = family == AF_INET ? sizeof(struct sockaddr_in)
					: sizeof(struct sockaddr_in6);
	}
	fflush(stdout);
	/* The peers connect in any order; take them last to first. */
	for (int i = n - 1; i >= 0; i--) {
		int a;

		if (wait_readable(mode, l[i], ep) < 0) {
			printf("FAIL listener %d: not readable (%s)\n", i,
			       mode);
			return 1;
		}
		a = accept4(l[i], NULL, NULL, SOCK_CLOEXEC);
		if (a < 0)
			return die("accept4");
		rc |= exchange(a, host, i);
		close(a);
	}
	close(c);
	return rc;
}
