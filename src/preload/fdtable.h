/* SPDX-License-Identifier: MIT */
/*
 * The registry of the fds the library manages: one entry per socket kind.
 *
 * Two arrays indexed by fd:
 *   - a byte per fd: 0 for "not ours" (the fast path: one relaxed atomic
 *     load, no lock, no syscall, no allocation), else the kind of the fd
 *     plus two independent flags:
 *       FDT_F_SUBST      poll/select/epoll must not see the kernel's answer
 *                        yet (a handshake runs: the kind gives a stand-in
 *                        fd that becomes readable when it is over);
 *       FDT_F_INTERCEPT  the read/write/send/recv family must go through
 *                        the kind's gate (a handshake to wait for or an
 *                        error to report once; later an associated UDP
 *                        socket or a GSS-API-protected stream).
 *     A TCP socket simply connected through a proxy has neither flag: the
 *     program's data calls and polls go straight to libc.  A static array
 *     covering FDT_BYTES_MAX fds: untouched pages of .bss cost no memory,
 *     it reads "not ours" even before init, and a look-up needs no pointer
 *     or bound loaded from memory;
 *   - a pointer per fd to a refcounted struct fdt_entry, sized once from
 *     RLIMIT_NOFILE (fds beyond it are never ours).
 *
 * An entry is a header (kind, operations, lock, the socket's identity)
 * followed by its kind's payload; each kind lives in its own file
 * (kind_tcp.c: outbound TCP through a proxy; kind_udp.c with udp_assoc.c
 * and udp_io.c: UDP routed per datagram, through UDP ASSOCIATE;
 * kind_internal.c: the library's own fds and the program's epoll sets;
 * kind_raw.c: IP sockets SOCKS cannot carry, allowed by a raw route;
 * kind_listen.c: a listener behind a SOCKS BIND; UDP associations slot
 * in the same way) and the hooks
 * reach it only through struct fdt_ops.
 *
 * Locks, in the only order they are ever nested: engine_lock (engine.c)
 * -> an entry's lock -> the placement lock -> the table lock -> leaf locks
 * (proxy_addr.c).  No lock is held across blocking
 * I/O or a /proc read.  Every one of them is taken through the helpers
 * below, which count the locks this thread holds (fdt_locks_held) so that
 * a hook entered from a signal handler never waits for a lock its own
 * thread holds; fork takes them all (fdt_atfork_*).
 */
#ifndef SOCKSIFY_PRELOAD_FDTABLE_H
#define SOCKSIFY_PRELOAD_FDTABLE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>

enum fdt_kind {
	FDT_NONE = 0,
	FDT_TCP = 1,	  /* TCP CONNECT through a proxy (kind_tcp.c) */
	FDT_LISTEN = 2,	  /* listener behind a SOCKS BIND (kind_listen.c) */
	FDT_UDP = 3,	  /* a UDP socket: routed per datagram (kind_udp.c) */
	FDT_INTERNAL = 4, /* the library's own fd (kind_internal.c) */
	FDT_EPOLL = 5,	  /* an epoll instance of the program */
	FDT_RAW = 6	  /* raw, ICMP, SCTP...: allowed by a raw route */
};
#define FDT_KIND_MASK 0x0f
#define FDT_F_SUBST 0x10
#define FDT_F_INTERCEPT 0x20

struct fdt_entry;

/*
 * What a kind does for the hooks.  Every operation is optional (NULL: the
 * kernel's answer stands) and is called with e->lock held (except the
 * data operations sendmsg/recvmsg), after fdt_still_ours() said the entry
 * is still the socket behind @fd.
 */
