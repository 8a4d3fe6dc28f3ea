/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets.  Accepts in batches, sheds connections beyond
 * max_clients at once, and survives fd exhaustion: on EMFILE/ENFILE a
 * reserved descriptor is released to accept and close the pending
 * connection (so the backlog does not spin the loop), and if even that
 * fails the listener pauses for a tick.  Existing sessions keep running.
 */
#ifndef SOCKSIFY_SERVER_LISTENER_H
#define SOCKSIFY_SERVER_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "server/srvconf.h"

/*
 * Bind and listen on every address of @cfg, then log "listening on ADDR"
 * for each.  With @workers > 1, each address gets one SO_REUSEPORT socket
 * per worker, all on the port actually bound.  Returns 0 or -1 with a
 * message in @err.
 */
int listener_open_all(const struct srvconf *cfg, int workers, char *err,
		      size_t errlen);
/* In worker @k (0-based): keep socket k of each listener, close the rest;
 * in the supervisor (@k = -1): close them all. */
void listener_pick_worker(int k);
/* Start accepting (after daemonizing: the loop does not survive fork). */
int listener_watch(void);
/* Resume paused listeners. */
void listener_tick(int64_t now);
void listener_close_all(void);
/* Bound addresses as "HOST:PORT" strings (for reloads); count returned. */
size_t listener_addrs(char out[][64], size_t max);

/* Log "listening on ADDR:PORT" for each listener (after daemon(3)). */
void listener_announce(void);

#endif
