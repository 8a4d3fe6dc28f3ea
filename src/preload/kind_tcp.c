// SPDX-License-Identifier: MIT
/*
 * Outbound TCP through a proxy (kind_tcp.h): the connection's life and
 * what the hooks answer for it.
 *
 *   HANDSHAKE --ok--> OK (byte FDT_TCP: no flag, the program owns the fd)
 *       |     \--request on its way (optimistic data)--> OPTIMISTIC
 *       |         (FDT_TCP | FDT_F_INTERCEPT: tcp_optimistic.c reads the
 *       |          replies before the program's data) --granted--> OK,
 *       |                                              --refused--> FAILED
 *       |
 *       +--fail--> FAILED (byte FDT_TCP | FDT_F_INTERCEPT) --reported once
 *                  by SO_ERROR, connect or a data call--> REPORTED
 *   any --the program closes the fd--> CLOSED
 *
 * While HANDSHAKE the byte has FDT_F_SUBST | FDT_F_INTERCEPT: polls wait on
 * the job's eventfd, data calls get EAGAIN (or wait, on a socket made
 * blocking again), epoll_ctl calls are recorded (engine.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/errtext.h"
#include "common/io.h"
#include "common/log.h"
#include "preload/init.h"
#include "preload/kind_internal.h"
#include "preload/kind_tcp.h"
#include "preload/preload.h"
#include "preload/proxy_addr.h"
#include "preload/real.h"
#include "preload/sock_replace.h"

enum tcp_state {
	TCP_HANDSHAKE,	/* the driver owns the socket */
	TCP_OPTIMISTIC, /* connected for the program; replies still due */
	TCP_OK,		/* tunnel up: the program owns it */
	TCP_FAILED,	/* err not yet reported */
	TCP_REPORTED,	/* failure reported once (SO_ERROR, I/O or connect) */
	TCP_CLOSED	/* the program closed its fd */
};

struct tcp_conn {
	enum tcp_state state;
	int err;		     /* positive errno when FAILED */
	struct sockaddr_storage dst; /* what the program connected to */
	socklen_t dstlen;
	struct client cl;
	struct eng_job job;
	uint8_t *early; /* MSG_FASTOPEN data sent after the reply */
	size_t nearly;
};

static struct tcp_conn *tcp_of(struct fdt_entry *e)
{
	return fdt_payload(e);
}

static void tcp_log(const struct tcp_conn *c, int fd, int rc);
static void tcp_recent_note(const struct tcp_conn *c);

/* Last reference: the eventfd and the early data go. */
static void tcp_destroy(struct fdt_entry *e)
{
	struct tcp_conn *c = tcp_of(e);

	if (c->job.evfd >= 0) {
		kint_unmark(c->job.evfd);
		real.close(c->job.evfd);
	}
	free(c->early);
}

/* The program closed @fd (or its number was found reused). */
static void tcp_forget(struct fdt_entry *e, int fd)
{
	struct tcp_conn *c = tcp_of(e);

	if (c->job.fd != fd)
		return; /* a duplicate went; the original stays */
	if (c->state == TCP_OK || c->state == TCP_OPTIMISTIC) {
		c->job.fd = -1; /* duplicates may still use the tunnel */
		return;
	}
	if (c->state == TCP_HANDSHAKE) {
		LOG_DBG("fd %d closed during the handshake", fd);
		engine_abandon(&c->job);
	}
	c->state = TCP_CLOSED;
	c->job.fd = -1;
}

/* A failure is reported now: the fd needs no more interception. */
static int tcp_report(struct tcp_conn *c, int fd)
{
	c->state = TCP_REPORTED;
	fdt_set_byte(fd, FDT_TCP);
	return -c->err;
}

static int tcp_gate(struct fdt_entry *e, int fd, bool dontwait)
{
	struct tcp_conn *c = tcp_of(e);

	for (;;) {
		if (c->state == TCP_FAILED)
			return tcp_report(c, fd);
		if (c->state != TCP_HANDSHAKE)
			return 0;
		int fl = real.fcntl(fd, F_GETFL);

		if (dontwait || fl < 0 || (fl & O_NONBLOCK))
			return -EAGAIN;
		engine_wait(&c->job); /* made blocking meanwhile */
	}
}

