/* SPDX-License-Identifier: MIT */
/*
 * stress: a multi-threaded program that does at once what real programs do
 * to their fds, for the library's thread- and fork-safety (issue 8).
 *
 *   stress [-t THREADS] [-d SECONDS] [-n ITERATIONS] [-s SEED] [-w SECONDS]
 *          [-q] HOST PORT
 *
 *   -t N   worker threads (default 32)
 *   -d S   run for S seconds (default 3; fractions allowed)
 *   -n N   at most N operations per thread (default: no cap)
 *   -s N   seed of the random choices (default: from the clock; printed)
 *   -w S   watchdog: fail when the run has not ended after S seconds
 *          (default: the duration + 60)
 *   -q     only the last line
 *
 * HOST PORT is a TCP echo server reached through the proxy (the library's
 * config routes it there).  Each thread picks at random, seeded:
 *   - connect + echo: blocking, or non-blocking and waited for with poll
 *     or epoll (registered before or after connect, level or edge), a
 *     short echo exchange, getpeername() == HOST:PORT; the socket is then
 *     closed or kept ("held") for the operations below;
 *   - close of one of its held fds;
 *   - dup2/dup3 of a held socket onto another of its numbers, onto a
 *     scratch number high up (nobody's), or, with -F, onto a number another
 *     thread uses right now (a program bug; see "disturbed" below);
 *   - close_range over the high scratch range;
 *   - fork(): the child closes one held fd, dup2s another, does a blocking
 *     connect + echo and _exit()s; the parent reaps it with a bounded wait;
 *   - vfork() + _exit();
 *   - epoll_create1 + epoll_ctl + close.
 *
 * Verification: every echo returns exactly the bytes sent, getpeername()
 * on a tunnelled socket is the destination, and no call fails.  A thread
 * whose fd may have been replaced under it by another thread's dup2 (the
 * number's generation, moved before every such dup2, changed during the
 * operation, or the fd is no longer the socket it created: inode) counts
 * the operation as disturbed instead of failing, and stops waiting on it.
 * With -F no result is judged once a foreign dup2 has happened: a thread
 * whose number was taken keeps using it (and may close it under another
 * thread that got it since), and a number can change hands between a
 * thread's socket() and its first look at it, which no per-number check
 * sees.  That run checks memory safety, hangs and (under TSan) races; the
 * default run, without -F, checks every result.
 * Data calls use MSG_DONTWAIT and bounded polls, so that a replaced socket
 * whose echo another thread reads cannot block a thread for ever.  Exit 0 when nothing failed; 1 on a failure (the
 * first is printed with the operation, thread and seed); 3 on a hang (the
 * watchdog thread, backed by alarm(2), names each thread's operation).
 * The last line is
 *   stress: OK seed=S ops=N tunnels=T disturbed=D forks=F vforks=V ...
 * where tunnels counts the verified echoes through the proxy (the test
 * compares it with the proxy's session log).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper_io.h"

#define THREADS_MAX 256
#define HELD_MAX 4	    /* fds a thread keeps between operations */
#define IO_TIMEOUT_MS 10000 /* bound on each wait for the proxy or echo */
#define IO_SLICE_MS 100	    /* waits look for a disturbance this often */
#define SLOW_OP_MS 2000	    /* an operation this slow is reported */
/* A fork child's bounded waits (connect: the config's timeout, 5 s in the
 * tests; echo: IO_TIMEOUT_MS) end well within this; its alarm(2) later. */
#define CHILD_TIMEOUT_MS 20000
#define SCRATCH_N 64 /* high numbers nobody owns: dup2, close_range */
#define REG_MAX 4096 /* fd numbers the registry follows */

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

enum verdict { V_OK, V_DISTURBED, V_FAIL };

struct held {
	int fd;
	ino_t ino;
};

/* An fd a thread is using, as it was when the operation began. */
struct watch {
	int fd;
	ino_t ino;
	unsigned long gen;
};

