/* SPDX-License-Identifier: MIT */
/*
 * Congestion control of loopback legs.  On loopback there is no
 * congestion and no loss, yet a pacing algorithm (bbr, a common system
 * default) still paces every burst with timers, without an fq qdisc in
 * TCP itself: measured here, that doubles the relay's CPU per byte and
 * halves its throughput (scripts/bench server, floorsocks -c).  So the
 * sockets of a leg whose two ends are on this host get the configured
 * algorithm (loopback_congestion, default "reno", always permitted),
 * unless it is the system's default already.  Other legs keep the
 * system's choice.
 */
#ifndef SOCKSIFY_SERVER_LO_CC_H
#define SOCKSIFY_SERVER_LO_CC_H

#include <stdbool.h>
#include <sys/socket.h>

/*
 * Use @name ("" = leave every socket to the system) from now on.  Checks
 * the system default once: when it is @name, nothing is ever set.
 */
void lo_cc_config(const char *name);
/* True if @sa is a loopback address and a socket to it should be set. */
bool lo_cc_wanted(const struct sockaddr *sa);
/* Set the algorithm on @fd (a listener's choice is inherited by the
 * sockets it accepts).  A refusal turns the feature off, logged once. */
void lo_cc_apply(int fd);

#endif
