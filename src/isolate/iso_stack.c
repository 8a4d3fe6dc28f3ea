// SPDX-License-Identifier: MIT
/*
 * lwIP glue (iso_stack.h): interfaces, listeners, packets in and out.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <lwip/init.h>
#include <lwip/ip.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>
#include <lwip/tcpip.h>

#include "common/log.h"
#include "isolate/iso.h"
#include "isolate/iso_nat.h"
#include "isolate/iso_pkt.h"
#include "isolate/iso_stack.h"
#include "isolate/iso_tun.h"

static struct netif main_if;
static struct tcp_pcb *listeners[65536];

void iso_stack_lock(void)
{
	LOCK_TCPIP_CORE();
}

void iso_stack_unlock(void)
{
	UNLOCK_TCPIP_CORE();
}

/* -d 3: one line for the packet @p lwIP sends to the program. */
static void stack_trace(const struct pbuf *p)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	struct iso_pkt k;

	if (p->next != NULL || iso_pkt_parse(p->payload, p->len, &k) < 0) {
		LOG_TRACE("to the program: %u bytes", (unsigned)p->tot_len);
		return;
	}
	LOG_TRACE("to the program: %u bytes, %s port %u -> %s port %u, "
		  "protocol %u, flags %#x",
		  (unsigned)p->tot_len, net_ip_format(&k.src, a, sizeof(a)),
		  k.sport, net_ip_format(&k.dst, b, sizeof(b)), k.dport,
		  k.proto, k.tcp_flags);
}

/*
 * lwIP's SYN-ACK says MSS 1460 (Debian's TCP_MSS): say what the device
 * carries instead, so that the program's TCP sends lwIP segments of up to
 * 64 KiB, one read from the device each, not one per 1460 bytes.  lwIP
 * takes a segment of any size its window allows.  (Inside the bytes
 * iso_nat_out saved: put back after.)
 */
static void stack_syn_mss(uint8_t *pkt, size_t len)
{
	struct iso_pkt k;

	if (iso_pkt_parse(pkt, len, &k) == 0 && (k.tcp_flags & ISO_TCP_SYN))
		(void)iso_pkt_raise_mss(pkt, len, &k,
					k.src.family == AF_INET ? ISO_MTU - 40
								: ISO_MTU - 60);
}

/*
 * Write the packet @p to the TUN device (any thread, locked), addressed
 * back as the program expects (iso_nat.h).  The headers are rewritten in
 * place and put back after: the pbuf may be a segment lwIP keeps for a
 * retransmission.  A packet of no connection (lwIP's RST to a stray
 * segment) has no one to go to.
 */
static err_t stack_out(struct pbuf *p)
{
	uint8_t save[ISO_NAT_SAVE];
	struct iovec iov[16];
	struct pbuf *q;
	int n = 0, rc;

	rc = iso_nat_out(p->payload, p->len, save);
	if (rc < 0)
		return ERR_OK;
	if (rc > 0)
		stack_syn_mss(p->payload, p->len);
	if (log_level >= LOG_LVL_TRACE)
		stack_trace(p);
	for (q = p; q != NULL && n < 16; q = q->next)
		iov[n++] = (struct iovec){q->payload, q->len};
	iso_tun_send_iov(iov, n);
	if (rc > 0)
		memcpy(p->payload, save,
		       p->len < ISO_NAT_SAVE ? p->len : ISO_NAT_SAVE);
	return ERR_OK;
}

static err_t stack_out4(struct netif *n, struct pbuf *p, const ip4_addr_t *a)
{
	(void)n;
	(void)a;
	return stack_out(p);
}

static err_t stack_out6(struct netif *n, struct pbuf *p, const ip6_addr_t *a)
{
	(void)n;
	(void)a;
	return stack_out(p);
}

static err_t stack_if_init(struct netif *n)
{
	n->output = stack_out4;
	n->output_ip6 = stack_out6;
	n->mtu = ISO_MTU;
	n->mtu6 = ISO_MTU;
	n->name[0] = 's';
	n->name[1] = 'f';
	return ERR_OK;
}

/* @ip as lwIP's address type. */
static void stack_addr(const struct net_ip *ip, ip_addr_t *a)
{
	memset(a, 0, sizeof(*a));
	if (ip->family == AF_INET) {
		IP_SET_TYPE(a, IPADDR_TYPE_V4);
		memcpy(&ip_2_ip4(a)->addr, ip->b, 4);
	} else {
		IP_SET_TYPE(a, IPADDR_TYPE_V6);
		memcpy(ip_2_ip6(a)->addr, ip->b, 16);
	}
}

/* Contract: iso_stack.h. */
int iso_stack_init(void)
{
	ip_addr_t a4, m4, gw, a6;
	struct net_ip ip, ip6;

	tcpip_init(NULL, NULL);
	LOCK_TCPIP_CORE();
	net_ip_parse(ISO_GW_IP4, &ip);
	net_ip_parse(ISO_GW_IP6, &ip6);
	iso_nat_init(&ip, &ip6);
	stack_addr(&ip, &a4);
	IP_ADDR4(&m4, 255, 255, 255, 0);
	ip_addr_set_zero_ip4(&gw);
	stack_addr(&ip6, &a6);
	if (netif_add(&main_if, ip_2_ip4(&a4), ip_2_ip4(&m4), ip_2_ip4(&gw),
		      NULL, stack_if_init, ip_input) == NULL) {
		UNLOCK_TCPIP_CORE();
		return -ENOMEM;
	}
	/* IPv6: the gateway's address, valid at once (no DAD) */
	netif_ip6_addr_set(&main_if, 0, ip_2_ip6(&a6));
	netif_ip6_addr_set_state(&main_if, 0, IP6_ADDR_PREFERRED);
	netif_set_up(&main_if);
	netif_set_link_up(&main_if);
	netif_set_default(&main_if);
	UNLOCK_TCPIP_CORE();
	return 0;
}

static err_t stack_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	return iso_flow_accept(pcb) == 0 ? ERR_OK : ERR_ABRT;
}

/* The listener on @port (any address, both families).  0 or -ENOMEM. */
static int stack_listener(uint16_t port)
{
	struct tcp_pcb *pcb, *l;

	if (listeners[port] != NULL)
		return 0;
	pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
	if (pcb == NULL)
		return -ENOMEM;
	if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
		tcp_abort(pcb);
		return -ENOMEM;
	}
	l = tcp_listen_with_backlog(pcb, 255);
	if (l == NULL) {
		tcp_abort(pcb);
		return -ENOMEM;
	}
	tcp_accept(l, stack_accept);
	listeners[port] = l;
	return 0;
}

/* Contract: iso_stack.h. */
int iso_stack_prepare(uint16_t port)
{
	return stack_listener(port);
}

/* Contract: iso_stack.h. */
void iso_stack_input(const uint8_t *buf, size_t len)
{
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);

	if (p == NULL)
		return;
	memcpy(p->payload, buf, len);
	if (iso_nat_in(p->payload, len) < 0) {
		iso.dropped++; /* a segment of no connection */
		pbuf_free(p);
		return;
	}
	if (ip_input(p, &main_if) != ERR_OK)
		pbuf_free(p);
}
