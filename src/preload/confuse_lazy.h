/* SPDX-License-Identifier: MIT */
/*
 * libconfuse opened on demand by the preload library (confuse_lazy.c).
 * Only libsocksify.so has it (configure found libconfuse's soname); the
 * in-process tests link libconfuse directly.  Hence weak: callers test
 * the address before calling.
 */
#ifndef SOCKSIFY_PRELOAD_CONFUSE_LAZY_H
#define SOCKSIFY_PRELOAD_CONFUSE_LAZY_H

/*
 * Open libconfuse now (once; later calls return at once).  Called at load
 * time when a config file will be parsed.  Failure is logged and makes
 * the config parse fail.
 */
void confuse_preload(void) __attribute__((weak));

#endif
