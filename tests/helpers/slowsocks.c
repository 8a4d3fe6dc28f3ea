/* SPDX-License-Identifier: MIT */
/*
 * slowsocks: a deliberately slow and misbehaving SOCKS4/4a/5 test server.
 *
 *   slowsocks [-l ADDR] [-p PORTFILE] [-L LOGFILE] [-r MS] [-g MS]
 *             [-e REP] [-H greet|request|partial] [-N] [-u USER:PASS]
 *             [-m echo|relay] [-t HOST:PORT] [-b ATYP] [-P]
 *
 * Listens on ADDR (default 127.0.0.1) port 0 and writes the port to
 * PORTFILE (atomically, via rename).  One thread per connection.
 *
 *   -r MS   delay the reply to the request (CONNECT) by MS milliseconds
 *   -g MS   delay the method-selection and RFC 1929 replies by MS ms
 *   -e REP  answer the request with this SOCKS5 REP (SOCKS4: CD 91)
 *   -H ST   hang up: "greet" right after reading the greeting (v5) or
 *           request (v4); "request" after reading the request and the
 *           delay; "partial" after sending the first 3 reply bytes
 *   -N      never answer the request (hold the connection until EOF)
 *   -u U:P  require RFC 1929 username/password (SOCKS5 method 02)
 *   -m MODE after a granted CONNECT: "echo" (default) sends every byte
 *           back, whatever the destination; "relay" connects to the
 *           requested destination (names resolved with getaddrinfo)
 *   -t H:P  relay every granted CONNECT to this fixed target instead
 *   -b ATYP SOCKS5 replies carry a BND.ADDR of this type whatever the
 *           request: 1 (0.0.0.0:0), 3 (name "bnd.socksify.test"), 4 (::)
 *           (default: the address of our end of the client connection)
 *   -P      plain echo server, no SOCKS at all (a fast echo target for
 *           benchmarks)
 *
 * Echo mode is the default because it makes destinations that do not
 * exist anywhere (203.0.113.x in a namespace with only lo) work, so a test
 * passes only when the traffic really went through this server.
 *
 * Log (-L, appended, one write(2) per line):
 *   conn=ID peer=IP:PORT ver=5 greet=HEX method=M user=U req=HEX cmd=C
 *       dst=HOST:PORT early=N action=ok|rep=R|hangup|never|partial
 *     written just before the request reply is sent (or the hang-up);
 *     greet/req are the exact bytes received; early is the number of bytes
 *     that had arrived after the request, before the reply (program data
 *     sent before the tunnel was up; must be 0).
 *   end conn=ID up=N down=N         when the connection is over
 *   bad conn=ID reason=...          protocol violations
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
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "helper_io.h"

enum hangup { HANG_NONE, HANG_GREET, HANG_REQUEST, HANG_PARTIAL };

static struct {
	int reply_ms;
	int greet_ms;
	int fail_rep;
	enum hangup hang;
	int never;
	const char *user;
	const char *pass;
	int relay;
	int plain;
	int bnd_atyp;
	const char *fixed_host;
	const char *fixed_port;
	int logfd;
} opt = {.logfd = -1};

static unsigned long conn_counter;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

struct conn {
	unsigned long id;
	int fd;
	char peer[INET6_ADDRSTRLEN + 8];
	char greet[600]; /* hex of the greeting */
	char req[1100];	 /* hex of the request */
	char method[8];
	char user[300];
	char dst[300];
	char dport[8];
	int ver;
	int cmd;
};

/* Append one line to the log with a single write(2). */
static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logline(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	if (opt.logfd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(opt.logfd, buf, n) != n)
		perror("slowsocks: log");
}

