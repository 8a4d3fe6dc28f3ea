// SPDX-License-Identifier: MIT
/*
 * The data calls: read, write, readv, writev, send, recv, sendto, recvfrom,
 * sendmsg, sendmmsg, recvmsg.  UDP destinations of connect/sendto/sendmsg/
 * sendmmsg are checked by hook_udp.c (fail closed until UDP ASSOCIATE).
 *
 * Fast path: an fd without FDT_F_SLOW (every fd the library does not
 * manage, and every established tunnel) costs one fd-table byte: no lock,
 * no syscall, no allocation, errno untouched.  An fd in handshake answers
 * EAGAIN on a non-blocking socket (or waits for the handshake if the
 * program made it blocking meanwhile), so no program byte reaches the
 * proxy before the tunnel is up; a failed handshake reports its errno once.
 *
 * sendto/sendmsg with MSG_FASTOPEN and a destination on a TCP socket is an
 * implicit connect: it is routed like connect(); through a proxy the data
 * is sent once the tunnel is up (queued for a non-blocking socket, which is
 * what the kernel does with a Fast Open cookie), never directly.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "preload/engine.h"
#include "preload/hook_socket.h"
#include "preload/hooks.h"

int hook_data_gate(int fd, bool dontwait)
{
	struct fdt_entry *e = fdt_get(fd);
	int rc = 0;

	if (!e)
		return 0;
	if (e->kind != FDT_TCP) {
		fdt_put(e);
		return 0;
	}
	for (;;) {
		pthread_mutex_lock(&e->lock);
		if (!conn_still_ours(e, fd)) {
			pthread_mutex_unlock(&e->lock);
			break;
		}
		if (e->u.tcp.state == CONN_HANDSHAKE) {
			int fl = real.fcntl(fd, F_GETFL);

			if (dontwait || fl < 0 || (fl & O_NONBLOCK)) {
				rc = -EAGAIN;
				pthread_mutex_unlock(&e->lock);
				break;
			}
			pthread_mutex_unlock(&e->lock);
			engine_wait(e);
			continue;
		}
		if (e->u.tcp.state == CONN_FAILED) {
			rc = -e->u.tcp.err;
			e->u.tcp.state = CONN_REPORTED;
			fdt_set_byte(fd, FDT_TCP);
		}
		pthread_mutex_unlock(&e->lock);
		break;
	}
	fdt_put(e);
	return rc;
}

/* The gate as a hook prologue: returns from the hook on failure. */
#define HOOK_GATE(fd, dontwait)                                  \
	do {                                                     \
		int saved_ = errno;                              \
		int gate_rc_ = hook_data_gate((fd), (dontwait)); \
		if (gate_rc_ < 0)                                \
			return hook_ret_l(gate_rc_);             \
		errno = saved_;                                  \
	} while (0)

/* The slow paths' own test: init first, then byte and guard. */
#define HOOK_FAST(sym, fd)    \
	(HOOK_INIT_EXPR(sym), \
	 !(fdt_peek(fd) & FDT_F_SLOW) || hook_passthrough())
#define HOOK_INIT_EXPR(sym) \
	(__builtin_expect(real.sym == NULL, 0) ? socksify_init() : (void)0)
/*
 * The hooks' fast path (HOOK_TAIL): an fd without FDT_F_SLOW goes straight
 * to libc.  The guard need not be looked at: a re-entered call passes
 * through either way.
 */
#define HOOK_PLAIN_FD(fd) (!(fdt_peek(fd) & FDT_F_SLOW))

HOOK_SLOW ssize_t read_slow(int fd, void *buf, size_t n)
{
	if (HOOK_FAST(read, fd))
		return real.read(fd, buf, n);
	HOOK_GATE(fd, false);
	return real.read(fd, buf, n);
}

SOCKSIFY_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	HOOK_TAIL(read, HOOK_PLAIN_FD(fd), read_slow, fd, buf, n);
}

