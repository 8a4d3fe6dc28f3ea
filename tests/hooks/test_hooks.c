// SPDX-License-Identifier: MIT
/*
 * In-process tests of the preload hooks: the test binary is linked with the
 * library's objects, so connect(), poll(), ... below are the hooks.  Each
 * test (forked by check) installs its own config pointing at a scripted
 * SOCKS responder thread on loopback (port 0) and checks the exact errno
 * of every failure path (SPEC section 4), errno preservation, the
 * non-blocking design (poll, select, epoll LT/ET, registrations before and
 * after connect) and the fd table's fast path.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/net.h"
#include "conf/conf.h"
#include "preload/engine.h"
#include "preload/fdt_ops.h"
#include "preload/fdtable.h"
#include "preload/init.h"
#include "hook_fixture.h"
#include "responder.h"

#define DEST_IP "203.0.113.5"
#define DEST_PORT 80

/* The default offer: no-auth, and username since main() sets
 * SOCKS_USERNAME for the whole process. */
static const uint8_t V5_GREET[] = {5, 2, 0, 2};
#define GL 4 /* its length: the request follows at offset GL */
static const uint8_t V5_METHOD_NONE[] = {5, 0};
static const uint8_t V5_METHOD_USER[] = {5, 2};
static const uint8_t V5_METHOD_NONE_OK[] = {5, 0xff};
static const uint8_t V5_REQ_DEST[] = {5, 1, 0, 1, 203, 0, 113, 5, 0, 80};
static const uint8_t V5_REPLY_OK[] = {5, 0, 0, 1, 0, 0, 0, 0, 0, 0};
static const uint8_t AUTH_OK[] = {1, 0};
static const uint8_t AUTH_FAIL[] = {1, 1};

#define STEP_READ(n)                 \
	{                            \
		RESP_READ, (n), NULL \
	}
#define STEP_SEND(a)                      \
	{                                 \
		RESP_SEND, sizeof(a), (a) \
	}
#define STEP_END                  \
	{                         \
		RESP_END, 0, NULL \
	}
#define STEP_GATE                  \
	{                          \
		RESP_GATE, 0, NULL \
	}

/* One proxy of @scheme at 127.0.0.1:@port for everything. */
static void use_proxy(const char *scheme, uint16_t port, int timeout)
{
	use_conf("timeout = %d\n"
		 "proxy \"p\" { url = \"%s://127.0.0.1:%u\" }\n"
		 "route { to = { \"0.0.0.0/0\", \"::/0\" } via = \"p\" }\n",
		 timeout, scheme, port);
}

static void dest_sa(struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(DEST_PORT);
	inet_pton(AF_INET, DEST_IP, &sin->sin_addr);
}

/* Blocking connect to DEST; returns 0 or the errno, *fdp the socket. */
static int connect_dest(int *fdp)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	ck_assert_int_ge(fd, 0);
	dest_sa(&sin);
	errno = 0;
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return rc == 0 ? 0 : errno;
}

/* connect() @fd to DEST once more; returns 0 or the errno. */
static int connect_dest_again(int fd)
{
	struct sockaddr_in sin;

	dest_sa(&sin);
	errno = 0;
	return connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ? 0
								      : errno;
}

/* A v5 exchange ending in reply code @rep; returns connect's errno. */
static int v5_with_rep(uint8_t rep)
{
	uint8_t reply[10] = {5, rep, 0, 1, 0, 0, 0, 0, 0, 0};
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(reply), STEP_END};
	struct responder r;
	int err;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	err = connect_dest(NULL);
	resp_join(&r);
	return err;
}

START_TEST(t_v5_success_keeps_errno_and_peer)
{
	static const uint8_t banner[] = "hello";
	uint8_t reply_and_data[sizeof(V5_REPLY_OK) + 5];
	struct resp_step steps[] = {
		STEP_READ(GL),
		STEP_SEND(V5_METHOD_NONE),
		STEP_READ(10),
		{RESP_SEND, sizeof(reply_and_data), reply_and_data},
		STEP_READ(4),
		STEP_END};
	struct sockaddr_in sin, peer;
	socklen_t plen = sizeof(peer);
	struct responder r;
	char buf[16];
	int fd, rc;

	/* The reply and the first bytes of the destination in one segment:
	 * the driver must not read past the reply. */
	memcpy(reply_and_data, V5_REPLY_OK, sizeof(V5_REPLY_OK));
	memcpy(reply_and_data + sizeof(V5_REPLY_OK), banner, 5);
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	dest_sa(&sin);
	errno = 4242;
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(errno, 4242);
	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &plen), 0);
	ck_assert_int_eq(plen, sizeof(peer));
	ck_assert_int_eq(peer.sin_port, htons(DEST_PORT));
	ck_assert_int_eq(peer.sin_addr.s_addr, sin.sin_addr.s_addr);
	ck_assert_int_eq(read(fd, buf, 5), 5);
	ck_assert_int_eq(memcmp(buf, banner, 5), 0);
	ck_assert_int_eq(write(fd, "ping", 4), 4);
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	ck_assert_int_eq(memcmp(r.got, V5_GREET, GL), 0);
	ck_assert_int_eq(memcmp(r.got + GL, V5_REQ_DEST, 10), 0);
	ck_assert_int_eq(memcmp(r.got + GL + 10, "ping", 4), 0);
	ck_assert_int_eq(errno, 4242);
	close(fd);
}
END_TEST

START_TEST(t_v5_rep_mapping)
{
	static const int want[] = {0,		ECONNREFUSED, EACCES,
				   ENETUNREACH, EHOSTUNREACH, ECONNREFUSED,
				   ETIMEDOUT,	EOPNOTSUPP,   EAFNOSUPPORT};

	ck_assert_int_eq(v5_with_rep((uint8_t)_i), want[_i]);
}
END_TEST

START_TEST(t_rule_deny)
{
	use_conf("route { to = \"203.0.113.0/24\" via = \"deny\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"direct\" }\n");
	ck_assert_int_eq(connect_dest(NULL), EACCES);
}
END_TEST

/*
 * A route with a time window applies only inside it (the local time is
 * read only when some route has a window): a deny route for every day
 * matches; one for tomorrow only does not, and the next route (a proxy on
 * a closed loopback port) answers instead.
 */
static uint16_t closed_port(void);

START_TEST(t_rule_time)
{
	static const char *const day[] = {"Sun", "Mon", "Tue", "Wed",
					  "Thu", "Fri", "Sat"};
	time_t now = time(NULL);
	struct tm tm;
	uint16_t port = closed_port();

	ck_assert_ptr_nonnull(localtime_r(&now, &tm));
	use_conf("proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"203.0.113.0/24\" via = \"deny\" "
		 "time = \"Mon-Sun\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 port);
	ck_assert_int_eq(connect_dest(NULL), EACCES);
	use_conf("proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"203.0.113.0/24\" via = \"deny\" "
		 "time = \"%s\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 port, day[(tm.tm_wday + 1) % 7]);
	ck_assert_int_eq(connect_dest(NULL), ECONNREFUSED);
}
END_TEST

START_TEST(t_no_route)
{
	use_conf("route { to = \"198.51.100.0/24\" via = \"direct\" }\n");
	ck_assert_int_eq(connect_dest(NULL), EACCES);
}
END_TEST

/* A loopback port nobody listens on. */
static uint16_t closed_port(void)
{
	struct sockaddr_in sin;
	socklen_t l = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &l), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

START_TEST(t_proxy_unreachable)
{
	use_proxy("socks5", closed_port(), 5);
	ck_assert_int_eq(connect_dest(NULL), ECONNREFUSED);
}
END_TEST

START_TEST(t_failover_to_second_proxy)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct responder r;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("proxy \"a\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "proxy \"b\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = { \"a\", \"b\" } }\n",
		 closed_port(), r.port);
	ck_assert_int_eq(connect_dest(NULL), 0);
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
}
END_TEST

START_TEST(t_timeout)
{
	struct resp_step steps[] = {
		STEP_READ(GL), {RESP_SILENT, 0, NULL}, STEP_END};
	struct responder r;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 1);
	ck_assert_int_eq(connect_dest(NULL), ETIMEDOUT);
	resp_join(&r);
}
END_TEST

START_TEST(t_hangup)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_END};
	struct responder r;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(connect_dest(NULL), ECONNRESET);
	resp_join(&r);
}
END_TEST

START_TEST(t_no_acceptable_method)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE_OK),
				    STEP_END};
	struct responder r;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(connect_dest(NULL), EACCES);
	resp_join(&r);
}
END_TEST

/* Greeting with methods 02 00, then "alice"/"secret". */
static const uint8_t V5_GREET_USER[] = {5, 2, 2, 0};
static const uint8_t AUTH_REQ[] = {1, 5,   'a', 'l', 'i', 'c', 'e',
				   6, 's', 'e', 'c', 'r', 'e', 't'};

static int v5_auth(const uint8_t *status)
{
	struct resp_step steps[] = {STEP_READ(4),
				    STEP_SEND(V5_METHOD_USER),
				    STEP_READ(sizeof(AUTH_REQ)),
				    {RESP_SEND, 2, status},
				    STEP_READ(10),
				    STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct responder r;
	int err;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("proxy \"p\" {\n url = \"socks5://127.0.0.1:%u\"\n"
		 " username = \"alice\"\n password = \"secret\"\n"
		 " method = { \"username\", \"none\" }\n}\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 r.port);
	err = connect_dest(NULL);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, V5_GREET_USER, 4), 0);
	ck_assert_int_eq(memcmp(r.got + 4, AUTH_REQ, sizeof(AUTH_REQ)), 0);
	return err;
}

