// SPDX-License-Identifier: MIT
/*
 * The SOCKS client handshake driver (see client.h for the state diagram).
 * Every byte goes through the pure codec; this file only moves bytes and
 * decides what comes next.  I/O is non-blocking (MSG_DONTWAIT) whatever the
 * socket's own flags, which are never changed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "common/io.h"
#include "common/log.h"
#include "preload/client.h"
#include "preload/pool.h"
#include "preload/preload.h"
#include "preload/proxy_addr.h"
#include "preload/real.h"

static const char *const client_state_names[] = {
	[CL_CONNECT] = "CONNECT", [CL_CONNECTING] = "CONNECTING",
	[CL_SEND] = "SEND",	  [CL_METHOD] = "METHOD",
	[CL_AUTH] = "AUTH",	  [CL_REPLY] = "REPLY",
	[CL_REPLY4] = "REPLY4",	  [CL_DONE] = "DONE",
	[CL_FAILED] = "FAILED",
};

const char *client_state_name(enum client_state s)
{
	if ((unsigned)s < sizeof(client_state_names) / sizeof(char *))
		return client_state_names[s];
	return "?";
}

/* Proxy @i of the list in this connection's order (client_arrange). */
static const struct conf_proxy *cpx(const struct client *c, size_t i)
{
	return c->proxies[c->ordered ? c->order[i] : i];
}

/* Is c->idx a hop before the last of a chain? */
static bool client_mid_hop(const struct client *c)
{
	return c->chain && c->idx + 1 < c->nproxies;
}

const struct conf_proxy *client_proxy(const struct client *c)
{
	if (c->idx < c->nproxies)
		return cpx(c, c->idx);
	return c->nproxies ? cpx(c, c->nproxies - 1) : NULL;
}

/* Is optimistic data on for this connection and the proxy in use? */
static bool client_optimistic(const struct client *c)
{
	const struct conf_proxy *p = client_proxy(c);

	return c->opt_allowed && !c->opt_used && !client_mid_hop(c) &&
	       (c->optimistic || (p && p->optimistic));
}

/* c->out holds the whole rest of the negotiation (pipelined SOCKS5 or
 * a SOCKS4 request at the last hop): nothing needs an answer first. */
static bool client_one_flight(const struct client *c)
{
	return c->state == CL_SEND && !client_mid_hop(c) &&
	       (c->after_send == CL_REPLY4 || c->after_send == CL_REPLY ||
		(c->pipelined && c->after_send == CL_METHOD));
}

/* The one place where the state changes. */
static void client_set_state(struct client *c, enum client_state s)
{
	const struct conf_proxy *p = client_proxy(c);

	LOG_DBG("proxy %.64s: %s -> %s", p ? p->name : "?",
		client_state_name(c->state), client_state_name(s));
	c->state = s;
}

static bool scheme_is_v4(enum net_scheme s)
{
	return s == NET_SCHEME_SOCKS4 || s == NET_SCHEME_SOCKS4A;
}

/* Can proxy @p carry @dst at all? */
static bool client_proxy_fits(const struct conf_proxy *p,
			      const struct socks_addr *dst)
{
	switch (p->url.scheme) {
	case NET_SCHEME_SOCKS4:
		return dst->type == SOCKS5_ATYP_IPV4;
	case NET_SCHEME_SOCKS4A:
		return dst->type != SOCKS5_ATYP_IPV6;
	default:
		return true;
	}
}

/*
 * What hop c->idx is asked for: the next proxy of a chain (its address
 * as written in its URL: a name there is resolved by this hop, never
 * here), else the destination.
 */
static void client_hop_dst(const struct client *c, struct socks_addr *a)
{
	const struct net_hostport *hp;

	if (!c->chain || c->idx + 1 >= c->nproxies) {
		*a = c->dst;
		return;
	}
	hp = &cpx(c, c->idx + 1)->url.hp;
	if (hp->is_ip && hp->ip.family == AF_INET)
		socks_addr_set_ip4(a, hp->ip.b, hp->port);
	else if (hp->is_ip)
		socks_addr_set_ip6(a, hp->ip.b, hp->port);
	else
		(void)socks_addr_set_name(a, hp->host, strlen(hp->host),
					  hp->port);
}

/* Contract: client.h. */
int client_init(struct client *c, uint8_t cmd,
		const struct conf_proxy *const *proxies, size_t nproxies,
		const struct socks_addr *dst, int sock_family, int timeout_ms,
		const char *env_user, const char *env_pass)
{
	memset(c, 0, sizeof(*c));
	c->state = CL_CONNECT;
	c->cmd = cmd;
	c->proxies = proxies;
	c->nproxies = nproxies;
	c->dst = *dst;
	c->sock_family = sock_family;
	c->timeout_ms =
		timeout_ms > 0 ? timeout_ms : CONF_DEFAULT_TIMEOUT * 1000;
	c->env_user = env_user;
	c->env_pass = env_pass;
	c->first_err = 0;
	c->prog_deadline = -1;
	c->known_fl = -1;
	for (c->idx = 0; c->idx < nproxies; c->idx++)
		if (client_proxy_fits(proxies[c->idx], dst))
			return 0;
	return -EAFNOSUPPORT;
}