/* Foreign dup2s made so far (with -F), by every thread. */
static atomic_ulong foreign_total;

struct worker {
	int id;
	pthread_t tid;
	uint64_t rng;
	struct held held[HELD_MAX];
	int nheld;
	struct watch watch[2]; /* the fds of the current operation */
	int nwatch;
	_Atomic(const char *) op; /* for the watchdog's report */
	unsigned long ops, tunnels, disturbed, forks, vforks, dups, foreign;
};

static struct {
	int threads;
	double duration;
	unsigned long iter_cap;
	uint64_t seed;
	double watchdog;
	bool quiet;
	bool foreign; /* -F: dup2 onto other threads' numbers too */
} opt = {.threads = 32, .duration = 3.0, .iter_cap = ~0UL};

static struct sockaddr_storage dst;
static socklen_t dstlen;
static int scratch_lo; /* first scratch number */
static int64_t end_ms;
static struct worker workers[THREADS_MAX];

/* Stop every thread: set on the first failure. */
static atomic_bool stop;
static atomic_flag failed_once = ATOMIC_FLAG_INIT;
/*
 * fd numbers created by the workers (1: open, a candidate for another
 * thread's "buggy" dup2); cleared before the close.
 */
static atomic_uchar registry[REG_MAX];
/* Per number: moved before every dup2/dup3 onto another thread's fd. */
static atomic_ulong fd_gen[REG_MAX];
static atomic_int reg_hi;
static sem_t done_sem;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64*: a thread's own seeded sequence. */
static uint64_t rnd(struct worker *w)
{
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545F4914F6CDD1DULL;
}

static unsigned rnd_below(struct worker *w, unsigned n)
{
	return (unsigned)(rnd(w) % n);
}

/* One line to stderr in one write (threads and children interleave). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(2, buf, (size_t)n) < 0)
		return;
}

/* Record the first failure and stop the run. */
static enum verdict failure(struct worker *w, const char *what, int err)
{
	if (!atomic_flag_test_and_set(&failed_once))
		say("stress: FAIL seed=%" PRIu64 " thread=%d op=%s: %s%s%s",
		    opt.seed, w->id, atomic_load(&w->op), what, err ? ": " : "",
		    err ? strerrorname_np(err) : "");
	atomic_store(&stop, true);
	return V_FAIL;
}

static void reg_set(int fd, bool open)
{
	if (fd < 0 || fd >= REG_MAX)
		return;
	atomic_store(&registry[fd], open ? 1 : 0);
	if (open) {
		int hi = atomic_load(&reg_hi);

		while (fd > hi &&
		       !atomic_compare_exchange_weak(&reg_hi, &hi, fd))
			;
	}
}

static void reg_close(int fd)
{
	reg_set(fd, false);
	close(fd);
}

static ino_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

static unsigned long gen_of(int fd)
{
	return fd >= 0 && fd < REG_MAX ? atomic_load(&fd_gen[fd]) : 0;
}

/* Follow @fd (just created or about to be used) for this operation. */
static void watch_add(struct worker *w, int fd, ino_t ino)
{
	w->watch[w->nwatch].fd = fd;
	w->watch[w->nwatch].ino = ino;
	w->watch[w->nwatch].gen = gen_of(fd);
	w->nwatch++;
}

/* May another thread have replaced one of the operation's fds? */
static bool watch_moved(const struct worker *w)
{
	if (opt.foreign && atomic_load(&foreign_total) > 0)
		return true; /* see the top of this file */
	for (int i = 0; i < w->nwatch; i++) {
		const struct watch *wa = &w->watch[i];

		if (gen_of(wa->fd) != wa->gen || fd_ino(wa->fd) != wa->ino)
			return true;
	}
	return false;
}

/* Decide what an error means: a failure, unless watch_moved(). */
static enum verdict judge(struct worker *w, const char *what, int err)
{
	if (watch_moved(w)) {
		w->disturbed++;
		return V_DISTURBED;
	}
	return failure(w, what, err);
}