START_TEST(t_auth_ok)
{
	ck_assert_int_eq(v5_auth(AUTH_OK), 0);
}
END_TEST

START_TEST(t_auth_failure)
{
	ck_assert_int_eq(v5_auth(AUTH_FAIL), EACCES);
}
END_TEST

START_TEST(t_socks4_cd91)
{
	/* USERID: SOCKS_USERNAME (set by main) for want of a config one. */
	static const uint8_t req[] = {4,   1,	0,   80,  203, 0,   113, 5,
				      'e', 'n', 'v', 'u', 's', 'e', 'r', 0};
	static const uint8_t rej[] = {0, 91, 0, 0, 0, 0, 0, 0};
	struct resp_step steps[] = {STEP_READ(sizeof(req)), STEP_SEND(rej),
				    STEP_END};
	struct responder r;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks4", r.port, 5);
	ck_assert_int_eq(connect_dest(NULL), ECONNREFUSED);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, req, sizeof(req)), 0);
}
END_TEST

START_TEST(t_socks4_granted)
{
	static const uint8_t ok[] = {0, 90, 0, 0, 0, 0, 0, 0};
	struct resp_step steps[] = {STEP_READ(16), STEP_SEND(ok), STEP_END};
	struct responder r;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks4", r.port, 5);
	ck_assert_int_eq(connect_dest(NULL), 0);
	resp_join(&r);
}
END_TEST

START_TEST(t_socks4_ipv6_dest)
{
	struct sockaddr_in6 s6;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		return; /* no IPv6 at all: nothing to route */
	use_proxy("socks4", closed_port(), 5);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(80);
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&s6, sizeof(s6)), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	close(fd);
}
END_TEST

START_TEST(t_v5_ipv6_dest_atyp4)
{
	static const uint8_t req[] = {5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8,
				      0, 0, 0, 0, 0,	0,    0,    0,
				      0, 0, 0, 1, 0,	80};
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(sizeof(req)),
				    STEP_SEND(V5_REPLY_OK), STEP_END};
	struct sockaddr_in6 s6, peer;
	socklen_t plen = sizeof(peer);
	struct responder r;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		return;
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(80);
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	/* An AF_INET6 socket reaches the IPv4 proxy v4-mapped. */
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&s6, sizeof(s6)), 0);
	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &plen), 0);
	ck_assert_int_eq(memcmp(&peer.sin6_addr, &s6.sin6_addr, 16), 0);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got + GL, req, sizeof(req)), 0);
	close(fd);
}
END_TEST

START_TEST(t_ipv6_proxy_from_inet_socket)
{
	use_conf("proxy \"p\" { url = \"socks5://[::1]:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 closed_port());
	/* The AF_INET socket is moved to IPv6 and reaches for the proxy
	 * (which is not there); the rest: tests/hooks/test_sockreplace.c. */
	ck_assert_int_eq(connect_dest(NULL), ECONNREFUSED);
}
END_TEST

START_TEST(t_passthrough_unix_keeps_errno)
{
	struct sockaddr_un un;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), p[2];
	char c = 'x';

	use_conf("route { to = \"0.0.0.0/0\" via = \"deny\" }\n");
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	strcpy(un.sun_path, "/nonexistent/socksify-test");
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&un, sizeof(un)), -1);
	ck_assert_int_eq(errno, ENOENT); /* the kernel's, not ours */
	close(fd);

	/* Fast path: a pipe is not ours; errno untouched on success. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fdt_peek(p[1]), 0);
	errno = 777;
	ck_assert_int_eq(write(p[1], &c, 1), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(errno, 777);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(t_direct_keeps_errno)
{
	struct resp_step steps[] = {STEP_READ(2), STEP_END};
	struct sockaddr_in sin;
	struct responder r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("route { to = \"127.0.0.0/8\" via = \"direct\" }\n");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(r.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	errno = 31337;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(errno, 31337);
	ck_assert_int_eq(fdt_peek(fd), 0); /* direct: not ours */
	ck_assert_int_eq(write(fd, "ok", 2), 2);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, "ok", 2), 0);
	close(fd);
}
END_TEST

/* ---- non-blocking connect ---- */

/* Non-blocking connect to DEST through a v5 responder whose reply waits
 * for @gate to become readable (so the test controls when it comes). */
struct nb {
	struct responder r;
	int fd;
};

static void nb_start(struct nb *t, const struct resp_step *steps)
{
	struct sockaddr_in sin;

	ck_assert_int_eq(resp_start(&t->r, AF_INET, steps), 0);
	use_proxy("socks5", t->r.port, 5);
	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	dest_sa(&sin);
	errno = 0;
	ck_assert_int_eq(connect(t->fd, (struct sockaddr *)&sin, sizeof(sin)),
			 -1);
	ck_assert_int_eq(errno, EINPROGRESS);
}

static int so_error(int fd)
{
	int err = -1;
	socklen_t l = sizeof(err);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l), 0);
	return err;
}

START_TEST(t_nb_poll_success)
{
	struct resp_step steps[] = {
		STEP_READ(GL), STEP_SEND(V5_METHOD_NONE), STEP_READ(10),
		STEP_GATE,     STEP_SEND(V5_REPLY_OK),	  STEP_READ(4),
		STEP_END};
	struct pollfd p;
	struct nb t;
	char buf[4];

	nb_start(&t, steps);
	/* No program byte before the tunnel is up. */
	errno = 0;
	ck_assert_int_eq(write(t.fd, "early", 5), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(recv(t.fd, buf, 1, 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	p.fd = t.fd;
	p.events = POLLOUT;
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	resp_open_gate(&t.r);
	p.events = POLLOUT;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert(p.revents & POLLOUT);
	ck_assert_int_eq(so_error(t.fd), 0);
	ck_assert_int_eq(write(t.fd, "data", 4), 4);
	resp_join(&t.r);
	ck_assert_int_eq(t.r.failed_step, -1);
	ck_assert_int_eq(memcmp(t.r.got + GL + 10, "data", 4), 0);
	close(t.fd);
}
END_TEST

START_TEST(t_nb_poll_failure_so_error)
{
	static const uint8_t rep4[] = {5, 4, 0, 1, 0, 0, 0, 0, 0, 0};
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(rep4), STEP_END};
	struct pollfd p;
	struct nb t;

	nb_start(&t, steps);
	p.fd = t.fd;
	p.events = POLLOUT;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(so_error(t.fd), EHOSTUNREACH);
	ck_assert_int_eq(so_error(t.fd), 0); /* reported once */
	resp_join(&t.r);
	close(t.fd);
}
END_TEST

START_TEST(t_nb_select_success)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct timeval tv = {5, 0};
	fd_set w;
	struct nb t;

	nb_start(&t, steps);
	FD_ZERO(&w);
	FD_SET(t.fd, &w);
	ck_assert_int_eq(select(t.fd + 1, NULL, &w, NULL, &tv), 1);
	ck_assert(FD_ISSET(t.fd, &w));
	ck_assert_int_eq(so_error(t.fd), 0);
	resp_join(&t.r);
	close(t.fd);
}
END_TEST

/* epoll, registration before (_i & 1) or after connect, LT or ET (_i & 2) */
START_TEST(t_nb_epoll)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_READ(4),  STEP_END};
	bool before = _i & 1, et = _i & 2;
	struct epoll_event ev, out;
	struct sockaddr_in sin;
	struct responder r;
	int ep = epoll_create1(EPOLL_CLOEXEC), fd, n;

	ck_assert_int_ge(ep, 0);
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ev.events = EPOLLOUT | (et ? EPOLLET : 0);
	ev.data.u64 = 0x1234567890ULL;
	if (before)
		ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	dest_sa(&sin);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	if (!before)
		ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	n = epoll_wait(ep, &out, 1, 5000);
	ck_assert_int_eq(n, 1);
	ck_assert(out.events & EPOLLOUT);
	ck_assert_uint_eq(out.data.u64, 0x1234567890ULL);
	ck_assert_int_eq(so_error(fd), 0);
	ck_assert_int_eq(write(fd, "data", 4), 4);
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	ck_assert_int_eq(memcmp(r.got + GL + 10, "data", 4), 0);
	close(fd);
	close(ep);
}
END_TEST

START_TEST(t_nb_close_during_handshake)
{
	struct resp_step steps[] = {
		STEP_READ(GL), {RESP_SILENT, 0, NULL}, STEP_END};
	struct nb t;

	nb_start(&t, steps);
	ck_assert(fdt_peek(t.fd) & FDT_F_SUBST);
	ck_assert(fdt_peek(t.fd) & FDT_F_INTERCEPT);
	ck_assert_int_eq(close(t.fd), 0);
	ck_assert_int_eq(fdt_peek(t.fd), 0);
	resp_join(&t.r);
}
END_TEST

