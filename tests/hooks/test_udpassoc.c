// SPDX-License-Identifier: MIT
/*
 * In-process tests of UDP ASSOCIATE (issue 10): the exact results and
 * errno of each path.  The proxy is the scripted responder (greeting,
 * method, request, a reply naming this test's own UDP socket as the
 * relay, then the control connection held open until the test lets it
 * close); the test plays the relay itself, so it can send what a relay
 * should not (FRAG != 0, foreign sources).  Destinations are in
 * 203.0.113.0/24 and 2001:db8::/32: nothing is sent there (the "relay" is
 * on loopback).  Linked with the preload objects: the calls below are the
 * hooks.
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/io.h"
#include "conf/conf.h"
#include "preload/fdtable.h"
#include "preload/init.h"
#include "hook_fixture.h"
#include "responder.h"

static const uint8_t V5_GREET[] = {5, 1, 0};
static const uint8_t V5_METHOD_NONE[] = {5, 0};

/* The proxy (responder) and the relay (a UDP socket of the test). */
struct relay {
	struct responder r;
	struct resp_step steps[8];
	uint8_t reply[10];
	int udp;
	uint16_t port;
	struct sockaddr_storage client; /* where the datagrams came from */
	socklen_t clen;
};

static void relay_start(struct relay *rl)
{
	struct sockaddr_in sin;
	socklen_t l = sizeof(sin);
	struct timeval tv = {.tv_sec = 5};

	memset(rl, 0, sizeof(*rl));
	rl->udp = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(rl->udp, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(rl->udp, (struct sockaddr *)&sin, l), 0);
	ck_assert_int_eq(getsockname(rl->udp, (struct sockaddr *)&sin, &l), 0);
	ck_assert_int_eq(
		setsockopt(rl->udp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
		0);
	rl->port = ntohs(sin.sin_port);
	memcpy(rl->reply, (uint8_t[]){5, 0, 0, 1, 127, 0, 0, 1}, 8);
	rl->reply[8] = (uint8_t)(rl->port >> 8);
	rl->reply[9] = (uint8_t)rl->port;
	rl->steps[0] = (struct resp_step){RESP_READ, 3, NULL};
	rl->steps[1] = (struct resp_step){RESP_SEND, 2, V5_METHOD_NONE};
	rl->steps[2] = (struct resp_step){RESP_READ, 10, NULL};
	rl->steps[3] = (struct resp_step){RESP_SEND, 10, rl->reply};
	rl->steps[4] = (struct resp_step){RESP_GATE, 0, NULL};
	rl->steps[5] = (struct resp_step){RESP_END, 0, NULL};
	ck_assert_int_eq(resp_start(&rl->r, AF_INET, rl->steps), 0);
	use_conf(
		"timeout = 5\n"
		"proxy \"p\" { url = \"socks5://127.0.0.1:%u\" }\n"
		"route { to = { \"203.0.113.0/24\", \"2001:db8::/32\" } "
		"via = \"p\" }\n"
		"route { to = { \"0.0.0.0/0\", \"::/0\" } via = \"direct\" }\n",
		rl->r.port);
}

static void relay_stop(struct relay *rl)
{
	resp_open_gate(&rl->r);
	resp_join(&rl->r);
	ck_assert_int_eq(memcmp(rl->r.got, V5_GREET, 3), 0);
	/* UDP ASSOCIATE, the client's address all zeros (RFC 1928). */
	ck_assert_int_eq(memcmp(rl->r.got + 3,
				(uint8_t[]){5, 3, 0, 1, 0, 0, 0, 0, 0, 0}, 10),
			 0);
	close(rl->udp);
}

/* A datagram at the relay: its header must name @dst (text "ip:port" or
 * "[ip6]:port"); the payload goes to @data.  Returns the payload size. */
static size_t relay_recv(struct relay *rl, const char *dst, void *data,
			 size_t cap)
{
	uint8_t buf[2048];
	char text[80], ip[64];
	ssize_t n;
	size_t hl;

	rl->clen = sizeof(rl->client);
	n = recvfrom(rl->udp, buf, sizeof(buf), 0,
		     (struct sockaddr *)&rl->client, &rl->clen);
	ck_assert_int_gt(n, 4);
	ck_assert_int_eq(buf[0] | buf[1] | buf[2], 0);
	if (buf[3] == 1) {
		inet_ntop(AF_INET, buf + 4, ip, sizeof(ip));
		snprintf(text, sizeof(text), "%s:%u", ip, buf[8] << 8 | buf[9]);
		hl = 10;
	} else if (buf[3] == 4) {
		inet_ntop(AF_INET6, buf + 4, ip, sizeof(ip));
		snprintf(text, sizeof(text), "[%s]:%u", ip,
			 buf[20] << 8 | buf[21]);
		hl = 22;
	} else {
		ck_abort_msg("ATYP %u", buf[3]);
	}
	ck_assert_str_eq(text, dst);
	ck_assert_uint_le((size_t)n - hl, cap);
	memcpy(data, buf + hl, (size_t)n - hl);
	return (size_t)n - hl;
}

/* Send @data to the client as if from @src4 (IPv4 text) port @port. */
static void relay_send(struct relay *rl, uint8_t frag, const char *src4,
		       uint16_t port, const char *data)
{
	uint8_t buf[2048];
	size_t n = strlen(data);

	memset(buf, 0, 10);
	buf[2] = frag;
	buf[3] = 1;
	inet_pton(AF_INET, src4, buf + 4);
	buf[8] = (uint8_t)(port >> 8);
	buf[9] = (uint8_t)port;
	memcpy(buf + 10, data, n);
	ck_assert_int_eq(sendto(rl->udp, buf, 10 + n, 0,
				(struct sockaddr *)&rl->client, rl->clen),
			 (ssize_t)(10 + n));
}

static void sa4(struct sockaddr_in *sin, const char *ip, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
}

/* Wait until @fd is readable (bounded). */
static void wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	ck_assert_int_eq(poll(&p, 1, 5000), 1);
}

