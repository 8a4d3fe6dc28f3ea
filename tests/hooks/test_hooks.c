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
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/conf.h"
#include "preload/fdtable.h"
#include "preload/init.h"
#include "responder.h"

#define DEST_IP "203.0.113.5"
#define DEST_PORT 80

/* The default offer: no-auth, and username since main() sets
 * SOCKS_USERNAME for the whole process. */
static const uint8_t V5_GREET[] = { 5, 2, 0, 2 };
#define GL 4 /* its length: the request follows at offset GL */
static const uint8_t V5_METHOD_NONE[] = { 5, 0 };
static const uint8_t V5_METHOD_USER[] = { 5, 2 };
static const uint8_t V5_METHOD_NONE_OK[] = { 5, 0xff };
static const uint8_t V5_REQ_DEST[] = { 5, 1, 0, 1, 203, 0, 113, 5, 0, 80 };
static const uint8_t V5_REPLY_OK[] = { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
static const uint8_t AUTH_OK[] = { 1, 0 };
static const uint8_t AUTH_FAIL[] = { 1, 1 };

#define STEP_READ(n) { RESP_READ, (n), NULL }
#define STEP_SEND(a) { RESP_SEND, sizeof(a), (a) }
#define STEP_END { RESP_END, 0, NULL }
#define STEP_GATE { RESP_GATE, 0, NULL }

static struct conf *test_conf;

/* Install a config built from printf-style text. */
static void use_conf(const char *fmt, ...)
{
	char text[2048], err[CONF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (conf_load_buf(text, "test.conf", &test_conf, err, sizeof(err)) <
	    0)
		ck_abort_msg("config: %s\n%s", err, text);
	socksify_conf_set(test_conf);
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

/* A v5 exchange ending in reply code @rep; returns connect's errno. */
static int v5_with_rep(uint8_t rep)
{
	uint8_t reply[10] = { 5, rep, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(reply),
				     STEP_END };
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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10),
				     { RESP_SEND, sizeof(reply_and_data),
				       reply_and_data },
				     STEP_READ(4), STEP_END };
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
	static const int want[] = { 0, ECONNREFUSED, EACCES, ENETUNREACH,
				    EHOSTUNREACH, ECONNREFUSED, ETIMEDOUT,
				    EOPNOTSUPP, EAFNOSUPPORT };

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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				     STEP_END };
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
	struct resp_step steps[] = { STEP_READ(GL), { RESP_SILENT, 0, NULL },
				     STEP_END };
	struct responder r;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 1);
	ck_assert_int_eq(connect_dest(NULL), ETIMEDOUT);
	resp_join(&r);
}
END_TEST

START_TEST(t_hangup)
{
	struct resp_step steps[] = { STEP_READ(GL), STEP_END };
	struct responder r;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(connect_dest(NULL), ECONNRESET);
	resp_join(&r);
}
END_TEST

START_TEST(t_no_acceptable_method)
{
	struct resp_step steps[] = { STEP_READ(GL),
				     STEP_SEND(V5_METHOD_NONE_OK), STEP_END };
	struct responder r;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(connect_dest(NULL), EACCES);
	resp_join(&r);
}
END_TEST

/* Greeting with methods 02 00, then "alice"/"secret". */
static const uint8_t V5_GREET_USER[] = { 5, 2, 2, 0 };
static const uint8_t AUTH_REQ[] = { 1, 5, 'a', 'l', 'i', 'c', 'e',
				    6, 's', 'e', 'c', 'r', 'e', 't' };