START_TEST(t_internal_fd_protected)
{
	struct resp_step steps[] = {
		STEP_READ(GL), {RESP_SILENT, 0, NULL}, STEP_END};
	struct nb t;
	int evfd, moved, devnull;

	nb_start(&t, steps);
	evfd = fdt_op_subst_fd(t.fd);
	ck_assert_int_ge(evfd, 3);
	ck_assert_int_eq(fdt_peek(evfd) & FDT_KIND_MASK, FDT_INTERNAL);
	/* close() of an internal fd: success, fd kept. */
	ck_assert_int_eq(close(evfd), 0);
	ck_assert_int_ge(fcntl(evfd, F_GETFD), 0);
	/* dup2() onto it: the program gets the number, ours moves. */
	devnull = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(dup2(devnull, evfd), evfd);
	moved = fdt_op_subst_fd(t.fd);
	ck_assert_int_ne(moved, evfd);
	ck_assert_int_eq(fdt_peek(moved) & FDT_KIND_MASK, FDT_INTERNAL);
	close(devnull);
	close(t.fd);
	resp_join(&t.r);
}
END_TEST

START_TEST(t_auth_env_credentials)
{
	static const uint8_t greet[] = {5, 2, 0, 2};
	static const uint8_t auth[] = {1,   7,	 'e', 'n', 'v', 'u', 's',
				       'e', 'r', 4,   'e', 'n', 'v', 'p'};
	struct resp_step steps[] = {STEP_READ(4),
				    STEP_SEND(V5_METHOD_USER),
				    STEP_READ(sizeof(auth)),
				    STEP_SEND(AUTH_OK),
				    STEP_READ(10),
				    STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct responder r;

	/* main() set SOCKS_USERNAME/SOCKS_PASSWORD before the first hook. */
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(connect_dest(NULL), 0);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, greet, sizeof(greet)), 0);
	ck_assert_int_eq(memcmp(r.got + 4, auth, sizeof(auth)), 0);
}
END_TEST

START_TEST(t_fastopen_blocking)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_READ(5),  STEP_END};
	struct sockaddr_in sin;
	struct responder r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	dest_sa(&sin);
	errno = 55;
	ck_assert_int_eq(sendto(fd, "hello", 5, MSG_FASTOPEN,
				(struct sockaddr *)&sin, sizeof(sin)),
			 5);
	ck_assert_int_eq(errno, 55);
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	ck_assert_int_eq(memcmp(r.got + GL + 10, "hello", 5), 0);
	close(fd);
}
END_TEST

START_TEST(t_nb_connect_again)
{
	struct resp_step steps[] = {
		STEP_READ(GL), STEP_SEND(V5_METHOD_NONE), STEP_READ(10),
		STEP_GATE,     STEP_SEND(V5_REPLY_OK),	  STEP_END};
	struct sockaddr_in sin;
	struct pollfd p;
	struct nb t;

	nb_start(&t, steps);
	dest_sa(&sin);
	errno = 0;
	ck_assert_int_eq(connect(t.fd, (struct sockaddr *)&sin, sizeof(sin)),
			 -1);
	ck_assert_int_eq(errno, EALREADY);
	resp_open_gate(&t.r);
	p.fd = t.fd;
	p.events = POLLOUT;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(connect(t.fd, (struct sockaddr *)&sin, sizeof(sin)),
			 -1);
	ck_assert_int_eq(errno, EISCONN);
	resp_join(&t.r);
	close(t.fd);
}
END_TEST

START_TEST(t_nb_poll_timeout_no_eintr)
{
	struct resp_step steps[] = {
		STEP_READ(GL), {RESP_SILENT, 0, NULL}, STEP_END};
	struct pollfd p;
	struct nb t;

	nb_start(&t, steps);
	p.fd = t.fd;
	p.events = POLLOUT | POLLIN;
	errno = 99;
	ck_assert_int_eq(poll(&p, 1, 200), 0); /* still in handshake */
	ck_assert_int_eq(errno, 99);
	ck_assert_int_eq(so_error(t.fd), 0);
	close(t.fd);
	resp_join(&t.r);
}
END_TEST

START_TEST(t_nb_made_blocking_write_waits)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_READ(4),  STEP_END};
	struct nb t;
	int fl;

	nb_start(&t, steps);
	fl = fcntl(t.fd, F_GETFL);
	ck_assert_int_eq(fcntl(t.fd, F_SETFL, fl & ~O_NONBLOCK), 0);
	ck_assert_int_eq(write(t.fd, "data", 4), 4);
	resp_join(&t.r);
	ck_assert_int_eq(t.r.failed_step, -1);
	ck_assert_int_eq(memcmp(t.r.got + GL + 10, "data", 4), 0);
	close(t.fd);
}
END_TEST

START_TEST(t_nb_epoll_mod_during_handshake)
{
	struct resp_step steps[] = {STEP_READ(GL),
				    STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10),
				    STEP_SEND(V5_REPLY_OK),
				    /* no FIN: it would be a new edge */
				    {RESP_SILENT, 0, NULL},
				    STEP_END};
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
	struct sockaddr_in sin;
	struct responder r;
	int ep = epoll_create(1), fd;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	dest_sa(&sin);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ev.events = EPOLLOUT | EPOLLET;
	ev.data.u32 = 8;
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev), 0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 5000), 1);
	ck_assert(out.events & EPOLLOUT);
	ck_assert_uint_eq(out.data.u32, 8);
	/* Edge-triggered: no second report without a new edge. */
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 0), 0);
	close(fd);
	resp_join(&r);
	close(ep);
}
END_TEST

/* Many handshakes at once: the proxy answers only after it has seen every
 * greeting, which a driver that waited for one reply at a time would never
 * send. */
#define MANY 16
struct many {
	int lfd;
	uint16_t port;
	int ok;
};

static void *many_main(void *arg)
{
	struct many *m = arg;
	int fds[MANY], i;
	uint8_t buf[16];

	for (i = 0; i < MANY; i++) {
		struct pollfd p = {.fd = m->lfd, .events = POLLIN};

		if (poll(&p, 1, 5000) != 1)
			return NULL;
		fds[i] = accept(m->lfd, NULL, NULL);
	}
	for (i = 0; i < MANY; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};

		if (poll(&p, 1, 5000) != 1 || read(fds[i], buf, GL) != GL)
			return NULL;
	}
	for (i = 0; i < MANY; i++)
		(void)!write(fds[i], V5_METHOD_NONE, 2);
	for (i = 0; i < MANY; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};

		if (poll(&p, 1, 5000) != 1 || read(fds[i], buf, 10) != 10)
			return NULL;
		(void)!write(fds[i], V5_REPLY_OK, sizeof(V5_REPLY_OK));
	}
	m->ok = 1;
	for (i = 0; i < MANY; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};

		(void)poll(&p, 1, 5000);
		close(fds[i]);
	}
	return NULL;
}

START_TEST(t_nb_many_concurrent)
{
	struct sockaddr_in sin;
	socklen_t l = sizeof(sin);
	struct pollfd p[MANY];
	struct many m = {0};
	pthread_t tid;
	int i, done = 0;

	m.lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(m.lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(m.lfd, MANY), 0);
	ck_assert_int_eq(getsockname(m.lfd, (struct sockaddr *)&sin, &l), 0);
	m.port = ntohs(sin.sin_port);
	ck_assert_int_eq(pthread_create(&tid, NULL, many_main, &m), 0);
	use_proxy("socks5", m.port, 5);
	dest_sa(&sin);
	for (i = 0; i < MANY; i++) {
		p[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		p[i].events = POLLOUT;
		ck_assert_int_eq(
			connect(p[i].fd, (struct sockaddr *)&sin, sizeof(sin)),
			-1);
		ck_assert_int_eq(errno, EINPROGRESS);
	}
	while (done < MANY) {
		int n = poll(p, MANY, 5000);

		ck_assert_int_gt(n, 0);
		for (i = 0; i < MANY; i++)
			if (p[i].fd >= 0 && p[i].revents) {
				ck_assert(p[i].revents & POLLOUT);
				ck_assert_int_eq(so_error(p[i].fd), 0);
				close(p[i].fd);
				p[i].fd = -1;
				done++;
			}
	}
	pthread_join(tid, NULL);
	ck_assert_int_eq(m.ok, 1);
	close(m.lfd);
}
END_TEST

START_TEST(t_fork_child_keeps_state)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct responder r, r2;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int fd, status;
	pid_t pid;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	ck_assert_int_eq(resp_start(&r2, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(connect_dest(&fd), 0);
	/* No thread of ours may be exiting (allocating) while we fork. */
	resp_join(&r);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct pollfd p;
		struct sockaddr_in sin;
		int nfd, err = -1;
		socklen_t l = sizeof(err);

		/* The connection's state came along. */
		if (getpeername(fd, (struct sockaddr *)&peer, &plen) != 0 ||
		    peer.sin_port != htons(DEST_PORT))
			_exit(10);
		/* The child runs its own engine. */
		use_proxy("socks5", r2.port, 5);
		nfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		dest_sa(&sin);
		if (connect(nfd, (struct sockaddr *)&sin, sizeof(sin)) != -1 ||
		    errno != EINPROGRESS)
			_exit(11);
		p.fd = nfd;
		p.events = POLLOUT;
		if (poll(&p, 1, 5000) != 1)
			_exit(12);
		if (getsockopt(nfd, SOL_SOCKET, SO_ERROR, &err, &l) != 0 ||
		    err != 0)
			_exit(13);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	resp_join(&r2);
	ck_assert_int_eq(r2.failed_step, -1);
	close(fd);
}
END_TEST

START_TEST(t_close_range_spares_internal)
{
	struct resp_step steps[] = {
		STEP_READ(GL), {RESP_SILENT, 0, NULL}, STEP_END};
	int internal[16], n = 0, extra = open("/dev/null", O_RDONLY);
	struct nb t;

	nb_start(&t, steps); /* starts the engine: its epoll, its eventfd */
	ck_assert_int_gt(t.fd, extra);
	for (int fd = extra; fd <= atomic_load(&fdt_maxfd) && n < 16; fd++)
		if ((fdt_peek(fd) & FDT_KIND_MASK) == FDT_INTERNAL)
			internal[n++] = fd;
	ck_assert_int_ge(n, 2);
	/* From our first fd to the last the library knows of (not beyond:
	 * check's and the sanitizer runtime's fds are not the test's). */
	ck_assert_int_eq(close_range((unsigned)extra,
				     (unsigned)atomic_load(&fdt_maxfd), 0),
			 0);
	/* The program's fds are gone, ours are not (except the eventfd of
	 * the connection just closed, which goes with it). */
	ck_assert_int_eq(fcntl(extra, F_GETFD), -1);
	ck_assert_int_eq(fcntl(t.fd, F_GETFD), -1);
	ck_assert_int_eq(fdt_peek(t.fd), 0);
	for (int i = 0, alive = 0; i < n; i++) {
		if (fcntl(internal[i], F_GETFD) >= 0)
			alive++;
		if (i == n - 1)
			ck_assert_int_ge(alive, 2);
	}
	/* The responder's fds went too: its thread ends. */
	pthread_join(t.r.tid, NULL);
}
END_TEST

START_TEST(t_dup_shares_peer)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	struct responder r;
	int fd, d;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(connect_dest(&fd), 0);
	d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	ck_assert_int_ge(d, 0);
	close(fd);
	ck_assert_int_eq(getpeername(d, (struct sockaddr *)&peer, &plen), 0);
	ck_assert_int_eq(peer.sin_port, htons(DEST_PORT));
	close(d);
	ck_assert_int_eq(fdt_peek(d), 0);
	resp_join(&r);
}
END_TEST

START_TEST(t_missing_default_config)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/socks.conf", SYSCONFDIR);
	if (access(path, F_OK) == 0)
		return; /* a real default config exists: not this case */
	socksify_conf_set(NULL);
	ck_assert_ptr_null(socksify_conf());
	ck_assert_int_eq(connect_dest(NULL), EACCES);
}
END_TEST

