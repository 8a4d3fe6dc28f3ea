// SPDX-License-Identifier: MIT
/*
 * Proxy pools (pool.h).  The current config's proxies and routes are
 * arrays, so a proxy or route is known by its index there: a failure
 * time per proxy and a round-robin counter per route, both atomics in
 * fixed tables (indices beyond them share the last slot: no harm, only
 * coarser).  A config loaded later (tests) simply starts from these.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#include "common/io.h"
#include "preload/init.h"
#include "preload/pool.h"

#define POOL_SLOTS 64

static _Atomic int64_t pool_fail_ms[POOL_SLOTS]; /* io_now_ms(), 0 = none */
static _Atomic unsigned pool_rr[POOL_SLOTS];
static _Atomic uint64_t pool_rand_state;

/* The slot of @i (an index into the config's array). */
static size_t pool_slot(ptrdiff_t i)
{
	if (i < 0)
		return 0;
	return (size_t)i < POOL_SLOTS ? (size_t)i : POOL_SLOTS - 1;
}

static size_t pool_proxy_slot(const struct conf *c, const struct conf_proxy *p)
{
	if (!c || p < c->proxies || p >= c->proxies + c->nproxies)
		return POOL_SLOTS - 1;
	return pool_slot(p - c->proxies);
}

/* A random number (xorshift64*, seeded from the clock and pid). */
static unsigned pool_random(void)
{
	uint64_t x = atomic_load_explicit(&pool_rand_state,
					  memory_order_relaxed),
		 n;

	do {
		n = x ? x
		      : (uint64_t)io_now_ms() * 0x9e3779b97f4a7c15ULL ^
				    (uint64_t)getpid();
		n ^= n >> 12;
		n ^= n << 25;
		n ^= n >> 27;
	} while (!atomic_compare_exchange_weak_explicit(&pool_rand_state, &x, n,
							memory_order_relaxed,
							memory_order_relaxed));
	return (unsigned)((n * 0x2545f4914f6cdd1dULL) >> 32);
}

/* A random number drawn once per process (a fork child keeps it). */
static unsigned pool_seed(void)
{
	static _Atomic unsigned seed; /* 0: not drawn yet */
	unsigned v = atomic_load_explicit(&seed, memory_order_relaxed), z = 0;

	if (v)
		return v;
	v = pool_random() | 1;
	if (!atomic_compare_exchange_strong(&seed, &z, v))
		v = z;
	return v;
}

/* Did proxy @p fail within the last @retry seconds? */
static bool pool_resting(const struct conf *c, const struct conf_proxy *p,
			 int64_t now, int retry)
{
	int64_t t = atomic_load_explicit(&pool_fail_ms[pool_proxy_slot(c, p)],
					 memory_order_relaxed);

	return retry > 0 && t != 0 && now - t < (int64_t)retry * 1000;
}

/* Contract: pool.h. */
void pool_order(const struct conf_route *r, uint8_t order[CONF_VIA_MAX])
{
	const struct conf *c = socksify_conf();
	size_t n = r->nproxies < CONF_VIA_MAX ? r->nproxies : CONF_VIA_MAX;
	size_t start = 0, k = 0, i;
	uint8_t rot[CONF_VIA_MAX];
	bool rest[CONF_VIA_MAX];
	int64_t now;

	if (n && r->mode == CONF_MODE_ROUND_ROBIN) {
		ptrdiff_t ri = c && r >= c->routes && r < c->routes + c->nroutes
				       ? r - c->routes
				       : POOL_SLOTS - 1;

		/* From a per-process random start, so that short-lived
		 * programs (one connection each) spread too. */
		start = (atomic_fetch_add_explicit(&pool_rr[pool_slot(ri)], 1,
						   memory_order_relaxed) +
			 pool_seed()) %
			n;
	} else if (n && r->mode == CONF_MODE_RANDOM) {
		start = pool_random() % n;
	}
	for (i = 0; i < n; i++)
		rot[i] = (uint8_t)((start + i) % n);
	if (r->mode == CONF_MODE_CHAIN || !c || c->proxy_retry <= 0) {
		for (i = 0; i < n; i++)
			order[i] = rot[i];
		return;
	}
	now = io_now_ms();
	for (i = 0; i < n; i++)
		rest[i] = pool_resting(c, r->proxies[rot[i]], now,
				       c->proxy_retry);
	for (i = 0; i < n; i++) /* the rested ones first, */
		if (!rest[i])
			order[k++] = rot[i];
	for (i = 0; i < n; i++) /* then those that failed lately */
		if (rest[i])
			order[k++] = rot[i];
}

/* Contract: pool.h. */
void pool_failed(const struct conf_proxy *p)
{
	int64_t now = io_now_ms();

	atomic_store_explicit(
		&pool_fail_ms[pool_proxy_slot(socksify_conf(), p)],
		now ? now : 1, memory_order_relaxed);
}
