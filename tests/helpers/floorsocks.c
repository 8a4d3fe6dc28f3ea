/* SPDX-License-Identifier: MIT */
/*
 * floorsocks: the cheapest SOCKS5 relay we can write, as a reference row
 * for scripts/bench.d/server.sh ("what does this machine charge a process
 * that forwards loopback TCP?").  Not a product, never installed.
 *
 *   floorsocks [-l ADDR] [-p PORTFILE] [-m splice|copy] [-z BYTES]
 *              [-b RCV[:SND]] [-c CC] [-M]
 *
 * Listens on ADDR (default 127.0.0.1) port 0 and writes the port to
 * PORTFILE (atomically, via rename; stdout without -p).  Accepts SOCKS5
 * with no authentication and CONNECT to an IPv4 address only; anything
 * else is refused and the connection closed.  After the CONNECT, one
 * thread per direction, blocking I/O, no poll, no timeouts:
 *
 *   -m splice  (default) socket -> pipe -> socket with splice(2), one
 *              pipe per direction
 *   -m copy    read(2)/write(2) through a user-space buffer
 *   -z BYTES   pipe size (F_SETPIPE_SZ) and copy buffer size
 *              (default 1 MiB)
 *   -b RCV[:SND] set SO_RCVBUF to RCV and SO_SNDBUF to SND (default RCV)
 *              bytes on both sockets; 0 leaves one to the kernel
 *              (autotuned, the default)
 *   -c CC      TCP_CONGESTION on both sockets (default: the system's)
 *   -M         SPLICE_F_MORE on the pipe -> socket splice after a read
 *              that filled at least half the pipe
 *
 * A direction that reads EOF shuts the other socket down for writing
 * (half-close, so iperf3's control connection finishes); an error shuts
 * both sockets down, which wakes the other direction.  Both sockets are
 * closed when both directions are over.  The process runs until killed.
 *
 * Defaults are the cheapest relay mechanics measured on the 2-vCPU test
 * VM (iperf3 -t 3 through proxychains4, CPU of this process per GB):
 * splice ~0.20 vs copy ~0.36 s/GB with -c reno; a 1 MiB pipe beat 256 KiB
 * and 4 MiB; -M made no measurable difference.  The socket options stay
 * the system's, like socksifyd's, so the row is the floor for the same
 * TCP settings: with the system's bbr (paced without an fq qdisc) the
 * floor is ~0.35 s/GB, with -c reno or cubic ~0.20 s/GB.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper_io.h"

static struct {
	int copy;	   /* read/write instead of splice */
	size_t size;	   /* pipe size / copy buffer */
	int rcvbuf;	   /* SO_RCVBUF, 0 = kernel default (autotuned) */
	int sndbuf;	   /* SO_SNDBUF, 0 = kernel default (autotuned) */
	unsigned int more; /* SPLICE_F_MORE or 0 */
	const char *cc;	   /* TCP_CONGESTION, NULL = system default */
} opt = {.size = 1 << 20};

struct dir {
	int from, to;
};

struct conn {
	int cfd, tfd; /* client, target */
};

/*
 * Forward d->from to d->to through a pipe until EOF or an error.  Returns
 * 0 on EOF, -1 on error.  The pipe is empty at the top of every iteration,
 * so each socket -> pipe splice may fill all of it.
 */
static int relay_splice(const struct dir *d)
{
	int p[2], rc = -1;
	unsigned int fl;
	ssize_t n, w;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	/* a smaller pipe than asked for still works, only costs more calls */
	fcntl(p[1], F_SETPIPE_SZ, (int)opt.size);
	for (;;) {
		n = splice(d->from, NULL, p[1], NULL, opt.size, SPLICE_F_MOVE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n == 0 ? 0 : -1;
			break;
		}
		/* -M: a pipe filled at least half way says the sender is
		 * ahead of us and more follows at once; MSG_MORE then lets
		 * TCP hold a partial segment for it.  Never on a small
		 * read: a lone request would wait for data that does not
		 * come.  For measuring only: even a big read's tail may
		 * wait until the next one. */
		fl = SPLICE_F_MOVE | ((size_t)n >= opt.size / 2 ? opt.more : 0);
		while (n > 0) {
			w = splice(p[0], NULL, d->to, NULL, (size_t)n, fl);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto out;
			n -= w;
		}
	}
out:
	close(p[0]);
	close(p[1]);
	return rc;
}

/* Same contract as relay_splice, through a user-space buffer. */
static int relay_copy(const struct dir *d)
{
	unsigned char *buf = malloc(opt.size);
	int rc = -1;
	ssize_t n;

	if (!buf)
		return -1;
	for (;;) {
		n = read(d->from, buf, opt.size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n == 0 ? 0 : -1;
			break;
		}
		if (write_full(d->to, buf, (size_t)n) < 0)
			break;
	}
	free(buf);
	return rc;
}

/* One direction: relay, then half-close on EOF or tear down on error. */
static void *direction(void *arg)
{
	const struct dir *d = arg;
	int rc = opt.copy ? relay_copy(d) : relay_splice(d);

	if (rc == 0) {
		shutdown(d->to, SHUT_WR);
	} else {
		shutdown(d->from, SHUT_RDWR);
		shutdown(d->to, SHUT_RDWR);
	}
	return NULL;
}

