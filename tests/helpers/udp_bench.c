// SPDX-License-Identifier: MIT
/*
 * udp_bench: the UDP parts of scripts/bench.d/udp.sh (not a test).
 *
 *   udp_bench echo PORTFILE            UDP echo (port 0)
 *   udp_bench rr HOST PORT SECS        request/response, one socket, one
 *                                      64-byte datagram in flight, plain
 *                                      sendto/recvfrom (run it under a
 *                                      SOCKS client library); prints the
 *                                      round trips per second and its CPU
 *                                      microseconds per round trip
 *   udp_bench relay PPORT EPORT SECS W speaks SOCKS5 UDP ASSOCIATE itself
 *                                      to the proxy on PPORT and keeps W
 *                                      64-byte datagrams in flight to the
 *                                      echo on EPORT; prints the
 *                                      datagrams the relay carried
 *                                      (two per echo)
 *   udp_bench rrs PPORT EPORT SECS     as rr, but speaks UDP ASSOCIATE
 *                                      itself to the proxy on PPORT (no
 *                                      client library): the path's floor
 *   udp_bench floor PORTFILE           the floor: a minimal SOCKS5 UDP
 *                                      relay (one association, no
 *                                      checks, a blocking poll loop)
 * Every wait is bounded (2 s without an answer ends a run).  Addresses
 * default to 127.0.0.1; in the namespace topology of udp.sh the
 * environment names others: UDP_BENCH_ADDR (what echo, floor and the UDP
 * socket of rrs and relay bind), UDP_BENCH_PROXY (the proxy of rrs and
 * relay), UDP_BENCH_ECHO (the echo their datagrams go to).
 */
#define _GNU_SOURCE 1 /* built by scripts/bench.d/udp.sh with plain cc too */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sa_lo(struct sockaddr_in *sin, const char *ip, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
}

static const char *self_addr = "127.0.0.1", *proxy_host = "127.0.0.1",
		  *echo_host = "127.0.0.1";

/* A UDP socket bound to self_addr port 0; its port in *port. */
static int udp_bound(int *port)
{
	struct sockaddr_in sin;
	socklen_t l = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sa_lo(&sin, self_addr, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, l) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &l) < 0) {
		perror("udp socket");
		exit(1);
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void write_port(const char *pf, int port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", pf);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 ||
	    rename(tmp, pf) != 0) {
		perror(pf);
		exit(1);
	}
}

static __attribute__((noreturn)) int echo(const char *pf)
{
	char buf[65536];
	struct sockaddr_storage from;
	int port, fd = udp_bound(&port);

	write_port(pf, port);
	for (;;) {
		socklen_t l = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &l);

		if (n >= 0)
			(void)sendto(fd, buf, (size_t)n, 0,
				     (struct sockaddr *)&from, l);
	}
}

/* The result of a request/response run: round trips per second and this
 * process's CPU microseconds (user + system) per round trip. */
static void report_rr(long n, double secs)
{
	struct rusage ru;
	double cpu = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	printf("%.0f %.1f\n", (double)n / secs, n ? cpu / (double)n * 1e6 : 0);
}

static int rr(const char *host, int port, double secs)
{
	char out[64], in[256];
	struct sockaddr_in to;
	struct timeval tv = {.tv_sec = 2};
	long n = 0;
	double t0, t;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(out, 'x', sizeof(out));
	sa_lo(&to, host, port);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = now();
	do {
		if (sendto(fd, out, sizeof(out), 0, (struct sockaddr *)&to,
			   sizeof(to)) != sizeof(out) ||
		    recvfrom(fd, in, sizeof(in), 0, NULL, NULL) !=
			    sizeof(out)) {
			fprintf(stderr, "rr: %s after %ld\n", strerror(errno),
				n);
			return 1;
		}
		n++;
		t = now();
	} while (t - t0 < secs);
	report_rr(n, t - t0);
	return 0;
}

/* Read exactly @n bytes from TCP @fd. */
static void read_n(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);

		if (r <= 0) {
			fprintf(stderr, "control connection: %s\n",
				r ? strerror(errno) : "EOF");
			exit(1);
		}
		b += r;
		n -= (size_t)r;
	}
}

/*
 * UDP ASSOCIATE to the proxy on proxy_host:@pport, done by hand: the UDP
 * socket (bound, connected to the relay) in *@u, the control connection
 * returned; the datagram header for the echo on echo_host:@eport and 64
 * bytes of data in @b (74 bytes).
 */
static int associate(int pport, int eport, uint8_t *b, int *u)
{
	struct sockaddr_in px, rl;
	int c = socket(AF_INET, SOCK_STREAM, 0), uport;

	sa_lo(&px, proxy_host, pport);
	if (connect(c, (struct sockaddr *)&px, sizeof(px)) < 0) {
		perror("connect proxy");
		exit(1);
	}
	memcpy(b, "\5\1\0", 3);
	(void)!write(c, b, 3);
	read_n(c, b, 2);
	memcpy(b, "\5\3\0\1\0\0\0\0\0\0", 10);
	(void)!write(c, b, 10);
	read_n(c, b, 10);
	if (b[1] != 0 || b[3] != 1) {
		fprintf(stderr, "UDP ASSOCIATE refused (%u)\n", b[1]);
		exit(1);
	}
	/* the relay: BND, or the proxy's address when BND is 0.0.0.0 */
	sa_lo(&rl, proxy_host, b[8] << 8 | b[9]);
	if (memcmp(b + 4, "\0\0\0\0", 4) != 0)
		memcpy(&rl.sin_addr, b + 4, 4);
	*u = udp_bound(&uport);
	connect(*u, (struct sockaddr *)&rl, sizeof(rl));
	/* header: RSV RSV FRAG ATYP echo_host EPORT, 64 bytes of data */
	memset(b, 'x', 74);
	memcpy(b, "\0\0\0\1", 4);
	inet_pton(AF_INET, echo_host, b + 4);
	b[8] = (uint8_t)(eport >> 8);
	b[9] = (uint8_t)eport;
	return c;
}

