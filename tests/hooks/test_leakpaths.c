// SPDX-License-Identifier: MIT
/*
 * In-process tests of the paths around the proxy (issue 8, item 3): IP
 * sockets SOCKS cannot carry (socket() hook and raw routes), address forms
 * the kernel accepts (RFC 2133's short sockaddr_in6, v4-mapped), and
 * sendmmsg(MSG_FASTOPEN) as an implicit connect.  Linked with the preload
 * objects like test_hooks: socket(), connect(), ... below are the hooks.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/conf.h"
#include "preload/init.h"
#include "hook_fixture.h"
#include "responder.h"

#ifndef SOCK_DCCP
#define SOCK_DCCP 6
#endif

static const uint8_t V5_GREET[] = {5, 1, 0}; /* no credentials around */
#define GL 3
static const uint8_t V5_METHOD_NONE[] = {5, 0};
static const uint8_t V5_REPLY_OK[] = {5, 0, 0, 1, 0, 0, 0, 0, 0, 0};

/* Everything via the socks5 proxy on 127.0.0.1:@port; @extra first. */
static void use_proxy(uint16_t port, const char *extra)
{
	use_conf("timeout = 5\n"
		 "proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		 "%s"
		 "route { to = { \"0.0.0.0/0\", \"::/0\" } via = \"p\" }\n",
		 port, extra);
}

/* socket() and the errno it left: 0 on success (socket closed). */
static int try_socket(int domain, int type, int protocol)
{
	int fd;

	errno = 77;
	fd = socket(domain, type, protocol);
	if (fd < 0)
		return errno;
	ck_assert_int_eq(errno, 77);
	close(fd);
	return 0;
}

START_TEST(t_socket_uncarried_refused)
{
	use_proxy(9, "");
	ck_assert_int_eq(try_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EACCES);
	ck_assert_int_eq(try_socket(AF_INET6, SOCK_RAW, IPPROTO_RAW), EACCES);
	ck_assert_int_eq(try_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), EACCES);
	ck_assert_int_eq(
		try_socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMPV6),
		EACCES);
	ck_assert_int_eq(try_socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP),
			 EACCES);
	ck_assert_int_eq(try_socket(AF_INET6, SOCK_SEQPACKET, IPPROTO_SCTP),
			 EACCES);
	ck_assert_int_eq(try_socket(AF_INET, SOCK_DCCP, 0), EACCES);
	ck_assert_int_eq(try_socket(AF_INET, SOCK_DGRAM, IPPROTO_IGMP), EACCES);
	/* what SOCKS carries, and non-IP families, are left alone */
	ck_assert_int_eq(try_socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(
		try_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP),
		0);
	ck_assert_int_eq(try_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), 0);
	ck_assert_int_eq(try_socket(AF_UNIX, SOCK_DGRAM, 0), 0);
}
END_TEST

/* A route without command never allows raw; a raw route does. */
START_TEST(t_socket_raw_route)
{
	struct sockaddr_in lo = {.sin_family = AF_INET}, far = lo;
	struct mmsghdr mm[2];
	struct iovec iov = {.iov_base = "\x08\0\0\0\0\0\0\0", .iov_len = 8};
	int fd;

	use_conf("route { via = \"direct\" }\n");
	ck_assert_int_eq(try_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), EACCES);
	use_proxy(9, "route { to = \"127.0.0.0/8\" command = \"raw\"\n"
		     "  via = \"direct\" }\n");
	/* whichever kind the kernel lets this user have */
	fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (fd < 0)
		fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0)
		return; /* the kernel lets this user have neither */
	inet_pton(AF_INET, "127.0.0.1", &lo.sin_addr);
	inet_pton(AF_INET, "203.0.113.5", &far.sin_addr);
	errno = 0;
	ck_assert_int_eq(
		sendto(fd, iov.iov_base, 8, 0, (void *)&far, sizeof(far)), -1);
	ck_assert_int_eq(errno, EACCES);
	/* AF_UNSPEC is read as AF_INET by the kernel: routed the same */
	far.sin_family = AF_UNSPEC;
	errno = 0;
	ck_assert_int_eq(
		sendto(fd, iov.iov_base, 8, 0, (void *)&far, sizeof(far)), -1);
	ck_assert_int_eq(errno, EACCES);
	far.sin_family = AF_INET;
	errno = 0;
	ck_assert_int_eq(connect(fd, (void *)&far, sizeof(far)), -1);
	ck_assert_int_eq(errno, EACCES);
	errno = 33;
	ck_assert_int_eq(
		sendto(fd, iov.iov_base, 8, 0, (void *)&lo, sizeof(lo)), 8);
	ck_assert_int_eq(errno, 33);
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr.msg_name = &lo;
	mm[0].msg_hdr.msg_namelen = sizeof(lo);
	mm[0].msg_hdr.msg_iov = &iov;
	mm[0].msg_hdr.msg_iovlen = 1;
	mm[1] = mm[0];
	mm[1].msg_hdr.msg_name = &far;
	ck_assert_int_eq(sendmmsg(fd, mm, 2, 0), 1);
	mm[0].msg_hdr.msg_name = &far;
	errno = 0;
	ck_assert_int_eq(sendmmsg(fd, mm, 2, 0), -1);
	ck_assert_int_eq(errno, EACCES);
	/* a duplicate is checked too */
	int d = dup(fd);

	errno = 0;
	ck_assert_int_eq(
		sendto(d, iov.iov_base, 8, 0, (void *)&far, sizeof(far)), -1);
	ck_assert_int_eq(errno, EACCES);
	close(d);
	close(fd);
}
END_TEST

