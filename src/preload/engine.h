/* SPDX-License-Identifier: MIT */
/*
 * The handshake engine: drives the SOCKS handshakes of non-blocking sockets
 * on a lazily started thread with its own epoll, and hides the socket from
 * the program's poll/select/epoll until its handshake is over (the design
 * is explained at the top of engine.c and in libsocksify(8)).
 *
 * It knows nothing of socket kinds: it drives generic jobs (a client state
 * machine, an fd, the client's deadline, a completion callback).  The kind
 * that owns the job embeds it in its payload; the entry's lock guards it.
 */
#ifndef SOCKSIFY_PRELOAD_ENGINE_H
#define SOCKSIFY_PRELOAD_ENGINE_H

#include <stdbool.h>
#include <sys/epoll.h>

#include "preload/client.h"
#include "preload/fdtable.h"

/* A registration of the fd in a program's epoll set, held back. */
struct eng_reg {
	int epfd;
	struct epoll_event ev;
};
#define ENG_REGS_MAX 8

struct eng_job {
	struct fdt_entry *e; /* the owner: its lock guards the job */
	int fd;		     /* the program's fd; -1 once it closed it */
	/*
	 * The socket the handshake runs on: @fd itself (CONNECT on the
	 * program's socket, the default) or one of the kind's own (a UDP
	 * association's control connection, an internal fd).  In the second
	 * case the program's fd is not held: its epoll registrations stay
	 * and poll/select see it as the kernel does.
	 */
	int sock;
	struct client *cl; /* the handshake (its deadline counts) */
	/*
	 * Called by the engine with e->lock held when the handshake is over
	 * with @rc (0 or -errno), before the held registrations are given
	 * back and the stand-in fd is signalled: the kind sets its state and
	 * the fd's byte.  Returns the final rc (it may still fail).
	 */
	int (*done)(struct eng_job *j, int rc);
	bool active;	  /* the handshake runs (the engine or a thread) */
	bool in_engine;	  /* registered with the engine's epoll */
	bool orphaned;	  /* fork child: the parent's engine owns it; done()
			 * must only record the failure, not touch the fd */
	bool internal_fd; /* fd is the library's own (kint_mark, owner
			   * &j->fd), not the program's: no epoll sets to
			   * hold, and e->cookie is not its identity */
	int evfd; /* stand-in fd for poll/select: signalled at the end */
	struct eng_reg regs[ENG_REGS_MAX];
	int nregs;
	uint64_t id;	      /* its engine registrations' data (engine.c) */
	struct eng_job *next; /* the engine's list */
};

/*
 * Prepare @j of entry @e for fd @fd, client @cl and callback @done (not
 * yet active); the handshake runs on @fd (j->sock: set it afterwards for
 * a socket of the kind's own).  No syscall.
 */
void engine_job_init(struct eng_job *j, struct fdt_entry *e, int fd,
		     struct client *cl, int (*done)(struct eng_job *, int));

/*
 * Start the handshake of @j on a non-blocking socket whose fd is attached
 * with FDT_F_SUBST | FDT_F_INTERCEPT.  Takes the fd out of the program's
 * epoll sets, makes the first step inline (the TCP connect to the proxy)
 * and hands the rest to the engine thread.  Called without locks.
 * Returns 0 (in progress: the hook reports EINPROGRESS) or -errno when it
 * failed at once (then @j's done was called and the error is reported by
 * the caller).
 */
int engine_start(struct eng_job *j);

/*
 * Take over the handshake of @j that client_run() left half done on a
 * blocking socket (a signal, or the socket's SO_SNDTIMEO), waiting for
 * @want (CLIENT_WANT_*).  Same conditions as engine_start.  Returns 0 or
 * -errno (then nothing was taken over).
 */
int engine_adopt(struct eng_job *j, int want);

/*
 * Hold @j's fd the way a handshake does (its epoll registrations held
 * back, poll/select waiting on a stand-in fd) while another thread works
 * for it; the engine does not drive it.  That thread ends it with
 * engine_finish() under e->lock.  The fd must be attached with
 * FDT_F_SUBST | FDT_F_INTERCEPT.  Called without locks.  Returns 0 or
 * -errno (then nothing is held).
 */
int engine_park(struct eng_job *j);

/*
 * Take @j's fd out of the program's epoll sets and keep the registrations
 * in @j (before the socket behind the fd is replaced: the kernel drops a
 * registration with its socket).  engine_start/engine_adopt keep them and
 * give them back at completion; engine_give_regs() gives them back now.
 * Called without locks, before the entry is shared.
 */
void engine_take_regs(struct eng_job *j);
void engine_give_regs(struct eng_job *j);

/*
 * Finish @j with @rc (0 or -errno), called with e->lock held: the kind's
 * done callback, then the held-back epoll registrations are re-added and
 * the stand-in fd is signalled.  Returns the final rc.
 */
int engine_finish(struct eng_job *j, int rc);

/*
 * The program called epoll_ctl(@epfd, @op, fd, @ev) on the fd of @j while
 * its handshake runs: record it (applied at completion).  e->lock held.
 * Returns 0 or -errno as epoll_ctl would.
 */
int engine_record_ctl(struct eng_job *j, int epfd, int op,
		      const struct epoll_event *ev);

/*
 * The program closed the fd of @j (e->lock held): the engine forgets the
 * socket now and drops the job at its next turn.
 */
void engine_abandon(struct eng_job *j);

/* Remove every held registration made through @epfd (the program closed
 * it).  Safe to call for any fd. */
void engine_forget_epoll(int epfd);

/*
 * Wait until @j's handshake is over (a program that made the socket
 * blocking again mid-handshake).  Called with e->lock held; returns with
 * it held (released while waiting).
 */
void engine_wait(struct eng_job *j);

/*
 * Take @fd's registrations out of the program's epoll sets (read from
 * /proc: call without locks) into @regs (ENG_REGS_MAX of them at most);
 * returns how many.  engine_epoll_give() adds them back for whatever file
 * @fd names by then (a kind that replaces the socket behind the number).
 */
int engine_epoll_take(int fd, struct eng_reg *regs);
void engine_epoll_give(int fd, const struct eng_reg *regs, int n);

/* The engine's epoll fd, or -1 (tests only). */
int engine_epoll_fd(void);

/*
 * fork handlers (registered by hook_fork.c): the engine lock is held across
 * fork so no handshake step is half done; the engine thread does not
 * exist in a child and is started again on demand there.
 */
void engine_atfork_prepare(void);
void engine_atfork_parent(void);
void engine_atfork_child(void);

#endif