/*
 * The address of proxy @p as a sockaddr the program's socket (@family) can
 * connect to: an IPv4 proxy from an AF_INET6 socket is reached through its
 * v4-mapped address unless @v6only; an IPv6 proxy cannot be reached from
 * an AF_INET socket, nor an IPv4 one from an IPV6_V6ONLY socket
 * (-EAFNOSUPPORT: kind_tcp.c replaces the socket for the first proxy
 * only, see sock_replace.h).  A proxy given by name answers from the cache that
 * pxa_refresh() fills outside any lock (proxy_addr.h): no lookup here,
 * where the engine thread may run.  Returns 0 or -errno.
 */
static int client_proxy_addr(const struct conf_proxy *p, int family,
			     bool v6only, struct sockaddr_storage *ss,
			     socklen_t *len)
{
	const struct net_hostport *hp = &p->url.hp;
	struct net_ip ip;

	if (pxa_lookup(p, family, &ip) < 0) {
		LOG_ERR("proxy %.64s (%.64s) has no address", p->name,
			hp->host);
		return -ECONNREFUSED;
	}

	if (ip.family == AF_INET && family == AF_INET)
		*len = net_ip_to_sockaddr(&ip, hp->port, ss);
	else if (family == AF_INET6 && !(v6only && ip.family == AF_INET))
		*len = net_ip_to_sockaddr6(&ip, hp->port, ss);
	else
		return -EAFNOSUPPORT;
	return 0;
}

/* Contract: client.h. */
int client_arrange(struct client *c, const struct conf_route *r)
{
	size_t n = c->nproxies < CONF_VIA_MAX ? c->nproxies : CONF_VIA_MAX;

	if (!r || r->nproxies != c->nproxies || r->proxies != c->proxies ||
	    n < 2)
		return 0;
	pool_order(r, c->order);
	c->ordered = true;
	c->nproxies = n;
	c->chain = r->mode == CONF_MODE_CHAIN;
	for (c->idx = 0; c->idx < n; c->idx++) {
		struct socks_addr a;

		client_hop_dst(c, &a);
		if (client_proxy_fits(cpx(c, c->idx), &a)) {
			if (!c->chain)
				break;
		} else if (c->chain) {
			LOG_ERR("chain: proxy %.64s (%s) cannot carry the "
				"next hop's address",
				cpx(c, c->idx)->name,
				net_scheme_name(cpx(c, c->idx)->url.scheme));
			return -EAFNOSUPPORT;
		}
	}
	if (!c->chain && c->idx == n)
		return -EAFNOSUPPORT;
	if (c->chain)
		c->idx = 0;
	return 0;
}

/* Contract: client.h. */
const char *client_via_text(const struct client *c, char *buf, size_t len)
{
	size_t i, o = 0;

	if (!len)
		return "";
	buf[0] = '\0';
	if (!c->chain) {
		const struct conf_proxy *p = client_proxy(c);

		return p ? p->name : "?";
	}
	for (i = 0; i < c->nproxies && o + 1 < len; i++) {
		int k = snprintf(buf + o, len - o, "%s%.64s", i ? " > " : "",
				 cpx(c, i)->name);

		if (k < 0)
			break;
		o += (size_t)k < len - o ? (size_t)k : len - o - 1;
	}
	return buf;
}

/* Contract: client.h. */
int client_first_proxy_family(const struct client *c)
{
	for (size_t i = c->idx; i < c->nproxies; i++) {
		struct net_ip ip;

		if (client_proxy_fits(cpx(c, i), &c->dst) &&
		    pxa_lookup(cpx(c, i), c->sock_family, &ip) == 0)
			return ip.family;
	}
	return 0;
}

/* Queue @n encoded bytes for sending, then go to @next. */
static void client_send(struct client *c, size_t n, enum client_state next)
{
	c->out_len = n;
	c->out_off = 0;
	c->after_send = next;
	client_set_state(c, CL_SEND);
}

/* Expect a message of at least @need bytes in state @s. */
static void client_expect(struct client *c, size_t need, enum client_state s)
{
	c->in_len = 0;
	c->in_need = need;
	client_set_state(c, s);
}

/* Credentials for proxy @p: the config's, else the environment's. */
static void client_creds(const struct client *c, const struct conf_proxy *p,
			 const char **user, const char **pass)
{
	*user = NULL;
	*pass = NULL;
	if (p->has_user) {
		*user = p->username;
		*pass = p->has_pass ? p->password : "";
	} else if (c->env_user && *c->env_user) {
		*user = c->env_user;
		*pass = c->env_pass ? c->env_pass : "";
	}
}

static int client_pipeline(struct client *c, const struct socks5_greeting *g,
			   const char *user, const char *pass);

