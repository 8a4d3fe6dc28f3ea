/* SPDX-License-Identifier: MIT */
/*
 * The one netlink request the namespace needs: an IPv6 address that is
 * usable at once.  The SIOCSIFADDR ioctl adds an IPv6 address tentative
 * (the kernel's duplicate address detection work runs later, even on a
 * device without neighbour discovery), and a program exec'd in that
 * window gets another source address for its connect() - or none.
 * RTM_NEWADDR with IFA_F_NODAD adds it valid.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_NL_H
#define SOCKSIFY_ISOLATE_ISO_NL_H

#include <netinet/in.h>

/*
 * Add @addr/@prefixlen to interface @ifindex, without duplicate address
 * detection and permanent.  Returns 0 or -errno (the kernel's answer).
 */
int iso_nl_addr6(int ifindex, const struct in6_addr *addr, unsigned prefixlen);

#endif
