// SPDX-License-Identifier: MIT
/* The worker pool (see resolver.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "server/loop.h"
#include "server/resolver.h"

#define RESOLVER_MAX_THREADS 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static struct rjob *todo_head, *todo_tail; /* under lock */
static struct rjob *done_head;		   /* under lock, LIFO */
static bool stopping;			   /* under lock */
static pthread_t threads[RESOLVER_MAX_THREADS];
static int nthreads_running;
static int efd = -1;
static struct loop_handler eh;

static void *worker(void *arg)
{
	struct rjob *j;

	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		while (!todo_head && !stopping)
			pthread_cond_wait(&cond, &lock);
		if (stopping)
			break;
		j = todo_head;
		todo_head = j->next;
		if (!todo_head)
			todo_tail = NULL;
		pthread_mutex_unlock(&lock);

		j->work(j);

		pthread_mutex_lock(&lock);
		j->next = done_head;
		done_head = j;
		pthread_mutex_unlock(&lock);
		{
			uint64_t one = 1;
			ssize_t n = write(efd, &one, sizeof(one));

			(void)n; /* a full counter still wakes the loop */
		}
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Loop thread: run done() for every finished job, oldest first. */
static void on_event(struct loop_handler *h, uint32_t events)
{
	struct rjob *list, *rev = NULL, *j;
	uint64_t v;
	ssize_t n = read(efd, &v, sizeof(v));

	(void)h;
	(void)events;
	(void)n;
	pthread_mutex_lock(&lock);
	list = done_head;
	done_head = NULL;
	pthread_mutex_unlock(&lock);
	while (list) {
		j = list;
		list = j->next;
		j->next = rev;
		rev = j;
	}
	while (rev) {
		j = rev;
		rev = j->next;
		if (j->cancelled)
			j->release(j);
		else
			j->done(j);
	}
}

int resolver_start(int nthreads)
{
	pthread_attr_t attr;
	int i, rc;

	if (nthreads > RESOLVER_MAX_THREADS)
		nthreads = RESOLVER_MAX_THREADS;
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return -errno;
	rc = loop_add(&eh, efd, on_event, EPOLLIN);
	if (rc < 0)
		return rc;
	pthread_attr_init(&attr);
	/* getaddrinfo (NSS) and crypt need little stack; 256 KiB is ample. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < nthreads; i++) {
		rc = pthread_create(&threads[i], &attr, worker, NULL);
		if (rc) {
			pthread_attr_destroy(&attr);
			return -rc;
		}
		nthreads_running++;
	}
	pthread_attr_destroy(&attr);
	return 0;
}

void resolver_submit(struct rjob *j)
{
	j->next = NULL;
	pthread_mutex_lock(&lock);
	if (todo_tail)
		todo_tail->next = j;
	else
		todo_head = j;
	todo_tail = j;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

void resolver_stop(void)
{
	int i;

	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	/* A worker stuck in a slow DNS lookup must not delay exit. */
	for (i = 0; i < nthreads_running; i++)
		pthread_detach(threads[i]);
	nthreads_running = 0;
}
