// SPDX-License-Identifier: MIT
/*
 * Listeners behind a SOCKS BIND (kind_listen.h): the listener's life and
 * what the hooks answer for it.
 *
 *   listen() --first reply, on the program's thread--> WAITING
 *   WAITING --second reply: the peer is there--> READY --accept--> IDLE
 *           --refused, wrong peer, timeout, proxy gone--> FAILED
 *           --accept reports the error once--> IDLE
 *   IDLE --accept--> BINDING (a new BIND's first reply, on the accepting
 *           thread) --> WAITING
 *   any --the program closes the fd--> CLOSED (a pending BIND is cancelled:
 *           the proxy connection is closed)
 *
 * The fd.  At listen() the program's socket is replaced (dup3 onto its
 * number) by a listener on the loopback address of its family, port 0,
 * with the program's backlog, O_NONBLOCK and close-on-exec; the socket's
 * registrations in the program's epoll sets are taken out before and
 * given back after (engine_epoll_take/give), so that an epoll set made
 * before listen() keeps working.  Nothing from the network can reach that
 * listener.  When the second reply comes, the engine connects an internal
 * socket ("wake") to it, so the kernel itself makes the fd readable for
 * select, poll and epoll (level, edge, one-shot) and a blocking accept()
 * returns.  accept() takes that loopback connection (one from any other
 * local socket is dropped), puts the proxy connection in its place (dup3
 * onto the number the kernel chose, with the SOCK_NONBLOCK/SOCK_CLOEXEC
 * asked for) and registers it as a tunnel whose getpeername() is the peer
 * of the second reply (kind_tcp.c).  A failed BIND wakes the listener too,
 * and accept() reports the error.
 *
 * The BIND's client (client.c) and its engine job live in the payload; the
 * job's fd is the proxy connection, an internal fd whose number the entry
 * owns (kint_mark with &job.fd, under e->lock).  A first reply is waited
 * for on a program thread without the entry lock: lsn->busy says so, and a
 * close() meanwhile only marks the entry CLOSED; that thread cleans up.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "preload/client.h"
#include "preload/engine.h"
#include "preload/fakedns.h"
#include "preload/fdtable.h"
#include "preload/init.h"
#include "preload/kind_internal.h"
#include "preload/kind_listen.h"
#include "preload/kind_tcp.h"
#include "preload/preload.h"
#include "preload/proxy_addr.h"
#include "preload/real.h"

enum lsn_state {
	LSN_BINDING, /* a program thread waits for a first reply */
	LSN_WAITING, /* the engine waits for the second reply */
	LSN_READY,   /* the peer is connected: accept hands it over */
	LSN_FAILED,  /* the BIND failed: err for the next accept */
	LSN_IDLE,    /* handed over: the next accept issues a new BIND */
	LSN_CLOSED   /* the program closed the fd */
};

struct lsn {
	enum lsn_state state;
	bool busy;   /* a program thread works on it without the lock */
	int err;     /* positive errno when FAILED */
	int fd;	     /* the program's listener */
	int family;  /* of its socket */
	int backlog; /* the program's */
	int wake;    /* internal: our end of the loopback connection */
	struct sockaddr_storage lo; /* the loopback listener's address */
	socklen_t lolen;
	struct sockaddr_storage wake_sa; /* wake's local address */
	socklen_t wake_salen;
	struct sockaddr_storage bnd; /* what getsockname reports */
	socklen_t bndlen;
	struct sockaddr_storage peer_sa; /* the peer of the second reply */
	socklen_t peerlen;
	struct socks_addr peer; /* the expected peer: the BIND's DST */
	const struct conf_proxy *const *proxies;
	size_t nproxies;
	struct client cl;
	struct eng_job job; /* job.fd: the proxy connection */
};

static struct lsn *lsn_of(struct fdt_entry *e)
{
	return fdt_payload(e);
}