START_TEST(t_stale_after_fclose)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct resp_step steps2[] = {STEP_READ(2), STEP_END};
	struct responder r, r2;
	struct sockaddr_in sin, peer;
	socklen_t plen = sizeof(peer);
	FILE *f;
	int fd, fd2;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	ck_assert_int_eq(resp_start(&r2, AF_INET, steps2), 0);
	use_conf("proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"127.0.0.0/8\" via = \"direct\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 r.port);
	ck_assert_int_eq(connect_dest(&fd), 0);
	ck_assert_int_eq(fdt_peek(fd) & FDT_KIND_MASK, FDT_TCP);
	/* fclose() closes inside libc: no hook sees it. */
	f = fdopen(fd, "r+");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	fd2 = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(fd2, fd); /* the number comes back */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(r2.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd2, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getpeername(fd2, (struct sockaddr *)&peer, &plen), 0);
	ck_assert_int_eq(peer.sin_port, htons(r2.port));
	ck_assert_int_eq(write(fd2, "ok", 2), 2);
	resp_join(&r2);
	ck_assert_int_eq(memcmp(r2.got, "ok", 2), 0);
	close(fd2);
	resp_join(&r);
}
END_TEST

START_TEST(t_nb_proxy_unreachable)
{
	struct sockaddr_in sin;
	struct pollfd p;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int rc;

	use_proxy("socks5", closed_port(), 5);
	dest_sa(&sin);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	if (rc < 0 && errno == EINPROGRESS) {
		p.fd = fd;
		p.events = POLLOUT;
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		ck_assert_int_eq(so_error(fd), ECONNREFUSED);
	} else {
		/* refused at once: reported by connect itself */
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(errno, ECONNREFUSED);
	}
	close(fd);
}
END_TEST

START_TEST(t_nb_socks4_success)
{
	static const uint8_t ok[] = {0, 90, 0, 0, 0, 0, 0, 0};
	struct resp_step steps[] = {STEP_READ(16), STEP_SEND(ok), STEP_READ(2),
				    STEP_END};
	struct sockaddr_in sin;
	struct responder r;
	struct pollfd p;
	int fd;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks4", r.port, 5);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	dest_sa(&sin);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	p.fd = fd;
	p.events = POLLOUT;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(so_error(fd), 0);
	ck_assert_int_eq(send(fd, "hi", 2, 0), 2);
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	ck_assert_int_eq(memcmp(r.got + 16, "hi", 2), 0);
	close(fd);
}
END_TEST

/* A socket registered after 150 others: its fdinfo line is far into the
 * file, past any small read buffer. */
START_TEST(t_nb_epoll_crowded)
{
	struct resp_step steps[] = {
		STEP_READ(GL), STEP_SEND(V5_METHOD_NONE), STEP_READ(10),
		STEP_GATE,     STEP_SEND(V5_REPLY_OK),	  STEP_END};
	struct epoll_event ev, out;
	struct sockaddr_in sin;
	struct responder r;
	int ep = epoll_create1(0), fd, pipes[150][2], i;

	for (i = 0; i < 150; i++) {
		ck_assert_int_eq(pipe(pipes[i]), 0);
		ev.events = EPOLLIN;
		ev.data.u64 = (uint64_t)i;
		ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, pipes[i][0], &ev),
				 0);
	}
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ev.events = EPOLLOUT | EPOLLET;
	ev.data.u64 = 0xabcdef;
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	dest_sa(&sin);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	/* Held back: nothing to report while the proxy has not replied. */
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 100), 0);
	resp_open_gate(&r);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 5000), 1);
	ck_assert_uint_eq(out.data.u64, 0xabcdef);
	ck_assert_int_eq(so_error(fd), 0);
	resp_join(&r);
	for (i = 0; i < 150; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	close(fd);
	close(ep);
}
END_TEST

START_TEST(t_nb_ppoll_pselect)
{
	struct resp_step steps[] = {
		STEP_READ(GL), STEP_SEND(V5_METHOD_NONE), STEP_READ(10),
		STEP_GATE,     STEP_SEND(V5_REPLY_OK),	  STEP_END};
	struct timespec ts = {0, 100 * 1000000};
	sigset_t mask;
	struct pollfd p;
	fd_set w;
	struct nb t;

	sigemptyset(&mask);
	nb_start(&t, steps);
	p.fd = t.fd;
	p.events = POLLOUT;
	ck_assert_int_eq(ppoll(&p, 1, &ts, &mask), 0);
	FD_ZERO(&w);
	FD_SET(t.fd, &w);
	ck_assert_int_eq(pselect(t.fd + 1, NULL, &w, NULL, &ts, &mask), 0);
	resp_open_gate(&t.r);
	ts.tv_sec = 5;
	ck_assert_int_eq(ppoll(&p, 1, &ts, &mask), 1);
	ck_assert(p.revents & POLLOUT);
	FD_ZERO(&w);
	FD_SET(t.fd, &w);
	ck_assert_int_eq(pselect(t.fd + 1, NULL, &w, NULL, &ts, &mask), 1);
	ck_assert_int_eq(so_error(t.fd), 0);
	resp_join(&t.r);
	close(t.fd);
}
END_TEST

/*
 * Fake addresses (resolve = remote): the name goes to the proxy.  These
 * run once the resolver's fakedns.c is linked in; until then the weak
 * reference below is NULL and they say so and pass.
 */
extern int fakedns_assign(const char *name, int family, struct net_ip *ip)
	__attribute__((weak));

static bool fake_sa(const char *name, struct sockaddr_in *sin)
{
	struct net_ip ip;

	if (!fakedns_assign) {
		fprintf(stderr, "fakedns not linked in: fake-address test "
				"not run\n");
		return false;
	}
	ck_assert_int_eq(fakedns_assign(name, AF_INET, &ip), 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(DEST_PORT);
	memcpy(&sin->sin_addr, ip.b, 4);
	return true;
}

static void use_proxy_remote(const char *scheme, uint16_t port)
{
	use_conf("resolve = \"remote\"\n"
		 "proxy \"p\" { url = \"%s://127.0.0.1:%u\" }\n"
		 "route { to = { \"0.0.0.0/0\", \"::/0\" } via = \"p\" }\n",
		 scheme, port);
}

START_TEST(t_fake_v5_domainname)
{
	static const uint8_t req[] = {5,   1,	0,   3,	  12,  'e', 'c',
				      'h', 'o', '.', 'e', 'x', 'a', 'm',
				      'p', 'l', 'e', 0,	  80};
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(sizeof(req)),
				    STEP_SEND(V5_REPLY_OK), STEP_END};
	struct sockaddr_in sin, peer;
	socklen_t plen = sizeof(peer);
	struct responder r;
	int fd;

	if (!fakedns_assign) {
		fprintf(stderr, "fakedns not linked in: %s not run\n",
			__func__);
		return;
	}
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy_remote("socks5", r.port);
	ck_assert(fake_sa("echo.example", &sin));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	/* getpeername: the fake address the program asked for. */
	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &plen), 0);
	ck_assert_int_eq(peer.sin_addr.s_addr, sin.sin_addr.s_addr);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got + GL, req, sizeof(req)), 0);
	close(fd);
}
END_TEST