START_TEST(t_assoc_blocking_paths)
{
	struct relay rl;
	struct sockaddr_in to, from;
	socklen_t fl = sizeof(from);
	char buf[64], *big;
	struct iovec iov = {.iov_base = buf, .iov_len = 4};
	struct msghdr m;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), fd2;

	relay_start(&rl);
	sa4(&to, "203.0.113.5", 53);
	errno = 31337;
	ck_assert_int_eq(
		sendto(fd, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)),
		4);
	ck_assert_int_eq(errno, 31337);
	ck_assert_int_eq(fdt_peek(fd), FDT_UDP | FDT_F_INTERCEPT);
	ck_assert_uint_eq(relay_recv(&rl, "203.0.113.5:53", buf, sizeof(buf)),
			  4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);

	/* FRAG != 0 is dropped; the next datagram is delivered. */
	relay_send(&rl, 1, "203.0.113.5", 53, "frag");
	relay_send(&rl, 0, "203.0.113.5", 53, "pong");
	ck_assert_int_eq(recvfrom(fd, buf, sizeof(buf), 0,
				  (struct sockaddr *)&from, &fl),
			 4);
	ck_assert_int_eq(errno, 31337);
	ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
	ck_assert_int_eq(fl, sizeof(from));
	ck_assert_int_eq(from.sin_addr.s_addr, to.sin_addr.s_addr);
	ck_assert_int_eq(from.sin_port, htons(53));

	/* A queue holding only a datagram to drop is not left readable. */
	relay_send(&rl, 2, "203.0.113.5", 53, "frag");
	wait_readable(fd);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	{
		struct pollfd p = {.fd = fd, .events = POLLIN};

		ck_assert_int_eq(poll(&p, 1, 0), 0);
	}

	/* MSG_PEEK leaves it; MSG_TRUNC tells the real size. */
	relay_send(&rl, 0, "203.0.113.5", 53, "0123456789");
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), MSG_PEEK), 10);
	ck_assert_int_eq(recv(fd, buf, 4, MSG_PEEK | MSG_TRUNC), 10);
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	ck_assert_int_eq(recvmsg(fd, &m, 0), 4);
	ck_assert(m.msg_flags & MSG_TRUNC);
	ck_assert_int_eq(memcmp(buf, "0123", 4), 0);

	/* No destination, not connected: EDESTADDRREQ, as the kernel. */
	errno = 0;
	ck_assert_int_eq(send(fd, "x", 1, 0), -1);
	ck_assert_int_eq(errno, EDESTADDRREQ);
	/* MSG_MORE would merge datagrams behind one header. */
	errno = 0;
	ck_assert_int_eq(sendto(fd, "x", 1, MSG_MORE, (struct sockaddr *)&to,
				sizeof(to)),
			 -1);
	ck_assert_int_eq(errno, EOPNOTSUPP);
	/* The header counts: 65507 bytes fit IPv4 UDP, not with 10 more. */
	big = calloc(1, 65507);
	errno = 0;
	ck_assert_int_eq(
		sendto(fd, big, 65507, 0, (struct sockaddr *)&to, sizeof(to)),
		-1);
	ck_assert_int_eq(errno, EMSGSIZE);
	free(big);

	/* The library's fds survive the program's close(); a duplicate
	 * goes through the association too. */
	for (int i = 3; i < 4096; i++)
		if (fdt_kind_of(i) == FDT_INTERNAL) {
			ck_assert_int_eq(close(i), 0);
			ck_assert_int_ge(fcntl(i, F_GETFD), 0);
		}
	fd2 = dup(fd);
	ck_assert_int_eq(fdt_peek(fd2), FDT_UDP | FDT_F_INTERCEPT);
	close(fd);
	ck_assert_int_eq(
		sendto(fd2, "dup", 3, 0, (struct sockaddr *)&to, sizeof(to)),
		3);
	ck_assert_uint_eq(relay_recv(&rl, "203.0.113.5:53", buf, sizeof(buf)),
			  3);

	/* The proxy closes the control connection: the next call fails. */
	resp_open_gate(&rl.r);
	resp_join(&rl.r);
	{
		int rc = 0, err = 0;

		for (int i = 0; i < 500 && rc >= 0; i++) {
			rc = (int)sendto(fd2, "late", 4, 0,
					 (struct sockaddr *)&to, sizeof(to));
			err = errno;
			if (rc >= 0)
				poll(NULL, 0, 10);
		}
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(err, ECONNRESET);
	}
	close(fd2);
	relay_stop(&rl);
}
END_TEST

