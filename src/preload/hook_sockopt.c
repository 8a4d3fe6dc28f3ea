// SPDX-License-Identifier: MIT
/*
 * getsockopt(2): SO_ERROR on a socket whose handshake runs or failed on the
 * engine.  While the handshake runs the answer is 0 (as for a TCP connect
 * in progress); after a failure it is the mapped errno, once, then 0.
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
