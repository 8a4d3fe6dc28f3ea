// SPDX-License-Identifier: MIT
/*
 * The sending data calls: write, writev, send, sendto, sendmsg, sendmmsg.
 *
 * Fast path: an fd without FDT_F_INTERCEPT, called without a destination,
 * costs one fd-table byte: no lock, no syscall, no allocation, errno
 * untouched.  With FDT_F_INTERCEPT the fd's kind decides first
 * (fdt_op_gate: EAGAIN or a wait during a handshake, so that no program
 * byte reaches the proxy before the tunnel is up; a failure reported once).
 *
 * A destination is looked at before anything is sent:
 *   - on a UDP socket (or one not yet classified) it is routed by
 *     kind_udp.c: direct, EACCES, or through the socket's UDP ASSOCIATE
 *     (fdt_op_sendmsg: the datagram encapsulated for the relay).  An
 *     associated socket (FDT_F_INTERCEPT) sends every datagram, with an
 *     address or to its connected peer, through its kind;
 *   - an AF_UNSPEC address on an AF_INET UDP socket is sent by the kernel
 *     as AF_INET: it is routed as that address;
 *   - on a raw socket (kind_raw.c) it must match a raw route;
 *   - with MSG_FASTOPEN on a TCP socket it is an implicit connect, routed
 *     like connect(): through a proxy the data is sent once the tunnel is
 *     up (queued for a non-blocking socket, which is what the kernel does
 *     with a Fast Open cookie), never directly.  sendto, sendmsg and the
 *     first message of sendmmsg alike.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "preload/hooks.h"
#include "preload/kind_raw.h"
#include "preload/kind_udp.h"

/*
 * Message @m through @fd's kind (an associated UDP socket, or a datagram
 * udp_check() found routed via a proxy: @must): the hook's result, or
 * FDT_OP_PASS for the real call (never when @must: no entry to carry it
 * means EACCES, not a direct datagram).
 */
static ssize_t hook_send_kind(int fd, const struct msghdr *m, int flags,
			      bool must)
{
	int saved = errno;
	ssize_t r = fdt_op_sendmsg(fd, m, flags);

	if (r == FDT_OP_PASS && must)
		r = -EACCES;
	if (r == FDT_OP_PASS) {
		errno = saved;
		return r;
	}
	return hook_ret_saved_l(r, saved);
}

/* An fd whose datagrams all go through the UDP kind, or a TCP connection
 * whose data calls go through its kind (optimistic data, kind_tcp.c). */
static inline bool hook_udp_intercepted(int fd)
{
	uint8_t b = fdt_peek(fd);

	return b == (FDT_UDP | FDT_F_INTERCEPT) ||
	       b == (FDT_TCP | FDT_F_INTERCEPT);
}

/* A message over one buffer to @sa. */
#define HOOK_MSG1(m, v, buf, n, sa, len)             \
	struct iovec v = {(void *)(buf), (n)};       \
	struct msghdr m = {.msg_name = (void *)(sa), \
			   .msg_namelen = (len),     \
			   .msg_iov = &(v),          \
			   .msg_iovlen = 1}

HOOK_SLOW ssize_t write_slow(int fd, const void *buf, size_t n)
{
	if (HOOK_FAST(write, fd))
		return real.write(fd, buf, n);
	HOOK_MSG1(m, v, buf, n, NULL, 0);
	ssize_t r = hook_send_kind(fd, &m, 0, false);

	if (r != FDT_OP_PASS)
		return r;
	HOOK_GATE(fd, false);
	return real.write(fd, buf, n);
}

SOCKSIFY_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	HOOK_TAIL(write, HOOK_PLAIN_FD(fd), write_slow, fd, buf, n);
}

