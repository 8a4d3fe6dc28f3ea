// SPDX-License-Identifier: MIT
/*
 * UDP ASSOCIATE (conn_priv.h): the association (udp_relay.c) opened on the
 * address the client reached, and its control connection, whose end ends
 * the association.
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "server/conn_priv.h"

void cmd_udp_event(struct conn *c, uint32_t ev)
{
	uint8_t buf[512];
	ssize_t n;

	/* The association lives as long as its control connection. */
	for (;;) {
		n = recv(c->cfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
		    !(ev & (EPOLLERR | EPOLLHUP)))
			return;
		conn_finish(c);
		return;
	}
}

/* UDP ASSOCIATE: open the relay and reply with its address. */
void cmd_udp_start(struct conn *c)
{
	struct sockaddr_storage local;
	struct socks_addr bnd;
	struct udp_owner o;
	socklen_t len = sizeof(local);
	int rc;

	if (getsockname(c->cfd, (struct sockaddr *)&local, &len) < 0) {
		conn_reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return;
	}
	o.cfg = c->cfg;
	o.client = &c->client_ip;
	o.user = c->user;
	o.version = c->ver;
	o.up = &c->udp_up;
	o.down = &c->udp_down;
	o.last_io = &c->last_io;
	rc = udp_assoc_open(&c->udp, &o, &local, &c->dst, &bnd);
	if (rc < 0) {
		conn_reply(c, socks5_rep_from_errno(-rc), NULL);
		return;
	}
	socks_addr_to_sockaddr(&bnd, &c->taddr, &len);
	c->has_taddr = true;
	conn_reply(c, SOCKS5_REP_SUCCEEDED, &bnd);
}
