/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the hook files (hook_*.c).  Every hook has the same
 * shape: init -> classify (fast path: one fd-table byte) -> policy (route)
 * -> driver (client/engine) -> errno (set once, last, only on failure).
 */
#ifndef SOCKSIFY_PRELOAD_HOOKS_H
#define SOCKSIFY_PRELOAD_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

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
 * The shared CONNECT path of connect() and sendto/sendmsg(MSG_FASTOPEN):
 * route @sa and, through a proxy, connect @fd.  @early/@nearly: data to
 * send once the tunnel is up (MSG_FASTOPEN), or NULL.  Returns 0
 * (connected, or for MSG_FASTOPEN on a non-blocking socket: data queued),
 * 1 when the caller must do the real call itself (not ours: other family,
 * type, or a direct route), or -errno (-EINPROGRESS for a non-blocking
 * socket whose handshake continues).
 */
int hook_connect_route(int fd, const struct sockaddr *sa, socklen_t len,
		       const void *early, size_t nearly);

/*
 * Gate for data calls on an fd with FDT_F_SLOW: 0 when the real call may
 * go ahead, -EAGAIN while the handshake runs on a non-blocking socket
 * (@dontwait: the call has MSG_DONTWAIT), or the failure to report once.
 */
int hook_data_gate(int fd, bool dontwait);

/*
 * UDP fails closed until UDP ASSOCIATE exists (hook_udp.c).  Is @sa an
 * IPv4/IPv6 destination on an fd that is unclassified or a UDP socket?
 * No syscall.
 */
static inline bool hook_udp_candidate(int fd, const struct sockaddr *sa,
				      socklen_t len)
{
	uint8_t k;

	if (!sa || len < sizeof(sa_family_t) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return false;
	k = fdt_peek(fd) & FDT_KIND_MASK;
	return k == FDT_NONE || k == FDT_UDP;
}

/*
 * Check a UDP destination @sa of @fd (hook_udp_candidate() true).  An
 * unclassified fd is classified once (SO_TYPE/SO_PROTOCOL) and a UDP one
 * recorded as FDT_UDP; @verify (connect and MSG_FASTOPEN, rare paths)
 * classifies a FDT_UDP fd again, in case its number was reused for another
 * socket behind the library's back.  Returns 1 when @fd is not a UDP socket, 0 when the
 * datagram may go (route DIRECT), -EACCES when the route is PROXY (not
 * supported yet, logged) or DENY, or @sa is a fake address.  errno is
 * left untouched.
 */
int hook_udp_check(int fd, const struct sockaddr *sa, socklen_t len,
		   bool verify);

/* Register the fork handlers (hook_fork.c), once, from socksify_init. */
void hook_fork_register(void);

#endif
