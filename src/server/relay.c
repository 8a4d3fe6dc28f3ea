// SPDX-License-Identifier: MIT
/* TCP relay with copy and splice (see relay.h).  Loop thread only. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "server/relay.h"

#define RELAY_ROUNDS 16 /* per wake-up, for fairness */
#define PIPE_MIN (64 * 1024)

static uint8_t scratch[RELAY_SCRATCH];
static struct relay_pipe *pool_free;
static int pool_created;
static int pool_max = 256;
static int pool_size = 1024 * 1024;

void relay_pool_config(int max_pipes, int pipe_size)
{
	pool_max = max_pipes;
	pool_size = pipe_size;
	while (pool_created > pool_max && pool_free) {
		struct relay_pipe *p = pool_free;

		pool_free = p->next;
		close(p->r);
		close(p->w);
		free(p);
		pool_created--;
	}
}

int relay_pool_created(void)
{
	return pool_created;
}

static struct relay_pipe *pool_get(void)
{
	struct relay_pipe *p = pool_free;
	int fds[2], sz;

	if (p) {
		pool_free = p->next;
		return p;
	}
	if (pool_created >= pool_max)
		return NULL;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return NULL;
	/*
	 * Large pipes cut the relay's CPU cost 3-4x against small ones (notes
	 * C.1).  Over the per-user pipe budget the kernel refuses (EPERM) or
	 * hands out tiny pipes: then stop growing the pool and copy instead.
	 */
	fcntl(fds[0], F_SETPIPE_SZ, pool_size);
	sz = fcntl(fds[0], F_GETPIPE_SZ);
	if (sz < PIPE_MIN) {
		close(fds[0]);
		close(fds[1]);
		LOG_DBG("pipe budget exhausted at %d pipes: copying instead",
			pool_created);
		pool_max = pool_created;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	p->r = fds[0];
	p->w = fds[1];
	p->cap = (size_t)sz;
	pool_created++;
	return p;
}

static void pool_put(struct relay_pipe *p, bool dirty)
{
	if (dirty || pool_created > pool_max) {
		close(p->r);
		close(p->w);
		free(p);
		pool_created--;
		return;
	}
	p->next = pool_free;
	pool_free = p;
}

void relay_dir_init(struct relay_dir *d, int from, int to)
{
	memset(d, 0, sizeof(*d));
	d->from = from;
	d->to = to;
}

int relay_dir_queue(struct relay_dir *d, const uint8_t *p, size_t n)
{
	uint8_t *nb;

	if (!n)
		return 0;
	nb = realloc(d->buf, d->len + n);
	if (!nb)
		return -ENOMEM;
	memcpy(nb + d->len, p, n);
	d->buf = nb;
	d->len += (uint32_t)n;
	return 0;
}

/*
 * Reading continues while a spliced direction's pipe has room, so the
 * source keeps draining while the destination is busy.
 */
bool relay_dir_wants_read(const struct relay_dir *d)
{
	if (d->eof || d->len != d->off)
		return false;
	if (d->in_pipe)
		return !d->pipe_full && d->in_pipe < d->pipe->cap;
	return true;
}

bool relay_dir_wants_write(const struct relay_dir *d)
{
	return d->len > d->off || d->in_pipe > 0;
}

void relay_dir_release(struct relay_dir *d)
{
	if (d->pipe)
		pool_put(d->pipe, d->in_pipe > 0);
	d->pipe = NULL;
	d->in_pipe = 0;
	free(d->buf);
	d->buf = NULL;
	d->off = d->len = 0;
}

/* Write queued bytes.  1 = all gone, 0 = blocked, < 0 = fatal. */
static int flush(struct relay_dir *d)
{
	ssize_t n;

	while (d->off < d->len) {
		n = send(d->to, d->buf + d->off, d->len - d->off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN	? 0
			       : errno == EINTR ? 0
						: -errno;
		d->off += (uint32_t)n;
	}
	free(d->buf);
	d->buf = NULL;
	d->off = d->len = 0;
	while (d->in_pipe) {
		n = splice(d->pipe->r, NULL, d->to, NULL, d->in_pipe,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0)
			return errno == EAGAIN	? 0
			       : errno == EINTR ? 0
						: -errno;
		if (n > 0)
			d->pipe_full = false;
		d->in_pipe -= (size_t)n;
	}
	return 1;
}

/*
 * One read.  1 = moved data, 2 = moved all of it and the source is
 * drained, 0 = nothing there, < 0 = fatal.
 */
static int fill(struct relay_dir *d)
{
	ssize_t n, w;

	if (d->bytes >= RELAY_SPLICE_MIN &&
	    (d->pipe || (d->pipe = pool_get()))) {
		size_t room = d->pipe->cap - d->in_pipe;

		if (!room || d->pipe_full)
			return 0;
		n = splice(d->from, NULL, d->pipe->w, NULL, room,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0) {
			struct pollfd p = {.fd = d->from, .events = POLLIN};

			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			if (d->in_pipe == 0) {
				/* Idle: the pipe goes back for others. */
				pool_put(d->pipe, false);
				d->pipe = NULL;
				return 0;
			}
			/*
			 * EAGAIN with data in the pipe: either the source is
			 * empty or the pipe has no free slot.  If the source is
			 * readable (data or EOF), it is the pipe: stop reading
			 * until the next flush.
			 */
			if (poll(&p, 1, 0) == 1)
				d->pipe_full = true;
			return 0;
		}
		if (n == 0) {
			d->eof = true;
			return 1;
		}
		d->in_pipe += (size_t)n;
		d->bytes += (uint64_t)n;
		return 1;
	}
	n = recv(d->from, scratch, sizeof(scratch), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		d->eof = true;
		return 1;
	}
	d->bytes += (uint64_t)n;
	w = send(d->to, scratch, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		w = 0;
	}
	if (w < n) {
		int rc = relay_dir_queue(d, scratch + w, (size_t)(n - w));

		if (rc < 0)
			return rc;
		return 1;
	}
	/*
	 * A short read drained the socket: the level-triggered loop reports
	 * whatever comes next (one recv() fewer per interactive message).
	 * After EPOLLHUP the socket is no longer watched, so read on until
	 * EAGAIN or EOF: the FIN behind the data must be seen now.
	 */
	if ((size_t)n < sizeof(scratch) && !d->unwatched)
		return 2;
	return 1;
}

int relay_pump(struct relay_dir *d)
{
	int i, rc, frc;

	for (i = 0; i < RELAY_ROUNDS; i++) {
		rc = flush(d);
		if (rc < 0)
			return rc;
		if (d->eof) {
			if (rc == 1 && !d->done) {
				shutdown(d->to, SHUT_WR);
				d->done = true;
				if (d->pipe) {
					pool_put(d->pipe, false);
					d->pipe = NULL;
				}
			}
			return 0;
		}
		/* Blocked on output: read on only into a pipe with room. */
		if (rc == 0 && !relay_dir_wants_read(d))
			return 0;
		frc = fill(d);
		if (frc < 0)
			return frc;
		if (frc == 2)
			return 0; /* drained, and all of it written */
		if (frc == 0 && (rc == 0 || !relay_dir_wants_write(d)))
			return 0;
	}
	return 0;
}
