// SPDX-License-Identifier: MIT
/*
 * In-process tests of SOCKS BIND behind listen/accept (kind_listen.c): the
 * test binary is linked with the library's objects, so listen(), accept(),
 * getsockname(), poll() and epoll below are the hooks.  A scripted
 * responder (responder.c) plays the proxy: the request bytes, the first
 * reply (getsockname), the second reply when the test opens the gate
 * (readiness only then), the relayed data, and every failure's exact
 * errno: first reply refused (listen), wrong peer and timeout (accept),
 * SOCKS4 CD 91, a new BIND after an accept, close cancelling the BIND.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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
#include "hook_fixture.h"
#include "responder.h"

/* main() sets SOCKS_USERNAME: the default offer is no-auth + username. */
static const uint8_t V5_GREET_LEN = 4;
static const uint8_t V5_METHOD_NONE[] = {5, 0};
/* BIND for 203.0.113.5 port 0 (bind_peer set: no port). */
static const uint8_t V5_REQ_BIND[] = {5, 2, 0, 1, 203, 0, 113, 5, 0, 0};
/* First reply: 0.0.0.0:8080 (to be replaced by the proxy's address). */
static const uint8_t V5_FIRST_ZERO[] = {5, 0, 0, 1, 0, 0, 0, 0, 0x1f, 0x90};
/* Second reply: the peer 203.0.113.5:12345. */
static const uint8_t V5_SECOND_OK[] = {5, 0, 0, 1, 203, 0, 113, 5, 0x30, 0x39};
static const uint8_t V5_REFUSED[] = {5, 2, 0, 1, 0, 0, 0, 0, 0, 0};
static const uint8_t HELLO[] = {'h', 'e', 'l', 'l', 'o'};

#define STEP_READ(n)                 \
	{                            \
		RESP_READ, (n), NULL \
	}
#define STEP_SEND(a)                      \
	{                                 \
		RESP_SEND, sizeof(a), (a) \
	}
#define STEP_GATE                  \
	{                          \
		RESP_GATE, 0, NULL \
	}
#define STEP_READ_ALL                  \
	{                              \
		RESP_READ_ALL, 0, NULL \
	}
#define STEP_END                  \
	{                         \
		RESP_END, 0, NULL \
	}
#define V5_HEAD                                             \
	STEP_READ(V5_GREET_LEN), STEP_SEND(V5_METHOD_NONE), \
		STEP_READ(sizeof(V5_REQ_BIND))

/* One proxy for everything; BIND peer @peer ("auto", "any", an address). */
static void use_bind_proxy(const char *scheme, uint16_t port, const char *peer,
			   int bind_timeout)
{
	use_conf("timeout = 5\nbind_peer = \"%s\"\nbind_timeout = %d\n"
		 "proxy \"p\" { url = \"%s://127.0.0.1:%u\" }\n"
		 "route { via = \"p\" }\n",
		 peer, bind_timeout, scheme, port);
}

/* A TCP socket of @family bound to the any address, port 0. */
static int any_socket(int family)
{
	struct sockaddr_storage ss;
	int fd = socket(family, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss,
			      family == AF_INET ? sizeof(struct sockaddr_in)
						: sizeof(struct sockaddr_in6)),
			 0);
	return fd;
}

/* poll @fd for POLLIN for @ms; the revents. */
static short poll_in(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1 ? p.revents : 0;
}

/* The address part of a sockaddr_in as text. */
static const char *sin_text(const struct sockaddr_in *sin, char *buf)
{
	inet_ntop(AF_INET, &sin->sin_addr, buf, INET_ADDRSTRLEN);
	return buf;
}