struct fdt_ops {
	const char *name;
	/* Free what the payload owns (the last reference went; no lock). */
	void (*destroy)(struct fdt_entry *e);
	/* The program closed or replaced @fd, or its number was found
	 * reused (the entry is already detached from @fd). */
	void (*forget)(struct fdt_entry *e, int fd);
	/* Data calls on an fd with FDT_F_INTERCEPT: 0 to let the real call
	 * go ahead, or -errno.  May unlock and relock e->lock to wait
	 * (returns -EAGAIN-like codes otherwise); @dontwait: MSG_DONTWAIT. */
	int (*gate)(struct fdt_entry *e, int fd, bool dontwait);
	/* poll/select with FDT_F_SUBST: the fd to wait on instead (readable
	 * when the kernel's answer for @fd counts again), or -1. */
	int (*subst_fd)(struct fdt_entry *e, int fd);
	/* getsockopt(SO_ERROR): the value, or -1 for the kernel's. */
	int (*so_error)(struct fdt_entry *e, int fd);
	/* getpeername: 0 (filled), 1 (the kernel's), or -errno. */
	int (*peername)(struct fdt_entry *e, int fd, struct sockaddr *sa,
			socklen_t *len);
	/* getsockname: 0 (filled), 1 (the kernel's), or -errno. */
	int (*sockname)(struct fdt_entry *e, int fd, struct sockaddr *sa,
			socklen_t *len);
	/* connect() on an fd of this kind: 1 when it is to be routed as a
	 * new connection, else the result (0 or -errno). */
	int (*reconnect)(struct fdt_entry *e, int fd);
	/* epoll_ctl(@epfd, @op, @fd, @ev) while FDT_F_SUBST: 1 to apply it,
	 * else the result (recorded: 0 or -errno as epoll_ctl would). */
	int (*epoll_ctl)(struct fdt_entry *e, int fd, int epfd, int op,
			 const struct epoll_event *ev);
	/* dup/dup2/dup3/F_DUPFD made @newfd a duplicate of @fd (byte
	 * @byte): the byte @newfd gets (without: the kind alone, no flag). */
	uint8_t (*dup)(struct fdt_entry *e, int fd, int newfd, uint8_t byte);
	/* The program changed @fd's file status flags (F_SETFL, FIONBIO)
	 * or a socket option (setsockopt @level/@name): for a kind that
	 * keeps a copy of them.  @level -1: the file status flags. */
	void (*settings)(struct fdt_entry *e, int fd, int level, int name);
	/*
	 * The data calls of an fd with FDT_F_INTERCEPT, as one message
	 * (read/recv/recvfrom/readv are recvmsg; write/send/sendto/writev
	 * sendmsg).  Unlike the others these are called WITHOUT e->lock
	 * (they may block; they take it for their state), with a reference
	 * held, and before fdt_still_ours() (a system call: the kind
	 * checks it as often as it must).  They return the count, -errno, or FDT_OP_PASS when the
	 * kernel is to do the call as the program made it.
	 */
	ssize_t (*sendmsg)(struct fdt_entry *e, int fd,
			   const struct msghdr *msg, int flags);
	ssize_t (*recvmsg)(struct fdt_entry *e, int fd, struct msghdr *msg,
			   int flags);
};

/* A data operation's "let the kernel do it" (never a count). */
#define FDT_OP_PASS ((ssize_t)1 << 40)

struct fdt_entry {
	atomic_int refs;
	uint8_t kind;
	const struct fdt_ops *ops;
	pthread_mutex_t lock; /* guards the payload; no blocking I/O under it */
	uint64_t cookie;      /* SO_COOKIE of the socket, 0: unknown */
	struct fdt_entry *defer_next; /* fdt_put_deferred's list */
	/* The kind's payload (fdt_payload). */
	_Alignas(max_align_t) unsigned char payload[];
};

static inline void *fdt_payload(struct fdt_entry *e)
{
	return e->payload;
}

/* Size the table from RLIMIT_NOFILE (once, from socksify_init; no malloc:
 * the slots come with the first fdt_set of an entry).  Returns 0. */
int fdt_init(void);

/* Fds beyond this are never managed (the table's hard cap). */
#define FDT_BYTES_MAX (1u << 20)
extern _Atomic uint8_t fdt_bytes[FDT_BYTES_MAX]
	__attribute__((visibility("hidden")));
/* Fds below fdt_cap (<= FDT_BYTES_MAX) can be managed: slots exist. */
extern atomic_uint fdt_cap;

/*
 * The fast path: the byte of @fd (0 = not ours).  No lock, no syscall, and
 * no ordering: a compare with a constant and one byte load (relaxed: the
 * byte alone decides; callers that act on a non-zero byte take the table
 * lock).  Valid before fdt_init() (all zero).
 */
static inline uint8_t fdt_peek(int fd)
{
	if (__builtin_expect((unsigned)fd >= FDT_BYTES_MAX, 0))
		return 0;
	return atomic_load_explicit(&fdt_bytes[fd], memory_order_relaxed);
}

