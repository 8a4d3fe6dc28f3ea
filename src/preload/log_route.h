/* SPDX-License-Identifier: MIT */
/*
 * The JSON-lines record of one routed connection (SOCKS_LOG_FORMAT=json):
 * {"event":"connection", "program", "pid", "dst", "route" ("FILE:LINE" of
 * the matching route, or the SOCKS_PROXY source), "via" (proxy name or
 * chain "a > b"), "proxy" (address tried last), "result" ("connected" or
 * the failure in words), "errno" (0 on success), "duration" (seconds from
 * connect(2) to the outcome)}.  No credentials.  Async-signal-safe.
 */
#ifndef SOCKSIFY_PRELOAD_LOG_ROUTE_H
#define SOCKSIFY_PRELOAD_LOG_ROUTE_H

#include <stdint.h>

struct log_route {
	const char *dst, *route_file, *via, *proxy, *result;
	int route_line; /* 0: no line */
	int err;	/* positive errno, 0 = connected */
	int64_t ms;
};

/* One line at level 1 for a success, at the default level for a failure. */
void log_route_json(const struct log_route *r);

#endif
