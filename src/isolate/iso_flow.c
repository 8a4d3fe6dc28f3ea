// SPDX-License-Identifier: MIT
/*
 * TCP flows -> SOCKS CONNECT sessions (state diagram: iso_flow.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <lwip/tcp.h>

#include "common/io.h"
#include "common/log.h"
#include "isolate/iso.h"
#include "isolate/iso_dns_tcp.h"
#include "isolate/iso_flow.h"
#include "isolate/iso_nat.h"
#include "isolate/iso_stack.h"
#include "isolate/iso_tun.h"
#include "preload/client.h"
#include "preload/fakedns.h"
#include "proto/proto.h"

#define FLOW_CHUNK 65536
#define FLOW_SND_BUF (1 << 20) /* per flow, in flight to the program */
#define FLOW_SYNWAIT_MS 30000  /* lwIP retries its SYN-ACK for ~20 s */
#define FLOW_WIDE_MAX 16       /* flows given FLOW_SND_BUF: 16 MiB at most */

enum flow_state { FL_HANDSHAKE, FL_SYNWAIT, FL_OPEN, FL_DEAD };

struct flow {
	struct iso_ev tag; /* ISO_EV_FLOW: first, the loop dispatches on it */
	enum flow_state st;
	struct net_ip src, dst;
	uint16_t sport, dport;
	int fd;	     /* socket to the proxy */
	uint32_t ev; /* events registered for fd */
	struct client cl;
	uint8_t *syn; /* the program's SYN, replayed to lwIP */
	size_t synlen;
	struct iso_pkt synp;
	struct tcp_pcb *pcb;
	struct pbuf *outq; /* program -> proxy, not yet sent */
	bool prog_fin, proxy_fin, shut_wr;
	int nport;  /* lwIP's name for the connection (iso_nat.h), or 0 */
	bool local; /* DNS over TCP, answered here: no proxy */
	int64_t synwait_end; /* FL_SYNWAIT: lwIP must accept by then */
	bool dirty;	     /* on the dirty list: outq to flush */
	struct flow *dnext;
	uint64_t up, down;
	char text[SOCKS_ADDR_STRLEN];
	struct flow *next;
};

static struct flow *flows;
static struct flow *dirty; /* flows with data to flush after the batch */
static int flow_ep = -1;
static size_t flow_count;

/* Contract: iso_flow.h. */
void iso_flow_set_epoll(int ep)
{
	flow_ep = ep;
}

/* Register @ev for @f's socket (only when it changes). */
static void flow_watch(struct flow *f, uint32_t ev)
{
	struct epoll_event e = {.events = ev, .data.ptr = f};

	if (f->fd < 0 || ev == f->ev)
		return;
	(void)epoll_ctl(flow_ep, EPOLL_CTL_MOD, f->fd, &e);
	f->ev = ev;
}

/* Send a TCP RST for the SYN @p to the program. */
static void flow_rst(const struct iso_pkt *p)
{
	uint8_t out[64];
	int n = iso_pkt_rst(p, out, sizeof(out));

	if (n > 0)
		iso_tun_send(out, (size_t)n);
}

/* The same 4-tuple? */
static bool flow_is(const struct flow *f, const struct net_ip *src,
		    uint16_t sport, const struct net_ip *dst, uint16_t dport)
{
	return f->sport == sport && f->dport == dport &&
	       f->src.family == src->family &&
	       memcmp(f->src.b, src->b, 16) == 0 &&
	       memcmp(f->dst.b, dst->b, 16) == 0;
}

/* Detach @f from its pcb (no more callbacks). */
static void flow_unhook(struct flow *f)
{
	if (f->pcb == NULL)
		return;
	tcp_arg(f->pcb, NULL);
	tcp_recv(f->pcb, NULL);
	tcp_sent(f->pcb, NULL);
	tcp_err(f->pcb, NULL);
}

/* End @f: abort (RST) or close its pcb, close the socket; freed at the
 * next tick.  @why: NULL for a normal end. */