HOOK_SLOW ssize_t writev_slow(int fd, const struct iovec *iov, int cnt)
{
	if (HOOK_FAST(writev, fd))
		return real.writev(fd, iov, cnt);
	if (cnt >= 0) {
		struct msghdr m = {.msg_iov = (struct iovec *)iov,
				   .msg_iovlen = (size_t)cnt};
		ssize_t r = hook_send_kind(fd, &m, 0, false);

		if (r != FDT_OP_PASS)
			return r;
	}
	HOOK_GATE(fd, false);
	return real.writev(fd, iov, cnt);
}

SOCKSIFY_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	HOOK_TAIL(writev, HOOK_PLAIN_FD(fd), writev_slow, fd, iov, cnt);
}

HOOK_SLOW ssize_t send_slow(int fd, const void *buf, size_t n, int flags)
{
	if (HOOK_FAST(send, fd))
		return real.send(fd, buf, n, flags);
	HOOK_MSG1(m, v, buf, n, NULL, 0);
	ssize_t r = hook_send_kind(fd, &m, flags, false);

	if (r != FDT_OP_PASS)
		return r;
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.send(fd, buf, n, flags);
}

SOCKSIFY_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	HOOK_TAIL(send, HOOK_PLAIN_FD(fd), send_slow, fd, buf, n, flags);
}

/*
 * MSG_FASTOPEN with destination @sa on @fd: connect through the route,
 * then send.  Returns the count sent or queued, -errno, or 1 << 30 when
 * the caller must make the real call (not ours, or direct).  The
 * destination of a UDP socket is checked here too.
 */
#define HOOK_FASTOPEN_PASS ((ssize_t)1 << 30)
static ssize_t hook_fastopen(int fd, const void *buf, size_t n,
			     const struct sockaddr *sa, socklen_t len)
{
	size_t taken = 0;
	int rc;

	socksify_init();
	if (fdt_kind_of(fd) != FDT_TCP) {
		rc = hook_connect_route(fd, sa, len, buf, n, &taken);
		if (rc != 1)
			return rc < 0 ? rc : (ssize_t)taken;
	}
	/* Connected already (the kernel says EISCONN), UDP, or direct. */
	if (udp_candidate(fd, sa, len)) {
		rc = udp_check(fd, sa, len, true);
		if (rc < 0)
			return rc;
	}
	return HOOK_FASTOPEN_PASS;
}

/* The data of @msg in one buffer (for MSG_FASTOPEN), or NULL. */
static uint8_t *hook_flatten(const struct msghdr *msg, size_t *total)
{
	size_t off = 0;
	uint8_t *flat;

	*total = 0;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		*total += msg->msg_iov[i].iov_len;
	flat = malloc(*total ? *total : 1);
	if (!flat)
		return NULL;
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		memcpy(flat + off, msg->msg_iov[i].iov_base,
		       msg->msg_iov[i].iov_len);
		off += msg->msg_iov[i].iov_len;
	}
	return flat;
}

/* hook_fastopen() for a message. */
static ssize_t hook_fastopen_msg(int fd, const struct msghdr *msg)
{
	size_t total;
	uint8_t *flat = hook_flatten(msg, &total);
	ssize_t r;

	if (!flat)
		return -ENOMEM;
	r = hook_fastopen(fd, flat, total, msg->msg_name, msg->msg_namelen);
	free(flat);
	return r;
}

/* A datagram's destination: 0 when it may go as it is, UDP_VIA_PROXY
 * (through the kind), or -errno. */
static int hook_check_dest(int fd, const struct sockaddr *sa, socklen_t len)
{
	int rc;

	if (!udp_candidate(fd, sa, len))
		return 0;
	rc = udp_check(fd, sa, len, false);
	return rc < 0 || rc == UDP_VIA_PROXY ? rc : 0;
}