START_TEST(t_fake_socks4a_name)
{
	static const uint8_t req[] = {4,   1,	0,   80,  0,   0,   0,	 1,
				      'e', 'n', 'v', 'u', 's', 'e', 'r', 0,
				      'e', 'c', 'h', 'o', '.', 'e', 'x', 'a',
				      'm', 'p', 'l', 'e', 0};
	static const uint8_t ok[] = {0, 90, 0, 0, 0, 0, 0, 0};
	struct resp_step steps[] = {STEP_READ(sizeof(req)), STEP_SEND(ok),
				    STEP_END};
	struct sockaddr_in sin;
	struct responder r;
	int fd;

	if (!fakedns_assign) {
		fprintf(stderr, "fakedns not linked in: %s not run\n",
			__func__);
		return;
	}
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy_remote("socks4a", r.port);
	ck_assert(fake_sa("echo.example", &sin));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, req, sizeof(req)), 0);
	close(fd);
}
END_TEST

START_TEST(t_fake_socks4_refuses_name)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	use_proxy_remote("socks4", closed_port());
	if (!fake_sa("echo.example", &sin))
		return;
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	close(fd);
}
END_TEST

START_TEST(t_fake_unknown_fails_closed)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	use_proxy_remote("socks5", closed_port());
	if (!fakedns_assign)
		return;
	/* Inside the default fake network, never handed out. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(80);
	inet_pton(AF_INET, "198.19.255.254", &sin.sin_addr);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EHOSTUNREACH);
	close(fd);
}
END_TEST

START_TEST(t_ipv6_proxy)
{
	static const uint8_t req[] = {5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8,
				      0, 0, 0, 0, 0,	0,    0,    0,
				      0, 0, 0, 7, 0x01, 0xbb};
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(sizeof(req)),
				    STEP_SEND(V5_REPLY_OK), STEP_END};
	struct sockaddr_in6 s6;
	struct responder r;
	int fd;

	if (resp_start(&r, AF_INET6, steps) < 0) {
		fprintf(stderr, "no IPv6 loopback: IPv6 proxy test not run\n");
		return;
	}
	use_conf("proxy \"p\" { url = \"socks5://[::1]:%u\" }\n"
		 "route { to = \"::/0\" via = \"p\" }\n",
		 r.port);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::7", &s6.sin6_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&s6, sizeof(s6)), 0);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got + GL, req, sizeof(req)), 0);
	close(fd);
}
END_TEST

/*
 * A loopback port whose accept queue is full: further SYNs are dropped, so
 * a connect to it neither succeeds nor fails (a proxy that does not
 * answer).  Keeps *lfd and *filler open.
 */
static uint16_t blackhole_port(int *lfd, int *filler)
{
	struct sockaddr_in sin;
	socklen_t l = sizeof(sin);

	*lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(*lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(*lfd, 0), 0);
	ck_assert_int_eq(getsockname(*lfd, (struct sockaddr *)&sin, &l), 0);
	*filler = socket(AF_INET, SOCK_STREAM, 0);
	use_conf("route { to = \"127.0.0.0/8\" via = \"direct\" }\n");
	ck_assert_int_eq(connect(*filler, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	return ntohs(sin.sin_port);
}

START_TEST(t_proxy_connect_timeout)
{
	int lfd, filler;

	use_conf("timeout = 1\n"
		 "proxy \"a\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"a\" }\n",
		 blackhole_port(&lfd, &filler));
	ck_assert_int_eq(connect_dest(NULL), ETIMEDOUT);
	close(filler);
	close(lfd);
}
END_TEST

/* A silent first proxy is skipped after the timeout; _i: non-blocking. */
START_TEST(t_proxy_timeout_failover)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct sockaddr_in sin;
	struct responder r;
	int lfd, filler, fd, rc;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("timeout = 1\n"
		 "proxy \"a\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "proxy \"b\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = { \"a\", \"b\" } }\n",
		 blackhole_port(&lfd, &filler), r.port);
	fd = socket(AF_INET, SOCK_STREAM | (_i ? SOCK_NONBLOCK : 0), 0);
	dest_sa(&sin);
	rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	if (_i) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};

		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(errno, EINPROGRESS);
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		ck_assert_int_eq(so_error(fd), 0);
	} else {
		ck_assert_int_eq(rc, 0);
	}
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	close(fd);
	close(filler);
	close(lfd);
}
END_TEST

/*
 * A non-blocking connect to a silent proxy times out also when the engine
 * thread runs already, idle: it sleeps without a deadline then, and must
 * learn of the new one.
 */
START_TEST(t_nb_timeout_engine_idle)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct pollfd p = {.events = POLLOUT};
	struct sockaddr_in sin;
	struct nb t;
	int lfd, filler, fd;
	uint16_t port;

	nb_start(&t, steps); /* starts the engine */
	p.fd = t.fd;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(so_error(t.fd), 0);
	resp_join(&t.r);
	close(t.fd);
	port = blackhole_port(&lfd, &filler);
	use_conf("timeout = 1\n"
		 "proxy \"a\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"a\" }\n",
		 port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	dest_sa(&sin);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	p.fd = fd;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(so_error(fd), ETIMEDOUT);
	close(fd);
	close(filler);
	close(lfd);
}
END_TEST

/* A faked name that the routes send direct for this port: resolved then. */
START_TEST(t_fake_direct_resolves)
{
	struct resp_step steps[] = {STEP_READ(2), STEP_END};
	struct sockaddr_in sin;
	struct responder r;
	int fd;

	if (!fakedns_assign) {
		fprintf(stderr, "fakedns not linked in: %s not run\n",
			__func__);
		return;
	}
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("resolve = \"remote\"\n"
		 "proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"localhost\" ports = \"1\" via = \"p\" }\n"
		 "route { to = \"localhost\" via = \"direct\" }\n",
		 closed_port());
	ck_assert(fake_sa("localhost", &sin));
	sin.sin_port = htons(r.port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(write(fd, "ok", 2), 2);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, "ok", 2), 0);
	close(fd);
}
END_TEST

/* The same on a non-blocking socket: connect() does not wait for the
 * lookup (EINPROGRESS at once; a thread resolves and connects), the fd
 * polls not writable until then, and the connection works. */
START_TEST(t_fake_direct_nonblocking)
{
	struct resp_step steps[] = {STEP_READ(2), STEP_END};
	struct sockaddr_in sin;
	struct responder r;
	struct pollfd p;
	int fd, ep;
	struct epoll_event ev = {.events = EPOLLOUT}, out;

	if (!fakedns_assign) {
		fprintf(stderr, "fakedns not linked in: %s not run\n",
			__func__);
		return;
	}
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("resolve = \"remote\"\n"
		 "proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"localhost\" ports = \"1\" via = \"p\" }\n"
		 "route { to = \"localhost\" via = \"direct\" }\n",
		 closed_port());
	ck_assert(fake_sa("localhost", &sin));
	sin.sin_port = htons(r.port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 5000), 1);
	ck_assert(!(out.events & (EPOLLHUP | EPOLLERR)));
	p.fd = fd;
	p.events = POLLOUT;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(so_error(fd), 0);
	ck_assert_int_eq(write(fd, "ok", 2), 2);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, "ok", 2), 0);
	close(ep);
	close(fd);
}
END_TEST

/* ---- blocking connect cut short: signals, SO_SNDTIMEO ---- */

static int sig_pipe[2];

static void on_alarm(int sig)
{
	(void)sig;
	(void)!write(sig_pipe[1], "a", 1);
}

static void arm_alarm(int flags)
{
	struct sigaction sa;
	struct itimerval it = {{0, 0}, {0, 100 * 1000}};

	ck_assert_int_eq(pipe(sig_pipe), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
}

/* Opens the responder's gate once the alarm handler ran. */
static void *gate_after_alarm(void *arg)
{
	struct responder *r = arg;
	struct pollfd p = {.fd = sig_pipe[0], .events = POLLIN};
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (poll(&p, 1, 5000) == 1)
		resp_open_gate(r);
	return NULL;
}

/* The tunnel comes up in the background: poll, SO_ERROR 0, data flows. */
static void finish_in_background(int fd, struct responder *r)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(so_error(fd), 0);
	ck_assert_int_eq(write(fd, "data", 4), 4);
	resp_join(r);
	ck_assert_int_eq(r->failed_step, -1);
	ck_assert_int_eq(memcmp(r->got + GL + 10, "data", 4), 0);
}

START_TEST(t_blocking_alarm_eintr)
{
	struct resp_step steps[] = {STEP_READ(GL),
				    STEP_GATE,
				    STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10),
				    STEP_SEND(V5_REPLY_OK),
				    STEP_READ(4),
				    STEP_END};
	struct responder r;
	int fd, err;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	arm_alarm(0); /* no SA_RESTART: connect(2) fails with EINTR */
	err = connect_dest(&fd);
	ck_assert_int_eq(err, EINTR);
	ck_assert_int_eq(connect_dest_again(fd), EALREADY);
	resp_open_gate(&r);
	finish_in_background(fd, &r);
	close(fd);
}
END_TEST

