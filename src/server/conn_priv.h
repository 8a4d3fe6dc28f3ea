/* SPDX-License-Identifier: MIT */
/*
 * What the files of one client connection share (not for the rest of the
 * server, which sees conn.h).  A connection's phases, each in its file:
 *
 *   conn.c         accept, the phase choke point, dispatch of the
 *                  session's actions and of socket events, relay, linger,
 *                  timeouts, teardown and the one log line per session
 *   negotiate.c    the handshake: greeting, method, RFC 1929 credentials
 *                  (checked on a worker thread)
 *   request.c      the parsed request: name look-up (worker thread), then
 *                  the command's start
 *   cmd_connect.c  CONNECT: each candidate address in turn
 *   cmd_bind.c     BIND: the listener, the one inbound peer
 *   cmd_udp.c      UDP ASSOCIATE: the association (udp_relay.c) and its
 *                  control connection
 *
 *   HANDSHAKE -> (AUTH) -> RESOLVE -> CONNECT -> RELAY
 *                                  \-> BIND_WAIT -> RELAY
 *                                  \-> UDP
 *   any failure -> LINGER (flush the reply, FIN, drain) -> closed
 *
 * Loop thread only.  Every function here may end the connection (its
 * phase is then PH_DEAD, its sockets closed); the struct stays valid
 * until conn_reap() after the current batch of events.
 */
#ifndef SOCKSIFY_SERVER_CONN_PRIV_H
#define SOCKSIFY_SERVER_CONN_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/net.h"
#include "proto/proto.h"
#include "server/loop.h"
#include "server/relay.h"
#include "server/resolver.h"
#include "server/session.h"
#include "server/srvconf.h"
#include "server/udp_relay.h"

#define CONN_ADDRS_MAX 8
#define CONN_LINGER_MS 1000

enum conn_phase {
	PH_HANDSHAKE,
	PH_AUTH,
	PH_RESOLVE,
	PH_CONNECT,
	PH_BIND_WAIT,
	PH_RELAY,
	PH_UDP,
	PH_LINGER,
	PH_DEAD
};

struct conn {
	struct conn *prev, *next; /* all live connections */
	struct conn *dead_next;	  /* closed, to free after the batch */
	struct srvconf *cfg;
	enum conn_phase phase;
	struct loop_handler ch; /* client socket */
	struct loop_handler th; /* target: connecting, listener or peer */
	int cfd, tfd;
	struct sess *sess; /* during the handshake only */
	struct rjob *job;  /* look-up or password check in flight */
	struct sockaddr_storage *addrs; /* candidates to connect to */
	size_t naddrs, addr_idx;
	int last_err;
	struct relay_dir up, down;
	struct udp_assoc *udp;
	int64_t start, deadline, last_io;
	int64_t start_us; /* accept, monotonic microseconds (metrics) */
	struct sockaddr_storage client;
	struct net_ip client_ip;
	struct sockaddr_storage taddr; /* connected / bound address (log) */
	bool has_taddr;
	/* what the log line needs once the session is gone */
	uint8_t ver, cmd;
	int result;
	struct socks_addr dst;
	char *user;
	uint64_t udp_up, udp_down;
};

/* ---- conn.c: the connection's life ---- */

/* The one place a phase changes (keeps server.nsetup for loop_set_spin). */
void conn_set_phase(struct conn *c, enum conn_phase ph);
/* Deadline @seconds from now; 0 or less: none. */
void conn_set_deadline(struct conn *c, int seconds);
/* Close the target socket (connecting, listener or peer), if any. */
void conn_close_target(struct conn *c);
/* End the session: log line, every fd closed, jobs abandoned.  Idempotent. */
void conn_finish(struct conn *c);
/* Epoll interest of both sockets from the phase and queued output. */
void conn_update_masks(struct conn *c);
/* Send the session's queued output.  0 (sent, or the socket is full) or
 * -errno (fatal). */
int conn_flush(struct conn *c);
/* The session's reply @rep (BND.ADDR @bnd, NULL: zeros), then its action. */
void conn_reply(struct conn *c, uint8_t rep, const struct socks_addr *bnd);
/* The local (@peer false) or peer address of @fd as a SOCKS address, and
 * as a sockaddr into @ss when not NULL; zeros if unknown. */
void conn_bnd_from_fd(int fd, bool peer, struct socks_addr *bnd,
		      struct sockaddr_storage *ss);
/* The rules for command @cmd (ACL_CMD_*) to @sa (NULL: not known yet).
 * 0 allowed, -EACCES denied (the rule logged at debug level). */
int conn_acl_check(struct conn *c, unsigned cmd, const struct sockaddr *sa);
/* Carry out a session action (SESS_ACT_*). */
void conn_handle(struct conn *c, enum sess_action act);
/* Loop handler of the target socket (for loop_add). */
void conn_on_target(struct loop_handler *h, uint32_t ev);

/* ---- negotiate.c ---- */

/* Client input during the handshake: read what the session has room for
 * and feed it. */
void negotiate_event(struct conn *c, uint32_t ev);
/* RFC 1929 credentials arrived: check them on a worker thread. */
void negotiate_auth_start(struct conn *c);

/* ---- request.c ---- */

/* The session parsed a request: keep what the log needs, resolve a name
 * on a worker thread or take the address given, start the command. */
void request_start(struct conn *c);

/* ---- cmd_connect.c ---- */

/* Connect to the next candidate address the rules allow, or reply with
 * the last failure when none is left. */
void cmd_connect_next(struct conn *c);
/* The current candidate failed with @err (errno): try the next one. */
void cmd_connect_failed(struct conn *c, int err);
/* Events of the connecting socket. */
void cmd_connect_event(struct conn *c, uint32_t ev);

/* ---- cmd_bind.c ---- */

/* Listen where the application server can reach us; first reply. */
void cmd_bind_start(struct conn *c);
/* The listener is readable: accept the one peer; second reply. */
void cmd_bind_event(struct conn *c);

/* ---- cmd_udp.c ---- */

/* Open the association and reply with its address. */
void cmd_udp_start(struct conn *c);
/* Control connection events: the association ends with it. */
void cmd_udp_event(struct conn *c, uint32_t ev);

#endif
