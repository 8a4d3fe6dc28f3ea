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
 *    (same fd, flags and options) to the proxy, marks the fd "slow" in the
 *    fd table and returns EINPROGRESS.  The handshake then runs on the
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
#include "preload/preload.h"
#include "preload/real.h"

static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static bool engine_running;
static int engine_ep = -1;
static int engine_wake = -1;
static struct fdt_entry *engine_list;  /* handshakes, one reference each */
static int64_t engine_wait_until = -1; /* the engine's next deadline */
static char engine_wake_tag;	       /* epoll data.ptr of the wake fd */

/* epoll interest for a client_want. */
static uint32_t engine_events(int want)
{
	return (want == CLIENT_WANT_READ ? EPOLLIN : EPOLLOUT) | EPOLLONESHOT;
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

/* One fdinfo line of epoll @epfd: hold back @c's registration if it is. */
static void engine_hold_line(struct conn *c, int epfd, const char *line)
{
	struct conn_reg *r;
	uint32_t events;
	uint64_t data;
	int tfd;

	if (!engine_parse_tfd(line, &tfd, &events, &data) || tfd != c->fd ||
	    c->nregs >= CONN_REGS_MAX)
		return;
	r = &c->regs[c->nregs++];
	r->epfd = epfd;
	r->ev.events = events;
	r->ev.data.u64 = data;
	(void)real.epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	LOG_TRACE("fd %d: holding back epoll %d registration", c->fd, epfd);
}

/*
 * Collect and delete the registrations of @fd in the program's epoll sets
 * (see rule 2 above).  Called with e->lock held, before the fd is
 * connected to the proxy.
 */
static void engine_hold_regs(struct conn *c)
{
	int maxfd = atomic_load(&fdt_maxfd);

	for (int epfd = 0; epfd <= maxfd; epfd++) {
		char path[64], buf[4096];
		int fd;
		ssize_t n;
		size_t len = 0;

		if ((fdt_peek(epfd) & FDT_KIND_MASK) != FDT_EPOLL)
			continue;
		engine_fdinfo_path(path, epfd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* One line per registration: parse as it streams in. */
		for (;;) {
			char *line = buf, *nl;

			n = real.read(fd, buf + len, sizeof(buf) - 1 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			buf[len] = '\0';
			while ((nl = strchr(line, '\n')) != NULL) {
				*nl = '\0';
				engine_hold_line(c, epfd, line);
				line = nl + 1;
			}
			len -= (size_t)(line - buf);
			memmove(buf, line, len);
			if (len == sizeof(buf) - 1)
				len = 0; /* an absurd line: drop it */
		}
		buf[len] = '\0';
		engine_hold_line(c, epfd, buf);
		real.close(fd);
	}
}

/* Contract: engine.h. */
int engine_record_ctl(struct conn *c, int epfd, int op,
		      const struct epoll_event *ev)
{
	int i;

	for (i = 0; i < c->nregs; i++)
		if (c->regs[i].epfd == epfd)
			break;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (i < c->nregs)
			return -EEXIST;
		if (!ev)
			return -EFAULT;
		if (c->nregs == CONN_REGS_MAX)
			return -ENOSPC;
		c->regs[c->nregs].epfd = epfd;
		c->regs[c->nregs].ev = *ev;
		c->nregs++;
		return 0;
	case EPOLL_CTL_MOD:
		if (i == c->nregs)
			return -ENOENT;
		if (!ev)
			return -EFAULT;
		c->regs[i].ev = *ev;
		return 0;
	case EPOLL_CTL_DEL:
		if (i == c->nregs)
			return -ENOENT;
		c->regs[i] = c->regs[--c->nregs];
		return 0;
	default:
		return -EINVAL;
	}
}

/* Give the held-back registrations back to the kernel. */
static void engine_restore_regs(struct conn *c)
{
	for (int i = 0; i < c->nregs; i++) {
		struct epoll_event ev = c->regs[i].ev;

		if (real.epoll_ctl(c->regs[i].epfd, EPOLL_CTL_ADD, c->fd, &ev) <
		    0)
			LOG_DBG("fd %d: epoll %d registration lost (errno %d)",
				c->fd, c->regs[i].epfd, errno);
	}
	c->nregs = 0;
}

/* Contract: engine.h. */
void engine_finish(struct fdt_entry *e, int rc)
{
	struct conn *c = &e->u.tcp;
	char text[SOCKS_ADDR_STRLEN];
	uint64_t one = 1;

	if (c->in_engine) {
		(void)real.epoll_ctl(engine_ep, EPOLL_CTL_DEL, c->fd, NULL);
		c->in_engine = false;
	}
	if (rc == 0 && c->nearly) {
		/* MSG_FASTOPEN data given to sendto() before the tunnel. */
		int wrc = io_write_all(c->fd, c->early, c->nearly,
				       io_now_ms() + c->cl.timeout_ms);

		if (wrc < 0)
			rc = wrc == -ETIMEDOUT ? -ETIMEDOUT : -ECONNRESET;
		free(c->early);
		c->early = NULL;
		c->nearly = 0;
	}
	if (rc == 0) {
		c->state = CONN_OK;
		fdt_set_byte(c->fd, FDT_TCP);
		LOG_INFO("fd %d: %s via %.64s: connected", c->fd,
			 socks_addr_format(&c->cl.dst, text, sizeof(text)),
			 client_proxy(&c->cl)->name);
	} else {
		client_disconnect(c->fd);
		c->state = CONN_FAILED;
		c->err = -rc;
		LOG_INFO("fd %d: %s via %.64s: failed (errno %d)", c->fd,
			 socks_addr_format(&c->cl.dst, text, sizeof(text)),
			 client_proxy(&c->cl)->name, -rc);
	}
	engine_restore_regs(c);
	if (c->evfd >= 0)
		(void)!real.write(c->evfd, &one, sizeof(one));
}

/* Process one readiness (@events, from epoll) or deadline (@timeout true)
 * of @e.  Returns true when @e left the handshake (drop it from the list). */
static bool engine_step(struct fdt_entry *e, bool timeout, uint32_t events)
{
	struct conn *c = &e->u.tcp;
	bool over = true;
	int rc;

	pthread_mutex_lock(&e->lock);
	if (c->state != CONN_HANDSHAKE || !conn_still_ours(e, c->fd))
		goto out;
	rc = timeout ? client_timeout(&c->cl, c->fd)
		     : client_step_ready(&c->cl, c->fd,
					 (short)(events & (EPOLLOUT | EPOLLERR |
							   EPOLLHUP)));
	if (rc > 0) {
		struct epoll_event ev = {.events = engine_events(rc),
					 .data.ptr = e};

		if (real.epoll_ctl(engine_ep, EPOLL_CTL_MOD, c->fd, &ev) == 0) {
			over = false;
			goto out;
		}
		rc = -errno;
	}
	engine_finish(e, rc);
out:
	pthread_mutex_unlock(&e->lock);
	return over;
}

/* Drop @e from the engine's list and its reference (engine_lock held). */
static void engine_unlink(struct fdt_entry *e)
{
	for (struct fdt_entry **pp = &engine_list; *pp;
	     pp = &(*pp)->u.tcp.next) {
		if (*pp == e) {
			*pp = e->u.tcp.next;
			e->u.tcp.next = NULL;
			fdt_put(e);
			return;
		}
	}
}

/*
 * Milliseconds until the nearest deadline (-1: none), which is noted in
 * engine_wait_until for engine_begin.  engine_lock held.
 */
static int engine_timeout(void)
{
	int64_t now = io_now_ms(), best = -1, until = -1;

	for (struct fdt_entry *e = engine_list; e; e = e->u.tcp.next) {
		int64_t d = e->u.tcp.cl.deadline - now;

		if (until < 0 || e->u.tcp.cl.deadline < until)
			until = e->u.tcp.cl.deadline;
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	engine_wait_until = until;
	return best > INT_MAX ? INT_MAX : (int)best;
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
		int n, timeout;

		pthread_mutex_lock(&engine_lock);
		timeout = engine_timeout();
		pthread_mutex_unlock(&engine_lock);

		n = real.epoll_wait(engine_ep, evs, 64, timeout);
		if (n < 0 && errno != EINTR) {
			LOG_ERR("engine epoll_wait failed: errno %d", errno);
			n = 0;
		}
		pthread_mutex_lock(&engine_lock);
		for (int i = 0; i < n; i++) {
			struct fdt_entry *e = evs[i].data.ptr;

			if (evs[i].data.ptr == &engine_wake_tag) {
				uint64_t v;

				(void)!real.read(engine_wake, &v, sizeof(v));
				continue;
			}
			if (engine_step(e, false, evs[i].events))
				engine_unlink(e);
		}
		/* Deadlines, and entries the program closed meanwhile. */
		int64_t now = io_now_ms();

		for (struct fdt_entry *e = engine_list, *next; e; e = next) {
			bool due;

			next = e->u.tcp.next;
			pthread_mutex_lock(&e->lock);
			due = e->u.tcp.state != CONN_HANDSHAKE ||
			      e->u.tcp.cl.deadline <= now;
			pthread_mutex_unlock(&e->lock);
			if (due && engine_step(e, true, 0))
				engine_unlink(e);
		}
		pthread_mutex_unlock(&engine_lock);
	}
	return NULL;
}

/* Start the thread (engine_lock held).  Returns 0 or -errno. */
static int engine_launch(void)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.ptr = &engine_wake_tag};
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	if (engine_running)
		return 0;
	if (engine_ep < 0) {
		engine_ep = real.epoll_create1(EPOLL_CLOEXEC);
		if (engine_ep < 0)
			return -errno;
		fdt_mark_internal_owned(engine_ep, &engine_ep);
	}
	if (engine_wake < 0) {
		engine_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (engine_wake < 0)
			return -errno;
		fdt_mark_internal_owned(engine_wake, &engine_wake);
		if (real.epoll_ctl(engine_ep, EPOLL_CTL_ADD, engine_wake, &ev) <
		    0)
			return -errno;
	}
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

/*
 * Start or take over the handshake of @e: @want 0 makes the first step
 * here (a new connection), else the handshake is waiting for @want.
 */
static int engine_begin(struct fdt_entry *e, int want)
{
	struct conn *c = &e->u.tcp;
	uint64_t one = 1;
	int rc;

	pthread_mutex_lock(&engine_lock);
	rc = engine_launch();
	if (rc < 0) {
		pthread_mutex_unlock(&engine_lock);
		LOG_ERR("cannot start the handshake engine (errno %d)", -rc);
		return rc;
	}
	pthread_mutex_lock(&e->lock);
	if (c->evfd < 0) {
		c->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c->evfd < 0) {
			rc = -errno;
			goto fail;
		}
		fdt_mark_internal_owned(c->evfd, &c->evfd);
	}
	engine_hold_regs(c);
	rc = want ? want : client_step(&c->cl, c->fd);
	if (rc <= 0) {
		/* Failed at once (or, unlikely, done): report directly. */
		engine_finish(e, rc);
		if (rc < 0)
			c->state = CONN_REPORTED;
		goto fail;
	}
	struct epoll_event ev = {.events = engine_events(rc), .data.ptr = e};

	if (real.epoll_ctl(engine_ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		rc = -errno;
		if (!want) {
			engine_finish(e, rc);
			c->state = CONN_REPORTED;
		}
		goto fail;
	}
	c->in_engine = true;
	fdt_ref(e);
	c->next = engine_list;
	engine_list = e;
	/*
	 * The engine sleeps (or is about to) until engine_wait_until at
	 * most, or works and will look at the list again: only a nearer
	 * deadline than that, or an engine sleeping without one, needs a
	 * wake-up.  Readiness of the new socket wakes it through epoll.
	 */
	if (engine_wait_until < 0 || c->cl.deadline < engine_wait_until)
		(void)!real.write(engine_wake, &one, sizeof(one));
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&engine_lock);
	return 0;
fail:
	pthread_mutex_unlock(&e->lock);
	pthread_mutex_unlock(&engine_lock);
	return rc;
}

