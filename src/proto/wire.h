/* SPDX-License-Identifier: MIT */
/* Private byte helpers of the codec: big-endian (network order) 16 bits. */
#ifndef SOCKSIFY_PROTO_WIRE_H
#define SOCKSIFY_PROTO_WIRE_H

#include <stdint.h>

static inline void wire_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)(v & 0xff);
}

static inline uint16_t wire_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

#endif
