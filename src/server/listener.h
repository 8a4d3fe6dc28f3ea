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
 * for each.  Returns 0 or -1 with a message in @err.
 */
int listener_open_all(const struct srvconf *cfg, char *err, size_t errlen);
/* Start accepting (after daemonizing: the loop does not survive fork). */
int listener_watch(void);
/* Resume paused listeners. */
void listener_tick(int64_t now);
void listener_close_all(void);
/* Bound addresses as "HOST:PORT" strings (for reloads); count returned. */
size_t listener_addrs(char out[][64], size_t max);

#endif