static int tcp_subst_fd(struct fdt_entry *e, int fd)
{
	struct tcp_conn *c = tcp_of(e);

	(void)fd;
	return c->state == TCP_HANDSHAKE ? c->job.evfd : -1;
}

static int tcp_so_error(struct fdt_entry *e, int fd)
{
	struct tcp_conn *c = tcp_of(e);

	if (c->state == TCP_HANDSHAKE)
		return 0; /* as for a TCP connect in progress */
	if (c->state == TCP_FAILED)
		return -tcp_report(c, fd);
	return -1;
}

static int tcp_peername(struct fdt_entry *e, int fd, struct sockaddr *sa,
			socklen_t *len)
{
	struct tcp_conn *c = tcp_of(e);

	(void)fd;
	switch (c->state) {
	case TCP_OK:
	case TCP_OPTIMISTIC:
		if (!len)
			return -EFAULT;
		/* Truncate like the kernel; *len gets the full size. */
		if (sa)
			memcpy(sa, &c->dst,
			       *len < c->dstlen ? *len : c->dstlen);
		*len = c->dstlen;
		return 0;
	case TCP_HANDSHAKE:
	case TCP_FAILED:
		return -ENOTCONN;
	default:
		return 1;
	}
}

/* connect() again: what the kernel says for a connection in progress
 * (EALREADY), established (EISCONN) or failed (the error, once). */
static int tcp_reconnect(struct fdt_entry *e, int fd)
{
	struct tcp_conn *c = tcp_of(e);

	switch (c->state) {
	case TCP_HANDSHAKE:
		return -EALREADY;
	case TCP_OK:
	case TCP_OPTIMISTIC:
		return -EISCONN;
	case TCP_FAILED:
		return tcp_report(c, fd);
	default:
		return 1; /* reported before: a new attempt, same socket */
	}
}

static int tcp_epoll_ctl(struct fdt_entry *e, int fd, int epfd, int op,
			 const struct epoll_event *ev)
{
	struct tcp_conn *c = tcp_of(e);

	if (c->state != TCP_HANDSHAKE || c->job.fd != fd)
		return 1;
	return engine_record_ctl(&c->job, epfd, op, ev);
}

/*
 * Optimistic data (TCP_OPTIMISTIC): the program's connect() returned once
 * the request was on its way, or before anything was sent when a Fast
 * Open connect was deferred (the negotiation then leaves with the
 * program's first write, in the SYN).  Until the replies are in, the
 * data calls come here: a write sends what is pending of the negotiation
 * and the program's bytes in one sendmsg; a read first reads and checks
 * the replies.  A refusal is the errno of that read or write (reported
 * once, as a failed handshake).  The waits of a blocking socket run
 * without e->lock.
 */

/* This call may not wait: MSG_DONTWAIT or a non-blocking socket. */
static bool tcp_opt_nowait(int fd, int flags)
{
	int fl;

	if (flags & MSG_DONTWAIT)
		return true;
	fl = real.fcntl(fd, F_GETFL);
	return fl < 0 || (fl & O_NONBLOCK);
}

/* client_step()'s @rc for an optimistic connection (e->lock held):
 * FDT_OP_PASS once granted, -errno once refused (reported now), 1 while
 * replies are still due. */
static ssize_t tcp_opt_settle(struct tcp_conn *c, int fd, int rc)
{
	if (rc == CLIENT_DONE) {
		tcp_log(c, fd, 0);
		tcp_recent_note(c);
		c->state = TCP_OK;
		fdt_set_byte(fd, FDT_TCP);
		return FDT_OP_PASS;
	}
	if (rc < 0) {
		tcp_log(c, fd, rc);
		client_disconnect(fd);
		c->state = TCP_FAILED;
		c->err = -rc;
		return tcp_report(c, fd);
	}
	return 1;
}

/* Wait (no lock held) for @want on @fd until the handshake's deadline;
 * false when it passed. */
