// SPDX-License-Identifier: MIT
/*
 * leak_probe: one libc path that could put a packet on the wire, taken the
 * way a program would, for the leak tests (tests/netns/preload_probe*.sh).
 * Plain libc only.
 *
 *   leak_probe EXPECT PATH HOST PORT
 *
 * EXPECT   through  the data came back from the target (an HTTP answer
 *                   naming it, or the datagram echoed)
 *          eacces   a call failed with EACCES
 *          safe     either of the two
 * PATH     tcp          socket + connect (family of HOST), HTTP GET
 *          tcp6short    AF_INET6 socket, RFC 2133's 24-byte sockaddr_in6
 *          tcp6mapped   AF_INET6 socket, ::ffff:HOST (HOST is IPv4)
 *          tcp6scope    AF_INET6 socket, HOST is fe80::X%IFNAME
 *          fo_sendto, fo_sendmsg, fo_sendmmsg
 *                       TCP Fast Open: the GET sent with MSG_FASTOPEN
 *          udp_sendto, udp_sendmsg, udp_sendmmsg, udp_connect
 *                       a datagram, echo awaited
 *          udp_unspec   sendto with sa_family AF_UNSPEC on an AF_INET
 *                       socket (the kernel reads it as AF_INET)
 *          raw, ping    ICMP echo over SOCK_RAW / SOCK_DGRAM+IPPROTO_ICMP
 *          sctp, dccp   connect over SCTP / DCCP
 * Prints "PATH: OUTCOME (detail)", OUTCOME being through, eacces or
 * other; exits 0 when it matches EXPECT, 1 when not, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef SOCK_DCCP
#define SOCK_DCCP 6
#endif

static const char *path;

static const char http_get[] = "GET / HTTP/1.0\r\n\r\n";

/* The outcome of a path: 0 through, 1 eacces, 2 other. */
static int report(int outcome, const char *step, int err, const char *detail)
{
	static const char *const names[] = {"through", "eacces", "other"};

	if (outcome == 0)
		printf("%s: through (%.60s)\n", path, detail);
	else
		printf("%s: %s at %s: %s\n", path, names[outcome], step,
		       err ? strerrorname_np(err) : "no error");
	return outcome;
}

static int failed(const char *step)
{
	int err = errno;

	return report(err == EACCES ? 1 : 2, step, err, NULL);
}

/* HOST:PORT into @ss: numeric, "%IFNAME" scope for IPv6.  0 or -1. */
static int parse_addr(const char *host, int port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char buf[128], *pct;

	memset(ss, 0, sizeof(*ss));
	snprintf(buf, sizeof(buf), "%s", host);
	if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return 0;
	}
	pct = strchr(buf, '%');
	if (pct)
		*pct++ = '\0';
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return -1;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	if (pct)
		sin6->sin6_scope_id = if_nametoindex(pct);
	*len = sizeof(*sin6);
	return 0;
}

static void timeouts(int fd, int sec)
{
	struct timeval tv = {.tv_sec = sec};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Read the HTTP answer on @fd: through when it names the target. */
static int http_answer(int fd)
{
	char buf[2048];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	char *body = strstr(buf, "hello from");

	if (!body)
		return report(2, "read", n ? 0 : errno, NULL);
	body[strcspn(body, "\r\n")] = '\0';
	return report(0, NULL, 0, body);
}

static int do_tcp(const struct sockaddr *sa, socklen_t len, int family)
{
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0)
		return failed("socket");
	timeouts(fd, 10);
	if (connect(fd, sa, len) < 0)
		return failed("connect");
	if (write(fd, http_get, sizeof(http_get) - 1) < 0)
		return failed("write");
	return http_answer(fd);
}

static int do_fastopen(const struct sockaddr *sa, socklen_t len)
{
	struct iovec iov = {.iov_base = (void *)http_get,
			    .iov_len = sizeof(http_get) - 1};
	struct mmsghdr mm;
	int fd = socket(sa->sa_family, SOCK_STREAM, 0);
	ssize_t r;

	if (fd < 0)
		return failed("socket");
	timeouts(fd, 10);
	memset(&mm, 0, sizeof(mm));
	mm.msg_hdr.msg_name = (void *)sa;
	mm.msg_hdr.msg_namelen = len;
	mm.msg_hdr.msg_iov = &iov;
	mm.msg_hdr.msg_iovlen = 1;
	if (strcmp(path, "fo_sendto") == 0)
		r = sendto(fd, http_get, iov.iov_len, MSG_FASTOPEN, sa, len);
	else if (strcmp(path, "fo_sendmsg") == 0)
		r = sendmsg(fd, &mm.msg_hdr, MSG_FASTOPEN);
	else
		r = sendmmsg(fd, &mm, 1, MSG_FASTOPEN);
	if (r < 0)
		return failed(path);
	return http_answer(fd);
}