START_TEST(t_blocking_alarm_restart)
{
	struct resp_step steps[] = {STEP_READ(GL),
				    STEP_GATE,
				    STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10),
				    STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct responder r;
	pthread_t tid;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	arm_alarm(SA_RESTART); /* the kernel would restart: so do we */
	ck_assert_int_eq(pthread_create(&tid, NULL, gate_after_alarm, &r), 0);
	ck_assert_int_eq(connect_dest(NULL), 0);
	pthread_join(tid, NULL);
	resp_join(&r);
}
END_TEST

START_TEST(t_blocking_sndtimeo)
{
	struct resp_step steps[] = {STEP_READ(GL),
				    STEP_GATE,
				    STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10),
				    STEP_SEND(V5_REPLY_OK),
				    STEP_READ(4),
				    STEP_END};
	struct timeval tv = {0, 100 * 1000};
	struct sockaddr_in sin;
	struct responder r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	dest_sa(&sin);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EINPROGRESS); /* as the kernel says */
	resp_open_gate(&r);
	finish_in_background(fd, &r);
	close(fd);
}
END_TEST

/*
 * The program's SO_SNDTIMEO is back after a blocking connect, also when
 * the first proxy refused and the second was tried (the driver bounds
 * each connect to a proxy with its own SO_SNDTIMEO and restores late).
 */
START_TEST(t_blocking_sndtimeo_restored)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct timeval tv = {30, 200 * 1000}, want, got; /* > timeout */
	socklen_t l = sizeof(want);
	struct sockaddr_in sin;
	struct responder r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("timeout = 5\n"
		 "proxy \"a\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "proxy \"b\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = { \"a\", \"b\" } }\n",
		 closed_port(), r.port);
	ck_assert_int_eq(
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &want, &l), 0);
	dest_sa(&sin);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	l = sizeof(got);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &got, &l), 0);
	ck_assert_int_eq(got.tv_sec, want.tv_sec);
	ck_assert_int_eq(got.tv_usec, want.tv_usec);
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	close(fd);

	/* None set: none after. */
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(connect_dest(&fd), 0);
	l = sizeof(got);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &got, &l), 0);
	ck_assert_int_eq(got.tv_sec, 0);
	ck_assert_int_eq(got.tv_usec, 0);
	resp_join(&r);
	close(fd);
}
END_TEST

/* A TCP socket connected behind the routes' back (here: direct) gets the
 * kernel's EISCONN for a destination routed via a proxy, as before. */
START_TEST(t_connected_socket_eisconn)
{
	struct resp_step steps[] = {STEP_READ(2), STEP_END};
	struct sockaddr_in sin;
	struct responder r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"127.0.0.0/8\" via = \"direct\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 closed_port());
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(r.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(connect_dest_again(fd), EISCONN);
	ck_assert_int_eq(fdt_peek(fd), 0); /* still not ours */
	ck_assert_int_eq(write(fd, "ok", 2), 2);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, "ok", 2), 0);
	close(fd);
}
END_TEST

/* ---- UDP fails closed where no SOCKS5 proxy can carry it ---- */

/* A UDP receiver on 127.0.0.1 (port 0); *@sin is its address. */
static int udp_receiver(struct sockaddr_in *sin)
{
	socklen_t l = sizeof(*sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sin, l), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)sin, &l), 0);
	return fd;
}

/* Loopback routed via a SOCKS4 proxy: no UDP there (EACCES). */
static void use_udp_proxied(void)
{
	use_conf("proxy \"p\" { url = \"socks4://127.0.0.1:%u\" }\n"
		 "route { to = \"127.0.0.0/8\" via = \"p\" }\n",
		 closed_port());
}

/*
 * Nothing but the marker reached @rfd: a datagram "marker" sent now, by
 * a route made direct, must be the first one the receiver holds
 * (loopback delivery is complete when sendto returns).
 */
static void udp_assert_only_marker(int rfd, const struct sockaddr_in *to)
{
	char buf[64];
	ssize_t n;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	use_conf("route { to = \"127.0.0.0/8\" via = \"direct\" }\n");
	ck_assert_int_eq(sendto(fd, "marker", 6, 0, (const struct sockaddr *)to,
				sizeof(*to)),
			 6);
	n = recv(rfd, buf, sizeof(buf), MSG_DONTWAIT);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(memcmp(buf, "marker", 6), 0);
	close(fd);
}

START_TEST(t_udp_proxied_refused)
{
	struct sockaddr_in to;
	struct iovec iov = {.iov_base = "leak", .iov_len = 4};
	struct msghdr m;
	struct mmsghdr mm[2];
	int rfd = udp_receiver(&to), fd = socket(AF_INET, SOCK_DGRAM, 0);

	use_udp_proxied();
	errno = 0;
	ck_assert_int_eq(
		sendto(fd, "leak", 4, 0, (struct sockaddr *)&to, sizeof(to)),
		-1);
	ck_assert_int_eq(errno, EACCES);
	/* Same peer again: the cached verdict. */
	errno = 0;
	ck_assert_int_eq(
		sendto(fd, "leak", 4, 0, (struct sockaddr *)&to, sizeof(to)),
		-1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(fdt_peek(fd) & FDT_KIND_MASK, FDT_UDP);

	memset(&m, 0, sizeof(m));
	m.msg_name = &to;
	m.msg_namelen = sizeof(to);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	errno = 0;
	ck_assert_int_eq(sendmsg(fd, &m, 0), -1);
	ck_assert_int_eq(errno, EACCES);

	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr = m;
	mm[1].msg_hdr = m;
	errno = 0;
	ck_assert_int_eq(sendmmsg(fd, mm, 2, 0), -1);
	ck_assert_int_eq(errno, EACCES);

	/* MSG_FASTOPEN means nothing to UDP: still refused. */
	errno = 0;
	ck_assert_int_eq(sendto(fd, "leak", 4, MSG_FASTOPEN,
				(struct sockaddr *)&to, sizeof(to)),
			 -1);
	ck_assert_int_eq(errno, EACCES);

	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EACCES);
	close(fd);

	/* A fresh socket whose first call is connect(). */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EACCES);
	/* Not connected: send() has nowhere to go. */
	ck_assert_int_eq(send(fd, "leak", 4, 0), -1);
	close(fd);

	udp_assert_only_marker(rfd, &to);
	close(rfd);
}
END_TEST

