// SPDX-License-Identifier: MIT
/*
 * In-process tests of a socket moved to the proxy's family
 * (src/preload/sock_replace.c, called from kind_tcp.c): an AF_INET socket
 * through an IPv6 proxy, an IPV6_V6ONLY socket through an IPv4 proxy.
 * Every option and flag the program set must survive (read back with
 * getsockopt/fcntl, the IP level through its counterpart), defaults must
 * stay defaults, the tunnel must work (getpeername is the destination)
 * for blocking and non-blocking sockets, and a socket bound to a specific
 * local address is refused with EAFNOSUPPORT.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "preload/init.h"
#include "preload/sock_replace.h"
#include "hook_fixture.h"
#include "responder.h"

static const uint8_t V5_GREET[] = {5, 1, 0}; /* no credentials anywhere */
static const uint8_t V5_METHOD_NONE[] = {5, 0};
static const uint8_t V5_REQ_DEST4[] = {5, 1, 0, 1, 203, 0, 113, 5, 0, 80};
static const uint8_t V5_REQ_DEST6[] = {5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8,
				       0, 0, 0, 0, 0,	 0,    0,    0,
				       0, 0, 0, 7, 0x01, 0xbb};
static const uint8_t V5_REPLY_OK[] = {5, 0, 0, 1, 0, 0, 0, 0, 0, 0};
static const uint8_t HELLO[] = {'h', 'e', 'l', 'l', 'o'};

/* An option the test sets: where on AF_INET and on AF_INET6, the value,
 * and whether it keeps its value across a connection (TCP_MAXSEG then
 * reports the path's MSS, TCP_QUICKACK follows the traffic). */
struct topt {
	const char *name;
	int l4, o4, l6, o6;
	const void *val;
	socklen_t len;
	bool stable;
};

static const int ONE = 1, ZERO = 0, PRIO = 5, MARK = 42, LOWAT = 2,
		 SNDBUF = 65536, RCVBUF = 98304, KIDLE = 77, KINTVL = 11,
		 KCNT = 5, UTO = 12345, NOTSENT = 4096, SYNCNT = 3,
		 CLAMP = 20000, MSS = 1000, TOS = 0x20, TTL = 33, LINGER2 = 9;
static const struct linger LINGER = {1, 7};
static const struct timeval RCVTMO = {3, 0}, SNDTMO = {4, 500000};

#define TSOCK(o, v, st)                                               \
	{                                                             \
#o, SOL_SOCKET, o, SOL_SOCKET, o, &(v), sizeof(v), st \
	}
#define TTCP(o, v, st)                                                  \
	{                                                               \
#o, IPPROTO_TCP, o, IPPROTO_TCP, o, &(v), sizeof(v), st \
	}

static const struct topt topts[] = {
	{"IP_TOS", IPPROTO_IP, IP_TOS, IPPROTO_IPV6, IPV6_TCLASS, &TOS,
	 sizeof(int), true},
	{"IP_TTL", IPPROTO_IP, IP_TTL, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &TTL,
	 sizeof(int), true},
	TSOCK(SO_KEEPALIVE, ONE, true),
	TSOCK(SO_LINGER, LINGER, true),
	TSOCK(SO_SNDBUF, SNDBUF, true),
	TSOCK(SO_RCVBUF, RCVBUF, true),
	TSOCK(SO_RCVTIMEO, RCVTMO, true),
	TSOCK(SO_SNDTIMEO, SNDTMO, true),
	TSOCK(SO_PRIORITY, PRIO, true),
	TSOCK(SO_MARK, MARK, true),
	TSOCK(SO_REUSEADDR, ONE, true),
	TSOCK(SO_REUSEPORT, ONE, true),
	TSOCK(SO_OOBINLINE, ONE, true),
	{"SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE, SOL_SOCKET,
	 SO_BINDTODEVICE, "lo", 3, true},
	TSOCK(SO_RCVLOWAT, LOWAT, true),
	TTCP(TCP_NODELAY, ONE, true),
	TTCP(TCP_CORK, ONE, true),
	TTCP(TCP_KEEPIDLE, KIDLE, true),
	TTCP(TCP_KEEPINTVL, KINTVL, true),
	TTCP(TCP_KEEPCNT, KCNT, true),
	TTCP(TCP_USER_TIMEOUT, UTO, true),
	{"TCP_CONGESTION", IPPROTO_TCP, TCP_CONGESTION, IPPROTO_TCP,
	 TCP_CONGESTION, "reno", 5, true},
	TTCP(TCP_NOTSENT_LOWAT, NOTSENT, true),
	TTCP(TCP_SYNCNT, SYNCNT, true),
	TTCP(TCP_WINDOW_CLAMP, CLAMP, true),
	TTCP(TCP_QUICKACK, ZERO, false),
	TTCP(TCP_MAXSEG, MSS, false),
	TTCP(TCP_FASTOPEN_CONNECT, ONE, true),
	TTCP(TCP_LINGER2, LINGER2, true),
};
#define NTOPTS (sizeof(topts) / sizeof(*topts))

