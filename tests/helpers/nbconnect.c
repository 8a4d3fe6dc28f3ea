/* SPDX-License-Identifier: MIT */
/*
 * nbconnect: an "unmodified application" doing a non-blocking TCP connect
 * the way event loops do, with strict checks of everything a socksifier
 * could get wrong.
 *
 *   nbconnect [-w MODE] [-B] [-b] [-4|-6] [-o OPTS] [-E ERRNO] [-i]
 *             [-m MSG] [-x] [-n N] [-S N] [-t MS] [-P] [-q] HOST PORT
 *
 *   -w MODE  how to wait: select pselect poll ppoll epoll-lt epoll-et
 *            (default poll)
 *   -B       epoll: register the fd before connect() (default: after)
 *   -b       blocking socket and connect (no O_NONBLOCK)
 *   -4 / -6  address family for getaddrinfo
 *   -o OPTS  comma list, set before connect: cloexec (SOCK_CLOEXEC),
 *            nodelay, keepalive, rcvbuf=N
 *   -E NAME  expect connect to fail with this errno (e.g. ECONNREFUSED),
 *            either from connect() itself or from SO_ERROR; exit 0 then
 *   -i       require connect() to return -1 EINPROGRESS (not 0)
 *   -m MSG   message written after connecting; the peer must echo it
 *            (default "nbconnect PID INDEX\n")
 *   -x       no data exchange (only connect and the checks)
 *   -n N     N concurrent connections: all started, then all completed;
 *            total time printed
 *   -S N     sequential mode: N times blocking connect, write, read echo,
 *            close; prints connections per second (for benchmarks)
 *   -t MS    bound on every wait (default 10000)
 *   -P       skip the post-connect identity checks (options, FD_CLOEXEC,
 *            inode, getpeername): for benchmarking tools that fail them
 *   -q       no success line
 *
 * Checks (exit 1 with a message naming the failed check): connect result,
 * no EINTR from any wait, writability reported, SO_ERROR as expected, the
 * echo, then socket options, FD_CLOEXEC and O_NONBLOCK unchanged, the fd
 * still the same socket (inode), getpeername() == the destination asked
 * for, and errno untouched by every successful wait, getsockopt and
 * getpeername (a canary value set before each).  Output on success:
 *   nbconnect: OK n=N mode=M connect=EINPROGRESS|0 ms=T
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
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum mode { M_SELECT, M_PSELECT, M_POLL, M_PPOLL, M_EPOLL_LT, M_EPOLL_ET };

static const char *const mode_names[] = {"select", "pselect",  "poll",
					 "ppoll",  "epoll-lt", "epoll-et"};

static const struct {
	const char *name;
	int val;
} errnames[] = {
	{"ECONNREFUSED", ECONNREFUSED},
	{"ECONNRESET", ECONNRESET},
	{"ETIMEDOUT", ETIMEDOUT},
	{"EACCES", EACCES},
	{"ENETUNREACH", ENETUNREACH},
	{"EHOSTUNREACH", EHOSTUNREACH},
	{"EOPNOTSUPP", EOPNOTSUPP},
	{"EAFNOSUPPORT", EAFNOSUPPORT},
	{"EPERM", EPERM},
	{"ECONNABORTED", ECONNABORTED},
	{"EPIPE", EPIPE},
	{"EINVAL", EINVAL},
	{"EINPROGRESS", EINPROGRESS},
	{"EALREADY", EALREADY},
	{"EISCONN", EISCONN},
	{"EINTR", EINTR},
	{"EAGAIN", EAGAIN},
	{"ENOTCONN", ENOTCONN},
	{"EPROTO", EPROTO},
	{"EBADF", EBADF},
	{"ENOENT", ENOENT},
	{"EIO", EIO},
};

static struct {
	enum mode mode;
	int before;
	int blocking;
	int family;
	int cloexec, nodelay, keepalive, rcvbuf;
	int expect_err;
	int need_inprogress;
	const char *msg;
	int noio;
	int n;
	int seq;
	int timeout_ms;
	int nopeer;
	int quiet;
} opt = {.mode = M_POLL, .family = AF_UNSPEC, .n = 1, .timeout_ms = 10000};

struct job {
	int fd;
	int done;
	char msg[256];
	size_t len, got;
	char buf[256];
	int rcvbuf0;
	ino_t ino;
};

static struct sockaddr_storage dst;
static socklen_t dstlen;
static int epfd = -1;

static const char *ename(int e)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].val == e)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static int eparse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, s))
			return errnames[i].val;
	fprintf(stderr, "nbconnect: unknown errno name %s\n", s);
	exit(2);
}

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nbconnect: FAIL (mode=%s%s): ", mode_names[opt.mode],
		opt.before ? " before" : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/*
 * errno must survive a successful call (SPEC 4: the library preserves it):
 * set a canary before, check it after.
 */