/*
 * Wait for @events on @fd with poll, or on the epoll set @ep when it is
 * not -1, bounded, in slices that give up on a disturbed operation.
 * 0, or -errno (-ECANCELED when disturbed, -ETIMEDOUT).
 */
static int wait_fd(struct worker *w, int fd, int ep, short events)
{
	int64_t until = now_ms() + IO_TIMEOUT_MS;
	struct pollfd p = {.fd = fd, .events = events};
	struct epoll_event ev;
	int r;

	for (;;) {
		if (ep >= 0)
			r = epoll_wait(ep, &ev, 1, IO_SLICE_MS);
		else
			r = poll(&p, 1, IO_SLICE_MS);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0)
			return ep < 0 && (p.revents & POLLNVAL) ? -EBADF : 0;
		if (watch_moved(w))
			return -ECANCELED;
		if (now_ms() > until)
			return -ETIMEDOUT;
	}
}

/* Is @peer the destination (family, address, port)? */
static bool is_dst(const struct sockaddr_storage *peer)
{
	if (peer->ss_family != dst.ss_family)
		return false;
	if (dst.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)peer,
					 *b = (const void *)&dst;

		return a->sin_port == b->sin_port &&
		       a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *a = (const void *)peer,
				  *b = (const void *)&dst;

	return a->sin6_port == b->sin6_port &&
	       !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr));
}

/*
 * Send a message of random length and read it back within the bounds;
 * @fd blocking or not.  0, 1 on a mismatch, or -errno.
 */
static int echo(struct worker *w, int fd)
{
	char out[1500], in[sizeof(out)];
	size_t len = 24 + rnd_below(w, sizeof(out) - 24), got = 0, sent = 0;
	int r;

	r = snprintf(out, sizeof(out), "t%d o%lu ", w->id, w->ops);
	for (size_t i = (size_t)r; i < len; i++)
		out[i] = (char)('a' + rnd_below(w, 26));
	while (sent < len) {
		ssize_t n = send(fd, out + sent, len - sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((r = wait_fd(w, fd, -1, POLLOUT)) < 0)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		sent += (size_t)n;
	}
	while (got < len) {
		ssize_t n = recv(fd, in + got, len - got, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((r = wait_fd(w, fd, -1, POLLIN)) < 0)
				return r;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return memcmp(in, out, len) ? 1 : 0;
}

enum how { HOW_BLOCK, HOW_POLL, HOW_EPOLL };

/*
 * Connect a new socket to the destination (@how), check getpeername, run
 * an echo; return the fd in *@fdp (still open) with V_OK, else closed.
 */
static enum verdict tunnel(struct worker *w, enum how how, int *fdp,
			   ino_t *inop)
{
	int type = SOCK_STREAM | SOCK_CLOEXEC, fd, ep = -1, r, err;
	bool before = rnd_below(w, 2), edge = rnd_below(w, 2);
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	enum verdict v = V_OK;
	ino_t ino;

	if (how != HOW_BLOCK)
		type |= SOCK_NONBLOCK;
	fd = socket(dst.ss_family, type, 0);
	if (fd < 0)
		return failure(w, "socket", errno);
	reg_set(fd, true);
	ino = fd_ino(fd);
	w->nwatch = 0;
	watch_add(w, fd, ino);
	if (how == HOW_EPOLL) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0) {
			v = failure(w, "epoll_create1", errno);
			goto out;
		}
		reg_set(ep, true);
		watch_add(w, ep, fd_ino(ep));
		if (before) {
			struct epoll_event ev = {.events = EPOLLOUT |
							   (edge ? EPOLLET : 0),
						 .data.fd = fd};

			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
				v = judge(w, "epoll_ctl", errno);
				goto out;
			}
		}
	}
	r = connect(fd, (struct sockaddr *)&dst, dstlen);
	if (r < 0 && (how == HOW_BLOCK || errno != EINPROGRESS)) {
		v = judge(w, "connect", errno);
		goto out;
	}
	if (r < 0) {
		if (how == HOW_EPOLL && !before) {
			struct epoll_event ev = {.events = EPOLLOUT |
							   (edge ? EPOLLET : 0),
						 .data.fd = fd};

			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
				v = judge(w, "epoll_ctl", errno);
				goto out;
			}
		}
		r = wait_fd(w, fd, ep, POLLOUT);
		if (r < 0) {
			v = judge(w, "waiting for the connect", -r);
			goto out;
		}
		socklen_t l = sizeof(err);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
		if (err) {
			v = judge(w, "SO_ERROR", err);
			goto out;
		}
	}
	if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0) {
		v = judge(w, "getpeername", errno);
		goto out;
	}
	if (!is_dst(&peer)) {
		char what[128], host[INET6_ADDRSTRLEN] = "?";
		const struct sockaddr_in *p4 = (const void *)&peer;

		if (peer.ss_family == AF_INET)
			inet_ntop(AF_INET, &p4->sin_addr, host, sizeof(host));
		snprintf(what, sizeof(what),
			 "getpeername on fd %d is %s:%u (family %d), not the "
			 "destination",
			 fd, host, ntohs(p4->sin_port), peer.ss_family);
		v = judge(w, what, 0);
		goto out;
	}
	r = echo(w, fd);
	if (r != 0) {
		v = judge(w, r > 0 ? "echo returned other bytes" : "echo", -r);
		goto out;
	}
	/* a clean run only if nothing may have replaced the fd meanwhile */
	if (watch_moved(w)) {
		w->disturbed++;
		v = V_DISTURBED;
		goto out;
	}
	w->tunnels++;