static bool tcp_opt_wait(struct tcp_conn *c, struct fdt_entry *e, int fd,
			 int want)
{
	int64_t left = c->cl.deadline - io_now_ms();
	struct pollfd pfd = {.fd = fd};

	if (left <= 0)
		return false;
	pfd.events = want == CLIENT_WANT_READ ? POLLIN : POLLOUT;
	fdt_unlock(e);
	(void)real.poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
	fdt_lock(e);
	return true;
}

/* The state check every optimistic data call starts with (e->lock
 * held): FDT_OP_PASS, a reported failure, or 1 to go on. */
static ssize_t tcp_opt_check(struct fdt_entry *e, int fd)
{
	struct tcp_conn *c = tcp_of(e);

	if (c->state == TCP_FAILED)
		return tcp_report(c, fd);
	if (c->state != TCP_OPTIMISTIC || !fdt_still_ours(e, fd))
		return FDT_OP_PASS;
	return 1;
}

/* Receive: the replies first (waiting for them on a blocking socket),
 * then the kernel does the program's call. */
static ssize_t tcp_opt_recvmsg(struct fdt_entry *e, int fd, struct msghdr *msg,
			       int flags)
{
	struct tcp_conn *c = tcp_of(e);
	ssize_t r;

	(void)msg;
	fdt_lock(e);
	while ((r = tcp_opt_check(e, fd)) == 1) {
		int rc = client_step(&c->cl, fd);

		r = tcp_opt_settle(c, fd, rc);
		if (r != 1)
			break;
		if (tcp_opt_nowait(fd, flags)) {
			r = -EAGAIN;
			break;
		}
		if (!tcp_opt_wait(c, e, fd, rc)) {
			r = tcp_opt_settle(c, fd, client_timeout(&c->cl, fd));
			break;
		}
	}
	fdt_unlock(e);
	return r;
}

#define TCP_OPT_IOV 16

/* One sendmsg of the pending negotiation bytes (@n at @buf) and the
 * program's @msg (if its iovecs fit and it has no control data). */
static ssize_t tcp_opt_send_with(int fd, const uint8_t *buf, size_t n,
				 const struct msghdr *msg, size_t *prog)
{
	struct iovec iov[TCP_OPT_IOV];
	struct msghdr m;
	size_t k = 1;

	memset(&m, 0, sizeof(m));
	iov[0].iov_base = (void *)buf;
	iov[0].iov_len = n;
	*prog = 0;
	if (msg && !msg->msg_controllen && msg->msg_iovlen < TCP_OPT_IOV) {
		for (size_t i = 0; i < msg->msg_iovlen; i++, k++) {
			iov[k] = msg->msg_iov[i];
			*prog += msg->msg_iov[i].iov_len;
		}
	}
	m.msg_iov = iov;
	m.msg_iovlen = k;
	return real.sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Send: negotiation bytes still pending go first, with the program's in
 * the same call; afterwards the replies already in are taken (no wait)
 * and the kernel does the program's call. */
static ssize_t tcp_opt_sendmsg(struct fdt_entry *e, int fd,
			       const struct msghdr *msg, int flags)
{
	struct tcp_conn *c = tcp_of(e);
	ssize_t r;

	fdt_lock(e);
	while ((r = tcp_opt_check(e, fd)) == 1) {
		const uint8_t *buf;
		size_t n = client_pending_out(&c->cl, &buf), prog;
		ssize_t sent;

		if (n == 0) {
			r = tcp_opt_settle(c, fd, client_step(&c->cl, fd));
			if (r == 1)
				r = FDT_OP_PASS;
			break;
		}
		sent = tcp_opt_send_with(fd, buf, n, msg, &prog);
		if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			int err = errno;

			r = tcp_opt_settle(
				c, fd,
				err == ECONNREFUSED || err == ETIMEDOUT ||
						err == EHOSTUNREACH ||
						err == ENETUNREACH
					? -ECONNREFUSED
					: -ECONNRESET);
			break;
		}
		if (sent > (ssize_t)n) {
			client_account_out(&c->cl, n);
			r = sent - (ssize_t)n;
			break;
		}
		if (sent > 0)
			client_account_out(&c->cl, (size_t)sent);
		if (sent > 0 && (size_t)sent == n && prog == 0)
			continue; /* nothing of the program's to take */
		if (tcp_opt_nowait(fd, flags)) {
			r = -EAGAIN;
			break;
		}
		if (sent <= 0 && !tcp_opt_wait(c, e, fd, CLIENT_WANT_WRITE)) {
			r = tcp_opt_settle(c, fd, client_timeout(&c->cl, fd));
			break;
		}
	}
	fdt_unlock(e);
	return r;
}

