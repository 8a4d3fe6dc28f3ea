// SPDX-License-Identifier: MIT
/*
 * listen(2), accept(2), accept4(2): a TCP listener whose expected peer the
 * routes send (command "bind") via a proxy waits for that peer at the
 * proxy through a SOCKS BIND (kind_listen.c); direct listeners, those
 * bound to a loopback address and non-IP sockets are the kernel's.  This
 * file classifies and routes; it keeps no state.
 *
 * The expected peer (the BIND's DST.ADDR, which the proxy checks the
 * connecting host against, and what the routes are matched with) is
 * socks.conf's bind_peer: "auto" (the default) takes the destination of
 * the program's most recent connection through the proxy the routes pick
 * for it (how active FTP works: the data connection comes from the
 * control connection's server; kind_tcp.c keeps the record).  With no
 * such connection yet the listener stays an ordinary one: a server's
 * listener is not a BIND.  "any" asks for any peer (0.0.0.0 or ::), an
 * address names it.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "common/log.h"
#include "preload/hooks.h"
#include "preload/kind_listen.h"
#include "preload/kind_tcp.h"

/*
 * A TCP socket of family AF_INET/AF_INET6 that is neither connected nor
 * listening, bound (if at all) to a non-loopback address: *@family gets
 * its family.  Anything else is the kernel's.
 */
static bool hook_listen_candidate(int fd, int *family)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct net_ip ip;
	uint16_t port;
	uint8_t state = 0;
	socklen_t l = sizeof(state);

	if ((unsigned)fd >= atomic_load(&fdt_cap) ||
	    real.getsockname(fd, (struct sockaddr *)&ss, &sl) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return false;
	/* TCP_INFO: TCP only; tcpi_state, its first byte, must be CLOSE. */
	if (real.getsockopt(fd, IPPROTO_TCP, TCP_INFO, &state, &l) < 0 ||
	    l != sizeof(state) || state != TCP_CLOSE)
		return false;
	if (net_ip_from_sockaddr(&ip, &port, (struct sockaddr *)&ss, sl) < 0 ||
	    net_ip_is_loopback(&ip))
		return false;
	*family = ss.ss_family;
	return true;
}

/*
 * The expected peer of a listener of @family into @peer, and the proxy of
 * the connection it comes from into *@via (NULL when set by the config).
 * Returns 0, 1 (no peer: an ordinary listener) or -errno.
 */
static int hook_bind_peer(const struct conf *conf, int family,
			  struct socks_addr *peer,
			  const struct conf_proxy **via)
{
	static const uint8_t zero[16];

	*via = NULL;
	switch (conf->bind_peer) {
	case CONF_BIND_PEER_ADDR:
		if (conf->bind_peer_ip.family == AF_INET)
			socks_addr_set_ip4(peer, conf->bind_peer_ip.b, 0);
		else if (family == AF_INET6)
			socks_addr_set_ip6(peer, conf->bind_peer_ip.b, 0);
		else
			return -EAFNOSUPPORT;
		return 0;
	case CONF_BIND_PEER_ANY:
		if (family == AF_INET)
			socks_addr_set_ip4(peer, zero, 0);
		else
			socks_addr_set_ip6(peer, zero, 0);
		return 0;
	default:
		if (tcp_recent_peer(NULL, family, peer, via) < 0) {
			LOG_DBG("listen: no connection through a proxy yet: "
				"an ordinary listener");
			return 1;
		}
		return 0;
	}
}

/* listen(@fd, @backlog): 1 for the real call, else 0 or -errno. */
static int hook_listen_route(int fd, int backlog)
{
	const struct conf *conf = socksify_conf();
	const struct conf_proxy *via;
	struct socks_addr peer, same;
	struct rule_query q;
	struct rule_result r;
	char text[SOCKS_ADDR_STRLEN];
	int family, rc;

	/* Ours already (a second listen sets the loopback backlog), or
	 * another kind: the kernel's. */
	if (fdt_peek(fd) || !hook_listen_candidate(fd, &family))
		return 1;
	if (!conf)
		return -EACCES; /* fails closed, as routing would */
	rc = hook_bind_peer(conf, family, &peer, &via);
	if (rc != 0)
		return rc;

	memset(&q, 0, sizeof(q));
	q.command = CONF_CMD_BIND;
	q.port = peer.port;
	if (peer.type == SOCKS5_ATYP_DOMAINNAME) {
		q.hostname = peer.u.name;
	} else {
		q.has_ip = true;
		q.ip.family =
			peer.type == SOCKS5_ATYP_IPV4 ? AF_INET : AF_INET6;
		memcpy(q.ip.b, peer.u.ip6, q.ip.family == AF_INET ? 4 : 16);
	}
	switch (socksify_route(&q, &r)) {
	case RULE_DIRECT:
		LOG_DBG("listen on fd %d: peer %s routed direct: an ordinary "
			"listener",
			fd, socks_addr_format(&peer, text, sizeof(text)));
		return 1;
	case RULE_DENY:
		return -EACCES;
	case RULE_PROXY:
		break;
	}
	/* The peer of the latest connection through that same proxy. */
	if (via && r.nproxies && r.proxies[0] != via &&
	    tcp_recent_peer(r.proxies[0], family, &same, NULL) == 0)
		peer = same;
	return lsn_listen(fd, backlog, &r, &peer);
}

SOCKSIFY_EXPORT int listen(int fd, int backlog)
{
	int rc, saved = errno;

	HOOK_INIT(listen);
	if (hook_passthrough())
		return real.listen(fd, backlog);
	socksify_init();
	rc = hook_listen_route(fd, backlog);
	if (rc == 1) {
		errno = saved;
		return real.listen(fd, backlog);
	}
	return hook_ret_saved(rc, saved);
}

/* accept4 on a listener of ours (or one that was: then the kernel's). */
HOOK_SLOW int accept4_slow(int fd, struct sockaddr *sa, socklen_t *len,
			   int flags)
{
	bool ours;
	int rc, saved = errno;

	HOOK_INIT(accept4);
	if (hook_passthrough())
		return real.accept4(fd, sa, len, flags);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return hook_ret(-EINVAL);
	rc = lsn_accept(fd, sa, len, flags, &ours);
	if (!ours) {
		errno = saved;
		return real.accept4(fd, sa, len, flags);
	}
	return hook_ret_saved(rc, saved);
}

HOOK_SLOW int accept_slow(int fd, struct sockaddr *sa, socklen_t *len)
{
	return accept4_slow(fd, sa, len, 0);
}

SOCKSIFY_EXPORT int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	HOOK_TAIL(accept, fdt_kind_of(fd) != FDT_LISTEN, accept_slow, fd, sa,
		  len);
}

SOCKSIFY_EXPORT int accept4(int fd, struct sockaddr *sa, socklen_t *len,
			    int flags)
{
	HOOK_TAIL(accept4, fdt_kind_of(fd) != FDT_LISTEN, accept4_slow, fd, sa,
		  len, flags);
}