/* What getsockopt said for each option after setting it (len 0: could
 * not be set here, e.g. without privileges). */
struct tvals {
	unsigned char v[NTOPTS][64];
	socklen_t len[NTOPTS];
};

/* Set every option on @fd (of @family) and record what reads back. */
static void set_all(int fd, int family, struct tvals *tv)
{
	for (size_t i = 0; i < NTOPTS; i++) {
		const struct topt *o = &topts[i];
		int l = family == AF_INET ? o->l4 : o->l6;
		int n = family == AF_INET ? o->o4 : o->o6;

		tv->len[i] = 0;
		if (setsockopt(fd, l, n, o->val, o->len) < 0) {
			fprintf(stderr, "%s not settable here (errno %d)\n",
				o->name, errno);
			continue;
		}
		tv->len[i] = sizeof(tv->v[i]);
		memset(tv->v[i], 0, sizeof(tv->v[i]));
		ck_assert_int_eq(getsockopt(fd, l, n, tv->v[i], &tv->len[i]),
				 0);
	}
}

/* Each option on @fd (now of @family) reads back as recorded. */
static void check_all(int fd, int family, const struct tvals *tv,
		      bool connected)
{
	for (size_t i = 0; i < NTOPTS; i++) {
		const struct topt *o = &topts[i];
		unsigned char v[64];
		socklen_t len = sizeof(v);

		if (!tv->len[i] || (connected && !o->stable))
			continue;
		memset(v, 0, sizeof(v));
		ck_assert_msg(getsockopt(fd, family == AF_INET ? o->l4 : o->l6,
					 family == AF_INET ? o->o4 : o->o6, v,
					 &len) == 0,
			      "%s: getsockopt errno %d", o->name, errno);
		ck_assert_msg(len == tv->len[i] &&
				      memcmp(v, tv->v[i], len) == 0,
			      "%s did not survive the replacement", o->name);
	}
}

static int domain_of(int fd)
{
	int d = -1;
	socklen_t l = sizeof(d);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l), 0);
	return d;
}

static int int_opt(int fd, int lvl, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	ck_assert_int_eq(getsockopt(fd, lvl, opt, &v, &l), 0);
	return v;
}

/* sockrep_replace itself, both ways, every option, no connect. */
START_TEST(t_replace_copies_every_option)
{
	int from = _i ? AF_INET6 : AF_INET, to = _i ? AF_INET : AF_INET6;
	int fd = socket(from, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int keep = dup(fd);
	struct tvals tv;

	set_all(fd, from, &tv);
	ck_assert_int_eq(sockrep_replace(fd, from, to), 0);
	ck_assert_int_eq(domain_of(fd), to);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	check_all(fd, to, &tv, false);
	ck_assert_int_eq(domain_of(keep), from); /* a dup stays the old one */
	close(keep);
	close(fd);
}
END_TEST

/* Defaults stay defaults: nothing is locked that the program left alone. */
START_TEST(t_replace_keeps_defaults)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int fresh = socket(AF_INET6, SOCK_STREAM, 0);

	ck_assert_int_eq(sockrep_replace(fd, AF_INET, AF_INET6), 0);
	ck_assert_int_eq(domain_of(fd), AF_INET6);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_eq(int_opt(fd, SOL_SOCKET, SO_SNDBUF),
			 int_opt(fresh, SOL_SOCKET, SO_SNDBUF));
	ck_assert_int_eq(int_opt(fd, SOL_SOCKET, SO_RCVBUF),
			 int_opt(fresh, SOL_SOCKET, SO_RCVBUF));
	ck_assert_int_eq(int_opt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS),
			 int_opt(fresh, IPPROTO_IPV6, IPV6_UNICAST_HOPS));
	/* dual-stack, whatever net.ipv6.bindv6only says */
	ck_assert_int_eq(int_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
	close(fresh);
	close(fd);
}
END_TEST

