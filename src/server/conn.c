// SPDX-License-Identifier: MIT
/*
 * Connection driver (see conn.h).  Phases:
 *
 *   HANDSHAKE -> (AUTH) -> RESOLVE -> CONNECT -> RELAY
 *                                  \-> BIND_WAIT -> RELAY
 *                                  \-> UDP
 *   any failure -> LINGER (flush the reply, FIN, drain) -> closed
 *
 * The protocol itself lives in session.c; this file only does I/O and
 * policy.  Closed connections are unlinked at once and freed after the
 * current batch of events (conn_reap), so stale events are ignored.
 */
#include "config.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "proto/proto.h"
#include "server/auth.h"
#include "server/conn.h"
#include "server/lo_cc.h"
#include "server/loop.h"
#include "server/relay.h"
#include "server/resolver.h"
#include "server/server.h"
#include "server/session.h"
#include "server/udp_relay.h"

#define CONN_ADDRS_MAX 8
#define CONN_LINGER_MS 1000

enum conn_phase {
	PH_HANDSHAKE,
	PH_AUTH,
	PH_RESOLVE,
	PH_CONNECT,
	PH_BIND_WAIT,
	PH_RELAY,
	PH_UDP,
	PH_LINGER,
	PH_DEAD
};

struct conn;

struct res_job {
	struct rjob j;
	struct conn *c;
	char name[SOCKS5_DOMAIN_MAX + 1];
	uint16_t port;
	int family;
	int eai;
	size_t n;
	struct sockaddr_storage addrs[CONN_ADDRS_MAX];
};

struct auth_job {
	struct rjob j;
	struct conn *c;
	struct srvconf *cfg; /* own reference: the conn may go first */
	char user[AUTH1929_FIELD_MAX + 1];
	char pass[AUTH1929_FIELD_MAX + 1];
	size_t ulen, plen;
	bool ok;
};

struct conn {
	struct conn *prev, *next; /* all live connections */
	struct conn *dead_next;	  /* closed, to free after the batch */
	struct srvconf *cfg;
	enum conn_phase phase;
	struct loop_handler ch; /* client socket */
	struct loop_handler th; /* target: connecting, listener or peer */
	int cfd, tfd;
	struct sess *sess; /* during the handshake only */
	struct rjob *job;  /* look-up or password check in flight */
	struct sockaddr_storage *addrs; /* candidates to connect to */
	size_t naddrs, addr_idx;
	int last_err;
	struct relay_dir up, down;
	struct udp_assoc *udp;
	int64_t start, deadline, last_io;
	struct sockaddr_storage client;
	struct net_ip client_ip;
	struct sockaddr_storage taddr; /* connected / bound address (log) */
	bool has_taddr;
	/* what the log line needs once the session is gone */
	uint8_t ver, cmd;
	int result;
	struct socks_addr dst;
	char *user;
	uint64_t udp_up, udp_down;
};

struct server server;
static struct conn *conns;
static struct conn *graveyard;

static void on_client(struct loop_handler *h, uint32_t ev);

/* Phases in which the next event is a round trip away (loop_set_spin). */
static bool in_setup(enum conn_phase ph)
{
	return ph == PH_HANDSHAKE || ph == PH_AUTH || ph == PH_RESOLVE ||
	       ph == PH_CONNECT;
}

static void set_phase(struct conn *c, enum conn_phase ph)
{
	server.nsetup += (int)in_setup(ph) - (int)in_setup(c->phase);
	c->phase = ph;
}

bool conn_setup_pending(void)
{
	return server.nsetup > 0;
}

static void on_target(struct loop_handler *h, uint32_t ev);
static void handle(struct conn *c, enum sess_action act);
static void try_connect(struct conn *c);

static int64_t secs(int s)
{
	return s > 0 ? (int64_t)s * 1000 : -1;
}

static void set_deadline(struct conn *c, int seconds)
{
	c->deadline = seconds > 0 ? loop_now() + secs(seconds) : 0;
}

/* ---- the log line ---- */

static void clean_name(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap && i < 64; i++)
		out[i] = (in[i] > ' ' && in[i] < 127) ? in[i] : '?';
	out[i] = '\0';
}

static void log_session(struct conn *c)
{
	char client[64], addr[64], dst[SOCKS_ADDR_STRLEN], user[80], res[40];
	int64_t ms = loop_update_now() - c->start;
	uint64_t up = c->up.bytes + c->udp_up,
		 down = c->down.bytes + c->udp_down;

	if (log_level < LOG_LVL_INFO)
		return;
	srvconf_fmt_sa((struct sockaddr *)&c->client, client, sizeof(client));
	if (c->has_taddr)
		srvconf_fmt_sa((struct sockaddr *)&c->taddr, addr,
			       sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "-");
	if (c->dst.type)
		socks_addr_format(&c->dst, dst, sizeof(dst));
	else
		snprintf(dst, sizeof(dst), "-");
	if (c->user)
		clean_name(c->user, user, sizeof(user));
	else
		snprintf(user, sizeof(user), "-");
	log_msg(LOG_LVL_INFO * 16 + 2, "session",
		"client=%s user=%s ver=%s cmd=%s dst=%s addr=%s result=%s "
		"up=%llu down=%llu duration=%lld.%03lld",
		client, user,
		c->ver == 4   ? "4"
		: c->ver == 5 ? "5"
			      : "-",
		sess_cmd_name(c->cmd), dst, addr,
		sess_result_name(c->result, res, sizeof(res)),
		(unsigned long long)up, (unsigned long long)down,
		(long long)(ms / 1000), (long long)(ms % 1000));
}

