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
	struct fdt_entry *e;
	int err = -1, saved = errno;

	HOOK_INIT(getsockopt);
	if (hook_passthrough() || !(fdt_peek(fd) & FDT_F_SLOW) ||
	    level != SOL_SOCKET || name != SO_ERROR || !val || !len ||
	    *len < (socklen_t)sizeof(int))
		return real.getsockopt(fd, level, name, val, len);
	e = fdt_get(fd);
	if (!e || e->kind != FDT_TCP) {
		fdt_put(e);
		return real.getsockopt(fd, level, name, val, len);
	}
	pthread_mutex_lock(&e->lock);
	if (e->u.tcp.state == CONN_HANDSHAKE) {
		err = 0;
	} else if (e->u.tcp.state == CONN_FAILED) {
		err = e->u.tcp.err;
		e->u.tcp.state = CONN_REPORTED;
		fdt_set_byte(fd, FDT_TCP);
	}
	pthread_mutex_unlock(&e->lock);
	fdt_put(e);
	errno = saved;
	if (err < 0)
		return real.getsockopt(fd, level, name, val, len);
	memcpy(val, &err, sizeof(int));
	*len = sizeof(int);
	errno = saved;
	return 0;
}