static int v5_auth(const uint8_t *status)
{
	struct resp_step steps[] = { STEP_READ(4), STEP_SEND(V5_METHOD_USER),
				     STEP_READ(sizeof(AUTH_REQ)),
				     { RESP_SEND, 2, status },
				     STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				     STEP_END };
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
	static const uint8_t req[] = { 4, 1, 0, 80, 203, 0, 113, 5, 'e', 'n',
				       'v', 'u', 's', 'e', 'r', 0 };
	static const uint8_t rej[] = { 0, 91, 0, 0, 0, 0, 0, 0 };
	struct resp_step steps[] = { STEP_READ(sizeof(req)), STEP_SEND(rej),
				     STEP_END };
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
	static const uint8_t ok[] = { 0, 90, 0, 0, 0, 0, 0, 0 };
	struct resp_step steps[] = { STEP_READ(16), STEP_SEND(ok), STEP_END };
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
	static const uint8_t req[] = { 5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8,
				       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
				       0, 80 };
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(sizeof(req)),
				     STEP_SEND(V5_REPLY_OK), STEP_END };
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
	ck_assert_int_eq(connect_dest(NULL), EAFNOSUPPORT);
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
	struct resp_step steps[] = { STEP_READ(2), STEP_END };
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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_GATE,
				     STEP_SEND(V5_REPLY_OK),
				     STEP_READ(4), STEP_END };
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
	static const uint8_t rep4[] = { 5, 4, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(rep4), STEP_END };
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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				     STEP_END };
	struct timeval tv = { 5, 0 };
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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				     STEP_READ(4), STEP_END };
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
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
			 -1);
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
	struct resp_step steps[] = { STEP_READ(GL), { RESP_SILENT, 0, NULL },
				     STEP_END };
	struct nb t;

	nb_start(&t, steps);
	ck_assert(fdt_peek(t.fd) & FDT_F_SLOW);
	ck_assert_int_eq(close(t.fd), 0);
	ck_assert_int_eq(fdt_peek(t.fd), 0);
	resp_join(&t.r);
}
END_TEST

START_TEST(t_internal_fd_protected)
{
	struct resp_step steps[] = { STEP_READ(GL), { RESP_SILENT, 0, NULL },
				     STEP_END };
	struct fdt_entry *e;
	struct nb t;
	int evfd, devnull;

	nb_start(&t, steps);
	e = fdt_get(t.fd);
	ck_assert_ptr_nonnull(e);
	evfd = e->u.tcp.evfd;
	fdt_put(e);
	ck_assert_int_eq(fdt_peek(evfd) & FDT_KIND_MASK, FDT_INTERNAL);
	/* close() of an internal fd: success, fd kept. */
	ck_assert_int_eq(close(evfd), 0);
	ck_assert_int_ge(fcntl(evfd, F_GETFD), 0);
	/* dup2() onto it: the program gets the number, ours moves. */
	devnull = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(dup2(devnull, evfd), evfd);
	e = fdt_get(t.fd);
	ck_assert_int_ne(e->u.tcp.evfd, evfd);
	ck_assert_int_eq(fdt_peek(e->u.tcp.evfd) & FDT_KIND_MASK,
			 FDT_INTERNAL);
	fdt_put(e);
	close(devnull);
	close(t.fd);
	resp_join(&t.r);
}
END_TEST