START_TEST(t_udp_mmsg_stops_at_refused)
{
	struct sockaddr_in to, other;
	struct iovec iov = {.iov_base = "ok", .iov_len = 2};
	struct mmsghdr mm[2];
	char buf[16];
	int rfd = udp_receiver(&to), fd = socket(AF_INET, SOCK_DGRAM, 0);

	/* The receiver direct, another loopback address via the proxy. */
	use_conf("proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { to = \"127.0.0.1/32\" via = \"direct\" }\n"
		 "route { to = \"127.0.0.0/8\" via = \"p\" }\n",
		 closed_port());
	other = to;
	inet_pton(AF_INET, "127.0.0.2", &other.sin_addr);
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr.msg_name = &to;
	mm[0].msg_hdr.msg_namelen = sizeof(to);
	mm[0].msg_hdr.msg_iov = &iov;
	mm[0].msg_hdr.msg_iovlen = 1;
	mm[1].msg_hdr = mm[0].msg_hdr;
	mm[1].msg_hdr.msg_name = &other;
	errno = 31337;
	ck_assert_int_eq(sendmmsg(fd, mm, 2, 0), 1);
	ck_assert_int_eq(errno, 31337);
	ck_assert_int_eq(recv(rfd, buf, sizeof(buf), MSG_DONTWAIT), 2);
	ck_assert_int_eq(recv(rfd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	close(fd);
	close(rfd);
}
END_TEST

START_TEST(t_udp_direct_passes_keeps_errno)
{
	struct sockaddr_in to;
	struct iovec iov = {.iov_base = "two", .iov_len = 3};
	struct msghdr m;
	struct mmsghdr mm[1];
	char buf[16];
	int rfd = udp_receiver(&to), fd = socket(AF_INET, SOCK_DGRAM, 0);

	use_conf("route { to = \"127.0.0.0/8\" via = \"direct\" }\n");
	errno = 31337;
	ck_assert_int_eq(
		sendto(fd, "one", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	ck_assert_int_eq(errno, 31337);
	memset(&m, 0, sizeof(m));
	m.msg_name = &to;
	m.msg_namelen = sizeof(to);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	ck_assert_int_eq(sendmsg(fd, &m, 0), 3);
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr = m;
	ck_assert_int_eq(sendmmsg(fd, mm, 1, 0), 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(errno, 31337);
	ck_assert_int_eq(send(fd, "four", 4, 0), 4);
	/* Connected: sendto without an address passes. */
	ck_assert_int_eq(sendto(fd, "five", 4, 0, NULL, 0), 4);
	ck_assert_int_eq(errno, 31337);
	ck_assert_int_eq(recv(rfd, buf, sizeof(buf), MSG_DONTWAIT), 3);
	ck_assert_int_eq(memcmp(buf, "one", 3), 0);
	ck_assert_int_eq(recv(rfd, buf, sizeof(buf), MSG_DONTWAIT), 3);
	ck_assert_int_eq(recv(rfd, buf, sizeof(buf), MSG_DONTWAIT), 3);
	ck_assert_int_eq(recv(rfd, buf, sizeof(buf), MSG_DONTWAIT), 4);
	ck_assert_int_eq(recv(rfd, buf, sizeof(buf), MSG_DONTWAIT), 4);
	ck_assert_int_eq(memcmp(buf, "five", 4), 0);
	close(fd);
	ck_assert_int_eq(fdt_peek(fd), 0); /* close forgets the kind */
	close(rfd);
}
END_TEST

/* Connected while direct; the routes change; sendto(NULL) still passes
 * (the connect was the check), a new destination is checked again. */
START_TEST(t_udp_dup_and_cache)
{
	struct sockaddr_in to;
	int rfd = udp_receiver(&to), fd = socket(AF_INET, SOCK_DGRAM, 0), fd2;

	use_conf("route { to = \"127.0.0.0/8\" via = \"direct\" }\n");
	ck_assert_int_eq(
		sendto(fd, "a", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	fd2 = dup(fd);
	ck_assert_int_eq(fdt_peek(fd2) & FDT_KIND_MASK, FDT_UDP);
	close(fd);
	use_udp_proxied();
	/* fd2 shares fd's cache: same peer, verdict cached as direct. */
	ck_assert_int_eq(
		sendto(fd2, "b", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	to.sin_port = htons(ntohs(to.sin_port) ^ 1); /* another peer */
	errno = 0;
	ck_assert_int_eq(
		sendto(fd2, "c", 1, 0, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EACCES);
	close(fd2);
	close(rfd);
}
END_TEST

START_TEST(t_udp_fake_refused)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (!fakedns_assign) {
		fprintf(stderr, "fakedns not linked in: %s not run\n",
			__func__);
		close(fd);
		return;
	}
	use_proxy_remote("socks4a", closed_port()); /* no UDP in SOCKS4A */
	ck_assert(fake_sa("echo.example", &sin));
	errno = 0;
	ck_assert_int_eq(
		sendto(fd, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)),
		-1);
	ck_assert_int_eq(errno, EACCES);
	/* A fake address never handed out (no name behind it). */
	inet_pton(AF_INET, "198.19.255.254", &sin.sin_addr);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EACCES);
	close(fd);
}
END_TEST

/* A TCP socket's sendto with an address is not taken for UDP. */
START_TEST(t_udp_tcp_untouched)
{
	struct sockaddr_in to;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	use_udp_proxied();
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(closed_port());
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	errno = 0;
	/* Unconnected TCP: the kernel's EPIPE, not our EACCES. */
	ck_assert_int_eq(sendto(fd, "x", 1, MSG_NOSIGNAL,
				(struct sockaddr *)&to, sizeof(to)),
			 -1);
	ck_assert_int_ne(errno, EACCES);
	ck_assert_int_eq(fdt_peek(fd), 0);
	close(fd);
}
END_TEST

/* The "udp" command decides; a number reused behind the library's back
 * (closed by a raw system call) for a TCP socket is not taken for UDP. */
START_TEST(t_udp_command_and_stale_fd)
{
	struct resp_step steps[] = {STEP_READ(2), STEP_END};
	struct sockaddr_in to;
	struct responder r;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), fd2;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf(
		"proxy \"p\" { url = \"socks4://127.0.0.1:%u\" }\n"
		"route { to = \"127.0.0.0/8\" command = \"udp\" via = \"p\" }\n"
		"route { to = \"127.0.0.0/8\" via = \"direct\" }\n",
		closed_port());
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(r.port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	errno = 0;
	ck_assert_int_eq(
		sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(fdt_peek(fd) & FDT_KIND_MASK, FDT_UDP);
	ck_assert_int_eq(syscall(SYS_close, fd), 0);
	fd2 = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(fd2, fd);
	errno = 31337;
	ck_assert_int_eq(connect(fd2, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(errno, 31337);
	ck_assert_int_eq(write(fd2, "ok", 2), 2);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, "ok", 2), 0);
	ck_assert_int_eq(fdt_peek(fd2), 0);
	close(fd2);
}
END_TEST

/*
 * Hazards of the registry (issue: races and hazards).  Each test fails
 * without the fix it names.
 */

/* A blocking connection to DEST through a responder that then stays
 * silent; returns the fd. */
static int tunnel_up(struct responder *r)
{
	static const struct resp_step steps[] = {
		STEP_READ(GL),		STEP_SEND(V5_METHOD_NONE),
		STEP_READ(10),		STEP_SEND(V5_REPLY_OK),
		{RESP_SILENT, 0, NULL}, STEP_END};
	int fd;

	ck_assert_int_eq(resp_start(r, AF_INET, steps), 0);
	use_proxy("socks5", r->port, 5);
	ck_assert_int_eq(connect_dest(&fd), 0);
	return fd;
}

/* getpeername(@fd) is DEST (the tunnel's destination, not the proxy). */
static bool peer_is_dest(int fd)
{
	struct sockaddr_in sin;
	socklen_t l = sizeof(sin);
	char ip[INET_ADDRSTRLEN];

	if (getpeername(fd, (struct sockaddr *)&sin, &l) < 0)
		return false;
	inet_ntop(AF_INET, &sin.sin_addr, ip, sizeof(ip));
	return strcmp(ip, DEST_IP) == 0 && ntohs(sin.sin_port) == DEST_PORT;
}

/* A TCP mark that outlived its socket (closed where no hook saw it, as
 * fclose() of an fdopen()ed socket does) must not let a UDP socket that
 * gets the number skip the UDP check.  Fix: udp_candidate() looks at
 * fds marked TCP too. */
START_TEST(t_stale_tcp_mark_udp_checked)
{
	struct sockaddr_in sin;
	struct responder r;
	int fd = tunnel_up(&r), u;

	ck_assert_int_eq(fdt_kind_of(fd), FDT_TCP);
	ck_assert_int_eq(syscall(SYS_close, fd), 0); /* behind our back */
	u = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(u, fd);
	dest_sa(&sin);
	use_conf("proxy \"p\" { url = \"socks4://127.0.0.1:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 closed_port()); /* SOCKS4: UDP refused */
	errno = 0;
	ck_assert_int_eq(
		sendto(u, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(fdt_kind_of(u), FDT_UDP);
	close(u);
	resp_join(&r);
}
END_TEST

/* An attachment for a socket identified earlier is not made on a number
 * that now names another socket.  Fix: fdt_attach() checks the cookie. */
START_TEST(t_attach_checks_cookie)
{
	static const struct fdt_ops ops = {.name = "test"};
	int fd = socket(AF_INET, SOCK_STREAM, 0), u;
	struct fdt_entry *e = fdt_alloc(FDT_TCP, &ops, 0);

	ck_assert_ptr_nonnull(e);
	e->cookie = fdt_socket_cookie(fd);
	ck_assert(e->cookie != 0);
	ck_assert_int_eq(syscall(SYS_close, fd), 0);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(u, fd);
	ck_assert_int_eq(fdt_attach(u, e, FDT_TCP), -EBADF);
	ck_assert_int_eq(fdt_peek(u), 0);
	fdt_put(e);
	close(u);
}
END_TEST

struct holder {
	int fd;
	int hold_ms;
	atomic_int held;
	_Atomic int64_t released; /* now_ms() when let go */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Thread: hold @fd's entry lock for hold_ms. */
static void *hold_entry(void *arg)
{
	struct holder *h = arg;
	struct fdt_entry *e = fdt_acquire(h->fd);

	ck_assert_ptr_nonnull(e);
	atomic_store(&h->held, 1);
	usleep((useconds_t)h->hold_ms * 1000);
	atomic_store(&h->released, now_ms());
	fdt_release(e);
	return NULL;
}

static void hold_start(struct holder *h, pthread_t *tid, int fd, int ms)
{
	h->fd = fd;
	h->hold_ms = ms;
	atomic_init(&h->held, 0);
	atomic_init(&h->released, 0);
	ck_assert_int_eq(pthread_create(tid, NULL, hold_entry, h), 0);
	while (!atomic_load(&h->held))
		usleep(1000);
}

/* dup2() onto an internal fd moves it under its owner's lock, so the owner
 * never reads a number the program is taking.  Fix: kint_move() takes the
 * owner's lock (here: the connection's, held by another thread). */
START_TEST(t_dup2_internal_under_owner_lock)
{
	struct resp_step steps[] = {
		STEP_READ(GL), {RESP_SILENT, 0, NULL}, STEP_END};
	struct holder h;
	pthread_t tid;
	struct nb t;
	int evfd, devnull = open("/dev/null", O_RDONLY);

	nb_start(&t, steps);
	evfd = fdt_op_subst_fd(t.fd);
	ck_assert_int_ge(evfd, 3);
	hold_start(&h, &tid, t.fd, 300);
	ck_assert_int_eq(dup2(devnull, evfd), evfd);
	ck_assert(atomic_load(&h.released) != 0 &&
		  now_ms() >= atomic_load(&h.released));
	pthread_join(tid, NULL);
	ck_assert_int_ne(fdt_op_subst_fd(t.fd), evfd);
	close(devnull);
	close(t.fd);
	resp_join(&t.r);
}
END_TEST

/* Wait up to @ms for child @pid; returns its status or -1 (killed). */
static int wait_child(pid_t pid, int ms)
{
	int st;

	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* fork() while another thread holds an entry lock: the child must be able
 * to use the entry.  Fix: the atfork handlers take every entry lock. */
START_TEST(t_fork_with_entry_lock_held)
{
	struct responder r;
	struct holder h;
	pthread_t tid;
	int fd = tunnel_up(&r), st;
	pid_t pid;

	hold_start(&h, &tid, fd, 300);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(peer_is_dest(fd) && close(fd) == 0 ? 0 : 3);
	st = wait_child(pid, 5000);
	pthread_join(tid, NULL);
	ck_assert_msg(st != -1, "child hung on an entry lock");
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert(peer_is_dest(fd));
	close(fd);
	resp_join(&r);
}
END_TEST

/* A vfork()ed child's close/dup2 must not edit the parent's table (it
 * shares the parent's memory).  Fix: fdt_in_vfork_child(). */
START_TEST(t_vfork_child_leaves_table)
{
	struct responder r;
	int fd = tunnel_up(&r), st;
	pid_t pid;

	pid = vfork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fd);
		dup2(0, fd);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(fdt_kind_of(fd), FDT_TCP);
	ck_assert(peer_is_dest(fd));
	close(fd);
	resp_join(&r);
}
END_TEST

/* Internal fds live high (never 0-2, away from the numbers programs
 * reuse) and survive closefrom().  Fix: kint_place(), closefrom hook. */
START_TEST(t_internal_fds_high_survive_closefrom)
{
	struct resp_step steps[] = {
		STEP_READ(GL), {RESP_SILENT, 0, NULL}, STEP_END};
	struct nb t;
	int evfd, ep;

	nb_start(&t, steps);
	evfd = fdt_op_subst_fd(t.fd);
	ep = engine_epoll_fd();
	ck_assert_int_gt(evfd, 64);
	ck_assert_int_gt(ep, 64);
	closefrom(64);
	ck_assert_int_ge(fcntl(evfd, F_GETFD), 0);
	ck_assert_int_ge(fcntl(ep, F_GETFD), 0);
	close(t.fd);
	resp_join(&t.r);
}
END_TEST

/* The engine's epoll closed by a raw system call: the next handshake
 * still completes (no EBADF spin).  Fix: engine_rebuild(). */
START_TEST(t_engine_epoll_closed_behind_back)
{
	struct resp_step steps[] = {
		STEP_READ(GL),		STEP_SEND(V5_METHOD_NONE),
		STEP_READ(10),		STEP_SEND(V5_REPLY_OK),
		{RESP_SILENT, 0, NULL}, STEP_END};
	struct pollfd p;
	struct nb t;

	nb_start(&t, steps); /* starts the engine */
	p.fd = t.fd;
	p.events = POLLOUT;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	close(t.fd);
	resp_join(&t.r);
	ck_assert_int_eq(syscall(SYS_close, engine_epoll_fd()), 0);
	nb_start(&t, steps);
	p.events = POLLOUT;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(so_error(t.fd), 0);
	ck_assert(peer_is_dest(t.fd));
	close(t.fd);
	resp_join(&t.r);
}
END_TEST

static int sig_close_fd = -1;
static volatile int sig_close_rc = 1;

static void on_sig_close(int sig)
{
	(void)sig;
	sig_close_rc = close(sig_close_fd);
}

/* close() from a signal handler that interrupted the library while it held
 * the fd's entry lock must not deadlock.  Fix: fdt_op_forget() waits for
 * no lock when this thread holds one (fdt_locks_held). */
START_TEST(t_close_in_signal_handler)
{
	struct sigaction sa;
	struct responder r;
	struct fdt_entry *e;
	int fd = tunnel_up(&r), n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig_close;
	sigaction(SIGUSR1, &sa, NULL);
	sig_close_fd = fd;
	e = fdt_acquire(fd); /* as if a hook of this thread were inside */
	ck_assert_ptr_nonnull(e);
	raise(SIGUSR1);
	fdt_release(e);
	ck_assert_int_eq(sig_close_rc, 0);
	/* The number, reused, is not the old tunnel. */
	n = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(n, fd);
	ck_assert(!peer_is_dest(n));
	ck_assert_int_eq(errno, ENOTCONN);
	close(n);
	resp_join(&r);
}
END_TEST

/* A proxy given by name is resolved before the handshake, outside the
 * engine (proxy_addr.c).  (A name that does not resolve is not tried
 * here: the lookup would ask the machine's DNS.) */
START_TEST(t_proxy_by_name)
{
	struct resp_step steps[] = {STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				    STEP_END};
	struct sockaddr_in sin;
	struct responder r;
	struct pollfd p;
	int fd;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_conf("proxy \"p\" { url = \"socks5://localhost:%u\" }\n"
		 "route { to = \"0.0.0.0/0\" via = \"p\" }\n",
		 r.port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	dest_sa(&sin);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	p.fd = fd;
	p.events = POLLOUT;
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(so_error(fd), 0);
	close(fd);
	resp_join(&r);
}
END_TEST

static Suite *hooks_suite(void)
{
	Suite *s = suite_create("hooks");
	TCase *tc = tcase_create("connect");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_v5_success_keeps_errno_and_peer);
	tcase_add_loop_test(tc, t_v5_rep_mapping, 0, 9);
	tcase_add_test(tc, t_rule_deny);
	tcase_add_test(tc, t_rule_time);
	tcase_add_test(tc, t_no_route);
	tcase_add_test(tc, t_proxy_unreachable);
	tcase_add_test(tc, t_failover_to_second_proxy);
	tcase_add_test(tc, t_timeout);
	tcase_add_test(tc, t_proxy_connect_timeout);
	tcase_add_loop_test(tc, t_proxy_timeout_failover, 0, 2);
	tcase_add_test(tc, t_hangup);
	tcase_add_test(tc, t_no_acceptable_method);
	tcase_add_test(tc, t_auth_ok);
	tcase_add_test(tc, t_auth_failure);
	tcase_add_test(tc, t_socks4_cd91);
	tcase_add_test(tc, t_socks4_granted);
	tcase_add_test(tc, t_socks4_ipv6_dest);
	tcase_add_test(tc, t_v5_ipv6_dest_atyp4);
	tcase_add_test(tc, t_ipv6_proxy_from_inet_socket);
	tcase_add_test(tc, t_ipv6_proxy);
	tcase_add_test(tc, t_passthrough_unix_keeps_errno);
	tcase_add_test(tc, t_direct_keeps_errno);
	tcase_add_test(tc, t_auth_env_credentials);
	tcase_add_test(tc, t_fastopen_blocking);
	tcase_add_test(tc, t_dup_shares_peer);
	tcase_add_test(tc, t_stale_after_fclose);
	tcase_add_test(tc, t_fake_v5_domainname);
	tcase_add_test(tc, t_fake_socks4a_name);
	tcase_add_test(tc, t_fake_socks4_refuses_name);
	tcase_add_test(tc, t_fake_unknown_fails_closed);
	tcase_add_test(tc, t_fake_direct_resolves);
	tcase_add_test(tc, t_fake_direct_nonblocking);
	tcase_add_test(tc, t_missing_default_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("nonblocking");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_nb_poll_success);
	tcase_add_test(tc, t_nb_poll_failure_so_error);
	tcase_add_test(tc, t_nb_select_success);
	tcase_add_loop_test(tc, t_nb_epoll, 0, 4);
	tcase_add_test(tc, t_nb_close_during_handshake);
	tcase_add_test(tc, t_internal_fd_protected);
	tcase_add_test(tc, t_nb_connect_again);
	tcase_add_test(tc, t_nb_poll_timeout_no_eintr);
	tcase_add_test(tc, t_nb_made_blocking_write_waits);
	tcase_add_test(tc, t_nb_epoll_mod_during_handshake);
	tcase_add_test(tc, t_nb_many_concurrent);
	tcase_add_test(tc, t_close_range_spares_internal);
	tcase_add_test(tc, t_nb_proxy_unreachable);
	tcase_add_test(tc, t_nb_timeout_engine_idle);
	tcase_add_test(tc, t_nb_socks4_success);
	tcase_add_test(tc, t_nb_epoll_crowded);
	tcase_add_test(tc, t_nb_ppoll_pselect);
	tcase_add_test(tc, t_blocking_alarm_eintr);
	tcase_add_test(tc, t_blocking_alarm_restart);
	tcase_add_test(tc, t_blocking_sndtimeo);
	tcase_add_test(tc, t_blocking_sndtimeo_restored);
	tcase_add_test(tc, t_connected_socket_eisconn);
	tcase_add_test(tc, t_fork_child_keeps_state);
	suite_add_tcase(s, tc);

	tc = tcase_create("udp");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_udp_proxied_refused);
	tcase_add_test(tc, t_udp_mmsg_stops_at_refused);
	tcase_add_test(tc, t_udp_direct_passes_keeps_errno);
	tcase_add_test(tc, t_udp_dup_and_cache);
	tcase_add_test(tc, t_udp_fake_refused);
	tcase_add_test(tc, t_udp_tcp_untouched);
	tcase_add_test(tc, t_udp_command_and_stale_fd);
	suite_add_tcase(s, tc);

	tc = tcase_create("hazards");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_stale_tcp_mark_udp_checked);
	tcase_add_test(tc, t_attach_checks_cookie);
	tcase_add_test(tc, t_dup2_internal_under_owner_lock);
	tcase_add_test(tc, t_fork_with_entry_lock_held);
	tcase_add_test(tc, t_vfork_child_leaves_table);
	tcase_add_test(tc, t_internal_fds_high_survive_closefrom);
	tcase_add_test(tc, t_engine_epoll_closed_behind_back);
	tcase_add_test(tc, t_close_in_signal_handler);
	tcase_add_test(tc, t_proxy_by_name);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	return hook_main(argv, hooks_suite(), true);
}
