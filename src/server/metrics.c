// SPDX-License-Identifier: MIT
/*
 * Counters and their Prometheus text rendering (see metrics.h).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "server/metrics.h"
#include "server/session.h"

static struct metrics_slot private_slot;
static struct metrics_slot *slots = &private_slot;
static int nslots = 1;
static struct metrics_slot *self = &private_slot;

/* Upper bounds of the handshake buckets, microseconds. */
static const uint64_t hs_bounds_us[MET_HS_BUCKETS] = {
	500,   1000,   2500,   5000,   10000,	25000,
	50000, 100000, 250000, 500000, 1000000, 5000000,
};

int metrics_init(int workers)
{
	void *m;

	if (workers < 1)
		workers = 1;
	m = mmap(NULL, sizeof(struct metrics_slot) * (size_t)workers,
		 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	slots = m; /* zero-filled */
	nslots = workers;
	self = slots;
	return 0;
}

void metrics_pick_worker(int k)
{
	if (k >= 0 && k < nslots)
		self = &slots[k];
}

struct metrics_slot *metrics_self(void)
{
	return self;
}

static enum metrics_res metrics_res_index(int result)
{
	if (result >= 0 && result <= MET_RES_REP_LAST)
		return (enum metrics_res)result;
	switch (result) {
	case SESS_RES_PROTOCOL:
		return MET_RES_PROTOCOL;
	case SESS_RES_AUTH_FAILED:
	case SESS_RES_NO_METHOD:
		return MET_RES_AUTH_FAILED;
	case SESS_RES_TIMEOUT:
		return MET_RES_TIMEOUT;
	default:
		return MET_RES_OTHER;
	}
}

void metrics_session_end(int result)
{
	enum metrics_res i = metrics_res_index(result);

	metrics_add(&self->sessions[i], 1);
	if (i == MET_RES_AUTH_FAILED)
		metrics_add(&self->auth_failures, 1);
}

void metrics_handshake(int64_t us)
{
	size_t i;

	if (us < 0)
		us = 0;
	for (i = 0; i < MET_HS_BUCKETS; i++)
		if ((uint64_t)us <= hs_bounds_us[i])
			break;
	metrics_add(&self->hs_bucket[i], 1);
	metrics_add(&self->hs_sum_us, (uint64_t)us);
	metrics_add(&self->hs_count, 1);
}

/* The sum of one field (at @off) over every slot. */
static uint64_t metrics_sum(size_t off)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < nslots; i++)
		s += __atomic_load_n((uint64_t *)((char *)&slots[i] + off),
				     __ATOMIC_RELAXED);
	return s;
}

#define SUM(field) metrics_sum(offsetof(struct metrics_slot, field))

/* Output cursor: appends stop at the first overflow. */
struct metrics_out {
	char *buf;
	size_t cap, len;
	int err;
};

__attribute__((format(printf, 2, 3))) static void
metrics_put(struct metrics_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->err = -ENOSPC;
	else
		o->len += (size_t)n;
}

static const char *metrics_res_label(enum metrics_res i, char *buf, size_t cap)
{
	switch (i) {
	case MET_RES_PROTOCOL:
		return sess_result_name(SESS_RES_PROTOCOL, buf, cap);
	case MET_RES_AUTH_FAILED:
		return sess_result_name(SESS_RES_AUTH_FAILED, buf, cap);
	case MET_RES_TIMEOUT:
		return sess_result_name(SESS_RES_TIMEOUT, buf, cap);
	case MET_RES_OTHER:
		return "other";
	default:
		return sess_result_name((int)i, buf, cap);
	}
}

static void metrics_histogram(struct metrics_out *o)
{
	uint64_t cum = 0;
	size_t i;

	metrics_put(o, "# HELP socksifyd_handshake_seconds Time from accept "
		       "to the success reply to the request.\n"
		       "# TYPE socksifyd_handshake_seconds histogram\n");
	for (i = 0; i < MET_HS_BUCKETS; i++) {
		cum += metrics_sum(offsetof(struct metrics_slot, hs_bucket) +
				   i * sizeof(uint64_t));
		metrics_put(
			o,
			"socksifyd_handshake_seconds_bucket{le=\"%llu.%06llu"
			"\"} %llu\n",
			(unsigned long long)(hs_bounds_us[i] / 1000000),
			(unsigned long long)(hs_bounds_us[i] % 1000000),
			(unsigned long long)cum);
	}
	cum += metrics_sum(offsetof(struct metrics_slot, hs_bucket) +
			   MET_HS_BUCKETS * sizeof(uint64_t));
	metrics_put(o,
		    "socksifyd_handshake_seconds_bucket{le=\"+Inf\"} %llu\n"
		    "socksifyd_handshake_seconds_sum %llu.%06llu\n"
		    "socksifyd_handshake_seconds_count %llu\n",
		    (unsigned long long)cum,
		    (unsigned long long)(SUM(hs_sum_us) / 1000000),
		    (unsigned long long)(SUM(hs_sum_us) % 1000000),
		    (unsigned long long)SUM(hs_count));
}

int metrics_render(char *buf, size_t cap)
{
	struct metrics_out o = {.buf = buf, .cap = cap};
	char name[40];
	size_t i;

	metrics_put(&o,
		    "# HELP socksifyd_connections_accepted_total Client "
		    "connections accepted.\n"
		    "# TYPE socksifyd_connections_accepted_total counter\n"
		    "socksifyd_connections_accepted_total %llu\n",
		    (unsigned long long)SUM(accepted));
	metrics_put(&o,
		    "# HELP socksifyd_sessions Sessions open now.\n"
		    "# TYPE socksifyd_sessions gauge\n"
		    "socksifyd_sessions %llu\n",
		    (unsigned long long)SUM(current));
	metrics_put(&o, "# HELP socksifyd_sessions_total Sessions ended, by "
			"result.\n"
			"# TYPE socksifyd_sessions_total counter\n");
	for (i = 0; i < MET_RES_COUNT; i++)
		metrics_put(&o,
			    "socksifyd_sessions_total{result=\"%s\"} %llu\n",
			    metrics_res_label((enum metrics_res)i, name,
					      sizeof(name)),
			    (unsigned long long)metrics_sum(
				    offsetof(struct metrics_slot, sessions) +
				    i * sizeof(uint64_t)));
	metrics_put(&o,
		    "# HELP socksifyd_bytes_total Bytes relayed (TCP as they "
		    "move, UDP when the association ends).\n"
		    "# TYPE socksifyd_bytes_total counter\n"
		    "socksifyd_bytes_total{direction=\"up\"} %llu\n"
		    "socksifyd_bytes_total{direction=\"down\"} %llu\n",
		    (unsigned long long)SUM(bytes_up),
		    (unsigned long long)SUM(bytes_down));
	metrics_put(&o,
		    "# HELP socksifyd_auth_failures_total Sessions ended by "
		    "failed authentication.\n"
		    "# TYPE socksifyd_auth_failures_total counter\n"
		    "socksifyd_auth_failures_total %llu\n",
		    (unsigned long long)SUM(auth_failures));
	metrics_histogram(&o);
	return o.err ? o.err : (int)o.len;
}
