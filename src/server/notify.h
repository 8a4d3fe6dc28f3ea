/* SPDX-License-Identifier: MIT */
/*
 * Readiness for service managers: systemd's notify protocol
 * (sd_notify(3): a datagram "READY=1" to the Unix socket named by
 * $NOTIFY_SOCKET; a leading '@' is the abstract namespace), without
 * linking libsystemd.  Nothing happens when NOTIFY_SOCKET is unset.
 */
#ifndef SOCKSIFY_SERVER_NOTIFY_H
#define SOCKSIFY_SERVER_NOTIFY_H

/* Send @state ("READY=1", "RELOADING=1", "STOPPING=1") once; 0 or -errno
 * (0 also when there is no manager to tell). */
int notify_send(const char *state);

#endif
