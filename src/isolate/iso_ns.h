/* SPDX-License-Identifier: MIT */
/*
 * The namespace the isolated program lives in.  As root: new network and
 * mount namespaces.  Otherwise: a user namespace first (the user's uid and
 * gid mapped to themselves), which gives the capabilities for the other
 * two where the system allows unprivileged user namespaces
 * (kernel.unprivileged_userns_clone, apparmor_restrict_unprivileged_userns).
 * Inside: lo up; a TUN device ISO_IFNAME with the addresses of iso.h and
 * the default routes of both families; /etc/resolv.conf replaced (in the
 * private mount namespace only) by one naming the resolver address.  The
 * program keeps the user's uid, cwd and environment; its children stay in
 * the namespace.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_NS_H
#define SOCKSIFY_ISOLATE_ISO_NS_H

#include <sys/types.h>

/*
 * Fork a child that builds the namespace, hands the TUN device back and
 * execs @path with @argv.  On success *@pid is the child and *@tun the
 * device (close-on-exec); returns 0, or -errno (the reason logged), the
 * child then already reaped.
 */
int iso_ns_spawn(const char *path, char **argv, pid_t *pid, int *tun);

#endif