START_TEST(t_assoc_connected)
{
	struct relay rl;
	struct sockaddr_in to, peer;
	socklen_t pl = sizeof(peer);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	char buf[64];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	relay_start(&rl);
	sa4(&to, "203.0.113.7", 7);
	errno = 31337;
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(errno, 31337);
	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &pl), 0);
	ck_assert_int_eq(peer.sin_addr.s_addr, to.sin_addr.s_addr);
	ck_assert_int_eq(peer.sin_port, to.sin_port);
	ck_assert_int_eq(write(fd, "w", 1), 1);
	ck_assert_uint_eq(relay_recv(&rl, "203.0.113.7:7", buf, sizeof(buf)),
			  1);
	/* Another source is not the peer: dropped, as the kernel would. */
	relay_send(&rl, 0, "203.0.113.8", 7, "other");
	relay_send(&rl, 0, "203.0.113.7", 7, "peer");
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "peer", 4), 0);
	/* Dissolved: no peer, send has nowhere to go. */
	ck_assert_int_eq(connect(fd, &unspec, sizeof(unspec)), 0);
	errno = 0;
	ck_assert_int_eq(send(fd, "x", 1, 0), -1);
	ck_assert_int_eq(errno, EDESTADDRREQ);
	pl = sizeof(peer);
	ck_assert_int_eq(getpeername(fd, (struct sockaddr *)&peer, &pl), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	close(fd);
	relay_stop(&rl);
}
END_TEST

/* Milliseconds a receive on @fd took to fail with EAGAIN. */
static int64_t eagain_ms(int fd)
{
	char buf[16];
	int64_t t0 = io_now_ms();

	errno = 0;
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	return io_now_ms() - t0;
}

/*
 * A receive knows O_NONBLOCK and SO_RCVTIMEO without asking the kernel
 * each time (udp_settings_read): the program's fcntl(F_SETFL),
 * ioctl(FIONBIO) and setsockopt(SO_RCVTIMEO) after the association is
 * set up must count at once.  (A stale copy would wait the 3 s set
 * before the association, or not wait at all.)
 */