out:
	if (ep >= 0)
		reg_close(ep);
	if (v == V_OK) {
		*fdp = fd;
		*inop = ino;
	} else {
		reg_close(fd);
	}
	return v;
}

/* Keep @fd if there is room (and the dice say so), else close it. */
static void hold_or_close(struct worker *w, int fd, ino_t ino)
{
	if (w->nheld < HELD_MAX && rnd_below(w, 2)) {
		w->held[w->nheld].fd = fd;
		w->held[w->nheld].ino = ino;
		w->nheld++;
		return;
	}
	reg_close(fd);
}

static void drop_held(struct worker *w, int i)
{
	reg_close(w->held[i].fd);
	w->held[i] = w->held[--w->nheld];
}

static void op_close(struct worker *w)
{
	if (w->nheld > 0)
		drop_held(w, (int)rnd_below(w, (unsigned)w->nheld));
}

/* A number another thread has open now, or -1. */
static int foreign_number(struct worker *w)
{
	int hi = atomic_load(&reg_hi);

	for (int tries = 0; tries < 8 && hi >= 3; tries++) {
		int fd = 3 + (int)rnd_below(w, (unsigned)(hi - 2));
		bool mine = false;

		for (int i = 0; i < w->nheld; i++)
			mine |= w->held[i].fd == fd;
		if (!mine && atomic_load(&registry[fd]))
			return fd;
	}
	return -1;
}

/*
 * dup2 or dup3 a held socket onto: another held number of ours (replacing
 * it), a scratch number, or (1 in 5) a number another thread uses.
 */
static enum verdict op_dup(struct worker *w)
{
	int src, target, k = (int)rnd_below(w, 5), r;
	bool three = rnd_below(w, 2), foreign = false;
	struct held *h;

