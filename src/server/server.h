/* SPDX-License-Identifier: MIT */
/* State shared by the modules of socksifyd (loop thread only). */
#ifndef SOCKSIFY_SERVER_SERVER_H
#define SOCKSIFY_SERVER_SERVER_H

#include <stdint.h>
#include <time.h>

#include "server/srvconf.h"

struct conn;

struct server {
	struct srvconf *cfg; /* current config (one reference held) */
	int nclients;	     /* live sessions */
	int nsetup;	     /* of which in handshake, look-up or connect */
	struct tm now_tm;    /* local time, refreshed every tick */
	uint64_t udp_frag_dropped;
	uint64_t shed; /* connections refused at accept */
};
extern struct server server;

#endif