static void hexcat(char *dst, size_t cap, const unsigned char *p, size_t n)
{
	size_t len = strlen(dst);
	size_t i;

	for (i = 0; i < n && len + 3 < cap; i++, len += 2)
		snprintf(dst + len, cap - len, "%02x", p[i]);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Read up to a NUL (inclusive) into buf; hex-logs into c->req. */
static int read_cstring(struct conn *c, char *buf, size_t cap)
{
	size_t n = 0;
	unsigned char ch;

	for (;;) {
		if (read_full(c->fd, &ch, 1) < 0)
			return -1;
		hexcat(c->req, sizeof(c->req), &ch, 1);
		if (ch == 0)
			break;
		if (n + 1 < cap)
			buf[n++] = ch;
	}
	buf[n] = 0;
	return 0;
}

/* Bytes waiting in the receive queue (program data sent too early). */
static int pending_bytes(int fd)
{
	int n = 0;

	if (ioctl(fd, FIONREAD, &n) < 0)
		return -1;
	return n;
}

/* Connect to host:port (blocking); returns fd or -1. */
static int dial(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int fd = -1;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Relay (or echo when peer < 0) until either side is done. */
static void pump(struct conn *c, int peer)
{
	unsigned long long up = 0, down = 0;
	char buf[16384];

	for (;;) {
		struct pollfd p[2] = {{c->fd, POLLIN, 0}, {peer, POLLIN, 0}};
		int n = poll(p, peer >= 0 ? 2 : 1, -1);
		ssize_t r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (p[0].revents) {
			r = recv(c->fd, buf, sizeof(buf), 0);
			if (r <= 0)
				break;
			up += r;
			if (write_full(peer >= 0 ? peer : c->fd, buf, r) < 0)
				break;
			if (peer < 0)
				down += r;
		}
		if (peer >= 0 && p[1].revents) {
			r = recv(peer, buf, sizeof(buf), 0);
			if (r <= 0)
				break;
			down += r;
			if (write_full(c->fd, buf, r) < 0)
				break;
		}
	}
	logline("end conn=%lu up=%llu down=%llu", c->id, up, down);
}

static void log_request(struct conn *c, const char *action)
{
	int early = pending_bytes(c->fd);

	logline("conn=%lu peer=%s ver=%d greet=%s method=%s user=%s req=%s "
		"cmd=%d dst=%s:%s early=%d action=%s",
		c->id, c->peer, c->ver, c->greet[0] ? c->greet : "-",
		c->method[0] ? c->method : "-", c->user[0] ? c->user : "-",
		c->req, c->cmd, c->dst, c->dport, early, action);
}

/* Waits for the peer to close (never-answer mode). */
static void wait_eof(int fd)
{
	char buf[512];

	while (recv(fd, buf, sizeof(buf), 0) > 0 || errno == EINTR)
		;
}

/*
 * Common tail after the request was read: delay, misbehave as asked, reply,
 * then echo/relay.  reply/fail encode the protocol's replies.
 */
static void finish(struct conn *c, const unsigned char *ok, size_t oklen,
		   const unsigned char *bad, size_t badlen)
{
	char action[32];
	int peer = -1;

	if (opt.hang == HANG_GREET && c->ver == 4) {
		log_request(c, "hangup");
		return;
	}
	sleep_ms(opt.reply_ms);
	if (opt.never) {
		log_request(c, "never");
		wait_eof(c->fd);
		return;
	}
	if (opt.hang == HANG_REQUEST) {
		log_request(c, "hangup");
		return;
	}
	if (opt.hang == HANG_PARTIAL) {
		log_request(c, "partial");
		write_full(c->fd, ok, 3);
		return;
	}
	if (opt.fail_rep) {
		snprintf(action, sizeof(action), "rep=%d", opt.fail_rep);
		log_request(c, action);
		write_full(c->fd, bad, badlen);
		return;
	}
	if (opt.fixed_host)
		peer = dial(opt.fixed_host, opt.fixed_port);
	else if (opt.relay)
		peer = dial(c->dst, c->dport);
	if ((opt.fixed_host || opt.relay) && peer < 0) {
		log_request(c, "unreachable");
		write_full(c->fd, bad, badlen);
		return;
	}
	log_request(c, "ok");
	if (write_full(c->fd, ok, oklen) == 0)
		pump(c, peer);
	if (peer >= 0)
		close(peer);
}

/* The address our side of the client connection uses, as reply BND. */
static size_t bnd_v5(struct conn *c, unsigned char *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (opt.bnd_atyp == 3) {
		static const char name[] = "bnd.socksify.test";

		out[0] = 3;
		out[1] = sizeof(name) - 1;
		memcpy(out + 2, name, sizeof(name) - 1);
		out[1 + sizeof(name)] = 0x04;
		out[2 + sizeof(name)] = 0x38;
		return 3 + sizeof(name);
	}
	if (opt.bnd_atyp == 1 || opt.bnd_atyp == 4) {
		out[0] = opt.bnd_atyp;
		memset(out + 1, 0, opt.bnd_atyp == 1 ? 6 : 18);
		return opt.bnd_atyp == 1 ? 7 : 19;
	}
	getsockname(c->fd, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		out[0] = 4;
		memcpy(out + 1, &s6->sin6_addr, 16);
		memcpy(out + 17, &s6->sin6_port, 2);
		return 19;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

	out[0] = 1;
	memcpy(out + 1, &s4->sin_addr, 4);
	memcpy(out + 5, &s4->sin_port, 2);
	return 7;
}

static void serve_v4(struct conn *c, unsigned char vn)
{
	unsigned char h[7], ok[8] = {0, 90}, bad[8] = {0, 91};
	char name[256];
	struct in_addr ip;

	c->ver = 4;
	hexcat(c->req, sizeof(c->req), &vn, 1);
	if (read_full(c->fd, h, 7) < 0)
		return;
	hexcat(c->req, sizeof(c->req), h, 7);
	c->cmd = h[0];
	snprintf(c->dport, sizeof(c->dport), "%u", (h[1] << 8) | h[2]);
	if (read_cstring(c, c->user, sizeof(c->user)) < 0)
		return;
	memcpy(&ip, h + 3, 4);
	if (h[3] == 0 && h[4] == 0 && h[5] == 0 && h[6] != 0) {
		if (read_cstring(c, name, sizeof(name)) < 0)
			return;
		snprintf(c->dst, sizeof(c->dst), "%s", name);
	} else {
		inet_ntop(AF_INET, &ip, c->dst, sizeof(c->dst));
	}
	memcpy(ok + 2, h + 1, 6);
	finish(c, ok, 8, bad, 8);
}

static int auth_1929(struct conn *c)
{
	unsigned char v, ulen, plen, st[2] = {1, 0};
	char u[256], p[256];

	if (read_full(c->fd, &v, 1) < 0 || read_full(c->fd, &ulen, 1) < 0 ||
	    read_full(c->fd, u, ulen) < 0 || read_full(c->fd, &plen, 1) < 0 ||
	    read_full(c->fd, p, plen) < 0)
		return -1;
	u[ulen] = 0;
	p[plen] = 0;
	snprintf(c->user, sizeof(c->user), "%s", u);
	sleep_ms(opt.greet_ms);
	if (v != 1 || strcmp(u, opt.user) != 0 || strcmp(p, opt.pass) != 0) {
		st[1] = 1;
		logline("bad conn=%lu reason=auth user=%s", c->id, u);
		write_full(c->fd, st, 2);
		return -1;
	}
	return write_full(c->fd, st, 2);
}

static void serve_v5(struct conn *c, unsigned char ver)
{
	unsigned char nm, m[256], h[4], a[256], pt[2], sel[2] = {5, 0xff};
	unsigned char ok[32] = {5, 0, 0}, bad[10] = {5, 1, 0, 1};
	size_t alen, oklen;
	int i;

	c->ver = 5;
	if (read_full(c->fd, &nm, 1) < 0 || read_full(c->fd, m, nm) < 0)
		return;
	hexcat(c->greet, sizeof(c->greet), &ver, 1);
	hexcat(c->greet, sizeof(c->greet), &nm, 1);
	hexcat(c->greet, sizeof(c->greet), m, nm);
	if (opt.hang == HANG_GREET) {
		log_request(c, "hangup");
		return;
	}
	for (i = 0; i < nm; i++) {
		if ((opt.user && m[i] == 2) || (!opt.user && m[i] == 0))
			sel[1] = m[i];
	}
	snprintf(c->method, sizeof(c->method), "%02x", sel[1]);
	sleep_ms(opt.greet_ms);
	if (write_full(c->fd, sel, 2) < 0 || sel[1] == 0xff)
		return;
	if (sel[1] == 2 && auth_1929(c) < 0)
		return;
	if (read_full(c->fd, h, 4) < 0)
		return;
	hexcat(c->req, sizeof(c->req), h, 4);
	c->cmd = h[1];
	switch (h[3]) {
	case 1:
		if (read_full(c->fd, a, 4) < 0)
			return;
		hexcat(c->req, sizeof(c->req), a, 4);
		inet_ntop(AF_INET, a, c->dst, sizeof(c->dst));
		break;
	case 4:
		if (read_full(c->fd, a, 16) < 0)
			return;
		hexcat(c->req, sizeof(c->req), a, 16);
		inet_ntop(AF_INET6, a, c->dst, sizeof(c->dst));
		break;
	case 3:
		if (read_full(c->fd, a, 1) < 0)
			return;
		alen = a[0];
		if (read_full(c->fd, a + 1, alen) < 0)
			return;
		hexcat(c->req, sizeof(c->req), a, alen + 1);
		memcpy(c->dst, a + 1, alen);
		c->dst[alen] = 0;
		break;
	default:
		logline("bad conn=%lu reason=atyp-%d", c->id, h[3]);
		return;
	}
	if (read_full(c->fd, pt, 2) < 0)
		return;
	hexcat(c->req, sizeof(c->req), pt, 2);
	snprintf(c->dport, sizeof(c->dport), "%u", (pt[0] << 8) | pt[1]);
	oklen = 3 + bnd_v5(c, ok + 3);
	bad[1] = opt.fail_rep ? opt.fail_rep : 1;
	finish(c, ok, oklen, bad, sizeof(bad));
}

static void *serve(void *arg)
{
	struct conn *c = arg;
	unsigned char v;

	if (opt.plain)
		pump(c, -1);
	else if (read_full(c->fd, &v, 1) == 0) {
		if (v == 4)
			serve_v4(c, v);
		else if (v == 5)
			serve_v5(c, v);
		else
			logline("bad conn=%lu reason=version-%d", c->id, v);
	}
	close(c->fd);
	free(c);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: slowsocks [-l ADDR] [-p PORTFILE] [-L LOGFILE] "
			"[-r MS] [-g MS] [-e REP] [-H greet|request|partial] "
			"[-N] [-u USER:PASS] [-m echo|relay] [-t HOST:PORT] "
			"[-b 1|3|4] [-P]\n");
	exit(2);
}

static void split_hostport(char *s, const char **host, const char **port)
{
	char *colon = strrchr(s, ':');

	if (!colon)
		usage();
	*colon = 0;
	*port = colon + 1;
	if (s[0] == '[' && colon[-1] == ']') {
		colon[-1] = 0;
		s++;
	}
	*host = s;
}

static int listen_on(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			usage();
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			usage();
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 512) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The port @lfd listens on, published (helper_io.h). */
static void publish_port(const char *path, int lfd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	getsockname(lfd, (struct sockaddr *)&ss, &len);
	write_portfile("slowsocks", path,
		       ntohs(ss.ss_family == AF_INET6
				     ? ((struct sockaddr_in6 *)&ss)->sin6_port
				     : ((struct sockaddr_in *)&ss)->sin_port));
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *portfile = NULL;
	char *s;
	int lfd, ch;

	while ((ch = getopt(argc, argv, "l:p:L:r:g:e:H:Nu:m:t:b:P")) != -1) {
		switch (ch) {
		case 'l':
			addr = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'L':
			opt.logfd =
				open(optarg,
				     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				     0644);
			if (opt.logfd < 0) {
				perror(optarg);
				return 1;
			}
			break;
		case 'r':
			opt.reply_ms = atoi(optarg);
			break;
		case 'g':
			opt.greet_ms = atoi(optarg);
			break;
		case 'e':
			opt.fail_rep = (int)strtol(optarg, NULL, 0);
			break;
		case 'H':
			if (!strcmp(optarg, "greet"))
				opt.hang = HANG_GREET;
			else if (!strcmp(optarg, "request"))
				opt.hang = HANG_REQUEST;
			else if (!strcmp(optarg, "partial"))
				opt.hang = HANG_PARTIAL;
			else
				usage();
			break;
		case 'N':
			opt.never = 1;
			break;
		case 'P':
			opt.plain = 1;
			break;
		case 'b':
			opt.bnd_atyp = atoi(optarg);
			if (opt.bnd_atyp != 1 && opt.bnd_atyp != 3 &&
			    opt.bnd_atyp != 4)
				usage();
			break;
		case 'u':
			s = strdup(optarg);
			if (!s || !strchr(s, ':'))
				usage();
			opt.user = s;
			opt.pass = strchr(s, ':') + 1;
			*strchr(s, ':') = 0;
			break;
		case 'm':
			if (!strcmp(optarg, "relay"))
				opt.relay = 1;
			else if (strcmp(optarg, "echo"))
				usage();
			break;
		case 't':
			s = strdup(optarg);
			if (!s)
				return 1;
			split_hostport(s, &opt.fixed_host, &opt.fixed_port);
			break;
		default:
			usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(addr);
	if (lfd < 0) {
		perror("slowsocks: listen");
		return 1;
	}
	publish_port(portfile, lfd);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		char host[INET6_ADDRSTRLEN];
		struct conn *c;
		pthread_t t;
		int fd, one = 1;

		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE)
				continue;
			perror("slowsocks: accept");
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&counter_lock);
		c->id = ++conn_counter;
		pthread_mutex_unlock(&counter_lock);
		c->fd = fd;
		if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host),
				NULL, 0, NI_NUMERICHOST) != 0)
			snprintf(host, sizeof(host), "?");
		snprintf(c->peer, sizeof(c->peer), "%s:%u", host,
			 ntohs(((struct sockaddr_in *)&ss)->sin_port));
		if (pthread_create(&t, NULL, serve, c) != 0) {
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
}
