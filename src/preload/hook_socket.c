// SPDX-License-Identifier: MIT
/*
 * socket(2), and the destinations of IP sockets SOCKS cannot carry.
 *
 * SOCKS carries TCP (CONNECT, BIND) and UDP (UDP ASSOCIATE) only.  An
 * AF_INET/AF_INET6 socket of any other kind would put packets on the wire
 * around the proxy: SOCK_RAW, ICMP/ICMPv6 "ping" sockets (SOCK_DGRAM with
 * IPPROTO_ICMP/IPPROTO_ICMPV6), SCTP (SOCK_STREAM or SOCK_SEQPACKET with
 * IPPROTO_SCTP), DCCP (SOCK_DCCP), SOCK_PACKET, and any protocol but TCP,
 * MPTCP, UDP and UDP-Lite.  socket() refuses such a socket with EACCES and
 * one log line, unless a route of the config names command "raw" with
 * via "direct" (a raw route via a proxy is a config error).  Non-IP
 * families (AF_UNIX, AF_NETLINK, AF_PACKET, ...) pass through untouched,
 * as do TCP and UDP sockets (their destinations are routed by connect,
 * sendto, sendmsg and sendmmsg).
 *
 * An allowed raw socket is marked FDT_RAW.  Each destination it is given
 * (connect, sendto, sendmsg, sendmmsg) must then match a "raw" route
 * whose via is "direct": the query carries command "raw", the address and,
 * for SCTP and DCCP, the port (raw and ICMP have none: port 0, on which a
 * ports condition holds).  Anything else fails with EACCES.  What is
 * checked is the socket address; the header a program writes itself
 * (IP_HDRINCL, IPPROTO_RAW) is not looked at: a raw route trusts the
 * program with every address it lets through.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "preload/fakedns.h"
#include "preload/hook_socket.h"
#include "preload/hooks.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#ifndef SOCK_DCCP
#define SOCK_DCCP 6
#endif
#define SOCK_TYPE_MASK 0xf /* type without SOCK_NONBLOCK, SOCK_CLOEXEC */

static inline bool sock_is_ip(int domain)
{
	return domain == AF_INET || domain == AF_INET6;
}

/*
 * Can SOCKS carry a socket of @type (flags masked off) and @protocol?
 * TCP: SOCK_STREAM with 0, IPPROTO_TCP or IPPROTO_MPTCP; UDP: SOCK_DGRAM
 * with 0, IPPROTO_UDP or IPPROTO_UDPLITE.
 */
static inline bool sock_socks_can_carry(int type, int protocol)
{
	if (type == SOCK_STREAM)
		return protocol == 0 || protocol == IPPROTO_TCP ||
		       protocol == IPPROTO_MPTCP;
	if (type == SOCK_DGRAM)
		return protocol == 0 || protocol == IPPROTO_UDP ||
		       protocol == IPPROTO_UDPLITE;
	return false;
}

/* What the user reads in a log line for such a socket. */
static const char *sock_kind_text(int domain, int type, int protocol, char *buf,
				  size_t cap)
{
	const char *fam = domain == AF_INET6 ? "IPv6" : "IPv4";

	if (type == SOCK_RAW)
		snprintf(buf, cap, "raw %s socket (protocol %d)", fam,
			 protocol);
	else if (type == SOCK_DGRAM &&
		 (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6))
		snprintf(buf, cap, "ICMP %s socket (ping)", fam);
	else if (protocol == IPPROTO_SCTP)
		snprintf(buf, cap, "SCTP %s socket", fam);
	else if (type == SOCK_DCCP)
		snprintf(buf, cap, "DCCP %s socket", fam);
	else
		snprintf(buf, cap, "%s socket of type %d, protocol %d", fam,
			 type, protocol);
	return buf;
}

/* Does some route of @c allow command "raw" (always direct)? */
static bool sock_raw_routed(const struct conf *c)
{
	for (size_t i = 0; c && i < c->nroutes; i++)
		if ((c->routes[i].commands & CONF_CMD_RAW) &&
		    c->routes[i].via == CONF_VIA_DIRECT)
			return true;
	return false;
}

/*
 * The slow part of socket(): an IP socket SOCKS cannot carry.  Refused
 * (-EACCES, logged) unless a raw route exists; an allowed one is created
 * and marked FDT_RAW, so that its destinations are checked.  Returns the
 * new fd or -errno.
 */
static int sock_create_raw(int domain, int type, int protocol)
{
	char what[96];
	struct fdt_entry *e;
	int fd, t = type & SOCK_TYPE_MASK;

	sock_kind_text(domain, t, protocol, what, sizeof(what));
	if (!sock_raw_routed(socksify_conf())) {
		LOG_ERR("%s refused: SOCKS carries only TCP and UDP, and no "
			"route allows command \"raw\"",
			what);
		return -EACCES;
	}
	fd = real.socket(domain, type, protocol);
	if (fd < 0)
		return -errno;
	e = fdt_alloc(FDT_RAW);
	if (!e || fdt_set(fd, e, FDT_RAW) < 0) {
		/* Unmarked, its destinations would go unchecked. */
		fdt_put(e);
		real.close(fd);
		LOG_ERR("%s refused: fd %d is beyond the library's table", what,
			fd);
		return -EACCES;
	}
	fdt_put(e);
	LOG_DBG("fd %d: %s allowed by a raw route", fd, what);
	return fd;
}

