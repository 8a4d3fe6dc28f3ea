/* SPDX-License-Identifier: MIT */
/*
 * errno values as words a user reads ("connection refused"), for log lines
 * at the default level.  A static table: no strerror() (not async-signal-
 * safe, locale-dependent) in hook paths.
 */
#ifndef SOCKSIFY_COMMON_ERRTEXT_H
#define SOCKSIFY_COMMON_ERRTEXT_H

/* The words for @err (a positive errno), or NULL for one not listed. */
const char *errtext(int err);

#endif
