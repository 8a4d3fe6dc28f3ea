// SPDX-License-Identifier: MIT
/*
 * UDP sockets in the registry (kind_udp.h): classification, routing per
 * datagram, connect(), and the kind's operations.  A datagram (or a UDP
 * connect) goes where its "udp" route says: DIRECT passes through, DENY
 * fails with EACCES, PROXY goes through the socket's UDP ASSOCIATE
 * (udp_assoc.c, udp_io.c).  A route whose proxies are all SOCKS4/4A fails
 * with EACCES too (SOCKS4 has no UDP): never direct.  A fake address
 * (fakedns.h) stands for its name: the datagram goes to the proxy as
 * DOMAINNAME; one routed direct is refused (it could reach nobody).
 *
 * Cost: an fd is classified once, on its first IPv4/IPv6 destination
 * (SO_TYPE, SO_PROTOCOL); UDP sockets become FDT_UDP and keep the last
 * destination with its verdict and datagram header, so repeated
 * datagrams to the same peer walk no rules.  Other sockets stay unmarked;
 * a UDP socket that never used a proxy keeps the byte's fast path (no
 * FDT_F_INTERCEPT).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "preload/fakedns.h"
#include "preload/init.h"
#include "preload/kind_udp.h"
#include "preload/real.h"
#include "preload/udp_assoc.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

/* Is @fd a UDP (or UDP-Lite) socket?  *@family gets its domain. */
static bool udp_is_udp(int fd, int *family)
{
	int type = 0, proto = 0;
	socklen_t l = sizeof(type);

	if (real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 ||
	    type != SOCK_DGRAM)
		return false;
	l = sizeof(*family);
	if (real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, family, &l) < 0)
		*family = AF_INET;
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

/* Is any proxy of @r a SOCKS5 one (UDP ASSOCIATE)? */
static bool udp_route_has_v5(const struct rule_result *r)
{
	for (size_t i = 0; i < r->nproxies; i++)
		if (r->proxies[i]->url.scheme != NET_SCHEME_SOCKS4 &&
		    r->proxies[i]->url.scheme != NET_SCHEME_SOCKS4A)
			return true;
	return false;
}

/* Contract: udp_assoc.h. */
int udp_route(const struct sockaddr *sa, socklen_t len, struct rule_result *r,
	      struct socks_addr *dst)
{
	struct rule_query q;
	struct net_ip ip;
	uint16_t port = 0;
	char name[NET_HOST_MAX + 1];
	char text[SOCKS_ADDR_STRLEN], ipt[64];

	if (net_ip_from_sockaddr(&ip, &port, sa, len) < 0)
		return 0; /* malformed: the kernel says what is wrong */
	memset(&q, 0, sizeof(q));
	q.command = CONF_CMD_UDP;
	q.port = port;
	if (fakedns_is_fake(&ip)) {
		if (fakedns_lookup(&ip, name, sizeof(name)) < 0 ||
		    socks_addr_set_name(dst, name, strlen(name), port) < 0) {
			LOG_ERR("UDP to %s:%u: a fake address with no name "
				"behind it; refused",
				net_ip_format(&ip, ipt, sizeof(ipt)), port);
			return -EACCES;
		}
		q.hostname = name;
	} else {
		q.has_ip = true;
		q.ip = ip;
		if (socks_addr_from_sockaddr(dst, sa, len) < 0)
			return 0;
	}
	socks_addr_format(dst, text, sizeof(text));
	switch (socksify_route(&q, r)) {
	case RULE_DENY:
		return -EACCES; /* socksify_route logged the denial */
	case RULE_PROXY:
		if (!udp_route_has_v5(r)) {
			LOG_ERR("UDP to %s refused: its proxy %.64s speaks "
				"SOCKS4, which cannot carry UDP",
				text, r->proxies[0]->name);
			return -EACCES;
		}
		LOG_DBG("UDP to %s: via %.64s", text, r->proxies[0]->name);
		return UDP_VIA_PROXY;
	case RULE_DIRECT:
		break;
	}
	if (q.hostname) {
		/* Direct by name, but the program holds a fake address that
		 * reaches nobody: refuse rather than send into the void. */
		LOG_ERR("UDP to %s refused: direct UDP to a faked name is not "
			"supported",
			text);
		return -EACCES;
	}
	LOG_DBG("UDP to %s: direct", text);
	return 0;
}