/*
 * Encode the first message for the proxy just reached: the SOCKS5 greeting
 * (methods offered in the configured order, username only with
 * credentials; GSS-API is never offered by this driver) or the SOCKS4/4A
 * request.  Returns 0 or -errno.
 */
static int client_start_socks(struct client *c)
{
	const struct conf_proxy *p = cpx(c, c->idx);
	const char *user, *pass;
	ssize_t n;

	client_creds(c, p, &user, &pass);
	if (scheme_is_v4(p->url.scheme)) {
		struct socks4_request r;

		memset(&r, 0, sizeof(r));
		r.cmd = c->cmd == SOCKS5_CMD_BIND && !client_mid_hop(c)
				? SOCKS4_CMD_BIND
				: SOCKS4_CMD_CONNECT;
		client_hop_dst(c, &r.dst);
		if (user) {
			size_t l = strlen(user);

			if (l > SOCKS4_USERID_MAX)
				l = SOCKS4_USERID_MAX;
			memcpy(r.userid, user, l);
			r.userid_len = (uint8_t)l;
		}
		n = socks4_request_encode(c->out, sizeof(c->out), &r);
		if (n < 0)
			return -EAFNOSUPPORT;
		client_send(c, (size_t)n, CL_REPLY4);
		return 0;
	}

	struct socks5_greeting g;
	bool can_user = user != NULL && *user && strlen(user) <= 255 &&
			strlen(pass) <= 255;

	memset(&g, 0, sizeof(g));
	for (size_t i = 0; i < p->nmethods; i++) {
		uint8_t m = p->methods[i];

		if (m == SOCKS5_METHOD_NONE ||
		    (m == SOCKS5_METHOD_USERNAME && can_user))
			g.methods[g.nmethods++] = m;
	}
	if (p->nmethods == 0 || (!p->methods_set && can_user)) {
		/*
		 * The default offer (no method list): no-auth, plus username
		 * when there are credentials (the config's, or else
		 * SOCKS_USERNAME).  An explicit list is offered as written.
		 */
		g.nmethods = 0;
		g.methods[g.nmethods++] = SOCKS5_METHOD_NONE;
		if (can_user)
			g.methods[g.nmethods++] = SOCKS5_METHOD_USERNAME;
	}
	if (g.nmethods == 0) {
		LOG_ERR("proxy %.64s: no usable authentication method "
			"(username needs credentials)",
			p->name);
		return -EACCES;
	}
	c->pipelined = false;
	if (p->pipeline)
		return client_pipeline(c, &g, user, pass);
	n = socks5_greeting_encode(c->out, sizeof(c->out), &g);
	if (n < 0)
		return -EINVAL;
	client_send(c, (size_t)n, CL_METHOD);
	return 0;
}

/* Encode the SOCKS5 request for this hop at c->out + @at; returns its
 * length or -EINVAL. */
static ssize_t client_v5_request_at(struct client *c, size_t at)
{
	struct socks5_request r;
	ssize_t n;

	r.cmd = client_mid_hop(c) ? SOCKS5_CMD_CONNECT : c->cmd;
	client_hop_dst(c, &r.dst);
	n = socks5_request_encode(c->out + at, sizeof(c->out) - at, &r);
	return n < 0 ? -EINVAL : n;
}

/* Encode the SOCKS5 request for this hop and queue it. */
static int client_v5_request(struct client *c)
{
	ssize_t n = client_v5_request_at(c, 0);

	if (n < 0)
		return -EINVAL;
	client_send(c, (size_t)n, CL_REPLY);
	return 0;
}

/*
 * RFC 1929 request for @user/@pass at c->out + @at (wiped from the stack
 * copy).  Returns its length or -EACCES.
 */
static ssize_t client_auth_at(struct client *c, size_t at, const char *user,
			      const char *pass)
{
	struct auth1929_request r;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	r.ulen = (uint8_t)strlen(user);
	r.plen = (uint8_t)strlen(pass);
	memcpy(r.uname, user, r.ulen);
	memcpy(r.passwd, pass, r.plen);
	n = auth1929_request_encode(c->out + at, sizeof(c->out) - at, &r);
	explicit_bzero(&r, sizeof(r));
	return n < 0 ? -EACCES : n;
}

/*
 * Pipelined negotiation (proxy key `pipeline`): one method offered (the
 * one the proxy must choose: username with credentials, else none), and
 * the RFC 1929 request and the SOCKS request queued right behind the
 * greeting in c->out, all in one flight; the replies are then read in
 * order (client_got).  Returns 0 or -errno.
 */
