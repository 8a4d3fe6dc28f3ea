// SPDX-License-Identifier: MIT
/*
 * libfastpath_stub.so: a stand-in for libc's write, read, send, recv and
 * close, for `fastpath_bench -s` (see there).  Preloaded AFTER
 * libsocksify.so,
 *
 *   LD_PRELOAD="libsocksify.so libfastpath_stub.so" fastpath_bench -s
 *
 * it is what the library's dlsym(RTLD_NEXT) binds as the "real" functions,
 * so a hooked call runs the library's hook as built and ends here instead
 * of in the kernel.  On the fds the bench gives it (fastpath_stub_lo ..
 * fastpath_stub_hi) a call does no syscall: it counts itself (the bench
 * checks that its hooked calls really arrive here) and returns the size
 * or 0.  Any other fd goes to the kernel with syscall(2), so the rest of
 * the process (and the library's own I/O) works as usual.
 *
 * fastpath_stub_<name> are the same functions under names no interposer
 * knows: the bench calls them directly for the baseline.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define STUB_EXPORT __attribute__((visibility("default")))

/* The fds that do no syscall; empty until the bench sets them. */
STUB_EXPORT int fastpath_stub_lo = 1, fastpath_stub_hi = 0;
/* Calls answered without a syscall. */
STUB_EXPORT unsigned long fastpath_stub_calls;

static inline int stub_fd(int fd)
{
	return fd >= fastpath_stub_lo && fd <= fastpath_stub_hi;
}

STUB_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	if (stub_fd(fd)) {
		fastpath_stub_calls++;
		return (ssize_t)n;
	}
	return syscall(SYS_write, fd, buf, n);
}

STUB_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	if (stub_fd(fd)) {
		fastpath_stub_calls++;
		return (ssize_t)n;
	}
	return syscall(SYS_read, fd, buf, n);
}

STUB_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	if (stub_fd(fd)) {
		fastpath_stub_calls++;
		return (ssize_t)n;
	}
	return syscall(SYS_sendto, fd, buf, n, flags, NULL, 0);
}

STUB_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	if (stub_fd(fd)) {
		fastpath_stub_calls++;
		return (ssize_t)n;
	}
	return syscall(SYS_recvfrom, fd, buf, n, flags, NULL, NULL);
}

STUB_EXPORT int close(int fd)
{
	if (stub_fd(fd)) {
		fastpath_stub_calls++;
		return 0;
	}
	return (int)syscall(SYS_close, fd);
}

/* The same functions under their own names (the direct baseline). */
#define STUB_ALIAS(name)                             \
	extern __typeof__(name) fastpath_stub_##name \
		__attribute__((alias(#name), visibility("default")));
STUB_ALIAS(write)
STUB_ALIAS(read)
STUB_ALIAS(send)
STUB_ALIAS(recv)
STUB_ALIAS(close)