/* Remember that datagrams go to the name behind fake @sa (e->lock held):
 * replies from the relay are reported as coming from @sa. */
static void udp_note_name(struct udp_sock *u, const struct socks_addr *dst,
			  const struct sockaddr *sa, socklen_t len)
{
	struct udp_name *n;

	if (dst->type != SOCKS5_ATYP_DOMAINNAME)
		return;
	for (unsigned i = 0; i < UDP_NAMES; i++)
		if (u->names[i].used && u->names[i].port == dst->port &&
		    strcmp(u->names[i].name, dst->u.name) == 0)
			return;
	n = &u->names[u->next_name++ % UDP_NAMES];
	n->used = true;
	n->port = dst->port;
	memcpy(n->name, dst->u.name, (size_t)dst->len + 1);
	n->fakelen = len < sizeof(n->fake) ? len : sizeof(n->fake);
	memcpy(&n->fake, sa, n->fakelen);
}

/* Contract: udp_assoc.h. */
int udp_dest(struct udp_sock *u, const struct sockaddr *sa, socklen_t len,
	     struct rule_result *r)
{
	struct socks_addr dst;
	struct net_ip ip;
	uint16_t port = 0;
	int v;

	if (net_ip_from_sockaddr(&ip, &port, sa, len) < 0)
		return 0;
	if (u->valid && u->port == port && udp_same(&u->ip, &ip)) {
		r->proxies = u->route_px;
		r->nproxies = u->route_npx;
		return u->verdict;
	}
	memset(r, 0, sizeof(*r));
	v = udp_route(sa, len, r, &dst);
	u->valid = true;
	u->ip = ip;
	u->port = port;
	u->verdict = v;
	u->route_px = r->proxies;
	u->route_npx = r->nproxies;
	u->hdrlen = 0;
	if (v == UDP_VIA_PROXY) {
		int n = udp_hdr_encode(u->hdr, &dst);

		if (n < 0) {
			u->verdict = v = -EINVAL;
		} else {
			u->hdrlen = (size_t)n;
			udp_note_name(u, &dst, sa, len);
		}
	}
	return v;
}

/* Contract: udp_assoc.h. */
void udp_use_direct(struct udp_sock *u, int fd)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};

	u->direct_used = true;
	if (u->kconnected) {
		/* Replies of direct peers must reach the socket now. */
		(void)real.connect(fd, &unspec, sizeof(unspec));
		u->kconnected = false;
	}
}

static void udp_destroy(struct fdt_entry *e)
{
	udp_assoc_destroy(e);
}

static void udp_forget(struct fdt_entry *e, int fd)
{
	udp_assoc_forget(e, fd);
}

static uint8_t udp_dup(struct fdt_entry *e, int fd, int newfd, uint8_t byte)
{
	(void)fd;
	(void)newfd;
	udp_of(e)->nfds++;
	return byte & (FDT_KIND_MASK | FDT_F_INTERCEPT);
}

/* getpeername: the destination the program connected to via the proxy;
 * a socket connected only to the relay has no peer for the program. */
static int udp_peername(struct fdt_entry *e, int fd, struct sockaddr *sa,
			socklen_t *len)
{
	struct udp_sock *u = udp_of(e);

	(void)fd;
	if (u->has_peer) {
		if (!len)
			return -EFAULT;
		if (sa)
			memcpy(sa, &u->peer,
			       *len < u->peerlen ? *len : u->peerlen);
		*len = u->peerlen;
		return 0;
	}
	return u->kconnected ? -ENOTCONN : 1;
}

/* The program changed O_NONBLOCK or SO_RCVTIMEO (hook_settings). */
static void udp_settings(struct fdt_entry *e, int fd, int level, int name)
{
	(void)level;
	(void)name;
	udp_settings_read(udp_of(e), fd);
}

