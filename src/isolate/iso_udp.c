// SPDX-License-Identifier: MIT
/*
 * The program's UDP sockets -> SOCKS5 UDP associations (states:
 * iso_udp.h).
 *
 * Each association keeps a small table of the destinations its socket
 * sent to (UA_DESTS, the oldest replaced), with the route's verdict and
 * what the UDP request header names: the address, or the name behind a
 * fake address.  The table also maps the relay's datagrams back: RFC
 * 1928 section 7 has the relay say where a reply came from, which for a
 * name is usually the address the proxy resolved it to, an address the
 * program never saw.  A reply is shown as coming from
 *   - the fake address of the name it names (DOMAINNAME), or
 *   - the destination the program sent to with that address and port, or
 *   - the fake address of a name the program sent to on that port whose
 *     resolved address is this one (learnt from the first reply: of the
 *     names on that port, the one sent to last), or
 *   - the address itself (the relay may pass datagrams from others; the
 *     program's kernel drops them for a connected socket).
 * The request names 0.0.0.0:0 as the client's address (RFC 1928: all
 * zeros when the client does not know it); a relay announced as 0.0.0.0
 * or :: is the proxy's own address (src/preload/udp_assoc.c does the
 * same for the library).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "isolate/iso.h"
#include "isolate/iso_tun.h"
#include "isolate/iso_udp.h"
#include "preload/client.h"
#include "preload/fakedns.h"
#include "proto/proto.h"

#define UA_MAX 256	     /* associations at once */
#define UA_QUEUE_MAX 32	     /* datagrams queued during the setup */
#define UA_QUEUE_BYTES 65536 /* and their bytes */
#define UA_DESTS 8	     /* destinations remembered per socket */
#define UA_IDLE_MS 60000     /* READY without a datagram: ended */
#define UA_RETRY_MS 1000     /* FAILED refuses for this long */
#define UA_BURST 64	     /* datagrams read from a relay per event */
#define UA_IP_ROOM 64	     /* >= IPv6 + UDP headers of a reply */
#define UA_DGRAM_MAX 65535   /* a datagram from the relay */

enum ua_state { UA_IDLE, UA_SETUP, UA_READY, UA_FAILED, UA_DEAD };

/* A destination the socket sent to, and what became of it. */
struct ua_dest {
	bool used;
	bool refused;	  /* ICMP unreachable for its datagrams */
	struct net_ip ip; /* as the program sent to it */
	uint16_t port;
	struct socks_addr to; /* the header's: the name for a fake ip */
	bool has_seen;	      /* a name's: the relay reported ... */
	struct net_ip seen;   /* ... its datagrams from this address */
	uint64_t sent;	      /* ua->sends when last sent to */
};

/* A datagram waiting for the setup: the whole IP packet. */
struct ua_pending {
	struct ua_pending *next;
	size_t len;
	uint8_t pkt[];
};

struct assoc {
	struct iso_ev ctl_tag, relay_tag; /* epoll data of ctl and relay */
	enum ua_state st;
	struct net_ip src; /* the program's socket */
	uint16_t sport;
	int ctl;	 /* control connection to the proxy */
	int relay;	 /* UDP socket connected to the relay */
	uint32_t ctl_ev; /* events registered for ctl */
	struct client cl;
	const struct conf_proxy *px[CONF_VIA_MAX]; /* SOCKS5 ones */
	size_t npx;
	struct ua_dest dests[UA_DESTS];
	unsigned next_dest;
	uint64_t sends;
	struct ua_pending *q, **qtail;
	size_t nq, qbytes;
	bool q_warned;
	int64_t last; /* a datagram either way; FAILED: when */
	uint64_t up, down;
	char text[SOCKS_ADDR_STRLEN]; /* the first destination via a proxy */
	struct assoc *next;
};

static struct assoc *assocs;
static size_t ua_count;
static int ua_ep = -1;
static uint64_t ua_dropped;
static bool ua_cap_warned;

#define ua_of(t, field) \
	((struct assoc *)((char *)(t)-offsetof(struct assoc, field)))

/* Contract: iso_udp.h. */
void iso_udp_set_epoll(int ep)
{
	ua_ep = ep;
}

/* Is the IPv6 address @a (16 bytes, any alignment: not
 * IN6_IS_ADDR_V4MAPPED, which wants a struct in6_addr's) v4-mapped? */
static bool ua_v4mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};

	return memcmp(a, prefix, 12) == 0;
}

