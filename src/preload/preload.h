/* SPDX-License-Identifier: MIT */
/*
 * Internal glue shared by the hooks: export attribute, the thread-local
 * re-entry guard, and the errno convention (internal code returns 0 or
 * -errno; only the exported hook sets errno, once, last).
 */
#ifndef SOCKSIFY_PRELOAD_PRELOAD_H
#define SOCKSIFY_PRELOAD_PRELOAD_H

#include <errno.h>
#include <stdbool.h>

/* Interposed libc names: the only symbols the library exports. */
#define SOCKSIFY_EXPORT __attribute__((visibility("default")))

/*
 * Non-zero while this thread runs library code that may call back into
 * libc functions we interpose (dlsym at bind time, getpwuid_r and NSS,
 * the config parser, resolving a proxy host name).  Hooks entered with the
 * guard set pass straight through to libc.
 */
extern __thread int socksify_guard;

/* Set when a required libc symbol is missing: every hook passes through. */
extern bool real_broken;

/*
 * Return from a hook: @rc >= 0 is returned with the caller's errno intact;
 * a negative @rc sets errno = -rc and returns -1.
 */
static inline int hook_ret(int rc)
{
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return rc;
}

/*
 * Same, for a hook that did work of its own (which may have changed errno):
 * success restores @saved, the caller's errno at entry.
 */
static inline int hook_ret_saved(int rc, int saved)
{
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	errno = saved;
	return rc;
}

static inline long hook_ret_saved_l(long rc, int saved)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	errno = saved;
	return rc;
}

static inline long hook_ret_l(long rc)
{
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

#endif