#define CANARY EDOM
static void errno_kept(const char *call)
{
	if (errno != CANARY)
		die("%s succeeded but changed errno to %s", call, ename(errno));
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t l = sizeof(v);

	errno = CANARY;
	if (getsockopt(fd, level, name, &v, &l) < 0)
		die("getsockopt(%d,%d): %s", level, name, ename(errno));
	errno_kept("getsockopt");
	return v;
}

static void setint(int fd, int level, int name, int v)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)) < 0)
		die("setsockopt(%d,%d): %s", level, name, ename(errno));
}

static void resolve(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = opt.family,
				 .ai_socktype = SOCK_STREAM},
			*res;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc != 0)
		die("getaddrinfo(%s): %s", host, gai_strerror(rc));
	memcpy(&dst, res->ai_addr, res->ai_addrlen);
	dstlen = res->ai_addrlen;
	freeaddrinfo(res);
}

static const char *fmt_addr(const struct sockaddr_storage *ss, char *buf,
			    size_t cap)
{
	char h[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, h, sizeof(h));
		port = ntohs(s->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, h, sizeof(h));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, cap, "%s:%u", h, port);
	return buf;
}

/* Create the socket, set the options, optionally register with epoll. */
static void job_open(struct job *j, int idx)
{
	int type = SOCK_STREAM;
	struct stat st;

	if (!opt.blocking)
		type |= SOCK_NONBLOCK;
	if (opt.cloexec)
		type |= SOCK_CLOEXEC;
	j->fd = socket(dst.ss_family, type, 0);
	if (j->fd < 0)
		die("socket: %s", ename(errno));
	if (opt.nodelay)
		setint(j->fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (opt.keepalive)
		setint(j->fd, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (opt.rcvbuf)
		setint(j->fd, SOL_SOCKET, SO_RCVBUF, opt.rcvbuf);
	j->rcvbuf0 = getint(j->fd, SOL_SOCKET, SO_RCVBUF);
	if (fstat(j->fd, &st) < 0)
		die("fstat: %s", ename(errno));
	j->ino = st.st_ino;
	if (opt.msg)
		snprintf(j->msg, sizeof(j->msg), "%s", opt.msg);
	else
		snprintf(j->msg, sizeof(j->msg), "nbconnect %d %d\n",
			 (int)getpid(), idx);
	j->len = strlen(j->msg);
}

static void ep_ctl(int op, struct job *j, unsigned ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = j};

	if (opt.mode == M_EPOLL_ET)
		e.events |= EPOLLET;
	if (epoll_ctl(epfd, op, j->fd, &e) < 0)
		die("epoll_ctl(%d): %s", op, ename(errno));
}

/* Wait until every not-done job reports `want` (POLLIN or POLLOUT). */
static void wait_all(struct job *jobs, int n, short want, const char *what)
{
	long long deadline = now_ms() + opt.timeout_ms;
	int left = 0, i;

	for (i = 0; i < n; i++)
		if (!jobs[i].done)
			left++;
	while (left > 0) {
		long long rem = deadline - now_ms();
		int r, k;

		if (rem <= 0)
			die("timeout (%d ms) waiting for %s: %d of %d pending",
			    opt.timeout_ms, what, left, n);
		switch (opt.mode) {
		case M_SELECT:
		case M_PSELECT: {
			fd_set rs, ws;
			int maxfd = -1;

			FD_ZERO(&rs);
			FD_ZERO(&ws);
			for (i = 0; i < n; i++) {
				if (jobs[i].done)
					continue;
				if (jobs[i].fd >= FD_SETSIZE)
					die("fd %d too big for select",
					    jobs[i].fd);
				FD_SET(jobs[i].fd, want == POLLIN ? &rs : &ws);
				if (jobs[i].fd > maxfd)
					maxfd = jobs[i].fd;
			}
			if (opt.mode == M_SELECT) {
				struct timeval tv = {rem / 1000,
						     (rem % 1000) * 1000};

				errno = CANARY;
				r = select(maxfd + 1, &rs, &ws, NULL, &tv);
			} else {
				struct timespec ts = {rem / 1000,
						      (rem % 1000) * 1000000};
				sigset_t mask;

				sigemptyset(&mask);
				errno = CANARY;
				r = pselect(maxfd + 1, &rs, &ws, NULL, &ts,
					    &mask);
			}
			if (r < 0)
				die("%s: %s", mode_names[opt.mode],
				    ename(errno));
			errno_kept(mode_names[opt.mode]);
			for (i = 0; i < n; i++) {
				if (jobs[i].done)
					continue;
				if (FD_ISSET(jobs[i].fd,
					     want == POLLIN ? &rs : &ws)) {
					jobs[i].done = 1;
					left--;
				}
			}
			break;
		}
		case M_POLL:
		case M_PPOLL: {
			struct pollfd p[n];
			int map[n], np = 0;

			for (i = 0; i < n; i++) {
				if (jobs[i].done)
					continue;
				p[np].fd = jobs[i].fd;
				p[np].events = want;
				p[np].revents = 0;
				map[np++] = i;
			}
			if (opt.mode == M_POLL) {
				errno = CANARY;
				r = poll(p, np, (int)rem);
			} else {
				struct timespec ts = {rem / 1000,
						      (rem % 1000) * 1000000};
				sigset_t mask;

				sigemptyset(&mask);
				errno = CANARY;
				r = ppoll(p, np, &ts, &mask);
			}
			if (r < 0)
				die("%s: %s", mode_names[opt.mode],
				    ename(errno));
			errno_kept(mode_names[opt.mode]);
			for (k = 0; k < np; k++) {
				if (!p[k].revents)
					continue;
				if (p[k].revents & POLLNVAL)
					die("POLLNVAL on fd %d", p[k].fd);
				if (!(p[k].revents &
				      (want | POLLERR | POLLHUP)))
					continue;
				jobs[map[k]].done = 1;
				left--;
			}
			break;
		}
		case M_EPOLL_LT:
		case M_EPOLL_ET: {
			struct epoll_event ev[64];

			errno = CANARY;
			r = epoll_wait(epfd, ev, 64, (int)rem);
			if (r < 0)
				die("epoll_wait: %s", ename(errno));
			errno_kept("epoll_wait");
			for (k = 0; k < r; k++) {
				struct job *j = ev[k].data.ptr;
				unsigned w =
					want == POLLIN ? EPOLLIN : EPOLLOUT;

				if (j->done)
					continue;
				if (!(ev[k].events & (w | EPOLLERR | EPOLLHUP)))
					continue;
				j->done = 1;
				left--;
			}
			break;
		}
		}
	}
}

static void check_after(struct job *j)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char a[80], b[80];
	struct stat st;
	int fl, fdfl;

	if (opt.nopeer)
		return;
	fl = fcntl(j->fd, F_GETFL);
	fdfl = fcntl(j->fd, F_GETFD);
	if (fl < 0 || fdfl < 0)
		die("fcntl: %s", ename(errno));
	if (!!(fl & O_NONBLOCK) != !opt.blocking)
		die("O_NONBLOCK changed: now %s",
		    fl & O_NONBLOCK ? "set" : "clear");
	if (!!(fdfl & FD_CLOEXEC) != !!opt.cloexec)
		die("FD_CLOEXEC changed: now %s",
		    fdfl & FD_CLOEXEC ? "set" : "clear");
	if (opt.nodelay && getint(j->fd, IPPROTO_TCP, TCP_NODELAY) == 0)
		die("TCP_NODELAY lost");
	if (opt.keepalive && getint(j->fd, SOL_SOCKET, SO_KEEPALIVE) == 0)
		die("SO_KEEPALIVE lost");
	if (opt.rcvbuf && getint(j->fd, SOL_SOCKET, SO_RCVBUF) != j->rcvbuf0)
		die("SO_RCVBUF changed: %d -> %d", j->rcvbuf0,
		    getint(j->fd, SOL_SOCKET, SO_RCVBUF));
	if (getint(j->fd, SOL_SOCKET, SO_TYPE) != SOCK_STREAM)
		die("SO_TYPE is not SOCK_STREAM");
	if (fstat(j->fd, &st) < 0)
		die("fstat: %s", ename(errno));
	if (st.st_ino != j->ino)
		die("fd %d is no longer the socket the program created "
		    "(inode %lu -> %lu)",
		    j->fd, (unsigned long)j->ino, (unsigned long)st.st_ino);
	memset(&peer, 0, sizeof(peer));
	errno = CANARY;
	if (getpeername(j->fd, (struct sockaddr *)&peer, &plen) < 0)
		die("getpeername: %s", ename(errno));
	errno_kept("getpeername");
	if (peer.ss_family != dst.ss_family ||
	    (dst.ss_family == AF_INET &&
	     memcmp(&((struct sockaddr_in *)&peer)->sin_addr,
		    &((struct sockaddr_in *)&dst)->sin_addr, 4)) ||
	    (dst.ss_family == AF_INET6 &&
	     memcmp(&((struct sockaddr_in6 *)&peer)->sin6_addr,
		    &((struct sockaddr_in6 *)&dst)->sin6_addr, 16)) ||
	    ((struct sockaddr_in *)&peer)->sin_port !=
		    ((struct sockaddr_in *)&dst)->sin_port)
		die("getpeername %s, asked for %s",
		    fmt_addr(&peer, a, sizeof(a)),
		    fmt_addr(&dst, b, sizeof(b)));
}