static inline uint8_t fdt_kind_of(int fd)
{
	return fdt_peek(fd) & FDT_KIND_MASK;
}

/* True while any fd is managed (cheap test before scanning). */
extern atomic_uint fdt_nmanaged;
/* Number of fds with FDT_F_SUBST: poll/select scan nothing while 0. */
extern atomic_uint fdt_nsubst;
/* Highest fd that was ever marked, for bounded scans. */
extern atomic_int fdt_maxfd;

/*
 * A new entry of @kind with @ops and @payload bytes of zeroed payload,
 * holding one reference (the caller's), or NULL.
 */
struct fdt_entry *fdt_alloc(uint8_t kind, const struct fdt_ops *ops,
			    size_t payload);
/* Take a reference on @fd's entry (NULL if none). */
struct fdt_entry *fdt_get(int fd);
void fdt_ref(struct fdt_entry *e);
/* Drop a reference; the last one frees the entry and its resources. */
void fdt_put(struct fdt_entry *e);
/*
 * fdt_put() for paths that may run in a signal handler (close): the last
 * reference queues the entry instead of freeing it (free() is not
 * async-signal-safe); the queue is emptied by the next fdt_alloc().
 */
void fdt_put_deferred(struct fdt_entry *e);

/*
 * Attach @e (a new reference is taken) to @fd with byte @byte, replacing
 * (and dropping) what was there.  Returns 0, or -EMFILE when @fd lies
 * beyond the table.
 */
int fdt_set(int fd, struct fdt_entry *e, uint8_t byte);
/*
 * fdt_set() for an entry whose socket was identified earlier (e->cookie):
 * if the program closed @fd meanwhile and its number now names another
 * socket, nothing is attached (a stale mark would hide the new socket
 * from the hooks) and -EBADF is returned.
 */
int fdt_attach(int fd, struct fdt_entry *e, uint8_t byte);
/* Change @fd's byte (keeps the entry). */
void fdt_set_byte(int fd, uint8_t byte);
/* Detach @fd; returns its entry (the table's reference passes to the
 * caller) or NULL. */
struct fdt_entry *fdt_take(int fd);
/* Detach @fd only if it still holds @e (drops the table's reference). */
void fdt_detach_if(int fd, struct fdt_entry *e);

/* The kernel's identity of the socket behind @fd (SO_COOKIE), 0 if none. */
uint64_t fdt_socket_cookie(int fd);

/*
 * Is @e (e->lock held, caller holds a reference) still the socket behind
 * @fd?  The program may have closed it where no hook sees it (fclose() of
 * an fdopen()ed socket closes inside libc; a signal handler's close while
 * this thread held a lock) and got the number again for another socket.
 * If not, @e is detached from @fd and told so (ops->forget).
 */
bool fdt_still_ours(struct fdt_entry *e, int fd);

/*
 * Take @fd's entry with its lock held, if it is still the socket behind
 * @fd (fdt_get + fdt_lock + fdt_still_ours), else NULL.  Release with
 * fdt_release().
 */
struct fdt_entry *fdt_acquire(int fd);
void fdt_release(struct fdt_entry *e);

/* An entry's lock, counted in fdt_locks_held. */
void fdt_lock(struct fdt_entry *e);
void fdt_unlock(struct fdt_entry *e);
/* Any library mutex, counted the same way (engine_lock and others). */
void fdt_mutex_lock(pthread_mutex_t *m);
void fdt_mutex_unlock(pthread_mutex_t *m);
/* Library locks this thread holds now: non-zero in a signal handler that
 * interrupted library code (then no library lock may be waited for). */
extern __thread int fdt_locks_held;

/*
 * The placement lock: held while an internal fd is made (its number taken
 * and marked, kind_internal.c) and while close_range()/closefrom() cut
 * their range around internal fds, so that neither sees the other half
 * done.  Nested under entry locks and engine_lock, over the table lock.
 */
void fdt_place_lock(void);
void fdt_place_unlock(void);

/*
 * vfork: a vfork()ed child shares the parent's memory until it execs, so
 * its close/dup2 must not edit the table.  True in such a child (a
 * getpid system call: only on paths that change the table).
 */
bool fdt_in_vfork_child(void);

/* fork: every library lock is taken before and released after. */
void fdt_atfork_prepare(void);
void fdt_atfork_parent(void);
void fdt_atfork_child(void);

#endif
