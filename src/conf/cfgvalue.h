/* SPDX-License-Identifier: MIT */
/*
 * Value parsers shared by socks.conf (conf.c) and socksifyd.conf
 * (server/srvconf.c): one meaning for each value both files take.  Pure:
 * no libconfuse, no I/O, no allocation.  Each returns NULL on success or
 * a static phrase saying what was expected, which the caller puts into
 * its own "FILE:LINE: bad KEY ..." message.
 *
 * Time windows are timewin_parse() (common/timewin.h), CIDRs, port lists
 * and host:port net.h's; what is here is what the two files used to spell
 * differently.
 */
#ifndef SOCKSIFY_CONF_CFGVALUE_H
#define SOCKSIFY_CONF_CFGVALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/net.h"

/* Command bits: the same values as CONF_CMD_* and ACL_CMD_*. */
#define CFGVAL_CMD_CONNECT (1u << 0)
#define CFGVAL_CMD_BIND (1u << 1)
#define CFGVAL_CMD_UDP (1u << 2)
#define CFGVAL_CMD_RAW (1u << 3)

#define CFGVAL_WHY_TARGET                                                     \
	"expected a CIDR such as \"198.51.100.0/24\", an address, or a host " \
	"name glob such as \"*.example.com\""
#define CFGVAL_WHY_PORTS                                        \
	"expected a port N, a range N-M or a comma list, with " \
	"1 <= N <= M <= 65535"

/* Decimal integer in [@lo, @hi], nothing after it.  0 or -1. */
int cfgval_long(const char *s, long lo, long hi, long *out);

/* [A-Za-z0-9._-], 1 to @max characters (proxy and service names). */
bool cfgval_name_ok(const char *s, size_t max);

/*
 * A destination: a CIDR or single address (*@is_glob false, @cidr set),
 * else a host-name glob (net_glob_match syntax; *@is_glob true, copied to
 * @glob, NET_HOST_MAX + 1 bytes).  Dotted numbers that are no address
 * ("10.0.0.256", "1234") are a mistyped address, not a name.
 */
const char *cfgval_target(const char *s, bool *is_glob, struct net_cidr *cidr,
			  char *glob);

/* Adds the port ranges of @s to @acc (at most NET_PORT_RANGES_MAX). */
const char *cfgval_ports_add(struct net_ports *acc, const char *s);

/*
 * A command name, any case: "connect", "bind", "udp", "raw", of which
 * only those in @allowed (CFGVAL_CMD_* bits) are accepted.  *@bit is its
 * bit.
 */
const char *cfgval_command(const char *s, unsigned allowed, unsigned *bit);

/* A SOCKS5 method name, any case: "none", "username", "gssapi". */
const char *cfgval_method(const char *s, uint8_t *method);

#endif
