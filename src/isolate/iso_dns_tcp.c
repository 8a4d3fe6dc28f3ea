// SPDX-License-Identifier: MIT
/*
 * DNS over TCP (iso_dns_tcp.h).  Every message on the connection, both
 * ways, is preceded by its length (RFC 1035 4.2.2):
 *
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   |        LENGTH of the message, MSB first        |
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   /        the message (header, question, ...)     /
 *   +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *
 * What the program wrote stays in lwIP's buffers (@in) until a whole
 * query is there; lwIP's receive window opens only as queries are
 * consumed, so a connection holds at most one window of input.  A query
 * is consumed only when lwIP's send buffer can take its answer (at most
 * the query and one record), so no answer is ever dropped, and a program
 * that does not read its answers is not read either (the sent callback
 * resumes).  lwIP's poll timer (every second) counts idle seconds.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <lwip/tcp.h>

#include "common/io.h"
#include "common/log.h"
#include "isolate/iso_dns.h"
#include "isolate/iso_dns_tcp.h"
#include "isolate/iso_nat.h"

/* An answer is the query's header and question plus one record. */
#define DTCP_RR_MAX 28
/* lwIP's poll callback every second: two of its 500 ms coarse ticks. */
#define DTCP_POLL_TICKS 2

struct dtcp {
	struct tcp_pcb *pcb;
	struct net_ip dst;
	uint16_t nport;	 /* the connection's mapping (iso_nat.h) */
	struct pbuf *in; /* received, not yet answered */
	unsigned idle;	 /* seconds with nothing received or acknowledged */
	unsigned answers;
	bool prog_fin; /* the program closed its side */
};

/* Forget @d: lwIP's callbacks off, the mapping released. */
static void dtcp_free(struct dtcp *d, const char *why)
{
	char a[INET6_ADDRSTRLEN];

	LOG_INFO("DNS over TCP to %s: %u answer%s, %s",
		 net_ip_format(&d->dst, a, sizeof(a)), d->answers,
		 d->answers == 1 ? "" : "s", why);
	if (d->pcb != NULL) {
		tcp_arg(d->pcb, NULL);
		tcp_recv(d->pcb, NULL);
		tcp_sent(d->pcb, NULL);
		tcp_err(d->pcb, NULL);
		tcp_poll(d->pcb, NULL, 0);
	}
	if (d->in != NULL)
		pbuf_free(d->in);
	iso_nat_release(d->nport, io_now_ms());
	free(d);
}

/* Reset the connection and forget @d.  Returns ERR_ABRT for lwIP. */
static err_t dtcp_abort(struct dtcp *d, const char *why)
{
	struct tcp_pcb *pcb = d->pcb;

	dtcp_free(d, why);
	tcp_abort(pcb);
	return ERR_ABRT;
}

/*
 * Close the connection (FIN after the answers queued; a reset when
 * input is left unanswered) and forget @d.  Returns ERR_OK, or ERR_ABRT
 * when lwIP could not close and the pcb was aborted.
 */
static err_t dtcp_close(struct dtcp *d, const char *why)
{
	struct tcp_pcb *pcb = d->pcb;

	dtcp_free(d, why);
	if (tcp_close(pcb) == ERR_OK)
		return ERR_OK;
	tcp_abort(pcb);
	return ERR_ABRT;
}

/*
 * Answer every whole query in @d->in that lwIP's send buffer can take.
 * Ends the connection on a bad query, or once the program has closed its
 * side and nothing it sent can still be answered.  Returns ERR_OK, or
 * ERR_ABRT when the pcb was aborted.
 */
static err_t dtcp_serve(struct dtcp *d)
{
	uint8_t q[ISO_DNS_TCP_QMAX], a[2 + ISO_DNS_TCP_QMAX + DTCP_RR_MAX];
	bool blocked = false;
	size_t qlen;
	int n;

	while (d->in != NULL && d->in->tot_len >= 2) {
		qlen = (size_t)pbuf_get_at(d->in, 0) << 8 |
		       pbuf_get_at(d->in, 1);
		if (qlen == 0 || qlen > ISO_DNS_TCP_QMAX)
			return dtcp_abort(d, "query too long: reset");
		if (d->in->tot_len < 2 + qlen)
			break;
		if (tcp_sndbuf(d->pcb) < 2 + qlen + DTCP_RR_MAX ||
		    tcp_sndqueuelen(d->pcb) + 2 >= TCP_SND_QUEUELEN) {
			blocked = true; /* dtcp_sent_cb resumes */
			break;
		}
		pbuf_copy_partial(d->in, q, (u16_t)qlen, 2);
		n = iso_dns_answer(q, qlen, a + 2, sizeof(a) - 2);
		if (n < 0)
			return dtcp_abort(d, "malformed query: reset");
		a[0] = (uint8_t)(n >> 8);
		a[1] = (uint8_t)n;
		if (tcp_write(d->pcb, a, (u16_t)(n + 2), TCP_WRITE_FLAG_COPY) !=
		    ERR_OK)
			return dtcp_abort(d, "out of memory: reset");
		d->in = pbuf_free_header(d->in, (u16_t)(2 + qlen));
		tcp_recved(d->pcb, (u16_t)(2 + qlen));
		d->answers++;
	}
	tcp_output(d->pcb);
	if (d->prog_fin && !blocked)
		return dtcp_close(d, d->in == NULL ? "closed"
						   : "closed in mid-query");
	return ERR_OK;
}

static err_t dtcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
			  err_t err)
{
	struct dtcp *d = arg;

	(void)pcb;
	(void)err;
	if (d == NULL) {
		if (p != NULL)
			pbuf_free(p);
		return ERR_OK;
	}
	d->idle = 0;
	if (p == NULL)
		d->prog_fin = true;
	else if (d->in == NULL)
		d->in = p;
	else
		pbuf_cat(d->in, p);
	return dtcp_serve(d);
}

static err_t dtcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct dtcp *d = arg;

	(void)pcb;
	(void)len;
	if (d == NULL)
		return ERR_OK;
	d->idle = 0;
	return dtcp_serve(d);
}

static err_t dtcp_poll_cb(void *arg, struct tcp_pcb *pcb)
{
	struct dtcp *d = arg;

	(void)pcb;
	if (d == NULL)
		return ERR_OK;
	if (++d->idle < ISO_DNS_TCP_IDLE_S)
		return ERR_OK;
	if (d->in != NULL)
		return dtcp_abort(d, "idle in mid-query: reset");
	return dtcp_close(d, "idle: closed");
}

static void dtcp_err_cb(void *arg, err_t err)
{
	struct dtcp *d = arg;

	if (d == NULL)
		return;
	d->pcb = NULL; /* lwIP freed it */
	dtcp_free(d, err == ERR_RST ? "reset by the program" : "aborted");
}

/* Contract: iso_dns_tcp.h. */
int iso_dns_tcp_start(struct tcp_pcb *pcb, const struct net_ip *dst,
		      uint16_t nport)
{
	struct dtcp *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		tcp_abort(pcb);
		return -ENOMEM;
	}
	d->pcb = pcb;
	d->dst = *dst;
	d->nport = nport;
	tcp_arg(pcb, d);
	tcp_recv(pcb, dtcp_recv_cb);
	tcp_sent(pcb, dtcp_sent_cb);
	tcp_err(pcb, dtcp_err_cb);
	tcp_poll(pcb, dtcp_poll_cb, DTCP_POLL_TICKS);
	tcp_nagle_disable(pcb);
	return 0;
}
