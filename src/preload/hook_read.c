// SPDX-License-Identifier: MIT
/*
 * The receiving data calls: read, readv, recv, recvfrom, recvmsg, recvmmsg
 * and glibc's fortified variants.
 *
 * Fast path: an fd without FDT_F_INTERCEPT (every fd the library does not
 * manage, and every established tunnel) costs one fd-table byte: no lock,
 * no syscall, no allocation, errno untouched.  Otherwise the fd's kind
 * decides first (fdt_op_gate): during a handshake a non-blocking socket
 * answers EAGAIN (a blocking one waits for the handshake), so no byte of
 * the proxy's reply reaches the program; a failed handshake reports its
 * errno once.  An associated UDP socket's receives are one message each for
 * its kind (fdt_op_recvmsg: the datagram decapsulated, its source the one
 * the program expects).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "preload/hooks.h"

/* An intercepted fd's receive as message @m through its kind: the hook's
 * result, or FDT_OP_PASS (then the gate and the real call). */
static ssize_t hook_recv_kind(int fd, struct msghdr *m, int flags)
{
	int saved = errno;
	ssize_t r = fdt_op_recvmsg(fd, m, flags);

	if (r == FDT_OP_PASS) {
		errno = saved;
		return r;
	}
	return hook_ret_saved_l(r, saved);
}

/* A message over one buffer. */
#define HOOK_MSG1(m, v, buf, n)        \
	struct iovec v = {(buf), (n)}; \
	struct msghdr m = {.msg_iov = &(v), .msg_iovlen = 1}

HOOK_SLOW ssize_t read_slow(int fd, void *buf, size_t n)
{
	if (HOOK_FAST(read, fd))
		return real.read(fd, buf, n);
	HOOK_MSG1(m, v, buf, n);
	ssize_t r = hook_recv_kind(fd, &m, 0);

	if (r != FDT_OP_PASS)
		return r;
	HOOK_GATE(fd, false);
	return real.read(fd, buf, n);
}

SOCKSIFY_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	HOOK_TAIL(read, HOOK_PLAIN_FD(fd), read_slow, fd, buf, n);
}

HOOK_SLOW ssize_t readv_slow(int fd, const struct iovec *iov, int cnt)
{
	if (HOOK_FAST(readv, fd))
		return real.readv(fd, iov, cnt);
	if (cnt >= 0) {
		struct msghdr m = {.msg_iov = (struct iovec *)iov,
				   .msg_iovlen = (size_t)cnt};
		ssize_t r = hook_recv_kind(fd, &m, 0);

		if (r != FDT_OP_PASS)
			return r;
	}
	HOOK_GATE(fd, false);
	return real.readv(fd, iov, cnt);
}

SOCKSIFY_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	HOOK_TAIL(readv, HOOK_PLAIN_FD(fd), readv_slow, fd, iov, cnt);
}

HOOK_SLOW ssize_t recv_slow(int fd, void *buf, size_t n, int flags)
{
	if (HOOK_FAST(recv, fd))
		return real.recv(fd, buf, n, flags);
	HOOK_MSG1(m, v, buf, n);
	ssize_t r = hook_recv_kind(fd, &m, flags);

	if (r != FDT_OP_PASS)
		return r;
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
	HOOK_MSG1(m, v, buf, n);
	m.msg_name = sa && len ? sa : NULL;
	m.msg_namelen = sa && len ? *len : 0;
	ssize_t r = hook_recv_kind(fd, &m, flags);

	if (r != FDT_OP_PASS) {
		if (r >= 0 && sa && len)
			*len = m.msg_namelen;
		return r;
	}
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
	if (msg) {
		ssize_t r = hook_recv_kind(fd, msg, flags);

		if (r != FDT_OP_PASS)
			return r;
	}
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.recvmsg(fd, msg, flags);
}

SOCKSIFY_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	HOOK_TAIL(recvmsg, HOOK_PLAIN_FD(fd), recvmsg_slow, fd, msg, flags);
}

/*
 * recvmmsg through the kind: one message at a time; after the first,
 * MSG_WAITFORONE (or a timeout) makes the rest non-blocking.  An error
 * after some messages returns their count (the kernel does the same).
 * Returns the hook's result, or HOOK_MMSG_PASS.
 */
#define HOOK_MMSG_PASS (-2)
static int hook_recvmmsg_kind(int fd, struct mmsghdr *vec, unsigned int n,
			      int flags, struct timespec *ts)
{
	int saved = errno;
	unsigned int i;

	for (i = 0; i < n; i++) {
		int fl = flags & ~MSG_WAITFORONE;
		ssize_t r;

		if (i > 0 && ((flags & MSG_WAITFORONE) || ts))
			fl |= MSG_DONTWAIT;
		r = fdt_op_recvmsg(fd, &vec[i].msg_hdr, fl);
		if (r == FDT_OP_PASS && i == 0) {
			errno = saved;
			return HOOK_MMSG_PASS;
		}
		if (r < 0 || r == FDT_OP_PASS) {
			if (i > 0)
				break;
			return (int)hook_ret_saved_l(r, saved);
		}
		vec[i].msg_len = (unsigned int)r;
	}
	errno = saved;
	return (int)i;
}

HOOK_SLOW int recvmmsg_slow(int fd, struct mmsghdr *vec, unsigned int n,
			    int flags, struct timespec *ts)
{
	if (HOOK_FAST(recvmmsg, fd))
		return real.recvmmsg(fd, vec, n, flags, ts);
	if (vec && n) {
		int r = hook_recvmmsg_kind(fd, vec, n, flags, ts);

		if (r != HOOK_MMSG_PASS)
			return r;
	}
	HOOK_GATE(fd, flags & MSG_DONTWAIT);
	return real.recvmmsg(fd, vec, n, flags, ts);
}

SOCKSIFY_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int n,
			     int flags, struct timespec *ts)
{
	HOOK_TAIL(recvmmsg, HOOK_PLAIN_FD(fd), recvmmsg_slow, fd, vec, n, flags,
		  ts);
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
