// SPDX-License-Identifier: MIT
/*
 * Non-blocking connect through a proxy: the design.
 *
 * A program that connect()s an O_NONBLOCK socket expects -1 EINPROGRESS at
 * once, and later a writable socket whose SO_ERROR tells the outcome.  With
 * a proxy in between, "connected" means "the SOCKS reply said success", so
 * the socket must not look writable (nor readable) to the program before
 * that, whatever it waits with, and no byte of the program may reach the
 * proxy before the tunnel is up.  Rules:
 *
 * 1. connect() routes the destination, connects the program's own socket
 *    (same fd, flags and options) to the proxy, marks the fd FDT_F_SUBST |
 *    FDT_F_INTERCEPT in the fd table and returns EINPROGRESS.  The handshake then runs on the
 *    engine thread, a lazily started thread with its own epoll, through
 *    the non-blocking state machine of client.c (deadline = the config's
 *    timeout per proxy).  The program's thread never waits for the proxy.
 *
 * 2. epoll: while in handshake the fd is in no epoll set of the program.
 *    Registrations made before connect() are found by reading
 *    /proc/self/fdinfo/<epfd> ("tfd: N events: X data: Y") of every epoll
 *    fd the program created (tracked by the epoll_create* and epoll_ctl
 *    hooks), then deleted; epoll_ctl() calls on the fd during the handshake
 *    are recorded, not applied.  At completion the registrations are added
 *    back with real epoll_ctl(ADD): the kernel reports the ready socket to
 *    level- and edge-triggered sets alike, and wakes threads already
 *    sleeping in epoll_wait.  Nothing is injected, nothing is lost.
 *
 * 3. poll/ppoll/select/pselect: the hooks scan the program's set once; an
 *    fd in handshake is replaced for the kernel by its connection's
 *    eventfd (an internal fd), which the engine signals at completion; the
 *    hook then polls again for the socket's real state within the
 *    program's timeout.  Sets without such fds go straight to libc.
 *
 * 4. Completion: success -> registrations restored, fd leaves the slow
 *    path, eventfd signalled.  Failure -> the socket is disconnected
 *    (connect AF_UNSPEC: it then polls POLLOUT|POLLHUP, and may even be
 *    connected again), registrations restored, eventfd signalled, and the
 *    mapped errno is reported once: by getsockopt(SO_ERROR), or by the next
 *    connect/read/write on it, whichever comes first.
 *
 * 5. While in handshake, read/write/send/recv on the fd fail with EAGAIN
 *    (the socket is non-blocking); a second connect() fails with EALREADY.
 *
 * 6. fork: the engine thread does not survive in a child; it is recreated
 *    on demand there.  Handshakes in flight at fork time are finished by
 *    the parent's engine.
 *
 * 7. Generic jobs: the engine drives a struct eng_job (client, fd,
 *    deadline, completion callback) embedded in any kind's payload; the
 *    kind (kind_tcp.c for CONNECT) decides what "done" means for its fd.
 *
 * 8. Locks: engine_lock, then an entry's lock (fdtable.h).  The program's
 *    epoll sets are read from /proc before either is taken.  If the
 *    engine's epoll fd disappears behind the library's back (a raw
 *    close_range system call), the engine builds a new one instead of
 *    spinning on EBADF.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "preload/engine.h"
#include "preload/kind_internal.h"
#include "preload/preload.h"
#include "preload/real.h"

static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static bool engine_running;
/* Read without the lock by engine_abandon/engine_kick: atomic. */
static atomic_int engine_ep = -1;
static atomic_int engine_wake = -1;
/* Where kint_evict moves them (owner pointers need plain ints). */
static int engine_ep_num = -1, engine_wake_num = -1;
static struct eng_job *engine_list;    /* handshakes, one entry ref each */
static int64_t engine_wait_until = -1; /* the engine's next deadline */
/*
 * The engine's epoll registrations carry a job's id, never its address:
 * a registration outlives the fd number when the socket is still open
 * elsewhere (a dup, a fork child), and may fire after the job is gone.
 * An id is looked up in engine_list; an unknown one is ignored.
 */