static void flow_end(struct flow *f, bool abort, const char *why)
{
	if (f->st == FL_DEAD)
		return;
	if (f->st == FL_OPEN || why != NULL)
		LOG_INFO("%s via %.64s: %s (%llu bytes up, %llu down)", f->text,
			 client_proxy(&f->cl) ? client_proxy(&f->cl)->name
					      : "-",
			 why ? why : "closed", (unsigned long long)f->up,
			 (unsigned long long)f->down);
	flow_unhook(f);
	if (f->pcb != NULL) {
		if (abort || tcp_close(f->pcb) != ERR_OK)
			tcp_abort(f->pcb);
		f->pcb = NULL;
	}
	if (f->fd >= 0) {
		close(f->fd); /* leaves the epoll set */
		f->fd = -1;
	}
	f->st = FL_DEAD;
}

/* Send what the program wrote on to the proxy, as far as it goes. */
static void flow_flush(struct flow *f)
{
	size_t sent = 0;

	/* The whole queue in one sendmsg (lwIP hands over one pbuf per
	 * segment), and lwIP's window opened once for what went. */
	while (f->outq != NULL) {
		struct iovec iov[64];
		struct msghdr mh = {.msg_iov = iov};
		struct pbuf *q;
		ssize_t n;

		for (q = f->outq; q != NULL && mh.msg_iovlen < 64; q = q->next)
			if (q->len > 0)
				iov[mh.msg_iovlen++] =
					(struct iovec){q->payload, q->len};
		n = sendmsg(f->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			flow_watch(f, f->ev | EPOLLOUT);
			break;
		}
		if (n < 0) {
			flow_end(f, true, "proxy connection lost");
			return;
		}
		f->up += (uint64_t)n;
		sent += (size_t)n;
		f->outq = pbuf_free_header(f->outq, (u16_t)n);
	}
	if (sent > 0)
		tcp_recved(f->pcb, (u16_t)sent); /* at most lwIP's window */
	if (f->outq != NULL)
		return;
	flow_watch(f, f->ev & ~(uint32_t)EPOLLOUT);
	if (f->prog_fin && !f->shut_wr) {
		shutdown(f->fd, SHUT_WR);
		f->shut_wr = true;
	}
	if (f->shut_wr && f->proxy_fin)
		flow_end(f, false, NULL);
}

static err_t flow_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			  err_t err)
{
	struct flow *f = arg;

	(void)pcb;
	(void)err;
	if (f == NULL || f->st != FL_OPEN) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (p == NULL)
		f->prog_fin = true;
	else if (f->outq == NULL)
		f->outq = p;
	else
		pbuf_cat(f->outq, p);
	/* In the loop's batch, what the program wrote is sent once, after
	 * every segment read from the device: one send for many segments. */
	if (!iso_tun_in_batch())
		flow_flush(f);
	else if (!f->dirty) {
		f->dirty = true;
		f->dnext = dirty;
		dirty = f;
	}
	return ERR_OK;
}

/*
 * At most @room bytes, as many as lwIP's segment queue still takes: a
 * tcp_write that would pass TCP_SND_QUEUELEN fails as if memory ran out.
 * Two segments of slack: a write may top up a partly filled one.
 */
static size_t flow_queue_room(const struct tcp_pcb *pcb, size_t room)
{
	size_t q = tcp_sndqueuelen(pcb), segs;

	if (q + 2 >= TCP_SND_QUEUELEN)
		return 0;
	segs = TCP_SND_QUEUELEN - q - 2;
	return room < segs * TCP_MSS ? room : segs * TCP_MSS;
}

