// SPDX-License-Identifier: MIT
/*
 * The few library symbols the isolation daemon borrows from src/preload
 * (client.c: the SOCKS handshake driver; proxy_addr.c: proxy addresses;
 * fakedns*.c: the user's shared fake-name table), bound for a normal
 * program: real.* is the C library itself (there is no hook to step
 * around here), fdt_mutex_* are plain mutexes (no signal-safety count: the
 * daemon has no hooks), and socksify_conf() is the daemon's config.
 *
 * Why reuse client.c rather than drive the codec directly: it is already
 * a non-blocking state machine (client_step says what it waits for), with
 * proxy failover, RFC 1929 credentials and the REP -> errno map; the
 * daemon's event loop waits exactly as the library's engine thread does.
 * The shim costs this one file.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>

#include "common/io.h"
#include "isolate/iso.h"
#include "preload/fdtable.h"
#include "preload/init.h"
#include "preload/real.h"

struct real_syms real;
__thread int socksify_guard;
bool real_broken;

static const struct conf *iso_conf;

/* Contract: preload/real.h.  Every symbol from the C library itself. */
void real_init(void)
{
#define REAL_BIND(req, ret, name, params) \
	real.name = (ret(*) params)dlsym(RTLD_DEFAULT, #name);
	REAL_SYMS(REAL_BIND)
#undef REAL_BIND
	io_sys.read = real.read;
	io_sys.send = real.send;
	io_sys.poll = real.poll;
	io_sys.write = real.write;
}

void fdt_mutex_lock(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

void fdt_mutex_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}

const struct conf *socksify_conf(void)
{
	return iso_conf;
}

/* Contract: iso.h. */
void iso_shim_init(const struct conf *c)
{
	iso_conf = c;
	real_init();
}