#define ENGINE_WAKE_ID 0
static uint64_t engine_next_id = 1;

/*
 * The socket @j's handshake runs on: j->sock (the program's fd, or a
 * socket of the kind's own), or, for a job on an internal fd, j->fd, which
 * kint_evict() keeps current when the program dup2()s onto its number.
 */
static int engine_sock(const struct eng_job *j)
{
	return j->internal_fd ? j->fd : j->sock;
}

/* epoll interest for a client_want. */
static uint32_t engine_events(int want)
{
	return (want == CLIENT_WANT_READ ? EPOLLIN : EPOLLOUT) | EPOLLONESHOT;
}

/* Contract: engine.h. */
void engine_job_init(struct eng_job *j, struct fdt_entry *e, int fd,
		     struct client *cl, int (*done)(struct eng_job *, int))
{
	memset(j, 0, sizeof(*j));
	j->e = e;
	j->fd = fd;
	j->sock = fd;
	j->cl = cl;
	j->done = done;
	j->evfd = -1;
}

/*
 * Parse one line of an epoll fdinfo: "tfd: N events: X data: Y ..." (N
 * decimal, X and Y hex).  Returns true and fills the fields on a match.
 */
static bool engine_parse_tfd(const char *line, int *tfd, uint32_t *events,
			     uint64_t *data)
{
	static const char *const keys[] = {"tfd:", "events:", "data:"};
	uint64_t v[3];

	for (int k = 0; k < 3; k++) {
		size_t kl = strlen(keys[k]);
		int base = k == 0 ? 10 : 16, digits = 0;

		while (*line == ' ' || *line == '\t')
			line++;
		if (strncmp(line, keys[k], kl) != 0)
			return false;
		line += kl;
		while (*line == ' ' || *line == '\t')
			line++;
		v[k] = 0;
		for (;; line++, digits++) {
			int d;

			if (*line >= '0' && *line <= '9')
				d = *line - '0';
			else if (base == 16 && *line >= 'a' && *line <= 'f')
				d = *line - 'a' + 10;
			else if (base == 16 && *line >= 'A' && *line <= 'F')
				d = *line - 'A' + 10;
			else
				break;
			v[k] = v[k] * (uint64_t)base + (uint64_t)d;
		}
		if (!digits)
			return false;
	}
	if (v[0] > INT_MAX || v[1] > UINT32_MAX)
		return false;
	*tfd = (int)v[0];
	*events = (uint32_t)v[1];
	*data = v[2];
	return true;
}

/* "/proc/self/fdinfo/<fd>" into @buf. */
static void engine_fdinfo_path(char *buf, int fd)
{
	static const char prefix[] = "/proc/self/fdinfo/";
	char digits[16];
	int n = 0;

	memcpy(buf, prefix, sizeof(prefix) - 1);
	buf += sizeof(prefix) - 1;
	do {
		digits[n++] = (char)('0' + fd % 10);
		fd /= 10;
	} while (fd > 0);
	while (n > 0)
		*buf++ = digits[--n];
	*buf = '\0';
}

/* Held-back registrations collected before the locks are taken. */
struct engine_held {
	struct eng_reg regs[ENG_REGS_MAX];
	int n;
};

/* One fdinfo line of epoll @epfd: hold back @fd's registration if it is. */
static void engine_hold_line(struct engine_held *h, int fd, int epfd,
			     const char *line)
{
	struct eng_reg *r;
	uint32_t events;
	uint64_t data;
	int tfd;

	if (!engine_parse_tfd(line, &tfd, &events, &data) || tfd != fd ||
	    h->n >= ENG_REGS_MAX)
		return;
	r = &h->regs[h->n++];
	r->epfd = epfd;
	r->ev.events = events;
	r->ev.data.u64 = data;
	(void)real.epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	LOG_TRACE("fd %d: holding back epoll %d registration", fd, epfd);
}