/* ---- teardown ---- */

static void close_target(struct conn *c)
{
	loop_forget(&c->th);
	if (c->tfd >= 0)
		close(c->tfd);
	c->tfd = -1;
}

/*
 * End the session: one log line, every descriptor closed, jobs in flight
 * abandoned, the connection unlinked (freed by conn_reap after the batch).
 * Idempotent.
 */
static void finish(struct conn *c)
{
	if (c->phase == PH_DEAD)
		return;
	if (c->sess && c->result == SESS_RES_NONE)
		c->result = c->sess->result;
	if (c->sess && !c->ver)
		c->ver = c->sess->ver;
	if (c->sess && !c->cmd)
		c->cmd = c->sess->cmd;
	log_session(c);
	set_phase(c, PH_DEAD);
	if (c->job)
		c->job->cancelled = true;
	c->job = NULL;
	c->ch.dead = c->th.dead = 1;
	loop_forget(&c->ch);
	close_target(c);
	if (c->cfd >= 0)
		close(c->cfd);
	c->cfd = -1;
	if (c->udp && udp_assoc_frag_dropped(c->udp))
		LOG_DBG("UDP association dropped %llu fragment(s)",
			(unsigned long long)udp_assoc_frag_dropped(c->udp));
	if (c->udp)
		udp_assoc_close(c->udp);
	c->udp = NULL;
	relay_dir_release(&c->up);
	relay_dir_release(&c->down);
	if (c->sess) {
		explicit_bzero(c->sess, sizeof(*c->sess));
		free(c->sess);
		c->sess = NULL;
	}
	free(c->addrs);
	c->addrs = NULL;
	free(c->user);
	c->user = NULL;
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	server.nclients--;
	c->dead_next = graveyard;
	graveyard = c;
}

void conn_reap(void)
{
	while (graveyard) {
		struct conn *c = graveyard;

		graveyard = c->dead_next;
		srvconf_unref(c->cfg);
		free(c);
	}
	udp_reap();
}

void conn_close_all(void)
{
	while (conns)
		finish(conns);
	conn_reap();
}

/* ---- client socket: interest and output ---- */

static void update_masks(struct conn *c)
{
	uint32_t cm = 0, tm = 0;
	size_t out = 0;

	if (c->sess)
		sess_output(c->sess, &out);
	switch (c->phase) {
	case PH_HANDSHAKE:
	case PH_AUTH:
		if (sess_room(c->sess))
			cm |= EPOLLIN;
		break;
	case PH_BIND_WAIT:
		cm |= EPOLLRDHUP;
		tm |= EPOLLIN;
		break;
	case PH_CONNECT:
		tm |= EPOLLOUT;
		break;
	case PH_RELAY:
		if (relay_dir_wants_read(&c->up))
			cm |= EPOLLIN;
		if (relay_dir_wants_write(&c->down))
			cm |= EPOLLOUT;
		if (relay_dir_wants_read(&c->down))
			tm |= EPOLLIN;
		if (relay_dir_wants_write(&c->up))
			tm |= EPOLLOUT;
		break;
	case PH_UDP:
	case PH_LINGER:
		cm |= EPOLLIN;
		break;
	default:
		break;
	}
	if (out)
		cm |= EPOLLOUT;
	loop_set(&c->ch, cm);
	loop_set(&c->th, tm);
}