/* connect() with the sockaddr_in6 of @len bytes for @addr through a
 * proxy; returns the request the proxy got (@want bytes). */
static void connect6_len(const char *addr, socklen_t len, const uint8_t *want,
			 size_t nwant)
{
	struct resp_step steps[] = {
		{RESP_READ, GL, NULL},
		{RESP_SEND, sizeof(V5_METHOD_NONE), V5_METHOD_NONE},
		{RESP_READ, nwant, NULL},
		{RESP_SEND, sizeof(V5_REPLY_OK), V5_REPLY_OK},
		{RESP_END, 0, NULL}};
	struct sockaddr_in6 s6;
	struct responder r;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		return;
	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy(r.port, "");
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(80);
	inet_pton(AF_INET6, addr, &s6.sin6_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&s6, len), 0);
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	ck_assert_int_eq(memcmp(r.got, V5_GREET, GL), 0);
	ck_assert_int_eq(memcmp(r.got + GL, want, nwant), 0);
	close(fd);
}

/* RFC 2133's 24-byte sockaddr_in6 (no scope id) is routed, not passed. */
START_TEST(t_connect_short_sin6)
{
	static const uint8_t req[] = {5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8,
				      0, 0, 0, 0, 0,	0,    0,    0,
				      0, 0, 0, 1, 0,	80};

	connect6_len("2001:db8::1", 24, req, sizeof(req));
}
END_TEST

/* A v4-mapped destination is asked for as IPv4, whatever the length. */
START_TEST(t_connect_v4mapped)
{
	static const uint8_t req[] = {5, 1, 0, 1, 203, 0, 113, 5, 0, 80};

	connect6_len("::ffff:203.0.113.5", 24, req, sizeof(req));
	connect6_len("::ffff:203.0.113.5", sizeof(struct sockaddr_in6), req,
		     sizeof(req));
}
END_TEST

/* A link-local destination with a scope id is routed like any other. */
START_TEST(t_connect_scoped)
{
	struct sockaddr_in6 s6;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);

	if (fd < 0)
		return;
	use_conf("route { to = \"fe80::/10\" via = \"deny\" }\n"
		 "route { via = \"direct\" }\n");
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(80);
	s6.sin6_scope_id = 1;
	inet_pton(AF_INET6, "fe80::1", &s6.sin6_addr);
	errno = 0;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&s6, sizeof(s6)), -1);
	ck_assert_int_eq(errno, EACCES);
	close(fd);
}
END_TEST