HOOK_SLOW int socket_slow(int domain, int type, int protocol)
{
	int saved = errno, rc;

	HOOK_INIT(socket);
	if (hook_passthrough() || !sock_is_ip(domain) ||
	    sock_socks_can_carry(type & SOCK_TYPE_MASK, protocol))
		return real.socket(domain, type, protocol);
	socksify_init();
	rc = sock_create_raw(domain, type, protocol);
	return hook_ret_saved(rc, saved);
}

/* TCP, UDP and every non-IP family: straight to libc. */
SOCKSIFY_EXPORT int socket(int domain, int type, int protocol)
{
	HOOK_TAIL(socket,
		  !sock_is_ip(domain) ||
			  sock_socks_can_carry(type & SOCK_TYPE_MASK, protocol),
		  socket_slow, domain, type, protocol);
}

/*
 * What socket is behind @fd: its family, type and protocol.  Returns false
 * when @fd is no socket (or does not say).
 */
static bool sock_identify(int fd, int *domain, int *type, int *protocol)
{
	socklen_t l = sizeof(int);

	if (real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, domain, &l) < 0)
		return false;
	l = sizeof(int);
	if (real.getsockopt(fd, SOL_SOCKET, SO_TYPE, type, &l) < 0)
		return false;
	l = sizeof(int);
	return real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, protocol, &l) == 0;
}

/*
 * Route destination @ip:@port of a raw socket.  0 (a raw route, direct)
 * or -EACCES (a deny route or no raw route: socksify_route logged it; a
 * fake address: logged here).
 */
static int sock_raw_verdict(const struct net_ip *ip, uint16_t port)
{
	struct rule_query q;
	struct rule_result r;
	char ipt[64];

	if (fakedns_is_fake(ip)) {
		LOG_ERR("raw socket to %s refused: a placeholder address for "
			"a name only the proxy resolves",
			net_ip_format(ip, ipt, sizeof(ipt)));
		return -EACCES;
	}
	memset(&q, 0, sizeof(q));
	q.command = CONF_CMD_RAW;
	q.has_ip = true;
	q.ip = *ip;
	q.port = port;
	switch (socksify_route(&q, &r)) {
	case RULE_DIRECT:
		return 0;
	case RULE_PROXY: /* the parser refuses such routes */
		LOG_ERR("raw socket to %s refused: raw cannot go via a proxy",
			net_ip_format(ip, ipt, sizeof(ipt)));
		return -EACCES;
	case RULE_DENY:
	default:
		return -EACCES;
	}
}

/* Contract: hook_socket.h. */
int hook_raw_check(int fd, const struct sockaddr *sa, socklen_t len,
		   bool sending)
{
	struct sockaddr_storage ss;
	int domain = 0, type = 0, protocol = 0, saved = errno, rc;
	struct net_ip ip;
	uint16_t port = 0;

	if (!sock_identify(fd, &domain, &type, &protocol) ||
	    !sock_is_ip(domain) || sock_socks_can_carry(type, protocol)) {
		/* Closed where no hook saw it and the number reused. */
		fdt_put(fdt_take(fd));
		errno = saved;
		return 1;
	}
	errno = saved;
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return 0; /* the connected peer, checked at connect */
	if (sending && sa->sa_family == AF_UNSPEC &&
	    len <= (socklen_t)sizeof(ss)) {
		/* Raw sockets send to an AF_UNSPEC address as to one of
		 * their own family (raw_sendmsg, rawv6_sendmsg). */
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, sa, len);
		ss.ss_family = (sa_family_t)domain;
		sa = (const struct sockaddr *)&ss;
	}
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return 0; /* AF_UNSPEC connect dissolves; others: EAFNOSUPPORT */
	rc = net_ip_from_sockaddr(&ip, &port, sa, len);
	if (rc < 0)
		return 0; /* a length the kernel refuses too */
	if (type == SOCK_RAW || type == SOCK_DGRAM)
		port = 0; /* raw and ICMP: no port */
	return sock_raw_verdict(&ip, port);
}

/* Contract: hook_socket.h. */
int hook_raw_check_mmsg(int fd, const struct mmsghdr *vec, unsigned int *n)
{
	for (unsigned int i = 0; i < *n; i++) {
		const struct msghdr *m = &vec[i].msg_hdr;
		int rc = hook_raw_check(fd, m->msg_name, m->msg_namelen, true);

		if (rc != 0) {
			if (rc == 1 || i == 0)
				return rc;
			*n = i; /* send those before the refused one */
			break;
		}
	}
	return 0;
}

/* Contract: hook_socket.h. */
bool hook_unspec_as_inet(int fd, const struct sockaddr *sa, socklen_t len,
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