/* Returns 1 when the expected error was seen (job finished). */
static int conn_error(int err, const char *where)
{
	if (opt.expect_err) {
		if (err != opt.expect_err)
			die("%s: got %s, expected %s", where,
			    err ? ename(err) : "success",
			    ename(opt.expect_err));
		return 1;
	}
	if (err)
		die("%s: %s", where, ename(err));
	return 0;
}

static void do_write(struct job *j)
{
	size_t off = 0;

	while (off < j->len) {
		ssize_t w =
			send(j->fd, j->msg + off, j->len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			die("write: EINTR");
		if (w < 0)
			die("write: %s", ename(errno));
		off += w;
	}
}

/* Read what is there; returns 1 when the whole echo has arrived. */
static int do_read(struct job *j)
{
	for (;;) {
		ssize_t r = recv(j->fd, j->buf + j->got, j->len - j->got, 0);

		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r < 0)
			die("read: %s", ename(errno));
		if (r == 0)
			die("read: EOF after %zu of %zu echo bytes", j->got,
			    j->len);
		j->got += r;
		if (j->got == j->len) {
			if (memcmp(j->buf, j->msg, j->len))
				die("echo mismatch: got \"%.*s\"", (int)j->len,
				    j->buf);
			return 1;
		}
	}
}

static int run_concurrent(void)
{
	struct job *jobs = calloc(opt.n, sizeof(*jobs));
	int i, inprogress = 0, immediate = 0, finished = 0;
	long long t0;

	if (!jobs)
		die("out of memory");
	if (opt.mode == M_EPOLL_LT || opt.mode == M_EPOLL_ET) {
		epfd = epoll_create1(EPOLL_CLOEXEC);
		if (epfd < 0)
			die("epoll_create1: %s", ename(errno));
	}
	for (i = 0; i < opt.n; i++) {
		job_open(&jobs[i], i);
		if (epfd >= 0 && opt.before)
			ep_ctl(EPOLL_CTL_ADD, &jobs[i], EPOLLOUT);
	}
	t0 = now_ms();
	for (i = 0; i < opt.n; i++) {
		struct job *j = &jobs[i];
		int rc = connect(j->fd, (struct sockaddr *)&dst, dstlen);

		if (rc < 0 && errno == EINTR)
			die("connect: EINTR");
		if (rc < 0 && errno == EINPROGRESS && !opt.blocking) {
			inprogress++;
		} else if (rc == 0) {
			if (opt.need_inprogress)
				die("connect returned 0, expected -1 "
				    "EINPROGRESS");
			immediate++;
			j->done = 1;
		} else {
			conn_error(errno, "connect");
			j->done = 2; /* expected error, finished */
			finished++;
			continue;
		}
		if (epfd >= 0 && !opt.before)
			ep_ctl(EPOLL_CTL_ADD, j, EPOLLOUT);
	}
	wait_all(jobs, opt.n, POLLOUT, "writable");
	for (i = 0; i < opt.n; i++) {
		struct job *j = &jobs[i];

		if (j->done == 2)
			continue;
		j->done = 0;
		if (conn_error(getint(j->fd, SOL_SOCKET, SO_ERROR),
			       "SO_ERROR")) {
			j->done = 2;
			finished++;
			continue;
		}
	}
	if (opt.expect_err) {
		if (finished != opt.n)
			die("%d of %d connections succeeded, expected %s",
			    opt.n - finished, opt.n, ename(opt.expect_err));
		goto out;
	}
	if (!opt.noio) {
		for (i = 0; i < opt.n; i++) {
			jobs[i].done = 0;
			do_write(&jobs[i]);
			if (epfd >= 0)
				ep_ctl(EPOLL_CTL_MOD, &jobs[i], EPOLLIN);
		}
		for (;;) {
			int left = 0;

			if (opt.blocking) {
				for (i = 0; i < opt.n; i++)
					while (!do_read(&jobs[i]))
						;
				break;
			}
			wait_all(jobs, opt.n, POLLIN, "echo");
			/* readable ones: read (ET: until EAGAIN); 3 = echo complete */
			for (i = 0; i < opt.n; i++) {
				if (jobs[i].done != 1)
					continue;
				jobs[i].done = do_read(&jobs[i]) ? 3 : 0;
			}
			for (i = 0; i < opt.n; i++)
				if (jobs[i].done == 0)
					left++;
			if (!left)
				break;
		}
	}
	for (i = 0; i < opt.n; i++)
		check_after(&jobs[i]);
out:
	if (!opt.quiet)
		printf("nbconnect: OK n=%d mode=%s%s connect=%s%s ms=%lld\n",
		       opt.n, opt.blocking ? "blocking" : mode_names[opt.mode],
		       opt.before ? "-before" : "",
		       inprogress ? "EINPROGRESS" : (immediate ? "0" : "error"),
		       opt.expect_err ? " expected-error" : "", now_ms() - t0);
	for (i = 0; i < opt.n; i++)
		close(jobs[i].fd);
	free(jobs);
	return 0;
}