static int client_pipeline(struct client *c, const struct socks5_greeting *g,
			   const char *user, const char *pass)
{
	struct socks5_greeting one;
	ssize_t n, m;

	memset(&one, 0, sizeof(one));
	one.nmethods = 1;
	one.methods[0] = SOCKS5_METHOD_NONE;
	for (size_t i = 0; i < g->nmethods; i++)
		if (g->methods[i] == SOCKS5_METHOD_USERNAME)
			one.methods[0] = SOCKS5_METHOD_USERNAME;
	n = socks5_greeting_encode(c->out, sizeof(c->out), &one);
	if (n < 0)
		return -EINVAL;
	if (one.methods[0] == SOCKS5_METHOD_USERNAME) {
		m = client_auth_at(c, (size_t)n, user, pass);
		if (m < 0)
			return (int)m;
		n += m;
	}
	m = client_v5_request_at(c, (size_t)n);
	if (m < 0)
		return (int)m;
	c->pipelined = true;
	c->pipe_method = one.methods[0];
	client_send(c, (size_t)(n + m), CL_METHOD);
	return 0;
}

/*
 * TCP Fast Open to the proxy (its key `fastopen`, on by default):
 * TCP_FASTOPEN_CONNECT makes connect(2) return at once when the kernel
 * holds a cookie for the proxy, and the first send (the greeting, or the
 * whole pipelined negotiation) then rides in the SYN; without a cookie
 * the connect is the usual one and asks for a cookie.  A kernel without
 * it (ENOPROTOOPT) or net.ipv4.tcp_fastopen without the client bit
 * simply connects as before.  A failover to a proxy without it turns it
 * off again.
 */
static void client_fastopen(struct client *c, int fd)
{
	int on = client_proxy(c)->fastopen;

	if (!on && !c->tfo)
		return;
	if (setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &on,
		       sizeof(on)) == 0)
		c->tfo = on;
}

/*
 * connect(2) @fd to c->proxy_sa.  A blocking socket is bounded by the
 * deadline through SO_SNDTIMEO (connect then fails with EINPROGRESS and
 * the rest is waited for with poll).  The program's value is put back by
 * client_sndtimeo_restore() when client_step()/client_timeout() return,
 * not here: the greeting then leaves one syscall earlier, and the restore
 * runs while the proxy reads it (sends and receives of the handshake use
 * MSG_DONTWAIT, which SO_SNDTIMEO does not bound).  A second attempt
 * (failover) before that reuses the saved value.  Returns real.connect's
 * result with errno.
 */
static int client_tcp_connect(struct client *c, int fd)
{
	struct timeval tv;
	socklen_t l = sizeof(c->sndtimeo_old);
	int fl = c->known_fl >= 0 ? c->known_fl : real.fcntl(fd, F_GETFL);

	c->known_fl = -1; /* the flags may change before a next attempt */
	if (fl >= 0 && !(fl & O_NONBLOCK) &&
	    (c->sndtimeo_set || real.getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO,
						&c->sndtimeo_old, &l) == 0)) {
		const struct timeval *old = &c->sndtimeo_old;
		int64_t ms = c->timeout_ms;

		if (old->tv_sec || old->tv_usec) {
			/* The program bounds its connect itself. */
			int64_t own = (int64_t)old->tv_sec * 1000 +
				      old->tv_usec / 1000;

			if (c->prog_deadline < 0)
				c->prog_deadline = io_now_ms() + own;
			own = c->prog_deadline - io_now_ms();
			if (own < ms)
				ms = own > 0 ? own : 1;
		}
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		/* Once set, restore even if a later setting fails. */
		if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ==
		    0)
			c->sndtimeo_set = true;
	}
	client_fastopen(c, fd);
	return real.connect(fd, (struct sockaddr *)&c->proxy_sa,
			    c->proxy_salen);
}

/* Give the program its SO_SNDTIMEO back (see client_tcp_connect). */
static void client_sndtimeo_restore(struct client *c, int fd)
{
	if (!c->sndtimeo_set)
		return;
	c->sndtimeo_set = false;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &c->sndtimeo_old,
			 sizeof(c->sndtimeo_old));
}

/*
 * Begin the TCP connect to proxies[idx] (the next usable one), skipping
 * proxies of the wrong family or unable to carry the destination.
 * Returns a client_want, or -errno when no proxy is left.
 */
static int client_connect_next(struct client *c, int fd)
{
	for (; c->idx < c->nproxies; c->idx++) {
		const struct conf_proxy *p = cpx(c, c->idx);
		int rc;

		if (c->chain && c->idx > 0)
			break; /* a chain starts at its first hop only */
		if (!client_proxy_fits(p, &c->dst))
			continue;
		rc = client_proxy_addr(p, c->sock_family, c->v6only,
				       &c->proxy_sa, &c->proxy_salen);
		if (rc < 0) {
			if (!c->first_err)
				c->first_err = rc;
			LOG_DBG("proxy %.64s unusable from this socket (%d)",
				p->name, -rc);
			continue;
		}
		c->deadline = io_now_ms() + c->timeout_ms;
		c->hop_in = false;
		LOG_DBG("connecting to proxy %.64s", p->name);
		rc = client_tcp_connect(c, fd);
		if (rc == 0) {
			rc = client_start_socks(c);
			if (rc < 0)
				return rc;
			if (c->tfo && client_one_flight(c) &&
			    client_optimistic(c)) {
				/* Deferred (Fast Open): the program's first
				 * write takes c->out along, in the SYN. */
				c->opt_used = true;
				return CLIENT_DONE;
			}
			return CLIENT_WANT_WRITE;
		}
		if (errno == EINTR)
			c->interrupted = true;
		if (errno == EINPROGRESS || errno == EINTR ||
		    errno == EALREADY || errno == EAGAIN) {
			client_set_state(c, CL_CONNECTING);
			return CLIENT_WANT_WRITE;
		}
		LOG_INFO("proxy %.64s unreachable: errno %d", p->name, errno);
		pxa_failed(p);
		pool_failed(p);
		if (!c->first_err)
			c->first_err = -ECONNREFUSED;
		/* A TCP socket whose connect failed may connect again. */
	}
	if (c->first_err == -EAFNOSUPPORT)
		return -EAFNOSUPPORT;
	return c->first_err == -ETIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
}

