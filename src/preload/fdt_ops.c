// SPDX-License-Identifier: MIT
/* Dispatch from the hooks to a managed fd's kind (fdt_ops.h). */
#include "config.h"

#include <errno.h>

#include "preload/engine.h"
#include "preload/fdt_ops.h"
#include "preload/fdtable.h"

/* The entry of @fd, locked and still ours, with the operation @op. */
#define FDT_OP_ACQUIRE(e, fd, op) \
	((e = fdt_acquire(fd)) != NULL && (e->ops->op || (fdt_release(e), 0)))

int fdt_op_gate(int fd, bool dontwait)
{
	struct fdt_entry *e;
	int rc;

	if (!FDT_OP_ACQUIRE(e, fd, gate))
		return 0;
	rc = e->ops->gate(e, fd, dontwait);
	fdt_release(e);
	return rc;
}

int fdt_op_subst_fd(int fd)
{
	struct fdt_entry *e;
	int rc;

	if (!FDT_OP_ACQUIRE(e, fd, subst_fd))
		return -1;
	rc = e->ops->subst_fd(e, fd);
	fdt_release(e);
	return rc;
}

int fdt_op_so_error(int fd)
{
	struct fdt_entry *e;
	int rc;

	if (!FDT_OP_ACQUIRE(e, fd, so_error))
		return -1;
	rc = e->ops->so_error(e, fd);
	fdt_release(e);
	return rc;
}

int fdt_op_peername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct fdt_entry *e;
	int rc;

	if (!FDT_OP_ACQUIRE(e, fd, peername))
		return 1;
	rc = e->ops->peername(e, fd, sa, len);
	fdt_release(e);
	return rc;
}

int fdt_op_sockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct fdt_entry *e;
	int rc;

	if (!FDT_OP_ACQUIRE(e, fd, sockname))
		return 1;
	rc = e->ops->sockname(e, fd, sa, len);
	fdt_release(e);
	return rc;
}

int fdt_op_reconnect(int fd)
{
	struct fdt_entry *e;
	int rc;

	if (!FDT_OP_ACQUIRE(e, fd, reconnect))
		return 1;
	rc = e->ops->reconnect(e, fd);
	if (rc == 1)
		fdt_detach_if(fd, e);
	fdt_release(e);
	return rc;
}

int fdt_op_epoll_ctl(int fd, int epfd, int op, const struct epoll_event *ev)
{
	struct fdt_entry *e;
	int rc;

	if (!FDT_OP_ACQUIRE(e, fd, epoll_ctl))
		return 1;
	rc = e->ops->epoll_ctl(e, fd, epfd, op, ev);
	fdt_release(e);
	return rc;
}

/*
 * The entry of @fd with the data operation (sendmsg or recvmsg), with a
 * reference and no lock.  Whether it is still the socket behind @fd
 * (fdt_still_ours: a system call) is the operation's to check, as often
 * as its kind needs: data calls are the hot path.
 */
static struct fdt_entry *fdt_op_data_entry(int fd, bool send)
{
	struct fdt_entry *e = fdt_get(fd);

	if (e && !(send ? (void *)e->ops->sendmsg : (void *)e->ops->recvmsg)) {
		fdt_put(e);
		return NULL;
	}
	return e;
}

/* Contract: fdt_ops.h. */
ssize_t fdt_op_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct fdt_entry *e = fdt_op_data_entry(fd, true);
	ssize_t rc;

	if (!e)
		return FDT_OP_PASS;
	rc = e->ops->sendmsg(e, fd, msg, flags);
	fdt_put(e);
	return rc;
}

/* Contract: fdt_ops.h. */
ssize_t fdt_op_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct fdt_entry *e = fdt_op_data_entry(fd, false);
	ssize_t rc;

	if (!e)
		return FDT_OP_PASS;
	rc = e->ops->recvmsg(e, fd, msg, flags);
	fdt_put(e);
	return rc;
}

/* Contract: fdt_ops.h. */
void fdt_op_settings(int fd, int level, int name)
{
	struct fdt_entry *e;

	/* In a signal handler that interrupted library code no lock may be
	 * waited for: the kind's periodic refresh catches up then. */
	if (fdt_locks_held || !FDT_OP_ACQUIRE(e, fd, settings))
		return;
	e->ops->settings(e, fd, level, name);
	fdt_release(e);
}

/* Contract: fdt_ops.h. */
uint8_t fdt_op_dup(int fd, int newfd, uint8_t byte)
{
	struct fdt_entry *e;
	uint8_t b;

	if (!FDT_OP_ACQUIRE(e, fd, dup))
		return byte & FDT_KIND_MASK;
	b = e->ops->dup(e, fd, newfd, byte);
	fdt_release(e);
	return b;
}

/* Contract: fdt_ops.h. */
void fdt_op_forget(int fd)
{
	struct fdt_entry *e;

	if (fdt_locks_held) {
		/*
		 * A signal handler interrupted this thread inside the
		 * library: waiting for a lock it holds would never end.  The
		 * entry stays; its socket cookie tells it is stale when the
		 * number is next used (fdt_still_ours).
		 */
		return;
	}
	if (fdt_kind_of(fd) == FDT_EPOLL) {
		fdt_put_deferred(fdt_take(fd));
		engine_forget_epoll(fd);
		return;
	}
	e = fdt_take(fd);
	if (!e)
		return;
	if (e->ops && e->ops->forget) {
		fdt_lock(e);
		e->ops->forget(e, fd);
		fdt_unlock(e);
	}
	fdt_put_deferred(e);
}
