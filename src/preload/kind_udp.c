// SPDX-License-Identifier: MIT
/*
 * UDP fails closed until UDP ASSOCIATE is implemented: a datagram (or a
 * UDP connect) towards a destination whose "udp" route is PROXY or DENY
 * is refused with EACCES instead of leaving the machine directly.  DIRECT
 * passes through.  A fake address (fakedns.h) is always refused: a
 * datagram to it could reach nobody, and its name was faked because a
 * route sends it via a proxy.
 *
 * Cost: an fd is classified once, on its first IPv4/IPv6 destination
 * (SO_TYPE, SO_PROTOCOL); UDP sockets become FDT_UDP and keep the last
 * destination with its verdict, so repeated datagrams to the same peer
 * walk no rules.  Other sockets stay unmarked.  (No hook lives here: the
 * data hooks and connect call udp_check.)
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "preload/fakedns.h"
#include "preload/init.h"
#include "preload/kind_udp.h"
#include "preload/real.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

/* The route cache of a UDP socket: the last destination and its verdict. */
struct udp_sock {
	bool valid;
	struct net_ip ip;
	uint16_t port;
	int verdict; /* 0 (direct) or -errno */
};

static const struct fdt_ops udp_ops = {.name = "udp"};

/* Is @fd a UDP (or UDP-Lite) socket? */
static bool udp_is_udp(int fd)
{
	int type = 0, proto = 0;
	socklen_t l = sizeof(type);

	if (real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 ||
	    type != SOCK_DGRAM)
		return false;
	l = sizeof(proto);
	if (real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) < 0)
		return true; /* unknown: fail closed as UDP */
	return proto == 0 || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE;
}

static bool udp_same(const struct net_ip *a, const struct net_ip *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16) == 0;
}

/* The verdict for UDP to @ip:@port: 0 or -EACCES (logged once here). */
static int udp_verdict(const struct net_ip *ip, uint16_t port)
{
	struct rule_query q;
	struct rule_result r;
	char name[NET_HOST_MAX + 1];
	char dest[NET_HOST_MAX + 16], ipt[64];

	memset(&q, 0, sizeof(q));
	q.command = CONF_CMD_UDP;
	q.port = port;
	if (fakedns_is_fake(ip)) {
		if (fakedns_lookup(ip, name, sizeof(name)) < 0) {
			LOG_ERR("UDP to %s:%u: a fake address with no name "
				"behind it; refused",
				net_ip_format(ip, ipt, sizeof(ipt)), port);
			return -EACCES;
		}
		q.hostname = name;
		snprintf(dest, sizeof(dest), "%.200s:%u", name, port);
	} else {
		q.has_ip = true;
		q.ip = *ip;
		net_ip_format(ip, ipt, sizeof(ipt));
		if (ip->family == AF_INET6)
			snprintf(dest, sizeof(dest), "[%s]:%u", ipt, port);
		else
			snprintf(dest, sizeof(dest), "%s:%u", ipt, port);
	}
	switch (socksify_route(&q, &r)) {
	case RULE_DENY:
		return -EACCES; /* socksify_route logged the denial */
	case RULE_PROXY:
		LOG_ERR("UDP to %s refused: UDP through a SOCKS proxy is not "
			"supported yet",
			dest);
		return -EACCES;
	case RULE_DIRECT:
		break;
	}
	if (q.hostname) {
		/* Direct by name, but the program holds a fake address that
		 * reaches nobody: refuse rather than send into the void. */
		LOG_ERR("UDP to %s refused: direct UDP to a faked name is not "
			"supported yet",
			dest);
		return -EACCES;
	}
	LOG_DBG("UDP to %s: direct", dest);
	return 0;
}

/* The cached verdict of @e for @ip:@port, or 1 when not cached. */
static int udp_cached(struct fdt_entry *e, const struct net_ip *ip,
		      uint16_t port)
{
	struct udp_sock *u = fdt_payload(e);
	int rc = 1;

	fdt_lock(e);
	if (u->valid && u->port == port && udp_same(&u->ip, ip))
		rc = u->verdict;
	fdt_unlock(e);
	return rc;
}

static void udp_cache(struct fdt_entry *e, const struct net_ip *ip,
		      uint16_t port, int verdict)
{
	struct udp_sock *u = fdt_payload(e);

	fdt_lock(e);
	u->valid = true;
	u->ip = *ip;
	u->port = port;
	u->verdict = verdict;
	fdt_unlock(e);
}

/* Contract: kind_udp.h. */
int udp_check(int fd, const struct sockaddr *sa, socklen_t len, bool verify)
{
	struct fdt_entry *e;
	struct net_ip ip;
	uint16_t port = 0;
	uint8_t kind = fdt_kind_of(fd);
	int saved = errno, rc;

	if (kind != FDT_UDP || verify) {
		bool udp = udp_is_udp(fd);

		errno = saved;
		if (!udp) {
			/* Stale: closed where no hook saw it, number reused. */
			if (kind == FDT_UDP)
				fdt_put(fdt_take(fd));
			return 1;
		}
		if (kind == FDT_TCP) {
			/* A TCP mark that outlived its socket. */
			fdt_put(fdt_take(fd));
			kind = FDT_NONE;
		}
	}
	if (kind == FDT_NONE) {
		e = fdt_alloc(FDT_UDP, &udp_ops, sizeof(struct udp_sock));
		if (e) {
			e->cookie = fdt_socket_cookie(fd);
			(void)fdt_attach(fd, e, FDT_UDP); /* beyond: uncached */
			fdt_put(e);
		}
		errno = saved;
	}
	if (net_ip_from_sockaddr(&ip, &port, sa, len) < 0) {
		errno = saved;
		return 0; /* malformed: the kernel says what is wrong */
	}
	e = fdt_get(fd);
	if (e && e->kind != FDT_UDP) {
		fdt_put(e);
		e = NULL;
	}
	rc = e ? udp_cached(e, &ip, port) : 1;
	if (rc == 1) {
		rc = udp_verdict(&ip, port);
		if (e)
			udp_cache(e, &ip, port, rc);
	}
	fdt_put(e);
	errno = saved;
	return rc;
}

/* Contract: kind_udp.h. */
bool udp_unspec_as_inet(int fd, const struct sockaddr *sa, socklen_t len,
			struct sockaddr_in *out)
{
	int domain = 0, type = 0, saved = errno;
	socklen_t l = sizeof(int);
	bool v4;

	if (!sa || len < (socklen_t)sizeof(*out) || sa->sa_family != AF_UNSPEC)
		return false;
	v4 = real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) == 0 &&
	     domain == AF_INET &&
	     real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == 0 &&
	     type == SOCK_DGRAM;
	errno = saved;
	if (!v4)
		return false;
	memcpy(out, sa, sizeof(*out));
	out->sin_family = AF_INET;
	return true;
}
