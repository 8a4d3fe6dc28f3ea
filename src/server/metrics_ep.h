/* SPDX-License-Identifier: MIT */
/*
 * The opt-in metrics endpoint: a tiny HTTP/1.0 responder on a loopback
 * address or a Unix socket, served from the event loop without blocking.
 * It accepts non-blockingly, reads one request (bounded size and time),
 * answers GET /metrics (or /) with metrics_render() from a per-scrape
 * buffer, and closes.  At most METRICS_EP_SCRAPES scrapes at once; a
 * connection beyond that is closed at accept.
 */
#ifndef SOCKSIFY_SERVER_METRICS_EP_H
#define SOCKSIFY_SERVER_METRICS_EP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/srvconf.h"

#define METRICS_EP_SCRAPES 4
#define METRICS_EP_TIMEOUT_MS 5000

/*
 * Bind and listen on @cfg->metrics (nothing when it is off; a stale Unix
 * socket file is replaced) and log "metrics on ADDR".  Before fork: every
 * worker serves the same socket.  0 or -1 with a message in @err.
 */
int metrics_ep_open(const struct srvconf *cfg, char *err, size_t errlen);
/* Start accepting (in the process that runs the loop). */
int metrics_ep_watch(void);
/* Time out slow scrapes. */
void metrics_ep_tick(int64_t now);
/* Close the endpoint and every scrape; @unlink_path removes the Unix
 * socket file (the process that made it, at exit). */
void metrics_ep_close(bool unlink_path);

#endif