/*
 * Collect and delete the registrations of @fd in the program's epoll sets
 * (see rule 2 above) into @h.  Called without locks (it reads /proc),
 * before the fd is connected to the proxy; the fd already has
 * FDT_F_SUBST, so epoll_ctl calls the program makes meanwhile are
 * recorded by the hook instead.
 */
static void engine_hold_regs(struct engine_held *h, int fd)
{
	int maxfd = atomic_load(&fdt_maxfd);

	h->n = 0;
	for (int epfd = 0; epfd <= maxfd; epfd++) {
		char path[64], buf[4096];
		int pfd;
		ssize_t n;
		size_t len = 0;

		if (fdt_kind_of(epfd) != FDT_EPOLL)
			continue;
		engine_fdinfo_path(path, epfd);
		pfd = open(path, O_RDONLY | O_CLOEXEC);
		if (pfd < 0)
			continue;
		/* One line per registration: parse as it streams in. */
		for (;;) {
			char *line = buf, *nl;

			n = real.read(pfd, buf + len, sizeof(buf) - 1 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			buf[len] = '\0';
			while ((nl = strchr(line, '\n')) != NULL) {
				*nl = '\0';
				engine_hold_line(h, fd, epfd, line);
				line = nl + 1;
			}
			len -= (size_t)(line - buf);
			memmove(buf, line, len);
			if (len == sizeof(buf) - 1)
				len = 0; /* an absurd line: drop it */
		}
		buf[len] = '\0';
		engine_hold_line(h, fd, epfd, buf);
		real.close(pfd);
	}
}

/* Contract: engine.h. */
int engine_record_ctl(struct eng_job *j, int epfd, int op,
		      const struct epoll_event *ev)
{
	int i;

	for (i = 0; i < j->nregs; i++)
		if (j->regs[i].epfd == epfd)
			break;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (i < j->nregs)
			return -EEXIST;
		if (!ev)
			return -EFAULT;
		if (j->nregs == ENG_REGS_MAX)
			return -ENOSPC;
		j->regs[j->nregs].epfd = epfd;
		j->regs[j->nregs].ev = *ev;
		j->nregs++;
		return 0;
	case EPOLL_CTL_MOD:
		if (i == j->nregs)
			return -ENOENT;
		if (!ev)
			return -EFAULT;
		j->regs[i].ev = *ev;
		return 0;
	case EPOLL_CTL_DEL:
		if (i == j->nregs)
			return -ENOENT;
		j->regs[i] = j->regs[--j->nregs];
		return 0;
	default:
		return -EINVAL;
	}
}

/* Give the held-back registrations back to the kernel. */
static void engine_restore_regs(struct eng_job *j)
{
	for (int i = 0; i < j->nregs && j->fd >= 0; i++) {
		struct epoll_event ev = j->regs[i].ev;

		if (real.epoll_ctl(j->regs[i].epfd, EPOLL_CTL_ADD, j->fd, &ev) <
		    0)
			LOG_DBG("fd %d: epoll %d registration lost (errno %d)",
				j->fd, j->regs[i].epfd, errno);
	}
	j->nregs = 0;
}

/* Take @j's socket out of the engine's epoll (e->lock held). */
static void engine_unwatch(struct eng_job *j)
{
	if (j->in_engine) {
		int ep = atomic_load(&engine_ep);

		if (ep >= 0 && engine_sock(j) >= 0)
			(void)real.epoll_ctl(ep, EPOLL_CTL_DEL, engine_sock(j),
					     NULL);
		j->in_engine = false;
	}
}

/* Contract: engine.h. */
int engine_finish(struct eng_job *j, int rc)
{
	uint64_t one = 1;

	engine_unwatch(j);
	j->active = false;
	rc = j->done(j, rc);
	engine_restore_regs(j);
	if (j->evfd >= 0)
		(void)!real.write(j->evfd, &one, sizeof(one));
	return rc;
}

