/* SPDX-License-Identifier: MIT */
/*
 * The typed table of the libc functions the library interposes, bound once
 * with dlsym(RTLD_NEXT) under pthread_once (real_init()).  Library code calls
 * real.connect(...) and never the public name, which would re-enter a hook.
 *
 * REAL_SYMS lists every symbol once: X(required, return type, name, params).
 * "required" symbols abort init with a message if missing; optional ones may
 * be NULL (e.g. close_range on an old glibc) and callers check.
 */
#ifndef SOCKSIFY_PRELOAD_REAL_H
#define SOCKSIFY_PRELOAD_REAL_H

#include <netdb.h>
#include <poll.h>
#include <resolv.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#define REAL_SYMS(X)                                                          \
	X(1, int, socket, (int, int, int))                                    \
	X(1, int, connect, (int, const struct sockaddr *, socklen_t))         \
	X(1, int, bind, (int, const struct sockaddr *, socklen_t))            \
	X(1, int, listen, (int, int))                                         \
	X(1, int, accept, (int, struct sockaddr *, socklen_t *))              \
	X(1, int, accept4, (int, struct sockaddr *, socklen_t *, int))        \
	X(1, int, getsockname, (int, struct sockaddr *, socklen_t *))         \
	X(1, int, getpeername, (int, struct sockaddr *, socklen_t *))         \
	X(1, ssize_t, send, (int, const void *, size_t, int))                 \
	X(1, ssize_t, recv, (int, void *, size_t, int))                       \
	X(1, ssize_t, sendto,                                                 \
	  (int, const void *, size_t, int, const struct sockaddr *,           \
	   socklen_t))                                                        \
	X(1, ssize_t, recvfrom,                                               \
	  (int, void *, size_t, int, struct sockaddr *, socklen_t *))         \
	X(1, ssize_t, sendmsg, (int, const struct msghdr *, int))             \
	X(1, ssize_t, recvmsg, (int, struct msghdr *, int))                   \
	X(1, int, sendmmsg, (int, struct mmsghdr *, unsigned int, int))       \
	X(1, int, recvmmsg,                                                   \
	  (int, struct mmsghdr *, unsigned int, int, struct timespec *))      \
	X(1, ssize_t, read, (int, void *, size_t))                            \
	X(1, ssize_t, write, (int, const void *, size_t))                     \
	X(1, ssize_t, readv, (int, const struct iovec *, int))                \
	X(1, ssize_t, writev, (int, const struct iovec *, int))               \
	X(1, int, getsockopt, (int, int, int, void *, socklen_t *))           \
	X(1, int, setsockopt, (int, int, int, const void *, socklen_t))       \
	X(1, int, ioctl, (int, unsigned long, ...))                           \
	X(1, int, close, (int))                                               \
	X(1, int, dup, (int))                                                 \
	X(0, int, close_range, (unsigned int, unsigned int, int))             \
	X(1, int, dup2, (int, int))                                           \
	X(1, int, dup3, (int, int, int))                                      \
	X(1, int, fcntl, (int, int, ...))                                     \
	X(0, int, fcntl64, (int, int, ...))                                   \
	X(1, long, syscall, (long, ...))                                      \
	X(1, int, select,                                                     \
	  (int, fd_set *, fd_set *, fd_set *, struct timeval *))              \
	X(1, int, pselect,                                                    \
	  (int, fd_set *, fd_set *, fd_set *, const struct timespec *,        \
	   const sigset_t *))                                                 \
	X(1, int, poll, (struct pollfd *, nfds_t, int))                       \
	X(1, int, ppoll,                                                      \
	  (struct pollfd *, nfds_t, const struct timespec *,                  \
	   const sigset_t *))                                                 \
	X(1, int, epoll_create, (int))                                        \
	X(1, int, epoll_create1, (int))                                       \
	X(1, int, epoll_ctl, (int, int, int, struct epoll_event *))           \
	X(1, int, epoll_wait, (int, struct epoll_event *, int, int))          \
	X(1, int, epoll_pwait,                                                \
	  (int, struct epoll_event *, int, int, const sigset_t *))            \
	X(0, int, epoll_pwait2,                                               \
	  (int, struct epoll_event *, int, const struct timespec *,           \
	   const sigset_t *))                                                 \
	X(1, pid_t, fork, (void))                                             \
	X(1, int, getaddrinfo,                                                \
	  (const char *, const char *, const struct addrinfo *,               \
	   struct addrinfo **))                                               \
	X(1, void, freeaddrinfo, (struct addrinfo *))                         \
	X(1, int, getnameinfo,                                                \
	  (const struct sockaddr *, socklen_t, char *, socklen_t, char *,     \
	   socklen_t, int))                                                   \
	X(1, struct hostent *, gethostbyname, (const char *))                 \
	X(1, struct hostent *, gethostbyname2, (const char *, int))           \
	X(1, int, gethostbyname_r,                                            \
	  (const char *, struct hostent *, char *, size_t, struct hostent **, \
	   int *))                                                            \
	X(1, int, gethostbyname2_r,                                           \
	  (const char *, int, struct hostent *, char *, size_t,               \
	   struct hostent **, int *))                                         \
	X(1, struct hostent *, gethostbyaddr, (const void *, socklen_t, int)) \
	X(1, int, gethostbyaddr_r,                                            \
	  (const void *, socklen_t, int, struct hostent *, char *, size_t,    \
	   struct hostent **, int *))                                         \
	X(0, int, res_query, (const char *, int, int, unsigned char *, int))  \
	X(0, int, res_search, (const char *, int, int, unsigned char *, int)) \
	X(0, int, res_querydomain,                                            \
	  (const char *, const char *, int, int, unsigned char *, int))       \
	X(0, int, res_send,                                                   \
	  (const unsigned char *, int, unsigned char *, int))                 \
	X(0, int, res_nquery,                                                 \
	  (res_state, const char *, int, int, unsigned char *, int))          \
	X(0, int, res_nsearch,                                                \
	  (res_state, const char *, int, int, unsigned char *, int))          \
	X(0, int, res_nquerydomain,                                           \
	  (res_state, const char *, const char *, int, int, unsigned char *,  \
	   int))                                                              \
	X(0, int, res_nsend,                                                  \
	  (res_state, const unsigned char *, int, unsigned char *, int))      \
	X(0, int, getaddrinfo_a,                                              \
	  (int, struct gaicb **, int, struct sigevent *))                     \
	X(0, int, gai_suspend,                                                \
	  (const struct gaicb *const *, int, const struct timespec *))        \
	X(0, int, gai_cancel, (struct gaicb *))

#define REAL_MEMBER(req, ret, name, params) ret(*name) params;
struct real_syms {
	REAL_SYMS(REAL_MEMBER)
};
#undef REAL_MEMBER

/* Hidden in the declaration too: hooks load real.x PC-relative, not
 * through the GOT (one instruction less on the fast path). */
extern struct real_syms real __attribute__((visibility("hidden")));

/*
 * Bind every symbol once (pthread_once).  Safe to call from any hook, any
 * number of times.  A missing required symbol is reported on stderr and
 * the process is left as it would be without the library where possible.
 */
void real_init(void);

#endif
