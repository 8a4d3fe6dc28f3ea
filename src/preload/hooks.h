/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the hook files (hook_*.c).  Every hook has the same
 * shape: init -> classify (fast path: one fd-table byte) -> policy (route)
 * -> driver (client/engine) -> errno (set once, last, only on failure).
 */
#ifndef SOCKSIFY_PRELOAD_HOOKS_H
#define SOCKSIFY_PRELOAD_HOOKS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "preload/fdt_ops.h"
#include "preload/fdtable.h"
#include "preload/init.h"
#include "preload/preload.h"
#include "preload/real.h"

/* True when the hook must pass straight to libc (re-entry, broken init). */
static inline bool hook_passthrough(void)
{
	return socksify_guard != 0 || real_broken;
}

/* Make sure the real symbols exist (cheap once done). */
#define HOOK_INIT(sym)                                     \
	do {                                               \
		if (__builtin_expect(real.sym == NULL, 0)) \
			socksify_init();                   \
	} while (0)

/*
 * The fast path of a hook, its whole body: when the real function @sym is
 * bound and @fast holds (typically: @fd's table byte says "not ours"),
 * jump straight to it with the hook's arguments; else call @slow, an
 * out-of-line function (HOOK_SLOW) with the same arguments that holds the
 * rest of the hook (init, the re-entry guard, the policy).  Keeping the
 * body this small lets the compiler emit a few instructions ending in a
 * tail jump: no stack frame, no TLS access for the guard, no errno
 * (scripts/bench client, part b, counts them).
 */
#define HOOK_TAIL(sym, fast, slow, ...)                           \
	do {                                                      \
		__typeof__(real.sym) real_ = real.sym;            \
		if (__builtin_expect(real_ != NULL && (fast), 1)) \
			return real_(__VA_ARGS__);                \
		return slow(__VA_ARGS__);                         \
	} while (0)
/* The definition of a HOOK_TAIL slow path: never inlined into the hook
 * (not "cold": for a UDP program, sendto's is its usual path). */
#define HOOK_SLOW static __attribute__((noinline))

/*
 * The shared CONNECT path of connect() and sendto/sendmsg/sendmmsg
 * (MSG_FASTOPEN): route @sa and, through a proxy, connect @fd.
 * @early/@nearly: data to send once the tunnel is up (MSG_FASTOPEN), or
 * NULL; *@taken (may be NULL) gets how much of it was taken.  Returns 0
 * (connected, or for MSG_FASTOPEN on a non-blocking socket: data queued),
 * 1 when the caller must do the real call itself (not ours: other family,
 * type, or a direct route), or -errno (-EINPROGRESS for a non-blocking
 * socket whose handshake continues).
 */
int hook_connect_route(int fd, const struct sockaddr *sa, socklen_t len,
		       const void *early, size_t nearly, size_t *taken);

/* The data hooks' prologue for an fd with FDT_F_INTERCEPT: returns from
 * the hook with -1 and errno when the kind says so (fdt_op_gate). */
#define HOOK_GATE(fd, dontwait)                               \
	do {                                                  \
		int saved_ = errno;                           \
		int gate_rc_ = fdt_op_gate((fd), (dontwait)); \
		if (gate_rc_ < 0)                             \
			return hook_ret_l(gate_rc_);          \
		errno = saved_;                               \
	} while (0)

/* The data hooks' fast path (HOOK_TAIL): an fd without FDT_F_INTERCEPT
 * goes straight to libc.  The guard need not be looked at: a re-entered
 * call passes through either way. */
#define HOOK_PLAIN_FD(fd) (!(fdt_peek(fd) & FDT_F_INTERCEPT))
/* The slow paths' own test: init first, then byte and guard. */
#define HOOK_INIT_EXPR(sym) \
	(__builtin_expect(real.sym == NULL, 0) ? socksify_init() : (void)0)
#define HOOK_FAST(sym, fd) \
	(HOOK_INIT_EXPR(sym), HOOK_PLAIN_FD(fd) || hook_passthrough())

/*
 * The program changed @fd's file status flags (@level -1) or the socket
 * option @level/@name, and the call succeeded: a kind that keeps a copy
 * of them (an fd with FDT_F_INTERCEPT) refreshes it.  errno is kept.
 */
static inline void hook_settings(int fd, int level, int name)
{
	int saved;

	if (__builtin_expect(!(fdt_peek(fd) & FDT_F_INTERCEPT), 1) ||
	    hook_passthrough() || fdt_in_vfork_child())
		return;
	saved = errno;
	fdt_op_settings(fd, level, name);
	errno = saved;
}

/* Register the fork handlers (hook_fork.c), once, from socksify_init. */
void hook_fork_register(void);

#endif