/* Send queued session output.  0 or -errno (fatal). */
static int flush_sess(struct conn *c)
{
	const uint8_t *p;
	size_t len;
	ssize_t n;

	if (!c->sess)
		return 0;
	p = sess_output(c->sess, &len);
	while (len) {
		n = send(c->cfd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		sess_sent(c->sess, (size_t)n);
		p = sess_output(c->sess, &len);
	}
	return 0;
}

/* After a final failure reply: flush it, send FIN, drain, then close. */
static void start_linger(struct conn *c)
{
	size_t out = 0;

	if (c->sess && c->result == SESS_RES_NONE)
		c->result = c->sess->result;
	close_target(c);
	set_phase(c, PH_LINGER);
	c->deadline = loop_now() + CONN_LINGER_MS;
	if (flush_sess(c) < 0) {
		finish(c);
		return;
	}
	if (c->sess)
		sess_output(c->sess, &out);
	if (!out)
		shutdown(c->cfd, SHUT_WR);
	update_masks(c);
}

static void linger_event(struct conn *c, uint32_t ev)
{
	uint8_t buf[4096];
	size_t out = 0;
	ssize_t n;

	if (ev & EPOLLERR) {
		finish(c);
		return;
	}
	if (ev & EPOLLOUT) {
		if (flush_sess(c) < 0) {
			finish(c);
			return;
		}
		sess_output(c->sess, &out);
		if (!out)
			shutdown(c->cfd, SHUT_WR);
	}
	if (ev & (EPOLLIN | EPOLLHUP)) {
		for (;;) {
			n = recv(c->cfd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 ||
			    (n < 0 && errno != EAGAIN && errno != EINTR)) {
				finish(c);
				return;
			}
			if (n < 0)
				break;
		}
	}
	update_masks(c);
}

/* ---- relay ---- */

static void start_relay(struct conn *c)
{
	const uint8_t *p;
	size_t len;

	relay_dir_init(&c->up, c->cfd, c->tfd);
	relay_dir_init(&c->down, c->tfd, c->cfd);
	if (flush_sess(c) < 0) {
		c->result = SESS_RES_PROTOCOL;
		finish(c);
		return;
	}
	/* An unsent reply goes first, then early data to the target. */
	p = sess_output(c->sess, &len);
	if (relay_dir_queue(&c->down, p, len) < 0)
		goto oom;
	p = sess_early(c->sess, &len);
	if (relay_dir_queue(&c->up, p, len) < 0)
		goto oom;
	c->up.bytes += len;
	c->result = c->sess->result;
	explicit_bzero(c->sess, sizeof(*c->sess));
	free(c->sess);
	c->sess = NULL;
	set_phase(c, PH_RELAY);
	c->last_io = loop_now();
	set_deadline(c, 0);
	if (c->th.fd < 0 && !relay_dir_wants_write(&c->up) &&
	    !relay_dir_wants_write(&c->down)) {
		/*
		 * Nothing queued either way: watch the target for input and
		 * let level-triggered epoll report what is already there,
		 * instead of two reads that would mostly see EAGAIN.
		 */
		if (loop_add(&c->th, c->tfd, on_target, EPOLLIN) < 0)
			goto oom;
		update_masks(c);
		return;
	}
	if (c->th.fd < 0 && loop_add(&c->th, c->tfd, on_target, 0) < 0)
		goto oom;
	on_target(&c->th, EPOLLIN | EPOLLOUT);
	return;
oom:
	finish(c);
}

/* Readiness on either socket of a relay: pump both directions. */
static void relay_event(struct conn *c, struct loop_handler *h, uint32_t ev)
{
	uint64_t before = c->up.bytes + c->down.bytes;
	int rc;

	if (ev & EPOLLERR) {
		finish(c);
		return;
	}
	if (ev & EPOLLHUP) {
		/*
		 * The peer closed both ways.  Stop watching the socket (HUP is
		 * level-triggered and cannot be masked); what it still holds is
		 * read when the other side can take it.
		 */
		loop_del(h);
		(h == &c->ch ? &c->up : &c->down)->unwatched = true;
	}
	/*
	 * Pump only the directions this event concerns: @h's input feeds
	 * one, @h's output drains the other.  The level-triggered loop
	 * reports the other socket's events by themselves; pumping both on
	 * every wake-up cost a failed recv() per wake-up.
	 */
	bool in = ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP), out = ev & EPOLLOUT;
	bool is_client = h == &c->ch;

	rc = 0;
	if (is_client ? in : out)
		rc = relay_pump(&c->up);
	if (rc == 0 && (is_client ? out : in))
		rc = relay_pump(&c->down);
	if (rc < 0) {
		finish(c);
		return;
	}
	if (c->up.bytes + c->down.bytes != before)
		c->last_io = loop_now();
	if ((c->up.done && c->down.done && !relay_dir_wants_write(&c->up) &&
	     !relay_dir_wants_write(&c->down)) ||
	    (c->ch.fd < 0 && c->th.fd < 0)) {
		finish(c);
		return;
	}
	update_masks(c);
}

/* ---- replies ---- */

static void reply(struct conn *c, uint8_t rep, const struct socks_addr *bnd)
{
	handle(c, sess_reply(c->sess, rep, bnd));
}

/* The local (or peer) address of @fd as a SOCKS address, for replies. */
static void bnd_from_fd(int fd, bool peer, struct socks_addr *bnd,
			struct sockaddr_storage *ss)
{
	struct sockaddr_storage tmp;
	socklen_t len = sizeof(tmp);
	int rc;

	if (!ss)
		ss = &tmp;
	memset(bnd, 0, sizeof(*bnd));
	rc = peer ? getpeername(fd, (struct sockaddr *)ss, &len)
		  : getsockname(fd, (struct sockaddr *)ss, &len);
	if (rc == 0)
		socks_addr_from_sockaddr(bnd, (struct sockaddr *)ss, len);
}

