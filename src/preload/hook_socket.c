// SPDX-License-Identifier: MIT
/*
 * socket(2): IP sockets SOCKS cannot carry are refused unless a raw route
 * allows them (their destinations are then checked by kind_raw.c).
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
#include "preload/hooks.h"
#include "preload/kind_raw.h"

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
	if (raw_mark(fd) < 0) {
		/* Unmarked, its destinations would go unchecked. */
		real.close(fd);
		LOG_ERR("%s refused: fd %d is beyond the library's table", what,
			fd);
		return -EACCES;
	}
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
