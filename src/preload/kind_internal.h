/* SPDX-License-Identifier: MIT */
/*
 * Two bookkeeping kinds of the registry (kind_internal.c):
 *
 * FDT_INTERNAL, the library's own fds (log file, eventfds, the engine's
 * epoll; later UDP control connections), protected from the program: its
 * close() keeps them open, close_range()/closefrom() skip them, dup2()
 * onto one moves the library's fd elsewhere first.  They are placed high
 * (kint_place), away from 0-2 and from the numbers a program reuses.
 *
 * FDT_EPOLL, the program's epoll instances, so that a socket's existing
 * registrations can be found when its handshake starts (engine.c).
 */
#ifndef SOCKSIFY_PRELOAD_KIND_INTERNAL_H
#define SOCKSIFY_PRELOAD_KIND_INTERNAL_H

#include <pthread.h>

/*
 * Make the library's new fd @fd internal: moved to a high number
 * (close-on-exec; never 0-2, @fd itself when no higher one is free) and
 * marked, both under the placement lock so that no close_range() of the
 * program sees it half made.  @owner (may be NULL) is where the library
 * keeps the number (set here) and @owner_lock (may be NULL, else held by
 * the caller) the lock that guards it: when the program wants that number
 * (dup2/dup3 onto it), kint_evict() moves the fd and updates *@owner under
 * @owner_lock.  Returns the fd's number.  errno preserved.
 */
int kint_adopt(int fd, int *owner, pthread_mutex_t *owner_lock);

/* Move a new fd high (as kint_adopt, without marking it; the log file). */
int kint_place(int fd);

/* Mark @fd internal (see kint_adopt).  Returns 0 or -errno. */
int kint_mark(int fd, int *owner, pthread_mutex_t *owner_lock);
void kint_unmark(int fd);
/* kint_unmark() only if @fd is still marked for @owner. */
void kint_unmark_owned(int fd, int *owner);

/*
 * Make fd number @fd free for the program (it is about to be replaced).
 * Internal fds with an owner move; others are released (the log file
 * falls back to stderr).  Called without library locks.  Returns 0 or
 * -errno.
 */
int kint_evict(int fd);

/* An epoll instance of the program. */
void kint_mark_epoll(int fd);

#endif
