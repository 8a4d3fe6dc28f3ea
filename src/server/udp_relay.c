// SPDX-License-Identifier: MIT
/* UDP ASSOCIATE relay (see udp_relay.h).  Loop thread only. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "proto/proto.h"
#include "server/loop.h"
#include "server/resolver.h"
#include "server/server.h"
#include "server/udp_relay.h"

#define UDP_BATCH 64   /* datagrams per wake-up */
#define UDP_MMSG 16    /* datagrams per recvmmsg (UDP_BATCH a multiple) */
#define UDP_RECENT 16  /* remote addresses replies may come from */
#define UDP_JOBS_MAX 4 /* name look-ups in flight per association */
#define UDP_CACHE 4    /* resolved names kept */
#define UDP_CACHE_MS 60000
#define UDP_DGRAM_MAX 65535

struct udp_name {
	char name[SOCKS5_DOMAIN_MAX + 1];
	struct net_ip ip;
	int64_t expires;
};

struct udp_job {
	struct rjob j;
	struct udp_assoc *u;
	int slot;
	char name[SOCKS5_DOMAIN_MAX + 1];
	uint16_t port;
	int eai;
	struct net_ip ip;
	size_t len;
	uint8_t data[];
};

struct udp_assoc {
	struct udp_owner o;
	struct loop_handler uh, rh; /* client side, remote side */
	int ufd, rfd;
	int rfamily;
	bool pinned;
	struct sockaddr_storage client_sa;
	socklen_t client_len;
	uint16_t client_port; /* client_sa's, once pinned */
	uint16_t fixed_port;  /* 0 = pin on the first datagram */
	struct net_ip recent[UDP_RECENT];
	unsigned nrecent, rnext;
	struct udp_job *jobs[UDP_JOBS_MAX];
	struct udp_name cache[UDP_CACHE];
	unsigned cnext;
	uint64_t frag_dropped;
	struct udp_assoc *dead_next;
};

static struct udp_assoc *graveyard;
/* Receive buffers (the loop thread's): untouched pages cost no memory. */
static uint8_t dbuf[UDP_MMSG][UDP_DGRAM_MAX + 1];

static bool ip_eq(const struct net_ip *a, const struct net_ip *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, a->family == AF_INET ? 4 : 16) == 0;
}

static void remember(struct udp_assoc *u, const struct net_ip *ip)
{
	unsigned i;

	for (i = 0; i < u->nrecent; i++)
		if (ip_eq(&u->recent[i], ip))
			return;
	u->recent[u->rnext] = *ip;
	u->rnext = (u->rnext + 1) % UDP_RECENT;
	if (u->nrecent < UDP_RECENT)
		u->nrecent++;
}

static bool known(const struct udp_assoc *u, const struct net_ip *ip)
{
	unsigned i;

	for (i = 0; i < u->nrecent; i++)
		if (ip_eq(&u->recent[i], ip))
			return true;
	return false;
}

/* Check the rules, then send @data to @ip:@port from the remote socket. */
static void send_out(struct udp_assoc *u, const struct net_ip *ip,
		     uint16_t port, const char *hostname, const uint8_t *data,
		     size_t len)
{
	struct sockaddr_storage ss;
	struct acl_query q;
	struct acl_verdict v;
	socklen_t sl;

	memset(&q, 0, sizeof(q));
	q.client = u->o.client;
	q.cmd = ACL_CMD_UDP;
	q.version = u->o.version;
	q.user = u->o.user;
	q.hostname = hostname;
	q.dst = ip;
	q.port = port;
	q.now = &server.now_tm;
	if (acl_check(&u->o.cfg->acl, &q, &v) < 0) {
		LOG_DBG("UDP datagram denied: %s", v.why);
		return;
	}
	memset(&ss, 0, sizeof(ss));
	if (u->rfamily == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		if (ip->family == AF_INET) {
			in6->sin6_addr.s6_addr[10] = 0xff;
			in6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&in6->sin6_addr.s6_addr[12], ip->b, 4);
		} else {
			memcpy(&in6->sin6_addr, ip->b, 16);
		}
		sl = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (void *)&ss;

		if (ip->family != AF_INET)
			return;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, ip->b, 4);
		sl = sizeof(*in);
	}
	if (sendto(u->rfd, data, len, MSG_DONTWAIT, (struct sockaddr *)&ss,
		   sl) < 0) {
		LOG_DBG("UDP sendto: %s", strerror(errno));
		return;
	}
	remember(u, ip);
	*u->o.up += len;
	*u->o.last_io = loop_now();
}