static int relay(int pport, int eport, double secs, int window)
{
	uint8_t b[600];
	int u, c = associate(pport, eport, b, &u);
	long got = 0;
	double t0;

	for (int i = 0; i < window; i++)
		(void)!send(u, b, 74, 0);
	t0 = now();
	while (now() - t0 < secs) {
		struct pollfd p = {.fd = u, .events = POLLIN};
		uint8_t in[256];

		if (poll(&p, 1, 2000) != 1) {
			fprintf(stderr, "relay: no answer after %ld\n", got);
			return 1;
		}
		while (recv(u, in, sizeof(in), MSG_DONTWAIT) > 0) {
			got++;
			(void)!send(u, b, 74, 0);
		}
	}
	printf("%ld\n", 2 * got);
	close(c);
	return 0;
}

/* Request/response as rr, but through the proxy on proxy_host:@pport
 * with the SOCKS5 encapsulation done here (no client library): the
 * path's cost without a client library's. */
static int rrs(int pport, int eport, double secs)
{
	uint8_t b[600], in[256];
	struct timeval tv = {.tv_sec = 2};
	int u, c = associate(pport, eport, b, &u);
	long n = 0;
	double t0, t;

	setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = now();
	do {
		if (send(u, b, 74, 0) != 74 ||
		    recv(u, in, sizeof(in), 0) != 74) {
			fprintf(stderr, "rrs: %s after %ld\n", strerror(errno),
				n);
			return 1;
		}
		n++;
		t = now();
	} while (t - t0 < secs);
	report_rr(n, t - t0);
	close(c);
	return 0;
}

/* The floor: accept one control connection, answer UDP ASSOCIATE, relay
 * until it closes.  Header handling: IPv4 only, FRAG ignored. */
static __attribute__((noreturn)) int floor_relay(const char *pf)
{
	struct sockaddr_in sin, client, from;
	socklen_t l = sizeof(sin);
	uint8_t b[65536 + 10];
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, port, uport;
	int u, r;

	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa_lo(&sin, self_addr, 0);
	if (bind(lfd, (struct sockaddr *)&sin, l) < 0 || listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &l) < 0) {
		perror("floor listen");
		exit(1);
	}
	port = ntohs(sin.sin_port);
	u = udp_bound(&uport);
	r = socket(AF_INET, SOCK_DGRAM, 0);
	write_port(pf, port);
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		bool have_client = false;

		if (c < 0)
			continue;
		read_n(c, b, 3);
		(void)!write(c, "\5\0", 2);
		read_n(c, b, 10);
		memcpy(b, "\5\0\0\1", 4);
		inet_pton(AF_INET, self_addr, b + 4);
		b[8] = (uint8_t)(uport >> 8);
		b[9] = (uint8_t)uport;
		(void)!write(c, b, 10);
		for (;;) {
			struct pollfd p[3] = {{.fd = c, .events = POLLIN},
					      {.fd = u, .events = POLLIN},
					      {.fd = r, .events = POLLIN}};
			ssize_t n;

			if (poll(p, 3, -1) < 0)
				continue;
			if (p[0].revents)
				break;
			if (p[1].revents) {
				l = sizeof(client);
				n = recvfrom(u, b, sizeof(b), 0,
					     (struct sockaddr *)&client, &l);
				if (n > 10 && b[3] == 1) {
					have_client = true;
					memset(&sin, 0, sizeof(sin));
					sin.sin_family = AF_INET;
					memcpy(&sin.sin_addr, b + 4, 4);
					memcpy(&sin.sin_port, b + 8, 2);
					(void)sendto(r, b + 10, (size_t)n - 10,
						     0, (struct sockaddr *)&sin,
						     sizeof(sin));
				}
			}
			if (p[2].revents) {
				l = sizeof(from);
				n = recvfrom(r, b + 10, sizeof(b) - 10, 0,
					     (struct sockaddr *)&from, &l);
				if (n >= 0 && have_client) {
					memcpy(b, "\0\0\0\1", 4);
					memcpy(b + 4, &from.sin_addr, 4);
					memcpy(b + 8, &from.sin_port, 2);
					(void)sendto(u, b, (size_t)n + 10, 0,
						     (struct sockaddr *)&client,
						     sizeof(client));
				}
			}
		}
		close(c);
	}
}

int main(int argc, char **argv)
{
	if (getenv("UDP_BENCH_ADDR"))
		self_addr = getenv("UDP_BENCH_ADDR");
	if (getenv("UDP_BENCH_PROXY"))
		proxy_host = getenv("UDP_BENCH_PROXY");
	if (getenv("UDP_BENCH_ECHO"))
		echo_host = getenv("UDP_BENCH_ECHO");
	if (argc == 3 && strcmp(argv[1], "echo") == 0)
		return echo(argv[2]);
	if (argc == 5 && strcmp(argv[1], "rr") == 0)
		return rr(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 6 && strcmp(argv[1], "relay") == 0)
		return relay(atoi(argv[2]), atoi(argv[3]), atof(argv[4]),
			     atoi(argv[5]));
	if (argc == 5 && strcmp(argv[1], "rrs") == 0)
		return rrs(atoi(argv[2]), atoi(argv[3]), atof(argv[4]));
	if (argc == 3 && strcmp(argv[1], "floor") == 0)
		return floor_relay(argv[2]);
	fprintf(stderr, "usage: see the comment in udp_bench.c\n");
	return 2;
}
