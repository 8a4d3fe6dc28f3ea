// SPDX-License-Identifier: MIT
/*
 * The program <-> lwIP connection mappings (iso_nat.h).  Two indexes: a
 * hash of the program's 4-tuple (segments from the program) and an array
 * by nport (segments from lwIP).  A mapping superseded by a new
 * connection with the same program 4-tuple leaves the hash at once but
 * keeps its nport until it expires: lwIP may still be closing the old one.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "isolate/iso_nat.h"
#include "isolate/iso_pkt.h"
#include "proto/wire.h"

#define NAT_BUCKETS 4096

struct nat_ent {
	struct net_ip src, dst; /* the program's view */
	uint16_t sport, dport, nport;
	bool hashed;	/* in the program-tuple hash */
	int64_t linger; /* 0 while the flow lives, else when it goes */
	struct nat_ent *hnext;
	struct nat_ent *lnext; /* the linger queue, oldest first */
};

static struct nat_ent *by_nport[65536];
static struct nat_ent *hash[NAT_BUCKETS];
static struct net_ip gw4, gw6;
static uint32_t next_nport = ISO_NAT_PORT_MIN;
static size_t nat_count;
static struct nat_ent *linger_head, **linger_tail = &linger_head;

/* Contract: iso_nat.h. */
void iso_nat_init(const struct net_ip *g4, const struct net_ip *g6)
{
	gw4 = *g4;
	gw6 = *g6;
}

static size_t nat_alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* FNV-1a over the program's 4-tuple. */
static unsigned nat_hash(const struct net_ip *src, uint16_t sport,
			 const struct net_ip *dst, uint16_t dport)
{
	uint32_t h = 2166136261u;
	size_t i, n = nat_alen(src->family);

	for (i = 0; i < n; i++)
		h = (h ^ src->b[i]) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ dst->b[i]) * 16777619u;
	h = (h ^ sport) * 16777619u;
	h = (h ^ dport) * 16777619u;
	return h % NAT_BUCKETS;
}

static bool nat_ip_eq(const struct net_ip *a, const struct net_ip *b)
{
	return a->family == b->family &&
	       memcmp(a->b, b->b, nat_alen(a->family)) == 0;
}

/* The live mapping of the program's 4-tuple, and its link in the hash. */
static struct nat_ent **nat_find(const struct net_ip *src, uint16_t sport,
				 const struct net_ip *dst, uint16_t dport)
{
	struct nat_ent **pp = &hash[nat_hash(src, sport, dst, dport)], *e;

	for (; (e = *pp) != NULL; pp = &e->hnext) {
		if (e->sport == sport && e->dport == dport &&
		    nat_ip_eq(&e->src, src) && nat_ip_eq(&e->dst, dst))
			return pp;
	}
	return NULL;
}

static void nat_unhash(struct nat_ent *e)
{
	struct nat_ent **pp = nat_find(&e->src, e->sport, &e->dst, e->dport);

	if (pp != NULL && *pp == e)
		*pp = e->hnext;
	e->hashed = false;
}

/* Contract: iso_nat.h. */
int iso_nat_add(const struct net_ip *src, uint16_t sport,
		const struct net_ip *dst, uint16_t dport)
{
	const uint32_t span = 65536 - ISO_NAT_PORT_MIN;
	struct nat_ent **old = nat_find(src, sport, dst, dport), *e;
	uint32_t i, port = 0;

	for (i = 0; i < span; i++) {
		uint32_t p = next_nport++;

		if (next_nport > 65535)
			next_nport = ISO_NAT_PORT_MIN;
		if (by_nport[p] == NULL) {
			port = p;
			break;
		}
	}
	if (port == 0)
		return -ENOSPC;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	if (old != NULL)
		nat_unhash(*old); /* superseded; expires on its own */
	e->src = *src;
	e->dst = *dst;
	e->sport = sport;
	e->dport = dport;
	e->nport = (uint16_t)port;
	e->hashed = true;
	e->hnext = hash[nat_hash(src, sport, dst, dport)];
	hash[nat_hash(src, sport, dst, dport)] = e;
	by_nport[port] = e;
	nat_count++;
	return (int)port;
}