/* Close the internal fd *@fdp (if any) and forget its number. */
static void lsn_close_internal(int *fdp)
{
	if (*fdp < 0)
		return;
	kint_unmark(*fdp);
	real.close(*fdp);
	*fdp = -1;
}

/* Words for a BIND failure in a user's log line. */
static const char *lsn_why(int err)
{
	switch (err) {
	case ETIMEDOUT:
		return "no peer connected in time";
	case EACCES:
		return "not allowed by the proxy (or not the expected peer)";
	case ECONNREFUSED:
		return "refused";
	case ECONNRESET:
		return "the proxy closed the connection";
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	case EAFNOSUPPORT:
		return "address family not supported";
	case EOPNOTSUPP:
		return "BIND not supported by the proxy";
	default:
		return "failed";
	}
}

/*
 * @a as a socket address of @family into @ss: an IPv4 address for an
 * AF_INET6 socket is v4-mapped.  Returns 0, or -EAFNOSUPPORT (an IPv6
 * address for an AF_INET socket, a name).
 */
static int lsn_sockaddr(const struct socks_addr *a, int family,
			struct sockaddr_storage *ss, socklen_t *len)
{
	if (a->type == SOCKS5_ATYP_IPV4 && family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		memset(ss, 0, sizeof(*ss));
		s6->sin6_family = AF_INET6;
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], a->u.ip4, 4);
		s6->sin6_port = htons(a->port);
		*len = sizeof(*s6);
		return 0;
	}
	if (a->type == SOCKS5_ATYP_IPV6 && family == AF_INET)
		return -EAFNOSUPPORT;
	return socks_addr_to_sockaddr(a, ss, len);
}

/*
 * The first reply of @cl: where the proxy listens, as the program's socket
 * reports it (L->bnd).  A name, an all-zero or a fake address stands for
 * "the proxy's address" (RFC 1928: the client should use the proxy's).
 * Returns 0 or -EAFNOSUPPORT.
 */
static int lsn_set_bnd(struct lsn *L, const struct client *cl)
{
	struct socks_addr a = cl->bnd;
	struct net_ip ip;
	uint16_t port;
	bool proxy = a.type == SOCKS5_ATYP_DOMAINNAME || socks_addr_is_zero(&a);

	if (!proxy) {
		memset(&ip, 0, sizeof(ip));
		ip.family = a.type == SOCKS5_ATYP_IPV4 ? AF_INET : AF_INET6;
		memcpy(ip.b, a.u.ip6, ip.family == AF_INET ? 4 : 16);
		proxy = fakedns_is_fake(&ip);
	}
	if (proxy && net_ip_from_sockaddr(
			     &ip, &port, (const struct sockaddr *)&cl->proxy_sa,
			     cl->proxy_salen) == 0) {
		if (ip.family == AF_INET)
			socks_addr_set_ip4(&a, ip.b, a.port);
		else
			socks_addr_set_ip6(&a, ip.b, a.port);
	}
	return lsn_sockaddr(&a, L->family, &L->bnd, &L->bndlen);
}

/* Same address and port (two kernel-filled socket addresses)? */
static bool lsn_same_sa(const struct sockaddr_storage *x, socklen_t xl,
			const struct sockaddr_storage *y, socklen_t yl)
{
	struct net_ip a, b;
	uint16_t pa, pb;

	if (net_ip_from_sockaddr(&a, &pa, (const struct sockaddr *)x, xl) < 0 ||
	    net_ip_from_sockaddr(&b, &pb, (const struct sockaddr *)y, yl) < 0)
		return false;
	return pa == pb && a.family == b.family &&
	       memcmp(a.b, b.b, a.family == AF_INET ? 4 : 16) == 0;
}

/*
 * Wake the listener (e->lock held): connect an internal socket to the
 * loopback listener, which then has a connection to accept.  Returns 0 or
 * -errno.
 */
