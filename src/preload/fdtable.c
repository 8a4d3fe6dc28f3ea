// SPDX-License-Identifier: MIT
/*
 * The per-fd registry (see fdtable.h).  The byte array is static (.bss)
 * and the slot array is allocated once, zeroed, when the first entry is
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
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

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
atomic_uint fdt_nsubst;
atomic_int fdt_maxfd = -1;
__thread int fdt_locks_held;

static struct fdt_entry **fdt_slots;
static pthread_mutex_t fdt_table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t fdt_place_mutex = PTHREAD_MUTEX_INITIALIZER;
/* Entries whose last reference went in a signal-safe path. */
static _Atomic(struct fdt_entry *) fdt_deferred;
/* The process the table belongs to (fdt_in_vfork_child). */
static pid_t fdt_pid;

void fdt_mutex_lock(pthread_mutex_t *m)
{
	fdt_locks_held++;
	pthread_mutex_lock(m);
}

void fdt_mutex_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	fdt_locks_held--;
}

void fdt_lock(struct fdt_entry *e)
{
	fdt_mutex_lock(&e->lock);
}

void fdt_unlock(struct fdt_entry *e)
{
	fdt_mutex_unlock(&e->lock);
}

void fdt_place_lock(void)
{
	fdt_mutex_lock(&fdt_place_mutex);
}

void fdt_place_unlock(void)
{
	fdt_mutex_unlock(&fdt_place_mutex);
}

/* Contract: fdtable.h. */
int fdt_init(void)
{
	struct rlimit rl;
	unsigned cap = FDT_CAP_MIN;

	fdt_pid = (pid_t)syscall(SYS_getpid);
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
	 * never connects would not pay.  Every slot access is under the
	 * table lock and reads a missing array as empty. */
	atomic_store_explicit(&fdt_cap, cap, memory_order_release);
	return 0;
}

/* Contract: fdtable.h. */
bool fdt_in_vfork_child(void)
{
	return fdt_pid != 0 && (pid_t)syscall(SYS_getpid) != fdt_pid;
}

static bool fdt_in_range(int fd)
{
	return fd >= 0 &&
	       (unsigned)fd <
		       atomic_load_explicit(&fdt_cap, memory_order_acquire);
}

/* Under the table lock: set the byte of @fd, keeping the counters. */
static void fdt_store_byte(int fd, uint8_t byte)
{
	_Atomic uint8_t *p = &fdt_bytes[fd];
	uint8_t old = atomic_load_explicit(p, memory_order_relaxed);

	if (!old && byte)
		atomic_fetch_add(&fdt_nmanaged, 1);
	else if (old && !byte)
		atomic_fetch_sub(&fdt_nmanaged, 1);
	if (!(old & FDT_F_SUBST) && (byte & FDT_F_SUBST))
		atomic_fetch_add(&fdt_nsubst, 1);
	else if ((old & FDT_F_SUBST) && !(byte & FDT_F_SUBST))
		atomic_fetch_sub(&fdt_nsubst, 1);
	if (byte && fd > atomic_load(&fdt_maxfd))
		atomic_store(&fdt_maxfd, fd);
	atomic_store_explicit(p, byte, memory_order_release);
}