/* Contract: engine.h. */
void engine_abandon(struct eng_job *j)
{
	uint64_t one = 1;
	int wake = atomic_load(&engine_wake);

	engine_unwatch(j);
	j->active = false;
	if (j->sock == j->fd)
		j->sock = -1;
	j->fd = -1;
	j->nregs = 0;
	/* Let the engine drop the job (and its eventfd) now rather than at
	 * its deadline. */
	if (wake >= 0)
		(void)!real.write(wake, &one, sizeof(one));
}

/* Process one readiness (@events, from epoll) or deadline (@timeout true)
 * of @j.  Returns true when @j left the handshake (drop it from the list). */
static bool engine_step(struct eng_job *j, bool timeout, uint32_t events)
{
	bool over = true;
	int rc;

	fdt_lock(j->e);
	if (!j->active || j->fd < 0 ||
	    (!j->internal_fd && !fdt_still_ours(j->e, j->fd)) || !j->active)
		goto out;
	rc = timeout ? client_timeout(j->cl, engine_sock(j))
		     : client_step_ready(j->cl, engine_sock(j),
					 (short)(events & (EPOLLOUT | EPOLLERR |
							   EPOLLHUP)));
	if (rc > 0) {
		struct epoll_event ev = {.events = engine_events(rc),
					 .data.u64 = j->id};

		if (real.epoll_ctl(atomic_load(&engine_ep), EPOLL_CTL_MOD,
				   engine_sock(j), &ev) == 0) {
			over = false;
			goto out;
		}
		rc = -errno;
	}
	(void)engine_finish(j, rc);
out:
	fdt_unlock(j->e);
	return over;
}

/* Drop @j from the engine's list and its reference (engine_lock held). */
static void engine_unlink(struct eng_job *j)
{
	for (struct eng_job **pp = &engine_list; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			j->next = NULL;
			fdt_put(j->e);
			return;
		}
	}
}

/* The job with @id in the engine's list, or NULL (engine_lock held). */
static struct eng_job *engine_find(uint64_t id)
{
	for (struct eng_job *j = engine_list; j; j = j->next)
		if (j->id == id)
			return j;
	return NULL;
}

/*
 * Milliseconds until the nearest deadline (-1: none), which is noted in
 * engine_wait_until for engine_begin.  engine_lock held.
 */
static int engine_timeout(void)
{
	int64_t now = io_now_ms(), best = -1, until = -1;

	for (struct eng_job *j = engine_list; j; j = j->next) {
		int64_t d = j->cl->deadline - now;

		if (until < 0 || j->cl->deadline < until)
			until = j->cl->deadline;
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	engine_wait_until = until;
	return best > INT_MAX ? INT_MAX : (int)best;
}

/* Create the engine's epoll and wake fds where missing (engine_lock
 * held).  Returns 0 or -errno. */
static int engine_make_fds(void)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ENGINE_WAKE_ID};
	int fd;

	if (engine_ep_num < 0) {
		fd = real.epoll_create1(EPOLL_CLOEXEC);
		if (fd < 0)
			return -errno;
		kint_adopt(fd, &engine_ep_num, &engine_lock);
		atomic_store(&engine_ep, engine_ep_num);
		if (engine_wake_num >= 0 &&
		    real.epoll_ctl(engine_ep_num, EPOLL_CTL_ADD,
				   engine_wake_num, &ev) < 0)
			return -errno;
	}
	if (engine_wake_num < 0) {
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			return -errno;
		kint_adopt(fd, &engine_wake_num, &engine_lock);
		atomic_store(&engine_wake, engine_wake_num);
		if (real.epoll_ctl(engine_ep_num, EPOLL_CTL_ADD,
				   engine_wake_num, &ev) < 0)
			return -errno;
	}
	return 0;
}

/*
 * The engine's epoll fd is gone (EBADF/EINVAL: closed by a raw system
 * call, or its number now names something else).  Build a new one and
 * register every handshake again (engine_lock held).
 */