	if (w->nheld == 0)
		return V_OK;
	h = &w->held[rnd_below(w, (unsigned)w->nheld)];
	src = h->fd;
	w->nwatch = 0;
	watch_add(w, src, h->ino);
	if (k == 0 && opt.foreign && (target = foreign_number(w)) >= 0) {
		/* the owner's operation on it may be disturbed, and ours */
		atomic_fetch_add(&foreign_total, 1);
		atomic_fetch_add(&fd_gen[target], 1);
		foreign = true;
		w->foreign++;
	} else if (k == 1 && w->nheld > 1) {
		target = w->held[rnd_below(w, (unsigned)w->nheld)].fd;
	} else {
		target = scratch_lo + (int)rnd_below(w, SCRATCH_N);
	}
	if (target == src)
		return V_OK;
	r = three ? dup3(src, target, rnd_below(w, 2) ? O_CLOEXEC : 0)
		  : dup2(src, target);
	w->dups++;
	if (r < 0 && foreign) { /* EBUSY: the number was being allocated */
		w->disturbed++;
		return V_DISTURBED;
	}
	if (r < 0)
		return judge(w, three ? "dup3" : "dup2", errno);
	/* a held number of ours now names the same socket as @src */
	for (int i = 0; i < w->nheld; i++)
		if (w->held[i].fd == target)
			w->held[i].ino = h->ino;
	return V_OK;
}

static void op_close_range(struct worker *w)
{
	unsigned first = (unsigned)(scratch_lo + (int)rnd_below(w, SCRATCH_N));

	/* ENOSYS on old kernels: nothing to stress then */
	close_range(first, ~0U,
		    rnd_below(w, 4) == 0 ? (int)CLOSE_RANGE_CLOEXEC : 0);
}

static void op_epoll(struct worker *w)
{
	int ep = epoll_create1(rnd_below(w, 2) ? EPOLL_CLOEXEC : 0);

	if (ep < 0) {
		failure(w, "epoll_create1", errno);
		return;
	}
	reg_set(ep, true);
	if (w->nheld > 0) {
		struct epoll_event ev = {.events = EPOLLIN};

		/* the held fd may be another thread's by now: no check */
		epoll_ctl(ep, EPOLL_CTL_ADD,
			  w->held[rnd_below(w, (unsigned)w->nheld)].fd, &ev);
	}
	reg_close(ep);
}

/*
 * The child of op_fork: single-threaded now; close one held fd, dup2
 * another, one blocking tunnel.  Exits 0, 1 on a mismatch, 2 on an error.
 */
static void fork_child(struct worker *w)
{
	int fd, r;

	alarm(CHILD_TIMEOUT_MS / 1000 + 5);
	/* Alone here: no other thread can take a number from this one. */
	opt.foreign = false;
	if (w->nheld > 0)
		close(w->held[0].fd);
	if (w->nheld > 1)
		dup2(w->held[1].fd, scratch_lo + (int)rnd_below(w, SCRATCH_N));
	fd = socket(dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		_exit(2);
	w->nwatch = 0;
	watch_add(w, fd, fd_ino(fd));
	if (connect(fd, (struct sockaddr *)&dst, dstlen) < 0) {
		say("stress: fork child of thread %d: connect: %s", w->id,
		    strerrorname_np(errno));
		_exit(2);
	}
	r = echo(w, fd);
	if (r != 0)
		say("stress: fork child of thread %d: echo: %s", w->id,
		    r > 0 ? "other bytes" : strerrorname_np(-r));
	_exit(r > 0 ? 1 : r < 0 ? 2 : 0);
}

/* Say where a hung child @pid waits: its syscall line and wchan. */
static void child_where(pid_t pid)
{
	char path[64], sc[128] = "?", wchan[64] = "?";
	const char *names[2] = {"syscall", "wchan"};
	char *bufs[2] = {sc, wchan};
	size_t caps[2] = {sizeof(sc), sizeof(wchan)};

	for (int i = 0; i < 2; i++) {
		int fd;
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, names[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, bufs[i], caps[i] - 1);
		bufs[i][n > 0 ? n : 0] = '\0';
		bufs[i][strcspn(bufs[i], "\n")] = '\0';
		close(fd);
	}
	say("stress: hung child %d: /proc syscall \"%s\" wchan \"%s\"",
	    (int)pid, sc, wchan);
}

/* Reap @pid within @ms; its wait status, or -1 when it hung (killed). */
static int reap(pid_t pid, int ms)
{
	int64_t until = now_ms() + ms;
	struct timespec nap = {0, 1000000};
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -2;
		if (now_ms() > until) {
			child_where(pid);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 50000000)
			nap.tv_nsec *= 2;
	}
}

