/* SPDX-License-Identifier: MIT */
/*
 * Per-fd state of the library.
 *
 * Two arrays indexed by fd:
 *   - a byte per fd: 0 for "not ours" (the fast path: one relaxed atomic
 *     load, no lock, no syscall, no allocation), else the kind of the fd
 *     plus flags.  A static array covering FDT_BYTES_MAX fds: untouched
 *     pages of .bss cost no memory, it reads "not ours" even before init,
 *     and a look-up needs no pointer or bound loaded from memory;
 *   - a pointer per fd to a refcounted struct fdt_entry, sized once from
 *     RLIMIT_NOFILE at init (fds beyond it are never ours).
 * The table mutex guards mutation of both and taking a reference; it is
 * never held across I/O.  An entry's own mutex guards its union.
 *
 * Kinds: TCP CONNECT through a proxy (this issue), BIND listener and UDP
 * association (later issues: their state joins the union), internal fds
 * of the library (protected from the program's close/dup2/close_range),
 * and epoll instances the program created (so that registrations of a
 * socket can be found when its handshake starts).
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

#include "common/net.h"
#include "preload/client.h"

enum fdt_kind {
	FDT_NONE = 0,
	FDT_TCP = 1,	  /* TCP CONNECT through a proxy */
	FDT_LISTEN = 2,	  /* BIND listener (later issue) */
	FDT_UDP = 3,	  /* a UDP socket: destinations are route-checked */
	FDT_INTERNAL = 4, /* the library's own fd */
	FDT_EPOLL = 5,	  /* an epoll instance of the program */
	FDT_RAW = 6	  /* raw, ICMP, SCTP...: allowed by a raw route */
};
#define FDT_KIND_MASK 0x0f
/* Data and poll hooks must look closer (handshake or unreported error). */
#define FDT_F_SLOW 0x10

enum conn_state {
	CONN_HANDSHAKE, /* the driver owns the socket */
	CONN_OK,	/* tunnel up: the program owns it */
	CONN_FAILED,	/* err not yet reported */
	CONN_REPORTED,	/* failure reported once (SO_ERROR, I/O or connect) */
	CONN_CLOSED	/* the program closed its fd */
};

/* A registration of the fd in a program's epoll set, held back. */
struct conn_reg {
	int epfd;
	struct epoll_event ev;
};
#define CONN_REGS_MAX 8

/* A TCP connection through a proxy. */
struct conn {
	int fd;		 /* the program's fd; -1 once closed */
	uint64_t cookie; /* SO_COOKIE of the socket, 0: unknown */
	enum conn_state state;
	int err;		     /* positive errno when FAILED */
	bool nonblock;		     /* handshake runs on the engine */
	bool in_engine;		     /* registered with the engine epoll */
	struct sockaddr_storage dst; /* what the program connected to */
	socklen_t dstlen;
	struct client cl;
	int evfd; /* eventfd signalled at completion */
	struct conn_reg regs[CONN_REGS_MAX];
	int nregs;
	uint8_t *early; /* MSG_FASTOPEN data sent after the reply */
	size_t nearly;
	struct fdt_entry *next; /* engine's list of handshakes */
};

struct fdt_entry {
	atomic_int refs;
	uint8_t kind;
	pthread_mutex_t lock; /* guards the union; no blocking I/O under it */
	union {
		struct conn tcp;
		/* FDT_INTERNAL: where the library keeps the fd number, so
		 * that it can be moved when the program dup2()s onto it. */
		struct {
			int *owner;
		} internal;
		/* FDT_UDP: the last destination checked and its verdict,
		 * so that datagrams to the same peer walk no rules. */
		struct {
			bool valid;
			struct net_ip ip;
			uint16_t port;
			int verdict; /* 0 (direct) or -errno */
		} udp;
		/* FDT_LISTEN (BIND) state joins here. */
	} u;
};

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

/* True while any fd is managed (cheap test before scanning). */
extern atomic_uint fdt_nmanaged;
/* Number of fds with FDT_F_SLOW: poll/select scan nothing while 0. */
extern atomic_uint fdt_nslow;
/* Highest fd that was ever marked, for bounded scans. */
extern atomic_int fdt_maxfd;

/* A new entry of @kind with one reference (the caller's), or NULL. */
struct fdt_entry *fdt_alloc(uint8_t kind);
/* Take a reference on @fd's entry (NULL if none). */
struct fdt_entry *fdt_get(int fd);
void fdt_ref(struct fdt_entry *e);
/* Drop a reference; the last one frees the entry and its resources. */
void fdt_put(struct fdt_entry *e);

/*
 * Attach @e (a new reference is taken) to @fd with byte @byte, replacing
 * (and dropping) what was there.  Returns 0, or -EMFILE when @fd lies
 * beyond the table.
 */
int fdt_set(int fd, struct fdt_entry *e, uint8_t byte);
/* Change @fd's byte (keeps the entry). */
void fdt_set_byte(int fd, uint8_t byte);
/* Detach @fd; returns its entry (the table's reference passes to the
 * caller) or NULL. */
struct fdt_entry *fdt_take(int fd);

/* The kernel's identity of the socket behind @fd (SO_COOKIE), 0 if none. */
uint64_t fdt_socket_cookie(int fd);

/*
 * Is connection @e (e->lock held, caller holds a reference) still the
 * socket behind @fd?  The program may have closed it where no hook sees
 * it (fclose() of an fdopen()ed socket closes inside libc) and got the
 * number again for another socket.  If not, @e is detached from @fd and
 * marked CONN_CLOSED, and the fd is no longer ours.
 */
bool conn_still_ours(struct fdt_entry *e, int fd);

/*
 * Internal fds: the library's own, protected from the program.  @owner
 * (may be NULL) is where the library keeps the number: when the program
 * wants that number (dup2/dup3 onto it), fdt_internal_evict() moves the fd
 * to a new number and updates *@owner.
 */
int fdt_mark_internal(int fd);
int fdt_mark_internal_owned(int fd, int *owner);
void fdt_unmark_internal(int fd);
/*
 * Make fd number @fd free for the program (it is about to be replaced).
 * Internal fds with an owner move; others are released (the log file
 * falls back to stderr).  Returns 0 or -errno.
 */
int fdt_internal_evict(int fd);

/* Epoll instances of the program. */
void fdt_mark_epoll(int fd);

/* fork: keep the table mutex sane in the child. */
void fdt_atfork_prepare(void);
void fdt_atfork_parent(void);
void fdt_atfork_child(void);

#endif
