// SPDX-License-Identifier: MIT
/*
 * connect(2): TCP over IPv4/IPv6 goes where the routes say: direct, denied
 * (EACCES), or through a proxy on the program's own socket (same fd, flags
 * and options; the connection itself is kind_tcp.c's).  A UDP destination
 * is checked by kind_udp.c.  Everything else (AF_UNIX, netlink, ...)
 * passes through.  This file classifies and routes; it keeps no state.
 *
 * Proxy failover: proxies of the route are tried in order while none could
 * be reached (connect refused, unreachable, or no answer within the
 * timeout).  The program's socket is reused for each attempt: on Linux a
 * TCP socket whose connect failed, or that was dissolved with
 * connect(AF_UNSPEC), can connect again, so no socket is replaced and the
 * program's options and flags stay.  Once a proxy answered, its verdict is
 * final (no failover after a SOCKS reply).  An AF_INET socket cannot reach
 * an IPv6 proxy: such proxies are skipped (-EAFNOSUPPORT if none is left);
 * an AF_INET6 socket reaches an IPv4 proxy through its v4-mapped address.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/log.h"
#include "preload/fakedns.h"
#include "preload/hooks.h"
#include "preload/kind_raw.h"
#include "preload/kind_tcp.h"
#include "preload/kind_udp.h"

/*
 * Until the resolver's fakedns.c is linked in, nothing is fake.  These
 * weak definitions give way to the real ones.
 */
__attribute__((weak)) bool fakedns_is_fake(const struct net_ip *ip)
{
	(void)ip;
	return false;
}

__attribute__((weak)) int fakedns_lookup(const struct net_ip *ip, char *name,
					 size_t cap)
{
	(void)ip;
	(void)name;
	(void)cap;
	return -EINVAL;
}

/* What one TCP_INFO probe tells about a socket (hook_tcp_probe). */
enum hook_probe {
	HOOK_PROBE_UNKNOWN, /* not answered: classify the long way */
	HOOK_PROBE_FRESH,   /* TCP, no peer yet: to be routed */
	HOOK_PROBE_PEER	    /* TCP with a peer: the kernel's EISCONN */
};

/*
 * Classify @fd with one getsockopt instead of four (SO_TYPE for UDP,
 * SO_TYPE and SO_PROTOCOL for TCP, getpeername for EISCONN): TCP_INFO is
 * answered only at the TCP level of a TCP socket (MPTCP answers for its
 * first subflow); UDP, raw, SCTP and AF_UNIX sockets refuse it.  Only
 * tcpi_state, its first byte, is copied.  getpeername(2) fails with
 * ENOTCONN exactly in the states CLOSE, SYN_SENT and LISTEN; any other
 * state has a peer.  A refusal (old kernel, MPTCP without TCP_INFO, a
 * cgroup hook) is HOOK_PROBE_UNKNOWN: the caller then asks as before.
 */
static enum hook_probe hook_tcp_probe(int fd)
{
	uint8_t state = 0;
	socklen_t l = sizeof(state);

	if (real.getsockopt(fd, IPPROTO_TCP, TCP_INFO, &state, &l) < 0 ||
	    l != sizeof(state))
		return HOOK_PROBE_UNKNOWN;
	switch (state) {
	case TCP_CLOSE:
	case TCP_SYN_SENT:
	case TCP_LISTEN:
		return HOOK_PROBE_FRESH;
	default:
		return HOOK_PROBE_PEER;
	}
}

/* Is @fd a TCP socket?  (SOCK_STREAM with IPPROTO_TCP or MPTCP.) */
static bool hook_is_tcp(int fd)
{
	int type = 0, proto = 0;
	socklen_t l = sizeof(type);

	if (real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0 ||
	    type != SOCK_STREAM)
		return false;
	l = sizeof(proto);
	if (real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) < 0)
		return true;
	/* Multipath TCP is TCP to the proxy too (IPPROTO_MPTCP, 262). */
	return proto == IPPROTO_TCP || proto == 262;
}

/* Text of a destination for logs. */
static const char *hook_dest_text(const struct socks_addr *a, char *buf,
				  size_t cap)
{
	return socks_addr_format(a, buf, cap);
}

/*
 * hook_connect_route() for a socket already classified by @probe
 * (HOOK_PROBE_UNKNOWN: not yet; SO_TYPE, SO_PROTOCOL and getpeername
 * decide here).
 */
static int hook_connect_probed(int fd, const struct sockaddr *sa, socklen_t len,
			       const void *early, size_t nearly, size_t *taken,
			       enum hook_probe probe)
{
	struct rule_query q;
	struct rule_result r;
	struct net_ip ip;
	struct socks_addr dst;
	char name[NET_HOST_MAX + 1];
	char text[SOCKS_ADDR_STRLEN];
	uint16_t port = 0;
	bool fake = false;
	int rc;

