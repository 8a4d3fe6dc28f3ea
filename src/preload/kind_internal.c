// SPDX-License-Identifier: MIT
/*
 * The library's own fds and the program's epoll sets in the registry
 * (kind_internal.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "preload/fdtable.h"
#include "preload/kind_internal.h"
#include "preload/real.h"

struct kint {
	int *owner;
	pthread_mutex_t *owner_lock;
};

static const struct fdt_ops kint_ops = {.name = "internal"};

/*
 * Where internal fds go: below the soft limit, leaving the top 32 numbers
 * to programs that probe for the highest fd, and far above the low numbers
 * daemons close and reopen (at most 1024 below the limit; never 0-2).
 */
static int kint_base(void)
{
	struct rlimit rl;
	rlim_t lim = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		lim = rl.rlim_cur;
	if (lim > atomic_load(&fdt_cap))
		lim = atomic_load(&fdt_cap);
	if (lim <= 64)
		return 3;
	lim -= lim > 1024 + 32 ? 1024 : 32;
	return lim < 3 ? 3 : (int)lim;
}

/* kint_place() under the placement lock (held). */
static int kint_place_locked(int fd)
{
	int saved = errno, nfd;

	if (fd < 0)
		return fd;
	nfd = real.fcntl(fd, F_DUPFD_CLOEXEC, kint_base());
	if (nfd < 0 && fd <= 2)
		nfd = real.fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd >= 0 && nfd > fd) {
		real.close(fd);
		fd = nfd;
	} else if (nfd >= 0) {
		real.close(nfd); /* nothing higher was free */
	}
	errno = saved;
	return fd;
}

/* Contract: kind_internal.h. */
int kint_place(int fd)
{
	fdt_place_lock();
	fd = kint_place_locked(fd);
	fdt_place_unlock();
	return fd;
}

/* Contract: kind_internal.h. */
int kint_mark(int fd, int *owner, pthread_mutex_t *owner_lock)
{
	struct fdt_entry *e = NULL;
	int rc;

	if (owner) {
		struct kint *k;

		e = fdt_alloc(FDT_INTERNAL, &kint_ops, sizeof(*k));
		if (!e)
			return -ENOMEM;
		k = fdt_payload(e);
		k->owner = owner;
		k->owner_lock = owner_lock;
	}
	rc = fdt_set(fd, e, FDT_INTERNAL);
	fdt_put(e);
	return rc;
}

void kint_unmark(int fd)
{
	if (fdt_kind_of(fd) == FDT_INTERNAL)
		fdt_set(fd, NULL, 0);
}

/* Contract: kind_internal.h. */
int kint_adopt(int fd, int *owner, pthread_mutex_t *owner_lock)
{
	int saved = errno;

	fdt_place_lock();
	fd = kint_place_locked(fd);
	(void)kint_mark(fd, owner, owner_lock);
	if (owner)
		*owner = fd;
	fdt_place_unlock();
	errno = saved;
	return fd;
}

/* Contract: kind_internal.h. */
void kint_unmark_owned(int fd, int *owner)
{
	struct fdt_entry *e = fdt_get(fd);

	if (e && e->kind == FDT_INTERNAL &&
	    ((struct kint *)fdt_payload(e))->owner == owner)
		fdt_detach_if(fd, e);
	fdt_put(e);
}

/*
 * Move internal @fd (entry @e, taken from the table) to a new number and
 * tell its owner, under the owner's lock: the owner never sees a number
 * the program is about to reuse.  Returns 0 or -errno (@fd then stays).
 */
static int kint_move(int fd, struct fdt_entry *e)
{
	struct kint *k = fdt_payload(e);
	int nfd, rc = 0;

	if (k->owner_lock)
		fdt_mutex_lock(k->owner_lock);
	fdt_place_lock();
	nfd = real.fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0) {
		rc = -errno;
		(void)fdt_set(fd, e, FDT_INTERNAL);
	} else {
		nfd = kint_place_locked(nfd);
		*k->owner = nfd;
		(void)fdt_set(nfd, e, FDT_INTERNAL);
	}
	fdt_place_unlock();
	if (k->owner_lock)
		fdt_mutex_unlock(k->owner_lock);
	return rc;
}

/* Contract: kind_internal.h. */
int kint_evict(int fd)
{
	struct fdt_entry *e;
	int rc = 0;

	if (fdt_kind_of(fd) != FDT_INTERNAL)
		return 0;
	e = fdt_take(fd);
	if (e && ((struct kint *)fdt_payload(e))->owner) {
		rc = kint_move(fd, e);
		fdt_put(e);
		return rc;
	}
	fdt_put(e);
	if (fd == log_fd())
		log_close();
	return 0;
}

void kint_mark_epoll(int fd)
{
	(void)fdt_set(fd, NULL, FDT_EPOLL);
}
