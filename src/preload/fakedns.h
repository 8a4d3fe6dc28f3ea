/* SPDX-License-Identifier: MIT */
/*
 * Fake addresses for remotely resolved names (SPEC section 3,
 * resolve = remote).  A name gets one address per family, stable for the
 * life of the process and shared with its forked children (the table lives
 * in a MAP_SHARED|MAP_ANONYMOUS mapping, created at first use or at the
 * latest just before the first fork(), so that a name assigned in a child
 * is visible to its parent and siblings).  IPv4 from conf->fake_network
 * (default 198.18.0.0/15), IPv6 from conf->fake_network6 (default
 * fd53:6f63:6b73::/64).  The network and broadcast (all-ones host part)
 * addresses are never handed out.  The table is bounded (FAKEDNS_MAX
 * names); a full pool is an error, a live mapping is never reused.
 * A process started by exec*() starts with an empty table: fake addresses
 * learnt before exec are unknown to it (fakedns_lookup() says -ENOENT).
 *
 * Thread- and fork-safe: a process-shared robust mutex guards the table.
 * Not async-signal-safe.
 */
#ifndef SOCKSIFY_PRELOAD_FAKEDNS_H
#define SOCKSIFY_PRELOAD_FAKEDNS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/net.h"

/* Most names one process tree can hold (per family, and in total). */
#define FAKEDNS_MAX 65536
/* Longest name stored (RFC 1035 text form, without the trailing dot). */
#define FAKEDNS_NAME_MAX 253

/*
 * The fake address of @name in @family (AF_INET or AF_INET6), assigning one
 * if the name has none yet.  Names are compared case-insensitively, without
 * a trailing dot.  Returns 0, -EINVAL (bad name or family), -ENOSPC (pool
 * exhausted; logged), -ENOMEM (no table).
 * A valid name is 1..FAKEDNS_NAME_MAX printable ASCII characters without
 * spaces (one trailing dot allowed).
 */
int fakedns_assign(const char *name, int family, struct net_ip *ip);

/* True if @ip lies inside one of the fake networks. */
bool fakedns_is_fake(const struct net_ip *ip);

/*
 * The name behind a fake @ip, copied into @name (NUL-terminated, lower
 * case, no trailing dot).  Returns 0, -ENOENT (in a fake network but never
 * handed out: the caller must fail closed, never connect to it directly),
 * -EINVAL (not fake), -ENAMETOOLONG (@cap too small).
 */
int fakedns_lookup(const struct net_ip *ip, char *name, size_t cap);

/*
 * Tests only: use @v4 and @v6 (either may be NULL for the default) instead
 * of the config's networks, and empty the table.  Not thread-safe against
 * concurrent fakedns_* calls.  Returns 0 or -ENOMEM.
 */
int fakedns_reset_for_tests(const struct net_cidr *v4,
			    const struct net_cidr *v6);

#endif