/* sendmmsg(MSG_FASTOPEN) is an implicit connect, through the proxy. */
START_TEST(t_sendmmsg_fastopen)
{
	static const uint8_t req[] = {5, 1, 0, 1, 203, 0, 113, 5, 0, 80};
	struct resp_step steps[] = {
		{RESP_READ, GL, NULL},
		{RESP_SEND, sizeof(V5_METHOD_NONE), V5_METHOD_NONE},
		{RESP_READ, sizeof(req), NULL},
		{RESP_SEND, sizeof(V5_REPLY_OK), V5_REPLY_OK},
		{RESP_READ, 5, NULL},
		{RESP_END, 0, NULL}};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct iovec iov[2] = {{.iov_base = "hel", .iov_len = 3},
			       {.iov_base = "lo", .iov_len = 2}};
	struct mmsghdr mm[2];
	struct responder r;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(resp_start(&r, AF_INET, steps), 0);
	use_proxy(r.port, "");
	sin.sin_port = htons(80);
	inet_pton(AF_INET, "203.0.113.5", &sin.sin_addr);
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr.msg_name = &sin;
	mm[0].msg_hdr.msg_namelen = sizeof(sin);
	mm[0].msg_hdr.msg_iov = iov;
	mm[0].msg_hdr.msg_iovlen = 2;
	mm[1] = mm[0];
	errno = 55;
	ck_assert_int_eq(sendmmsg(fd, mm, 2, MSG_FASTOPEN), 1);
	ck_assert_int_eq(errno, 55);
	ck_assert_uint_eq(mm[0].msg_len, 5);
	resp_join(&r);
	ck_assert_int_eq(r.failed_step, -1);
	ck_assert_int_eq(memcmp(r.got + GL, req, sizeof(req)), 0);
	ck_assert_int_eq(memcmp(r.got + GL + sizeof(req), "hello", 5), 0);
	close(fd);
}
END_TEST

/* ... and denied like connect when the route says so. */
START_TEST(t_sendmmsg_fastopen_denied)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct mmsghdr mm;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	use_conf("route { to = \"203.0.113.0/24\" via = \"deny\" }\n");
	sin.sin_port = htons(80);
	inet_pton(AF_INET, "203.0.113.5", &sin.sin_addr);
	memset(&mm, 0, sizeof(mm));
	mm.msg_hdr.msg_name = &sin;
	mm.msg_hdr.msg_namelen = sizeof(sin);
	mm.msg_hdr.msg_iov = &iov;
	mm.msg_hdr.msg_iovlen = 1;
	errno = 0;
	ck_assert_int_eq(sendmmsg(fd, &mm, 1, MSG_FASTOPEN), -1);
	ck_assert_int_eq(errno, EACCES);
	close(fd);
}
END_TEST

/* UDP over IPv4 sends to an AF_UNSPEC address as to AF_INET: routed. */
START_TEST(t_udp_unspec_routed)
{
	struct sockaddr_in to = {.sin_family = AF_UNSPEC};
	struct iovec iov = {.iov_base = "x", .iov_len = 1};
	struct mmsghdr mm;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	use_conf("route { to = \"203.0.113.0/24\" via = \"deny\" }\n"
		 "route { via = \"direct\" }\n");
	to.sin_port = htons(9);
	inet_pton(AF_INET, "203.0.113.5", &to.sin_addr);
	errno = 0;
	ck_assert_int_eq(sendto(fd, "x", 1, 0, (void *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EACCES);
	memset(&mm, 0, sizeof(mm));
	mm.msg_hdr.msg_name = &to;
	mm.msg_hdr.msg_namelen = sizeof(to);
	mm.msg_hdr.msg_iov = &iov;
	mm.msg_hdr.msg_iovlen = 1;
	errno = 0;
	ck_assert_int_eq(sendmsg(fd, &mm.msg_hdr, 0), -1);
	ck_assert_int_eq(errno, EACCES);
	errno = 0;
	ck_assert_int_eq(sendmmsg(fd, &mm, 1, 0), -1);
	ck_assert_int_eq(errno, EACCES);
	/* to a direct destination it goes, as the kernel would send it */
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	errno = 44;
	ck_assert_int_eq(sendto(fd, "x", 1, 0, (void *)&to, sizeof(to)), 1);
	ck_assert_int_eq(errno, 44);
	close(fd);
}
END_TEST

static Suite *leak_suite(void)
{
	Suite *s = suite_create("leakpaths");
	TCase *tc = tcase_create("leakpaths");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_socket_uncarried_refused);
	tcase_add_test(tc, t_socket_raw_route);
	tcase_add_test(tc, t_connect_short_sin6);
	tcase_add_test(tc, t_connect_v4mapped);
	tcase_add_test(tc, t_connect_scoped);
	tcase_add_test(tc, t_sendmmsg_fastopen);
	tcase_add_test(tc, t_sendmmsg_fastopen_denied);
	tcase_add_test(tc, t_udp_unspec_routed);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	return hook_main(argv, leak_suite(), false);
}