static bool ua_same_ip(const struct net_ip *a, const struct net_ip *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16) == 0;
}

/* Send the program an ICMP port unreachable for its packet @buf. */
static void ua_unreach(const struct iso_pkt *p, const uint8_t *buf, size_t len)
{
	uint8_t out[1280];
	int n = iso_pkt_unreach(p, buf, len, out, sizeof(out));

	if (n > 0)
		iso_tun_send(out, (size_t)n);
}

/* Register @ev for @a's control connection (only when it changes). */
static void ua_watch_ctl(struct assoc *a, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = &a->ctl_tag};

	if (a->ctl < 0 || ev == a->ctl_ev)
		return;
	(void)epoll_ctl(ua_ep, EPOLL_CTL_MOD, a->ctl, &e);
	a->ctl_ev = ev;
}

static void ua_queue_drop(struct assoc *a)
{
	while (a->q != NULL) {
		struct ua_pending *q = a->q;

		a->q = q->next;
		free(q);
	}
	a->qtail = &a->q;
	a->nq = 0;
	a->qbytes = 0;
}

static void ua_close_fds(struct assoc *a)
{
	if (a->ctl >= 0) {
		close(a->ctl); /* leaves the epoll set */
		a->ctl = -1;
	}
	if (a->relay >= 0) {
		close(a->relay);
		a->relay = -1;
	}
}

/* The proxy @a goes through, for logs. */
static const char *ua_proxy_name(const struct assoc *a)
{
	const struct conf_proxy *px = a->npx ? client_proxy(&a->cl) : NULL;

	return px ? px->name : "-";
}

/* End @a (freed at the next tick); @why for the log line of an
 * association that was READY. */
static void ua_end(struct assoc *a, const char *why)
{
	if (a->st == UA_DEAD)
		return;
	if (a->st == UA_READY)
		LOG_INFO("UDP %s via %.64s: %s (%llu bytes up, %llu down)",
			 a->text, ua_proxy_name(a), why,
			 (unsigned long long)a->up,
			 (unsigned long long)a->down);
	ua_close_fds(a);
	ua_queue_drop(a);
	a->st = UA_DEAD;
}

/* The setup of @a failed with -@err: the queued datagrams are refused. */
static void ua_fail(struct assoc *a, int err)
{
	struct ua_pending *q;
	struct iso_pkt p;

	LOG_USER("UDP %s via %.64s: the association failed: %s", a->text,
		 ua_proxy_name(a), strerror(err));
	for (q = a->q; q != NULL; q = q->next)
		if (iso_pkt_parse(q->pkt, q->len, &p) == 0)
			ua_unreach(&p, q->pkt, q->len);
	ua_close_fds(a);
	ua_queue_drop(a);
	a->st = UA_FAILED;
	a->last = io_now_ms();
}

/* The association of the program's socket @src:@sport, if any. */
static struct assoc *ua_find(const struct net_ip *src, uint16_t sport)
{
	struct assoc *a;

	for (a = assocs; a != NULL; a = a->next)
		if (a->st != UA_DEAD && a->sport == sport &&
		    ua_same_ip(&a->src, src))
			return a;
	return NULL;
}

/* A new (IDLE) association for @p's source, or NULL (cap, memory). */
static struct assoc *ua_new(const struct iso_pkt *p)
{
	struct assoc *a;