/* ---- access checks ---- */

static int check(struct conn *c, unsigned cmd, const struct sockaddr *sa)
{
	struct acl_query q;
	struct acl_verdict v;
	struct net_ip ip;
	uint16_t port = c->dst.port;
	int rc;

	memset(&q, 0, sizeof(q));
	q.client = &c->client_ip;
	q.cmd = cmd;
	q.version = c->ver;
	q.user = c->user;
	q.hostname =
		c->dst.type == SOCKS5_ATYP_DOMAINNAME ? c->dst.u.name : NULL;
	if (sa && net_ip_from_sockaddr(&ip, &port, sa,
				       sizeof(struct sockaddr_storage)) == 0)
		q.dst = &ip;
	q.port = port;
	q.now = &server.now_tm;
	rc = acl_check(&c->cfg->acl, &q, &v);
	if (rc < 0) {
		char ipbuf[INET6_ADDRSTRLEN] = "-";

		if (q.dst)
			net_ip_format(q.dst, ipbuf, sizeof(ipbuf));
		LOG_DBG("denied %.64s [%s] port %u: %s (rule at line %d)",
			q.hostname ? q.hostname : "-", ipbuf, port, v.why,
			v.rule ? v.rule->line : 0);
	}
	return rc;
}

/* ---- CONNECT ---- */

