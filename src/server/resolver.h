/* SPDX-License-Identifier: MIT */
/*
 * A small pool of worker threads for the blocking calls the event loop must
 * never make: getaddrinfo() and crypt().  Jobs complete through an eventfd
 * the loop watches.  Why a pool and not getaddrinfo_a(): the pool is simple,
 * has no signal-based notification, bounds the number of threads, and also
 * runs password hashing (tens of milliseconds of CPU for many concurrent
 * logins) off the loop.
 *
 * Ownership: the submitter owns the job.  work() runs in a worker and may
 * touch only the job.  done() runs in the loop thread.  To abandon a job
 * still in flight, set job->cancelled (loop thread only): the pool then calls
 * job->release() instead of done().
 */
#ifndef SOCKSIFY_SERVER_RESOLVER_H
#define SOCKSIFY_SERVER_RESOLVER_H

#include <stdbool.h>

struct rjob {
	void (*work)(struct rjob *j);	 /* worker thread */
	void (*done)(struct rjob *j);	 /* loop thread */
	void (*release)(struct rjob *j); /* loop thread, when cancelled */
	bool cancelled;
	struct rjob *next;
};

/* Start @nthreads workers and watch the completion eventfd.  0 or -errno. */
int resolver_start(int nthreads);
/* Queue @j.  Never blocks. */
void resolver_submit(struct rjob *j);
/* Stop the workers (at exit).  Jobs still queued are released. */
void resolver_stop(void);

#endif
