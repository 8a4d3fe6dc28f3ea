// SPDX-License-Identifier: MIT
/*
 * One client connection's life (conn.h, conn_priv.h): accept, the phase
 * choke point, dispatch of the session's actions and of socket events to
 * the phase files, the relay and linger phases, timeouts, teardown, and
 * the one log line per session.  The protocol itself lives in session.c.
 * Closed connections are unlinked at once and freed after the current
 * batch of events (conn_reap), so stale events are ignored.
 */
#include "config.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "server/conn.h"
#include "common/jsonw.h"
#include "server/conn_priv.h"
#include "server/metrics.h"
#include "server/server.h"

struct server server;
static struct conn *conns;
static struct conn *graveyard;

static void conn_on_client(struct loop_handler *h, uint32_t ev);

/* Phases in which the next event is a round trip away (loop_set_spin). */
static bool conn_in_setup(enum conn_phase ph)
{
	return ph == PH_HANDSHAKE || ph == PH_AUTH || ph == PH_RESOLVE ||
	       ph == PH_CONNECT;
}

/* Microseconds on the monotonic clock (handshake latency). */
static int64_t conn_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void conn_set_phase(struct conn *c, enum conn_phase ph)
{
	/* The request's success reply ends the handshake. */
	if (conn_in_setup(c->phase) &&
	    (ph == PH_RELAY || ph == PH_UDP || ph == PH_BIND_WAIT))
		metrics_handshake(conn_us() - c->start_us);
	server.nsetup += (int)conn_in_setup(ph) - (int)conn_in_setup(c->phase);
	c->phase = ph;
}

bool conn_setup_pending(void)
{
	return server.nsetup > 0;
}

static int64_t conn_ms(int s)
{
	return s > 0 ? (int64_t)s * 1000 : -1;
}

void conn_set_deadline(struct conn *c, int seconds)
{
	c->deadline = seconds > 0 ? loop_now() + conn_ms(seconds) : 0;
}

/* ---- the log line ---- */

static void conn_clean_name(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap && i < 64; i++)
		out[i] = (in[i] > ' ' && in[i] < 127) ? in[i] : '?';
	out[i] = '\0';
}

/* The session line as JSON: the fields of the text line, user unfiltered
 * (escaped instead), numbers as numbers. */
static void conn_log_session_json(struct conn *c, const char *client,
				  const char *dst, const char *addr,
				  const char *res, uint64_t up, uint64_t down,
				  int64_t ms)
{
	char buf[1024];
	struct jsonw w;

	log_json_begin(&w, buf, sizeof(buf), "session");
	jsonw_str(&w, "client", client);
	jsonw_strn(&w, "user", c->user, 255);
	if (c->ver)
		jsonw_i64(&w, "ver", c->ver);
	else
		jsonw_str(&w, "ver", NULL);
	jsonw_str(&w, "cmd", sess_cmd_name(c->cmd));
	jsonw_str(&w, "dst", c->dst.type ? dst : NULL);
	jsonw_str(&w, "addr", c->has_taddr ? addr : NULL);
	jsonw_str(&w, "result", res);
	jsonw_u64(&w, "up", up);
	jsonw_u64(&w, "down", down);
	jsonw_secs(&w, "duration", ms);
	log_json_emit(LOG_LVL_INFO * 16 + 2, &w);
}

