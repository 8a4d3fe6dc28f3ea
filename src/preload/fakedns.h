/* SPDX-License-Identifier: MIT */
/*
 * Fake addresses for remotely resolved names (SPEC section 3,
 * resolve = remote).  A name gets one address per family; IPv4 from
 * conf->fake_network (default 198.18.0.0/15), IPv6 from
 * conf->fake_network6 (default fd53:6f63:6b73::/64).  The network and
 * broadcast (all-ones host part) addresses are never handed out.
 *
 * One table for every socksified process of the user: it lives in a file
 * mapped MAP_SHARED ($XDG_RUNTIME_DIR/socksify-names, else
 * /dev/shm/socksify-names-UID; fakedns_file.c), so a name resolved in any
 * process has the same fake address in all of them, and a fake address
 * made in one resolves to its name in all the others: across fork, exec,
 * posix_spawn, a parent that exits first, and programs started later.
 * When that file cannot be used (refused: another owner; no space), a
 * private table shared only with children forked after its first use is
 * used instead, with a log line.
 *
 * Bounded (FAKEDNS_MAX names).  An address is recycled for another name
 * only when its network (or the table) is full and it was not used for
 * conf->fake_ttl seconds by any process (use = its name resolved, or the
 * address looked up by connect/sendto/getnameinfo); nothing expired: the
 * call fails (-ENOSPC, logged).  A live address never gets a new name.
 *
 * Thread-, fork- and multi-process-safe: lookups that hit take no lock and
 * make no system call (per-entry seqlocks); writers hold a process-shared
 * robust mutex.  Not async-signal-safe.
 */
#ifndef SOCKSIFY_PRELOAD_FAKEDNS_H
#define SOCKSIFY_PRELOAD_FAKEDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/net.h"

/* Most names the table holds (per family, and in total). */
#define FAKEDNS_MAX 65536
/* Longest name stored (RFC 1035 text form, without the trailing dot). */
#define FAKEDNS_NAME_MAX 253

/*
 * The fake address of @name in @family (AF_INET or AF_INET6), assigning one
 * if the name has none yet (refreshes the name's last-use stamp).  Names are
 * compared case-insensitively, without a trailing dot.  Returns 0, -EINVAL
 * (bad name or family), -ENOSPC (network or table full of addresses used
 * within fake_ttl; logged), -ENOMEM (no table or no memory to grow it;
 * logged), -EIO (the table is corrupt; logged).
 * A valid name is 1..FAKEDNS_NAME_MAX printable ASCII characters without
 * spaces (one trailing dot allowed).
 */
int fakedns_assign(const char *name, int family, struct net_ip *ip);

/* True if @ip lies inside one of the fake networks. */
bool fakedns_is_fake(const struct net_ip *ip);

/*
 * The name behind a fake @ip, copied into @name (NUL-terminated, lower
 * case, no trailing dot); refreshes the name's last-use stamp.  Returns 0, -ENOENT (in a fake network but never
 * handed out: the caller must fail closed, never connect to it directly),
 * -EINVAL (not fake), -ENAMETOOLONG (@cap too small).
 */
int fakedns_lookup(const struct net_ip *ip, char *name, size_t cap);

/*
 * Tests only: use @v4 and @v6 (either may be NULL for the default) instead
 * of the config's networks, the default TTL, the real clock, and a new
 * empty table: a private one unless fakedns_set_dir_for_tests() named a
 * directory (never the user's own table).  Not thread-safe against
 * concurrent fakedns_* calls.  Returns 0 or -ENOMEM.
 */
int fakedns_reset_for_tests(const struct net_cidr *v4,
			    const struct net_cidr *v6);
/* Tests only: keep the shared file in @dir from the next reset on. */
void fakedns_set_dir_for_tests(const char *dir);
/* Tests only: fake_ttl = @ttl seconds (0: the config's). */
void fakedns_set_ttl_for_tests(int ttl);
/* Tests only: move the table's clock @seconds forward. */
void fakedns_advance_clock_for_tests(int64_t seconds);
/* Tests only: forget the mapping and map the file again (as a new
 * process would).  Returns 0 or -ENOMEM. */
int fakedns_remap_for_tests(void);

#endif
