/* SPDX-License-Identifier: MIT */
/*
 * The SOCKS client handshake driver: a non-blocking state machine over the
 * pure codec (include/proto).  It connects the program's own socket to a
 * proxy (trying the route's proxies in order while none could be reached),
 * then speaks SOCKS4, SOCKS4A or SOCKS5 (no-auth, RFC 1929):
 *
 *   CONNECT -> CONNECTING -> v5: SEND greeting -> METHOD
 *                                 [-> SEND auth -> AUTH] -> SEND request
 *                                 -> REPLY -> DONE
 *                            v4: SEND request -> REPLY4 -> DONE
 *
 * client_step() does all the I/O it can without blocking and says what it
 * waits for; the caller waits (inline with poll for blocking sockets, or the
 * engine thread's epoll for non-blocking ones) and calls it again.  One
 * function (client_set_state) owns every transition.  Partial I/O is data:
 * the output buffer and offset, the input buffer and the number of bytes the
 * current message still needs.  Replies are read exactly, never past their
 * end, so data the destination sends right after the reply stays in the
 * socket for the program.
 *
 * The command is a field so that BIND (two replies) and UDP ASSOCIATE
 * (a kept control connection) become further commands of the same driver.
 * BIND: the handshake ends (CLIENT_DONE, c->bnd = where the proxy listens)
 * at the first reply; client_bind_wait() then makes the same state machine
 * read the second reply (c->bnd = the peer that connected).
 */
#ifndef SOCKSIFY_PRELOAD_CLIENT_H
#define SOCKSIFY_PRELOAD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "conf/conf.h"
#include "proto/proto.h"

enum client_state {
	CL_CONNECT,    /* start a TCP connect to proxies[idx] */
	CL_CONNECTING, /* TCP connect in progress */
	CL_SEND,       /* writing out[off..len], then go to c->after_send */
	CL_METHOD,     /* v5: reading the method selection (2 bytes) */
	CL_AUTH,       /* v5: reading the RFC 1929 status (2 bytes) */
	CL_REPLY,      /* v5: reading the reply (4 + address) */
	CL_REPLY4,     /* v4: reading the 8-byte reply */
	CL_DONE,
	CL_FAILED
};

/* What client_step() waits for (or CLIENT_DONE). */
enum client_want {
	CLIENT_DONE = 0,
	CLIENT_WANT_READ = 1,
	CLIENT_WANT_WRITE = 2
};

/* >= AUTH1929_REQUEST_MAX, SOCKS4_REQUEST_MAX; and a pipelined greeting,
 * RFC 1929 request and SOCKS5 request together (3 + 513 + 262). */
#define CLIENT_BUF 1024

struct client {
	enum client_state state;
	enum client_state after_send;
	uint8_t cmd; /* SOCKS5_CMD_CONNECT (later BIND, UDP) */
	const struct conf_proxy *const *proxies;
	size_t nproxies;
	size_t idx;			  /* proxy being tried */
	int sock_family;		  /* the program's socket: AF_INET/6 */
	bool v6only;			  /* AF_INET6 with IPV6_V6ONLY */
	struct socks_addr dst;		  /* what we ask the proxy for */
	int timeout_ms;			  /* per proxy: connect + negotiation */
	int64_t deadline;		  /* io_now_ms() value */
	const char *env_user, *env_pass;  /* fallback credentials */
	struct sockaddr_storage proxy_sa; /* the proxy being tried */
	socklen_t proxy_salen;
	int first_err;	       /* why no proxy could be reached */
	int64_t prog_deadline; /* the program's SO_SNDTIMEO, or -1 */
	bool interrupted;      /* connect(2) to the proxy: EINTR */
	bool no_handoff;       /* client_run: finish here, whatever comes */
	/* Syscalls saved on the connect to a proxy (client_tcp_connect): */
	int known_fl;		     /* F_GETFL the caller just read, or -1 */
	bool sndtimeo_set;	     /* our bound is on the socket: restore */
	struct timeval sndtimeo_old; /* the program's SO_SNDTIMEO */
	short ready;		     /* client_step_ready's revents, once */
	uint8_t out[CLIENT_BUF];
	size_t out_len, out_off;
	uint8_t in[CLIENT_BUF];
	size_t in_len, in_need;
	struct socks_addr bnd; /* BND.ADDR:PORT of the reply */
	bool bind_second;      /* BIND: reading the second reply */
	/* Round trips and routes (client_arrange): */
	bool ordered;		     /* proxies[order[i]] is proxy i */
	uint8_t order[CONF_VIA_MAX]; /* the pool's order for this one */
	bool chain;		     /* proxies are hops, SOCKS in SOCKS */
	bool tfo;		     /* TCP_FASTOPEN_CONNECT set on the fd */
	bool hop_in;		     /* this proxy sent us a byte */
	bool pipelined;		     /* this hop's negotiation in one flight */
	uint8_t pipe_method;	     /* the one method offered then */
	/* Optimistic data (client_allow_optimistic): */
	bool opt_allowed; /* the caller can take an early CLIENT_DONE */
	bool optimistic;  /* the route asks for it (else the proxy's key) */
	bool opt_used;	  /* the early CLIENT_DONE was given */
};

/*
 * Prepare @c to ask for @dst through @proxies (tried in order) from a
 * socket of family @sock_family.  Proxies that cannot carry @dst (SOCKS4
 * with IPv6 or a name, SOCKS4A with IPv6) are skipped.  Returns 0, or
 * -EAFNOSUPPORT when none of them can.
 */
int client_init(struct client *c, uint8_t cmd,
		const struct conf_proxy *const *proxies, size_t nproxies,
		const struct socks_addr *dst, int sock_family, int timeout_ms,
		const char *env_user, const char *env_pass);