HOOK_SLOW ssize_t write_slow(int fd, const void *buf, size_t n)
{
	if (HOOK_FAST(write, fd))
		return real.write(fd, buf, n);
	HOOK_GATE(fd, false);
	return real.write(fd, buf, n);
}

SOCKSIFY_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	HOOK_TAIL(write, HOOK_PLAIN_FD(fd), write_slow, fd, buf, n);
}

HOOK_SLOW ssize_t readv_slow(int fd, const struct iovec *iov, int cnt)
{
	if (HOOK_FAST(readv, fd))
		return real.readv(fd, iov, cnt);
	HOOK_GATE(fd, false);
	return real.readv(fd, iov, cnt);
}

SOCKSIFY_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	HOOK_TAIL(readv, HOOK_PLAIN_FD(fd), readv_slow, fd, iov, cnt);
}

HOOK_SLOW ssize_t writev_slow(int fd, const struct iovec *iov, int cnt)
{
	if (HOOK_FAST(writev, fd))
		return real.writev(fd, iov, cnt);
	HOOK_GATE(fd, false);
	return real.writev(fd, iov, cnt);
}

SOCKSIFY_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	HOOK_TAIL(writev, HOOK_PLAIN_FD(fd), writev_slow, fd, iov, cnt);
}

HOOK_SLOW ssize_t recv_slow(int fd, void *buf, size_t n, int flags)
{
	if (HOOK_FAST(recv, fd))
		return real.recv(fd, buf, n, flags);
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.recv(fd, buf, n, flags);
}

SOCKSIFY_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	HOOK_TAIL(recv, HOOK_PLAIN_FD(fd), recv_slow, fd, buf, n, flags);
}

HOOK_SLOW ssize_t recvfrom_slow(int fd, void *buf, size_t n, int flags,
				struct sockaddr *sa, socklen_t *len)
{
	if (HOOK_FAST(recvfrom, fd))
		return real.recvfrom(fd, buf, n, flags, sa, len);
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.recvfrom(fd, buf, n, flags, sa, len);
}

SOCKSIFY_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
				 struct sockaddr *sa, socklen_t *len)
{
	HOOK_TAIL(recvfrom, HOOK_PLAIN_FD(fd), recvfrom_slow, fd, buf, n, flags,
		  sa, len);
}

HOOK_SLOW ssize_t recvmsg_slow(int fd, struct msghdr *msg, int flags)
{
	if (HOOK_FAST(recvmsg, fd))
		return real.recvmsg(fd, msg, flags);
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.recvmsg(fd, msg, flags);
}

SOCKSIFY_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	HOOK_TAIL(recvmsg, HOOK_PLAIN_FD(fd), recvmsg_slow, fd, msg, flags);
}

HOOK_SLOW ssize_t send_slow(int fd, const void *buf, size_t n, int flags)
{
	if (HOOK_FAST(send, fd))
		return real.send(fd, buf, n, flags);
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.send(fd, buf, n, flags);
}

SOCKSIFY_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	HOOK_TAIL(send, HOOK_PLAIN_FD(fd), send_slow, fd, buf, n, flags);
}

/*
 * MSG_FASTOPEN with a destination: connect through the route, then send.
 * Returns what sendto would, errno set.
 */
static ssize_t hook_fastopen(int fd, const void *buf, size_t n, int flags,
			     const struct sockaddr *sa, socklen_t len,
			     bool *passthrough)
{
	int rc, saved = errno;

	*passthrough = false;
	socksify_init();
	if ((fdt_peek(fd) & FDT_KIND_MASK) == FDT_TCP) {
		*passthrough = true; /* already connected: the kernel says */
		return 0;
	}
	rc = hook_connect_route(fd, sa, len, buf, n);
	if (rc == 1) {
		errno = saved;
		*passthrough = true;
		return 0;
	}
	return hook_ret_saved_l(rc < 0 ? rc : (long)n, saved);
	(void)flags;
}

