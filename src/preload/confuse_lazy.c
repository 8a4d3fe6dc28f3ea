// SPDX-License-Identifier: MIT
/*
 * libconfuse for the preload library, opened with dlopen() instead of
 * being a DT_NEEDED entry (confuse_lazy.h).
 *
 * Why: every program the library enters would otherwise map libconfuse
 * and resolve its ~120 libc symbols before main() (it is linked with
 * BIND_NOW): ~80 000 instructions, 9 system calls and a handful of page
 * faults, paid even by `socksify -p URL program`, whose configuration
 * (SOCKS_PROXY) never goes through libconfuse.
 *
 * How: this file defines the libconfuse functions that src/conf/conf.c
 * calls (hidden, like everything the library does not interpose); each
 * forwards to the real one, bound once with dlsym().  The library is
 * linked with its own copy of conf.c and without -lconfuse
 * (src/preload/Makemodule.am), so nothing else refers to libconfuse.
 *
 * When: socksify_conf() calls confuse_preload() when the config comes
 * from a file (SOCKS_CONF, or no SOCKS_PROXY: the default file), before
 * it enters the config's pthread_once, never inside it: a thread that is
 * inside dlopen() (holding the loader's lock) may run a constructor that
 * connects and so waits for the config; had the config's loader been
 * waiting for the loader's lock in dlopen, neither would go on.  For the
 * same reason no lock of ours is held across dlopen(): two threads may
 * load at once (dlopen is thread-safe and returns the same handle; both
 * store the same pointers, atomically).  A program that never needs a
 * route never maps libconfuse.
 *
 * If libconfuse cannot be opened, the reason is logged and cfg_init()
 * returns NULL: conf_load_file() fails and every routed call fails closed
 * with EACCES, as with any unusable config.
 */
#include "config.h"

#include <confuse.h>
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>
#include <stdatomic.h>

#include "common/log.h"
#include "preload/confuse_lazy.h"
#include "preload/preload.h"

#ifndef CONFUSE_SONAME
#error "CONFUSE_SONAME (from configure) is needed"
#endif

/*
 * X(return type, name, parameters, arguments, value when libconfuse is
 * missing): every libconfuse function src/conf/conf.c calls.  Only
 * cfg_init() can be reached without the library (the others take what it
 * returned); the others' failure values are for completeness.
 */
#define CONFUSE_FNS(X)                                                        \
	X(cfg_t *, cfg_init, (cfg_opt_t * opts, cfg_flag_t flags),            \
	  (opts, flags), NULL)                                                \
	X(int, cfg_parse_buf, (cfg_t * cfg, const char *buf), (cfg, buf),     \
	  CFG_FAIL)                                                           \
	X(int, cfg_free, (cfg_t * cfg), (cfg), CFG_FAIL)                      \
	X(cfg_errfunc_t, cfg_set_error_function,                              \
	  (cfg_t * cfg, cfg_errfunc_t errfunc), (cfg, errfunc), NULL)         \
	X(cfg_validate_callback_t, cfg_set_validate_func,                     \
	  (cfg_t * cfg, const char *name, cfg_validate_callback_t vf),        \
	  (cfg, name, vf), NULL)                                              \
	X(long int, cfg_getint, (cfg_t * cfg, const char *name), (cfg, name), \
	  0)                                                                  \
	X(char *, cfg_getstr, (cfg_t * cfg, const char *name), (cfg, name),   \
	  NULL)                                                               \
	X(char *, cfg_getnstr,                                                \
	  (cfg_t * cfg, const char *name, unsigned int index),                \
	  (cfg, name, index), NULL)                                           \
	X(char *, cfg_opt_getnstr, (cfg_opt_t * opt, unsigned int index),     \
	  (opt, index), NULL)                                                 \
	X(cfg_t *, cfg_getnsec,                                               \
	  (cfg_t * cfg, const char *name, unsigned int index),                \
	  (cfg, name, index), NULL)                                           \
	X(cfg_t *, cfg_opt_getnsec, (cfg_opt_t * opt, unsigned int index),    \
	  (opt, index), NULL)                                                 \
	X(unsigned int, cfg_size, (cfg_t * cfg, const char *name),            \
	  (cfg, name), 0)                                                     \
	X(unsigned int, cfg_opt_size, (cfg_opt_t * opt), (opt), 0)            \
	X(const char *, cfg_title, (cfg_t * cfg), (cfg), NULL)                \
	X(cfg_opt_t *, cfg_getopt, (cfg_t * cfg, const char *name),           \
	  (cfg, name), NULL)                                                  \
	X(cfg_bool_t, cfg_getbool, (cfg_t * cfg, const char *name),           \
	  (cfg, name), cfg_false)