static void connected(struct conn *c)
{
	struct socks_addr bnd;
	int one = 1;

	setsockopt(c->tfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bnd_from_fd(c->tfd, false, &bnd, NULL);
	reply(c, SOCKS5_REP_SUCCEEDED, &bnd);
}

/* One address failed with @err: try the next one. */
static void connect_failed(struct conn *c, int err)
{
	c->last_err = err;
	close_target(c);
	try_connect(c);
}

/* Bind an outgoing socket to `external` when set.  0 or -errno. */
static int bind_external(struct conn *c, int fd, int family)
{
	if (!c->cfg->has_external || c->cfg->external.ss_family != family)
		return 0;
	if (bind(fd, (struct sockaddr *)&c->cfg->external,
		 c->cfg->external_len) < 0)
		return -errno;
	return 0;
}

static void connect_event(struct conn *c, uint32_t ev);

/*
 * Events of a non-blocking connect that already finished (success or
 * error), 0 while it is in progress.  poll's POLLOUT/POLLERR/POLLHUP have
 * the values of the EPOLL* flags.
 */
static uint32_t connect_done_now(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	if (poll(&p, 1, 0) != 1)
		return 0;
	return (uint32_t)p.revents & (EPOLLOUT | EPOLLERR | EPOLLHUP);
}

/* Try the next candidate address that the rules allow. */
static void try_connect(struct conn *c)
{
	uint32_t ev;
	uint8_t rep;

	while (c->addr_idx < c->naddrs) {
		struct sockaddr_storage *sa = &c->addrs[c->addr_idx++];
		socklen_t len = sa->ss_family == AF_INET
					? sizeof(struct sockaddr_in)
					: sizeof(struct sockaddr_in6);
		int fd, rc;

		if (check(c, ACL_CMD_CONNECT, (struct sockaddr *)sa) < 0) {
			if (!c->last_err)
				c->last_err = EACCES;
			continue;
		}
		fd = socket(sa->ss_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			c->last_err = errno;
			continue;
		}
		if (lo_cc_wanted((struct sockaddr *)sa))
			lo_cc_apply(fd);
		rc = bind_external(c, fd, sa->ss_family);
		if (rc == 0 && connect(fd, (struct sockaddr *)sa, len) < 0 &&
		    errno != EINPROGRESS)
			rc = -errno;
		if (rc < 0) {
			c->last_err = -rc;
			close(fd);
			continue;
		}
		c->tfd = fd;
		c->taddr = *sa;
		c->has_taddr = true;
		set_phase(c, PH_CONNECT);
		set_deadline(c, c->cfg->connect_timeout);
		/*
		 * A loopback or LAN connect often completes within the call:
		 * then answer now instead of after another trip through epoll,
		 * and register the socket only once the relay knows its mask.
		 */
		ev = connect_done_now(fd);
		if (ev) {
			connect_event(c, ev);
			return;
		}
		if (loop_add(&c->th, fd, on_target, EPOLLOUT) < 0) {
			c->last_err = errno;
			close_target(c);
			continue;
		}
		update_masks(c);
		return;
	}
	rep = c->last_err == EACCES ? SOCKS5_REP_NOT_ALLOWED
	      : c->last_err	    ? socks5_rep_from_errno(c->last_err)
				    : SOCKS5_REP_GENERAL_FAILURE;
	reply(c, rep, NULL);
}

/* The outgoing socket became writable: connected, or failed. */
static void connect_event(struct conn *c, uint32_t ev)
{
	int err = 0;
	socklen_t len = sizeof(err);

	/* Writable without error or hang-up: connected, nothing to ask. */
	if (ev & (EPOLLERR | EPOLLHUP)) {
		if (getsockopt(c->tfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		connect_failed(c, err ? err : ECONNREFUSED);
		return;
	}
	connected(c);
}

/* ---- BIND ---- */

/* The local address the kernel would use towards @dst. */
static int route_source(const struct sockaddr_storage *dst,
			struct sockaddr_storage *out)
{
	struct sockaddr_storage d = *dst;
	socklen_t len = d.ss_family == AF_INET ? sizeof(struct sockaddr_in)
					       : sizeof(struct sockaddr_in6);
	socklen_t olen = sizeof(*out);
	int fd, rc = 0;

	if (d.ss_family == AF_INET && ((struct sockaddr_in *)&d)->sin_port == 0)
		((struct sockaddr_in *)&d)->sin_port = htons(9);
	if (d.ss_family == AF_INET6 &&
	    ((struct sockaddr_in6 *)&d)->sin6_port == 0)
		((struct sockaddr_in6 *)&d)->sin6_port = htons(9);
	fd = socket(d.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&d, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)out, &olen) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * BIND: listen (backlog 1) on an address the application server can
 * reach: `external`, else the source address towards the expected peer,
 * else the address the client reached.  Sends the first reply.
 */
static void start_bind(struct conn *c)
{
	struct sockaddr_storage local;
	struct socks_addr bnd;
	socklen_t len = sizeof(local);
	bool zero = c->naddrs == 0;
	int fd, rc = 0;

	if (check(c, ACL_CMD_BIND,
		  zero ? NULL : (struct sockaddr *)&c->addrs[0]) < 0) {
		reply(c, SOCKS5_REP_NOT_ALLOWED, NULL);
		return;
	}
	/* Where can the application server reach us? */
	if (c->cfg->has_external) {
		local = c->cfg->external;
	} else if (!zero) {
		rc = route_source(&c->addrs[0], &local);
	} else {
		if (getsockname(c->cfd, (struct sockaddr *)&local, &len) < 0)
			rc = -errno;
	}
	if (rc == 0) {
		srv_sa_unmap(&local);
		srv_sa_set_port(&local, 0);
		if (c->ver == 4 && local.ss_family != AF_INET)
			rc = -EAFNOSUPPORT;
	}
	if (rc < 0) {
		reply(c,
		      c->ver == 4 ? SOCKS5_REP_GENERAL_FAILURE
				  : socks5_rep_from_errno(-rc),
		      NULL);
		return;
	}
	len = local.ss_family == AF_INET ? sizeof(struct sockaddr_in)
					 : sizeof(struct sockaddr_in6);
	fd = socket(local.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, len) < 0 ||
	    listen(fd, 1) < 0) {
		rc = errno;
		if (fd >= 0)
			close(fd);
		reply(c, socks5_rep_from_errno(rc), NULL);
		return;
	}
	c->tfd = fd;
	if (loop_add(&c->th, fd, on_target, EPOLLIN) < 0) {
		reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return;
	}
	bnd_from_fd(fd, false, &bnd, &c->taddr);
	c->has_taddr = true;
	set_phase(c, PH_BIND_WAIT);
	set_deadline(c, c->cfg->bind_timeout);
	handle(c, sess_reply(c->sess, SOCKS5_REP_SUCCEEDED, &bnd));
}

/* Is @peer one of the addresses DST named (any peer when DST was 0)? */
static bool peer_expected(struct conn *c, const struct sockaddr_storage *peer)
{
	struct net_ip pip, want;
	uint16_t port;
	size_t i;

	if (c->naddrs == 0)
		return true;
	if (net_ip_from_sockaddr(&pip, &port, (const struct sockaddr *)peer,
				 sizeof(*peer)) < 0)
		return false;
	for (i = 0; i < c->naddrs; i++) {
		if (net_ip_from_sockaddr(&want, &port,
					 (struct sockaddr *)&c->addrs[i],
					 sizeof(c->addrs[i])) < 0)
			continue;
		if (want.family == pip.family &&
		    memcmp(want.b, pip.b, want.family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

/*
 * The inbound connection of a BIND: accept exactly one, close the
 * listener, check the peer, send the second reply.
 */
static void bind_event(struct conn *c)
{
	struct sockaddr_storage peer;
	struct socks_addr paddr;
	socklen_t len = sizeof(peer);
	int fd, one = 1;

	fd = accept4(c->tfd, (struct sockaddr *)&peer, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		reply(c, socks5_rep_from_errno(errno), NULL);
		return;
	}
	close_target(c); /* one inbound connection only */
	memset(&paddr, 0, sizeof(paddr));
	socks_addr_from_sockaddr(&paddr, (struct sockaddr *)&peer, len);
	if (!peer_expected(c, &peer)) {
		char buf[64];

		LOG_DBG("BIND: unexpected peer %s",
			srvconf_fmt_sa((struct sockaddr *)&peer, buf,
				       sizeof(buf)));
		close(fd);
		reply(c, SOCKS5_REP_NOT_ALLOWED, &paddr);
		return;
	}
	c->tfd = fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	reply(c, SOCKS5_REP_SUCCEEDED, &paddr);
}

/* ---- UDP ASSOCIATE ---- */

static void udp_event(struct conn *c, uint32_t ev)
{
	uint8_t buf[512];
	ssize_t n;

	/* The association lives as long as its control connection. */
	for (;;) {
		n = recv(c->cfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
		    !(ev & (EPOLLERR | EPOLLHUP)))
			return;
		finish(c);
		return;
	}
}

/* UDP ASSOCIATE: open the relay and reply with its address. */
static void start_udp(struct conn *c)
{
	struct sockaddr_storage local;
	struct socks_addr bnd;
	struct udp_owner o;
	socklen_t len = sizeof(local);
	int rc;

	if (getsockname(c->cfd, (struct sockaddr *)&local, &len) < 0) {
		reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return;
	}
	o.cfg = c->cfg;
	o.client = &c->client_ip;
	o.user = c->user;
	o.version = c->ver;
	o.up = &c->udp_up;
	o.down = &c->udp_down;
	o.last_io = &c->last_io;
	rc = udp_assoc_open(&c->udp, &o, &local, &c->dst, &bnd);
	if (rc < 0) {
		reply(c, socks5_rep_from_errno(-rc), NULL);
		return;
	}
	socks_addr_to_sockaddr(&bnd, &c->taddr, &len);
	c->has_taddr = true;
	reply(c, SOCKS5_REP_SUCCEEDED, &bnd);
}

/* ---- request: resolve, then act ---- */

static void after_resolve(struct conn *c)
{
	set_phase(c, PH_RESOLVE);
	if (c->cmd == SESS_CMD_BIND)
		start_bind(c);
	else
		try_connect(c);
}

/* Worker thread: resolve the name (IPv4 only for SOCKS4). */
static void res_work(struct rjob *j)
{
	struct res_job *r = container_of(j, struct res_job, j);
	struct addrinfo hints, *res = NULL, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = r->family;
	hints.ai_socktype = SOCK_STREAM;
	r->eai = getaddrinfo(r->name, NULL, &hints, &res);
	if (r->eai)
		return;
	for (ai = res; ai && r->n < CONN_ADDRS_MAX; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		memcpy(&r->addrs[r->n], ai->ai_addr, ai->ai_addrlen);
		srv_sa_unmap(&r->addrs[r->n]);
		srv_sa_set_port(&r->addrs[r->n], r->port);
		r->n++;
	}
	freeaddrinfo(res);
	if (!r->n)
		r->eai = EAI_NONAME;
}

static void res_release(struct rjob *j)
{
	free(container_of(j, struct res_job, j));
}

/* Loop thread: the look-up finished. */
static void res_done(struct rjob *j)
{
	struct res_job *r = container_of(j, struct res_job, j);
	struct conn *c = r->c;
	int eai = r->eai;

	c->job = NULL;
	if (eai) {
		LOG_DBG("cannot resolve %.64s: %s", r->name, gai_strerror(eai));
		free(r);
		reply(c, socks5_rep_from_eai(eai), NULL);
		return;
	}
	c->addrs = calloc(r->n, sizeof(*c->addrs));
	if (!c->addrs) {
		free(r);
		reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return;
	}
	memcpy(c->addrs, r->addrs, r->n * sizeof(*c->addrs));
	c->naddrs = r->n;
	free(r);
	after_resolve(c);
}

/*
 * The session parsed a request: keep what the log needs, then resolve a
 * name (in the worker pool), or go on with the address given.
 */
static void start_request(struct conn *c)
{
	struct sess *s = c->sess;
	socklen_t len;

	c->ver = s->ver;
	c->cmd = s->cmd;
	c->dst = s->dst;
	if (s->has_user) {
		c->user = strdup(s->auth.uname);
		if (!c->user) {
			reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
			return;
		}
	}
	set_phase(c, PH_RESOLVE);
	set_deadline(c, c->cfg->connect_timeout);
	if (c->cmd == SESS_CMD_UDP) {
		start_udp(c);
		return;
	}
	if (c->dst.type == SOCKS5_ATYP_DOMAINNAME) {
		struct res_job *r;

		if (!socks_name_is_valid(c->dst.u.name, c->dst.len)) {
			reply(c, SOCKS5_REP_HOST_UNREACHABLE, NULL);
			return;
		}
		r = calloc(1, sizeof(*r));
		if (!r) {
			reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
			return;
		}
		r->j.work = res_work;
		r->j.done = res_done;
		r->j.release = res_release;
		r->c = c;
		memcpy(r->name, c->dst.u.name, c->dst.len);
		r->name[c->dst.len] = '\0';
		r->port = c->dst.port;
		/* SOCKS4 replies carry only IPv4 (notes A.1). */
		r->family = c->ver == 4 ? AF_INET : AF_UNSPEC;
		c->job = &r->j;
		resolver_submit(&r->j);
		update_masks(c);
		return;
	}
	if (c->cmd == SESS_CMD_BIND && socks_addr_is_zero(&c->dst)) {
		after_resolve(c);
		return;
	}
	c->addrs = calloc(1, sizeof(*c->addrs));
	if (!c->addrs ||
	    socks_addr_to_sockaddr(&c->dst, &c->addrs[0], &len) < 0) {
		reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return;
	}
	srv_sa_unmap(&c->addrs[0]);
	c->naddrs = 1;
	after_resolve(c);
}

/* ---- authentication ---- */

static void auth_work(struct rjob *j)
{
	struct auth_job *a = container_of(j, struct auth_job, j);

	a->ok = auth_verify(&a->cfg->users, a->user, a->ulen, a->pass, a->plen);
	explicit_bzero(a->pass, sizeof(a->pass));
}

static void auth_release(struct rjob *j)
{
	struct auth_job *a = container_of(j, struct auth_job, j);

	srvconf_unref(a->cfg);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

static void auth_done(struct rjob *j)
{
	struct auth_job *a = container_of(j, struct auth_job, j);
	struct conn *c = a->c;
	bool ok = a->ok;

	c->job = NULL;
	auth_release(j);
	set_phase(c, PH_HANDSHAKE);
	handle(c, sess_auth_done(c->sess, ok));
}

/* RFC 1929 credentials arrived: check them off the loop. */
static void start_auth(struct conn *c)
{
	const struct auth1929_request *r = sess_auth(c->sess);
	struct auth_job *a = calloc(1, sizeof(*a));

	if (!a) {
		handle(c, sess_auth_done(c->sess, false));
		return;
	}
	a->j.work = auth_work;
	a->j.done = auth_done;
	a->j.release = auth_release;
	a->c = c;
	a->cfg = srvconf_ref(c->cfg);
	memcpy(a->user, r->uname, sizeof(a->user));
	memcpy(a->pass, r->passwd, sizeof(a->pass));
	a->ulen = r->ulen;
	a->plen = r->plen;
	c->job = &a->j;
	set_phase(c, PH_AUTH);
	resolver_submit(&a->j);
	update_masks(c);
}

/* ---- dispatch of session actions ---- */

static void handle(struct conn *c, enum sess_action act)
{
	if (c->phase == PH_DEAD)
		return;
	/* Replies the session queued go out before the next step starts. */
	if ((act == SESS_ACT_NONE || act == SESS_ACT_AUTH ||
	     act == SESS_ACT_REQUEST) &&
	    flush_sess(c) < 0) {
		finish(c);
		return;
	}
	switch (act) {
	case SESS_ACT_NONE:
		update_masks(c);
		return;
	case SESS_ACT_AUTH:
		start_auth(c);
		return;
	case SESS_ACT_REQUEST:
		start_request(c);
		return;
	case SESS_ACT_RELAY:
		start_relay(c);
		return;
	case SESS_ACT_UDP:
		c->result = SOCKS5_REP_SUCCEEDED;
		set_phase(c, PH_UDP);
		c->last_io = loop_now();
		set_deadline(c, 0);
		if (flush_sess(c) < 0) {
			finish(c);
			return;
		}
		update_masks(c);
		return;
	case SESS_ACT_CLOSE:
		start_linger(c);
		return;
	}
}

/*
 * Handshake input: read at most what the session has room for and feed
 * it; a request pipelined behind credentials waits in the session while
 * the password is checked.
 */
static void handshake_event(struct conn *c, uint32_t ev)
{
	uint8_t buf[SESS_IN_MAX];
	enum sess_action act = SESS_ACT_NONE;
	size_t room, used;
	ssize_t n;

	if (ev & EPOLLOUT && flush_sess(c) < 0) {
		finish(c);
		return;
	}
	while (c->phase == PH_HANDSHAKE || c->phase == PH_AUTH) {
		room = sess_room(c->sess);
		if (!room)
			break;
		n = recv(c->cfd, buf, room, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			if (c->job)
				c->job->cancelled = true;
			c->job = NULL;
			sess_eof(c->sess);
			finish(c);
			return;
		}
		if (n < 0)
			break;
		act = sess_feed(c->sess, buf, (size_t)n, &used);
		/* In PH_AUTH a pipelined request waits for the verdict. */
		if (c->phase != PH_AUTH || act != SESS_ACT_NONE)
			handle(c, act);
		/*
		 * A short read drained the socket: what the client sends next
		 * (it is waiting for our reply) is reported by the
		 * level-triggered loop; one recv() fewer per step.
		 */
		if ((size_t)n < room)
			break;
	}
	if (c->phase != PH_DEAD)
		update_masks(c);
}

static void on_client(struct loop_handler *h, uint32_t ev)
{
	struct conn *c = container_of(h, struct conn, ch);

	switch (c->phase) {
	case PH_HANDSHAKE:
	case PH_AUTH:
		handshake_event(c, ev);
		break;
	case PH_RELAY:
		relay_event(c, h, ev);
		break;
	case PH_UDP:
		udp_event(c, ev);
		break;
	case PH_LINGER:
		linger_event(c, ev);
		break;
	case PH_BIND_WAIT:
		if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
			c->result = SOCKS5_REP_GENERAL_FAILURE;
			finish(c); /* the client gave up waiting */
			return;
		}
		if (ev & EPOLLOUT && flush_sess(c) < 0) {
			finish(c);
			return;
		}
		update_masks(c);
		break;
	default:
		/* Resolving or connecting: only a hang-up matters. */
		if (ev & (EPOLLHUP | EPOLLERR)) {
			c->result = SOCKS5_REP_GENERAL_FAILURE;
			finish(c);
			return;
		}
		if (ev & EPOLLOUT && flush_sess(c) < 0) {
			finish(c);
			return;
		}
		update_masks(c);
		break;
	}
}

static void on_target(struct loop_handler *h, uint32_t ev)
{
	struct conn *c = container_of(h, struct conn, th);

	switch (c->phase) {
	case PH_CONNECT:
		connect_event(c, ev);
		break;
	case PH_BIND_WAIT:
		bind_event(c);
		break;
	case PH_RELAY:
		relay_event(c, h, ev);
		break;
	default:
		break;
	}
}

/* ---- accept and timeouts ---- */

int conn_accept(int fd, const struct sockaddr_storage *peer)
{
	struct conn *c = calloc(1, sizeof(*c));
	uint16_t port;

	if (!c)
		return -ENOMEM;
	c->sess = malloc(sizeof(*c->sess));
	if (!c->sess) {
		free(c);
		return -ENOMEM;
	}
	c->cfg = srvconf_ref(server.cfg);
	c->cfd = fd;
	c->tfd = -1;
	c->th.fd = -1;
	c->client = *peer;
	srv_sa_unmap(&c->client);
	net_ip_from_sockaddr(&c->client_ip, &port,
			     (struct sockaddr *)&c->client, sizeof(c->client));
	c->result = SESS_RES_NONE;
	c->start = loop_now();
	set_deadline(c, c->cfg->handshake_timeout);
	sess_init(c->sess, &c->cfg->methods);
	/* TCP_NODELAY is inherited from the listening socket (listener.c). */
	if (loop_add(&c->ch, fd, on_client, EPOLLIN) < 0) {
		int err = errno;

		free(c->sess);
		srvconf_unref(c->cfg);
		free(c);
		return -err;
	}
	c->next = conns;
	if (conns)
		conns->prev = c;
	conns = c;
	server.nclients++;
	server.nsetup++; /* calloc: PH_HANDSHAKE */
	/* The greeting is often queued already: read it without a wake-up. */
	handshake_event(c, EPOLLIN);
	return 0;
}

/* The phase's deadline passed. */
static void timeout(struct conn *c, int64_t now)
{
	switch (c->phase) {
	case PH_HANDSHAKE:
	case PH_AUTH:
		if (c->job)
			c->job->cancelled = true;
		c->job = NULL;
		sess_timeout(c->sess);
		c->result = SESS_RES_TIMEOUT;
		finish(c);
		break;
	case PH_RESOLVE:
		if (c->job)
			c->job->cancelled = true;
		c->job = NULL;
		reply(c, SOCKS5_REP_HOST_UNREACHABLE, NULL);
		break;
	case PH_CONNECT:
		connect_failed(c, ETIMEDOUT);
		break;
	case PH_BIND_WAIT:
		close_target(c);
		reply(c, SOCKS5_REP_TTL_EXPIRED, NULL);
		break;
	case PH_RELAY:
	case PH_UDP:
		finish(c);
		break;
	default:
		finish(c);
		break;
	}
	(void)now;
}

/*
 * Every tick: refresh the local time for rules and expire deadlines
 * (handshake, look-up, connect, BIND wait, idle relays and associations).
 */
void conn_tick(int64_t now)
{
	struct conn *c, *next;
	time_t t = time(NULL);

	localtime_r(&t, &server.now_tm);
	for (c = conns; c; c = next) {
		next = c->next;
		if (c->phase == PH_RELAY || c->phase == PH_UDP) {
			int idle = c->phase == PH_UDP ? c->cfg->udp_timeout
						      : c->cfg->idle_timeout;

			if (idle > 0 && now - c->last_io >= secs(idle))
				timeout(c, now);
			continue;
		}
		if (c->deadline && now >= c->deadline)
			timeout(c, now);
	}
}