/* Contract: engine.h. */
int engine_start(struct fdt_entry *e)
{
	return engine_begin(e, 0);
}

/* Contract: engine.h. */
int engine_adopt(struct fdt_entry *e, int want)
{
	return engine_begin(e, want);
}

void engine_fd_del(int fd)
{
	if (engine_ep >= 0)
		(void)real.epoll_ctl(engine_ep, EPOLL_CTL_DEL, fd, NULL);
}

void engine_kick(void)
{
	uint64_t one = 1;
	int saved = errno;

	if (engine_wake >= 0)
		(void)!real.write(engine_wake, &one, sizeof(one));
	errno = saved;
}

/* Contract: engine.h. */
void engine_forget_epoll(int epfd)
{
	pthread_mutex_lock(&engine_lock);
	for (struct fdt_entry *e = engine_list; e; e = e->u.tcp.next) {
		struct conn *c = &e->u.tcp;

		pthread_mutex_lock(&e->lock);
		for (int i = 0; i < c->nregs;)
			if (c->regs[i].epfd == epfd)
				c->regs[i] = c->regs[--c->nregs];
			else
				i++;
		pthread_mutex_unlock(&e->lock);
	}
	pthread_mutex_unlock(&engine_lock);
}

/* Contract: engine.h. */
void engine_wait(struct fdt_entry *e)
{
	pthread_mutex_lock(&e->lock);
	while (e->u.tcp.state == CONN_HANDSHAKE) {
		struct pollfd pfd = {.fd = e->u.tcp.evfd, .events = POLLIN};

		pthread_mutex_unlock(&e->lock);
		(void)real.poll(&pfd, 1, 100);
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
}

void engine_atfork_prepare(void)
{
	pthread_mutex_lock(&engine_lock);
}

void engine_atfork_parent(void)
{
	pthread_mutex_unlock(&engine_lock);
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
		if (engine_ep >= 0) {
			fdt_unmark_internal(engine_ep);
			real.close(engine_ep);
		}
		if (engine_wake >= 0) {
			fdt_unmark_internal(engine_wake);
			real.close(engine_wake);
		}
		engine_ep = engine_wake = -1;
	}
	engine_running = false;
	engine_wait_until = -1;
	while (engine_list) {
		struct fdt_entry *e = engine_list;

		engine_list = e->u.tcp.next;
		e->u.tcp.next = NULL;
		e->u.tcp.in_engine = false;
		/* The parent's engine owns this handshake; here the socket
		 * must not be used (nor disconnected: it is shared). */
		e->u.tcp.state = CONN_FAILED;
		e->u.tcp.err = ECONNRESET;
		fdt_put(e);
	}
	pthread_mutex_unlock(&engine_lock);
}