static struct {
#define CONFUSE_FIELD(ret, name, params, args, fail) ret(*_Atomic name) params;
	CONFUSE_FNS(CONFUSE_FIELD)
#undef CONFUSE_FIELD
} confuse;

/* 0: not tried yet; 1: every function bound; -1: failed (logged). */
static atomic_int confuse_state;
/* Loads in progress (several threads may load at once), under
 * confuse_fork_lock, which fork holds (confuse_atfork_prepare). */
static pthread_mutex_t confuse_fork_lock = PTHREAD_MUTEX_INITIALIZER;
static int confuse_loading;

/* Contract: confuse_lazy.h. */
void confuse_preload(void)
{
	const char *missing = NULL;
	void *h;

	if (atomic_load_explicit(&confuse_state, memory_order_acquire) != 0)
		return;
	pthread_mutex_lock(&confuse_fork_lock);
	confuse_loading++;
	pthread_mutex_unlock(&confuse_fork_lock);
	socksify_guard++; /* the loader may call functions we interpose */
	h = dlopen(CONFUSE_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		const char *why = dlerror();

		LOG_ERR("cannot load %s: %.200s", CONFUSE_SONAME,
			why ? why : "dlopen failed");
		atomic_store_explicit(&confuse_state, -1, memory_order_release);
		goto out;
	}
#define CONFUSE_BIND(ret, name, params, args, fail)                       \
	if (!missing && !(confuse.name = (ret(*) params)dlsym(h, #name))) \
		missing = #name;
	CONFUSE_FNS(CONFUSE_BIND)
#undef CONFUSE_BIND
	atomic_store_explicit(&confuse_state, missing ? -1 : 1,
			      memory_order_release);
	if (missing)
		LOG_ERR("%s has no %s", CONFUSE_SONAME, missing);
out:
	socksify_guard--;
	pthread_mutex_lock(&confuse_fork_lock);
	confuse_loading--;
	pthread_mutex_unlock(&confuse_fork_lock);
}

/* Contract: confuse_lazy.h.  The lock is held from here until after the
 * fork; a load in progress is waited for (it takes no lock of ours). */
void confuse_atfork_prepare(void)
{
	static const struct timespec ms = {0, 1000000};

	/* Bounded: a fork from a constructor inside another dlopen() would
	 * otherwise wait for a load that waits for it. */
	pthread_mutex_lock(&confuse_fork_lock);
	for (int i = 0; confuse_loading > 0 && i < 2000; i++) {
		pthread_mutex_unlock(&confuse_fork_lock);
		nanosleep(&ms, NULL);
		pthread_mutex_lock(&confuse_fork_lock);
	}
}

void confuse_atfork_parent(void)
{
	pthread_mutex_unlock(&confuse_fork_lock);
}

void confuse_atfork_child(void)
{
	pthread_mutex_unlock(&confuse_fork_lock);
}

/* Never loads: only socksify_conf() does, outside the config's once. */
static bool confuse_ready(void)
{
	return atomic_load_explicit(&confuse_state, memory_order_acquire) == 1;
}

#define CONFUSE_DEFINE(ret, name, params, args, fail) \
	ret name params                               \
	{                                             \
		if (!confuse_ready())                 \
			return fail;                  \
		return confuse.name args;             \
	}
CONFUSE_FNS(CONFUSE_DEFINE)
#undef CONFUSE_DEFINE