/* Read from the proxy what lwIP can take, and pass it to the program. */
static void flow_pull(struct flow *f)
{
	static uint8_t buf[FLOW_CHUNK];

	while (f->st == FL_OPEN && !f->proxy_fin) {
		size_t room = tcp_sndbuf(f->pcb);
		ssize_t n;

		if (room > sizeof(buf))
			room = sizeof(buf);
		room = flow_queue_room(f->pcb, room);
		if (room == 0) {
			flow_watch(f, f->ev & ~(uint32_t)EPOLLIN);
			break;
		}
		n = recv(f->fd, buf, room, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			flow_watch(f, f->ev | EPOLLIN);
			break;
		}
		if (n < 0) {
			flow_end(f, true, "proxy connection lost");
			return;
		}
		if (n == 0) {
			f->proxy_fin = true;
			flow_watch(f, f->ev & ~(uint32_t)EPOLLIN);
			tcp_shutdown(f->pcb, 0, 1);
			break;
		}
		if (tcp_write(f->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY) !=
		    ERR_OK) {
			flow_end(f, true, "out of memory");
			return;
		}
		f->down += (uint64_t)n;
	}
	if (f->st == FL_OPEN)
		tcp_output(f->pcb);
	if (f->st == FL_OPEN && f->shut_wr && f->proxy_fin)
		flow_end(f, false, NULL);
}

static err_t flow_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct flow *f = arg;

	(void)pcb;
	(void)len;
	if (f != NULL && f->st == FL_OPEN && !(f->ev & EPOLLIN) &&
	    !f->proxy_fin)
		flow_pull(f);
	return ERR_OK;
}

static void flow_err_cb(void *arg, err_t err)
{
	struct flow *f = arg;

	if (f == NULL)
		return;
	f->pcb = NULL; /* lwIP freed it */
	flow_end(f, false, err == ERR_RST ? "reset by the program" : "aborted");
}

/*
 * Let @pcb send segments as large as the program's TCP takes (its SYN's
 * MSS, up to the device's 64 KiB MTU) and keep FLOW_SND_BUF bytes in
 * flight, instead of Debian's build-time TCP_MSS (1460) and TCP_SND_BUF
 * (64 KiB).  The program's TCP acknowledges data as the program reads it,
 * so the bytes in flight are what one round through the program carries.
 * The segment queue (TCP_SND_QUEUELEN, ~180 segments) stays a bound
 * (flow_queue_room); ssthresh, which lwIP sets to TCP_SND_BUF, would
 * otherwise end slow start there.  The larger buffer only while few flows
 * are open: a flow's buffer fills when the program reads slower than the
 * proxy sends.
 */
static void flow_widen(struct flow *f, struct tcp_pcb *pcb)
{
	uint16_t mss = iso_pkt_tcp_mss(f->syn, f->synlen, &f->synp);
	uint16_t cap = f->src.family == AF_INET ? ISO_MTU - 40 : ISO_MTU - 60;

	/* Debian's lwIP caps the MSS at TCP_MSS (1460) whatever the peer
	 * said; the program's TCP said how much it takes in one segment. */
	if (mss > cap)
		mss = cap;
	if (mss > pcb->mss)
		pcb->mss = mss;
	if (flow_count > FLOW_WIDE_MAX)
		return; /* the others keep 64 KiB: memory stays bounded */
	pcb->snd_buf += FLOW_SND_BUF - TCP_SND_BUF;
	if (pcb->ssthresh < FLOW_SND_BUF)
		pcb->ssthresh = FLOW_SND_BUF;
}

/* Contract: iso_stack.h. */
int iso_flow_accept(struct tcp_pcb *pcb)
{
	struct flow *f;

	/* The nport names the connection; the program's address is the
	 * same on both sides of the translation. */
	for (f = flows; f != NULL; f = f->next) {
		if (f->st == FL_SYNWAIT && f->nport == pcb->remote_port &&
		    f->dport == pcb->local_port)
			break;
	}
	if (f == NULL) {
		tcp_abort(pcb);
		return -ENOENT;
	}
	if (f->local) {
		f->st = FL_DEAD;
		if (iso_dns_tcp_start(pcb, &f->dst, (uint16_t)f->nport) < 0)
			return -ENOMEM;
		f->nport = 0; /* now iso_dns_tcp's */
		return 0;
	}
	f->pcb = pcb;
	f->st = FL_OPEN;
	tcp_arg(pcb, f);
	tcp_recv(pcb, flow_recv_cb);
	tcp_sent(pcb, flow_sent_cb);
	tcp_err(pcb, flow_err_cb);
	tcp_nagle_disable(pcb);
	flow_widen(f, pcb);
	LOG_INFO("%s via %.64s: connected", f->text,
		 client_proxy(&f->cl)->name);
	flow_pull(f);
	return 0;
}