/* A duplicate of an fd whose replies are still due reads them too. */
static uint8_t tcp_dup(struct fdt_entry *e, int fd, int newfd, uint8_t byte)
{
	(void)fd;
	(void)newfd;
	return tcp_of(e)->state == TCP_OPTIMISTIC ? byte : FDT_TCP;
}

static const struct fdt_ops tcp_ops = {
	.name = "tcp",
	.destroy = tcp_destroy,
	.forget = tcp_forget,
	.gate = tcp_gate,
	.subst_fd = tcp_subst_fd,
	.so_error = tcp_so_error,
	.peername = tcp_peername,
	.reconnect = tcp_reconnect,
	.epoll_ctl = tcp_epoll_ctl,
	.dup = tcp_dup,
	.sendmsg = tcp_opt_sendmsg,
	.recvmsg = tcp_opt_recvmsg,
};

/* The record of recent tunnels (kind_tcp.h): a ring, newest at
 * recent_next - 1. */
static pthread_mutex_t recent_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	const struct conf_proxy *proxy;
	struct socks_addr dst;
} recent[TCP_RECENT_MAX];
static unsigned recent_next, recent_n;

/* The tunnel of @c came up: note its proxy and destination. */
static void tcp_recent_note(const struct tcp_conn *c)
{
	fdt_mutex_lock(&recent_lock);
	recent[recent_next].proxy = client_proxy(&c->cl);
	recent[recent_next].dst = c->cl.dst;
	recent_next = (recent_next + 1) % TCP_RECENT_MAX;
	if (recent_n < TCP_RECENT_MAX)
		recent_n++;
	fdt_mutex_unlock(&recent_lock);
}

/* Contract: kind_tcp.h. */
int tcp_recent_peer(const struct conf_proxy *p, int family,
		    struct socks_addr *dst, const struct conf_proxy **via)
{
	int rc = -ENOENT;

	fdt_mutex_lock(&recent_lock);
	for (unsigned i = 1; i <= recent_n; i++) {
		unsigned k =
			(recent_next + TCP_RECENT_MAX - i) % TCP_RECENT_MAX;

		if (p && recent[k].proxy != p)
			continue;
		if (family == AF_INET && recent[k].dst.type == SOCKS5_ATYP_IPV6)
			continue;
		*dst = recent[k].dst;
		if (via)
			*via = recent[k].proxy;
		rc = 0;
		break;
	}
	fdt_mutex_unlock(&recent_lock);
	return rc;
}

void tcp_recent_atfork_prepare(void)
{
	fdt_mutex_lock(&recent_lock);
}

void tcp_recent_atfork_parent(void)
{
	fdt_mutex_unlock(&recent_lock);
}

void tcp_recent_atfork_child(void)
{
	fdt_mutex_unlock(&recent_lock);
}

/*
 * Log the outcome of @c's handshake on @fd: success at level 1 (which
 * proxy, or which chain, carried it: socksify -d 1), a failure at the
 * default level in words a user reads (STYLE.md, Logging): the
 * destination, the proxy (address, and its name or the chain when the
 * config gave one) and what happened, e.g. "example.com:443 via
 * 198.51.100.1:1080 (corp): proxy unreachable: connection refused".
 */
