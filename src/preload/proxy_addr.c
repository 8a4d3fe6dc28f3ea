// SPDX-License-Identifier: MIT
/*
 * The cache of proxy addresses (proxy_addr.h).  One slot per proxy of the
 * config in use, found by the proxy's index in conf->proxies.  The lock is
 * a leaf (nothing is taken under it) and never covers a lookup: the
 * answer is made first, then stored.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/log.h"
#include "preload/fdtable.h"
#include "preload/preload.h"
#include "preload/proxy_addr.h"
#include "preload/real.h"

struct pxa_slot {
	bool has4, has6;
	struct net_ip ip4, ip6;
	int64_t until; /* io_now_ms() when the answer expires; 0: none yet */
	bool failed;   /* look up again at the next refresh */
};

static pthread_mutex_t pxa_lock = PTHREAD_MUTEX_INITIALIZER;
/* The config the slots belong to (read without the lock by pxa_refresh). */
static _Atomic(const struct conf *) pxa_conf;
static struct pxa_slot *pxa_slots;
/* The earliest time a refresh has work (atomic: read without the lock);
 * 0: at once. */
static _Atomic int64_t pxa_due;

/* @p's slot index in pxa_conf, or -1 (lock held). */
static long pxa_index(const struct conf_proxy *p)
{
	const struct conf *c = atomic_load(&pxa_conf);

	if (!c || !pxa_slots || p < c->proxies || p >= c->proxies + c->nproxies)
		return -1;
	return p - c->proxies;
}

/* Resolve @host into @s (no lock held).  Returns true when it has an
 * address. */
static bool pxa_resolve(const char *host, struct pxa_slot *s)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	socksify_guard++;
	rc = real.getaddrinfo(host, NULL, &hints, &res);
	socksify_guard--;
	if (rc != 0)
		return false;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		struct net_ip ip;

		if (net_ip_from_sockaddr(&ip, NULL, a->ai_addr, a->ai_addrlen) <
		    0)
			continue;
		if (ip.family == AF_INET && !s->has4) {
			s->ip4 = ip;
			s->has4 = true;
		} else if (ip.family == AF_INET6 && !s->has6) {
			s->ip6 = ip;
			s->has6 = true;
		}
	}
	real.freeaddrinfo(res);
	return s->has4 || s->has6;
}

/* Make the slots belong to @c (lock held).  Returns false without memory. */
static bool pxa_adopt(const struct conf *c)
{
	struct pxa_slot *slots;

	if (atomic_load(&pxa_conf) == c && pxa_slots)
		return true;
	slots = calloc(c->nproxies ? c->nproxies : 1, sizeof(*slots));
	if (!slots)
		return false;
	free(pxa_slots);
	pxa_slots = slots;
	atomic_store(&pxa_conf, c);
	atomic_store(&pxa_due, 0);
	return true;
}

/* Contract: proxy_addr.h. */
void pxa_refresh(const struct conf *c)
{
	int64_t now = io_now_ms(), next = INT64_MAX;
	int saved = errno;

	if (!c || (atomic_load(&pxa_conf) == c && now < atomic_load(&pxa_due)))
		return;
	for (size_t i = 0; i < c->nproxies; i++) {
		const struct net_hostport *hp = &c->proxies[i].url.hp;
		struct pxa_slot fresh;
		bool due;

		if (hp->is_ip)
			continue;
		fdt_mutex_lock(&pxa_lock);
		due = pxa_adopt(c) &&
		      (pxa_slots[i].failed || pxa_slots[i].until <= now);
		if (!due && pxa_slots && pxa_slots[i].until < next)
			next = pxa_slots[i].until;
		fdt_mutex_unlock(&pxa_lock);
		if (!due)
			continue;
		if (!pxa_resolve(hp->host, &fresh))
			LOG_ERR("cannot resolve proxy %.64s (%.64s); "
				"connections "
				"through it fail until it resolves",
				c->proxies[i].name, hp->host);
		/* A failed lookup is retried after a short while, not at
		 * every connect. */
		fresh.until =
			now + ((fresh.has4 || fresh.has6) ? PXA_TTL_MS : 5000);
		fdt_mutex_lock(&pxa_lock);
		if (atomic_load(&pxa_conf) == c && pxa_slots) {
			pxa_slots[i] = fresh;
			if (fresh.until < next)
				next = fresh.until;
		}
		fdt_mutex_unlock(&pxa_lock);
	}
	atomic_store(&pxa_due, next);
	errno = saved;
}

/* Contract: proxy_addr.h. */
int pxa_lookup(const struct conf_proxy *p, int family, struct net_ip *ip)
{
	int rc = -EHOSTUNREACH;
	long i;

	if (p->url.hp.is_ip) {
		*ip = p->url.hp.ip;
		return 0;
	}
	fdt_mutex_lock(&pxa_lock);
	i = pxa_index(p);
	if (i >= 0) {
		const struct pxa_slot *s = &pxa_slots[i];
		bool six = family == AF_INET6 ? s->has6 || !s->has4
					      : !s->has4 && s->has6;

		if (s->has4 || s->has6) {
			*ip = six ? s->ip6 : s->ip4;
			rc = 0;
		}
	}
	fdt_mutex_unlock(&pxa_lock);
	return rc;
}

/* Contract: proxy_addr.h. */
void pxa_failed(const struct conf_proxy *p)
{
	long i;

	if (p->url.hp.is_ip)
		return;
	fdt_mutex_lock(&pxa_lock);
	i = pxa_index(p);
	if (i >= 0)
		pxa_slots[i].failed = true;
	fdt_mutex_unlock(&pxa_lock);
	atomic_store(&pxa_due, 0);
}

void pxa_atfork_prepare(void)
{
	fdt_mutex_lock(&pxa_lock);
}

void pxa_atfork_parent(void)
{
	fdt_mutex_unlock(&pxa_lock);
}

void pxa_atfork_child(void)
{
	fdt_mutex_unlock(&pxa_lock);
}