HOOK_SLOW ssize_t sendto_slow(int fd, const void *buf, size_t n, int flags,
			      const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in v4;

	HOOK_INIT(sendto);
	if (!hook_passthrough() && hook_unspec_as_inet(fd, sa, len, &v4))
		return sendto_slow(fd, buf, n, flags, (void *)&v4, sizeof(v4));
	if (hook_is_raw(fd) && !hook_passthrough()) {
		int rc = hook_raw_check(fd, sa, len, true);

		if (rc <= 0)
			return rc ? hook_ret_l(rc)
				  : real.sendto(fd, buf, n, flags, sa, len);
	}
	if ((flags & MSG_FASTOPEN) && sa && !hook_passthrough()) {
		bool pass;
		ssize_t r = hook_fastopen(fd, buf, n, flags, sa, len, &pass);

		if (!pass)
			return r;
		if (hook_udp_candidate(fd, sa, len)) {
			int rc = hook_udp_check(fd, sa, len, true);

			if (rc < 0)
				return hook_ret_l(rc);
		}
		return real.sendto(fd, buf, n, flags, sa, len);
	}
	if (sa && hook_udp_candidate(fd, sa, len) && !hook_passthrough()) {
		int rc = hook_udp_check(fd, sa, len, false);

		if (rc < 0)
			return hook_ret_l(rc);
	}
	if (!(fdt_peek(fd) & FDT_F_SLOW) || hook_passthrough())
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

/*
 * hook_fastopen() for a message (sendmsg, sendmmsg's first): its data
 * gathered into one buffer.  Returns what sendmsg would, errno set, or
 * *@passthrough true (the caller does the real call).
 */
static ssize_t hook_fastopen_msg(int fd, const struct msghdr *msg, int flags,
				 bool *passthrough)
{
	size_t total = 0, off = 0;
	uint8_t *flat;
	ssize_t r;

	*passthrough = false;
	for (size_t i = 0; i < msg->msg_iovlen; i++)
		total += msg->msg_iov[i].iov_len;
	flat = malloc(total ? total : 1);
	if (!flat)
		return hook_ret_l(-ENOMEM);
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		memcpy(flat + off, msg->msg_iov[i].iov_base,
		       msg->msg_iov[i].iov_len);
		off += msg->msg_iov[i].iov_len;
	}
	r = hook_fastopen(fd, flat, total, flags, msg->msg_name,
			  msg->msg_namelen, passthrough);
	free(flat);
	return r;
}