/* Bound to a port on the wildcard: the port moves; to an address: no. */
START_TEST(t_replace_bound)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 s6;
	socklen_t l = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &l), 0);
	port = ntohs(sin.sin_port);
	ck_assert_int_eq(sockrep_replace(fd, AF_INET, AF_INET6), 0);
	l = sizeof(s6);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&s6, &l), 0);
	ck_assert_int_eq(s6.sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(s6.sin6_port), port);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&s6.sin6_addr));
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = 0;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(sockrep_replace(fd, AF_INET, AF_INET6),
			 -EADDRNOTAVAIL);
	ck_assert_int_eq(domain_of(fd), AF_INET);
	close(fd);
}
END_TEST

/* connect(), then wait (non-blocking) for the outcome: 0 or errno. */
static int connect_wait(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int err = 0;
	socklen_t l = sizeof(err);

	errno = 0;
	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	ck_assert_int_eq(poll(&p, 1, 10000), 1);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l), 0);
	return err;
}

/*
 * An AF_INET socket with every option set, through an IPv6 proxy:
 * _i bit 0 non-blocking, bit 1 SOCK_CLOEXEC.
 */
START_TEST(t_inet_socket_ipv6_proxy)
{
	struct resp_step steps[] = {
		{RESP_READ, sizeof(V5_GREET), NULL},
		{RESP_SEND, sizeof(V5_METHOD_NONE), V5_METHOD_NONE},
		{RESP_READ, sizeof(V5_REQ_DEST4), NULL},
		{RESP_SEND, sizeof(V5_REPLY_OK), V5_REPLY_OK},
		{RESP_READ, sizeof(HELLO), NULL},
		{RESP_END, 0, NULL}};
	bool nb = _i & 1, cloexec = _i & 2;
	struct sockaddr_in sin, peer;
	socklen_t l = sizeof(peer);
	struct responder r;
	struct tvals tv;
	int fd;

	if (resp_start(&r, AF_INET6, steps) < 0) {
		fprintf(stderr, "no IPv6 loopback: test not run\n");
		return;
	}
	use_conf("proxy \"p\" { url = \"socks5://[::1]:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 r.port);
	fd = socket(AF_INET,
		    SOCK_STREAM | (nb ? SOCK_NONBLOCK : 0) |
			    (cloexec ? SOCK_CLOEXEC : 0),
		    0);
	set_all(fd, AF_INET, &tv);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(80);
	inet_pton(AF_INET, "203.0.113.5", &sin.sin_addr);
	if (nb)
		ck_assert_int_eq(
			connect_wait(fd, (struct sockaddr *)&sin, sizeof(sin)),
			0);
	else
		ck_assert_int_eq(
			connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(domain_of(fd), AF_INET6);
	ck_assert_int_eq(!!(fcntl(fd, F_GETFL) & O_NONBLOCK), nb);
	ck_assert_int_eq(!!(fcntl(fd, F_GETFD) & FD_CLOEXEC), cloexec);
	check_all(fd, AF_INET6, &tv, true);
	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &l), 0);
	ck_assert_int_eq(l, sizeof(sin));
	ck_assert_int_eq(memcmp(&peer, &sin, sizeof(sin)), 0);
	ck_assert_int_eq(write(fd, HELLO, sizeof(HELLO)), sizeof(HELLO));
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	ck_assert_int_eq(memcmp(r.got + sizeof(V5_GREET), V5_REQ_DEST4,
				sizeof(V5_REQ_DEST4)),
			 0);
	ck_assert_int_eq(
		memcmp(r.got + r.ngot - sizeof(HELLO), HELLO, sizeof(HELLO)),
		0);
	close(fd);
}
END_TEST

/* An epoll registration made before connect() survives the replacement:
 * the edge-triggered set reports the socket writable once the tunnel is
 * up, not before (the kernel drops a registration with its socket; the
 * library carries it to the new one). */
