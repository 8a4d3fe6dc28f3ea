// SPDX-License-Identifier: MIT
/*
 * The per-fd table (see fdtable.h).  The byte array is static (.bss) and
 * the slot array is allocated once, zeroed, when the first entry is
 * stored; their pages are only backed when touched, so the table can
 * cover the hard RLIMIT_NOFILE (capped) without using memory for unused
 * fds.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/log.h"

#include "preload/fdtable.h"
#include "preload/real.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

#define FDT_CAP_MAX FDT_BYTES_MAX
#define FDT_CAP_MIN 1024u

_Atomic uint8_t fdt_bytes[FDT_BYTES_MAX];
atomic_uint fdt_cap;
atomic_uint fdt_nmanaged;
atomic_uint fdt_nslow;
atomic_int fdt_maxfd = -1;

static struct fdt_entry **fdt_slots;
static pthread_mutex_t fdt_lock = PTHREAD_MUTEX_INITIALIZER;

/* Contract: fdtable.h. */
int fdt_init(void)
{
	struct rlimit rl;
	unsigned cap = FDT_CAP_MIN;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rlim_t want = rl.rlim_max;

		if (want == RLIM_INFINITY || want > FDT_CAP_MAX)
			want = FDT_CAP_MAX;
		if (want < rl.rlim_cur && rl.rlim_cur <= FDT_CAP_MAX)
			want = rl.rlim_cur;
		if (want > cap)
			cap = (unsigned)want;
	}
	/* The slots come with the first entry (fdt_set), not here: this runs
	 * when the library is loaded, and a process's first malloc() costs
	 * system calls and page faults (arena, tcache) that a program that
	 * never connects would not pay.  Every slot access is under fdt_lock
	 * and reads a missing array as empty. */
	atomic_store_explicit(&fdt_cap, cap, memory_order_release);
	return 0;
}

static bool fdt_in_range(int fd)
{
	return fd >= 0 &&
	       (unsigned)fd <
		       atomic_load_explicit(&fdt_cap, memory_order_acquire);
}

/* Under fdt_lock: set the byte of @fd, keeping the counters. */
static void fdt_store_byte(int fd, uint8_t byte)
{
	_Atomic uint8_t *p = &fdt_bytes[fd];
	uint8_t old = atomic_load_explicit(p, memory_order_relaxed);

	if (!old && byte)
		atomic_fetch_add(&fdt_nmanaged, 1);
	else if (old && !byte)
		atomic_fetch_sub(&fdt_nmanaged, 1);
	if (!(old & FDT_F_SLOW) && (byte & FDT_F_SLOW))
		atomic_fetch_add(&fdt_nslow, 1);
	else if ((old & FDT_F_SLOW) && !(byte & FDT_F_SLOW))
		atomic_fetch_sub(&fdt_nslow, 1);
	if (byte && fd > atomic_load(&fdt_maxfd))
		atomic_store(&fdt_maxfd, fd);
	atomic_store_explicit(p, byte, memory_order_release);
}

struct fdt_entry *fdt_alloc(uint8_t kind)
{
	struct fdt_entry *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	atomic_init(&e->refs, 1);
	e->kind = kind;
	pthread_mutex_init(&e->lock, NULL);
	if (kind == FDT_TCP) {
		e->u.tcp.fd = -1;
		e->u.tcp.evfd = -1;
	}
	return e;
}

void fdt_ref(struct fdt_entry *e)
{
	atomic_fetch_add(&e->refs, 1);
}