static void job_release(struct rjob *j)
{
	free(container_of(j, struct udp_job, j));
}

static void job_work(struct rjob *j)
{
	struct udp_job *uj = container_of(j, struct udp_job, j);
	struct addrinfo hints, *res = NULL, *ai;
	uint16_t port;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	uj->eai = getaddrinfo(uj->name, NULL, &hints, &res);
	if (uj->eai)
		return;
	uj->eai = EAI_NONAME;
	for (ai = res; ai; ai = ai->ai_next)
		if (net_ip_from_sockaddr(&uj->ip, &port, ai->ai_addr,
					 ai->ai_addrlen) == 0) {
			uj->eai = 0;
			break;
		}
	freeaddrinfo(res);
}

static void job_done(struct rjob *j)
{
	struct udp_job *uj = container_of(j, struct udp_job, j);
	struct udp_assoc *u = uj->u;

	u->jobs[uj->slot] = NULL;
	if (!uj->eai) {
		struct udp_name *n = &u->cache[u->cnext];

		u->cnext = (u->cnext + 1) % UDP_CACHE;
		memcpy(n->name, uj->name, sizeof(n->name));
		n->ip = uj->ip;
		n->expires = loop_now() + UDP_CACHE_MS;
		send_out(u, &uj->ip, uj->port, uj->name, uj->data, uj->len);
	}
	free(uj);
}

/* A datagram to a name: from the cache, or after an async look-up. */
static void send_named(struct udp_assoc *u, const struct socks_addr *a,
		       const uint8_t *data, size_t len)
{
	struct udp_job *uj;
	unsigned i;
	int slot = -1;

	if (!socks_name_is_valid(a->u.name, a->len))
		return;
	for (i = 0; i < UDP_CACHE; i++) {
		struct udp_name *n = &u->cache[i];

		if (n->name[0] && strcmp(n->name, a->u.name) == 0 &&
		    n->expires > loop_now()) {
			send_out(u, &n->ip, a->port, n->name, data, len);
			return;
		}
	}
	for (i = 0; i < UDP_JOBS_MAX; i++)
		if (!u->jobs[i])
			slot = (int)i;
	if (slot < 0)
		return; /* too many look-ups in flight: drop */
	uj = malloc(sizeof(*uj) + len);
	if (!uj)
		return;
	memset(uj, 0, sizeof(*uj));
	uj->j.work = job_work;
	uj->j.done = job_done;
	uj->j.release = job_release;
	uj->u = u;
	uj->slot = slot;
	memcpy(uj->name, a->u.name, a->len);
	uj->name[a->len] = '\0';
	uj->port = a->port;
	uj->len = len;
	memcpy(uj->data, data, len);
	u->jobs[slot] = uj;
	resolver_submit(&uj->j);
}

/*
 * Datagrams are read UDP_MMSG at a time (recvmmsg), each into a buffer of
 * its own that holds the largest one.  A batch that comes back short
 * emptied the queue: the handler returns without the read that would
 * only say EAGAIN (the loop is level-triggered and calls again when more
 * come).  Request/response then costs epoll_wait, recvmmsg and the send
 * per datagram.
 */
struct udp_rx {
	struct mmsghdr mm[UDP_MMSG];
	struct iovec iov[UDP_MMSG];
	struct sockaddr_storage src[UDP_MMSG];
};

static struct udp_rx rx;

/*
 * Up to UDP_MMSG datagrams from @fd into rx (dbuf[i], rx.src[i]).
 * Returns how many (0: none left), or -errno for an error to skip (an
 * ICMP error queued on the socket).
 */
