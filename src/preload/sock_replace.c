// SPDX-License-Identifier: MIT
/*
 * A program's TCP socket moved to the other IP family (sock_replace.h).
 *
 * What is carried over, and how it is found: each option of sockrep_opts
 * is read from the program's socket and from a fresh reference socket of
 * the same family, type and protocol; only a value that differs is set on
 * the new socket.  The buffer sizes are halved before they are set (the
 * kernel doubles what it is given and getsockopt reports the double).
 * Options that may fail to copy (logged at debug level, then skipped):
 * those needing a privilege the process dropped after setting them
 * (SO_MARK, SO_PRIORITY above 6, SO_BINDTODEVICE, IP_TRANSPARENT), a
 * TCP_CONGESTION algorithm no longer allowed, and any option the running
 * kernel lacks for the new family.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "preload/real.h"
#include "preload/sock_replace.h"

enum sockrep_kind {
	SR_INT,	  /* an int */
	SR_BUF,	  /* an int the kernel doubles: set half of what is read */
	SR_BYTES, /* anything else: struct or string, length as read */
};

/* One option: its level and name on an AF_INET socket, then on an
 * AF_INET6 one (the same for SOL_SOCKET and IPPROTO_TCP). */
struct sockrep_opt {
	const char *name;
	int lvl4, opt4, lvl6, opt6;
	enum sockrep_kind kind;
};

#define SR_OPT(n, l4, o4, l6, o6, k) \
	{                            \
		n, l4, o4, l6, o6, k \
	}
#define SR_SOCK(o, k) SR_OPT(#o, SOL_SOCKET, o, SOL_SOCKET, o, k)
#define SR_TCP(o, k) SR_OPT(#o, IPPROTO_TCP, o, IPPROTO_TCP, o, k)

/* IP_TOS sets the priority too: the IP level goes first, SO_PRIORITY
 * after it. */
static const struct sockrep_opt sockrep_opts[] = {
	{"IP_TOS/IPV6_TCLASS", IPPROTO_IP, IP_TOS, IPPROTO_IPV6, IPV6_TCLASS,
	 SR_INT},
	{"IP_TTL/IPV6_UNICAST_HOPS", IPPROTO_IP, IP_TTL, IPPROTO_IPV6,
	 IPV6_UNICAST_HOPS, SR_INT},
	{"IP_FREEBIND/IPV6_FREEBIND", IPPROTO_IP, IP_FREEBIND, IPPROTO_IPV6,
	 IPV6_FREEBIND, SR_INT},
	{"IP_TRANSPARENT/IPV6_TRANSPARENT", IPPROTO_IP, IP_TRANSPARENT,
	 IPPROTO_IPV6, IPV6_TRANSPARENT, SR_INT},
	SR_SOCK(SO_KEEPALIVE, SR_INT),
	SR_SOCK(SO_LINGER, SR_BYTES),
	SR_SOCK(SO_SNDBUF, SR_BUF),
	SR_SOCK(SO_RCVBUF, SR_BUF),
	SR_SOCK(SO_RCVTIMEO, SR_BYTES),
	SR_SOCK(SO_SNDTIMEO, SR_BYTES),
	SR_SOCK(SO_PRIORITY, SR_INT),
	SR_SOCK(SO_MARK, SR_INT),
	SR_SOCK(SO_REUSEADDR, SR_INT),
	SR_SOCK(SO_REUSEPORT, SR_INT),
	SR_SOCK(SO_OOBINLINE, SR_INT),
	SR_SOCK(SO_BINDTODEVICE, SR_BYTES),
	SR_SOCK(SO_RCVLOWAT, SR_INT),
	SR_SOCK(SO_DONTROUTE, SR_INT),
	SR_SOCK(SO_MAX_PACING_RATE, SR_BYTES),
	SR_SOCK(SO_INCOMING_CPU, SR_INT),
	SR_SOCK(SO_ZEROCOPY, SR_INT),
	SR_TCP(TCP_NODELAY, SR_INT),
	SR_TCP(TCP_CORK, SR_INT),
	SR_TCP(TCP_KEEPIDLE, SR_INT),
	SR_TCP(TCP_KEEPINTVL, SR_INT),
	SR_TCP(TCP_KEEPCNT, SR_INT),
	SR_TCP(TCP_USER_TIMEOUT, SR_INT),
	SR_TCP(TCP_CONGESTION, SR_BYTES),
	SR_TCP(TCP_NOTSENT_LOWAT, SR_INT),
	SR_TCP(TCP_SYNCNT, SR_INT),
	SR_TCP(TCP_WINDOW_CLAMP, SR_INT),
	SR_TCP(TCP_QUICKACK, SR_INT),
	SR_TCP(TCP_MAXSEG, SR_INT),
	SR_TCP(TCP_FASTOPEN_CONNECT, SR_INT),
	SR_TCP(TCP_LINGER2, SR_INT),
	SR_TCP(TCP_THIN_LINEAR_TIMEOUTS, SR_INT),
};

#define SR_VAL_MAX 64 /* IFNAMSIZ, TCP_CA_NAME_MAX, struct linger/timeval */

/* Contract: sock_replace.h. */
bool sockrep_reaches(int fd, int family, int target, bool *v6only)
{
	int on = 0;
	socklen_t l = sizeof(on);

	if (family == AF_INET6 &&
	    real.getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, &l) < 0)
		on = 0;
	if (v6only)
		*v6only = on != 0;
	if (family == AF_INET)
		return target == AF_INET;
	return target == AF_INET6 || !on;
}

/*
 * Copy option @o from @old (family @from) to @new (family @to) if its value
 * differs from the one on @ref, a fresh socket of the old family.
 */