/*
 * What to ask the proxy for the program's destination @p: the name behind
 * a fake address, else the address; and the route.  Returns 0 and fills
 * @f->cl, or -EACCES (refused: RST).
 */
static int flow_plan(struct flow *f, const struct iso_pkt *p)
{
	char name[NET_HOST_MAX + 1];
	struct rule_result r;
	struct socks_addr dst;
	bool fake = fakedns_is_fake(&p->dst);
	int rc;

	if (fake) {
		if (fakedns_lookup(&p->dst, name, sizeof(name)) < 0) {
			LOG_USER("%s: a fake address with no name behind it: "
				 "refused",
				 net_ip_format(&p->dst, f->text,
					       sizeof(f->text)));
			return -EACCES;
		}
		socks_addr_set_name(&dst, name, strlen(name), p->dport);
	} else if (p->dst.family == AF_INET) {
		socks_addr_set_ip4(&dst, p->dst.b, p->dport);
	} else {
		socks_addr_set_ip6(&dst, p->dst.b, p->dport);
	}
	socks_addr_format(&dst, f->text, sizeof(f->text));
	switch (iso_route(fake ? NULL : &p->dst, fake ? name : NULL, p->dport,
			  &r)) {
	case RULE_PROXY:
		break;
	case RULE_DIRECT:
		LOG_USER("%s: the route says direct, and there is no direct "
			 "path inside isolation: refused",
			 f->text);
		return -EACCES;
	default:
		return -EACCES; /* logged by iso_route */
	}
	rc = client_init(&f->cl, SOCKS5_CMD_CONNECT, r.proxies, r.nproxies,
			 &dst, AF_INET6, iso.conf->timeout * 1000, iso.env_user,
			 iso.env_pass);
	if (rc < 0) {
		LOG_USER("%s: no proxy of the route can carry it", f->text);
		return -EACCES;
	}
	return 0;
}

/*
 * Wait for lwIP to accept @f.  Bounded: a program that went away after
 * its SYN (or a SYN repeated for a connection lwIP already has) would
 * otherwise keep the flow, its proxy connection and its mapping forever.
 */
static void flow_synwait(struct flow *f)
{
	f->st = FL_SYNWAIT;
	f->synwait_end = io_now_ms() + FLOW_SYNWAIT_MS;
}

/* Advance @f's handshake with @rc from client_step*(). */
static void flow_handshake(struct flow *f, int rc)
{
	if (rc == CLIENT_WANT_READ || rc == CLIENT_WANT_WRITE) {
		flow_watch(f, rc == CLIENT_WANT_READ ? EPOLLIN : EPOLLOUT);
		return;
	}
	if (rc < 0) {
		char why[96];

		snprintf(why, sizeof(why), "failed: %s", strerror(-rc));
		flow_rst(&f->synp);
		flow_end(f, true, why);
		return;
	}
	/* CLIENT_DONE: let lwIP answer the SYN now. */
	flow_synwait(f);
	flow_watch(f, 0);
	iso_stack_input(f->syn, f->synlen);
}

/* Say, at most every 10 s, that a connection was refused: too many. */
static void flow_full(struct flow *f)
{
	static int64_t last = -1;
	int64_t now = io_now_ms();

	if (last >= 0 && now - last < 10000)
		return;
	last = now;
	LOG_USER("%s: more than %d connections at once: refused",
		 net_ip_format(&f->dst, f->text, sizeof(f->text)),
		 ISO_FLOWS_MAX);
}

