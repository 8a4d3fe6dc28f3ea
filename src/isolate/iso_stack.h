/* SPDX-License-Identifier: MIT */
/*
 * lwIP as the isolated program's peer.  Debian's liblwip accepts packets
 * only for its interfaces' own addresses and has no "accept any address"
 * hook, so each destination address the program connects to gets its own
 * lwIP interface (a /32, or one IPv6 address), made when the first SYN to
 * it passes and recycled when no flow uses it; each destination port gets
 * one listener bound to any address.  lwIP's own thread runs its timers;
 * everything else runs in the daemon's loop thread, holding lwIP's core
 * lock (iso_stack_lock) around every lwIP call.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_STACK_H
#define SOCKSIFY_ISOLATE_ISO_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "common/net.h"

struct tcp_pcb;

/* Start lwIP and its main interface.  0 or -errno. */
int iso_stack_init(void);

void iso_stack_lock(void);
void iso_stack_unlock(void);

/*
 * Make lwIP accept a SYN to @dst port @port: the address's interface and
 * the port's listener (locked).  Takes a reference on the address, given
 * back with iso_stack_release.  0 or -ENOMEM / -ENOSPC (too many
 * addresses in use).
 */
int iso_stack_prepare(const struct net_ip *dst, uint16_t port);
void iso_stack_release(const struct net_ip *dst);

/* Hand the packet @buf (@len bytes) read from the device to lwIP (locked). */
void iso_stack_input(const uint8_t *buf, size_t len);

/* Called by the listeners for each connection lwIP accepted (locked). */
int iso_flow_accept(struct tcp_pcb *pcb);

#endif