/*
 * The TCP connect to the current proxy failed with @err (or timed out):
 * dissolve the association (connect AF_UNSPEC) and try the next proxy.
 */
void client_disconnect(int fd)
{
	struct sockaddr sa;
	int err;
	socklen_t l = sizeof(err);

	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNSPEC;
	(void)real.connect(fd, &sa, sizeof(sa));
	/* tcp_disconnect() leaves ECONNRESET pending: not the program's. */
	(void)real.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
}

static int client_failover(struct client *c, int fd, int err)
{
	pxa_failed(cpx(c, c->idx)); /* its name is looked up again */
	pool_failed(cpx(c, c->idx));
	client_disconnect(fd);
	if (!c->first_err || c->first_err == -EAFNOSUPPORT)
		c->first_err = err;
	c->idx++;
	client_set_state(c, CL_CONNECT);
	return client_connect_next(c, fd);
}

/*
 * Pipelined negotiation: the proxy chose @m; it must be the one method
 * offered, whose answer (RFC 1929 status) or the request's reply follows.
 */
static int client_pipe_method(struct client *c, const struct conf_proxy *p,
			      uint8_t m)
{
	if (m != c->pipe_method) {
		LOG_ERR("proxy %.64s answered the pipelined negotiation with "
			"method %u instead of %u: set pipeline = false for "
			"it",
			p->name, m, c->pipe_method);
		return -EACCES;
	}
	if (m == SOCKS5_METHOD_USERNAME)
		client_expect(c, 2, CL_AUTH);
	else
		client_expect(c, 4, CL_REPLY);
	return CLIENT_WANT_READ;
}

/*
 * A hop granted its request: the next hop of a chain is now at the other
 * end of the tunnel (negotiate with it), or the handshake is done.
 */
static int client_hop_done(struct client *c)
{
	int rc;

	if (!client_mid_hop(c)) {
		client_set_state(c, CL_DONE);
		return CLIENT_DONE;
	}
	c->idx++;
	LOG_DBG("chain: through to hop %zu, proxy %.64s", c->idx + 1,
		cpx(c, c->idx)->name);
	c->deadline = io_now_ms() + c->timeout_ms;
	rc = client_start_socks(c);
	return rc < 0 ? rc : CLIENT_WANT_WRITE;
}