static int udp_recv_batch(int fd)
{
	int n;

	for (int i = 0; i < UDP_MMSG; i++) {
		rx.iov[i].iov_base = dbuf[i];
		rx.iov[i].iov_len = UDP_DGRAM_MAX;
		memset(&rx.mm[i].msg_hdr, 0, sizeof(rx.mm[i].msg_hdr));
		rx.mm[i].msg_hdr.msg_name = &rx.src[i];
		rx.mm[i].msg_hdr.msg_namelen = sizeof(rx.src[i]);
		rx.mm[i].msg_hdr.msg_iov = &rx.iov[i];
		rx.mm[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(fd, rx.mm, UDP_MMSG, MSG_DONTWAIT, NULL);
	if (n >= 0)
		return n;
	return errno == EAGAIN || errno == EINTR ? 0 : -errno;
}

/*
 * Read @fd's datagrams in batches, up to UDP_BATCH, and hand each to
 * @one (its bytes, length, source).
 */
static void udp_drain(struct udp_assoc *u, int fd,
		      void (*one)(struct udp_assoc *u, uint8_t *data, size_t n,
				  struct sockaddr_storage *src, socklen_t sl))
{
	for (int round = 0; round < UDP_BATCH / UDP_MMSG; round++) {
		int n = udp_recv_batch(fd);

		if (n == 0)
			return;
		for (int i = 0; i < n; i++)
			one(u, dbuf[i], rx.mm[i].msg_len, &rx.src[i],
			    rx.mm[i].msg_hdr.msg_namelen);
		if (n > 0 && n < UDP_MMSG)
			return; /* the queue is empty */
	}
}

/* A datagram from the client: check the source, decapsulate, forward. */
static void from_client(struct udp_assoc *u, uint8_t *data, size_t n,
			struct sockaddr_storage *src, socklen_t sl)
{
	struct socks5_udp_header hd;
	struct net_ip ip;
	uint16_t port;
	ssize_t hl;

	if (net_ip_from_sockaddr(&ip, &port, (struct sockaddr *)src, sl) < 0 ||
	    !ip_eq(&ip, u->o.client))
		return; /* not the client (RFC 1928 section 7) */
	if (u->pinned) {
		if (port != u->client_port)
			return;
	} else if (u->fixed_port && port != u->fixed_port) {
		return;
	}
	hl = socks5_udp_header_decode(data, n, &hd);
	if (hl < 0)
		return;
	if (hd.frag != 0) {
		u->frag_dropped++;
		server.udp_frag_dropped++;
		LOG_DBG("dropped a fragment (FRAG %u)", hd.frag);
		return;
	}
	if (!u->pinned) {
		u->client_sa = *src;
		u->client_len = sl;
		u->client_port = port;
		u->pinned = true;
	}
	if (hd.addr.type == SOCKS5_ATYP_DOMAINNAME) {
		send_named(u, &hd.addr, data + hl, n - (size_t)hl);
	} else {
		struct sockaddr_storage ds;
		struct net_ip dip;
		uint16_t dport;
		socklen_t dl;

		if (socks_addr_to_sockaddr(&hd.addr, &ds, &dl) < 0 ||
		    net_ip_from_sockaddr(&dip, &dport, (struct sockaddr *)&ds,
					 dl) < 0)
			return;
		send_out(u, &dip, dport, NULL, data + hl, n - (size_t)hl);
	}
}

static void on_client(struct loop_handler *h, uint32_t ev)
{
	struct udp_assoc *u = container_of(h, struct udp_assoc, uh);

	(void)ev;
	udp_drain(u, u->ufd, from_client);
}

/* A datagram from a remote host: encapsulate with its source. */
static void from_remote(struct udp_assoc *u, uint8_t *data, size_t n,
			struct sockaddr_storage *src, socklen_t sl)
{
	struct socks5_udp_header hd;
	uint8_t hdr[SOCKS5_UDP_HEADER_MAX];
	struct iovec iov[2];
	struct msghdr mh;
	struct net_ip ip;
	uint16_t port;
	ssize_t hl;

	if (!u->pinned ||
	    net_ip_from_sockaddr(&ip, &port, (struct sockaddr *)src, sl) < 0 ||
	    !known(u, &ip))
		return;
	memset(&hd, 0, sizeof(hd));
	net_sa_unmap(src);
	if (socks_addr_from_sockaddr(&hd.addr, (struct sockaddr *)src,
				     net_sa_len(src)) < 0)
		return;
	hl = socks5_udp_header_encode(hdr, sizeof(hdr), &hd);
	if (hl < 0)
		return;
	iov[0].iov_base = hdr;
	iov[0].iov_len = (size_t)hl;
	iov[1].iov_base = data;
	iov[1].iov_len = n;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &u->client_sa;
	mh.msg_namelen = u->client_len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (sendmsg(u->ufd, &mh, MSG_DONTWAIT) < 0)
		return;
	*u->o.down += (uint64_t)n;
	*u->o.last_io = loop_now();
}

static void on_remote(struct loop_handler *h, uint32_t ev)
{
	struct udp_assoc *u = container_of(h, struct udp_assoc, rh);

	(void)ev;
	udp_drain(u, u->rfd, from_remote);
}

static int open_remote(struct udp_assoc *u)
{
	struct sockaddr_storage any;
	int off = 0;

	if (u->o.cfg->has_external) {
		any = u->o.cfg->external;
		u->rfamily = any.ss_family;
		u->rfd = socket(u->rfamily,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	} else {
		/* Dual-stack: one socket reaches v4 (mapped) and v6. */
		memset(&any, 0, sizeof(any));
		any.ss_family = AF_INET6;
		u->rfamily = AF_INET6;
		u->rfd = socket(AF_INET6,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (u->rfd >= 0)
			setsockopt(u->rfd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
				   sizeof(off));
		if (u->rfd < 0 && errno == EAFNOSUPPORT) {
			any.ss_family = AF_INET;
			u->rfamily = AF_INET;
			u->rfd = socket(
				AF_INET,
				SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		}
	}
	if (u->rfd < 0)
		return -errno;
	net_sa_set_port(&any, 0);
	if (bind(u->rfd, (struct sockaddr *)&any, net_sa_len(&any)) < 0)
		return -errno;
	return 0;
}

int udp_assoc_open(struct udp_assoc **out, const struct udp_owner *owner,
		   const struct sockaddr_storage *local,
		   const struct socks_addr *req, struct socks_addr *bnd)
{
	struct udp_assoc *u = calloc(1, sizeof(*u));
	struct sockaddr_storage l = *local, b;
	socklen_t bl = sizeof(b);
	int rc;

	if (!u)
		return -ENOMEM;
	u->o = *owner;
	u->ufd = u->rfd = -1;
	u->uh.fd = u->rh.fd = -1;
	net_sa_unmap(&l);
	net_sa_set_port(&l, 0);
	u->ufd = socket(l.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (u->ufd < 0 ||
	    bind(u->ufd, (struct sockaddr *)&l, net_sa_len(&l)) < 0 ||
	    getsockname(u->ufd, (struct sockaddr *)&b, &bl) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = open_remote(u);
	if (rc < 0)
		goto fail;
	/* DST names the client's own source: pin its port (notes A.8). */
	if (req->type == SOCKS5_ATYP_IPV4 || req->type == SOCKS5_ATYP_IPV6) {
		struct sockaddr_storage rs;
		struct net_ip rip;
		socklen_t rl;
		uint16_t rport;

		if (socks_addr_to_sockaddr(req, &rs, &rl) == 0 &&
		    net_ip_from_sockaddr(&rip, &rport, (struct sockaddr *)&rs,
					 rl) == 0 &&
		    rport != 0 && ip_eq(&rip, owner->client))
			u->fixed_port = rport;
	}
	if ((rc = loop_add(&u->uh, u->ufd, on_client, EPOLLIN)) < 0 ||
	    (rc = loop_add(&u->rh, u->rfd, on_remote, EPOLLIN)) < 0)
		goto fail;
	memset(bnd, 0, sizeof(*bnd));
	socks_addr_from_sockaddr(bnd, (struct sockaddr *)&b, bl);
	*out = u;
	return 0;
fail:
	udp_assoc_close(u);
	return rc ? rc : -EIO;
}

void udp_assoc_close(struct udp_assoc *u)
{
	unsigned i;

	if (!u)
		return;
	for (i = 0; i < UDP_JOBS_MAX; i++)
		if (u->jobs[i])
			u->jobs[i]->j.cancelled = true;
	loop_del(&u->uh);
	loop_del(&u->rh);
	u->uh.dead = u->rh.dead = 1;
	if (u->ufd >= 0)
		close(u->ufd);
	if (u->rfd >= 0)
		close(u->rfd);
	/*
	 * Events for these sockets may still be queued in this batch; the
	 * handlers are marked dead but the memory must outlive the batch.
	 */
	u->dead_next = graveyard;
	graveyard = u;
}

void udp_reap(void)
{
	while (graveyard) {
		struct udp_assoc *u = graveyard;

		graveyard = u->dead_next;
		free(u);
	}
}

uint64_t udp_assoc_frag_dropped(const struct udp_assoc *u)
{
	return u->frag_dropped;
}