START_TEST(t_assoc_settings)
{
	struct relay rl;
	struct sockaddr_in to;
	struct timeval tv = {.tv_sec = 3};
	char buf[64];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), off = 0;
	int64_t ms;

	relay_start(&rl);
	ck_assert_int_eq(
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	sa4(&to, "203.0.113.7", 7);
	ck_assert_int_eq(
		sendto(fd, "set", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	ck_assert_int_eq(fdt_peek(fd), FDT_UDP | FDT_F_INTERCEPT);
	ck_assert_uint_eq(relay_recv(&rl, "203.0.113.7:7", buf, sizeof(buf)),
			  3);

	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	ms = eagain_ms(fd);
	ck_assert_msg(ms < 1000, "O_NONBLOCK unseen: waited %lld ms",
		      (long long)ms);

	ck_assert_int_eq(ioctl(fd, FIONBIO, &off), 0);
	tv = (struct timeval){.tv_usec = 200000};
	ck_assert_int_eq(
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ms = eagain_ms(fd);
	ck_assert_msg(ms >= 150 && ms < 2500,
		      "blocking with SO_RCVTIMEO 200 ms: waited %lld ms",
		      (long long)ms);

	/* Blocking again: the answer is waited for and delivered. */
	relay_send(&rl, 0, "203.0.113.7", 7, "back");
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), 4);
	ck_assert_int_eq(memcmp(buf, "back", 4), 0);
	close(fd);
	relay_stop(&rl);
}
END_TEST

/* A non-blocking socket: sendto returns at once (the datagram waits for
 * the relay), epoll reports the answer, nothing was held back. */
START_TEST(t_assoc_nonblocking_epoll)
{
	struct relay rl;
	struct sockaddr_in to;
	struct epoll_event ev = {.events = EPOLLIN}, out;
	char buf[64];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int ep = epoll_create1(0);

	relay_start(&rl);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	sa4(&to, "203.0.113.9", 9);
	ck_assert_int_eq(
		sendto(fd, "nb1", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	ck_assert_int_eq(
		sendto(fd, "nb2", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	errno = 0;
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(relay_recv(&rl, "203.0.113.9:9", buf, sizeof(buf)),
			  3);
	ck_assert_int_eq(memcmp(buf, "nb1", 3), 0);
	ck_assert_uint_eq(relay_recv(&rl, "203.0.113.9:9", buf, sizeof(buf)),
			  3);
	relay_send(&rl, 0, "203.0.113.9", 9, "answer");
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 5000), 1);
	ck_assert_int_eq(recv(fd, buf, sizeof(buf), 0), 6);
	close(ep);
	close(fd);
	relay_stop(&rl);
}
END_TEST

/* An AF_INET6 socket: IPv6 destination in the header, the relay reached
 * through its v4-mapped address; sendmmsg/recvmmsg. */
START_TEST(t_assoc_ipv6_mmsg)
{
	struct relay rl;
	struct sockaddr_in6 to, from;
	struct iovec iov[2] = {{.iov_base = "m1", .iov_len = 2},
			       {.iov_base = "m2", .iov_len = 2}};
	struct mmsghdr mm[2];
	char buf[64], r1[16], r2[16];
	struct iovec riov[2] = {{.iov_base = r1, .iov_len = sizeof(r1)},
				{.iov_base = r2, .iov_len = sizeof(r2)}};
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	relay_start(&rl);
	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	to.sin6_port = htons(5353);
	inet_pton(AF_INET6, "2001:db8::5", &to.sin6_addr);
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_name = &to;
		mm[i].msg_hdr.msg_namelen = sizeof(to);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	ck_assert_int_eq(sendmmsg(fd, mm, 2, 0), 2);
	ck_assert_uint_eq(mm[0].msg_len, 2);
	ck_assert_uint_eq(
		relay_recv(&rl, "[2001:db8::5]:5353", buf, sizeof(buf)), 2);
	ck_assert_uint_eq(
		relay_recv(&rl, "[2001:db8::5]:5353", buf, sizeof(buf)), 2);
	relay_send(&rl, 0, "203.0.113.5", 53, "v4src");
	relay_send(&rl, 0, "203.0.113.5", 53, "two");
	wait_readable(fd);
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_iov = &riov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	mm[0].msg_hdr.msg_name = &from;
	mm[0].msg_hdr.msg_namelen = sizeof(from);
	/* Both are queued once the first is readable on loopback. */
	ck_assert_int_ge(recvmmsg(fd, mm, 2, MSG_WAITFORONE, NULL), 1);
	ck_assert_uint_eq(mm[0].msg_len, 5);
	ck_assert_int_eq(memcmp(r1, "v4src", 5), 0);
	/* An IPv4 source on an AF_INET6 socket: v4-mapped, as the kernel. */
	ck_assert_int_eq(from.sin6_family, AF_INET6);
	ck_assert(IN6_IS_ADDR_V4MAPPED(&from.sin6_addr));
	close(fd);
	relay_stop(&rl);
}
END_TEST

static Suite *udp_suite(void)
{
	Suite *s = suite_create("udpassoc");
	TCase *tc = tcase_create("assoc");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, t_assoc_blocking_paths);
	tcase_add_test(tc, t_assoc_connected);
	tcase_add_test(tc, t_assoc_nonblocking_epoll);
	tcase_add_test(tc, t_assoc_settings);
	tcase_add_test(tc, t_assoc_ipv6_mmsg);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	(void)argc;
	return hook_main(argv, udp_suite(), false);
}
