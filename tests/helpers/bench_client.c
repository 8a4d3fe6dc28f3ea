// SPDX-License-Identifier: MIT
/*
 * bench_client: load generator for scripts/bench.d/server.sh (not a test).
 *
 *   bench_client echo [-f PORTFILE]
 *	An epoll TCP echo server on 127.0.0.1:0; writes its port to PORTFILE
 *	(or stdout) and runs until killed.
 *   bench_client conn -e ECHO_PORT [-s SOCKS_PORT] [-n N] [-c CONC] [-u U:P]
 *	N connections, CONC in flight: connect (to the SOCKS5 server, then
 *	greeting, optional RFC 1929, CONNECT to 127.0.0.1:ECHO_PORT, each
 *	step waiting for its reply, as a normal client does; or directly to
 *	the echo), send 1 byte, read it back, close.  Prints
 *	"conn n=N conc=C secs=S rate=R p50_us=A p99_us=B rtt_us=D
 *	setup_p50_us=E" where rtt_us is the mean echo round trip of the
 *	1-byte exchange and setup_p50_us the median time from connect() to
 *	a usable connection: the CONNECT reply read (through a server) or
 *	the connect completed (direct), before any data.
 *   bench_client idle -e ECHO_PORT -s SOCKS_PORT -n N
 *	Opens N relayed sessions (handshake + 1-byte echo each), prints
 *	"idle ready N", then holds them until stdin reaches EOF.
 *
 * Every wait is bounded (10 s per step); exit 1 with a message on any
 * error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define STEP_TIMEOUT_MS 10000

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench_client: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* ------------------------------------------------------------ echo */