/* Decode what c->in holds for the current state.  Returns a want/-errno. */
static int client_got(struct client *c, int fd)
{
	const struct conf_proxy *p = cpx(c, c->idx);
	ssize_t n;

	switch (c->state) {
	case CL_METHOD: {
		uint8_t m;

		n = socks5_method_decode(c->in, c->in_len, &m);
		if (n <= 0) {
			LOG_ERR("proxy %.64s: bad method selection", p->name);
			return -ECONNREFUSED;
		}
		if (c->pipelined)
			return client_pipe_method(c, p, m);
		if (m == SOCKS5_METHOD_NONE)
			return client_v5_request(c) < 0 ? -EINVAL
							: CLIENT_WANT_WRITE;
		if (m == SOCKS5_METHOD_USERNAME) {
			const char *user, *pass;

			client_creds(c, p, &user, &pass);
			if (!user) {
				LOG_ERR("proxy %.64s chose username "
					"authentication we did not offer",
					p->name);
				return -EACCES;
			}
			n = client_auth_at(c, 0, user, pass);
			if (n < 0)
				return -EACCES;
			client_send(c, (size_t)n, CL_AUTH);
			return CLIENT_WANT_WRITE;
		}
		if (m == SOCKS5_METHOD_NO_ACCEPTABLE)
			LOG_ERR("proxy %.64s accepts none of our "
				"authentication methods",
				p->name);
		else
			LOG_ERR("proxy %.64s chose method %u we did not offer",
				p->name, m);
		return -EACCES;
	}
	case CL_AUTH: {
		uint8_t st;

		n = auth1929_reply_decode(c->in, c->in_len, &st);
		memset(c->out, 0, sizeof(c->out)); /* the password */
		if (n <= 0) {
			LOG_ERR("proxy %.64s: bad authentication reply",
				p->name);
			return -ECONNREFUSED;
		}
		if (st != AUTH1929_STATUS_SUCCESS) {
			LOG_ERR("proxy %.64s refused username/password "
				"authentication",
				p->name);
			return -EACCES;
		}
		if (c->pipelined) { /* the request is out already */
			client_expect(c, 4, CL_REPLY);
			return CLIENT_WANT_READ;
		}
		return client_v5_request(c) < 0 ? -EINVAL : CLIENT_WANT_WRITE;
	}
	case CL_REPLY: {
		struct socks5_reply r;
		size_t need = 0;

		/* Read exactly the reply: its length follows its own ATYP. */
		if (c->in_len == 4) {
			switch (c->in[3]) {
			case SOCKS5_ATYP_IPV4:
				need = 4 + 4 + 2;
				break;
			case SOCKS5_ATYP_IPV6:
				need = 4 + 16 + 2;
				break;
			case SOCKS5_ATYP_DOMAINNAME:
				need = 5;
				break;
			default:
				need = 0;
				break;
			}
		} else if (c->in_len == 5 &&
			   c->in[3] == SOCKS5_ATYP_DOMAINNAME) {
			need = 5 + (size_t)c->in[4] + 2;
		}
		if (need > c->in_len && c->in[0] == SOCKS5_VERSION) {
			c->in_need = need;
			return CLIENT_WANT_READ;
		}
		n = socks5_reply_decode(c->in, c->in_len, &r);
		if (n <= 0) {
			LOG_ERR("proxy %.64s sent an invalid reply (%.40s)",
				p->name, proto_strerror((int)n));
			return -ECONNREFUSED;
		}
		if (r.rep != SOCKS5_REP_SUCCEEDED) {
			LOG_INFO("proxy %.64s: %s", p->name,
				 socks5_rep_name(r.rep));
			return -socks5_rep_to_errno(r.rep);
		}
		c->bnd = r.bnd;
		return client_hop_done(c);
	}
	case CL_REPLY4: {
		struct socks4_reply r;

		n = socks4_reply_decode(c->in, c->in_len, &r);
		if (n <= 0) {
			LOG_ERR("proxy %.64s sent an invalid SOCKS4 reply",
				p->name);
			return -ECONNREFUSED;
		}
		if (r.cd != SOCKS4_CD_GRANTED) {
			LOG_INFO("proxy %.64s: SOCKS4 request rejected (CD %u)",
				 p->name, r.cd);
			return -socks4_cd_to_errno(r.cd);
		}
		socks_addr_set_ip4(&c->bnd, r.ip, r.port);
		return client_hop_done(c);
	}
	default:
		return -EINVAL;
	}
	(void)fd;
}

/*
 * A send or receive of the handshake failed with @err.  Before the first
 * hop answered anything, a refused, unreachable or timed out TCP connect
 * shows up here when the connect was deferred (TCP Fast Open with a
 * cookie: connect(2) returned at once): the proxy was not reachable, so
 * go on to the next one (a client_want, or -errno when none is left).
 * Otherwise -ECONNRESET (the proxy hung up mid-handshake).
 */
static int client_unreached(struct client *c, int fd, int err)
{
	bool unreached = err == ECONNREFUSED || err == EHOSTUNREACH ||
			 err == ENETUNREACH || err == ETIMEDOUT;

	if (c->opt_used && unreached && !c->hop_in) {
		/* The program holds a "connected" socket: no failover. */
		LOG_INFO("proxy %.64s unreachable: errno %d",
			 client_proxy(c)->name, err);
		pool_failed(client_proxy(c));
		return err == ETIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;
	}
	if (c->hop_in || (c->chain && c->idx > 0) ||
	    (err != ECONNREFUSED && err != EHOSTUNREACH && err != ENETUNREACH &&
	     err != ETIMEDOUT))
		return -ECONNRESET;
	LOG_INFO("proxy %.64s unreachable: errno %d", client_proxy(c)->name,
		 err);
	return client_failover(c, fd,
			       err == ETIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED);
}

/*
 * The handshake's @what ("send", "receive") failed with @err: as
 * client_unreached(), and a hang-up (-ECONNRESET) is logged.
 */
static int client_io_failed(struct client *c, int fd, int err, const char *what)
{
	int rc = client_unreached(c, fd, err);

	if (rc == -ECONNRESET)
		LOG_INFO("proxy %.64s: %s failed (errno %d)",
			 client_proxy(c)->name, what, err);
	return rc;
}

/* A pipelined negotiation got no answer: say what to change. */
static void client_pipe_blame(const struct client *c)
{
	if (c->pipelined && c->in_len == 0 &&
	    (c->state == CL_METHOD || c->state == CL_AUTH ||
	     c->state == CL_REPLY))
		LOG_ERR("proxy %.64s did not answer the pipelined negotiation "
			"(greeting, credentials and request in one flight; "
			"stuck in %s): if it works without, set pipeline = "
			"false for it",
			client_proxy(c)->name, client_state_name(c->state));
}

