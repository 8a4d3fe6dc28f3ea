/* SPDX-License-Identifier: MIT */
/*
 * The hooks' way into a managed fd's kind (fdt_ops.c): each call takes the
 * fd's entry, checks that it is still the socket behind the number, calls
 * the kind's operation under the entry's lock and lets go.  A fd with no
 * entry, or a kind without the operation, gets the "kernel's answer"
 * value documented for each.
 */
#ifndef SOCKSIFY_PRELOAD_FDT_OPS_H
#define SOCKSIFY_PRELOAD_FDT_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* Data calls: 0 to go ahead, or -errno (EAGAIN in handshake, an error
 * reported once). */
int fdt_op_gate(int fd, bool dontwait);
/* poll/select: the stand-in fd for @fd, or -1 (poll @fd itself). */
int fdt_op_subst_fd(int fd);
/* SO_ERROR: the value, or -1 (ask the kernel). */
int fdt_op_so_error(int fd);
/* getpeername: 0 (filled), 1 (ask the kernel), or -errno. */
int fdt_op_peername(int fd, struct sockaddr *sa, socklen_t *len);
/* getsockname: 0 (filled), 1 (ask the kernel), or -errno. */
int fdt_op_sockname(int fd, struct sockaddr *sa, socklen_t *len);
/*
 * connect() on a managed fd: 1 when it is to be routed as new (the fd is
 * then no longer managed), else the result (0 or -errno).
 */
int fdt_op_reconnect(int fd);
/* epoll_ctl on @fd: 1 to apply it, else the recorded result. */
int fdt_op_epoll_ctl(int fd, int epfd, int op, const struct epoll_event *ev);
/*
 * Data calls on an fd with FDT_F_INTERCEPT, as one message: the count,
 * -errno, or FDT_OP_PASS (no entry, or the kind lets the kernel do it).
 * The kind's operation runs without the entry's lock (it may block).
 */
ssize_t fdt_op_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t fdt_op_recvmsg(int fd, struct msghdr *msg, int flags);
/*
 * The program changed @fd's file status flags (@level -1) or the socket
 * option @level/@name, successfully: the kind refreshes what it keeps of
 * them.  Call it only for an fd with FDT_F_INTERCEPT.  Does nothing in a
 * signal handler that interrupted the library (fdt_locks_held).
 */
void fdt_op_settings(int fd, int level, int name);
/* @newfd became a duplicate of managed @fd: the byte it gets. */
uint8_t fdt_op_dup(int fd, int newfd, uint8_t byte);
/*
 * The program closed or replaces @fd: detach its entry and tell the kind.
 * Safe in a signal handler that interrupted library code (then the entry
 * is left to be found stale later).
 */
void fdt_op_forget(int fd);

#endif
