// SPDX-License-Identifier: MIT
/*
 * bind_client: SOCKS4 / SOCKS5 BIND through a proxy, end to end.
 *
 *   bind_client -4|-5 PROXY_HOST PROXY_PORT PEER_HOST
 *
 * Sends BIND (DST = PEER_HOST, port 0), prints the first reply, then plays
 * the application server itself: connects from PEER_HOST to the announced
 * address, prints the second reply, checks that it names the peer's
 * socket, and exchanges data both ways.  PEER_HOST ::1 makes a SOCKS5 BIND
 * with ATYP 04.  Exit 0 on success, 1 on any mismatch (with a message),
 * 2 on usage errors.  Every wait is bounded (5 s, 15 s with
 * SOCKSIFY_SANITIZED=1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int timeout_ms = 5000;

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bind_client: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/*
 * Read exactly @n bytes from @fd within the timeout.  Returns 0, or -EPIPE
 * on EOF, -ETIMEDOUT, or -errno.
 */
static int read_all(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;
		int pr = poll(&p, 1, timeout_ms);

		if (pr == 0)
			return -ETIMEDOUT;
		if (pr < 0)
			return -errno;
		r = read(fd, buf + got, n - got);
		if (r == 0)
			return -EPIPE;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)r;
	}
	return 0;
}

/* Write all of @buf; returns 0 or -errno. */
static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void must_read(int fd, uint8_t *buf, size_t n, const char *what)
{
	int rc = read_all(fd, buf, n);

	if (rc)
		die("%s: %s", what, strerror(-rc));
}

static void must_write(int fd, const void *buf, size_t n, const char *what)
{
	int rc = write_all(fd, buf, n);

	if (rc)
		die("%s: %s", what, strerror(-rc));
}

/* A TCP socket connected to @host:@port (numeric), optionally bound to @src. */
static int tcp_connect(const char *host, uint16_t port, const char *src)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			die("bad address %s", host);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			die("bad address %s", host);
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src) {
		struct sockaddr_storage b;

		memset(&b, 0, sizeof(b));
		b.ss_family = ss.ss_family;
		if (ss.ss_family == AF_INET6)
			inet_pton(AF_INET6, src,
				  &((struct sockaddr_in6 *)&b)->sin6_addr);
		else
			inet_pton(AF_INET, src,
				  &((struct sockaddr_in *)&b)->sin_addr);
		if (bind(fd, (struct sockaddr *)&b, len) < 0)
			die("bind %s: %s", src, strerror(errno));
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		die("connect %s:%u: %s", host, port, strerror(errno));
	return fd;
}

struct endpoint {
	char host[INET6_ADDRSTRLEN];
	uint16_t port;
};

/*
 * SOCKS5 reply (RFC 1928 section 6):
 *   +----+-----+-------+------+----------+----------+
 *   |VER | REP |  RSV  | ATYP | BND.ADDR | BND.PORT |
 *   +----+-----+-------+------+----------+----------+
 * Reads one reply, dies unless VER=5, REP=0, RSV=0 and ATYP is 1 or 4.
 */
static void read_reply5(int fd, struct endpoint *e, const char *what)
{
	uint8_t h[4], a[18];
	size_t alen;

	must_read(fd, h, 4, what);
	if (h[0] != 5 || h[2] != 0)
		die("%s: VER %u RSV %u", what, h[0], h[2]);
	if (h[1] != 0)
		die("%s: REP %02x", what, h[1]);
	if (h[3] == 1)
		alen = 4;
	else if (h[3] == 4)
		alen = 16;
	else
		die("%s: ATYP %u", what, h[3]);
	must_read(fd, a, alen + 2, what);
	inet_ntop(alen == 4 ? AF_INET : AF_INET6, a, e->host, sizeof(e->host));
	e->port = (uint16_t)(a[alen] << 8 | a[alen + 1]);
}

/*
 * SOCKS4 reply: VN=0 | CD | DSTPORT | DSTIP.  Dies unless VN=0, CD=90.
 */
static void read_reply4(int fd, struct endpoint *e, const char *what)
{
	uint8_t r[8];

	must_read(fd, r, 8, what);
	if (r[0] != 0)
		die("%s: VN %u (must be 0)", what, r[0]);
	if (r[1] != 90)
		die("%s: CD %u", what, r[1]);
	e->port = (uint16_t)(r[2] << 8 | r[3]);
	inet_ntop(AF_INET, r + 4, e->host, sizeof(e->host));
}

static void local_endpoint(int fd, struct endpoint *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		die("getsockname: %s", strerror(errno));
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, e->host, sizeof(e->host));
		e->port = ntohs(s6->sin6_port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, e->host, sizeof(e->host));
		e->port = ntohs(s4->sin_port);
	}
}