	if (ua_count >= UA_MAX) {
		if (!ua_cap_warned)
			LOG_WARN("UDP: %d sockets are using the proxy already; "
				 "datagrams from more are dropped",
				 UA_MAX);
		ua_cap_warned = true;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->ctl_tag.kind = ISO_EV_UDP_CTL;
	a->relay_tag.kind = ISO_EV_UDP_RELAY;
	a->st = UA_IDLE;
	a->src = p->src;
	a->sport = p->sport;
	a->ctl = a->relay = -1;
	a->qtail = &a->q;
	a->last = io_now_ms();
	a->next = assocs;
	assocs = a;
	ua_count++;
	return a;
}

/* Is @px one of route @r's proxies? */
static bool ua_route_has(const struct rule_result *r,
			 const struct conf_proxy *px)
{
	size_t i;

	for (i = 0; i < r->nproxies; i++)
		if (r->proxies[i] == px)
			return true;
	return false;
}

static void ua_handshake(struct assoc *a, int rc);

/*
 * IDLE -> SETUP through the SOCKS5 proxies of route @r (@text: the
 * destination, for logs).  Returns 0 (the association may have failed
 * already: FAILED) or -EACCES when the route has no SOCKS5 proxy.
 */
static int ua_start(struct assoc *a, const struct rule_result *r,
		    const char *text)
{
	static const uint8_t zero4[4];
	struct epoll_event e;
	struct socks_addr any;
	size_t i;
	int fam;

	a->npx = 0;
	for (i = 0; i < r->nproxies && a->npx < CONF_VIA_MAX; i++)
		if (r->proxies[i]->url.scheme != NET_SCHEME_SOCKS4 &&
		    r->proxies[i]->url.scheme != NET_SCHEME_SOCKS4A)
			a->px[a->npx++] = r->proxies[i];
	if (a->npx == 0) {
		LOG_USER("UDP to %s refused: its proxy %.64s speaks SOCKS4, "
			 "which cannot carry UDP",
			 text, r->proxies[0]->name);
		return -EACCES;
	}
	snprintf(a->text, sizeof(a->text), "%s", text);
	a->st = UA_SETUP;
	socks_addr_set_ip4(&any, zero4, 0);
	if (client_init(&a->cl, SOCKS5_CMD_UDP_ASSOCIATE, a->px, a->npx, &any,
			AF_INET6, iso.conf->timeout * 1000, iso.env_user,
			iso.env_pass) < 0) {
		ua_fail(a, EAFNOSUPPORT);
		return 0;
	}
	fam = client_first_proxy_family(&a->cl);
	if (fam == 0)
		fam = AF_INET6;
	a->ctl = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->ctl < 0) {
		ua_fail(a, errno);
		return 0;
	}
	client_set_family(&a->cl, fam, false);
	e.events = 0;
	e.data.ptr = &a->ctl_tag;
	(void)epoll_ctl(ua_ep, EPOLL_CTL_ADD, a->ctl, &e);
	LOG_DBG("UDP %s: UDP ASSOCIATE via %.64s", text, ua_proxy_name(a));
	ua_handshake(a, client_step(&a->cl, a->ctl));
	return 0;
}

/*
 * A new destination @p->dst:@p->dport for @a in its table (replacing the
 * oldest): what the header names, the route with the UDP command, and
 * for the first one via a proxy the association's setup.  A refusal is
 * logged once here and kept (d->refused).
 */
static struct ua_dest *ua_plan(struct assoc *a, const struct iso_pkt *p)
{
	struct ua_dest *d = &a->dests[a->next_dest++ % UA_DESTS];
	char name[NET_HOST_MAX + 1], text[SOCKS_ADDR_STRLEN];
	bool fake = fakedns_is_fake(&p->dst);
	struct rule_result r;

	memset(d, 0, sizeof(*d));
	d->used = true;
	d->refused = true;
	d->ip = p->dst;
	d->port = p->dport;
	if (fake) {
		if (fakedns_lookup(&p->dst, name, sizeof(name)) < 0 ||
		    socks_addr_set_name(&d->to, name, strlen(name), p->dport) <
			    0) {
			LOG_USER(
				"UDP to %s: a fake address with no name behind "
				"it: refused",
				net_ip_format(&p->dst, text, sizeof(text)));
			return d;
		}
	} else if (p->dst.family == AF_INET) {
		socks_addr_set_ip4(&d->to, p->dst.b, p->dport);
	} else {
		socks_addr_set_ip6(&d->to, p->dst.b, p->dport);
	}
	socks_addr_format(&d->to, text, sizeof(text));
	switch (iso_route_cmd(fake ? NULL : &p->dst, fake ? name : NULL,
			      p->dport, CONF_CMD_UDP, &r)) {
	case RULE_PROXY:
		break;
	case RULE_DIRECT:
		LOG_USER("UDP to %s: the route says direct, and there is no "
			 "direct path inside isolation: refused",
			 text);
		return d;
	default:
		return d; /* logged by iso_route_cmd */
	}
	if (a->st == UA_IDLE) {
		if (ua_start(a, &r, text) < 0)
			return d;
	} else if (a->npx != 0 && !ua_route_has(&r, client_proxy(&a->cl))) {
		LOG_USER("UDP to %s refused: this socket's association goes "
			 "through %.64s, which the route does not name",
			 text, ua_proxy_name(a));
		return d;
	}
	d->refused = false;
	return d;
}