static int run_sequential(void)
{
	long long t0 = now_ms(), ms;
	char msg[] = "x", buf[1];
	int i;

	for (i = 0; i < opt.seq; i++) {
		int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("socket: %s", ename(errno));
		if (connect(fd, (struct sockaddr *)&dst, dstlen) < 0)
			die("connect #%d: %s", i, ename(errno));
		if (send(fd, msg, 1, MSG_NOSIGNAL) != 1)
			die("write #%d: %s", i, ename(errno));
		if (recv(fd, buf, 1, MSG_WAITALL) != 1 || buf[0] != 'x')
			die("echo #%d failed", i);
		close(fd);
	}
	ms = now_ms() - t0;
	printf("nbconnect: OK sequential n=%d ms=%lld rate=%.1f/s\n", opt.seq,
	       ms, ms > 0 ? opt.seq * 1000.0 / ms : 0.0);
	return 0;
}

static void parse_opts(char *s)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "cloexec"))
			opt.cloexec = 1;
		else if (!strcmp(tok, "nodelay"))
			opt.nodelay = 1;
		else if (!strcmp(tok, "keepalive"))
			opt.keepalive = 1;
		else if (!strncmp(tok, "rcvbuf=", 7))
			opt.rcvbuf = atoi(tok + 7);
		else
			die("unknown option %s", tok);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: nbconnect [-w select|pselect|poll|ppoll|"
			"epoll-lt|epoll-et] [-B] [-b] [-4|-6] [-o OPTS] "
			"[-E ERRNO] [-i] [-m MSG] [-x] [-n N] [-S N] [-t MS] "
			"[-P] [-q] HOST PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int ch;
	size_t k;

	while ((ch = getopt(argc, argv, "w:Bb46o:E:im:xn:S:t:Pq")) != -1) {
		switch (ch) {
		case 'w':
			for (k = 0; k < 6; k++)
				if (!strcmp(optarg, mode_names[k]))
					break;
			if (k == 6)
				usage();
			opt.mode = (enum mode)k;
			break;
		case 'B':
			opt.before = 1;
			break;
		case 'b':
			opt.blocking = 1;
			break;
		case '4':
			opt.family = AF_INET;
			break;
		case '6':
			opt.family = AF_INET6;
			break;
		case 'o':
			parse_opts(optarg);
			break;
		case 'E':
			opt.expect_err = eparse(optarg);
			break;
		case 'i':
			opt.need_inprogress = 1;
			break;
		case 'm':
			opt.msg = optarg;
			break;
		case 'x':
			opt.noio = 1;
			break;
		case 'n':
			opt.n = atoi(optarg);
			break;
		case 'S':
			opt.seq = atoi(optarg);
			break;
		case 't':
			opt.timeout_ms = atoi(optarg);
			break;
		case 'P':
			opt.nopeer = 1;
			break;
		case 'q':
			opt.quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || opt.n < 1)
		usage();
	if (opt.blocking && opt.need_inprogress)
		die("-b and -i exclude each other");
	signal(SIGPIPE, SIG_IGN);
	resolve(argv[optind], argv[optind + 1]);
	if (opt.seq > 0)
		return run_sequential();
	return run_concurrent();
}
