/* SPDX-License-Identifier: MIT */
/*
 * lwIP as the isolated program's peer.  Debian's liblwip accepts packets
 * only for its interfaces' own addresses and has no "accept any address"
 * hook, so lwIP has one interface, with the gateway's addresses, and sees
 * every connection made to them (the translation: iso_nat.h); each
 * destination port gets one listener.  lwIP's own thread runs its timers;
 * everything else runs in the daemon's loop thread, holding lwIP's core
 * lock (iso_stack_lock) around every lwIP call.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_STACK_H
#define SOCKSIFY_ISOLATE_ISO_STACK_H

#include <stddef.h>
#include <stdint.h>

struct tcp_pcb;

/* Start lwIP and its main interface.  0 or -errno. */
int iso_stack_init(void);

void iso_stack_lock(void);
void iso_stack_unlock(void);

/* Make lwIP accept a SYN to @port: the port's listener (locked).  0 or
 * -ENOMEM. */
int iso_stack_prepare(uint16_t port);

/* Hand the packet @buf (@len bytes) read from the device to lwIP, its
 * TCP segments translated (iso_nat.h) (locked). */
void iso_stack_input(const uint8_t *buf, size_t len);

/* Called by the listeners for each connection lwIP accepted (locked). */
int iso_flow_accept(struct tcp_pcb *pcb);

#endif