/*
 * All of c->out is sent: expect the answer.  Returns true when the
 * handshake now counts as done for the program (optimistic data: the
 * request is on its way; the replies are read later, client.h).
 */
static bool client_sent_all(struct client *c)
{
	bool request_out = client_one_flight(c);

	switch (c->after_send) {
	case CL_METHOD:
	case CL_AUTH:
		client_expect(c, 2, c->after_send);
		break;
	case CL_REPLY:
		client_expect(c, 4, CL_REPLY);
		break;
	default:
		client_expect(c, SOCKS4_REPLY_LEN, CL_REPLY4);
		break;
	}
	if (!request_out || !client_optimistic(c))
		return false;
	c->opt_used = true;
	return true;
}

/* client_step() but for the restore of SO_SNDTIMEO. */
static int client_advance(struct client *c, int fd)
{
	int rc;

	for (;;) {
		switch (c->state) {
		case CL_CONNECT:
			rc = client_connect_next(c, fd);
			if (rc < 0)
				goto fail;
			if (c->state == CL_CONNECTING || rc == CLIENT_DONE)
				return rc;
			continue;
		case CL_CONNECTING: {
			int err = 0;
			socklen_t l = sizeof(err);
			struct pollfd pfd = {.fd = fd, .events = POLLOUT};

			/* Ask the kernel only if the caller did not just. */
			pfd.revents = c->ready & (POLLOUT | POLLERR | POLLHUP);
			c->ready = 0;
			if (!pfd.revents && real.poll(&pfd, 1, 0) <= 0)
				return CLIENT_WANT_WRITE;
			if (real.getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
					    &l) < 0)
				err = errno;
			/*
			 * No error: the connect succeeded, even with POLLHUP
			 * (the proxy accepted and hung up at once).  That is
			 * a hang-up mid-handshake, ECONNRESET from the greeting's
			 * send, not an unreachable proxy: a refused connect
			 * always leaves its error in SO_ERROR.
			 */
			if (err == 0) {
				rc = client_start_socks(c);
				if (rc < 0)
					goto fail;
				continue;
			}
			LOG_INFO("proxy %.64s unreachable: errno %d",
				 client_proxy(c)->name,
				 err ? err : ECONNREFUSED);
			rc = client_failover(c, fd, -ECONNREFUSED);
			if (rc < 0)
				goto fail;
			if (c->state == CL_CONNECTING || rc == CLIENT_DONE)
				return rc;
			continue;
		}
		case CL_SEND: {
			ssize_t n = real.send(fd, c->out + c->out_off,
					      c->out_len - c->out_off,
					      MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == EINTR)
					return CLIENT_WANT_WRITE;
				rc = client_io_failed(c, fd, errno, "send");
				if (rc < 0)
					goto fail;
				if (c->state == CL_CONNECTING ||
				    rc == CLIENT_DONE)
					return rc;
				continue;
			}
			c->out_off += (size_t)n;
			if (c->out_off < c->out_len)
				continue;
			if (client_sent_all(c))
				return CLIENT_DONE; /* optimistic */
			/*
			 * Wait before reading: the answer needs a round trip
			 * through the proxy, so a recv() now nearly always
			 * fails with EAGAIN (about 9 times in 10 on loopback,
			 * counted over 1000 sequential connects through
			 * socksifyd) and costs a syscall on top of the wait.
			 */
			return CLIENT_WANT_READ;
		}
		case CL_METHOD:
		case CL_AUTH:
		case CL_REPLY:
		case CL_REPLY4: {
			ssize_t n =
				real.recv(fd, c->in + c->in_len,
					  c->in_need - c->in_len, MSG_DONTWAIT);

			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK ||
				    errno == EINTR)
					return CLIENT_WANT_READ;
				rc = client_io_failed(c, fd, errno, "receive");
				if (rc < 0)
					goto fail;
				if (c->state == CL_CONNECTING ||
				    rc == CLIENT_DONE)
					return rc;
				continue;
			}
			if (n == 0) {
				client_pipe_blame(c);
				LOG_INFO("proxy %.64s closed the connection "
					 "during the handshake (%s)",
					 client_proxy(c)->name,
					 client_state_name(c->state));
				rc = -ECONNRESET;
				goto fail;
			}
			c->in_len += (size_t)n;
			c->hop_in = true;
			if (c->in_len < c->in_need)
				continue;
			rc = client_got(c, fd);
			if (rc < 0)
				goto fail;
			if (rc == CLIENT_DONE)
				return CLIENT_DONE;
			continue;
		}
		case CL_DONE:
			return CLIENT_DONE;
		default:
			return -EINVAL;
		}
	}
fail:
	client_set_state(c, CL_FAILED);
	return rc;
}

/* Contract: client.h. */
size_t client_pending_out(const struct client *c, const uint8_t **buf)
{
	if (c->state != CL_SEND || c->out_off >= c->out_len)
		return 0;
	*buf = c->out + c->out_off;
	return c->out_len - c->out_off;
}