START_TEST(t_auth_env_credentials)
{
	static const uint8_t greet[] = { 5, 2, 0, 2 };
	static const uint8_t auth[] = { 1, 7, 'e', 'n', 'v', 'u', 's', 'e',
					'r', 4, 'e', 'n', 'v', 'p' };
	struct resp_step steps[] = { STEP_READ(4), STEP_SEND(V5_METHOD_USER),
				     STEP_READ(sizeof(auth)),
				     STEP_SEND(AUTH_OK), STEP_READ(10),
				     STEP_SEND(V5_REPLY_OK), STEP_END };
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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				     STEP_READ(5), STEP_END };
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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_GATE,
				     STEP_SEND(V5_REPLY_OK),
				     STEP_END };
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
	struct resp_step steps[] = { STEP_READ(GL), { RESP_SILENT, 0, NULL },
				     STEP_END };
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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				     STEP_READ(4), STEP_END };
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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				     STEP_END };
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 }, out;
	struct sockaddr_in sin;
	struct responder r;
	int ep = epoll_create(1), fd;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	dest_sa(&sin);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
			 -1);
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
	resp_join(&r);
	close(fd);
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
		struct pollfd p = { .fd = m->lfd, .events = POLLIN };

		if (poll(&p, 1, 5000) != 1)
			return NULL;
		fds[i] = accept(m->lfd, NULL, NULL);
	}
	for (i = 0; i < MANY; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };

		if (poll(&p, 1, 5000) != 1 || read(fds[i], buf, GL) != GL)
			return NULL;
	}
	for (i = 0; i < MANY; i++)
		(void)!write(fds[i], V5_METHOD_NONE, 2);
	for (i = 0; i < MANY; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };

		if (poll(&p, 1, 5000) != 1 || read(fds[i], buf, 10) != 10)
			return NULL;
		(void)!write(fds[i], V5_REPLY_OK, sizeof(V5_REPLY_OK));
	}
	m->ok = 1;
	for (i = 0; i < MANY; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };

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
	struct many m = { 0 };
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
		ck_assert_int_eq(connect(p[i].fd, (struct sockaddr *)&sin,
					 sizeof(sin)),
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
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				     STEP_END };
	struct responder r, r2;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int fd, status;
	pid_t pid;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	ck_assert_int_eq(resp_start(&r2, AF_INET, steps), 0);
	use_proxy("socks5", r.port, 5);
	ck_assert_int_eq(connect_dest(&fd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct pollfd p;
		struct sockaddr_in sin;
		int nfd, ok = 1;

		/* The connection's state came along. */
		ok &= getpeername(fd, (struct sockaddr *)&peer, &plen) == 0 &&
		      peer.sin_port == htons(DEST_PORT);
		/* The child runs its own engine. */
		use_proxy("socks5", r2.port, 5);
		nfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		dest_sa(&sin);
		ok &= connect(nfd, (struct sockaddr *)&sin, sizeof(sin)) ==
			      -1 &&
		      errno == EINPROGRESS;
		p.fd = nfd;
		p.events = POLLOUT;
		ok &= poll(&p, 1, 5000) == 1 && so_error(nfd) == 0;
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	resp_join(&r2);
	ck_assert_int_eq(r2.failed_step, -1);
	close(fd);
	resp_join(&r);
}
END_TEST

START_TEST(t_close_range_spares_internal)
{
	struct resp_step steps[] = { STEP_READ(GL), { RESP_SILENT, 0, NULL },
				     STEP_END };
	struct fdt_entry *e;
	struct nb t;
	int evfd, extra = open("/dev/null", O_RDONLY);

	nb_start(&t, steps);
	e = fdt_get(t.fd);
	evfd = e->u.tcp.evfd;
	fdt_put(e);
	ck_assert_int_gt(extra, 2);
	ck_assert_int_eq(close_range(3, ~0U, 0), 0);
	/* The program's fds are gone, ours are not. */
	ck_assert_int_eq(fcntl(extra, F_GETFD), -1);
	ck_assert_int_eq(fcntl(t.fd, F_GETFD), -1);
	ck_assert_int_eq(fdt_peek(t.fd), 0);
	ck_assert_int_ge(fcntl(evfd, F_GETFD), 0);
}
END_TEST

START_TEST(t_dup_shares_peer)
{
	struct resp_step steps[] = { STEP_READ(GL), STEP_SEND(V5_METHOD_NONE),
				     STEP_READ(10), STEP_SEND(V5_REPLY_OK),
				     STEP_END };
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

static Suite *hooks_suite(void)
{
	Suite *s = suite_create("hooks");
	TCase *tc = tcase_create("connect");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_v5_success_keeps_errno_and_peer);
	tcase_add_loop_test(tc, t_v5_rep_mapping, 0, 9);
	tcase_add_test(tc, t_rule_deny);
	tcase_add_test(tc, t_no_route);
	tcase_add_test(tc, t_proxy_unreachable);
	tcase_add_test(tc, t_failover_to_second_proxy);
	tcase_add_test(tc, t_timeout);
	tcase_add_test(tc, t_hangup);
	tcase_add_test(tc, t_no_acceptable_method);
	tcase_add_test(tc, t_auth_ok);
	tcase_add_test(tc, t_auth_failure);
	tcase_add_test(tc, t_socks4_cd91);
	tcase_add_test(tc, t_socks4_granted);
	tcase_add_test(tc, t_socks4_ipv6_dest);
	tcase_add_test(tc, t_v5_ipv6_dest_atyp4);
	tcase_add_test(tc, t_ipv6_proxy_from_inet_socket);
	tcase_add_test(tc, t_passthrough_unix_keeps_errno);
	tcase_add_test(tc, t_direct_keeps_errno);
	tcase_add_test(tc, t_auth_env_credentials);
	tcase_add_test(tc, t_fastopen_blocking);
	tcase_add_test(tc, t_dup_shares_peer);
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
	tcase_add_test(tc, t_fork_child_keeps_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hooks_suite());
	int failed;

	/* Keep the environment from choosing a config: each test sets one. */
	unsetenv("SOCKS_CONF");
	unsetenv("SOCKS_PROXY");
	/* Fallback credentials, read once at the first hook call. */
	setenv("SOCKS_USERNAME", "envuser", 1);
	setenv("SOCKS_PASSWORD", "envp", 1);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
