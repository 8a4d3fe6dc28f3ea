/* SPDX-License-Identifier: MIT */
/*
 * Fake addresses for remotely resolved names (SPEC section 3,
 * resolve = remote).  A name gets one address per family, stable for the
 * life of the process and shared with its forked children (the table lives
 * in a MAP_SHARED mapping made at init).  IPv4 from conf->fake_network,
 * IPv6 from conf->fake_network6.
 */
#ifndef SOCKSIFY_PRELOAD_FAKEDNS_H
#define SOCKSIFY_PRELOAD_FAKEDNS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/net.h"

/*
 * The fake address of @name in @family (AF_INET or AF_INET6), assigning one
 * if the name has none yet.  Names are compared case-insensitively, without
 * a trailing dot.  Returns 0, -EINVAL (bad name or family), -ENOSPC (pool
 * exhausted), -ENOMEM (no table).
 */
int fakedns_assign(const char *name, int family, struct net_ip *ip);

/* True if @ip lies inside one of the fake networks. */
bool fakedns_is_fake(const struct net_ip *ip);

/*
 * The name behind a fake @ip, copied into @name (NUL-terminated).
 * Returns 0, -ENOENT (in a fake network but never handed out: the caller
 * must fail closed, never connect to it directly), -EINVAL (not fake),
 * -ENAMETOOLONG.
 */
int fakedns_lookup(const struct net_ip *ip, char *name, size_t cap);

#endif