/* Echo server: level-triggered epoll, one 16 KiB buffer shared. */
static int run_echo(const char *portfile)
{
	struct sockaddr_in sa = loopback(0);
	socklen_t len = sizeof(sa);
	static char buf[16384];
	int ls, ep, one = 1;

	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ls < 0)
		die("socket: %s", strerror(errno));
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls, 4096) < 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &len) < 0)
		die("listen: %s", strerror(errno));
	if (portfile) {
		char tmp[4096];
		FILE *f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
		f = fopen(tmp, "w");
		if (!f)
			die("%s: %s", tmp, strerror(errno));
		fprintf(f, "%u\n", ntohs(sa.sin_port));
		fclose(f);
		if (rename(tmp, portfile) < 0)
			die("rename: %s", strerror(errno));
	} else {
		printf("%u\n", ntohs(sa.sin_port));
		fflush(stdout);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};

		epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	}
	for (;;) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, -1), i;

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == ls) {
				int c;

				while ((c = accept4(ls, NULL, NULL,
						    SOCK_CLOEXEC)) >= 0) {
					struct epoll_event ev = {
						.events = EPOLLIN,
						.data.fd = c};

					setsockopt(c, IPPROTO_TCP, TCP_NODELAY,
						   &one, sizeof(one));
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			{
				/* blocking client socket: write back fully */
				ssize_t r = read(fd, buf, sizeof(buf)), off = 0;

				if (r <= 0) {
					close(fd);
					continue;
				}
				while (off < r) {
					ssize_t w = send(fd, buf + off,
							 (size_t)(r - off),
							 MSG_NOSIGNAL);
					if (w <= 0)
						break;
					off += w;
				}
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------ client */

enum cstate { C_FREE, C_CONNECTING, C_METHOD, C_AUTH, C_REPLY, C_ECHO };

struct cl {
	int fd;
	enum cstate st;
	uint64_t t0, t_echo, t_setup;
	uint8_t buf[600];
	size_t have, want;
};

struct opts {
	uint16_t echo_port, socks_port;
	long n, conc;
	const char *user, *pass;
};

static void cl_send(struct cl *c, const void *p, size_t n)
{
	if (send(c->fd, p, n, MSG_NOSIGNAL) != (ssize_t)n)
		die("send: %s", strerror(errno));
}

static void cl_expect(struct cl *c, enum cstate st, size_t want)
{
	c->st = st;
	c->have = 0;
	c->want = want;
}

/* The SOCKS5 CONNECT request for 127.0.0.1:@port. */
static void send_connect(struct cl *c, uint16_t port)
{
	uint8_t r[10] = {
		5, 1, 0, 1, 127, 0, 0, 1, (uint8_t)(port >> 8), (uint8_t)port};

	cl_send(c, r, sizeof(r));
	cl_expect(c, C_REPLY, 10);
}

static void send_echo(struct cl *c)
{
	c->t_echo = now_us();
	cl_send(c, "x", 1);
	cl_expect(c, C_ECHO, 1);
}

/*
 * Advance @c after its socket became readable/writable.  Returns 1 when
 * the echo came back (connection done), 0 to keep waiting.
 */
static int cl_step(struct cl *c, const struct opts *o, uint32_t events)
{
	ssize_t r;

	if (c->st == C_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err)
			die("connect: %s", strerror(err));
		if (!o->socks_port) {
			c->t_setup = now_us();
			send_echo(c);
			return 0;
		}
		if (o->user) {
			cl_send(c, "\x05\x01\x02", 3);
		} else {
			cl_send(c, "\x05\x01\x00", 3);
		}
		cl_expect(c, C_METHOD, 2);
		return 0;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return 0;
	r = read(c->fd, c->buf + c->have, c->want - c->have);
	if (r <= 0)
		die("read in state %d: %s", c->st, r ? strerror(errno) : "EOF");
	c->have += (size_t)r;
	if (c->have < c->want)
		return 0;
	switch (c->st) {
	case C_METHOD:
		if (c->buf[0] != 5 || c->buf[1] != (o->user ? 2 : 0))
			die("method selection %02x %02x", c->buf[0], c->buf[1]);
		if (o->user) {
			uint8_t a[515];
			size_t ul = strlen(o->user), pl = strlen(o->pass),
			       n = 0;

			a[n++] = 1;
			a[n++] = (uint8_t)ul;
			memcpy(a + n, o->user, ul);
			n += ul;
			a[n++] = (uint8_t)pl;
			memcpy(a + n, o->pass, pl);
			n += pl;
			cl_send(c, a, n);
			cl_expect(c, C_AUTH, 2);
		} else {
			send_connect(c, o->echo_port);
		}
		return 0;
	case C_AUTH:
		if (c->buf[1] != 0)
			die("auth status %02x", c->buf[1]);
		send_connect(c, o->echo_port);
		return 0;
	case C_REPLY:
		/* 10 bytes assumes ATYP 1 in the reply; check it */
		if (c->buf[0] != 5 || c->buf[1] != 0 || c->buf[3] != 1)
			die("CONNECT reply %02x %02x atyp %02x", c->buf[0],
			    c->buf[1], c->buf[3]);
		c->t_setup = now_us();
		send_echo(c);
		return 0;
	case C_ECHO:
		return 1;
	default:
		die("bad state");
	}
}

static void cl_start(struct cl *c, int ep, const struct opts *o)
{
	struct sockaddr_in sa =
		loopback(o->socks_port ? o->socks_port : o->echo_port);
	struct epoll_event ev;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->t0 = now_us();
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	c->st = C_CONNECTING;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Run @o->n connections with @o->conc in flight.  With @hold, keep every
 * connection open after its echo (idle mode) instead of closing it.
 */
static int run_conn(const struct opts *o, int hold)
{
	struct cl *cls = calloc((size_t)(hold ? o->n : o->conc), sizeof(*cls));
	uint64_t *lat = calloc((size_t)o->n, sizeof(*lat));
	uint64_t *setup = calloc((size_t)o->n, sizeof(*setup));
	long started = 0, done = 0, slots = hold ? o->n : o->conc, i;
	uint64_t t_start, rtt_sum = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (!cls || !lat || !setup || ep < 0)
		die("out of memory");
	t_start = now_us();
	for (i = 0; i < slots && started < o->n && i < o->conc; i++, started++)
		cl_start(&cls[hold ? started : i], ep, o);
	while (done < o->n) {
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, STEP_TIMEOUT_MS), k;

		if (n == 0)
			die("no progress for %d ms (%ld of %ld done)",
			    STEP_TIMEOUT_MS, done, o->n);
		for (k = 0; k < n; k++) {
			struct cl *c = evs[k].data.ptr;

			if (c->st == C_CONNECTING) {
				struct epoll_event ev = {.events = EPOLLIN,
							 .data.ptr = c};

				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
			if (!cl_step(c, o, evs[k].events))
				continue;
			rtt_sum += now_us() - c->t_echo;
			setup[done] = c->t_setup - c->t0;
			lat[done++] = now_us() - c->t0;
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			if (hold) {
				c->st = C_FREE;
				if (started < o->n)
					cl_start(&cls[started++], ep, o);
				continue;
			}
			close(c->fd);
			c->st = C_FREE;
			if (started < o->n) {
				cl_start(c, ep, o);
				started++;
			}
		}
	}
	if (hold) {
		char b[64];

		printf("idle ready %ld\n", o->n);
		fflush(stdout);
		while (read(0, b, sizeof(b)) > 0)
			;
		for (i = 0; i < o->n; i++)
			close(cls[i].fd);
	} else {
		double secs = (double)(now_us() - t_start) / 1e6;

		qsort(lat, (size_t)o->n, sizeof(*lat), cmp_u64);
		qsort(setup, (size_t)o->n, sizeof(*setup), cmp_u64);
		printf("conn n=%ld conc=%ld secs=%.3f rate=%.0f p50_us=%llu "
		       "p99_us=%llu rtt_us=%llu setup_p50_us=%llu\n",
		       o->n, o->conc, secs, (double)o->n / secs,
		       (unsigned long long)lat[o->n / 2],
		       (unsigned long long)lat[o->n * 99 / 100],
		       (unsigned long long)(rtt_sum / (uint64_t)o->n),
		       (unsigned long long)setup[o->n / 2]);
	}
	free(cls);
	free(lat);
	free(setup);
	close(ep);
	return 0;
}

static uint16_t parse_port(const char *s)
{
	long v = strtol(s, NULL, 10);

	if (v <= 0 || v > 65535)
		die("bad port %s", s);
	return (uint16_t)v;
}

int main(int argc, char **argv)
{
	struct opts o = {.n = 1000, .conc = 1};
	const char *mode, *portfile = NULL;
	int opt;

	if (argc < 2)
		goto usage;
	mode = argv[1];
	optind = 2;
	while ((opt = getopt(argc, argv, "e:s:n:c:u:f:")) != -1) {
		switch (opt) {
		case 'e':
			o.echo_port = parse_port(optarg);
			break;
		case 's':
			o.socks_port = parse_port(optarg);
			break;
		case 'n':
			o.n = strtol(optarg, NULL, 10);
			break;
		case 'c':
			o.conc = strtol(optarg, NULL, 10);
			break;
		case 'u': {
			char *colon = strchr(optarg, ':');

			if (!colon)
				die("-u USER:PASS");
			*colon = '\0';
			o.user = optarg;
			o.pass = colon + 1;
			break;
		}
		case 'f':
			portfile = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (!strcmp(mode, "echo"))
		return run_echo(portfile);
	if (o.n <= 0 || o.conc <= 0 || !o.echo_port)
		goto usage;
	if (!strcmp(mode, "conn"))
		return run_conn(&o, 0);
	if (!strcmp(mode, "idle") && o.socks_port) {
		o.conc = o.conc > 1 ? o.conc : 50;
		return run_conn(&o, 1);
	}
usage:
	fprintf(stderr,
		"usage: bench_client echo [-f PORTFILE]\n"
		"       bench_client conn -e ECHO_PORT [-s SOCKS_PORT] [-n N] "
		"[-c CONC] [-u U:P]\n"
		"       bench_client idle -e ECHO_PORT -s SOCKS_PORT -n N\n");
	return 2;
}