static int lsn_wake(struct fdt_entry *e)
{
	struct lsn *L = lsn_of(e);
	int w;

	if (L->wake >= 0)
		return 0;
	w = real.socket(L->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (w < 0)
		return -errno;
	w = kint_adopt(w, &L->wake, &e->lock); /* placed, marked: L->wake */
	L->wake_salen = sizeof(L->wake_sa);
	if ((real.connect(w, (struct sockaddr *)&L->lo, L->lolen) < 0 &&
	     errno != EINPROGRESS) ||
	    real.getsockname(w, (struct sockaddr *)&L->wake_sa,
			     &L->wake_salen) < 0) {
		int err = errno;

		kint_unmark(w);
		real.close(w);
		L->wake = -1;
		return -err;
	}
	return 0;
}

/* Cancel what the BIND holds (e->lock held): the proxy connection, the
 * engine's job, the wake connection. */
static void lsn_cancel(struct lsn *L)
{
	int p = L->job.fd;

	if (L->job.active)
		engine_abandon(&L->job); /* sets job.fd to -1 */
	L->job.fd = p;
	lsn_close_internal(&L->job.fd);
	lsn_close_internal(&L->wake);
}

/* Last reference: what the payload still holds goes. */
static void lsn_destroy(struct fdt_entry *e)
{
	struct lsn *L = lsn_of(e);

	lsn_close_internal(&L->job.fd);
	lsn_close_internal(&L->wake);
	lsn_close_internal(&L->job.evfd);
}

/* The program closed @fd (or its number was found reused). */
static void lsn_forget(struct fdt_entry *e, int fd)
{
	struct lsn *L = lsn_of(e);

	if (L->fd != fd)
		return; /* a duplicate went; the original stays */
	if (L->state == LSN_WAITING)
		LOG_DBG("fd %d: listener closed: BIND cancelled", fd);
	if (!L->busy)
		lsn_cancel(L);
	L->state = LSN_CLOSED;
	L->fd = -1;
}

static int lsn_sockname(struct fdt_entry *e, int fd, struct sockaddr *sa,
			socklen_t *len)
{
	struct lsn *L = lsn_of(e);

	(void)fd;
	if (!L->bndlen || L->state == LSN_CLOSED)
		return 1;
	if (!len)
		return -EFAULT;
	/* Truncate like the kernel; *len gets the full size. */
	if (sa)
		memcpy(sa, &L->bnd, *len < L->bndlen ? *len : L->bndlen);
	*len = L->bndlen;
	return 0;
}

static const struct fdt_ops lsn_ops = {
	.name = "listen",
	.destroy = lsn_destroy,
	.forget = lsn_forget,
	.sockname = lsn_sockname,
};

/* The engine's completion callback: the second reply, or the failure
 * (e->lock held). */
static int lsn_done(struct eng_job *j, int rc)
{
	struct lsn *L = lsn_of(j->e);
	char text[SOCKS_ADDR_STRLEN];
	const char *via = client_proxy(&L->cl)->name;

	if (L->state != LSN_WAITING)
		return rc;
	if (rc == 0 &&
	    lsn_sockaddr(&L->cl.bnd, L->family, &L->peer_sa, &L->peerlen) < 0)
		rc = -EAFNOSUPPORT;
	if (j->orphaned) {
		/* fork child: the parent's engine finishes this one. */
		L->state = LSN_FAILED;
		L->err = rc < 0 ? -rc : ECONNRESET;
		return rc;
	}
	if (rc == 0) {
		LOG_INFO("fd %d: peer %s connected via %.64s", L->fd,
			 socks_addr_format(&L->cl.bnd, text, sizeof(text)),
			 via);
		L->state = LSN_READY;
	} else {
		LOG_INFO("fd %d: waiting via %.64s for peer %s: %s", L->fd, via,
			 socks_addr_format(&L->peer, text, sizeof(text)),
			 lsn_why(-rc));
		L->state = LSN_FAILED;
		L->err = -rc;
	}
	int err = lsn_wake(j->e);

	if (err < 0)
		LOG_ERR("fd %d: cannot wake the listener (errno %d); accept "
			"will not return",
			L->fd, -err);
	return rc;
}

/*
 * A new BIND on this thread up to the first reply (no lock held; the
 * entry's route and peer do not change): a new proxy connection in *@pfd
 * (internal), the client in @cl.  Returns 0 or -errno (logged).
 */
static int lsn_first(const struct lsn *L, struct client *cl, int *pfd)
{
	const struct conf *conf = socksify_conf();
	char text[SOCKS_ADDR_STRLEN];
	int fd, rc, want = 0;

	*pfd = -1;
	pxa_refresh(conf); /* proxies by name: here, never in the engine */
	rc = client_init(cl, SOCKS5_CMD_BIND, L->proxies, L->nproxies, &L->peer,
			 L->family, conf ? conf->timeout * 1000 : 0,
			 socksify_env_username(), socksify_env_password());
	if (rc < 0) {
		LOG_ERR("BIND for peer %s: no proxy of the route can carry "
			"this address (SOCKS4 needs IPv4, SOCKS4A no IPv6)",
			socks_addr_format(&L->peer, text, sizeof(text)));
		return rc;
	}
	fd = real.socket(L->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	fd = kint_adopt(fd, NULL, NULL); /* the program's close spares it */
	cl->no_handoff = true;
	rc = client_run(cl, fd, &want);
	if (rc < 0) {
		LOG_INFO("BIND for peer %s via %.64s: %s",
			 socks_addr_format(&L->peer, text, sizeof(text)),
			 client_proxy(cl)->name, lsn_why(-rc));
		kint_unmark(fd);
		real.close(fd);
		return rc;
	}
	*pfd = fd;
	return 0;
}

/* Put the BIND of @cl on proxy connection @p into @e (e->lock held). */
static void lsn_install(struct fdt_entry *e, const struct client *cl, int p)
{
	struct lsn *L = lsn_of(e);
	int evfd = L->job.evfd;

	L->cl = *cl;
	engine_job_init(&L->job, e, p, &L->cl, lsn_done);
	L->job.evfd = evfd;
	L->job.internal_fd = true;
	(void)kint_mark(p, &L->job.fd, &e->lock);
	client_bind_wait(&L->cl,
			 socksify_conf() && socksify_conf()->bind_timeout
				 ? socksify_conf()->bind_timeout * 1000
				 : CONF_DEFAULT_BIND_TIMEOUT * 1000);
	L->state = LSN_WAITING;
}

/* Log where @e's listener waits now (e->lock held). */
static void lsn_log_listening(struct lsn *L)
{
	char where[SOCKS_ADDR_STRLEN], peer[SOCKS_ADDR_STRLEN];
	struct socks_addr b;

	if (socks_addr_from_sockaddr(&b, (struct sockaddr *)&L->bnd,
				     L->bndlen) < 0)
		memset(&b, 0, sizeof(b));
	LOG_INFO("fd %d: listening at %s via %.64s for peer %s", L->fd,
		 socks_addr_format(&b, where, sizeof(where)),
		 client_proxy(&L->cl)->name,
		 socks_addr_format(&L->peer, peer, sizeof(peer)));
}

/*
 * Hand the second reply to the engine (no lock held; L->busy set by the
 * caller, cleared here).  A close() meanwhile is acted on here.
 */
static void lsn_arm(struct fdt_entry *e)
{
	struct lsn *L = lsn_of(e);

	(void)engine_adopt(&L->job, CLIENT_WANT_READ); /* failure: done() */
	fdt_lock(e);
	L->busy = false;
	if (L->state == LSN_CLOSED)
		lsn_cancel(L);
	fdt_unlock(e);
}

/* Bind @s to the loopback address of @family, port 0.  0 or -errno. */
static int lsn_loopback_bind(int s, int family)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return real.bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0
			       ? -errno
			       : 0;
	}
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (real.bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) == 0)
		return 0;
	/* No ::1 (IPv6 off on lo): 127.0.0.1, v4-mapped. */
	sin6.sin6_addr = (struct in6_addr){0};
	sin6.sin6_addr.s6_addr[10] = 0xff;
	sin6.sin6_addr.s6_addr[11] = 0xff;
	sin6.sin6_addr.s6_addr[12] = 127;
	sin6.sin6_addr.s6_addr[15] = 1;
	return real.bind(s, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 ? -errno
									: 0;
}

