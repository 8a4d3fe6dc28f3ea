// SPDX-License-Identifier: MIT
/*
 * A UDP socket's association (udp_assoc.h): the hidden control connection
 * that carries UDP ASSOCIATE, the relay it names, and their end.
 *
 * The control connection is a TCP socket of the library's own, of the
 * program socket's family (so that the relay is reached the way the
 * proxy was), placed high and marked internal (kint_adopt, with the
 * entry's lock as its owner lock): the program's close, close_range,
 * closefrom, dup2 and fd-closing loops leave it alone, a fork child
 * shares it with the parent like the UDP socket itself.  The request
 * names 0.0.0.0:0 as the client's address (RFC 1928: "all zeros" when the
 * client does not know it; servers then pin the first datagram's source,
 * notes A.8).  A relay announced as 0.0.0.0 or :: is the proxy's address.
 *
 * Once the relay is known the program's socket is bound (if it was not:
 * its port must not change when it is connected and disconnected) and,
 * unless it also talks to direct destinations, connected to the relay:
 * the kernel then drops datagrams from anyone else before they wake the
 * program.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "common/io.h"
#include "common/log.h"
#include "preload/init.h"
#include "preload/kind_internal.h"
#include "preload/proxy_addr.h"
#include "preload/real.h"
#include "preload/udp_assoc.h"

/* Words for the errors an association ends with (log lines). */
static const char *udp_err_text(int err, char *buf, size_t cap)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection refused";
	case ECONNRESET:
		return "the proxy closed the control connection";
	case ETIMEDOUT:
		return "timed out";
	case EACCES:
		return "not allowed";
	case EOPNOTSUPP:
		return "the proxy does not support UDP ASSOCIATE";
	case EAFNOSUPPORT:
		return "address family not supported";
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	default:
		snprintf(buf, cap, "errno %d", err);
		return buf;
	}
}

/* Close the control connection (e->lock held). */
static void udp_ctl_close(struct udp_sock *u)
{
	if (u->ctl >= 0) {
		kint_unmark_owned(u->ctl, &u->ctl);
		real.close(u->ctl);
		u->ctl = -1;
	}
}

static void udp_queue_drop(struct udp_sock *u)
{
	while (u->q) {
		struct udp_pending *p = u->q;

		u->q = p->next;
		free(p);
	}
	u->qtail = &u->q;
	u->nq = 0;
}

/* Contract: udp_assoc.h. */
int udp_assoc_queue(struct udp_sock *u, const struct iovec *iov, size_t n)
{
	struct udp_pending *p;
	size_t len = 0, off = 0;

	if (u->nq >= UDP_QUEUE_MAX)
		return -EAGAIN;
	for (size_t i = 0; i < n; i++)
		len += iov[i].iov_len;
	p = malloc(sizeof(*p) + len);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		memcpy(p->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	p->len = len;
	p->next = NULL;
	if (!u->qtail)
		u->qtail = &u->q;
	*u->qtail = p;
	u->qtail = &p->next;
	u->nq++;
	return 0;
}

/*
 * The relay of the reply (u->cl.bnd) as an address @fd's family can send
 * to, in u->relay.  Returns 0 or -EAFNOSUPPORT (an IPv6 relay for an
 * AF_INET socket).
 */
static int udp_relay_addr(struct udp_sock *u)
{
	struct sockaddr_storage ss, px;
	socklen_t len = sizeof(ss), pl = sizeof(px);
	struct socks_addr bnd = u->cl.bnd;

	if (bnd.type != SOCKS5_ATYP_IPV4 && bnd.type != SOCKS5_ATYP_IPV6)
		return -EAFNOSUPPORT; /* a name: no relay may say that */
	if (socks_addr_is_zero(&bnd) &&
	    real.getpeername(u->ctl, (struct sockaddr *)&px, &pl) == 0) {
		/* 0.0.0.0 or ::: "the proxy's own address" (notes A.8). */
		uint16_t port = bnd.port;

		if (socks_addr_from_sockaddr(&bnd, (struct sockaddr *)&px, pl) <
		    0)
			return -EAFNOSUPPORT;
		bnd.port = port;
	}
	if (socks_addr_to_sockaddr(&bnd, &ss, &len) < 0)
		return -EAFNOSUPPORT;
	if (ss.ss_family == AF_INET6 && u->family == AF_INET) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		struct sockaddr_in *s4 = (struct sockaddr_in *)&u->relay;

		if (!IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return -EAFNOSUPPORT;
		memset(s4, 0, sizeof(*s4));
		s4->sin_family = AF_INET;
		s4->sin_port = s6->sin6_port;
		memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		u->relaylen = sizeof(*s4);
	} else if (ss.ss_family == AF_INET && u->family == AF_INET6) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&u->relay;

		memset(s6, 0, sizeof(*s6));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = s4->sin_port;
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
		u->relaylen = sizeof(*s6);
	} else {
		memcpy(&u->relay, &ss, len);
		u->relaylen = len;
	}
	return 0;
}