HOOK_SLOW ssize_t sendto_slow(int fd, const void *buf, size_t n, int flags,
			      const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in v4;
	int rc, saved = errno;

	HOOK_INIT(sendto);
	if (hook_udp_intercepted(fd) && !hook_passthrough()) {
		HOOK_MSG1(m, v, buf, n, sa, len);
		ssize_t r =
			hook_send_kind(fd, &m, flags & ~MSG_FASTOPEN, false);

		if (r != FDT_OP_PASS)
			return r;
		return real.sendto(fd, buf, n, flags & ~MSG_FASTOPEN, sa, len);
	}
	if (!hook_passthrough() && udp_unspec_as_inet(fd, sa, len, &v4))
		return sendto_slow(fd, buf, n, flags, (void *)&v4, sizeof(v4));
	if (raw_is(fd) && !hook_passthrough() &&
	    (rc = raw_check(fd, sa, len, true)) <= 0)
		return rc ? hook_ret_l(rc)
			  : real.sendto(fd, buf, n, flags, sa, len);
	if (sa && !hook_passthrough()) {
		if (flags & MSG_FASTOPEN) {
			ssize_t r = hook_fastopen(fd, buf, n, sa, len);

			if (r != HOOK_FASTOPEN_PASS)
				return hook_ret_saved_l(r, saved);
			errno = saved;
		}
		if ((rc = hook_check_dest(fd, sa, len)) < 0) {
			return hook_ret_l(rc);
		} else if (rc == UDP_VIA_PROXY) {
			HOOK_MSG1(m, v, buf, n, sa, len);
			ssize_t r = hook_send_kind(fd, &m,
						   flags & ~MSG_FASTOPEN, true);

			if (r != FDT_OP_PASS)
				return r;
		}
	}
	if (HOOK_PLAIN_FD(fd) || hook_passthrough())
		return real.sendto(fd, buf, n, flags, sa, len);
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.sendto(fd, buf, n, flags, sa, len);
}

/* Without a destination: neither an implicit connect nor a datagram to
 * check, only the fd's byte (the slow path also handles a NULL real). */
SOCKSIFY_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			       const struct sockaddr *sa, socklen_t len)
{
	HOOK_TAIL(sendto, !sa && HOOK_PLAIN_FD(fd), sendto_slow, fd, buf, n,
		  flags, sa, len);
}

HOOK_SLOW ssize_t sendmsg_slow(int fd, const struct msghdr *msg, int flags)
{
	struct sockaddr_in v4;
	int rc, saved = errno;

	HOOK_INIT(sendmsg);
	if (msg && hook_udp_intercepted(fd) && !hook_passthrough()) {
		ssize_t r =
			hook_send_kind(fd, msg, flags & ~MSG_FASTOPEN, false);

		if (r != FDT_OP_PASS)
			return r;
		return real.sendmsg(fd, msg, flags & ~MSG_FASTOPEN);
	}
	if (msg && !hook_passthrough() &&
	    udp_unspec_as_inet(fd, msg->msg_name, msg->msg_namelen, &v4)) {
		struct msghdr m = *msg;

		m.msg_name = &v4;
		m.msg_namelen = sizeof(v4);
		return sendmsg_slow(fd, &m, flags);
	}
	if (msg && raw_is(fd) && !hook_passthrough() &&
	    (rc = raw_check(fd, msg->msg_name, msg->msg_namelen, true)) <= 0)
		return rc ? hook_ret_l(rc) : real.sendmsg(fd, msg, flags);
	if (msg && msg->msg_name && !hook_passthrough()) {
		if (flags & MSG_FASTOPEN) {
			ssize_t r = hook_fastopen_msg(fd, msg);

			if (r != HOOK_FASTOPEN_PASS)
				return hook_ret_saved_l(r, saved);
			errno = saved;
		}
		if ((rc = hook_check_dest(fd, msg->msg_name,
					  msg->msg_namelen)) < 0) {
			return hook_ret_l(rc);
		} else if (rc == UDP_VIA_PROXY) {
			ssize_t r = hook_send_kind(fd, msg,
						   flags & ~MSG_FASTOPEN, true);

			if (r != FDT_OP_PASS)
				return r;
		}
	}
	if (HOOK_PLAIN_FD(fd) || hook_passthrough())
		return real.sendmsg(fd, msg, flags);
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.sendmsg(fd, msg, flags);
}