/* @a's table entry for @p's destination, planned if new. */
static struct ua_dest *ua_dest(struct assoc *a, const struct iso_pkt *p)
{
	unsigned i;

	for (i = 0; i < UA_DESTS; i++) {
		struct ua_dest *d = &a->dests[i];

		if (d->used && d->port == p->dport &&
		    ua_same_ip(&d->ip, &p->dst))
			return d;
	}
	return ua_plan(a, p);
}

/* Send @p's payload to @d through @a's relay (READY). */
static void ua_send(struct assoc *a, struct ua_dest *d, const struct iso_pkt *p)
{
	uint8_t hdr[SOCKS5_UDP_HEADER_MAX];
	struct socks5_udp_header h;
	struct iovec iov[2];
	struct msghdr m;
	ssize_t hl;

	h.frag = 0;
	h.addr = d->to;
	hl = socks5_udp_header_encode(hdr, sizeof(hdr), &h);
	if (hl < 0) {
		ua_dropped++;
		return;
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hl;
	iov[1].iov_base = (void *)p->payload;
	iov[1].iov_len = p->payload_len;
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	if (sendmsg(a->relay, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		ua_dropped++; /* a full buffer, or the relay's ICMP */
		return;
	}
	d->sent = ++a->sends;
	a->up += p->payload_len;
	a->last = io_now_ms();
}

/* SETUP: keep the packet @buf for when the relay is known. */
static void ua_queue(struct assoc *a, const uint8_t *buf, size_t len)
{
	struct ua_pending *q;

	if (a->nq >= UA_QUEUE_MAX || a->qbytes + len > UA_QUEUE_BYTES ||
	    (q = malloc(sizeof(*q) + len)) == NULL) {
		if (!a->q_warned)
			LOG_WARN("UDP %s: datagrams dropped while the "
				 "association is set up (queue full)",
				 a->text);
		a->q_warned = true;
		ua_dropped++;
		return;
	}
	memcpy(q->pkt, buf, len);
	q->len = len;
	q->next = NULL;
	*a->qtail = q;
	a->qtail = &q->next;
	a->nq++;
	a->qbytes += len;
}

/* Is the UDP length of @p (@len bytes of packet) the whole rest of it?
 * Not for a fragment (or a malformed packet): those are dropped. */
static bool ua_whole(const struct iso_pkt *p, const uint8_t *buf, size_t len)
{
	const uint8_t *u = buf + p->l4_off;

	return len >= p->l4_off + 8 &&
	       (size_t)(u[4] << 8 | u[5]) == len - p->l4_off;
}

/* The program's datagram @p (packet @buf) for @a, with its table entry. */
static void ua_datagram(struct assoc *a, const struct iso_pkt *p,
			const uint8_t *buf, size_t len)
{
	struct ua_dest *d = ua_dest(a, p);

	if (d->refused || a->st == UA_FAILED) {
		ua_unreach(p, buf, len);
		return;
	}
	if (a->st == UA_SETUP)
		ua_queue(a, buf, len);
	else if (a->st == UA_READY)
		ua_send(a, d, p);
}

/* Multicast or the limited broadcast: nothing a relay can send on. */
static bool ua_group(const struct net_ip *ip)
{
	if (ip->family == AF_INET)
		return (ip->b[0] & 0xf0) == 0xe0 ||
		       memcmp(ip->b, "\xff\xff\xff\xff", 4) == 0;
	return ip->b[0] == 0xff;
}

/* Contract: iso_udp.h. */
void iso_udp_packet(const struct iso_pkt *p, const uint8_t *buf, size_t len)
{
	struct assoc *a;

	if (!ua_whole(p, buf, len) || ua_group(&p->dst)) {
		ua_dropped++;
		return;
	}
	a = ua_find(&p->src, p->sport);
	if (a == NULL && (a = ua_new(p)) == NULL) {
		ua_dropped++;
		return;
	}
	ua_datagram(a, p, buf, len);
}

/*
 * The relay of @a's reply (@a->cl.bnd) as a socket address: the proxy's
 * own address for 0.0.0.0 or ::, an IPv4 one for a v4-mapped address.
 * Returns 0 or -EAFNOSUPPORT (a name: no relay may say that).
 */
static int ua_relay_addr(struct assoc *a, struct sockaddr_storage *ss,
			 socklen_t *len)
{
	struct socks_addr bnd = a->cl.bnd;
	struct sockaddr_storage px;
	socklen_t pl = sizeof(px);

	if (bnd.type != SOCKS5_ATYP_IPV4 && bnd.type != SOCKS5_ATYP_IPV6)
		return -EAFNOSUPPORT;
	if (socks_addr_is_zero(&bnd)) {
		uint16_t port = bnd.port;

		if (getpeername(a->ctl, (struct sockaddr *)&px, &pl) < 0 ||
		    socks_addr_from_sockaddr(&bnd, (struct sockaddr *)&px, pl) <
			    0)
			return -EAFNOSUPPORT;
		bnd.port = port;
	}
	if (bnd.type == SOCKS5_ATYP_IPV6 && ua_v4mapped(bnd.u.ip6)) {
		uint8_t v4[4];

		memcpy(v4, bnd.u.ip6 + 12, 4);
		socks_addr_set_ip4(&bnd, v4, bnd.port);
	}
	*len = sizeof(*ss);
	return socks_addr_to_sockaddr(&bnd, ss, len) < 0 ? -EAFNOSUPPORT : 0;
}

/* SETUP -> READY: the socket to the relay, then the queue. */
static void ua_ready(struct assoc *a)
{
	struct sockaddr_storage ss;
	struct epoll_event e;
	struct ua_pending *q;
	char text[SOCKS_ADDR_STRLEN];
	socklen_t len;
	int rc;

	rc = ua_relay_addr(a, &ss, &len);
	if (rc == 0) {
		a->relay = socket(ss.ss_family,
				  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (a->relay < 0 ||
		    connect(a->relay, (struct sockaddr *)&ss, len) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		ua_fail(a, -rc);
		return;
	}
	e.events = EPOLLIN;
	e.data.ptr = &a->relay_tag;
	(void)epoll_ctl(ua_ep, EPOLL_CTL_ADD, a->relay, &e);
	ua_watch_ctl(a, EPOLLIN); /* only its end can come */
	a->st = UA_READY;
	a->last = io_now_ms();
	LOG_INFO("UDP %s via %.64s: associated, relay %s", a->text,
		 ua_proxy_name(a),
		 socks_addr_format(&a->cl.bnd, text, sizeof(text)));
	while ((q = a->q) != NULL && a->st == UA_READY) {
		struct iso_pkt p;

		a->q = q->next;
		if (iso_pkt_parse(q->pkt, q->len, &p) == 0)
			ua_datagram(a, &p, q->pkt, q->len);
		free(q);
	}
	ua_queue_drop(a);
}

/* Advance @a's handshake with @rc from client_step*(). */
static void ua_handshake(struct assoc *a, int rc)
{
	if (rc == CLIENT_WANT_READ || rc == CLIENT_WANT_WRITE) {
		ua_watch_ctl(a, rc == CLIENT_WANT_READ ? EPOLLIN : EPOLLOUT);
		return;
	}
	if (rc < 0) {
		ua_fail(a, -rc);
		return;
	}
	ua_ready(a);
}

/*
 * The address the program is to see a datagram from, which the relay
 * says came from @from (rules: the header comment).  Returns true and
 * fills @ip, or false to drop it.
 */
static bool ua_source(struct assoc *a, const struct socks_addr *from,
		      struct net_ip *ip)
{
	struct ua_dest *d, *best = NULL;
	struct net_ip fip;
	unsigned i;

	if (from->type == SOCKS5_ATYP_DOMAINNAME) {
		for (i = 0; i < UA_DESTS; i++) {
			d = &a->dests[i];
			if (d->used && !d->refused &&
			    d->to.type == SOCKS5_ATYP_DOMAINNAME &&
			    d->port == from->port &&
			    strcmp(d->to.u.name, from->u.name) == 0) {
				*ip = d->ip;
				return true;
			}
		}
		return false;
	}
	memset(&fip, 0, sizeof(fip));
	if (from->type == SOCKS5_ATYP_IPV4 ||
	    (from->type == SOCKS5_ATYP_IPV6 && ua_v4mapped(from->u.ip6))) {
		fip.family = AF_INET;
		memcpy(fip.b,
		       from->type == SOCKS5_ATYP_IPV4 ? from->u.ip4
						      : from->u.ip6 + 12,
		       4);
	} else {
		fip.family = AF_INET6;
		memcpy(fip.b, from->u.ip6, 16);
	}
	for (i = 0; i < UA_DESTS; i++) {
		d = &a->dests[i];
		if (!d->used || d->refused || d->port != from->port)
			continue;
		if (d->to.type != SOCKS5_ATYP_DOMAINNAME &&
		    ua_same_ip(&d->ip, &fip)) {
			*ip = d->ip;
			return true;
		}
		if (d->to.type == SOCKS5_ATYP_DOMAINNAME && d->has_seen &&
		    ua_same_ip(&d->seen, &fip)) {
			*ip = d->ip;
			return true;
		}
		if (d->to.type == SOCKS5_ATYP_DOMAINNAME && !d->has_seen &&
		    (best == NULL || d->sent > best->sent))
			best = d;
	}
	if (best != NULL) {
		best->has_seen = true;
		best->seen = fip;
		*ip = best->ip;
		return true;
	}
	if (fip.family != a->src.family)
		return false;
	*ip = fip;
	return true;
}

/* Datagrams from @a's relay to the program. */
static void ua_pull(struct assoc *a)
{
	static uint8_t buf[UA_IP_ROOM + UA_DGRAM_MAX];
	struct socks5_udp_header h;
	struct iso_pkt q;
	ssize_t n, hl;
	int i, len;

	for (i = 0; i < UA_BURST && a->st == UA_READY; i++) {
		n = recv(a->relay, buf + UA_IP_ROOM, UA_DGRAM_MAX,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			continue; /* the relay's ICMP: the next one */
		hl = socks5_udp_header_decode(buf + UA_IP_ROOM, (size_t)n, &h);
		memset(&q, 0, sizeof(q));
		if (hl < 0 || h.frag != 0 || !ua_source(a, &h.addr, &q.dst)) {
			ua_dropped++;
			continue;
		}
		q.src = a->src;
		q.sport = a->sport;
		q.dport = h.addr.port;
		q.proto = IPPROTO_UDP;
		len = iso_pkt_udp_reply(&q, buf + UA_IP_ROOM + hl,
					(size_t)(n - hl), buf, sizeof(buf));
		if (len < 0) {
			ua_dropped++;
			continue;
		}
		iso_tun_send(buf, (size_t)len);
		a->down += (uint64_t)(n - hl);
		a->last = io_now_ms();
	}
}

/* READY: the control connection is readable: its end (or bytes no
 * proxy should send, read and ignored). */
static void ua_ctl_check(struct assoc *a)
{
	uint8_t junk[256];
	ssize_t n = recv(a->ctl, junk, sizeof(junk), MSG_DONTWAIT);

	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return;
	ua_end(a, "the proxy closed the control connection");
}

/* Contract: iso_udp.h. */
void iso_udp_event(struct iso_ev *t, uint32_t events)
{
	struct assoc *a;

	if (t->kind == ISO_EV_UDP_RELAY) {
		a = ua_of(t, relay_tag);
		if (a->st == UA_READY)
			ua_pull(a);
		return;
	}
	a = ua_of(t, ctl_tag);
	if (a->st == UA_SETUP)
		ua_handshake(a,
			     client_step_ready(&a->cl, a->ctl, (short)events));
	else if (a->st == UA_READY)
		ua_ctl_check(a);
}

/* Contract: iso_udp.h. */
size_t iso_udp_tick(void)
{
	struct assoc **pp = &assocs, *a;
	int64_t now = io_now_ms();

	while ((a = *pp) != NULL) {
		if (a->st == UA_SETUP && a->cl.deadline >= 0 &&
		    now >= a->cl.deadline)
			ua_handshake(a, client_timeout(&a->cl, a->ctl));
		if ((a->st == UA_READY || a->st == UA_IDLE) &&
		    now - a->last >= UA_IDLE_MS)
			ua_end(a, "idle, ended");
		if (a->st == UA_FAILED && now - a->last >= UA_RETRY_MS)
			a->st = UA_DEAD;
		if (a->st != UA_DEAD) {
			pp = &a->next;
			continue;
		}
		*pp = a->next;
		free(a);
		ua_count--;
	}
	return ua_count;
}

/* Contract: iso_udp.h. */
void iso_udp_end_all(void)
{
	struct assoc *a;

	for (a = assocs; a != NULL; a = a->next)
		ua_end(a, "the program exited");
	(void)iso_udp_tick();
	if (ua_dropped)
		LOG_INFO("%llu UDP datagrams dropped (multicast, broadcast, "
			 "fragmented or malformed, queue full, too many "
			 "sockets, or refused by the relay's host)",
			 (unsigned long long)ua_dropped);
}
