/* SPDX-License-Identifier: MIT */
/*
 * One client connection from accept to close: feeds the client's bytes to
 * its session (session.c), carries out the session's actions (name look-up,
 * access check, connect, BIND listener, UDP association), then hands the
 * two sockets to the relay (relay.c).  Writes the one log line per session.
 * Its phases live in the files conn_priv.h lists.
 */
#ifndef SOCKSIFY_SERVER_CONN_H
#define SOCKSIFY_SERVER_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Take over an accepted, non-blocking client socket.  0 or -errno. */
int conn_accept(int fd, const struct sockaddr_storage *peer);
/* Timeouts: called every tick. */
void conn_tick(int64_t now);
/* Free connections closed during the last batch of events. */
void conn_reap(void);
/* A session is in its handshake, look-up or connect (loop_set_spin). */
bool conn_setup_pending(void);
/* Close every connection (at exit). */
void conn_close_all(void);

#endif
