/* SPDX-License-Identifier: MIT */
/*
 * The TUN device as the daemon uses it: every packet to the program goes
 * through here.  The device is opened with IFF_VNET_HDR: each packet
 * carries a virtio-net header, which lets the daemon hand the kernel many
 * TCP segments of one flow as one GSO packet (one write, one pass through
 * the program's TCP stack) instead of one write per 1460 bytes.
 *
 * Inside a batch (iso_tun_batch_begin .. iso_tun_batch_end, the loop
 * thread, lwIP's core lock held) lwIP's data segments are coalesced and
 * written at the end; outside it (lwIP's timer thread) and for every
 * other packet they are written at once, in order.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_TUN_H
#define SOCKSIFY_ISOLATE_ISO_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The flags for TUNSETIFF (iso_ns.c). */
#define ISO_TUN_FLAGS (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR)

/* Use @fd (the device, non-blocking) from now on. */
void iso_tun_set(int fd);
int iso_tun_fd(void);

/*
 * The next packet from the program into @buf (@cap bytes), without the
 * virtio-net header.  Returns its length, or -EAGAIN / -errno.
 */
ssize_t iso_tun_read(uint8_t *buf, size_t cap);

/* The whole IP packet @pkt (@len bytes) to the program (locked). */
void iso_tun_send(const uint8_t *pkt, size_t len);

/* lwIP's packet in @n pieces @iov (locked): coalesced inside a batch. */
void iso_tun_send_iov(const struct iovec *iov, int n);

void iso_tun_batch_begin(void);
void iso_tun_batch_end(void);
bool iso_tun_in_batch(void);

#endif