static void sockrep_copy_opt(const struct sockrep_opt *o, int old, int ref,
			     int new, int from, int to)
{
	unsigned char v[SR_VAL_MAX], d[SR_VAL_MAX];
	socklen_t lv = sizeof(v), ld = sizeof(d);
	int lvl = from == AF_INET ? o->lvl4 : o->lvl6;
	int opt = from == AF_INET ? o->opt4 : o->opt6;

	memset(v, 0, sizeof(v));
	memset(d, 0, sizeof(d));
	if (real.getsockopt(old, lvl, opt, v, &lv) < 0)
		return; /* not known here: nothing set */
	if (real.getsockopt(ref, lvl, opt, d, &ld) == 0 && lv == ld &&
	    memcmp(v, d, lv) == 0)
		return; /* the default */
	if (o->kind == SR_BUF) {
		int half;

		memcpy(&half, v, sizeof(half));
		half /= 2;
		memcpy(v, &half, sizeof(half));
	}
	if (setsockopt(new, to == AF_INET ? o->lvl4 : o->lvl6,
		       to == AF_INET ? o->opt4 : o->opt6, v, lv) < 0)
		LOG_DBG("fd %d: option %s not carried over to the new socket "
			"(errno %d)",
			old, o->name, errno);
}

/* The file status flags, owner and signal of @old onto @new.  Returns 0
 * or -errno (only the flags must succeed). */
static int sockrep_copy_fl(int old, int new)
{
	struct f_owner_ex own;
	int fl = real.fcntl(old, F_GETFL), sig;

	if (fl < 0 || real.fcntl(new, F_SETFL, fl) < 0)
		return -errno;
	if (real.fcntl(old, F_GETOWN_EX, &own) == 0 && own.pid != 0 &&
	    real.fcntl(new, F_SETOWN_EX, &own) < 0)
		LOG_DBG("fd %d: F_SETOWN_EX not carried over (errno %d)", old,
			errno);
	sig = real.fcntl(old, F_GETSIG);
	if (sig > 0 && real.fcntl(new, F_SETSIG, sig) < 0)
		LOG_DBG("fd %d: F_SETSIG not carried over (errno %d)", old,
			errno);
	return 0;
}

/*
 * The local port @fd is bound to (0: none) in *@port.  Returns 0, or
 * -EADDRNOTAVAIL when the address is not a wildcard.
 */
static int sockrep_bound_port(int fd, int from, unsigned short *port)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	*port = 0;
	memset(&ss, 0, sizeof(ss));
	if (real.getsockname(fd, (struct sockaddr *)&ss, &l) < 0)
		return -errno;
	if (from == AF_INET) {
		const struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		if (sin->sin_addr.s_addr != htonl(INADDR_ANY))
			return -EADDRNOTAVAIL;
		*port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		if (!IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			return -EADDRNOTAVAIL;
		*port = ntohs(s6->sin6_port);
	}
	return 0;
}

/* Bind @new (family @to) to the wildcard and @port.  Returns 0/-errno. */
static int sockrep_bind(int new, int to, unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t l;
	int on = 1;

	memset(&ss, 0, sizeof(ss));
	if (to == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		l = sizeof(*sin);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		/* Beside the old socket's 0.0.0.0:port until dup3. */
		if (setsockopt(new, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			       sizeof(on)) < 0)
			return -errno;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		l = sizeof(*s6);
	}
	if (real.bind(new, (struct sockaddr *)&ss, l) < 0)
		return -errno;
	return 0;
}

/* Make @new a copy of @old but for its family (see the file header).
 * Returns 0 or -errno. */
static int sockrep_fill(int old, int new, int ref, int from, int to,
			unsigned short port)
{
	int off = 0;

	for (size_t i = 0; i < sizeof(sockrep_opts) / sizeof(*sockrep_opts);
	     i++)
		sockrep_copy_opt(&sockrep_opts[i], old, ref, new, from, to);
	/* Dual-stack whatever the sysctl says: a later IPv4 proxy stays
	 * reachable through its v4-mapped address. */
	if (to == AF_INET6 && !port &&
	    setsockopt(new, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0)
		LOG_DBG("fd %d: cannot clear IPV6_V6ONLY (errno %d)", old,
			errno);
	if (port) {
		int rc = sockrep_bind(new, to, port);

		if (rc < 0)
			return rc;
	}
	return sockrep_copy_fl(old, new);
}

/* Contract: sock_replace.h. */
int sockrep_replace(int fd, int from, int to)
{
	int dom = 0, type = 0, proto = 0, fdfl, ref = -1, new = -1, rc;
	socklen_t l = sizeof(dom);
	unsigned short port;

	if (real.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) < 0 ||
	    dom != from)
		return -EAFNOSUPPORT;
	l = sizeof(type);
	if (real.getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
		return -errno;
	l = sizeof(proto);
	if (real.getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l) < 0)
		return -errno;
	rc = sockrep_bound_port(fd, from, &port);
	if (rc < 0)
		return rc;
	fdfl = real.fcntl(fd, F_GETFD);
	if (fdfl < 0)
		return -errno;
	ref = real.socket(from, type | SOCK_CLOEXEC, proto);
	new = real.socket(to, type | SOCK_CLOEXEC, proto);
	if (ref < 0 || new < 0) {
		rc = -errno;
		goto out;
	}
	rc = sockrep_fill(fd, new, ref, from, to, port);
	if (rc < 0)
		goto out;
	if (real.dup3(new, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		rc = -errno;
	LOG_DBG("fd %d: socket replaced by one of family %d (port %u): %d", fd,
		to, port, rc);
out:
	if (ref >= 0)
		real.close(ref);
	if (new >= 0)
		real.close(new);
	return rc;
}
