// SPDX-License-Identifier: MIT
/* Access rules and the safe-destination filter (see acl.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/acl.h"

static bool ip_in(const struct net_ip *ip, int family, const uint8_t *pfx,
		  unsigned bits)
{
	struct net_cidr c;

	memset(&c, 0, sizeof(c));
	c.ip.family = family;
	memcpy(c.ip.b, pfx, family == AF_INET ? 4 : 16);
	c.prefix = (uint8_t)bits;
	return net_cidr_contains(&c, ip);
}

static bool v4_sensitive(const uint8_t b[4])
{
	return b[0] == 127 || b[0] == 0 || (b[0] == 169 && b[1] == 254);
}

bool acl_ip_is_sensitive(const struct net_ip *ip)
{
	static const uint8_t loop6[16] = {[15] = 1};
	static const uint8_t any6[16] = {0};
	static const uint8_t ll6[16] = {0xfe, 0x80};
	static const uint8_t ec2[16] = {0xfd, 0x00,	   0x0e,
					0xc2, [15] = 0x54, [14] = 0x02};
	static const uint8_t nat64[16] = {0x00, 0x64, 0xff, 0x9b};

	if (ip->family == AF_INET)
		return v4_sensitive(ip->b);
	if (ip->family != AF_INET6)
		return true;
	if (ip_in(ip, AF_INET6, loop6, 128) || ip_in(ip, AF_INET6, any6, 128) ||
	    ip_in(ip, AF_INET6, ll6, 10) || ip_in(ip, AF_INET6, ec2, 128))
		return true;
	/* IPv4-compatible ::a.b.c.d and NAT64 forms of sensitive v4. */
	if (ip_in(ip, AF_INET6, any6, 96) || ip_in(ip, AF_INET6, nat64, 96))
		return v4_sensitive(ip->b + 12);
	return false;
}

bool acl_ip_is_multicast(const struct net_ip *ip)
{
	if (ip->family == AF_INET)
		return (ip->b[0] & 0xf0) == 0xe0 ||
		       (ip->b[0] == 255 && ip->b[1] == 255 && ip->b[2] == 255 &&
			ip->b[3] == 255);
	return ip->b[0] == 0xff;
}

/* Time windows: the shared grammar of common/timewin.h. */
int acl_time_parse(const char *s, struct timewin *t)
{
	return timewin_parse(s, t) ? -EINVAL : 0;
}

bool acl_time_match(const struct timewin *t, const struct tm *now)
{
	return timewin_match(t, now);
}

static bool match_to(const struct acl_rule *r, const struct acl_query *q,
		     bool *explicit_cidr)
{
	size_t i;

	*explicit_cidr = false;
	if (!r->nto)
		return true;
	for (i = 0; i < r->nto; i++) {
		const struct acl_target *t = &r->to[i];

		if (t->kind == ACL_TARGET_CIDR) {
			if (q->dst && net_cidr_contains(&t->cidr, q->dst)) {
				*explicit_cidr = t->cidr.prefix > 0;
				return true;
			}
		} else if (q->hostname &&
			   net_glob_match(t->glob, q->hostname)) {
			return true;
		}
	}
	return false;
}

static bool rule_matches(const struct acl_rule *r, const struct acl_query *q,
			 bool *explicit_cidr)
{
	size_t i;
	bool ok;

	if (r->commands && !(r->commands & q->cmd))
		return false;
	if (r->versions && !(r->versions & (1u << q->version)))
		return false;
	if (r->nfrom) {
		ok = false;
		for (i = 0; i < r->nfrom && !ok; i++)
			ok = q->client &&
			     net_cidr_contains(&r->from[i], q->client);
		if (!ok)
			return false;
	}
	if (r->nusers) {
		ok = false;
		for (i = 0; i < r->nusers && !ok; i++)
			ok = q->user && strcmp(r->users[i], q->user) == 0;
		if (!ok)
			return false;
	}
	if (r->ports.n && !net_ports_contains(&r->ports, q->port))
		return false;
	if (r->ntimes) {
		ok = false;
		for (i = 0; i < r->ntimes && !ok; i++)
			ok = q->now && acl_time_match(&r->times[i], q->now);
		if (!ok)
			return false;
	}
	return match_to(r, q, explicit_cidr);
}

int acl_check(const struct acl_policy *p, const struct acl_query *q,
	      struct acl_verdict *v)
{
	struct acl_verdict dummy;
	const struct acl_rule *r = NULL;
	bool explicit_cidr = false;
	size_t i;

	if (!v)
		v = &dummy;
	v->rule = NULL;
	v->why = "allowed";
	for (i = 0; i < p->nrules; i++) {
		if (rule_matches(&p->rules[i], q, &explicit_cidr)) {
			r = &p->rules[i];
			break;
		}
	}
	v->rule = r;
	if (r && !r->pass) {
		v->why = "blocked by rule";
		return -EACCES;
	}
	if (!r && p->nrules) {
		v->why = "no rule matched";
		return -EACCES;
	}
	if (q->version == 4 && p->auth_required &&
	    !(r && (r->versions & ACL_VER4))) {
		v->why =
			"SOCKS4 has no password and authentication is required";
		return -EACCES;
	}
	if (q->cmd == ACL_CMD_UDP && q->dst && acl_ip_is_multicast(q->dst)) {
		v->why = "multicast or broadcast destination";
		return -EACCES;
	}
	if (p->public_listener && q->dst && acl_ip_is_sensitive(q->dst) &&
	    !(r && explicit_cidr)) {
		v->why = "local, link-local or metadata destination";
		return -EACCES;
	}
	return 0;
}

void acl_rule_clear(struct acl_rule *r)
{
	size_t i;

	free(r->from);
	free(r->to);
	for (i = 0; i < r->nusers; i++)
		free(r->users[i]);
	free(r->users);
	free(r->times);
	memset(r, 0, sizeof(*r));
}
