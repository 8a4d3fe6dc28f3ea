/* SPDX-License-Identifier: MIT */
/*
 * The TCP relay: two independent directions (client->target "up",
 * target->client "down").  A direction starts with a plain copy through a
 * shared scratch buffer, so an idle or interactive session owns no buffer
 * at all; bytes that the destination cannot take yet are kept in a heap
 * buffer exactly their size.  Once a direction has moved RELAY_SPLICE_MIN
 * bytes it is bulk: it borrows a pipe from a bounded pool and moves data
 * with splice(2) (no copy through user space), and gives the pipe back as
 * soon as the pipe is empty and the source has nothing more, so pipes follow
 * the traffic, not the session count.  With the pool empty it keeps copying.
 * EOF on one side is passed on as shutdown(SHUT_WR) of the other once
 * everything read has been written (half-close).
 */
#ifndef SOCKSIFY_SERVER_RELAY_H
#define SOCKSIFY_SERVER_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RELAY_SPLICE_MIN (64 * 1024)
#define RELAY_SCRATCH (64 * 1024)

struct relay_pipe {
	int r, w;
	size_t cap;
	struct relay_pipe *next;
};

struct relay_dir {
	int from, to;
	struct relay_pipe *pipe; /* borrowed while bulk */
	size_t in_pipe;		 /* bytes sitting in the pipe */
	uint8_t *buf;		 /* bytes read but not yet written */
	uint32_t off, len;
	uint64_t bytes; /* bytes read from @from */
	bool pipe_full; /* the pipe took no more: wait for a flush */
	bool eof;	/* @from reached EOF */
	bool unwatched; /* @from is no longer polled (after EPOLLHUP) */
	bool done;	/* ... and @to got SHUT_WR */
};

/* Size the pipe pool (call again on reload: shrinking closes free pipes). */
void relay_pool_config(int max_pipes, int pipe_size);
/* Pipes created / in use, for stats and tests. */
int relay_pool_created(void);

void relay_dir_init(struct relay_dir *d, int from, int to);
/* Queue bytes to write first (early data, an unsent reply).  0/-ENOMEM. */
int relay_dir_queue(struct relay_dir *d, const uint8_t *p, size_t n);
/*
 * Move what can move without blocking.  Returns 0 or -errno of a fatal
 * error (reset, broken pipe): the caller then closes both sides.
 */
int relay_pump(struct relay_dir *d);
/* Should @from be watched for input / @to for output? */
bool relay_dir_wants_read(const struct relay_dir *d);
bool relay_dir_wants_write(const struct relay_dir *d);
/* Give back the pipe and free the buffer. */
void relay_dir_release(struct relay_dir *d);

#endif
