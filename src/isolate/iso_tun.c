// SPDX-License-Identifier: MIT
/*
 * Packets to and from the program's TUN device (iso_tun.h).  The
 * virtio-net header is in the host's byte order (a TUN device without
 * TUNSETVNETLE/BE uses the legacy, native order).  No TUNSETOFFLOAD: the
 * kernel sends the daemon plain, checksummed packets of at most the MTU.
 */
#include "config.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "isolate/iso_gso.h"
#include "isolate/iso_tun.h"

#define VNET_LEN 10 /* sizeof(struct virtio_net_hdr) */

static int tun_fd = -1;
static bool batching;
static struct iso_gso pending;

/* Contract: iso_tun.h. */
void iso_tun_set(int fd)
{
	tun_fd = fd;
}

int iso_tun_fd(void)
{
	return tun_fd;
}

/* @vh as the bytes of a virtio_net_hdr, into @out. */
static void tun_vnet_bytes(const struct iso_vnet *vh, uint8_t out[VNET_LEN])
{
	out[0] = vh->flags;
	out[1] = vh->gso_type;
	memcpy(out + 2, &vh->hdr_len, 2);
	memcpy(out + 4, &vh->gso_size, 2);
	memcpy(out + 6, &vh->csum_start, 2);
	memcpy(out + 8, &vh->csum_offset, 2);
}

/* Write the header @vh and the packet in @iov[0..n) as one packet. */
static void tun_write(const struct iso_vnet *vh, const struct iovec *iov, int n)
{
	uint8_t hdr[VNET_LEN];
	struct iovec v[17];
	int i;

	tun_vnet_bytes(vh, hdr);
	v[0] = (struct iovec){hdr, sizeof(hdr)};
	for (i = 0; i < n && i < 16; i++)
		v[i + 1] = iov[i];
	/* The device takes a packet whole or not at all; a full queue
	 * (ENOBUFS) is a packet lost, which TCP repairs. */
	if (writev(tun_fd, v, i + 1) < 0)
		LOG_DBG("write to the TUN device: %s", strerror(errno));
}

/* Write the coalesced packet, if any. */
static void tun_flush(void)
{
	struct iso_vnet vh;
	struct iovec v;

	if (pending.len == 0)
		return;
	v.iov_len = iso_gso_finish(&pending, &vh);
	v.iov_base = pending.pkt;
	tun_write(&vh, &v, 1);
	iso_gso_reset(&pending);
}

/* Contract: iso_tun.h. */
ssize_t iso_tun_read(uint8_t *buf, size_t cap)
{
	uint8_t hdr[VNET_LEN];
	struct iovec v[2] = {{hdr, sizeof(hdr)}, {buf, cap}};
	ssize_t n = readv(tun_fd, v, 2);

	if (n < 0)
		return -errno;
	if (n < VNET_LEN)
		return -EAGAIN;
	return n - VNET_LEN;
}

/* Contract: iso_tun.h. */
void iso_tun_send(const uint8_t *pkt, size_t len)
{
	struct iovec v = {(void *)pkt, len};

	iso_tun_send_iov(&v, 1);
}

/* Contract: iso_tun.h. */
void iso_tun_send_iov(const struct iovec *iov, int n)
{
	static const struct iso_vnet none;

	if (batching && n == 1) {
		if (iso_gso_add(&pending, iov[0].iov_base, iov[0].iov_len))
			return;
		tun_flush();
		if (iso_gso_add(&pending, iov[0].iov_base, iov[0].iov_len))
			return;
	} else {
		tun_flush();
	}
	tun_write(&none, iov, n);
}

void iso_tun_batch_begin(void)
{
	batching = true;
}

bool iso_tun_in_batch(void)
{
	return batching;
}

void iso_tun_batch_end(void)
{
	tun_flush();
	batching = false;
}
