// SPDX-License-Identifier: MIT
/*
 * getpeername(2) and getsockname(2).  A connection through a proxy reports
 * as its peer the destination the program asked for (the fake address if
 * it asked for one), never the proxy.  getsockname is the kernel's for
 * CONNECT, and the proxy's BND.ADDR:PORT for a listener behind a SOCKS
 * BIND (kind_listen.c: what the program tells its peer).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "preload/hooks.h"

SOCKSIFY_EXPORT int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	int rc, saved = errno;

	HOOK_INIT(getpeername);
	if (hook_passthrough() || !fdt_peek(fd))
		return real.getpeername(fd, sa, len);
	rc = fdt_op_peername(fd, sa, len);
	errno = saved;
	if (rc == 1)
		return real.getpeername(fd, sa, len);
	return hook_ret_saved(rc, saved);
}

SOCKSIFY_EXPORT int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	int rc, saved = errno;

	HOOK_INIT(getsockname);
	if (hook_passthrough() || !fdt_peek(fd))
		return real.getsockname(fd, sa, len);
	rc = fdt_op_sockname(fd, sa, len);
	errno = saved;
	if (rc == 1)
		return real.getsockname(fd, sa, len);
	return hook_ret_saved(rc, saved);
}