static void conn_log_session(struct conn *c)
{
	char client[64], addr[64], dst[SOCKS_ADDR_STRLEN], user[80], res[40];
	int64_t ms = loop_update_now() - c->start;
	uint64_t up = c->up.bytes + c->udp_up,
		 down = c->down.bytes + c->udp_down;

	if (log_level < LOG_LVL_INFO)
		return;
	net_sa_format((struct sockaddr *)&c->client, client, sizeof(client));
	if (c->has_taddr)
		net_sa_format((struct sockaddr *)&c->taddr, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "-");
	if (c->dst.type)
		socks_addr_format(&c->dst, dst, sizeof(dst));
	else
		snprintf(dst, sizeof(dst), "-");
	if (log_is_json()) {
		conn_log_session_json(
			c, client, dst, addr,
			sess_result_name(c->result, res, sizeof(res)), up, down,
			ms);
		return;
	}
	if (c->user)
		conn_clean_name(c->user, user, sizeof(user));
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

void conn_close_target(struct conn *c)
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
void conn_finish(struct conn *c)
{
	if (c->phase == PH_DEAD)
		return;
	if (c->sess && c->result == SESS_RES_NONE)
		c->result = c->sess->result;
	if (c->sess && !c->ver)
		c->ver = c->sess->ver;
	if (c->sess && !c->cmd)
		c->cmd = c->sess->cmd;
	conn_log_session(c);
	metrics_session_end(c->result);
	metrics_add(&metrics_self()->bytes_up, c->udp_up);
	metrics_add(&metrics_self()->bytes_down, c->udp_down);
	conn_set_phase(c, PH_DEAD);
	if (c->job)
		c->job->cancelled = true;
	c->job = NULL;
	c->ch.dead = c->th.dead = 1;
	loop_forget(&c->ch);
	conn_close_target(c);
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
	metrics_set(&metrics_self()->current, (uint64_t)server.nclients);
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
		conn_finish(conns);
	conn_reap();
}

/* ---- client socket: interest and output ---- */

void conn_update_masks(struct conn *c)
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
int conn_flush(struct conn *c)
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
static void conn_linger_start(struct conn *c)
{
	size_t out = 0;

	if (c->sess && c->result == SESS_RES_NONE)
		c->result = c->sess->result;
	conn_close_target(c);
	conn_set_phase(c, PH_LINGER);
	c->deadline = loop_now() + CONN_LINGER_MS;
	if (conn_flush(c) < 0) {
		conn_finish(c);
		return;
	}
	if (c->sess)
		sess_output(c->sess, &out);
	if (!out)
		shutdown(c->cfd, SHUT_WR);
	conn_update_masks(c);
}

static void conn_linger_event(struct conn *c, uint32_t ev)
{
	uint8_t buf[4096];
	size_t out = 0;
	ssize_t n;

	if (ev & EPOLLERR) {
		conn_finish(c);
		return;
	}
	if (ev & EPOLLOUT) {
		if (conn_flush(c) < 0) {
			conn_finish(c);
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
				conn_finish(c);
				return;
			}
			if (n < 0)
				break;
		}
	}
	conn_update_masks(c);
}

/* ---- relay ---- */