/*
 * Replace the socket behind @fd by a loopback listener (see the top of
 * this file), keeping its epoll registrations, O_NONBLOCK and
 * close-on-exec.  Returns 0 or -errno (@fd untouched).
 */
static int lsn_swap(struct lsn *L, int fd)
{
	struct eng_reg regs[ENG_REGS_MAX];
	int s, n, fl, fdfl, rc;

	s = real.socket(L->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	rc = lsn_loopback_bind(s, L->family);
	if (rc == 0 && real.listen(s, L->backlog) < 0)
		rc = -errno;
	L->lolen = sizeof(L->lo);
	if (rc == 0 &&
	    real.getsockname(s, (struct sockaddr *)&L->lo, &L->lolen) < 0)
		rc = -errno;
	if (rc < 0) {
		real.close(s);
		return rc;
	}
	fl = real.fcntl(fd, F_GETFL);
	fdfl = real.fcntl(fd, F_GETFD);
	n = engine_epoll_take(fd, regs);
	if (real.dup3(s, fd, fdfl > 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) <
	    0)
		rc = -errno;
	real.close(s);
	if (rc == 0 && fl >= 0 && (fl & O_NONBLOCK))
		(void)real.fcntl(fd, F_SETFL, O_NONBLOCK);
	engine_epoll_give(fd, regs, n);
	return rc;
}

/* Contract: kind_listen.h. */
int lsn_listen(int fd, int backlog, const struct rule_result *r,
	       const struct socks_addr *peer)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct fdt_entry *e;
	struct client cl;
	struct lsn *L;
	int p = -1, rc;

	if (real.getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	e = fdt_alloc(FDT_LISTEN, &lsn_ops, sizeof(*L));
	if (!e)
		return -ENOMEM;
	L = lsn_of(e);
	L->state = LSN_BINDING;
	L->busy = true;
	L->fd = fd;
	L->family = ss.ss_family;
	L->backlog = backlog;
	L->wake = -1;
	L->job.fd = -1;
	L->job.evfd = -1;
	L->peer = *peer;
	L->proxies = r->proxies;
	L->nproxies = r->nproxies;
	rc = lsn_first(L, &cl, &p);
	if (rc == 0)
		rc = lsn_set_bnd(L, &cl);
	if (rc == 0)
		rc = lsn_swap(L, fd);
	if (rc == 0) {
		e->cookie = fdt_socket_cookie(fd);
		rc = fdt_set(fd, e, FDT_LISTEN);
	}
	if (rc < 0) {
		if (p >= 0) {
			kint_unmark(p);
			real.close(p);
		}
		goto out;
	}
	fdt_lock(e);
	lsn_install(e, &cl, p);
	lsn_log_listening(L);
	fdt_unlock(e);
	lsn_arm(e);
out:
	fdt_put(e);
	return rc;
}

/* accept issues a new BIND (no lock held; L->busy and BINDING set by the
 * caller).  Returns 0 or -errno. */
static int lsn_rebind(struct fdt_entry *e)
{
	struct lsn *L = lsn_of(e);
	struct client cl;
	int p = -1, rc;

	rc = lsn_first(L, &cl, &p);
	fdt_lock(e);
	if (rc == 0)
		rc = lsn_set_bnd(L, &cl);
	if (L->state == LSN_CLOSED && rc == 0)
		rc = -EBADF;
	if (rc < 0) {
		if (p >= 0) {
			kint_unmark(p);
			real.close(p);
		}
		if (L->state != LSN_CLOSED)
			L->state = LSN_IDLE;
		L->busy = false;
		fdt_unlock(e);
		return rc;
	}
	lsn_install(e, &cl, p);
	lsn_log_listening(L);
	fdt_unlock(e);
	lsn_arm(e);
	return 0;
}

/*
 * The kernel accepted @a on listener @fd (e->lock held): hand the peer's
 * connection over.  Returns the fd, -EAGAIN when @a was not our wake
 * connection (dropped), or the BIND's error.
 */
static int lsn_take(struct fdt_entry *e, int fd, int a, struct sockaddr *sa,
		    socklen_t *len, int flags)
{
	struct lsn *L = lsn_of(e);
	struct sockaddr_storage pa;
	socklen_t pl = sizeof(pa);
	int p = L->job.fd, fl, rc;

	if (L->wake < 0 ||
	    real.getpeername(a, (struct sockaddr *)&pa, &pl) < 0 ||
	    !lsn_same_sa(&pa, pl, &L->wake_sa, L->wake_salen)) {
		LOG_INFO("fd %d: dropped a local connection to the listener "
			 "(it waits for its peer at the proxy)",
			 fd);
		real.close(a);
		return -EAGAIN;
	}
	lsn_close_internal(&L->wake);
	if (L->state != LSN_READY) {
		real.close(a);
		lsn_close_internal(&L->job.fd);
		rc = L->state == LSN_FAILED ? -L->err : -ECONNABORTED;
		L->state = LSN_IDLE;
		return rc;
	}
	L->state = LSN_IDLE;
	kint_unmark(p);
	rc = real.dup3(p, a, (flags & SOCK_CLOEXEC) ? O_CLOEXEC : 0);
	real.close(p);
	L->job.fd = -1;
	if (rc < 0) {
		rc = -errno;
		real.close(a);
		return rc;
	}
	fl = real.fcntl(a, F_GETFL);
	if (fl >= 0)
		(void)real.fcntl(a, F_SETFL,
				 (flags & SOCK_NONBLOCK) ? fl | O_NONBLOCK
							 : fl & ~O_NONBLOCK);
	(void)tcp_adopt_accepted(a, (struct sockaddr *)&L->peer_sa, L->peerlen);
	if (sa && len) {
		memcpy(sa, &L->peer_sa, *len < L->peerlen ? *len : L->peerlen);
		*len = L->peerlen;
	}
	return a;
}

/* Contract: kind_listen.h. */
int lsn_accept(int fd, struct sockaddr *sa, socklen_t *len, int flags,
	       bool *ours)
{
	*ours = true;
	for (;;) {
		struct fdt_entry *e = fdt_acquire(fd);
		struct lsn *L;
		int a, rc, fl;

		if (e && e->kind != FDT_LISTEN) {
			fdt_release(e);
			e = NULL;
		}
		if (!e) {
			*ours = false;
			return 0;
		}
		L = lsn_of(e);
		if (L->state == LSN_IDLE) {
			L->state = LSN_BINDING;
			L->busy = true;
			fdt_unlock(e);
			rc = lsn_rebind(e);
			fdt_put(e);
			if (rc < 0)
				return rc;
			continue;
		}
		fdt_release(e);
		/* As the program's listener blocks or not; no lock held. */
		a = real.accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (a < 0)
			return -errno;
		e = fdt_acquire(fd);
		if (!e) {
			real.close(a);
			return -ECONNABORTED;
		}
		rc = lsn_take(e, fd, a, sa, len, flags);
		fdt_release(e);
		if (rc != -EAGAIN)
			return rc;
		fl = real.fcntl(fd, F_GETFL);
		if (fl < 0 || (fl & O_NONBLOCK))
			return -EAGAIN;
	}
}