/* Bind @fd to the wildcard address, port 0, if it is not bound yet. */
static void udp_bind_if_needed(struct udp_sock *u, int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	uint16_t port = 0;
	struct net_ip ip;

	if (real.getsockname(fd, (struct sockaddr *)&ss, &l) < 0)
		return;
	if (net_ip_from_sockaddr(&ip, &port, (struct sockaddr *)&ss, l) == 0 &&
	    port != 0)
		return;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)u->family;
	(void)real.bind(fd, (struct sockaddr *)&ss,
			u->family == AF_INET6 ? sizeof(struct sockaddr_in6)
					      : sizeof(struct sockaddr_in));
}

/* The relay is known: bind, connect the kernel socket, send the queue. */
static void udp_assoc_ready(struct fdt_entry *e, int fd)
{
	struct udp_sock *u = udp_of(e);
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	char text[SOCKS_ADDR_STRLEN];

	udp_bind_if_needed(u, fd);
	if (!u->direct_used &&
	    (u->kconnected ||
	     real.getpeername(fd, (struct sockaddr *)&peer, &pl) < 0))
		u->kconnected = real.connect(fd, (struct sockaddr *)&u->relay,
					     u->relaylen) == 0;
	u->st = UA_READY;
	LOG_INFO("fd %d: UDP via %.64s: relay %s", fd,
		 client_proxy(&u->cl)->name,
		 socks_addr_format(&u->cl.bnd, text, sizeof(text)));
	while (u->q) {
		struct udp_pending *p = u->q;

		u->q = p->next;
		(void)!real.sendto(
			fd, p->data, p->len, MSG_DONTWAIT | MSG_NOSIGNAL,
			u->kconnected ? NULL : (struct sockaddr *)&u->relay,
			u->kconnected ? 0 : u->relaylen);
		free(p);
	}
	udp_queue_drop(u);
}

/* The setup ended with @rc (e->lock held); the program's fd is @fd. */
static int udp_assoc_finish(struct fdt_entry *e, int fd, int rc)
{
	struct udp_sock *u = udp_of(e);
	char buf[32];

	if (rc == 0 && u->nfds <= 0)
		rc = -EBADF; /* closed meanwhile */
	if (rc == 0)
		rc = udp_relay_addr(u);
	if (rc == 0) {
		udp_assoc_ready(e, fd);
		return 0;
	}
	if (rc != -EBADF)
		LOG_ERR("UDP association via %.64s failed: %s",
			client_proxy(&u->cl)->name,
			udp_err_text(-rc, buf, sizeof(buf)));
	udp_ctl_close(u);
	udp_queue_drop(u);
	u->st = UA_FAILED;
	u->err = -rc;
	return rc;
}

/* The engine's completion callback (e->lock held). */
static int udp_assoc_done(struct eng_job *j, int rc)
{
	struct udp_sock *u = udp_of(j->e);

	if (j->orphaned) {
		/* fork child: the parent's engine ends the parent's setup;
		 * here the next datagram starts a new one. */
		udp_ctl_close(u);
		udp_queue_drop(u);
		u->st = UA_NONE;
		return rc;
	}
	return udp_assoc_finish(j->e, j->fd, rc);
}

/* Is proxy @p one of route @r's? */
static bool udp_route_has(const struct rule_result *r,
			  const struct conf_proxy *p)
{
	for (size_t i = 0; i < r->nproxies; i++)
		if (r->proxies[i] == p)
			return true;
	return false;
}

/* NONE -> SETUP: the control connection and the client (e->lock held).
 * Returns 0 or -errno. */
