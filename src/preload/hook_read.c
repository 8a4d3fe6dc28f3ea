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
 * errno once.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "preload/hooks.h"

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

HOOK_SLOW int recvmmsg_slow(int fd, struct mmsghdr *vec, unsigned int n,
			    int flags, struct timespec *ts)
{
	if (HOOK_FAST(recvmmsg, fd))
		return real.recvmmsg(fd, vec, n, flags, ts);
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
