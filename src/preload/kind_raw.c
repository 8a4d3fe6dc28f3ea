// SPDX-License-Identifier: MIT
/*
 * Raw sockets (kind_raw.h): each destination of an IP socket SOCKS cannot
 * carry must match a "raw" route whose via is "direct": the query carries
 * command "raw", the address and, for SCTP and DCCP, the port (raw and
 * ICMP have none: port 0, on which a ports condition holds).  Anything
 * else fails with EACCES.  What is checked is the socket address; the
 * header a program writes itself (IP_HDRINCL, IPPROTO_RAW) is not looked
 * at: a raw route trusts the program with every address it lets through.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "preload/fakedns.h"
#include "preload/init.h"
#include "preload/kind_raw.h"
#include "preload/real.h"

static const struct fdt_ops raw_ops = {.name = "raw"};

/* Contract: kind_raw.h. */
int raw_mark(int fd)
{
	struct fdt_entry *e = fdt_alloc(FDT_RAW, &raw_ops, 0);
	int rc;

	if (!e)
		return -ENOMEM;
	e->cookie = fdt_socket_cookie(fd);
	rc = fdt_set(fd, e, FDT_RAW);
	fdt_put(e);
	return rc;
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

/* Contract: kind_raw.h. */
int raw_check(int fd, const struct sockaddr *sa, socklen_t len, bool sending)
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

/* Contract: kind_raw.h. */
int raw_check_mmsg(int fd, const struct mmsghdr *vec, unsigned int *n)
{
	for (unsigned int i = 0; i < *n; i++) {
		const struct msghdr *m = &vec[i].msg_hdr;
		int rc = raw_check(fd, m->msg_name, m->msg_namelen, true);

		if (rc != 0) {
			if (rc == 1 || i == 0)
				return rc;
			*n = i; /* send those before the refused one */
			break;
		}
	}
	return 0;
}