static void tcp_log(const struct tcp_conn *c, int fd, int rc)
{
	const struct conf_proxy *p = client_proxy(&c->cl);
	char text[SOCKS_ADDR_STRLEN], pa[SOCKS_ADDR_STRLEN + 8], buf[8 * 68];
	const char *what = errtext(-rc);
	const char *via = client_via_text(&c->cl, buf, sizeof(buf));
	char num[24];
	bool named;

	if (rc == 0) {
		LOG_INFO("fd %d: %s via %.300s: connected", fd,
			 socks_addr_format(&c->cl.dst, text, sizeof(text)),
			 via);
		return;
	}
	named = via[0] && strcmp(via, "proxy") != 0;
	if (c->cl.proxy_salen == 0 ||
	    !net_sa_format((const struct sockaddr *)&c->cl.proxy_sa, pa,
			   sizeof(pa)))
		snprintf(pa, sizeof(pa), "%.200s", p->url.hp.host);
	if (what == NULL) {
		snprintf(num, sizeof(num), "error %d", -rc);
		what = num;
	}
	LOG_USER("%s via %s%s%.300s%s: %s%s",
		 socks_addr_format(&c->cl.dst, text, sizeof(text)), pa,
		 named ? " (" : "", named ? via : "", named ? ")" : "",
		 c->cl.first_err && c->cl.idx >= c->cl.nproxies
			 ? "proxy unreachable: "
			 : "the proxy answered: ",
		 what);
}

/* The tunnel is up: send the MSG_FASTOPEN data.  Returns 0 or -errno. */
static int tcp_send_early(struct tcp_conn *c, int fd)
{
	int rc = 0;

	if (c->nearly) {
		rc = io_write_all(fd, c->early, c->nearly,
				  io_now_ms() + c->cl.timeout_ms);
		if (rc < 0 && rc != -ETIMEDOUT)
			rc = -ECONNRESET;
	}
	free(c->early);
	c->early = NULL;
	c->nearly = 0;
	return rc;
}

/* The request is on its way (or rides with the program's first write):
 * the program has its connection, the replies are read later. */
static void tcp_go_optimistic(struct tcp_conn *c, int fd)
{
	char text[SOCKS_ADDR_STRLEN];

	LOG_DBG("fd %d: %s: connected early (optimistic data), the proxy's "
		"replies are read before the program's data",
		fd, socks_addr_format(&c->cl.dst, text, sizeof(text)));
	c->state = TCP_OPTIMISTIC;
}

/* The engine's completion callback (e->lock held). */
static int tcp_done(struct eng_job *j, int rc)
{
	struct tcp_conn *c = tcp_of(j->e);

	if (j->orphaned) {
		/* fork child: the parent's engine finishes this one. */
		c->state = TCP_FAILED;
		c->err = -rc;
		return rc;
	}
	if (rc == 0 && !client_settled(&c->cl)) {
		tcp_go_optimistic(c, j->fd);
		fdt_set_byte(j->fd, FDT_TCP | FDT_F_INTERCEPT);
		return 0;
	}
	if (rc == 0)
		rc = tcp_send_early(c, j->fd);
	tcp_log(c, j->fd, rc);
	if (rc == 0) {
		tcp_recent_note(c);
		c->state = TCP_OK;
		fdt_set_byte(j->fd, FDT_TCP);
		return 0;
	}
	client_disconnect(j->fd);
	c->state = TCP_FAILED;
	c->err = -rc;
	fdt_set_byte(j->fd, FDT_TCP | FDT_F_INTERCEPT);
	return rc;
}

/* A blocking handshake, on this thread.  Returns 0 or -errno. */
static int tcp_run_blocking(struct fdt_entry *e, int fd)
{
	struct tcp_conn *c = tcp_of(e);
	int rc, want = 0;

	rc = client_run(&c->cl, fd, &want);
	if (rc == -EINTR || rc == -EINPROGRESS) {
		/*
		 * Interrupted by a signal, or the socket's own SO_SNDTIMEO
		 * ran out: like the kernel, report that and let the
		 * connection go on in the background (the engine); the
		 * program learns the outcome as for a non-blocking connect.
		 */
		if (fdt_attach(fd, e,
			       FDT_TCP | FDT_F_SUBST | FDT_F_INTERCEPT) == 0) {
			if (engine_adopt(&c->job, want) == 0)
				return rc;
			fdt_detach_if(fd, e);
		}
		LOG_DBG("fd %d: cannot hand the handshake over; going on", fd);
		c->cl.no_handoff = true;
		rc = client_run(&c->cl, fd, &want);
	}
	if (rc == 0 && !client_settled(&c->cl)) {
		tcp_go_optimistic(c, fd);
		(void)fdt_attach(fd, e, FDT_TCP | FDT_F_INTERCEPT);
		return 0;
	}
	if (rc == 0)
		rc = tcp_send_early(c, fd);
	tcp_log(c, fd, rc);
	if (rc < 0) {
		client_disconnect(fd);
		return rc;
	}
	c->state = TCP_OK;
	tcp_recent_note(c);
	/* Beyond the table, it works (getpeername shows the proxy); a
	 * number closed and reused meanwhile is not marked (fdt_attach). */
	(void)fdt_attach(fd, e, FDT_TCP);
	return 0;
}