	/* Classify. */
	if (!sa || len < sizeof(sa_family_t) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return 1;
	if (net_ip_from_sockaddr(&ip, &port, sa, len) < 0)
		return 1;
	if (probe == HOOK_PROBE_PEER)
		return 1; /* already connected: the kernel's EISCONN */
	if (probe == HOOK_PROBE_UNKNOWN) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);

		if (!hook_is_tcp(fd))
			return 1;
		/* Already connected: the kernel's EISCONN, not a route. */
		if (real.getpeername(fd, (struct sockaddr *)&peer, &plen) == 0)
			return 1;
	}

	memset(&q, 0, sizeof(q));
	q.command = CONF_CMD_CONNECT;
	q.port = port;
	if (fakedns_is_fake(&ip)) {
		rc = fakedns_lookup(&ip, name, sizeof(name));
		if (rc < 0) {
			char ipt[64];

			LOG_ERR("%s is a fake address with no name behind it; "
				"refusing to connect",
				net_ip_format(&ip, ipt, sizeof(ipt)));
			return -EHOSTUNREACH;
		}
		fake = true;
		q.hostname = name;
		if (socks_addr_set_name(&dst, name, strlen(name), port) < 0)
			return -EHOSTUNREACH;
	} else {
		q.has_ip = true;
		q.ip = ip;
		if (socks_addr_from_sockaddr(&dst, sa, len) < 0)
			return 1;
	}

	/* Policy. */
	switch (socksify_route(&q, &r)) {
	case RULE_DIRECT:
		if (fake)
			return tcp_connect_direct_name(fd, sa, name, port);
		LOG_DBG("%s: direct", hook_dest_text(&dst, text, sizeof(text)));
		return 1;
	case RULE_DENY:
		return -EACCES;
	case RULE_PROXY:
		break;
	}

	/* Driver. */
	return tcp_connect(fd, sa, len, &r, &dst, early, nearly, taken);
}

/* Contract: hooks.h. */
int hook_connect_route(int fd, const struct sockaddr *sa, socklen_t len,
		       const void *early, size_t nearly, size_t *taken)
{
	return hook_connect_probed(fd, sa, len, early, nearly, taken,
				   HOOK_PROBE_UNKNOWN);
}

SOCKSIFY_EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	enum hook_probe probe = HOOK_PROBE_UNKNOWN;
	int rc, saved = errno;

	HOOK_INIT(connect);
	if (hook_passthrough())
		return real.connect(fd, sa, len);
	socksify_init();
	/*
	 * A managed TCP fd: what the kernel would say for a connection in
	 * progress (EALREADY), up (EISCONN) or failed (the error, once); a
	 * failure reported before, or a mark that outlived its socket, makes
	 * it a new fd (no longer managed) to be classified below.
	 */
	if (raw_is(fd) && (rc = raw_check(fd, sa, len, false)) <= 0)
		return rc ? hook_ret_saved(rc, saved)
			  : real.connect(fd, sa, len);
	if (fdt_kind_of(fd) == FDT_TCP) {
		rc = fdt_op_reconnect(fd);
		if (rc != 1)
			return hook_ret_saved(rc, saved);
		errno = saved;
	}
	if (udp_candidate(fd, sa, len)) {
		/*
		 * An fd we know nothing of is most likely a fresh TCP socket:
		 * one probe says so, and then it cannot be UDP.  An fd marked
		 * UDP, or one the probe cannot tell, is checked as UDP first.
		 */
		if (fdt_kind_of(fd) == FDT_NONE)
			probe = hook_tcp_probe(fd);
		if (probe == HOOK_PROBE_UNKNOWN) {
			rc = udp_check(fd, sa, len, true);
			if (rc < 0)
				return hook_ret_saved(rc, saved);
			if (rc != 1 && fdt_kind_of(fd) == FDT_UDP)
				rc = udp_connect(fd, sa, len, rc);
			if (rc == UDP_VIA_PROXY)
				rc = -EACCES; /* no entry to carry it */
			if (rc == 0 || rc == 1) {
				errno = saved;
				return rc ? real.connect(fd, sa, len) : 0;
			}
			if (rc < 0)
				return hook_ret_saved(rc, saved);
		}
	} else if (sa && len >= sizeof(sa_family_t) &&
		   sa->sa_family == AF_UNSPEC &&
		   fdt_peek(fd) == (FDT_UDP | FDT_F_INTERCEPT)) {
		/* Dissolving an associated socket's connection. */
		rc = udp_connect(fd, sa, len, 0);
		if (rc <= 0)
			return hook_ret_saved(rc, saved);
		errno = saved;
		return real.connect(fd, sa, len);
	}
	rc = hook_connect_probed(fd, sa, len, NULL, 0, NULL, probe);
	if (rc == 1) {
		errno = saved;
		return real.connect(fd, sa, len);
	}
	return hook_ret_saved(rc, saved);
}
