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

/*
 * fork: a fork() while another thread is inside dlopen() of libconfuse
 * would leave the child with the library half mapped and relocated (and
 * the loader's lock held by a thread that does not exist there).  The
 * prepare handler waits until no load is in progress and keeps new ones
 * from starting until the fork is done.  No lock is held across dlopen().
 */
void confuse_atfork_prepare(void) __attribute__((weak));
void confuse_atfork_parent(void) __attribute__((weak));
void confuse_atfork_child(void) __attribute__((weak));

#endif