/*
 * Make @fd able to reach the first proxy of @c's list: an IPv6 proxy from
 * an AF_INET socket, an IPv4 one from an AF_INET6 socket with IPV6_V6ONLY
 * need the socket replaced by one of the proxy's family (sock_replace.h);
 * @e's socket identity follows.  Only this first proxy decides: proxies
 * tried later (failover) that the socket cannot reach are skipped.
 * Returns 0 or -EAFNOSUPPORT (logged for the user).
 */
static int tcp_fit_family(struct fdt_entry *e, struct tcp_conn *c, int fd)
{
	int from = c->cl.sock_family, to = client_first_proxy_family(&c->cl);
	char text[SOCKS_ADDR_STRLEN];
	bool v6only = false;
	int rc;

	if (!to || (from == AF_INET && to == AF_INET))
		return 0; /* the usual case costs nothing */
	if (sockrep_reaches(fd, from, to, &v6only)) {
		client_set_family(&c->cl, from, v6only);
		return 0;
	}
	/* The program's epoll registrations go with the old socket: keep
	 * them for the new one (given back at completion, or at once on a
	 * blocking socket: tcp_connect). */
	engine_take_regs(&c->job);
	rc = sockrep_replace(fd, from, to);
	if (rc < 0) {
		engine_give_regs(&c->job); /* to the old socket, still there */
		socks_addr_format(&c->cl.dst, text, sizeof(text));
		if (rc == -EADDRNOTAVAIL)
			LOG_ERR("%s via %.64s: the proxy is an %s address and "
				"this %s socket is bound to a local address, "
				"so it cannot be moved to %s",
				text, client_proxy(&c->cl)->name,
				to == AF_INET6 ? "IPv6" : "IPv4",
				from == AF_INET6 ? "IPv6-only" : "IPv4",
				to == AF_INET6 ? "IPv6" : "IPv4");
		else
			LOG_ERR("%s via %.64s: cannot replace this socket by "
				"an %s one to reach the proxy (errno %d)",
				text, client_proxy(&c->cl)->name,
				to == AF_INET6 ? "IPv6" : "IPv4", -rc);
		return -EAFNOSUPPORT;
	}
	/* A new socket: a dual-stack one if AF_INET6 (sock_replace.c). */
	(void)sockrep_reaches(fd, to, to, &v6only);
	client_set_family(&c->cl, to, v6only);
	e->cookie = fdt_socket_cookie(fd);
	return 0;
}

/* Keep at most @max bytes of the @nearly of MSG_FASTOPEN data @early for
 * after the reply; *@taken (may be NULL) gets how many.  0 or -ENOMEM. */
static int tcp_keep_early(struct tcp_conn *c, const void *early, size_t nearly,
			  size_t max, size_t *taken)
{
	if (nearly > max)
		nearly = max;
	if (nearly && !(c->early = malloc(nearly)))
		return -ENOMEM;
	if (nearly)
		memcpy(c->early, early, nearly);
	c->nearly = nearly;
	if (taken)
		*taken = nearly;
	return 0;
}