static void engine_rebuild(void)
{
	LOG_WARN("the handshake engine's epoll descriptor was closed behind "
		 "its back; making a new one");
	/* The old number is not closed: it may be another fd's by now. */
	kint_unmark_owned(engine_ep_num, &engine_ep_num);
	engine_ep_num = -1;
	atomic_store(&engine_ep, -1);
	if (engine_make_fds() < 0) {
		LOG_ERR("cannot make a new engine epoll (errno %d)", errno);
		return;
	}
	for (struct eng_job *j = engine_list; j; j = j->next) {
		fdt_lock(j->e);
		if (j->in_engine && engine_sock(j) >= 0) {
			struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT |
							   EPOLLONESHOT,
						 .data.u64 = j->id};

			if (real.epoll_ctl(engine_ep_num, EPOLL_CTL_ADD,
					   engine_sock(j), &ev) < 0)
				j->in_engine = false; /* its deadline ends it */
		}
		fdt_unlock(j->e);
	}
}

/*
 * The engine thread: waits on its epoll for the sockets in handshake (one
 * EPOLLONESHOT registration each, re-armed for what the state machine
 * wants next) and for the wake eventfd, until the nearest deadline; steps
 * every ready handshake, then every one past its deadline or abandoned by
 * the program.  All signals are blocked here; the re-entry guard is set
 * for good, so libc calls made here never reach a hook's logic.
 */
static void *engine_main(void *arg)
{
	struct epoll_event evs[64];

	(void)arg;
	socksify_guard++; /* libc calls made here are never the program's */
	for (;;) {
		int n, timeout, ep;

		fdt_mutex_lock(&engine_lock);
		timeout = engine_timeout();
		ep = engine_ep_num;
		fdt_mutex_unlock(&engine_lock);

		n = real.epoll_wait(ep, evs, 64, timeout);
		if (n < 0 && errno != EINTR) {
			int err = errno;

			fdt_mutex_lock(&engine_lock);
			if ((err == EBADF || err == EINVAL) &&
			    ep == engine_ep_num)
				engine_rebuild();
			else if (err != EBADF && err != EINVAL)
				LOG_ERR("engine epoll_wait failed: errno %d",
					err);
			fdt_mutex_unlock(&engine_lock);
			n = 0;
		}
		fdt_mutex_lock(&engine_lock);
		for (int i = 0; i < n; i++) {
			struct eng_job *j;

			if (evs[i].data.u64 == ENGINE_WAKE_ID) {
				uint64_t v;

				(void)!real.read(engine_wake_num, &v,
						 sizeof(v));
				continue;
			}
			j = engine_find(evs[i].data.u64);
			if (j && engine_step(j, false, evs[i].events))
				engine_unlink(j);
		}
		/* Deadlines, and jobs the program abandoned meanwhile. */
		int64_t now = io_now_ms();

		for (struct eng_job *j = engine_list, *next; j; j = next) {
			bool due;

			next = j->next;
			fdt_lock(j->e);
			due = !j->active || j->cl->deadline <= now;
			fdt_unlock(j->e);
			if (due && engine_step(j, true, 0))
				engine_unlink(j);
		}
		fdt_mutex_unlock(&engine_lock);
	}
	return NULL;
}