/* Free what an entry owns. */
static void fdt_destroy(struct fdt_entry *e)
{
	if (e->ops && e->ops->destroy)
		e->ops->destroy(e);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Free the entries queued by fdt_put_deferred(). */
static void fdt_drain_deferred(void)
{
	struct fdt_entry *e;

	if (!atomic_load_explicit(&fdt_deferred, memory_order_relaxed))
		return;
	e = atomic_exchange(&fdt_deferred, NULL);
	while (e) {
		struct fdt_entry *next = e->defer_next;

		fdt_destroy(e);
		e = next;
	}
}

/* Contract: fdtable.h. */
struct fdt_entry *fdt_alloc(uint8_t kind, const struct fdt_ops *ops,
			    size_t payload)
{
	struct fdt_entry *e;

	fdt_drain_deferred();
	e = calloc(1, sizeof(*e) + payload);
	if (!e)
		return NULL;
	atomic_init(&e->refs, 1);
	e->kind = kind;
	e->ops = ops;
	pthread_mutex_init(&e->lock, NULL);
	return e;
}

void fdt_ref(struct fdt_entry *e)
{
	atomic_fetch_add(&e->refs, 1);
}

/* Contract: fdtable.h. */
void fdt_put(struct fdt_entry *e)
{
	if (e && atomic_fetch_sub(&e->refs, 1) == 1)
		fdt_destroy(e);
}

/* Contract: fdtable.h. */
void fdt_put_deferred(struct fdt_entry *e)
{
	struct fdt_entry *head;

	if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	head = atomic_load(&fdt_deferred);
	do
		e->defer_next = head;
	while (!atomic_compare_exchange_weak(&fdt_deferred, &head, e));
}

/* Contract: fdtable.h. */
struct fdt_entry *fdt_get(int fd)
{
	struct fdt_entry *e = NULL;

	if (!fdt_in_range(fd))
		return NULL;
	fdt_mutex_lock(&fdt_table_lock);
	e = fdt_slots ? fdt_slots[fd] : NULL;
	if (e)
		fdt_ref(e);
	fdt_mutex_unlock(&fdt_table_lock);
	return e;
}

/* Contract: fdtable.h. */
int fdt_set(int fd, struct fdt_entry *e, uint8_t byte)
{
	struct fdt_entry *old;

	if (!fdt_in_range(fd))
		return -EMFILE;
	fdt_mutex_lock(&fdt_table_lock);
	if (e && !fdt_slots) {
		/* calloc: large blocks come zeroed from mmap, untouched pages
		 * cost nothing, and leak checkers see the pointers kept in the
		 * slots. */
		fdt_slots = calloc(atomic_load(&fdt_cap), sizeof(*fdt_slots));
		if (!fdt_slots) {
			fdt_mutex_unlock(&fdt_table_lock);
			return -ENOMEM;
		}
	}
	if (e)
		fdt_ref(e);
	old = fdt_slots ? fdt_slots[fd] : NULL;
	if (fdt_slots)
		fdt_slots[fd] = e;
	fdt_store_byte(fd, byte);
	fdt_mutex_unlock(&fdt_table_lock);
	fdt_put(old);
	return 0;
}

/* Contract: fdtable.h. */
int fdt_attach(int fd, struct fdt_entry *e, uint8_t byte)
{
	int rc, saved = errno;

	/*
	 * Check, attach, check again: a close and reuse of the number
	 * between the first check and the store is caught by the second,
	 * which undoes only our own attachment (a new owner of the number
	 * may have attached its entry meanwhile).
	 */
	if (e->cookie && fdt_socket_cookie(fd) != e->cookie) {
		errno = saved;
		return -EBADF;
	}
	rc = fdt_set(fd, e, byte);
	if (rc == 0 && e->cookie && fdt_socket_cookie(fd) != e->cookie) {
		fdt_detach_if(fd, e);
		rc = -EBADF;
	}
	errno = saved;
	return rc;
}

void fdt_set_byte(int fd, uint8_t byte)
{
	if (!fdt_in_range(fd))
		return;
	fdt_mutex_lock(&fdt_table_lock);
	fdt_store_byte(fd, byte);
	fdt_mutex_unlock(&fdt_table_lock);
}

struct fdt_entry *fdt_take(int fd)
{
	struct fdt_entry *e;

	if (!fdt_in_range(fd))
		return NULL;
	fdt_mutex_lock(&fdt_table_lock);
	e = fdt_slots ? fdt_slots[fd] : NULL;
	if (e)
		fdt_slots[fd] = NULL;
	fdt_store_byte(fd, 0);
	fdt_mutex_unlock(&fdt_table_lock);
	return e;
}

/* Contract: fdtable.h. */
void fdt_detach_if(int fd, struct fdt_entry *e)
{
	bool dropped = false;

	if (!fdt_in_range(fd))
		return;
	fdt_mutex_lock(&fdt_table_lock);
	if (fdt_slots && fdt_slots[fd] == e) {
		fdt_slots[fd] = NULL;
		fdt_store_byte(fd, 0);
		dropped = true;
	}
	fdt_mutex_unlock(&fdt_table_lock);
	if (dropped)
		fdt_put(e);
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
bool fdt_still_ours(struct fdt_entry *e, int fd)
{
	int saved = errno;
	bool ours;

	if (!e->cookie)
		return true;
	ours = fdt_socket_cookie(fd) == e->cookie;
	errno = saved;
	if (ours)
		return true;
	fdt_detach_if(fd, e); /* the caller's reference keeps @e alive */
	if (e->ops && e->ops->forget)
		e->ops->forget(e, fd);
	return false;
}

/* Contract: fdtable.h. */
struct fdt_entry *fdt_acquire(int fd)
{
	struct fdt_entry *e = fdt_get(fd);

	if (!e)
		return NULL;
	fdt_lock(e);
	if (fdt_still_ours(e, fd))
		return e;
	fdt_unlock(e);
	fdt_put(e);
	return NULL;
}

void fdt_release(struct fdt_entry *e)
{
	fdt_unlock(e);
	fdt_put(e);
}

/*
 * fork.  Before: every entry lock (so that no entry is half changed in
 * the child), then the placement and table locks, in the nesting order; the entries are
 * listed under the table lock and locked after it is released.  In the
 * child, an entry that appeared after the list was made may have its lock
 * held by a thread that does not exist there: its mutex is made anew.
 */
static struct fdt_entry **fork_held;
static size_t fork_nheld;

static int fdt_cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (struct fdt_entry *const *)a;
	uintptr_t y = (uintptr_t) * (struct fdt_entry *const *)b;

	return x < y ? -1 : x > y;
}

void fdt_atfork_prepare(void)
{
	int maxfd;
	size_t n = 0, w = 0;

	fdt_locks_held++;
	fork_held = NULL;
	fork_nheld = 0;
	pthread_mutex_lock(&fdt_table_lock);
	maxfd = atomic_load(&fdt_maxfd);
	if (fdt_slots && maxfd >= 0 &&
	    (fork_held = malloc(((size_t)maxfd + 1) * sizeof(*fork_held)))) {
		for (int fd = 0; fd <= maxfd; fd++)
			if (fdt_slots[fd]) {
				fdt_ref(fdt_slots[fd]);
				fork_held[n++] = fdt_slots[fd];
			}
	}
	pthread_mutex_unlock(&fdt_table_lock);
	/* Duplicated fds share an entry: lock each once. */
	if (n > 1)
		qsort(fork_held, n, sizeof(*fork_held), fdt_cmp_ptr);
	for (size_t i = 0; i < n; i++) {
		if (w && fork_held[w - 1] == fork_held[i]) {
			atomic_fetch_sub(&fork_held[i]->refs, 1);
			continue;
		}
		fork_held[w++] = fork_held[i];
	}
	fork_nheld = w;
	for (size_t i = 0; i < fork_nheld; i++)
		pthread_mutex_lock(&fork_held[i]->lock);
	pthread_mutex_lock(&fdt_place_mutex);
	pthread_mutex_lock(&fdt_table_lock);
}

/* Release what fdt_atfork_prepare took. */
static void fdt_atfork_release(void)
{
	pthread_mutex_unlock(&fdt_table_lock);
	pthread_mutex_unlock(&fdt_place_mutex);
	for (size_t i = 0; i < fork_nheld; i++) {
		pthread_mutex_unlock(&fork_held[i]->lock);
		fdt_put(fork_held[i]);
	}
	free(fork_held);
	fork_held = NULL;
	fork_nheld = 0;
	fdt_locks_held--;
}

void fdt_atfork_parent(void)
{
	fdt_atfork_release();
}

void fdt_atfork_child(void)
{
	int maxfd = atomic_load(&fdt_maxfd);

	fdt_pid = (pid_t)syscall(SYS_getpid);
	/* Single-threaded here: entries not locked by the prepare handler
	 * get a fresh mutex (bsearch: fork_held is sorted). */
	for (int fd = 0; fdt_slots && fd <= maxfd; fd++) {
		struct fdt_entry *e = fdt_slots[fd];

		if (e && !bsearch(&e, fork_held, fork_nheld, sizeof(*fork_held),
				  fdt_cmp_ptr))
			pthread_mutex_init(&e->lock, NULL);
	}
	fdt_atfork_release();
}