/* Contract: kind_tcp.h. */
int tcp_connect(int fd, const struct sockaddr *sa, socklen_t len,
		const struct rule_result *r, const struct socks_addr *dst,
		const void *early, size_t nearly, size_t *taken)
{
	const struct conf *conf = socksify_conf();
	char text[SOCKS_ADDR_STRLEN];
	struct fdt_entry *e;
	struct tcp_conn *c;
	bool queued;
	int fl, rc;

	pxa_refresh(conf); /* proxies by name: here, never in the engine */
	e = fdt_alloc(FDT_TCP, &tcp_ops, sizeof(*c));
	if (!e)
		return -ENOMEM;
	c = tcp_of(e);
	e->cookie = fdt_socket_cookie(fd);
	c->state = TCP_HANDSHAKE;
	engine_job_init(&c->job, e, fd, &c->cl, tcp_done);
	c->dstlen = len < sizeof(c->dst) ? len : sizeof(c->dst);
	memcpy(&c->dst, sa, c->dstlen);
	rc = client_init(&c->cl, SOCKS5_CMD_CONNECT, r->proxies, r->nproxies,
			 dst, sa->sa_family, conf ? conf->timeout * 1000 : 0,
			 socksify_env_username(), socksify_env_password());
	if (rc == 0)
		rc = client_arrange(&c->cl, r->route);
	if (nearly == 0) /* MSG_FASTOPEN data: it goes after the reply */
		client_allow_optimistic(&c->cl,
					r->route && r->route->optimistic);
	if (rc < 0) {
		LOG_ERR("%s: no proxy of the route can carry this address "
			"(SOCKS4 needs IPv4, SOCKS4A no IPv6)",
			socks_addr_format(dst, text, sizeof(text)));
		goto out;
	}
	LOG_DBG("fd %d: %s via proxy %.64s", fd,
		socks_addr_format(dst, text, sizeof(text)),
		client_proxy(&c->cl)->name);
	rc = tcp_fit_family(e, c, fd);
	if (rc < 0)
		goto out;

	fl = real.fcntl(fd, F_GETFL);
	client_set_known_flags(&c->cl, fl);
	if (fl >= 0 && (fl & O_NONBLOCK) &&
	    fdt_attach(fd, e, FDT_TCP | FDT_F_SUBST | FDT_F_INTERCEPT) == 0) {
		rc = tcp_keep_early(c, early, nearly, TCP_EARLY_MAX, taken);
		if (rc < 0) {
			fdt_detach_if(fd, e);
			goto out;
		}
		/* Once started, the payload is the engine's (read under the
		 * entry lock): whether data was queued is decided now. */
		queued = c->nearly != 0;
		rc = engine_start(&c->job);
		if (rc < 0) {
			fdt_detach_if(fd, e);
			goto out;
		}
		/* MSG_FASTOPEN data is queued: the send "succeeded"; an
		 * optimistic connection may be up for the program already. */
		fdt_lock(e);
		rc = queued || c->state == TCP_OPTIMISTIC ? 0 : -EINPROGRESS;
		fdt_unlock(e);
		goto out;
	}
	/* Blocking (or an fd beyond the table): the whole data goes. */
	engine_give_regs(&c->job); /* those taken by a socket replacement */
	rc = tcp_keep_early(c, early, nearly, nearly, taken);
	if (rc == 0)
		rc = tcp_run_blocking(e, fd);
out:
	fdt_put(e);
	return rc;
}

/* Contract: kind_tcp.h. */
int tcp_adopt_accepted(int fd, const struct sockaddr *peer, socklen_t len)
{
	struct fdt_entry *e =
		fdt_alloc(FDT_TCP, &tcp_ops, sizeof(struct tcp_conn));
	struct tcp_conn *c;
	int rc;

	if (!e)
		return -ENOMEM;
	c = tcp_of(e);
	e->cookie = fdt_socket_cookie(fd);
	c->state = TCP_OK;
	engine_job_init(&c->job, e, fd, &c->cl, tcp_done);
	c->dstlen = len < sizeof(c->dst) ? len : sizeof(c->dst);
	memcpy(&c->dst, peer, c->dstlen);
	rc = fdt_set(fd, e, FDT_TCP);
	fdt_put(e);
	return rc;
}

/*
 * Direct connections to a faked name (tcp_connect_direct_name).  The
 * payload's cl.dst holds the name and port; cl is not otherwise used.
 */

/* Resolve @name for a socket of @family into @ss (blocking, the re-entry
 * guard set).  Returns 0 or -EHOSTUNREACH (logged). */
