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
 * When: socksify_init() calls confuse_preload() from the library's
 * constructor when the environment says a config file will be parsed
 * (SOCKS_CONF, or no SOCKS_PROXY: the default file).  Loading there, while
 * the process is still starting and single-threaded, keeps dlopen() and
 * its loader lock out of the first hooked call; a dlopen() there could
 * deadlock against a thread that holds the loader lock (inside dlopen) and
 * waits for the configuration.  A config parse that runs before the
 * constructor (a hook called by an earlier library's constructor) loads
 * it on the spot: that is also start-up, single-threaded.
 *
 * If libconfuse cannot be opened, the reason is logged once and
 * cfg_init() returns NULL: conf_load_file() fails and every routed call
 * fails closed with EACCES, as with any unusable config.
 */
#include "config.h"

#include <confuse.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>

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
	X(cfg_t *, cfg_init, (cfg_opt_t * opts, cfg_flag_t flags),           \
	  (opts, flags), NULL)                                                \
	X(int, cfg_parse_buf, (cfg_t * cfg, const char *buf), (cfg, buf),    \
	  CFG_FAIL)                                                           \
	X(int, cfg_free, (cfg_t * cfg), (cfg), CFG_FAIL)                      \
	X(cfg_errfunc_t, cfg_set_error_function,                             \
	  (cfg_t * cfg, cfg_errfunc_t errfunc), (cfg, errfunc), NULL)         \
	X(cfg_validate_callback_t, cfg_set_validate_func,                    \
	  (cfg_t * cfg, const char *name, cfg_validate_callback_t vf),        \
	  (cfg, name, vf), NULL)                                              \
	X(long int, cfg_getint, (cfg_t * cfg, const char *name), (cfg, name), \
	  0)                                                                  \
	X(char *, cfg_getstr, (cfg_t * cfg, const char *name), (cfg, name),   \
	  NULL)                                                               \
	X(char *, cfg_getnstr,                                               \
	  (cfg_t * cfg, const char *name, unsigned int index),                \
	  (cfg, name, index), NULL)                                           \
	X(char *, cfg_opt_getnstr, (cfg_opt_t * opt, unsigned int index),     \
	  (opt, index), NULL)                                                 \
	X(cfg_t *, cfg_getnsec,                                              \
	  (cfg_t * cfg, const char *name, unsigned int index),                \
	  (cfg, name, index), NULL)                                           \
	X(cfg_t *, cfg_opt_getnsec, (cfg_opt_t * opt, unsigned int index),    \
	  (opt, index), NULL)                                                 \
	X(unsigned int, cfg_size, (cfg_t * cfg, const char *name),           \
	  (cfg, name), 0)                                                     \
	X(unsigned int, cfg_opt_size, (cfg_opt_t * opt), (opt), 0)            \
	X(const char *, cfg_title, (cfg_t * cfg), (cfg), NULL)                \
	X(cfg_opt_t *, cfg_getopt, (cfg_t * cfg, const char *name),          \
	  (cfg, name), NULL)

static struct {
#define CONFUSE_FIELD(ret, name, params, args, fail) ret(*name) params;
	CONFUSE_FNS(CONFUSE_FIELD)
#undef CONFUSE_FIELD
} confuse;

static bool confuse_ok;
static pthread_once_t confuse_once = PTHREAD_ONCE_INIT;

/* Open libconfuse and bind every function, or none (confuse_ok false). */
static void confuse_load(void)
{
	const char *missing = NULL;
	void *h;

	socksify_guard++; /* the loader may call functions we interpose */
	h = dlopen(CONFUSE_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		const char *why = dlerror();

		LOG_ERR("cannot load %s: %.200s", CONFUSE_SONAME,
			why ? why : "dlopen failed");
		goto out;
	}
#define CONFUSE_BIND(ret, name, params, args, fail)                    \
	if (!missing &&                                                \
	    !(confuse.name = (ret(*) params)dlsym(h, #name)))          \
		missing = #name;
	CONFUSE_FNS(CONFUSE_BIND)
#undef CONFUSE_BIND
	if (missing) {
		LOG_ERR("%s has no %s", CONFUSE_SONAME, missing);
		goto out;
	}
	confuse_ok = true;
out:
	socksify_guard--;
}

/* Contract: confuse_lazy.h. */
void confuse_preload(void)
{
	pthread_once(&confuse_once, confuse_load);
}

static bool confuse_ready(void)
{
	pthread_once(&confuse_once, confuse_load);
	return confuse_ok;
}

#define CONFUSE_DEFINE(ret, name, params, args, fail) \
	ret name params                                \
	{                                              \
		if (!confuse_ready())                  \
			return fail;                   \
		return confuse.name args;              \
	}
CONFUSE_FNS(CONFUSE_DEFINE)
#undef CONFUSE_DEFINE