SOCKSIFY_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	HOOK_TAIL(sendmsg, msg && !msg->msg_name && HOOK_PLAIN_FD(fd),
		  sendmsg_slow, fd, msg, flags);
}

/*
 * sendmmsg: each message's destination is checked like sendmsg's (via a
 * proxy: hook_sendmmsg_kind).  The
 * messages before the first refused one are sent (the count is returned,
 * as the kernel does when a later message fails); a refused first message
 * fails the call.  MSG_FASTOPEN with a destination in the first message
 * of a TCP socket connects like sendmsg's, and that message is all that
 * is sent (the count is 1): the rest would otherwise leave before the
 * tunnel is up.
 */
/*
 * sendmmsg on a UDP socket with an association (or one of whose messages
 * goes via a proxy): one message at a time through the kind (a direct one
 * goes to the kernel as it is); an error after some messages returns
 * their count.
 */
static int hook_sendmmsg_kind(int fd, struct mmsghdr *vec, unsigned int n,
			      int flags)
{
	int saved = errno;
	unsigned int i;

	flags &= ~MSG_FASTOPEN;
	for (i = 0; i < n; i++) {
		ssize_t r = fdt_op_sendmsg(fd, &vec[i].msg_hdr, flags);

		if (r == FDT_OP_PASS) {
			r = real.sendmsg(fd, &vec[i].msg_hdr, flags);
			if (r < 0)
				r = -errno;
		}
		if (r < 0) {
			if (i > 0)
				break;
			return hook_ret_saved((int)r, saved);
		}
		vec[i].msg_len = (unsigned int)r;
	}
	errno = saved;
	return (int)i;
}

SOCKSIFY_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			     int flags)
{
	int saved = errno;
	bool via = false;

	HOOK_INIT(sendmmsg);
	if (vec && n && hook_udp_intercepted(fd) && !hook_passthrough())
		return hook_sendmmsg_kind(fd, vec, n, flags);
	if (vec && n && raw_is(fd) && !hook_passthrough()) {
		int rc = raw_check_mmsg(fd, vec, &n);

		if (rc <= 0)
			return rc ? hook_ret(rc)
				  : real.sendmmsg(fd, vec, n, flags);
	}
	if (vec && n && !hook_passthrough()) {
		if ((flags & MSG_FASTOPEN) && vec[0].msg_hdr.msg_name) {
			ssize_t r = hook_fastopen_msg(fd, &vec[0].msg_hdr);

			if (r < 0)
				return hook_ret((int)r);
			errno = saved;
			if (r != HOOK_FASTOPEN_PASS) {
				vec[0].msg_len = (unsigned int)r;
				return 1;
			}
		}
		for (unsigned int i = 0; i < n; i++) {
			const struct msghdr *m = &vec[i].msg_hdr;
			const struct sockaddr *to = m->msg_name;
			socklen_t tl = m->msg_namelen;
			struct sockaddr_in v4;
			int rc;

			if (udp_unspec_as_inet(fd, to, tl, &v4)) {
				to = (const struct sockaddr *)&v4;
				tl = sizeof(v4);
			}
			if (!udp_candidate(fd, to, tl))
				continue;
			rc = udp_check(fd, to, tl, false);
			if (rc == 1)
				break; /* not UDP: nothing more to check */
			if (rc < 0) {
				if (i == 0)
					return hook_ret(rc);
				n = i;
				break;
			}
			if (rc == UDP_VIA_PROXY)
				via = true;
		}
		if (via)
			return hook_sendmmsg_kind(fd, vec, n, flags);
	}
	if (HOOK_PLAIN_FD(fd) || hook_passthrough())
		return real.sendmmsg(fd, vec, n, flags);
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.sendmmsg(fd, vec, n, flags);
}