static const struct fdt_ops udp_ops = {
	.name = "udp",
	.destroy = udp_destroy,
	.forget = udp_forget,
	.dup = udp_dup,
	.peername = udp_peername,
	.settings = udp_settings,
	.sendmsg = udp_io_sendmsg,
	.recvmsg = udp_io_recvmsg,
};

/* A new FDT_UDP entry for @fd (a UDP socket of @family), attached. */
static void udp_adopt(int fd, int family)
{
	struct fdt_entry *e =
		fdt_alloc(FDT_UDP, &udp_ops, sizeof(struct udp_sock));
	struct udp_sock *u;

	if (!e)
		return;
	u = udp_of(e);
	u->ctl = -1;
	u->nfds = 1;
	u->family = family;
	u->qtail = &u->q;
	engine_job_init(&u->job, e, fd, &u->cl, NULL);
	e->cookie = fdt_socket_cookie(fd);
	(void)fdt_attach(fd, e, FDT_UDP); /* beyond the table: uncached */
	fdt_put(e);
}

/* Contract: kind_udp.h. */
int udp_check(int fd, const struct sockaddr *sa, socklen_t len, bool verify)
{
	struct fdt_entry *e;
	struct rule_result r;
	struct socks_addr dst;
	uint8_t kind = fdt_kind_of(fd);
	int saved = errno, rc, family = AF_INET;

	if (kind != FDT_UDP || verify) {
		bool udp = udp_is_udp(fd, &family);

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
	if (kind == FDT_NONE)
		udp_adopt(fd, family);
	errno = saved;
	e = fdt_acquire(fd);
	if (e && e->kind != FDT_UDP) {
		fdt_release(e);
		e = NULL;
	}
	if (!e) {
		/* Beyond the table: no association can be kept. */
		rc = udp_route(sa, len, &r, &dst);
		errno = saved;
		return rc == UDP_VIA_PROXY ? -EACCES : rc;
	}
	rc = udp_dest(udp_of(e), sa, len, &r);
	if (rc == 0 && udp_of(e)->st != UA_NONE)
		udp_use_direct(udp_of(e), fd);
	fdt_release(e);
	errno = saved;
	return rc;
}

/* Contract: kind_udp.h. */
int udp_connect(int fd, const struct sockaddr *sa, socklen_t len, int verdict)
{
	struct fdt_entry *e = fdt_acquire(fd);
	struct udp_sock *u;
	struct rule_result r;
	int rc = 1, fl;

	if (!e || e->kind != FDT_UDP) {
		if (e)
			fdt_release(e);
		return verdict == UDP_VIA_PROXY ? -EACCES : 1;
	}
	u = udp_of(e);
	if (sa->sa_family == AF_UNSPEC) {
		/* Dissolve the program's connection (the relay's stays). */
		u->has_peer = false;
		rc = u->kconnected ? 0 : 1;
		goto out;
	}
	if (verdict != UDP_VIA_PROXY) {
		u->has_peer = false;
		if (verdict == 0) {
			u->direct_used = true;
			u->kconnected =
				false; /* the real connect replaces it */
		}
		rc = verdict < 0 ? verdict : 1;
		goto out;
	}
	rc = udp_dest(u, sa, len, &r);
	if (rc != UDP_VIA_PROXY) {
		rc = rc < 0 ? rc : 1;
		goto out;
	}
	u->peerlen = len < sizeof(u->peer) ? len : sizeof(u->peer);
	memcpy(&u->peer, sa, u->peerlen);
	u->has_peer = true;
	fl = real.fcntl(fd, F_GETFL);
	/* UDP connect never waits in the kernel: a non-blocking socket's
	 * association is set up behind it. */
	rc = udp_assoc_ensure(e, fd, &r, fl >= 0 && (fl & O_NONBLOCK));
	if (rc < 0)
		u->has_peer = false;
	else
		fdt_set_byte(fd, FDT_UDP | FDT_F_INTERCEPT);
out:
	fdt_release(e);
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
