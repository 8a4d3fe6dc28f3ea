// SPDX-License-Identifier: MIT
/*
 * TCP segments -> one GSO packet (iso_gso.h).  The kernel's side of the
 * contract (virtio_net_hdr_to_skb, tcp_gso_segment): hdr_len covers the
 * IP and TCP headers, gso_size is the payload per segment, NEEDS_CSUM
 * with csum_start/csum_offset naming the TCP checksum field, which holds
 * the pseudo-header sum over the whole TCP length, not complemented.  The
 * IPv4 header must carry the total length and a valid checksum: the
 * kernel checks it before it looks at the TCP segment.
 */
#include "config.h"

#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>

#include "isolate/iso_gso.h"
#include "isolate/iso_pkt.h"
#include "proto/wire.h"

#define TCP_ACK 0x10
#define TCP_PSH 0x08

/* A TCP data segment that may be coalesced: its IP and TCP header
 * lengths in *@hl, *@thl, or false. */
static bool gso_segment(const uint8_t *p, size_t len, size_t *hl, size_t *thl)
{
	uint8_t flags;

	if (len < 20 || len > ISO_GSO_MAX) /* IPv6: up to 65535 + 40 */
		return false;
	if (p[0] == 0x45) { /* IPv4, no options */
		if (p[9] != IPPROTO_TCP || wire_get16(p + 2) != len ||
		    (wire_get16(p + 6) & 0x3fff) != 0) /* MF or an offset */
			return false;
		*hl = 20;
	} else if (p[0] >> 4 == 6) {
		if (len < 40 || p[6] != IPPROTO_TCP ||
		    (size_t)wire_get16(p + 4) + 40 != len)
			return false;
		*hl = 40;
	} else {
		return false;
	}
	if (len < *hl + 20)
		return false;
	*thl = (size_t)(p[*hl + 12] >> 4) * 4;
	flags = p[*hl + 13];
	return *thl >= 20 && len > *hl + *thl && /* carries data */
	       (flags & TCP_ACK) && (flags & ~(TCP_ACK | TCP_PSH)) == 0;
}

/* Does @p (headers @hl, @thl, payload @plen) continue @g's flow? */
static bool gso_continues(const struct iso_gso *g, const uint8_t *p, size_t hl,
			  size_t thl, size_t plen)
{
	const uint8_t *t = p + hl, *gt = g->pkt + g->hl;

	if (g->closed || hl != g->hl || thl != g->thl || plen > g->mss ||
	    g->len + plen > ISO_GSO_MAX || (p[0] >> 4) != (g->pkt[0] >> 4))
		return false;
	if (hl == 20 ? memcmp(p + 12, g->pkt + 12, 8) != 0
		     : memcmp(p + 8, g->pkt + 8, 32) != 0)
		return false;
	return memcmp(t, gt, 4) == 0 &&		       /* ports */
	       wire_get32(t + 4) == g->next &&	       /* sequence */
	       memcmp(t + 8, gt + 8, 4) == 0 &&	       /* ACK number */
	       memcmp(t + 14, gt + 14, 2) == 0 &&      /* window */
	       memcmp(t + 20, gt + 20, thl - 20) == 0; /* options */
}

/* Contract: iso_gso.h. */
bool iso_gso_add(struct iso_gso *g, const uint8_t *p, size_t len)
{
	size_t hl, thl, plen;

	if (!gso_segment(p, len, &hl, &thl))
		return false;
	plen = len - hl - thl;
	if (g->len == 0) {
		memcpy(g->pkt, p, len);
		g->len = len;
		g->hl = hl;
		g->thl = thl;
		g->mss = (uint16_t)plen;
		g->next = wire_get32(p + hl + 4) + (uint32_t)plen;
		g->segs = 1;
		g->closed = false;
		return true;
	}
	if (!gso_continues(g, p, hl, thl, plen))
		return false;
	memcpy(g->pkt + g->len, p + hl + thl, plen);
	g->len += plen;
	g->next += (uint32_t)plen;
	g->segs++;
	g->pkt[hl + 13] |= p[hl + 13] & TCP_PSH;
	if (plen < g->mss)
		g->closed = true;
	return true;
}

/* Contract: iso_gso.h. */
size_t iso_gso_finish(struct iso_gso *g, struct iso_vnet *vh)
{
	uint8_t *t = g->pkt + g->hl;
	size_t tlen = g->len - g->hl;
	uint32_t sum;

	memset(vh, 0, sizeof(*vh));
	if (g->segs < 2)
		return g->len;
	if (g->hl == 20) {
		wire_put16(g->pkt + 2, (uint16_t)g->len);
		wire_put16(g->pkt + 10, 0);
		wire_put16(g->pkt + 10,
			   iso_pkt_fold(iso_pkt_sum(0, g->pkt, 20)));
		sum = iso_pkt_sum(0, g->pkt + 12, 8);
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else {
		wire_put16(g->pkt + 4, (uint16_t)tlen);
		sum = iso_pkt_sum(0, g->pkt + 8, 32);
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	}
	sum += IPPROTO_TCP + (uint32_t)tlen;
	wire_put16(t + 16, (uint16_t)~iso_pkt_fold(sum));
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->hdr_len = (uint16_t)(g->hl + g->thl);
	vh->gso_size = g->mss;
	vh->csum_start = (uint16_t)g->hl;
	vh->csum_offset = 16;
	return g->len;
}

/* Contract: iso_gso.h. */
void iso_gso_reset(struct iso_gso *g)
{
	g->len = 0;
	g->segs = 0;
	g->closed = false;
}