/* Free what an entry owns. */
static void fdt_destroy(struct fdt_entry *e)
{
	if (e->kind == FDT_TCP) {
		struct conn *c = &e->u.tcp;

		if (c->evfd >= 0) {
			fdt_unmark_internal(c->evfd);
			real.close(c->evfd);
		}
		free(c->early);
	}
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Contract: fdtable.h. */
void fdt_put(struct fdt_entry *e)
{
	if (e && atomic_fetch_sub(&e->refs, 1) == 1)
		fdt_destroy(e);
}

/* Contract: fdtable.h. */
struct fdt_entry *fdt_get(int fd)
{
	struct fdt_entry *e = NULL;

	if (!fdt_in_range(fd))
		return NULL;
	pthread_mutex_lock(&fdt_lock);
	e = fdt_slots ? fdt_slots[fd] : NULL;
	if (e)
		fdt_ref(e);
	pthread_mutex_unlock(&fdt_lock);
	return e;
}

/* Contract: fdtable.h. */
int fdt_set(int fd, struct fdt_entry *e, uint8_t byte)
{
	struct fdt_entry *old;

	if (!fdt_in_range(fd))
		return -EMFILE;
	pthread_mutex_lock(&fdt_lock);
	if (e && !fdt_slots) {
		/* calloc: large blocks come zeroed from mmap, untouched pages
		 * cost nothing, and leak checkers see the pointers kept in the
		 * slots. */
		fdt_slots = calloc(atomic_load(&fdt_cap), sizeof(*fdt_slots));
		if (!fdt_slots) {
			pthread_mutex_unlock(&fdt_lock);
			return -ENOMEM;
		}
	}
	if (e)
		fdt_ref(e);
	old = fdt_slots ? fdt_slots[fd] : NULL;
	if (fdt_slots)
		fdt_slots[fd] = e;
	fdt_store_byte(fd, byte);
	pthread_mutex_unlock(&fdt_lock);
	fdt_put(old);
	return 0;
}

void fdt_set_byte(int fd, uint8_t byte)
{
	if (!fdt_in_range(fd))
		return;
	pthread_mutex_lock(&fdt_lock);
	fdt_store_byte(fd, byte);
	pthread_mutex_unlock(&fdt_lock);
}

struct fdt_entry *fdt_take(int fd)
{
	struct fdt_entry *e;

	if (!fdt_in_range(fd))
		return NULL;
	pthread_mutex_lock(&fdt_lock);
	e = fdt_slots ? fdt_slots[fd] : NULL;
	if (e)
		fdt_slots[fd] = NULL;
	fdt_store_byte(fd, 0);
	pthread_mutex_unlock(&fdt_lock);
	return e;
}

uint64_t fdt_socket_cookie(int fd)
{
	uint64_t cookie = 0;
	socklen_t l = sizeof(cookie);

	if (real.getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &l) < 0)
		return 0;
	return cookie;
}

/* Contract: fdtable.h. */
bool conn_still_ours(struct fdt_entry *e, int fd)
{
	struct conn *c = &e->u.tcp;
	int saved = errno;
	bool ours;

	if (c->state == CONN_CLOSED)
		return false;
	if (!c->cookie)
		return true;
	ours = fdt_socket_cookie(fd) == c->cookie;
	errno = saved;
	if (ours)
		return true;
	c->state = CONN_CLOSED;
	c->in_engine = false; /* the kernel dropped the registration */
	if (c->fd == fd)
		c->fd = -1;
	pthread_mutex_lock(&fdt_lock);
	if (fdt_in_range(fd) && fdt_slots && fdt_slots[fd] == e) {
		fdt_slots[fd] = NULL;
		fdt_store_byte(fd, 0);
		atomic_fetch_sub(&e->refs, 1); /* the table's; not the last */
	}
	pthread_mutex_unlock(&fdt_lock);
	return false;
}

int fdt_mark_internal_owned(int fd, int *owner)
{
	struct fdt_entry *e = NULL;
	int rc;

	if (owner) {
		e = fdt_alloc(FDT_INTERNAL);
		if (!e)
			return -ENOMEM;
		e->u.internal.owner = owner;
	}
	rc = fdt_set(fd, e, FDT_INTERNAL);
	fdt_put(e);
	return rc;
}

int fdt_mark_internal(int fd)
{
	return fdt_mark_internal_owned(fd, NULL);
}

/* Contract: fdtable.h. */
int fdt_internal_evict(int fd)
{
	struct fdt_entry *e;
	int nfd;

	if ((fdt_peek(fd) & FDT_KIND_MASK) != FDT_INTERNAL)
		return 0;
	e = fdt_take(fd);
	if (e && e->u.internal.owner) {
		nfd = real.fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (nfd < 0) {
			int err = errno;

			(void)fdt_set(fd, e, FDT_INTERNAL);
			fdt_put(e);
			return -err;
		}
		*e->u.internal.owner = nfd;
		(void)fdt_set(nfd, e, FDT_INTERNAL);
		fdt_put(e);
		return 0;
	}
	fdt_put(e);
	if (fd == log_fd())
		log_close();
	return 0;
}

void fdt_unmark_internal(int fd)
{
	if (fdt_in_range(fd) && (fdt_peek(fd) & FDT_KIND_MASK) == FDT_INTERNAL)
		fdt_set(fd, NULL, 0);
}

void fdt_mark_epoll(int fd)
{
	(void)fdt_set(fd, NULL, FDT_EPOLL);
}

void fdt_atfork_prepare(void)
{
	pthread_mutex_lock(&fdt_lock);
}

void fdt_atfork_parent(void)
{
	pthread_mutex_unlock(&fdt_lock);
}

void fdt_atfork_child(void)
{
	/* Taken by this very thread in the prepare handler. */
	pthread_mutex_unlock(&fdt_lock);
}