static int udp_assoc_begin(struct fdt_entry *e, int fd,
			   const struct rule_result *r)
{
	const struct conf *conf = socksify_conf();
	struct udp_sock *u = udp_of(e);
	struct socks_addr any;
	static const uint8_t zero4[4];
	int s, rc;

	u->npx = 0;
	for (size_t i = 0; i < r->nproxies && u->npx < UDP_PROXIES_MAX; i++)
		if (r->proxies[i]->url.scheme != NET_SCHEME_SOCKS4 &&
		    r->proxies[i]->url.scheme != NET_SCHEME_SOCKS4A)
			u->px[u->npx++] = r->proxies[i];
	if (!u->npx)
		return -EACCES; /* udp_route() logged it */
	s = real.socket(u->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (s < 0)
		return -errno;
	kint_adopt(s, &u->ctl, &e->lock); /* placed high, marked: u->ctl */
	socks_addr_set_ip4(&any, zero4, 0);
	rc = client_init(&u->cl, SOCKS5_CMD_UDP_ASSOCIATE, u->px, u->npx, &any,
			 u->family, conf ? conf->timeout * 1000 : 0,
			 socksify_env_username(), socksify_env_password());
	if (rc < 0) {
		udp_ctl_close(u);
		return rc;
	}
	u->cl.no_handoff = true;
	s = u->job.evfd; /* kept from an earlier association */
	engine_job_init(&u->job, e, fd, &u->cl, udp_assoc_done);
	u->job.evfd = s;
	u->job.sock = u->ctl;
	u->st = UA_SETUP;
	/* The byte first: a change of the settings from now on is heard of
	 * (hook_settings), one made before is read here. */
	fdt_set_byte(fd, FDT_UDP | FDT_F_INTERCEPT);
	udp_settings_read(u, fd);
	return 0;
}

/* Contract: udp_assoc.h. */
int udp_assoc_ensure(struct fdt_entry *e, int fd, const struct rule_result *r,
		     bool nonblock)
{
	struct udp_sock *u = udp_of(e);
	int rc, want = 0, ctl;

	for (;;) {
		switch (u->st) {
		case UA_READY:
			if (udp_route_has(r, client_proxy(&u->cl)))
				return 0;
			LOG_ERR("UDP refused: this socket's association goes "
				"through %.64s, which the route does not name",
				client_proxy(&u->cl)->name);
			return -EACCES;
		case UA_FAILED:
			return udp_assoc_report(u);
		case UA_SETUP:
			if (nonblock)
				return 0;
			udp_assoc_wait(e);
			continue;
		case UA_NONE:
			break;
		}
		break;
	}
	if (socksify_conf())
		pxa_refresh(socksify_conf()); /* names: not in the engine */
	rc = udp_assoc_begin(e, fd, r);
	if (rc < 0)
		return rc;
	LOG_DBG("fd %d: UDP ASSOCIATE via %.64s", fd,
		client_proxy(&u->cl)->name);
	ctl = u->ctl;
	fdt_unlock(e);
	if (nonblock) {
		rc = engine_start(&u->job);
		fdt_lock(e);
	} else {
		rc = client_run(&u->cl, ctl, &want);
		fdt_lock(e);
		if (u->st == UA_SETUP)
			rc = udp_assoc_finish(e, fd, rc);
	}
	if (u->st == UA_FAILED)
		return udp_assoc_report(u);
	return u->st == UA_NONE ? -EBADF : 0;
}

/* Contract: udp_assoc.h. */
int udp_assoc_report(struct udp_sock *u)
{
	int err = u->err ? u->err : ECONNRESET;

	u->st = UA_NONE;
	u->err = 0;
	return -err;
}

/* Contract: udp_assoc.h. */
bool udp_assoc_alive(struct udp_sock *u)
{
	char c;
	ssize_t n;
	int saved = errno;

	if (u->st != UA_READY)
		return false;
	n = real.recv(u->ctl, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) {
		errno = saved;
		return true;
	}
	errno = saved;
	LOG_ERR("UDP association via %.64s ended: the proxy closed the "
		"control connection",
		client_proxy(&u->cl)->name);
	udp_ctl_close(u);
	u->st = UA_FAILED;
	u->err = ECONNRESET;
	return false;
}

/* Contract: udp_assoc.h. */
int udp_assoc_check(struct fdt_entry *e, int fd)
{
	struct udp_sock *u = udp_of(e);
	int64_t now = io_now_ms();

	if (now - u->checked_ms >= UDP_CHECK_MS || now < u->checked_ms) {
		if (!fdt_still_ours(e, fd))
			return -EBADF;
		u->checked_ms = now;
		udp_settings_read(u, fd);
		if (u->st == UA_READY && !udp_assoc_alive(u))
			return udp_assoc_report(u);
	}
	return 0;
}

/* Contract: udp_assoc.h. */
void udp_settings_read(struct udp_sock *u, int fd)
{
	struct timeval tv;
	socklen_t l = sizeof(tv);
	int saved = errno, fl = real.fcntl(fd, F_GETFL);

	if (fl >= 0)
		u->nonblock = fl & O_NONBLOCK;
	if (real.getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &l) == 0)
		/* rounded up: a timeout under 1 ms still waits */
		u->rcvtimeo_ms =
			(int64_t)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
	errno = saved;
}

/* Contract: udp_assoc.h. */
void udp_assoc_wait(struct fdt_entry *e)
{
	struct udp_sock *u = udp_of(e);

	while (u->st == UA_SETUP) {
		fdt_unlock(e);
		(void)real.poll(NULL, 0, 2);
		fdt_lock(e);
	}
}

/* Contract: udp_assoc.h. */
void udp_assoc_forget(struct fdt_entry *e, int fd)
{
	struct udp_sock *u = udp_of(e);

	if (--u->nfds > 0 && !(u->job.active && u->job.fd == fd))
		return;
	/* The last fd went, or the one the engine's setup runs for (a
	 * duplicate left then starts a new association). */
	if (u->job.active)
		engine_abandon(&u->job);
	udp_ctl_close(u);
	udp_queue_drop(u);
	u->st = UA_NONE;
	u->kconnected = false;
}

/* Contract: udp_assoc.h. */
void udp_assoc_destroy(struct fdt_entry *e)
{
	struct udp_sock *u = udp_of(e);

	udp_ctl_close(u);
	udp_queue_drop(u);
	if (u->job.evfd >= 0) {
		kint_unmark(u->job.evfd);
		real.close(u->job.evfd);
		u->job.evfd = -1;
	}
}