/*
 * Use the proxies the way route @r says (its `mode`): a pool starts at
 * the proxy pool.c picks (round-robin or random; proxies that failed
 * lately go last), a chain goes through all of them in order, each hop
 * asked to CONNECT to the next (by the address or name in its URL) and
 * the last one to the destination.  Call after client_init().  Returns
 * 0, or -EAFNOSUPPORT when a hop of a chain cannot carry its target
 * (SOCKS4 needs IPv4, SOCKS4A no IPv6).
 */
int client_arrange(struct client *c, const struct conf_route *r);

/*
 * Optimistic data (route or proxy key `optimistic`; CONNECT only): the
 * caller (kind_tcp.c) can take a CLIENT_DONE as soon as the request is
 * on its way, or, after a deferred Fast Open connect with the whole
 * negotiation in one message (pipelined SOCKS5, or SOCKS4), before
 * anything is sent (client_pending_out: the program's first write takes
 * it along).  Later client_step() calls send what is pending and read
 * the replies; CLIENT_DONE again (client_settled) or the -errno of the
 * refusal.  @route_says: the route's `optimistic`.
 */
static inline void client_allow_optimistic(struct client *c, bool route_says)
{
	c->opt_allowed = true;
	c->optimistic = route_says;
}

/* The negotiation bytes not yet sent (*@buf: where), or 0. */
size_t client_pending_out(const struct client *c, const uint8_t **buf);

/* @n bytes of client_pending_out() went out (in the caller's sendmsg). */
void client_account_out(struct client *c, size_t n);

/* Every reply is in and granted (CL_DONE). */
static inline bool client_settled(const struct client *c)
{
	return c->state == CL_DONE;
}

/*
 * The proxies that carry the connection, for logs: "name", or
 * "a > b > c" for a chain.
 */
const char *client_via_text(const struct client *c, char *buf, size_t len);

/*
 * The family (AF_INET or AF_INET6) of the address the handshake would
 * connect to first: the first proxy from the current one on that can
 * carry the destination and has an address (pxa_lookup for the socket's
 * family).  0 when there is none.  No I/O.
 */
int client_first_proxy_family(const struct client *c);

/*
 * The program's socket is now of @family, with IPV6_V6ONLY @v6only (an
 * AF_INET6 socket without it reaches IPv4 proxies by v4-mapped address;
 * with it, they are skipped like IPv6 proxies from an AF_INET socket).
 */
static inline void client_set_family(struct client *c, int family, bool v6only)
{
	c->sock_family = family;
	c->v6only = family == AF_INET6 && v6only;
}

/*
 * The caller just read @fd's file status flags (F_GETFL) as @fl: the first
 * connect to a proxy uses them instead of asking again.  Later attempts
 * (failover) ask the kernel, as the program may have changed them since.
 */
static inline void client_set_known_flags(struct client *c, int fl)
{
	c->known_fl = fl;
}

/*
 * Advance the handshake on @fd as far as possible without blocking; once
 * a message that needs an answer is out, return CLIENT_WANT_READ without
 * trying to read (the answer needs a round trip through the proxy).
 * Returns CLIENT_DONE, CLIENT_WANT_READ / CLIENT_WANT_WRITE (wait for that,
 * or for the deadline, then call again), or a final -errno (SPEC section 4):
 * -ECONNREFUSED no proxy reachable, -ECONNRESET proxy hung up, -EACCES
 * authentication refused, the REP/CD mapping, -EAFNOSUPPORT.
 */
int client_step(struct client *c, int fd);

/*
 * client_step() when the caller has just seen @revents (poll(2) bits:
 * POLLOUT, POLLERR, POLLHUP; epoll's EPOLLOUT, EPOLLERR, EPOLLHUP have the
 * same values) on @fd: a connect to a proxy in progress is then known to
 * have ended without asking the kernel again.
 */
int client_step_ready(struct client *c, int fd, short revents);

/*
 * The deadline passed: a proxy not reached in time is skipped for the next
 * one (return as client_step), otherwise -ETIMEDOUT.
 */
int client_timeout(struct client *c, int fd);

/*
 * The whole handshake on @fd (blocking socket), waiting with real.poll
 * between steps.  Returns 0 or -errno as client_step, or hands the rest
 * over, as the kernel's blocking connect(2) would leave a connection in
 * progress: -EINTR when an alarm(2) timeout (SIGALRM caught without
 * SA_RESTART) fired (any other signal resumes the wait), -EINPROGRESS
 * when the socket's own SO_SNDTIMEO ran out first.  *@want then says what
 * the handshake waits for (the caller gives it to the engine).
 */
int client_run(struct client *c, int fd, int *want);

/*
 * Dissolve @fd's association (connect AF_UNSPEC) so that it is a fresh,
 * unconnected TCP socket again (it polls POLLOUT|POLLHUP, and may connect
 * again), with no error left pending.  errno is clobbered.
 */
void client_disconnect(int fd);

/*
 * BIND: the first reply is in (client_step returned CLIENT_DONE); expect
 * the second, the peer's, within @wait_ms from now.  client_step() then
 * returns CLIENT_WANT_READ until it arrives, CLIENT_DONE with c->bnd set
 * to the peer, or -errno (its REP/CD mapped; -ECONNRESET when the proxy
 * hangs up); client_timeout() after the deadline gives -ETIMEDOUT.
 */
void client_bind_wait(struct client *c, int wait_ms);

/* The proxy in use (or last tried), for logs. */
const struct conf_proxy *client_proxy(const struct client *c);

/* Static name of a state, for logs. */
const char *client_state_name(enum client_state s);

#endif