static enum verdict op_fork(struct worker *w)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return failure(w, "fork", errno);
	if (pid == 0)
		fork_child(w);
	w->forks++;
	st = reap(pid, CHILD_TIMEOUT_MS);
	if (st == -1)
		return failure(w, "fork child hung (killed)", 0);
	if (st == -2)
		return failure(w, "waitpid", errno);
	if (WIFSIGNALED(st)) {
		char what[64];

		snprintf(what, sizeof(what), "fork child killed by signal %d",
			 WTERMSIG(st));
		return failure(w, what, 0);
	}
	if (WEXITSTATUS(st) != 0)
		return failure(w,
			       WEXITSTATUS(st) == 1
				       ? "fork child: echo returned other bytes"
				       : "fork child: tunnel failed",
			       0);
	w->tunnels++;
	return V_OK;
}

static enum verdict op_vfork(struct worker *w)
{
	pid_t pid = vfork();
	int st;

	if (pid < 0)
		return failure(w, "vfork", errno);
	if (pid == 0)
		_exit(0);
	w->vforks++;
	st = reap(pid, CHILD_TIMEOUT_MS);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return failure(w, "vfork child did not exit 0", 0);
	return V_OK;
}

/* One random operation.  The weights favour the tunnels. */
static void step(struct worker *w)
{
	unsigned k = rnd_below(w, 100);
	int64_t t0 = now_ms();
	enum verdict v = V_OK;
	int fd;
	ino_t ino;

	if (k < 45) {
		enum how how = k < 15	? HOW_BLOCK
			       : k < 30 ? HOW_POLL
					: HOW_EPOLL;

		atomic_store(&w->op, how == HOW_BLOCK  ? "connect-blocking"
				     : how == HOW_POLL ? "connect-poll"
						       : "connect-epoll");
		v = tunnel(w, how, &fd, &ino);
		if (v == V_OK)
			hold_or_close(w, fd, ino);
	} else if (k < 60) {
		atomic_store(&w->op, "close");
		op_close(w);
	} else if (k < 75) {
		atomic_store(&w->op, "dup2/dup3");
		v = op_dup(w);
	} else if (k < 81) {
		atomic_store(&w->op, "close_range");
		op_close_range(w);
	} else if (k < 87) {
		atomic_store(&w->op, "fork");
		v = op_fork(w);
	} else if (k < 91) {
		atomic_store(&w->op, "vfork");
		v = op_vfork(w);
	} else {
		atomic_store(&w->op, "epoll_create/close");
		op_epoll(w);
	}
	if (now_ms() - t0 > SLOW_OP_MS && !opt.quiet)
		say("stress: thread %d: %s took %" PRId64 " ms (%s)", w->id,
		    atomic_load(&w->op), now_ms() - t0,
		    v == V_OK	       ? "ok"
		    : v == V_DISTURBED ? "disturbed"
				       : "failed");
	w->ops++;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load(&stop) && w->ops < opt.iter_cap &&
	       now_ms() < end_ms)
		step(w);
	atomic_store(&w->op, "done");
	while (w->nheld > 0)
		drop_held(w, 0);
	return NULL;
}

/*
 * The watchdog: when the workers have not finished by the deadline, name
 * what each one is doing and exit 3.  alarm(2) backs it up in case this
 * thread cannot run (SIGALRM's default action ends the process).
 */
static void *watchdog_main(void *arg)
{
	struct timespec ts;
	int64_t ms = (int64_t)(opt.watchdog * 1000);

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (sem_timedwait(&done_sem, &ts) < 0) {
		if (errno == EINTR)
			continue;
		say("stress: FAIL seed=%" PRIu64
		    ": hang: not done after %.1f s",
		    opt.seed, opt.watchdog);
		for (int i = 0; i < opt.threads; i++)
			say("stress:   thread %d: %s (ops=%lu)", i,
			    atomic_load(&workers[i].op), workers[i].ops);
		_exit(3);
	}
	return NULL;
}