static int tcp_direct_resolve(int family, const char *name, uint16_t port,
			      struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if (family == AF_INET6)
		hints.ai_flags = AI_V4MAPPED;
	socksify_guard++;
	rc = real.getaddrinfo(name, NULL, &hints, &res);
	socksify_guard--;
	if (rc != 0 || !res) {
		LOG_ERR("%.200s:%u: routed direct but does not resolve", name,
			port);
		return -EHOSTUNREACH;
	}
	*len = res->ai_addrlen <= sizeof(*ss) ? res->ai_addrlen : sizeof(*ss);
	memcpy(ss, res->ai_addr, *len);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	real.freeaddrinfo(res);
	LOG_DBG("%.200s:%u: direct", name, port);
	return 0;
}

/* The direct connect is under way (@rc 0: the kernel has it now, the fd
 * is no longer ours) or failed (reported once, like a handshake's). */
static int tcp_direct_done(struct eng_job *j, int rc)
{
	struct tcp_conn *c = tcp_of(j->e);

	if (j->orphaned || rc < 0) {
		c->state = TCP_FAILED;
		c->err = -rc;
		if (!j->orphaned)
			fdt_set_byte(j->fd, FDT_TCP | FDT_F_INTERCEPT);
		return rc;
	}
	c->state = TCP_CLOSED;
	fdt_detach_if(j->fd, j->e);
	return 0;
}

/* The thread of a non-blocking direct connect: resolve, then connect. */
static void *tcp_direct_thread(void *arg)
{
	struct fdt_entry *e = arg;
	struct tcp_conn *c = tcp_of(e);
	struct sockaddr_storage ss;
	socklen_t len = 0;
	int rc;

	socksify_guard++; /* libc calls made here are never the program's */
	rc = tcp_direct_resolve(c->dst.ss_family, c->cl.dst.u.name,
				c->cl.dst.port, &ss, &len);
	fdt_lock(e);
	if (c->job.active && c->job.fd >= 0 && fdt_still_ours(e, c->job.fd)) {
		if (rc == 0 &&
		    real.connect(c->job.fd, (struct sockaddr *)&ss, len) < 0 &&
		    errno != EINPROGRESS)
			rc = -errno;
		(void)engine_finish(&c->job, rc);
	}
	fdt_unlock(e);
	fdt_put(e);
	return NULL;
}

/* Start tcp_direct_thread for @e (a reference goes with it).  0 or -errno. */
static int tcp_direct_spawn(struct fdt_entry *e)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	fdt_ref(e);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, tcp_direct_thread, e);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		fdt_put(e);
		return -rc;
	}
	return 0;
}

/* Contract: kind_tcp.h. */
int tcp_connect_direct_name(int fd, const struct sockaddr *sa, const char *name,
			    uint16_t port)
{
	struct sockaddr_storage ss;
	struct fdt_entry *e;
	struct tcp_conn *c;
	socklen_t len;
	int fl = real.fcntl(fd, F_GETFL), rc;

	if (fl < 0 || !(fl & O_NONBLOCK))
		goto blocking;
	e = fdt_alloc(FDT_TCP, &tcp_ops, sizeof(*c));
	if (!e)
		goto blocking;
	c = tcp_of(e);
	e->cookie = fdt_socket_cookie(fd);
	c->state = TCP_HANDSHAKE;
	c->dst.ss_family = sa->sa_family;
	if (socks_addr_set_name(&c->cl.dst, name, strlen(name), port) < 0) {
		fdt_put(e);
		return -EHOSTUNREACH;
	}
	engine_job_init(&c->job, e, fd, &c->cl, tcp_direct_done);
	if (fdt_attach(fd, e, FDT_TCP | FDT_F_SUBST | FDT_F_INTERCEPT) < 0) {
		fdt_put(e);
		goto blocking;
	}
	rc = engine_park(&c->job);
	if (rc == 0 && (rc = tcp_direct_spawn(e)) < 0) {
		fdt_lock(e);
		(void)engine_finish(&c->job, rc);
		fdt_unlock(e);
	}
	if (rc < 0) {
		fdt_detach_if(fd, e);
		fdt_put(e);
		goto blocking; /* no thread: the caller waits after all */
	}
	fdt_put(e);
	return -EINPROGRESS;
blocking:
	rc = tcp_direct_resolve(sa->sa_family, name, port, &ss, &len);
	if (rc < 0)
		return rc;
	return real.connect(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : -errno;
}