START_TEST(t_v5_bind_blocking_flow)
{
	static const uint8_t world[] = {'w', 'o', 'r', 'l', 'd'};
	struct resp_step steps[] = {V5_HEAD,	      STEP_SEND(V5_FIRST_ZERO),
				    STEP_GATE,	      STEP_SEND(V5_SECOND_OK),
				    STEP_SEND(HELLO), STEP_READ(5),
				    STEP_READ_ALL,    STEP_END};
	struct responder r;
	struct sockaddr_in sin, peer;
	socklen_t len = sizeof(sin);
	char buf[16], ip[INET_ADDRSTRLEN];
	int fd, a, fl;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_bind_proxy("socks5", r.port, "203.0.113.5", 10);
	fd = any_socket(AF_INET);
	errno = 4321;
	ck_assert_int_eq(listen(fd, 5), 0);
	ck_assert_int_eq(errno, 4321);
	/* getsockname: BND, the all-zero address replaced by the proxy's. */
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_eq(len, sizeof(sin));
	ck_assert_str_eq(sin_text(&sin, ip), "127.0.0.1");
	ck_assert_int_eq(ntohs(sin.sin_port), 8080);
	ck_assert_int_eq(errno, 4321);
	/* Not readable before the peer connected. */
	ck_assert_int_eq(poll_in(fd, 100), 0);
	resp_open_gate(&r);
	ck_assert(poll_in(fd, 3000) & POLLIN);
	len = sizeof(peer);
	a = accept4(fd, (struct sockaddr *)&peer, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
	ck_assert_int_ge(a, 0);
	ck_assert_str_eq(sin_text(&peer, ip), "203.0.113.5");
	ck_assert_int_eq(ntohs(peer.sin_port), 12345);
	fl = fcntl(a, F_GETFL);
	ck_assert(fl & O_NONBLOCK);
	ck_assert(fcntl(a, F_GETFD) & FD_CLOEXEC);
	memset(&peer, 0, sizeof(peer));
	len = sizeof(peer);
	ck_assert_int_eq(getpeername(a, (struct sockaddr *)&peer, &len), 0);
	ck_assert_str_eq(sin_text(&peer, ip), "203.0.113.5");
	/* Data both ways, then a half-close the peer sees. */
	ck_assert(poll_in(a, 3000) & POLLIN);
	ck_assert_int_eq(recv(a, buf, sizeof(buf), 0), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert_int_eq(send(a, world, sizeof(world), 0), 5);
	ck_assert_int_eq(shutdown(a, SHUT_WR), 0);
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	ck_assert_int_eq(
		memcmp(r.got + V5_GREET_LEN, V5_REQ_BIND, sizeof(V5_REQ_BIND)),
		0);
	ck_assert_int_eq(
		memcmp(r.got + V5_GREET_LEN + sizeof(V5_REQ_BIND), "world", 5),
		0);
	close(a);
	close(fd);
}
END_TEST

START_TEST(t_v5_first_reply_refused_listen_eacces)
{
	struct resp_step steps[] = {V5_HEAD, STEP_SEND(V5_REFUSED), STEP_END};
	struct responder r;
	int fd;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_bind_proxy("socks5", r.port, "203.0.113.5", 10);
	fd = any_socket(AF_INET);
	errno = 0;
	ck_assert_int_eq(listen(fd, 5), -1);
	ck_assert_int_eq(errno, EACCES);
	resp_join(&r);
	close(fd);
}
END_TEST

START_TEST(t_v5_wrong_peer_accept_eacces_then_new_bind)
{
	struct resp_step steps[] = {V5_HEAD, STEP_SEND(V5_FIRST_ZERO),
				    STEP_SEND(V5_REFUSED), STEP_END};
	struct responder r;
	int fd;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_bind_proxy("socks5", r.port, "203.0.113.5", 10);
	fd = any_socket(AF_INET);
	ck_assert_int_eq(listen(fd, 5), 0);
	ck_assert(poll_in(fd, 3000) & POLLIN);
	errno = 0;
	ck_assert_int_eq(accept(fd, NULL, NULL), -1);
	ck_assert_int_eq(errno, EACCES);
	resp_join(&r);
	/* The next accept issues a new BIND: the proxy is gone now. */
	errno = 0;
	ck_assert_int_eq(accept(fd, NULL, NULL), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	close(fd);
}
END_TEST

START_TEST(t_bind_timeout_blocking_accept_etimedout)
{
	struct resp_step steps[] = {V5_HEAD, STEP_SEND(V5_FIRST_ZERO),
				    STEP_READ_ALL, STEP_END};
	struct responder r;
	struct timeval t0, t1;
	int fd;
	long ms;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_bind_proxy("socks5", r.port, "203.0.113.5", 1);
	fd = any_socket(AF_INET);
	ck_assert_int_eq(listen(fd, 5), 0);
	gettimeofday(&t0, NULL);
	errno = 0;
	ck_assert_int_eq(accept(fd, NULL, NULL), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	gettimeofday(&t1, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
	ck_assert_int_ge(ms, 800);
	ck_assert_int_lt(ms, 4000);
	close(fd);
	resp_join(&r); /* the proxy connection was closed */
	ck_assert_int_eq(r.failed_step, -1);
}
END_TEST

START_TEST(t_close_cancels_bind)
{
	struct resp_step steps[] = {V5_HEAD, STEP_SEND(V5_FIRST_ZERO),
				    STEP_READ_ALL, STEP_END};
	struct responder r;
	int fd;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_bind_proxy("socks5", r.port, "203.0.113.5", 30);
	fd = any_socket(AF_INET);
	ck_assert_int_eq(listen(fd, 5), 0);
	ck_assert_int_eq(close(fd), 0);
	resp_join(&r); /* EOF on the proxy connection, well before 30 s */
	ck_assert_int_eq(r.failed_step, -1);
}
END_TEST

START_TEST(t_socks4_bind_and_cd91)
{
	/* VN CD PORT IP "envuser" NUL */
	static const uint8_t req[] = {4,   2,	0,   0,	  203, 0,   113, 5,
				      'e', 'n', 'v', 'u', 's', 'e', 'r', 0};
	static const uint8_t first[] = {0, 90, 0x1f, 0x91, 0, 0, 0, 0};
	static const uint8_t second[] = {0, 91, 0, 0, 203, 0, 113, 9};
	struct resp_step steps[] = {STEP_READ(sizeof(req)), STEP_SEND(first),
				    STEP_GATE, STEP_SEND(second), STEP_END};
	struct responder r;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char ip[INET_ADDRSTRLEN];
	int fd;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_bind_proxy("socks4", r.port, "203.0.113.5", 10);
	fd = any_socket(AF_INET);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ck_assert_int_eq(listen(fd, 5), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	ck_assert_str_eq(sin_text(&sin, ip), "127.0.0.1");
	ck_assert_int_eq(ntohs(sin.sin_port), 8081);
	/* Non-blocking: EAGAIN until the peer is there. */
	errno = 0;
	ck_assert_int_eq(accept(fd, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	resp_open_gate(&r);
	ck_assert(poll_in(fd, 3000) & POLLIN);
	errno = 0;
	ck_assert_int_eq(accept(fd, NULL, NULL), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got, req, sizeof(req)), 0);
	close(fd);
}
END_TEST

START_TEST(t_epoll_et_set_before_listen)
{
	struct resp_step steps[] = {V5_HEAD,	   STEP_SEND(V5_FIRST_ZERO),
				    STEP_GATE,	   STEP_SEND(V5_SECOND_OK),
				    STEP_READ_ALL, STEP_END};
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 77};
	struct responder r;
	int fd, ep, a;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_bind_proxy("socks5", r.port, "203.0.113.5", 10);
	fd = any_socket(AF_INET);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_ge(ep, 0);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	ck_assert_int_eq(listen(fd, 5), 0);
	ck_assert_int_eq(epoll_wait(ep, &ev, 1, 100), 0);
	resp_open_gate(&r);
	ck_assert_int_eq(epoll_wait(ep, &ev, 1, 3000), 1);
	ck_assert_int_eq(ev.data.u64, 77);
	ck_assert(ev.events & EPOLLIN);
	a = accept(fd, NULL, NULL);
	ck_assert_int_ge(a, 0);
	/* Edge-triggered: no new edge until the next peer. */
	ck_assert_int_eq(epoll_wait(ep, &ev, 1, 100), 0);
	close(a);
	resp_join(&r);
	close(ep);
	close(fd);
}
END_TEST

START_TEST(t_ipv6_bind)
{
	/* 2001:db8::N as 16 bytes */
#define V6_DB8(n) 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (n)
	static const uint8_t req[] = {5, 2, 0, 4, V6_DB8(5), 0, 0};
	static const uint8_t first[] = {5, 0, 0, 4, V6_DB8(1), 0x1f, 0x92};
	static const uint8_t second[] = {5, 0, 0, 4, V6_DB8(5), 0x30, 0x39};
	struct resp_step steps[] = {STEP_READ(V5_GREET_LEN),
				    STEP_SEND(V5_METHOD_NONE),
				    STEP_READ(sizeof(req)),
				    STEP_SEND(first),
				    STEP_SEND(second),
				    STEP_READ_ALL,
				    STEP_END};
	struct responder r;
	struct sockaddr_in6 s6;
	socklen_t len = sizeof(s6);
	char ip[INET6_ADDRSTRLEN];
	int fd, a;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_bind_proxy("socks5", r.port, "2001:db8::5", 10);
	fd = any_socket(AF_INET6);
	ck_assert_int_eq(listen(fd, 5), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&s6, &len), 0);
	ck_assert_int_eq(s6.sin6_family, AF_INET6);
	inet_ntop(AF_INET6, &s6.sin6_addr, ip, sizeof(ip));
	ck_assert_str_eq(ip, "2001:db8::1");
	ck_assert_int_eq(ntohs(s6.sin6_port), 8082);
	a = accept(fd, NULL, NULL);
	ck_assert_int_ge(a, 0);
	len = sizeof(s6);
	ck_assert_int_eq(getpeername(a, (struct sockaddr *)&s6, &len), 0);
	inet_ntop(AF_INET6, &s6.sin6_addr, ip, sizeof(ip));
	ck_assert_str_eq(ip, "2001:db8::5");
	close(a);
	resp_join(&r);
	ck_assert_int_eq(memcmp(r.got + V5_GREET_LEN, req, sizeof(req)), 0);
	close(fd);
}
END_TEST

/* No proxied connection yet (bind_peer auto), a direct route, a loopback
 * address: ordinary listeners, the proxy never contacted. */
START_TEST(t_ordinary_listeners)
{
	struct resp_step steps[] = {STEP_END};
	struct responder r;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_bind_proxy("socks5", r.port, "auto", 10);
	fd = any_socket(AF_INET);
	errno = 99;
	ck_assert_int_eq(listen(fd, 5), 0);
	ck_assert_int_eq(errno, 99);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_eq(sin.sin_addr.s_addr, htonl(INADDR_ANY));
	close(fd);

	use_conf("bind_peer = \"203.0.113.5\"\n"
		 "proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "route { command = \"bind\" via = \"direct\" }\n"
		 "route { via = \"p\" }\n",
		 r.port);
	fd = any_socket(AF_INET);
	ck_assert_int_eq(listen(fd, 5), 0);
	len = sizeof(sin);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_eq(sin.sin_addr.s_addr, htonl(INADDR_ANY));
	close(fd);

	use_bind_proxy("socks5", r.port, "203.0.113.5", 10);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 5), 0);
	close(fd);
	/* Nobody connected to the responder. */
	ck_assert_int_eq(r.accepted, 0);
	/* Let its thread end (its script is empty) before the test does:
	 * a thread left in accept() on this stack frame outlives it. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_port = htons(r.port);
	(void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	resp_join(&r);
	close(fd);
}
END_TEST

static Suite *bind_suite(void)
{
	Suite *s = suite_create("bind");
	TCase *tc = tcase_create("bind");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_v5_bind_blocking_flow);
	tcase_add_test(tc, t_v5_first_reply_refused_listen_eacces);
	tcase_add_test(tc, t_v5_wrong_peer_accept_eacces_then_new_bind);
	tcase_add_test(tc, t_bind_timeout_blocking_accept_etimedout);
	tcase_add_test(tc, t_close_cancels_bind);
	tcase_add_test(tc, t_socks4_bind_and_cd91);
	tcase_add_test(tc, t_epoll_et_set_before_listen);
	tcase_add_test(tc, t_ipv6_bind);
	tcase_add_test(tc, t_ordinary_listeners);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	return hook_main(argv, bind_suite(), true);
}
