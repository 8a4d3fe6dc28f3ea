/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one epoll instance, level-triggered, non-blocking fds.
 * Each watched fd has a struct loop_handler embedded in its owner; the
 * callback finds the owner with container_of.  A coarse tick (LOOP_TICK_MS)
 * drives every timeout: owners keep a deadline and the tick sweeps them, so
 * no timer structure is touched on the data path.
 */
#ifndef SOCKSIFY_SERVER_LOOP_H
#define SOCKSIFY_SERVER_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#define LOOP_TICK_MS 200

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct loop_handler;
typedef void (*loop_fn)(struct loop_handler *h, uint32_t events);

struct loop_handler {
	loop_fn fn;
	int fd;	       /* -1 when not registered */
	uint32_t mask; /* events currently registered */
	uint8_t dead;  /* owner closed: ignore events still queued */
};

/* Create the epoll instance.  Returns 0 or -errno. */
int loop_init(void);
/* Millisecond monotonic time, cached at each wake-up. */
int64_t loop_now(void);
/* Refresh the cached time (after long work). */
int64_t loop_update_now(void);

/*
 * Watch @h->fd (set by the caller) for @mask (EPOLLIN/EPOLLOUT/EPOLLRDHUP).
 * Returns 0 or -errno.
 */
int loop_add(struct loop_handler *h, int fd, loop_fn fn, uint32_t mask);
/* Change the mask; a no-op when it is unchanged.  Returns 0 or -errno. */
int loop_set(struct loop_handler *h, uint32_t mask);
/* Stop watching (the fd stays open).  Safe on an unregistered handler. */
void loop_del(struct loop_handler *h);
/*
 * The caller closes @h->fd right after: closing removes it from epoll (fds
 * are never shared with another process or dup'ed once the loop runs), so
 * only forget it, without an epoll_ctl call.  Safe when unregistered.
 */
void loop_forget(struct loop_handler *h);

/* Called once per tick with the current time. */
void loop_set_tick(void (*tick)(int64_t now));
/* Called after each batch of events (deferred frees). */
void loop_set_after(void (*after)(void));

/*
 * Poll for up to @us microseconds (0: never) before sleeping, while
 * @wanted() says a reply is due within a round trip (a handshake in
 * progress): on a VM, waking a sleeping process costs more than the
 * whole SOCKS step.  Bulk relaying never spins.
 */
void loop_set_spin(int us, bool (*wanted)(void));

/* Run until loop_stop().  Returns 0 or -errno of epoll_wait. */
int loop_run(void);
void loop_stop(void);

#endif