START_TEST(t_replace_keeps_epoll_registration)
{
	struct resp_step steps[] = {
		{RESP_READ, sizeof(V5_GREET), NULL},
		{RESP_SEND, sizeof(V5_METHOD_NONE), V5_METHOD_NONE},
		{RESP_READ, sizeof(V5_REQ_DEST4), NULL},
		{RESP_GATE, 0, NULL},
		{RESP_SEND, sizeof(V5_REPLY_OK), V5_REPLY_OK},
		{RESP_SILENT, 0, NULL},
		{RESP_END, 0, NULL}};
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.u64 = 42},
			   out;
	struct sockaddr_in sin;
	struct responder r;
	int fd, ep;

	if (resp_start(&r, AF_INET6, steps) < 0) {
		fprintf(stderr, "no IPv6 loopback: test not run\n");
		return;
	}
	use_conf("proxy \"p\" { url = \"socks5://[::1]:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 r.port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(80);
	inet_pton(AF_INET, "203.0.113.5", &sin.sin_addr);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	ck_assert_int_eq(domain_of(fd), AF_INET6);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 200), 0);
	resp_open_gate(&r);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 10000), 1);
	ck_assert(out.data.u64 == 42 && (out.events & EPOLLOUT));
	close(fd);
	close(ep);
	resp_join(&r);
}
END_TEST

/* The reverse: an IPV6_V6ONLY socket through an IPv4 proxy (_i: nb). */
START_TEST(t_v6only_socket_ipv4_proxy)
{
	struct resp_step steps[] = {
		{RESP_READ, sizeof(V5_GREET), NULL},
		{RESP_SEND, sizeof(V5_METHOD_NONE), V5_METHOD_NONE},
		{RESP_READ, sizeof(V5_REQ_DEST6), NULL},
		{RESP_SEND, sizeof(V5_REPLY_OK), V5_REPLY_OK},
		{RESP_READ, sizeof(HELLO), NULL},
		{RESP_END, 0, NULL}};
	struct sockaddr_in6 s6, peer;
	socklen_t l = sizeof(peer);
	struct responder r;
	struct tvals tv;
	int fd, on = 1;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"::/0\" via = \"p\" }\n",
		 r.port);
	fd = socket(AF_INET6, SOCK_STREAM | (_i ? SOCK_NONBLOCK : 0), 0);
	ck_assert_int_eq(
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)), 0);
	set_all(fd, AF_INET6, &tv);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::7", &s6.sin6_addr);
	ck_assert_int_eq(connect_wait(fd, (struct sockaddr *)&s6, sizeof(s6)),
			 0);
	ck_assert_int_eq(domain_of(fd), AF_INET);
	check_all(fd, AF_INET, &tv, true);
	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &l), 0);
	ck_assert_int_eq(l, sizeof(s6));
	ck_assert_int_eq(memcmp(&peer, &s6, sizeof(s6)), 0);
	ck_assert_int_eq(write(fd, HELLO, sizeof(HELLO)), sizeof(HELLO));
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	close(fd);
}
END_TEST

/* A socket bound to a local address of its own family cannot move. */
START_TEST(t_bound_socket_refused)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	use_conf("proxy \"p\" { url = \"socks5://[::1]:1\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	sin.sin_port = htons(80);
	inet_pton(AF_INET, "203.0.113.5", &sin.sin_addr);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	ck_assert_int_eq(domain_of(fd), AF_INET);
	close(fd);
}
END_TEST

static Suite *sockreplace_suite(void)
{
	Suite *s = suite_create("sockreplace");
	TCase *tc = tcase_create("replace");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, t_replace_copies_every_option, 0, 2);
	tcase_add_test(tc, t_replace_keeps_defaults);
	tcase_add_test(tc, t_replace_bound);
	tcase_add_test(tc, t_replace_keeps_epoll_registration);
	tcase_add_loop_test(tc, t_inet_socket_ipv6_proxy, 0, 4);
	tcase_add_loop_test(tc, t_v6only_socket_ipv4_proxy, 0, 2);
	tcase_add_test(tc, t_bound_socket_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	return hook_main(argv, sockreplace_suite(), false);
}
