/* SPDX-License-Identifier: MIT */
/*
 * socksifyd's counters, and their rendering in the Prometheus text format
 * (version 0.0.4).  The counters live in one shared anonymous mapping made
 * before the workers fork: one slot per event-loop process, written only by
 * its owner (relaxed atomic stores), read by whichever process serves a
 * scrape (relaxed atomic loads, summed over the slots).  Counting costs no
 * syscall and no lock; the endpoint that serves them is metrics_ep.h.
 */
#ifndef SOCKSIFY_SERVER_METRICS_H
#define SOCKSIFY_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Session results as labels: REP 0..8, then the server's own outcomes. */
enum metrics_res {
	MET_RES_REP_LAST = 8, /* 0..8: SOCKS5 REP codes */
	MET_RES_PROTOCOL,
	MET_RES_AUTH_FAILED,
	MET_RES_TIMEOUT,
	MET_RES_OTHER,
	MET_RES_COUNT
};

/* Handshake latency buckets (upper bounds, microseconds); +Inf follows. */
#define MET_HS_BUCKETS 12

struct metrics_slot {
	uint64_t accepted;		  /* connections taken over */
	uint64_t sessions[MET_RES_COUNT]; /* ended, by result */
	uint64_t bytes_up, bytes_down;	  /* client->target, target->client */
	uint64_t auth_failures;
	uint64_t hs_bucket[MET_HS_BUCKETS + 1]; /* not cumulative */
	uint64_t hs_sum_us, hs_count;
	uint64_t current; /* live sessions */
};

/*
 * Map @workers slots (1 without workers).  Call once, before fork.
 * Returns 0 or -errno (then counting goes to a private slot).
 */
int metrics_init(int workers);
/* In worker @k (0-based) count into slot k. */
void metrics_pick_worker(int k);
/* The calling process's slot (never NULL). */
struct metrics_slot *metrics_self(void);

/* *@field += @n in the caller's own slot. */
static inline void metrics_add(uint64_t *field, uint64_t n)
{
	__atomic_store_n(field, __atomic_load_n(field, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline void metrics_set(uint64_t *field, uint64_t v)
{
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}

/* A session ended with @result (enum sess_result or a REP code). */
void metrics_session_end(int result);
/* A request got its success reply @us microseconds after accept. */
void metrics_handshake(int64_t us);

/*
 * The text exposition of every slot's sum into @buf.  Returns the length,
 * or -ENOSPC when @cap is too small.
 */
int metrics_render(char *buf, size_t cap);

#endif