/* -b, -c: fixed buffer sizes (setting one turns its autotuning off) and
 * the congestion control; accepted sockets inherit the listener's. */
static void set_bufs(int fd)
{
	if (opt.cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, opt.cc,
				 (socklen_t)strlen(opt.cc)) < 0)
		perror("floorsocks: TCP_CONGESTION");
	if (opt.rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt.rcvbuf,
			   sizeof(opt.rcvbuf));
	if (opt.sndbuf)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &opt.sndbuf,
			   sizeof(opt.sndbuf));
}

/*
 * SOCKS5, RFC 1928, reduced to what proxychains4 sends for an IPv4
 * destination: greeting with method 00, then
 *   VER=05 CMD=01 RSV=00 ATYP=01 DST.ADDR(4) DST.PORT(2).
 * Returns the connected target socket, or -1 (reply sent when there is
 * one to send).
 */
static int handshake(int cfd)
{
	unsigned char b[262], rep[10] = {5, 0, 0, 1};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int tfd, one = 1, i, noauth = 0;

	if (read_full(cfd, b, 2) < 0 || b[0] != 5 ||
	    read_full(cfd, b + 2, b[1]) < 0)
		return -1;
	for (i = 0; i < b[1]; i++)
		noauth |= b[2 + i] == 0;
	rep[0] = 5;
	rep[1] = noauth ? 0 : 0xff;
	if (write_full(cfd, rep, 2) < 0 || !noauth)
		return -1;
	if (read_full(cfd, b, 4) < 0 || b[0] != 5)
		return -1;
	rep[1] = b[1] != 1 ? 7 : b[3] != 1 ? 8 : 0; /* CMD, ATYP unsupported */
	if (rep[1] || read_full(cfd, b + 4, 6) < 0) {
		write_full(cfd, rep, 10);
		return -1;
	}
	memcpy(&sin.sin_addr, b + 4, 4);
	memcpy(&sin.sin_port, b + 8, 2);
	tfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (tfd < 0)
		return -1;
	setsockopt(tfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	set_bufs(tfd);
	if (connect(tfd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		rep[1] = errno == ECONNREFUSED	 ? 5
			 : errno == ENETUNREACH	 ? 3
			 : errno == EHOSTUNREACH ? 4
						 : 1;
		write_full(cfd, rep, 10);
		close(tfd);
		return -1;
	}
	/* BND.ADDR/PORT left 0.0.0.0:0: proxychains4 does not use them */
	if (write_full(cfd, rep, 10) < 0) {
		close(tfd);
		return -1;
	}
	return tfd;
}

/* Connection thread: handshake, then relay up here and down in a second
 * thread; closes both sockets when both directions are over. */
static void *serve(void *arg)
{
	struct conn *c = arg;
	struct dir up, down;
	pthread_t t;

	c->tfd = handshake(c->cfd);
	if (c->tfd < 0)
		goto out;
	up = (struct dir){c->cfd, c->tfd};
	down = (struct dir){c->tfd, c->cfd};
	if (pthread_create(&t, NULL, direction, &down) != 0) {
		close(c->tfd);
		goto out;
	}
	direction(&up);
	pthread_join(t, NULL);
	close(c->tfd);
out:
	close(c->cfd);
	free(c);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: floorsocks [-l ADDR] [-p PORTFILE] "
		"[-m splice|copy] [-z BYTES] [-b RCV[:SND]] [-c CC] [-M]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *portfile = NULL;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int lfd, ch, one = 1;
	char *end;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while ((ch = getopt(argc, argv, "l:p:m:z:b:c:M")) != -1) {
		switch (ch) {
		case 'l':
			if (inet_pton(AF_INET, optarg, &sin.sin_addr) != 1)
				usage();
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "copy"))
				opt.copy = 1;
			else if (strcmp(optarg, "splice"))
				usage();
			break;
		case 'z':
			opt.size = strtoul(optarg, NULL, 0);
			if (opt.size < 4096 || opt.size > (1u << 30))
				usage();
			break;
		case 'b':
			opt.rcvbuf = (int)strtol(optarg, &end, 0);
			opt.sndbuf = *end == ':' ? (int)strtol(end + 1, NULL, 0)
						 : opt.rcvbuf;
			break;
		case 'c':
			opt.cc = optarg;
			break;
		case 'M':
			opt.more = SPLICE_F_MORE;
			break;
		default:
			usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		perror("floorsocks: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* accepted sockets inherit TCP_NODELAY and the buffer sizes */
	setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	set_bufs(lfd);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(lfd, 128) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) < 0) {
		perror("floorsocks: listen");
		return 1;
	}
	write_portfile("floorsocks", portfile, ntohs(sin.sin_port));
	for (;;) {
		struct conn *c;
		pthread_t t;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE)
				continue;
			perror("floorsocks: accept");
			return 1;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->cfd = fd;
		if (pthread_create(&t, NULL, serve, c) != 0) {
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
}
