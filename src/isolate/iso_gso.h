/* SPDX-License-Identifier: MIT */
/*
 * Coalescing of TCP segments into one GSO packet for the TUN device
 * (iso_tun.h).  Debian's lwIP sends at most 1460 payload bytes per
 * segment; the kernel accepts, through the virtio-net header, one large
 * "super-packet" that it treats as those segments received together
 * (what GRO would have made of them).  Pure: no I/O.
 *
 * A segment joins the packet being built when it is the next one of the
 * same flow: same addresses, ports, ACK number, window and TCP options,
 * sequence number right after the last byte, flags ACK (PSH allowed, it
 * is kept), no IP options or IPv6 extension headers, a payload no longer
 * than the first one's (a shorter one ends the packet), the whole no
 * longer than ISO_GSO_MAX.
 */
#ifndef SOCKSIFY_ISOLATE_ISO_GSO_H
#define SOCKSIFY_ISOLATE_ISO_GSO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISO_GSO_MAX 65535 /* IPv4 total length */

/* The virtio-net header (linux/virtio_net.h), host order. */
struct iso_vnet {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

struct iso_gso {
	size_t len;	/* bytes in pkt; 0: empty */
	size_t hl, thl; /* IP and TCP header lengths */
	uint16_t mss;	/* payload of the first segment */
	uint32_t next;	/* sequence number the next segment must have */
	unsigned segs;	/* segments in pkt */
	bool closed;	/* a shorter segment ended it */
	uint8_t pkt[ISO_GSO_MAX];
};

/*
 * Offer the IP packet @p (@len bytes) to @g.  Returns true when it was
 * taken (it started @g, or joined it).  False: when @g is not empty,
 * finish and write @g and offer @p again; when @g is empty, @p is not a
 * data segment that can be coalesced: write it as it is.
 */
bool iso_gso_add(struct iso_gso *g, const uint8_t *p, size_t len);

/*
 * Make @g's packet whole (lengths, IPv4 header checksum, the TCP
 * pseudo-header sum the kernel completes) and fill @vh for it; one
 * segment is left as it came, with an empty header.  Returns the
 * packet's length (in @g->pkt).  Then iso_gso_reset().
 */
size_t iso_gso_finish(struct iso_gso *g, struct iso_vnet *vh);

void iso_gso_reset(struct iso_gso *g);

#endif