/* Send the BIND request for @peer_host (numeric). */
static void send_bind(int fd, int ver, const char *peer_host)
{
	uint8_t req[32];
	size_t n = 0;
	uint8_t ip[16];

	if (ver == 4) {
		/* VN=4 | CD=2 | DSTPORT | DSTIP | USERID | NUL */
		if (inet_pton(AF_INET, peer_host, ip) != 1)
			die("SOCKS4 BIND needs an IPv4 peer, not %s",
			    peer_host);
		req[n++] = 4;
		req[n++] = 2;
		req[n++] = 0;
		req[n++] = 0;
		memcpy(req + n, ip, 4);
		n += 4;
		memcpy(req + n, "bind", 5);
		n += 5;
		must_write(fd, req, n, "SOCKS4 BIND");
		return;
	}
	/* greeting: VER=5 NMETHODS=1 METHOD=00; answer 05 00 */
	must_write(fd, "\x05\x01\x00", 3, "greeting");
	must_read(fd, req, 2, "method selection");
	if (req[0] != 5 || req[1] != 0)
		die("method selection %02x %02x", req[0], req[1]);
	req[n++] = 5;
	req[n++] = 2; /* BIND */
	req[n++] = 0;
	if (inet_pton(AF_INET, peer_host, ip) == 1) {
		req[n++] = 1;
		memcpy(req + n, ip, 4);
		n += 4;
	} else if (inet_pton(AF_INET6, peer_host, ip) == 1) {
		req[n++] = 4;
		memcpy(req + n, ip, 16);
		n += 16;
	} else {
		die("bad peer address %s", peer_host);
	}
	req[n++] = 0;
	req[n++] = 0;
	must_write(fd, req, n, "SOCKS5 BIND");
}

static void read_reply(int fd, int ver, struct endpoint *e, const char *what)
{
	if (ver == 4)
		read_reply4(fd, e, what);
	else
		read_reply5(fd, e, what);
}

static int is_unspecified(const char *host)
{
	return !strcmp(host, "0.0.0.0") || !strcmp(host, "::");
}

int main(int argc, char **argv)
{
	static const char up[] = "client->peer", down[] = "peer->client";
	struct endpoint first, second, me;
	uint8_t buf[64];
	const char *s;
	int ver, ctl, peer;
	long port;

	if (argc != 5 || (strcmp(argv[1], "-4") && strcmp(argv[1], "-5"))) {
		fprintf(stderr, "usage: bind_client -4|-5 PROXY_HOST "
				"PROXY_PORT PEER_HOST\n");
		return 2;
	}
	s = getenv("SOCKSIFY_SANITIZED");
	if (s && !strcmp(s, "1"))
		timeout_ms *= 3;
	ver = argv[1][1] - '0';
	port = strtol(argv[3], NULL, 10);
	if (port <= 0 || port > 65535)
		die("bad port %s", argv[3]);

	ctl = tcp_connect(argv[2], (uint16_t)port, NULL);
	send_bind(ctl, ver, argv[4]);
	read_reply(ctl, ver, &first, "first BIND reply");
	printf("first reply: %s port %u\n", first.host, first.port);
	if (is_unspecified(first.host) || first.port == 0)
		die("first reply %s:%u is not a reachable listener", first.host,
		    first.port);

	peer = tcp_connect(first.host, first.port, argv[4]);
	local_endpoint(peer, &me);
	read_reply(ctl, ver, &second, "second BIND reply");
	printf("second reply: %s port %u\n", second.host, second.port);
	if (strcmp(second.host, me.host) || second.port != me.port)
		die("second reply %s:%u, but the peer is %s:%u", second.host,
		    second.port, me.host, me.port);

	must_write(peer, down, sizeof(down) - 1, "peer write");
	must_read(ctl, buf, sizeof(down) - 1, "client read");
	if (memcmp(buf, down, sizeof(down) - 1))
		die("client got %.*s", (int)(sizeof(down) - 1), buf);
	must_write(ctl, up, sizeof(up) - 1, "client write");
	must_read(peer, buf, sizeof(up) - 1, "peer read");
	if (memcmp(buf, up, sizeof(up) - 1))
		die("peer got %.*s", (int)(sizeof(up) - 1), buf);
	printf("data: both ways ok\n");

	/* the peer hangs up: the proxy closes the client side */
	close(peer);
	if (read_all(ctl, buf, 1) != -EPIPE)
		die("control connection not closed after the peer left");
	close(ctl);
	return 0;
}
