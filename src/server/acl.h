/* SPDX-License-Identifier: MIT */
/*
 * Access rules of socksifyd: an ordered list of pass/block rules matched
 * first to last on the client address, the destination (CIDR on the
 * address actually connected to, or a host-name glob on the requested
 * name), port, command, user, SOCKS version and time of day; plus the
 * built-in safe-destination filter.  Pure: no I/O.
 */
#ifndef SOCKSIFY_SERVER_ACL_H
#define SOCKSIFY_SERVER_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/net.h"
#include "common/timewin.h"

enum acl_cmd {
	ACL_CMD_CONNECT = 1 << 0,
	ACL_CMD_BIND = 1 << 1,
	ACL_CMD_UDP = 1 << 2
};

#define ACL_VER4 (1u << 4)
#define ACL_VER5 (1u << 5)

enum acl_target_kind { ACL_TARGET_CIDR, ACL_TARGET_GLOB };

struct acl_target {
	enum acl_target_kind kind;
	struct net_cidr cidr;
	char glob[NET_HOST_MAX + 1];
};


struct acl_rule {
	int line;	       /* where the rule is in the config */
	bool pass;	       /* action = "pass" (else "block") */
	struct net_cidr *from; /* client CIDRs; none = any client */
	size_t nfrom;
	struct acl_target *to; /* destinations; none = any */
	size_t nto;
	struct net_ports ports; /* n = 0: any port */
	unsigned commands;	/* ACL_CMD_* bits; 0 = any */
	char **users;		/* none = anybody, authenticated or not */
	size_t nusers;
	unsigned versions; /* ACL_VER4 | ACL_VER5; 0 = any */
	struct timewin *times;
	size_t ntimes; /* 0 = always */
};

struct acl_policy {
	const struct acl_rule *rules;
	size_t nrules;
	bool public_listener; /* some listener is not loopback */
	bool auth_required;   /* "none" is not an accepted method */
};

struct acl_query {
	const struct net_ip *client;
	unsigned cmd;		  /* one ACL_CMD_* bit */
	unsigned version;	  /* 4 or 5 */
	const char *user;	  /* authenticated user, or NULL */
	const char *hostname;	  /* name the client asked for, or NULL */
	const struct net_ip *dst; /* address tried, or NULL (unknown) */
	uint16_t port;
	const struct tm *now; /* local time, or NULL */
};

/* Why acl_check() said no (for the debug log). */
struct acl_verdict {
	const struct acl_rule *rule; /* the matching rule, or NULL */
	const char *why;	     /* static text */
};

/*
 * Decide @q.  First matching rule wins.  No match: pass when there are no
 * rules at all, block otherwise.  On top of that, whatever the rules say:
 *  - SOCKS4 (no password) while authentication is required passes only
 *    through a matching pass rule that names version 4;
 *  - with a public listener, a sensitive destination (acl_ip_is_sensitive)
 *    passes only through a matching pass rule with an explicit CIDR
 *    (prefix > 0) that contains it;
 *  - UDP to multicast or broadcast never passes.
 * Returns 0 (pass) or -EACCES; @v (may be NULL) says why.
 */
int acl_check(const struct acl_policy *p, const struct acl_query *q,
	      struct acl_verdict *v);

/*
 * Loopback, 0.0.0.0/8, ::, link-local (169.254/16, fe80::/10), cloud
 * metadata (169.254.169.254, fd00:ec2::254), and the same embedded in
 * NAT64 64:ff9b::/96 (v4-mapped forms are normalised by net_ip already).
 */
bool acl_ip_is_sensitive(const struct net_ip *ip);
/* 224.0.0.0/4, 255.255.255.255, ff00::/8. */
bool acl_ip_is_multicast(const struct net_ip *ip);

/* "Mon-Fri 08:00-18:00", "Sat,Sun", "22:00-06:00".  0 or -EINVAL. */
int acl_time_parse(const char *s, struct timewin *t);
bool acl_time_match(const struct timewin *t, const struct tm *now);

/* Free the arrays of one rule (not the rule itself). */
void acl_rule_clear(struct acl_rule *r);

#endif
