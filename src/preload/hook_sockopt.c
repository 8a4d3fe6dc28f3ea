// SPDX-License-Identifier: MIT
/*
 * getsockopt(2): SO_ERROR on a socket whose handshake runs or failed on the
 * engine.  While the handshake runs the answer is 0 (as for a TCP connect
 * in progress); after a failure it is the mapped errno, once, then 0.
 *
 * setsockopt(2): passed to libc; a successful SO_RCVTIMEO on an fd whose
 * kind keeps it (an associated UDP socket waits for datagrams itself,
 * udp_io.c) is then told to the kind (hook_settings).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "preload/hooks.h"

SOCKSIFY_EXPORT int getsockopt(int fd, int level, int name, void *val,
			       socklen_t *len)
{
	int err, saved = errno;

	HOOK_INIT(getsockopt);
	if (hook_passthrough() ||
	    !(fdt_peek(fd) & (FDT_F_SUBST | FDT_F_INTERCEPT)) ||
	    level != SOL_SOCKET || name != SO_ERROR || !val || !len ||
	    *len < (socklen_t)sizeof(int))
		return real.getsockopt(fd, level, name, val, len);
	err = fdt_op_so_error(fd);
	errno = saved;
	if (err < 0)
		return real.getsockopt(fd, level, name, val, len);
	memcpy(val, &err, sizeof(int));
	*len = sizeof(int);
	return 0;
}

/* Is @level/@name the receive timeout (either time_t layout)? */
static bool sockopt_is_rcvtimeo(int level, int name)
{
	if (level != SOL_SOCKET)
		return false;
#ifdef SO_RCVTIMEO_OLD
	if (name == SO_RCVTIMEO_OLD)
		return true;
#endif
#ifdef SO_RCVTIMEO_NEW
	if (name == SO_RCVTIMEO_NEW)
		return true;
#endif
	return name == SO_RCVTIMEO;
}

SOCKSIFY_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			       socklen_t len)
{
	int rc;

	HOOK_INIT(setsockopt);
	rc = real.setsockopt(fd, level, name, val, len);
	if (rc == 0 && sockopt_is_rcvtimeo(level, name))
		hook_settings(fd, level, name);
	return rc;
}