static int do_udp(const struct sockaddr *sa, socklen_t len)
{
	static const char dgram[] = "leak probe datagram";
	struct sockaddr_storage un;
	struct iovec iov = {.iov_base = (void *)dgram,
			    .iov_len = sizeof(dgram) - 1};
	struct mmsghdr mm;
	char buf[256];
	int fd = socket(sa->sa_family, SOCK_DGRAM, 0);
	ssize_t r;

	if (fd < 0)
		return failed("socket");
	timeouts(fd, 2);
	memset(&mm, 0, sizeof(mm));
	mm.msg_hdr.msg_name = (void *)sa;
	mm.msg_hdr.msg_namelen = len;
	mm.msg_hdr.msg_iov = &iov;
	mm.msg_hdr.msg_iovlen = 1;
	if (strcmp(path, "udp_sendmsg") == 0) {
		r = sendmsg(fd, &mm.msg_hdr, 0);
	} else if (strcmp(path, "udp_sendmmsg") == 0) {
		r = sendmmsg(fd, &mm, 1, 0);
	} else if (strcmp(path, "udp_connect") == 0) {
		if (connect(fd, sa, len) < 0)
			return failed("connect");
		r = send(fd, dgram, iov.iov_len, 0);
	} else if (strcmp(path, "udp_unspec") == 0) {
		memcpy(&un, sa, len);
		un.ss_family = AF_UNSPEC;
		r = sendto(fd, dgram, iov.iov_len, 0, (struct sockaddr *)&un,
			   len);
	} else {
		r = sendto(fd, dgram, iov.iov_len, 0, sa, len);
	}
	if (r < 0)
		return failed("send");
	r = recv(fd, buf, sizeof(buf) - 1, 0);
	if (r < 0)
		return failed("recv");
	buf[r] = '\0';
	if (strstr(buf, dgram) == NULL)
		return report(2, "recv", 0, NULL);
	return report(0, NULL, 0, buf);
}

/* ICMP echo request over SOCK_RAW or a ping socket (SOCK_DGRAM). */
static int do_icmp(const struct sockaddr *sa, socklen_t len, int type)
{
	unsigned char echo[16] = {0};
	char buf[256];
	int v6 = sa->sa_family == AF_INET6;
	int fd =
		socket(sa->sa_family, type, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);

	if (fd < 0)
		return failed("socket");
	timeouts(fd, 2);
	echo[0] = v6 ? 128 : 8; /* echo request; the kernel sums ICMPv6 */
	if (!v6) {
		unsigned sum = 0;

		for (int i = 0; i < 16; i += 2)
			sum += (unsigned)(echo[i] << 8 | echo[i + 1]);
		sum = (sum >> 16) + (sum & 0xffff);
		sum = ~sum & 0xffff;
		echo[2] = (unsigned char)(sum >> 8);
		echo[3] = (unsigned char)sum;
	}
	if (sendto(fd, echo, sizeof(echo), 0, sa, len) < 0)
		return failed("sendto");
	if (recv(fd, buf, sizeof(buf), 0) < 0)
		return failed("recv");
	return report(2, "recv", 0, NULL); /* an answer came around */
}

static int do_stream(const struct sockaddr *sa, socklen_t len, int type,
		     int proto)
{
	int fd = socket(sa->sa_family, type, proto);

	if (fd < 0)
		return failed("socket");
	timeouts(fd, 2);
	if (connect(fd, sa, len) < 0)
		return failed("connect");
	return report(2, "connect", 0, NULL); /* connected around */
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	const char *expect;
	char mapped[64];
	int outcome, want;

	if (argc != 5) {
		fprintf(stderr, "usage: leak_probe through|eacces|safe PATH "
				"HOST PORT\n");
		return 2;
	}
	expect = argv[1];
	path = argv[2];
	if (strcmp(path, "tcp6mapped") == 0) {
		snprintf(mapped, sizeof(mapped), "::ffff:%s", argv[3]);
		argv[3] = mapped;
	}
	if (parse_addr(argv[3], atoi(argv[4]), &ss, &len) < 0) {
		fprintf(stderr, "leak_probe: bad address %s\n", argv[3]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(path, "tcp") == 0 || strcmp(path, "tcp6mapped") == 0 ||
	    strcmp(path, "tcp6scope") == 0)
		outcome = do_tcp((struct sockaddr *)&ss, len, ss.ss_family);
	else if (strcmp(path, "tcp6short") == 0)
		outcome = do_tcp((struct sockaddr *)s6, 24, AF_INET6);
	else if (strncmp(path, "fo_", 3) == 0)
		outcome = do_fastopen((struct sockaddr *)&ss, len);
	else if (strncmp(path, "udp_", 4) == 0)
		outcome = do_udp((struct sockaddr *)&ss, len);
	else if (strcmp(path, "raw") == 0)
		outcome = do_icmp((struct sockaddr *)&ss, len, SOCK_RAW);
	else if (strcmp(path, "ping") == 0)
		outcome = do_icmp((struct sockaddr *)&ss, len, SOCK_DGRAM);
	else if (strcmp(path, "sctp") == 0)
		outcome = do_stream((struct sockaddr *)&ss, len, SOCK_STREAM,
				    IPPROTO_SCTP);
	else if (strcmp(path, "dccp") == 0)
		outcome = do_stream((struct sockaddr *)&ss, len, SOCK_DCCP, 0);
	else {
		fprintf(stderr, "leak_probe: unknown path %s\n", path);
		return 2;
	}
	if (strcmp(expect, "through") == 0)
		want = outcome == 0;
	else if (strcmp(expect, "eacces") == 0)
		want = outcome == 1;
	else
		want = outcome == 0 || outcome == 1;
	return want ? 0 : 1;
}
