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
 * Open libconfuse and bind its functions, unless done (or failed) before:
 * then one atomic load.  Called by socksify_conf() before a config file is
 * parsed, outside any lock (confuse_lazy.c says why).  Failure is logged
 * once and makes the config parse fail.
 */
void confuse_preload(void) __attribute__((weak));

#endif
