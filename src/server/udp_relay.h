/* SPDX-License-Identifier: MIT */
/*
 * UDP ASSOCIATE relay (RFC 1928 section 7).  Two sockets: one bound to the
 * address the client reached (it sends its encapsulated datagrams there),
 * one towards the remote hosts (bound to `external`, else a dual-stack
 * wildcard).  Datagrams are accepted only from the client's IP; the port is
 * pinned from DST.PORT when DST.ADDR is the client's own address, else from
 * the first datagram (notes A.8).  FRAG != 0 is dropped and counted; the
 * association stays.  Remote replies are accepted only from addresses the
 * client has sent to, and are encapsulated with their source.  Every
 * outgoing datagram passes the access rules.
 */
#ifndef SOCKSIFY_SERVER_UDP_RELAY_H
#define SOCKSIFY_SERVER_UDP_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/net.h"
#include "proto/addr.h"
#include "server/srvconf.h"

struct udp_assoc;

struct udp_owner {
	const struct srvconf *cfg;
	const struct net_ip *client; /* control connection's peer */
	const char *user;	     /* or NULL */
	unsigned version;
	uint64_t *up, *down; /* payload bytes */
	int64_t *last_io;
};

/*
 * Open the relay sockets.  @local: the control connection's local address
 * (BND.ADDR); @req: the request's DST (the client's own source, or zeros).
 * *@bnd gets the reply address.  Returns 0 or -errno.
 */
int udp_assoc_open(struct udp_assoc **out, const struct udp_owner *owner,
		   const struct sockaddr_storage *local,
		   const struct socks_addr *req, struct socks_addr *bnd);
/* Close the sockets; pending name look-ups are abandoned. */
void udp_assoc_close(struct udp_assoc *u);
/* Free associations closed during the last batch of events. */
void udp_reap(void);
/* Datagrams dropped for FRAG != 0 on this association. */
uint64_t udp_assoc_frag_dropped(const struct udp_assoc *u);

#endif
