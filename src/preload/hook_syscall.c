// SPDX-License-Identifier: MIT
/*
 * syscall(2): libc's generic system-call function.  Some libraries make
 * their socket calls through it instead of the named wrappers (libuv
 * 1.44, under dig and node, sends and receives UDP with
 * syscall(__NR_sendmmsg) and syscall(__NR_recvmmsg)), which would go around
 * every hook: a datagram sent direct, or raw and undecapsulated through a
 * UDP association.  The socket data calls and connect made this way are
 * handed to the hooks of the same name; every other number goes to libc
 * unchanged.  The six possible arguments are read as longs and passed on
 * as such (what the x86-64 and aarch64 ABIs pass in the same registers).
 * The hooks are called by their public names (through the library's PLT,
 * which binds them to the hooks themselves).
 *
 * Reading six arguments whatever the caller passed is what glibc's own
 * syscall() does (its sixth comes from the caller's stack either way);
 * AddressSanitizer calls that a stack underflow when the caller passed
 * fewer, hence no_sanitize_address on this one function.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/syscall.h>

#include "preload/hooks.h"

SOCKSIFY_EXPORT __attribute__((no_sanitize_address)) long syscall(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	HOOK_INIT(syscall);
	if (!real.syscall)
		return hook_ret(-ENOSYS);
	if (hook_passthrough())
		goto real;
	switch (nr) {
	case SYS_connect:
		return connect((int)a[0], (const void *)a[1], (socklen_t)a[2]);
	case SYS_sendto:
		return sendto((int)a[0], (const void *)a[1], (size_t)a[2],
			      (int)a[3], (const void *)a[4], (socklen_t)a[5]);
	case SYS_sendmsg:
		return sendmsg((int)a[0], (const void *)a[1], (int)a[2]);
	case SYS_sendmmsg:
		return sendmmsg((int)a[0], (void *)a[1], (unsigned int)a[2],
				(int)a[3]);
	case SYS_recvfrom:
		return recvfrom((int)a[0], (void *)a[1], (size_t)a[2],
				(int)a[3], (void *)a[4], (socklen_t *)a[5]);
	case SYS_recvmsg:
		return recvmsg((int)a[0], (void *)a[1], (int)a[2]);
	case SYS_recvmmsg:
		return recvmmsg((int)a[0], (void *)a[1], (unsigned int)a[2],
				(int)a[3], (void *)a[4]);
	default:
		break;
	}
real:
	return real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
