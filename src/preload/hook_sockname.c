// SPDX-License-Identifier: MIT
/*
 * getpeername(2) and getsockname(2).  A connection through a proxy reports
 * as its peer the destination the program asked for (the fake address if
 * it asked for one), never the proxy.  getsockname is the kernel's for
 * CONNECT (later: the proxy's BND.ADDR for BIND listeners).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "preload/hooks.h"

SOCKSIFY_EXPORT int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct fdt_entry *e;
	int rc = 1, saved = errno;

	HOOK_INIT(getpeername);
	if (hook_passthrough() || (fdt_peek(fd) & FDT_KIND_MASK) != FDT_TCP)
		return real.getpeername(fd, sa, len);
	e = fdt_get(fd);
	if (!e)
		return real.getpeername(fd, sa, len);
	pthread_mutex_lock(&e->lock);
	switch (e->u.tcp.state) {
	case CONN_OK:
		if (!len) {
			rc = -EFAULT;
			break;
		}
		/* Truncate like the kernel; *len gets the full size. */
		if (sa)
			memcpy(sa, &e->u.tcp.dst,
			       *len < e->u.tcp.dstlen ? *len
						      : e->u.tcp.dstlen);
		*len = e->u.tcp.dstlen;
		rc = 0;
		break;
	case CONN_HANDSHAKE:
	case CONN_FAILED:
		rc = -ENOTCONN;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&e->lock);
	fdt_put(e);
	errno = saved;
	if (rc == 1)
		return real.getpeername(fd, sa, len);
	return hook_ret_saved(rc, saved);
}

SOCKSIFY_EXPORT int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	HOOK_INIT(getsockname);
	return real.getsockname(fd, sa, len);
}