/* Contract: iso_nat.h. */
void iso_nat_release(uint16_t nport, int64_t now_ms)
{
	struct nat_ent *e = by_nport[nport];

	if (e == NULL || e->linger != 0)
		return;
	/* A constant linger: the queue stays in expiry order. */
	e->linger = now_ms + ISO_NAT_LINGER_MS;
	*linger_tail = e;
	linger_tail = &e->lnext;
}

/* Contract: iso_nat.h. */
size_t iso_nat_expire(int64_t now_ms)
{
	struct nat_ent *e;

	while ((e = linger_head) != NULL && e->linger <= now_ms) {
		linger_head = e->lnext;
		if (linger_head == NULL)
			linger_tail = &linger_head;
		if (e->hashed)
			nat_unhash(e);
		by_nport[e->nport] = NULL;
		free(e);
		nat_count--;
	}
	return nat_count;
}

/*
 * RFC 1624 (eqn. 3): the checksum at @ck after the @n bytes (even) at
 * @field become @to.  Writes @to into @field too.
 */
static void nat_update(uint8_t *ck, uint8_t *field, const uint8_t *to, size_t n)
{
	uint32_t sum = (uint16_t)~wire_get16(ck);
	size_t i;

	for (i = 0; i < n; i += 2) {
		sum += (uint16_t)~wire_get16(field + i);
		sum += wire_get16(to + i);
	}
	memcpy(field, to, n);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	wire_put16(ck, (uint16_t)~sum);
}

/*
 * Replace the address at @off (source or destination) by @to, and the
 * port at @pport (TCP source or destination) by @port, keeping the IPv4
 * header checksum and the TCP checksum right.
 */
static void nat_rewrite(uint8_t *pkt, const struct iso_pkt *k, size_t off,
			const struct net_ip *to, size_t pport, uint16_t port)
{
	uint8_t *tcp = pkt + k->l4_off, pb[2];
	size_t n = nat_alen(k->src.family);

	wire_put16(pb, port);
	if (k->src.family == AF_INET) {
		uint8_t save[4];

		memcpy(save, pkt + off, 4);
		nat_update(pkt + 10, pkt + off, to->b, 4);
		memcpy(pkt + off, save, 4); /* once more for TCP's sum */
	}
	nat_update(tcp + 16, pkt + off, to->b, n);
	nat_update(tcp + 16, tcp + pport, pb, 2);
}

/* Parse @pkt as TCP for the translation: 1, 0 (not TCP) or -ENOENT. */
static int nat_parse(const uint8_t *pkt, size_t len, struct iso_pkt *k)
{
	if (iso_pkt_parse(pkt, len, k) < 0)
		return 0;
	if (k->proto != IPPROTO_TCP)
		return 0;
	if (len < k->l4_off + 20 ||
	    (k->src.family == AF_INET && (wire_get16(pkt + 6) & 0x1fff) != 0))
		return -ENOENT; /* short, or a later fragment */
	return 1;
}

/* Contract: iso_nat.h. */
int iso_nat_in(uint8_t *pkt, size_t len)
{
	struct nat_ent **pp, *e;
	struct iso_pkt k;
	int rc = nat_parse(pkt, len, &k);

	if (rc <= 0)
		return rc;
	pp = nat_find(&k.src, k.sport, &k.dst, k.dport);
	if (pp == NULL)
		return -ENOENT;
	e = *pp;
	nat_rewrite(pkt, &k, k.src.family == AF_INET ? 16 : 24,
		    k.src.family == AF_INET ? &gw4 : &gw6, 0, e->nport);
	return 1;
}

/* Contract: iso_nat.h. */
int iso_nat_out(uint8_t *pkt, size_t len, uint8_t save[ISO_NAT_SAVE])
{
	struct nat_ent *e;
	struct iso_pkt k;
	int rc = nat_parse(pkt, len, &k);

	if (rc <= 0)
		return rc;
	e = by_nport[k.dport];
	if (e == NULL || e->dport != k.sport || !nat_ip_eq(&e->src, &k.dst) ||
	    !nat_ip_eq(k.src.family == AF_INET ? &gw4 : &gw6, &k.src))
		return -ENOENT;
	memcpy(save, pkt, len < ISO_NAT_SAVE ? len : ISO_NAT_SAVE);
	nat_rewrite(pkt, &k, k.src.family == AF_INET ? 12 : 8, &e->dst, 2,
		    e->sport);
	return 1;
}
