// SPDX-License-Identifier: MIT
/*
 * ioctl(2): FIONBIO sets or clears O_NONBLOCK like fcntl(F_SETFL), and a
 * kind that keeps the flag (an associated UDP socket, udp_assoc.h) must
 * hear of it (hook_settings).  Every request goes to libc unchanged, its
 * third argument (an int, a pointer or absent) passed on as a
 * pointer-sized value (the x86-64 and aarch64 ABIs pass both in the same
 * register); an fd without FDT_F_INTERCEPT costs one table byte after it.
 */
#include "config.h"

#include <stdarg.h>
#include <sys/ioctl.h>

#include "preload/hooks.h"

SOCKSIFY_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	int rc;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	HOOK_INIT(ioctl);
	rc = real.ioctl(fd, request, arg);
	if (rc >= 0 && request == FIONBIO)
		hook_settings(fd, -1, 0);
	return rc;
}