/* Contract: client.h. */
void client_account_out(struct client *c, size_t n)
{
	if (c->state != CL_SEND)
		return;
	c->out_off += n < c->out_len - c->out_off ? n : c->out_len - c->out_off;
	if (c->out_off == c->out_len)
		(void)client_sent_all(c); /* opt_used: never early again */
}

/* Contract: client.h. */
void client_bind_wait(struct client *c, int wait_ms)
{
	const struct conf_proxy *p = client_proxy(c);

	c->bind_second = true;
	client_expect(c, scheme_is_v4(p->url.scheme) ? SOCKS4_REPLY_LEN : 4,
		      scheme_is_v4(p->url.scheme) ? CL_REPLY4 : CL_REPLY);
	c->deadline = io_now_ms() + (wait_ms > 0 ? wait_ms : 1);
}

/* Contract: client.h. */
int client_step_ready(struct client *c, int fd, short revents)
{
	int rc;

	c->ready = revents;
	rc = client_advance(c, fd);
	c->ready = 0; /* only for the state it was seen in */
	client_sndtimeo_restore(c, fd);
	return rc;
}

/* Contract: client.h. */
int client_step(struct client *c, int fd)
{
	return client_step_ready(c, fd, 0);
}

/* A deferred (Fast Open) connect to the first hop still unanswered? */
static bool client_syn_sent(const struct client *c, int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	if (!c->tfo || c->hop_in || (c->chain && c->idx > 0))
		return false;
	memset(&ti, 0, sizeof(ti));
	return real.getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 &&
	       ti.tcpi_state == TCP_SYN_SENT;
}

/* client_timeout() but for the restore of SO_SNDTIMEO. */
static int client_expire(struct client *c, int fd)
{
	int rc;

	if (c->state == CL_CONNECTING || client_syn_sent(c, fd)) {
		LOG_INFO("proxy %.64s: no answer to connect within %d ms",
			 client_proxy(c)->name, c->timeout_ms);
		rc = client_failover(c, fd, -ETIMEDOUT);
		if (rc == -ECONNREFUSED && c->first_err == -ETIMEDOUT)
			rc = -ETIMEDOUT;
		if (rc < 0)
			client_set_state(c, CL_FAILED);
		else if (c->state != CL_CONNECTING)
			rc = client_advance(c, fd);
		return rc;
	}
	if (c->bind_second) /* the kind says it for the user */
		LOG_DBG("proxy %.64s: no BIND peer before the deadline",
			client_proxy(c)->name);
	else {
		client_pipe_blame(c);
		LOG_INFO("proxy %.64s: handshake timed out in %s",
			 client_proxy(c)->name, client_state_name(c->state));
	}
	client_set_state(c, CL_FAILED);
	return -ETIMEDOUT;
}

/* Contract: client.h. */
int client_timeout(struct client *c, int fd)
{
	int rc = client_expire(c, fd);

	client_sndtimeo_restore(c, fd);
	return rc;
}

/*
 * A signal interrupted our wait: would it have interrupted the program's
 * own connect(2)?  We cannot tell which signal it was, so we answer yes
 * for the case programs rely on, an alarm(2)/setitimer timeout around a
 * blocking connect: SIGALRM caught without SA_RESTART while the real-time
 * timer is no longer armed (it just fired) or is periodic.  Any other
 * signal resumes the handshake, as with SA_RESTART.
 */
static bool client_signal_interrupts(void)
{
	struct sigaction sa;
	struct itimerval it;

	if (sigaction(SIGALRM, NULL, &sa) < 0 || sa.sa_handler == SIG_DFL ||
	    sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_RESTART))
		return false;
	if (getitimer(ITIMER_REAL, &it) < 0)
		return false;
	return (!it.it_value.tv_sec && !it.it_value.tv_usec) ||
	       it.it_interval.tv_sec || it.it_interval.tv_usec;
}

/* Contract: client.h. */
int client_run(struct client *c, int fd, int *want)
{
	int rc = client_step(c, fd);

	while (rc > 0) {
		struct pollfd pfd;
		int64_t now = io_now_ms(), left = c->deadline - now;
		int n;

		*want = rc;
		if (c->interrupted) {
			c->interrupted = false;
			if (!c->no_handoff && client_signal_interrupts())
				return -EINTR;
		}
		if (c->no_handoff)
			c->prog_deadline = -1;
		if (c->prog_deadline >= 0 && c->prog_deadline <= now &&
		    c->prog_deadline < c->deadline)
			return -EINPROGRESS;
		if (left <= 0) {
			rc = client_timeout(c, fd);
			continue;
		}
		if (c->prog_deadline >= 0 && c->prog_deadline - now < left)
			left = c->prog_deadline - now;
		pfd.fd = fd;
		pfd.events = rc == CLIENT_WANT_READ ? POLLIN : POLLOUT;
		pfd.revents = 0;
		n = real.poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno == EINTR)
			c->interrupted = true;
		else if (n < 0)
			return -errno;
		if (n > 0)
			rc = client_step_ready(c, fd, pfd.revents);
	}
	return rc;
}