/* Room for the scratch range: raise the soft fd limit if needed. */
static void setup_scratch(void)
{
	struct rlimit rl;
	rlim_t want = 1024 + SCRATCH_N + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want &&
	    rl.rlim_max >= want) {
		rl.rlim_cur = want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 256) {
		say("stress: the fd limit is too low");
		exit(2);
	}
	scratch_lo = (int)(rl.rlim_cur > want ? 1024 : rl.rlim_cur - SCRATCH_N);
}

static void resolve(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV},
			*res;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc != 0) {
		say("stress: %s %s: %s", host, port, gai_strerror(rc));
		exit(2);
	}
	memcpy(&dst, res->ai_addr, res->ai_addrlen);
	dstlen = res->ai_addrlen;
	freeaddrinfo(res);
}

static void usage(void)
{
	say("usage: stress [-t THREADS] [-d SECONDS] [-n ITERATIONS] "
	    "[-s SEED] [-w SECONDS] [-q] [-F] HOST PORT");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int ch;

	opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	opt.watchdog = -1;
	while ((ch = getopt(argc, argv, "t:d:n:s:w:qF")) != -1) {
		switch (ch) {
		case 't':
			opt.threads = atoi(optarg);
			break;
		case 'd':
			opt.duration = atof(optarg);
			break;
		case 'n':
			opt.iter_cap = strtoul(optarg, NULL, 10);
			break;
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			break;
		case 'w':
			opt.watchdog = atof(optarg);
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'F':
			opt.foreign = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || opt.threads < 1 ||
	    opt.threads > THREADS_MAX || opt.duration <= 0)
		usage();
	if (opt.watchdog <= 0)
		opt.watchdog = opt.duration + 60;
	resolve(argv[optind], argv[optind + 1]);
}

int main(int argc, char **argv)
{
	unsigned long ops = 0, tunnels = 0, disturbed = 0, forks = 0,
		      vforks = 0, dups = 0, foreign = 0;
	pthread_t wd;
	int64_t t0;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	setup_scratch();
	if (!opt.quiet)
		say("stress: seed=%" PRIu64 " threads=%d duration=%.1fs "
		    "watchdog=%.0fs scratch=%d..%d",
		    opt.seed, opt.threads, opt.duration, opt.watchdog,
		    scratch_lo, scratch_lo + SCRATCH_N - 1);
	sem_init(&done_sem, 0, 0);
	alarm((unsigned)opt.watchdog + 10);
	if (pthread_create(&wd, NULL, watchdog_main, NULL) != 0) {
		say("stress: cannot start the watchdog");
		return 2;
	}
	t0 = now_ms();
	end_ms = t0 + (int64_t)(opt.duration * 1000);
	for (int i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		w->id = i;
		w->rng = opt.seed * 0x9E3779B97F4A7C15ULL + (uint64_t)i + 1;
		atomic_store(&w->op, "start");
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0) {
			say("stress: cannot start thread %d", i);
			return 2;
		}
	}
	for (int i = 0; i < opt.threads; i++) {
		struct worker *w = &workers[i];

		pthread_join(w->tid, NULL);
		ops += w->ops;
		tunnels += w->tunnels;
		disturbed += w->disturbed;
		forks += w->forks;
		vforks += w->vforks;
		dups += w->dups;
		foreign += w->foreign;
	}
	sem_post(&done_sem);
	pthread_join(wd, NULL);
	alarm(0);
	if (atomic_load(&stop))
		return 1;
	say("stress: OK seed=%" PRIu64 " threads=%d ms=%" PRId64
	    " ops=%lu tunnels=%lu disturbed=%lu forks=%lu vforks=%lu "
	    "dups=%lu foreign_dups=%lu",
	    opt.seed, opt.threads, now_ms() - t0, ops, tunnels, disturbed,
	    forks, vforks, dups, foreign);
	return 0;
}
