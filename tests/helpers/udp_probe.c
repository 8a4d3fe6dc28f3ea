// SPDX-License-Identifier: MIT
/*
 * udp_probe HOST PORT: the UDP calls no Debian tool makes in one run,
 * against a UDP echo server (tests/netns/udp_assoc*.sh, under the
 * library):
 *   1. a non-blocking socket under epoll: sendmmsg of three datagrams,
 *      then recvmmsg(MSG_WAITFORONE) as epoll reports them; contents and
 *      the source address (the echo server's) checked;
 *   2. a blocking socket: MSG_PEEK leaves the datagram, MSG_TRUNC reports
 *      its real size with a short buffer, recvmsg sets MSG_TRUNC.
 * HOST may be IPv4 or IPv6 (the socket's family follows).  Prints "ok" and
 * exits 0, or one line saying what went wrong and exits 1.  Every wait is
 * bounded (5 s).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define FAIL(...)                             \
	do {                                  \
		printf("FAIL: " __VA_ARGS__); \
		printf("\n");                 \
		exit(1);                      \
	} while (0)

static struct sockaddr_storage dst;
static socklen_t dstlen;

static int udp_socket(int flags)
{
	int fd = socket(dst.ss_family, SOCK_DGRAM | flags, 0);

	if (fd < 0)
		FAIL("socket: %s", strerror(errno));
	return fd;
}

/* Is @sa (@len) the echo server's address? */
static int is_dst(const struct sockaddr_storage *sa, socklen_t len)
{
	if (len != dstlen || sa->ss_family != dst.ss_family)
		return 0;
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)sa,
					 *b = (void *)&dst;

		return a->sin_port == b->sin_port &&
		       a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *a = (const void *)sa, *b = (void *)&dst;

	return a->sin6_port == b->sin6_port &&
	       memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0;
}

static void mmsg_epoll(void)
{
	static const char *const data[3] = {"a1", "b22", "c333"};
	struct mmsghdr mm[3];
	struct iovec iov[3];
	char bufs[3][64];
	struct sockaddr_storage from[3];
	struct epoll_event ev = {.events = EPOLLIN}, out;
	int fd = udp_socket(SOCK_NONBLOCK), ep = epoll_create1(0), got = 0;

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		FAIL("epoll_ctl: %s", strerror(errno));
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		iov[i].iov_base = (void *)data[i];
		iov[i].iov_len = strlen(data[i]);
		mm[i].msg_hdr.msg_name = &dst;
		mm[i].msg_hdr.msg_namelen = dstlen;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	if (sendmmsg(fd, mm, 3, 0) != 3)
		FAIL("sendmmsg: %s", strerror(errno));
	while (got < 3) {
		int n = epoll_wait(ep, &out, 1, 5000);

		if (n != 1)
			FAIL("epoll_wait: %d (%d of 3 echoes)", n, got);
		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < 3; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]) - 1;
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(fd, mm, 3 - got, MSG_WAITFORONE, NULL);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			FAIL("recvmmsg: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			bufs[i][mm[i].msg_len] = '\0';
			if (strcmp(bufs[i], data[got + i]) != 0)
				FAIL("echo %d: '%s', sent '%s'", got + i,
				     bufs[i], data[got + i]);
			if (!is_dst(&from[i], mm[i].msg_hdr.msg_namelen))
				FAIL("echo %d: not from the echo server",
				     got + i);
		}
		got += n;
	}
	close(ep);
	close(fd);
}

static void peek_trunc(void)
{
	static const char msg[] = "truncate-me";
	struct timeval tv = {.tv_sec = 5};
	char buf[64];
	struct iovec iov = {.iov_base = buf, .iov_len = 4};
	struct msghdr m;
	int fd = udp_socket(0);
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int round = 0; round < 2; round++) {
		if (sendto(fd, msg, 11, 0, (struct sockaddr *)&dst, dstlen) !=
		    11)
			FAIL("sendto: %s", strerror(errno));
		n = recv(fd, buf, sizeof(buf), MSG_PEEK);
		if (n != 11 || memcmp(buf, msg, 11) != 0)
			FAIL("MSG_PEEK: %zd (%s)", n,
			     n < 0 ? strerror(errno) : "wrong data");
		if (round == 0) {
			n = recv(fd, buf, 4, MSG_TRUNC);
			if (n != 11 || memcmp(buf, msg, 4) != 0)
				FAIL("MSG_TRUNC: %zd, expected 11", n);
			continue;
		}
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		n = recvmsg(fd, &m, 0);
		if (n != 4 || !(m.msg_flags & MSG_TRUNC))
			FAIL("recvmsg short buffer: %zd, flags %#x", n,
			     (unsigned)m.msg_flags);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	struct sockaddr_in *s4 = (void *)&dst;
	struct sockaddr_in6 *s6 = (void *)&dst;

	if (argc != 3) {
		fprintf(stderr, "usage: udp_probe HOST PORT\n");
		return 2;
	}
	memset(&dst, 0, sizeof(dst));
	if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(argv[2]));
		dstlen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(argv[2]));
		dstlen = sizeof(*s6);
	} else {
		fprintf(stderr, "udp_probe: numeric HOST\n");
		return 2;
	}
	mmsg_epoll();
	peek_trunc();
	printf("ok\n");
	return 0;
}