/* A new SYN: plan, open the proxy socket, start the handshake. */
static void flow_start(const struct iso_pkt *p, const uint8_t *buf, size_t len)
{
	struct epoll_event e;
	struct flow *f = calloc(1, sizeof(*f));
	int fam;

	if (f == NULL || (f->syn = malloc(len)) == NULL) {
		free(f);
		return; /* the program retransmits */
	}
	f->tag.kind = ISO_EV_FLOW;
	memcpy(f->syn, buf, len);
	f->synlen = len;
	f->synp = *p;
	f->src = p->src;
	f->dst = p->dst;
	f->sport = p->sport;
	f->dport = p->dport;
	f->fd = -1;
	f->next = flows;
	flows = f;
	flow_count++;
	f->st = FL_HANDSHAKE;
	if (flow_count > ISO_FLOWS_MAX) {
		flow_full(f);
		flow_rst(p);
		f->st = FL_DEAD;
		return;
	}
	f->local = p->dport == ISO_DNS_PORT;
	if ((!f->local && flow_plan(f, p) < 0) ||
	    iso_stack_prepare(p->dport) < 0 ||
	    (f->nport = iso_nat_add(&p->src, p->sport, &p->dst, p->dport)) <
		    0) {
		if (f->nport == -ENOSPC)
			LOG_USER("%s: too many connections at once: refused",
				 f->text);
		f->nport = 0;
		flow_rst(p);
		f->st = FL_DEAD;
		return;
	}
	if (f->local) {
		flow_synwait(f);
		iso_stack_input(buf, len);
		return;
	}
	fam = client_first_proxy_family(&f->cl);
	f->fd = socket(fam ? fam : AF_INET6,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0) {
		flow_rst(p);
		flow_end(f, true, "no socket");
		return;
	}
	client_set_family(&f->cl, fam ? fam : AF_INET6, false);
	e.events = 0;
	e.data.ptr = f;
	(void)epoll_ctl(flow_ep, EPOLL_CTL_ADD, f->fd, &e);
	flow_handshake(f, client_step(&f->cl, f->fd));
}

/* Contract: iso_flow.h. */
void iso_flow_tcp(const struct iso_pkt *p, const uint8_t *buf, size_t len)
{
	struct flow *f;

	if ((p->tcp_flags & (ISO_TCP_SYN | ISO_TCP_ACK)) != ISO_TCP_SYN) {
		iso_stack_input(buf, len);
		return;
	}
	for (f = flows; f != NULL; f = f->next) {
		if (f->st != FL_DEAD &&
		    flow_is(f, &p->src, p->sport, &p->dst, p->dport))
			break;
	}
	if (f == NULL)
		flow_start(p, buf, len);
	else if (f->st != FL_HANDSHAKE)
		iso_stack_input(buf, len); /* lwIP's own SYN retransmit */
}

/* Contract: iso_flow.h. */
void iso_flow_event(struct flow *f, uint32_t events)
{
	switch (f->st) {
	case FL_HANDSHAKE:
		flow_handshake(f,
			       client_step_ready(&f->cl, f->fd, (short)events));
		break;
	case FL_OPEN:
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			flow_flush(f);
		if (f->st == FL_OPEN &&
		    (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
			flow_pull(f);
		break;
	default:
		break;
	}
}

/* Contract: iso_flow.h. */
size_t iso_flow_tick(void)
{
	struct flow **pp = &flows, *f;
	int64_t now = io_now_ms();

	while ((f = dirty) != NULL) { /* before any flow is freed below */
		dirty = f->dnext;
		f->dirty = false;
		if (f->st == FL_OPEN)
			flow_flush(f);
	}
	while ((f = *pp) != NULL) {
		if (f->st == FL_HANDSHAKE && f->cl.deadline >= 0 &&
		    now >= f->cl.deadline)
			flow_handshake(f, client_timeout(&f->cl, f->fd));
		if (f->st == FL_SYNWAIT && now >= f->synwait_end)
			flow_end(f, true,
				 "the program did not complete the "
				 "connection");
		if (f->st != FL_DEAD) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		if (f->nport > 0)
			iso_nat_release((uint16_t)f->nport, now);
		if (f->outq)
			pbuf_free(f->outq);
		free(f->syn);
		free(f);
		flow_count--;
	}
	iso_nat_expire(now);
	return flow_count;
}
