/* SPDX-License-Identifier: MIT */
/* Umbrella header for the pure SOCKS codec. */
#ifndef SOCKSIFY_PROTO_PROTO_H
#define SOCKSIFY_PROTO_PROTO_H
#include "proto/consts.h"
#include "proto/error.h"
#include "proto/addr.h"
#include "proto/socks4.h"
#include "proto/socks5.h"
#include "proto/auth1929.h"
#include "proto/udp_header.h"
#include "proto/errmap.h"
#endif
