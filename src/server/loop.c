// SPDX-License-Identifier: MIT
/*
 * The epoll loop (see loop.h).  Level-triggered: a handler that stops
 * early (fairness) is simply called again on the next wait.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "server/loop.h"

#define LOOP_BATCH 128

static int epfd = -1;
static int64_t now_ms;
static int64_t next_tick;
static bool stopping;
static void (*tick_fn)(int64_t now);
static void (*after_fn)(void);
static int spin_us;
static bool (*spin_wanted)(void);

int64_t loop_update_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return now_ms;
}

int64_t loop_now(void)
{
	return now_ms;
}

int loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	loop_update_now();
	next_tick = now_ms + LOOP_TICK_MS;
	return 0;
}

int loop_add(struct loop_handler *h, int fd, loop_fn fn, uint32_t mask)
{
	struct epoll_event ev = {.events = mask, .data.ptr = h};

	h->fd = fd;
	h->fn = fn;
	h->dead = 0;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		h->fd = -1;
		return -errno;
	}
	h->mask = mask;
	return 0;
}

int loop_set(struct loop_handler *h, uint32_t mask)
{
	struct epoll_event ev = {.events = mask, .data.ptr = h};

	if (h->fd < 0 || h->mask == mask)
		return 0;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, h->fd, &ev) < 0)
		return -errno;
	h->mask = mask;
	return 0;
}

void loop_del(struct loop_handler *h)
{
	if (h->fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, h->fd, NULL);
	h->fd = -1;
	h->mask = 0;
}

void loop_forget(struct loop_handler *h)
{
	h->fd = -1;
	h->mask = 0;
}

void loop_set_tick(void (*tick)(int64_t now))
{
	tick_fn = tick;
}

void loop_set_after(void (*after)(void))
{
	after_fn = after;
}

void loop_stop(void)
{
	stopping = true;
}

void loop_set_spin(int us, bool (*wanted)(void))
{
	spin_us = us;
	spin_wanted = wanted;
}

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * epoll_wait that polls without sleeping for up to spin_us first.  The
 * sleeping wait that follows a fruitless spin keeps the full @timeout: a
 * tick is at most spin_us late.
 */
static int wait_spinning(struct epoll_event *evs, int timeout)
{
	int64_t end = mono_us() + spin_us;
	int n;

	do {
		n = epoll_wait(epfd, evs, LOOP_BATCH, 0);
		if (n != 0)
			return n;
		/* The peer we wait for may need this CPU to answer. */
		sched_yield();
	} while (mono_us() < end);
	return epoll_wait(epfd, evs, LOOP_BATCH, timeout);
}

/*
 * Wait, dispatch, run the tick when due.  The wait never sleeps past the
 * next tick, so timeouts are exact to LOOP_TICK_MS.
 */
int loop_run(void)
{
	struct epoll_event evs[LOOP_BATCH];
	int n, i, timeout;

	stopping = false;
	while (!stopping) {
		timeout = (int)(next_tick - now_ms);
		if (timeout < 0)
			timeout = 0;
		if (spin_us > 0 && timeout != 0 && spin_wanted())
			n = wait_spinning(evs, timeout);
		else
			n = epoll_wait(epfd, evs, LOOP_BATCH, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		loop_update_now();
		for (i = 0; i < n; i++) {
			struct loop_handler *h = evs[i].data.ptr;

			if (!h->dead && h->fd >= 0)
				h->fn(h, evs[i].events);
		}
		if (now_ms >= next_tick) {
			next_tick = now_ms + LOOP_TICK_MS;
			if (tick_fn)
				tick_fn(now_ms);
		}
		if (after_fn)
			after_fn();
	}
	return 0;
}
