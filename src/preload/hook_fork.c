// SPDX-License-Identifier: MIT
/*
 * fork: the child keeps the library's working state.
 *
 * No fork() hook is needed: pthread_atfork handlers run for fork() and for
 * the fork inside posix_spawn/system implementations that use it.  Before
 * the fork every library lock is taken in the order the code nests them
 * (a libconfuse load and a config parse in progress are waited for, then
 * the engine, every entry, the placement and table locks, the record of
 * recent tunnels, the proxy address cache) so that the child never
 * inherits one held by a thread that does not exist there; the parent
 * releases them, the child
 * re-initialises them.  The child keeps the fd table (proxied connections
 * keep their state, internal fds stay protected) and starts its own engine
 * thread on first need; handshakes in flight at fork time stay the
 * parent's (libsocksify(8), LIMITS).
 */
#include "config.h"

#include <pthread.h>

#include "conf/cfgload.h"
#include "preload/confuse_lazy.h"
#include "preload/engine.h"
#include "preload/fdtable.h"
#include "preload/hooks.h"
#include "preload/kind_tcp.h"
#include "preload/proxy_addr.h"

static void hook_fork_prepare(void)
{
	if (confuse_atfork_prepare) /* first: it waits for a dlopen() */
		confuse_atfork_prepare();
	cfgload_atfork_prepare(); /* a config parse in progress */
	engine_atfork_prepare();
	fdt_atfork_prepare();
	tcp_recent_atfork_prepare();
	pxa_atfork_prepare();
}

static void hook_fork_parent(void)
{
	pxa_atfork_parent();
	tcp_recent_atfork_parent();
	fdt_atfork_parent();
	engine_atfork_parent();
	cfgload_atfork_parent();
	if (confuse_atfork_parent)
		confuse_atfork_parent();
}

static void hook_fork_child(void)
{
	pxa_atfork_child();
	tcp_recent_atfork_child();
	fdt_atfork_child();
	engine_atfork_child();
	cfgload_atfork_child();
	if (confuse_atfork_child)
		confuse_atfork_child();
}

void hook_fork_register(void)
{
	pthread_atfork(hook_fork_prepare, hook_fork_parent, hook_fork_child);
}