/* Start the thread (engine_lock held).  Returns 0 or -errno. */
static int engine_launch(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (engine_running)
		return 0;
	rc = engine_make_fds();
	if (rc < 0)
		return rc;
	/* The thread must never take the program's signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&tid, &attr, engine_main, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return -rc;
	engine_running = true;
	return 0;
}

/* Give @j its stand-in fd for poll/select if it has none (e->lock held):
 * an eventfd, internal and placed high.  Returns 0 or -errno. */
static int engine_make_evfd(struct eng_job *j)
{
	int fd;

	if (j->evfd >= 0)
		return 0;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	kint_adopt(fd, &j->evfd, &j->e->lock);
	return 0;
}

/* Add @h's registrations to @j's (e->lock held): the program's epoll_ctl
 * calls recorded meanwhile win. */
static void engine_merge_regs(struct eng_job *j, const struct engine_held *h)
{
	for (int i = 0; i < h->n; i++) {
		int k;

		for (k = 0; k < j->nregs; k++)
			if (j->regs[k].epfd == h->regs[i].epfd)
				break;
		if (k == j->nregs && j->nregs < ENG_REGS_MAX)
			j->regs[j->nregs++] = h->regs[i];
	}
}

/*
 * Start or take over the handshake of @j: @want 0 makes the first step
 * here (a new connection), else the handshake is waiting for @want.
 */
static int engine_begin(struct eng_job *j, int want)
{
	struct engine_held held;
	uint64_t one = 1;
	bool own_fd;
	int rc, fd;

	/* The fd as the entry knows it (the program may close it meanwhile:
	 * then the job is abandoned, checked below under the lock).  A job
	 * on a socket of the kind's own, or on an internal fd, holds no
	 * registration of the program's. */
	fdt_lock(j->e);
	fd = j->fd;
	own_fd = !j->internal_fd && j->sock == fd;
	fdt_unlock(j->e);
	held.n = 0;
	if (own_fd)
		engine_hold_regs(&held, fd);
	fdt_mutex_lock(&engine_lock);
	rc = engine_launch();
	if (rc < 0) {
		fdt_mutex_unlock(&engine_lock);
		LOG_ERR("cannot start the handshake engine (errno %d)", -rc);
		fdt_lock(j->e);
		j->active = true;
		engine_merge_regs(j, &held);
		rc = engine_finish(j, rc);
		fdt_unlock(j->e);
		return rc;
	}
	fdt_lock(j->e);
	if (j->fd < 0) { /* closed by another thread: nothing to start */
		rc = -EBADF;
		goto out;
	}
	j->active = true;
	engine_merge_regs(j, &held);
	rc = engine_make_evfd(j);
	if (rc < 0) {
		rc = engine_finish(j, rc);
		goto out;
	}
	rc = want ? want : client_step(j->cl, engine_sock(j));
	if (rc <= 0) {
		/* Failed at once (or, unlikely, done): report directly. */
		rc = engine_finish(j, rc);
		goto out;
	}
	struct epoll_event ev = {.events = engine_events(rc),
				 .data.u64 = j->id = engine_next_id++};

	if (real.epoll_ctl(engine_ep_num, EPOLL_CTL_ADD, engine_sock(j), &ev) <
		    0 &&
	    ((errno != EBADF && errno != EINVAL) ||
	     (engine_rebuild(), engine_ep_num < 0) ||
	     real.epoll_ctl(engine_ep_num, EPOLL_CTL_ADD, engine_sock(j), &ev) <
		     0)) {
		/* EBADF/EINVAL: our epoll was closed behind our back (its
		 * number may name another fd by now); rebuilt once. */
		rc = engine_finish(j, -errno);
		goto out;
	}
	j->in_engine = true;
	fdt_ref(j->e);
	j->next = engine_list;
	engine_list = j;
	/*
	 * The engine sleeps (or is about to) until engine_wait_until at
	 * most, or works and will look at the list again: only a nearer
	 * deadline than that, or an engine sleeping without one, needs a
	 * wake-up.  Readiness of the new socket wakes it through epoll.
	 */
	if (engine_wait_until < 0 || j->cl->deadline < engine_wait_until)
		(void)!real.write(engine_wake_num, &one, sizeof(one));
	rc = 0;
out:
	fdt_unlock(j->e);
	fdt_mutex_unlock(&engine_lock);
	return rc;
}

/* Contract: engine.h. */
void engine_take_regs(struct eng_job *j)
{
	struct engine_held held;

	engine_hold_regs(&held, j->fd);
	engine_merge_regs(j, &held);
}

/* Contract: engine.h. */
void engine_give_regs(struct eng_job *j)
{
	engine_restore_regs(j);
}

/* Contract: engine.h. */
int engine_park(struct eng_job *j)
{
	struct engine_held held;
	int rc, fd;

	fdt_lock(j->e);
	fd = j->fd;
	fdt_unlock(j->e);
	engine_hold_regs(&held, fd);
	fdt_lock(j->e);
	if (j->fd < 0) { /* closed by another thread meanwhile */
		fdt_unlock(j->e);
		return -EBADF;
	}
	j->active = true;
	engine_merge_regs(j, &held);
	rc = engine_make_evfd(j);
	if (rc < 0) {
		j->active = false;
		engine_restore_regs(j);
	}
	fdt_unlock(j->e);
	return rc;
}

/* Contract: engine.h. */
int engine_start(struct eng_job *j)
{
	return engine_begin(j, 0);
}

/* Contract: engine.h. */
int engine_adopt(struct eng_job *j, int want)
{
	return engine_begin(j, want);
}

/* Contract: engine.h. */
void engine_forget_epoll(int epfd)
{
	fdt_mutex_lock(&engine_lock);
	for (struct eng_job *j = engine_list; j; j = j->next) {
		fdt_lock(j->e);
		for (int i = 0; i < j->nregs;)
			if (j->regs[i].epfd == epfd)
				j->regs[i] = j->regs[--j->nregs];
			else
				i++;
		fdt_unlock(j->e);
	}
	fdt_mutex_unlock(&engine_lock);
}

/* Contract: engine.h. */
void engine_wait(struct eng_job *j)
{
	while (j->active) {
		struct pollfd pfd = {.fd = j->evfd, .events = POLLIN};

		fdt_unlock(j->e);
		(void)real.poll(&pfd, 1, 100);
		fdt_lock(j->e);
	}
}

/* Contract: engine.h. */
int engine_epoll_take(int fd, struct eng_reg *regs)
{
	struct engine_held held;

	engine_hold_regs(&held, fd);
	memcpy(regs, held.regs, (size_t)held.n * sizeof(*regs));
	return held.n;
}

/* Contract: engine.h. */
void engine_epoll_give(int fd, const struct eng_reg *regs, int n)
{
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = regs[i].ev;

		if (real.epoll_ctl(regs[i].epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			LOG_DBG("fd %d: epoll %d registration lost (errno %d)",
				fd, regs[i].epfd, errno);
	}
}

int engine_epoll_fd(void)
{
	return atomic_load(&engine_ep);
}

void engine_atfork_prepare(void)
{
	fdt_mutex_lock(&engine_lock);
}

void engine_atfork_parent(void)
{
	fdt_mutex_unlock(&engine_lock);
}

void engine_atfork_child(void)
{
	/*
	 * engine_lock is held by this thread (prepare handler) until the
	 * end.  No engine thread exists here.  The epoll instance is shared
	 * with the parent: drop our reference and start a fresh one on
	 * demand; the parent's engine finishes the handshakes in flight.
	 */
	if (engine_running) {
		if (engine_ep_num >= 0) {
			kint_unmark(engine_ep_num);
			real.close(engine_ep_num);
		}
		if (engine_wake_num >= 0) {
			kint_unmark(engine_wake_num);
			real.close(engine_wake_num);
		}
		engine_ep_num = engine_wake_num = -1;
		atomic_store(&engine_ep, -1);
		atomic_store(&engine_wake, -1);
	}
	engine_running = false;
	engine_wait_until = -1;
	while (engine_list) {
		struct eng_job *j = engine_list;

		engine_list = j->next;
		j->next = NULL;
		j->in_engine = false;
		/* The parent's engine owns this handshake; here the socket
		 * must not be used (nor disconnected: it is shared). */
		j->active = false;
		j->orphaned = true;
		(void)j->done(j, -ECONNRESET);
		fdt_put(j->e);
	}
	fdt_mutex_unlock(&engine_lock);
}