HOOK_SLOW ssize_t sendmsg_slow(int fd, const struct msghdr *msg, int flags)
{
	struct sockaddr_in v4;

	HOOK_INIT(sendmsg);
	if (msg && !hook_passthrough() &&
	    hook_unspec_as_inet(fd, msg->msg_name, msg->msg_namelen, &v4)) {
		struct msghdr m = *msg;

		m.msg_name = &v4;
		m.msg_namelen = sizeof(v4);
		return sendmsg_slow(fd, &m, flags);
	}
	if (msg && hook_is_raw(fd) && !hook_passthrough()) {
		int rc = hook_raw_check(fd, msg->msg_name, msg->msg_namelen,
					true);

		if (rc <= 0)
			return rc ? hook_ret_l(rc)
				  : real.sendmsg(fd, msg, flags);
	}
	if ((flags & MSG_FASTOPEN) && msg && msg->msg_name &&
	    !hook_passthrough()) {
		bool pass;
		ssize_t r = hook_fastopen_msg(fd, msg, flags, &pass);

		if (!pass)
			return r;
		if (hook_udp_candidate(fd, msg->msg_name, msg->msg_namelen)) {
			int rc = hook_udp_check(fd, msg->msg_name,
						msg->msg_namelen, true);

			if (rc < 0)
				return hook_ret_l(rc);
		}
		return real.sendmsg(fd, msg, flags);
	}
	if (msg && hook_udp_candidate(fd, msg->msg_name, msg->msg_namelen) &&
	    !hook_passthrough()) {
		int rc = hook_udp_check(fd, msg->msg_name, msg->msg_namelen,
					false);

		if (rc < 0)
			return hook_ret_l(rc);
	}
	if (!(fdt_peek(fd) & FDT_F_SLOW) || hook_passthrough())
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
 * sendmmsg: each message's destination is checked like sendmsg's.  The
 * messages before the first refused one are sent (the count is returned,
 * as the kernel does when a later message fails); a refused first message
 * fails the call with EACCES.  MSG_FASTOPEN with a destination in the
 * first message is sendmsg's implicit connect: through a proxy that
 * message alone is sent (count 1; the kernel, too, refuses a Fast Open
 * on the then connected socket for the next ones).
 */
SOCKSIFY_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			     int flags)
{
	HOOK_INIT(sendmmsg);
	if (vec && n && hook_is_raw(fd) && !hook_passthrough()) {
		int rc = hook_raw_check_mmsg(fd, vec, &n);

		if (rc <= 0)
			return rc ? hook_ret(rc)
				  : real.sendmmsg(fd, vec, n, flags);
	}
	if ((flags & MSG_FASTOPEN) && vec && n && vec[0].msg_hdr.msg_name &&
	    !hook_passthrough()) {
		bool pass;
		ssize_t r = hook_fastopen_msg(fd, &vec[0].msg_hdr, flags, &pass);

		if (!pass) {
			if (r < 0)
				return -1; /* errno set */
			vec[0].msg_len = (unsigned int)r;
			return 1;
		}
	}
	if (vec && !hook_passthrough()) {
		for (unsigned int i = 0; i < n; i++) {
			const struct msghdr *m = &vec[i].msg_hdr;
			const struct sockaddr *to = m->msg_name;
			socklen_t tl = m->msg_namelen;
			struct sockaddr_in v4;
			int rc;

			if (hook_unspec_as_inet(fd, to, tl, &v4)) {
				to = (const struct sockaddr *)&v4;
				tl = sizeof(v4);
			}
			if (!hook_udp_candidate(fd, to, tl))
				continue;
			rc = hook_udp_check(fd, to, tl, false);
			if (rc == 1)
				break; /* not UDP: nothing more to check */
			if (rc < 0) {
				if (i == 0)
					return hook_ret(rc);
				n = i;
				break;
			}
		}
	}
	if (!(fdt_peek(fd) & FDT_F_SLOW) || hook_passthrough())
		return real.sendmmsg(fd, vec, n, flags);
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.sendmmsg(fd, vec, n, flags);
}

/*
 * Fortified variants (_FORTIFY_SOURCE with a known buffer size): glibc's
 * own would call the kernel without passing through read/recv above.
 * They jump to the hooks above through hidden aliases: a call of the
 * public name from inside the library would go through our own PLT.
 */
extern __typeof__(read) hook_read_fortified
	__attribute__((alias("read"), visibility("hidden")));
extern __typeof__(recv) hook_recv_fortified
	__attribute__((alias("recv"), visibility("hidden")));
extern __typeof__(recvfrom) hook_recvfrom_fortified
	__attribute__((alias("recvfrom"), visibility("hidden")));

SOCKSIFY_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t cap);
SOCKSIFY_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t cap)
{
	if (n > cap)
		abort();
	return hook_read_fortified(fd, buf, n);
}

SOCKSIFY_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t cap,
				   int flags);
SOCKSIFY_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t cap,
				   int flags)
{
	if (n > cap)
		abort();
	return hook_recv_fortified(fd, buf, n, flags);
}

SOCKSIFY_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t cap,
				       int flags, struct sockaddr *sa,
				       socklen_t *len);
SOCKSIFY_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t cap,
				       int flags, struct sockaddr *sa,
				       socklen_t *len)
{
	if (n > cap)
		abort();
	return hook_recvfrom_fortified(fd, buf, n, flags, sa, len);
}