static void conn_relay_start(struct conn *c)
{
	const uint8_t *p;
	size_t len;

	relay_dir_init(&c->up, c->cfd, c->tfd);
	relay_dir_init(&c->down, c->tfd, c->cfd);
	if (conn_flush(c) < 0) {
		c->result = SESS_RES_PROTOCOL;
		conn_finish(c);
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
	metrics_add(&metrics_self()->bytes_up, len);
	c->result = c->sess->result;
	explicit_bzero(c->sess, sizeof(*c->sess));
	free(c->sess);
	c->sess = NULL;
	conn_set_phase(c, PH_RELAY);
	c->last_io = loop_now();
	conn_set_deadline(c, 0);
	if (c->th.fd < 0 && !relay_dir_wants_write(&c->up) &&
	    !relay_dir_wants_write(&c->down)) {
		/*
		 * Nothing queued either way: watch the target for input and
		 * let level-triggered epoll report what is already there,
		 * instead of two reads that would mostly see EAGAIN.
		 */
		if (loop_add(&c->th, c->tfd, conn_on_target, EPOLLIN) < 0)
			goto oom;
		conn_update_masks(c);
		return;
	}
	if (c->th.fd < 0 && loop_add(&c->th, c->tfd, conn_on_target, 0) < 0)
		goto oom;
	conn_on_target(&c->th, EPOLLIN | EPOLLOUT);
	return;
oom:
	conn_finish(c);
}

/* Readiness on either socket of a relay: pump both directions. */
static void conn_relay_event(struct conn *c, struct loop_handler *h,
			     uint32_t ev)
{
	uint64_t up0 = c->up.bytes, down0 = c->down.bytes;
	int rc;

	if (ev & EPOLLERR) {
		conn_finish(c);
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
	if (c->up.bytes != up0 || c->down.bytes != down0) {
		metrics_add(&metrics_self()->bytes_up, c->up.bytes - up0);
		metrics_add(&metrics_self()->bytes_down, c->down.bytes - down0);
		c->last_io = loop_now();
	}
	if (rc < 0) {
		conn_finish(c);
		return;
	}
	if ((c->up.done && c->down.done && !relay_dir_wants_write(&c->up) &&
	     !relay_dir_wants_write(&c->down)) ||
	    (c->ch.fd < 0 && c->th.fd < 0)) {
		conn_finish(c);
		return;
	}
	conn_update_masks(c);
}

/* ---- replies ---- */

void conn_reply(struct conn *c, uint8_t rep, const struct socks_addr *bnd)
{
	conn_handle(c, sess_reply(c->sess, rep, bnd));
}

/* The local (or peer) address of @fd as a SOCKS address, for replies. */
void conn_bnd_from_fd(int fd, bool peer, struct socks_addr *bnd,
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

int conn_acl_check(struct conn *c, unsigned cmd, const struct sockaddr *sa)
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

/* ---- dispatch of session actions ---- */

void conn_handle(struct conn *c, enum sess_action act)
{
	if (c->phase == PH_DEAD)
		return;
	/* Replies the session queued go out before the next step starts. */
	if ((act == SESS_ACT_NONE || act == SESS_ACT_AUTH ||
	     act == SESS_ACT_REQUEST) &&
	    conn_flush(c) < 0) {
		conn_finish(c);
		return;
	}
	switch (act) {
	case SESS_ACT_NONE:
		conn_update_masks(c);
		return;
	case SESS_ACT_AUTH:
		negotiate_auth_start(c);
		return;
	case SESS_ACT_REQUEST:
		request_start(c);
		return;
	case SESS_ACT_RELAY:
		conn_relay_start(c);
		return;
	case SESS_ACT_UDP:
		c->result = SOCKS5_REP_SUCCEEDED;
		conn_set_phase(c, PH_UDP);
		c->last_io = loop_now();
		conn_set_deadline(c, 0);
		if (conn_flush(c) < 0) {
			conn_finish(c);
			return;
		}
		conn_update_masks(c);
		return;
	case SESS_ACT_CLOSE:
		conn_linger_start(c);
		return;
	}
}

/*
 * Client events while the session waits on the far side (look-up,
 * connect, BIND's peer): only a hang-up matters (in BIND_WAIT also a
 * half-close: the client gave up waiting), and queued replies go out.
 */
static void conn_waiting_event(struct conn *c, uint32_t ev)
{
	uint32_t gone = EPOLLHUP | EPOLLERR;

	if (c->phase == PH_BIND_WAIT)
		gone |= EPOLLRDHUP;
	if (ev & gone) {
		c->result = SOCKS5_REP_GENERAL_FAILURE;
		conn_finish(c);
		return;
	}
	if (ev & EPOLLOUT && conn_flush(c) < 0) {
		conn_finish(c);
		return;
	}
	conn_update_masks(c);
}

static void conn_on_client(struct loop_handler *h, uint32_t ev)
{
	struct conn *c = container_of(h, struct conn, ch);

	switch (c->phase) {
	case PH_HANDSHAKE:
	case PH_AUTH:
		negotiate_event(c, ev);
		break;
	case PH_RELAY:
		conn_relay_event(c, h, ev);
		break;
	case PH_UDP:
		cmd_udp_event(c, ev);
		break;
	case PH_LINGER:
		conn_linger_event(c, ev);
		break;
	default:
		conn_waiting_event(c, ev);
		break;
	}
}

void conn_on_target(struct loop_handler *h, uint32_t ev)
{
	struct conn *c = container_of(h, struct conn, th);

	switch (c->phase) {
	case PH_CONNECT:
		cmd_connect_event(c, ev);
		break;
	case PH_BIND_WAIT:
		cmd_bind_event(c);
		break;
	case PH_RELAY:
		conn_relay_event(c, h, ev);
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
	net_sa_unmap(&c->client);
	net_ip_from_sockaddr(&c->client_ip, &port,
			     (struct sockaddr *)&c->client, sizeof(c->client));
	c->result = SESS_RES_NONE;
	c->start = loop_now();
	c->start_us = conn_us();
	conn_set_deadline(c, c->cfg->handshake_timeout);
	sess_init(c->sess, &c->cfg->methods);
	/* TCP_NODELAY is inherited from the listening socket (listener.c). */
	if (loop_add(&c->ch, fd, conn_on_client, EPOLLIN) < 0) {
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
	metrics_add(&metrics_self()->accepted, 1);
	metrics_set(&metrics_self()->current, (uint64_t)server.nclients);
	/* The greeting is often queued already: read it without a wake-up. */
	negotiate_event(c, EPOLLIN);
	return 0;
}

/* The phase's deadline passed. */
static void conn_timeout(struct conn *c, int64_t now)
{
	switch (c->phase) {
	case PH_HANDSHAKE:
	case PH_AUTH:
		if (c->job)
			c->job->cancelled = true;
		c->job = NULL;
		sess_timeout(c->sess);
		c->result = SESS_RES_TIMEOUT;
		conn_finish(c);
		break;
	case PH_RESOLVE:
		if (c->job)
			c->job->cancelled = true;
		c->job = NULL;
		conn_reply(c, SOCKS5_REP_HOST_UNREACHABLE, NULL);
		break;
	case PH_CONNECT:
		cmd_connect_failed(c, ETIMEDOUT);
		break;
	case PH_BIND_WAIT:
		conn_close_target(c);
		conn_reply(c, SOCKS5_REP_TTL_EXPIRED, NULL);
		break;
	case PH_RELAY:
	case PH_UDP:
		conn_finish(c);
		break;
	default:
		conn_finish(c);
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

			if (idle > 0 && now - c->last_io >= conn_ms(idle))
				conn_timeout(c, now);
			continue;
		}
		if (c->deadline && now >= c->deadline)
			conn_timeout(c, now);
	}
}
