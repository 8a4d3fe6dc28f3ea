// SPDX-License-Identifier: MIT
/*
 * BIND (conn_priv.h): a listener (backlog 1) where the application server
 * can reach us, the first reply with its address, then exactly one
 * inbound connection from an expected peer and the second reply.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "server/conn_priv.h"

/* The local address the kernel would use towards @dst. */
static int cmd_bind_route_source(const struct sockaddr_storage *dst,
				 struct sockaddr_storage *out)
{
	struct sockaddr_storage d = *dst;
	socklen_t olen = sizeof(*out);
	int fd, rc = 0;

	if (net_sa_port(&d) == 0)
		net_sa_set_port(&d, 9);
	fd = socket(d.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&d, net_sa_len(&d)) < 0 ||
	    getsockname(fd, (struct sockaddr *)out, &olen) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/*
 * BIND: listen (backlog 1) on an address the application server can
 * reach: `external`, else the source address towards the expected peer,
 * else the address the client reached.  Sends the first reply.
 */
void cmd_bind_start(struct conn *c)
{
	struct sockaddr_storage local;
	struct socks_addr bnd;
	socklen_t len = sizeof(local);
	bool zero = c->naddrs == 0;
	int fd, rc = 0;

	if (conn_acl_check(c, ACL_CMD_BIND,
			   zero ? NULL : (struct sockaddr *)&c->addrs[0]) < 0) {
		conn_reply(c, SOCKS5_REP_NOT_ALLOWED, NULL);
		return;
	}
	/* Where can the application server reach us? */
	if (c->cfg->has_external) {
		local = c->cfg->external;
	} else if (!zero) {
		rc = cmd_bind_route_source(&c->addrs[0], &local);
	} else {
		if (getsockname(c->cfd, (struct sockaddr *)&local, &len) < 0)
			rc = -errno;
	}
	if (rc == 0) {
		net_sa_unmap(&local);
		net_sa_set_port(&local, 0);
		if (c->ver == 4 && local.ss_family != AF_INET)
			rc = -EAFNOSUPPORT;
	}
	if (rc < 0) {
		conn_reply(c,
			   c->ver == 4 ? SOCKS5_REP_GENERAL_FAILURE
				       : socks5_rep_from_errno(-rc),
			   NULL);
		return;
	}
	len = net_sa_len(&local);
	fd = socket(local.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, len) < 0 ||
	    listen(fd, 1) < 0) {
		rc = errno;
		if (fd >= 0)
			close(fd);
		conn_reply(c, socks5_rep_from_errno(rc), NULL);
		return;
	}
	c->tfd = fd;
	if (loop_add(&c->th, fd, conn_on_target, EPOLLIN) < 0) {
		conn_reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return;
	}
	conn_bnd_from_fd(fd, false, &bnd, &c->taddr);
	c->has_taddr = true;
	conn_set_phase(c, PH_BIND_WAIT);
	conn_set_deadline(c, c->cfg->bind_timeout);
	conn_handle(c, sess_reply(c->sess, SOCKS5_REP_SUCCEEDED, &bnd));
}

/* Is @peer one of the addresses DST named (any peer when DST was 0)? */
static bool cmd_bind_peer_expected(struct conn *c,
				   const struct sockaddr_storage *peer)
{
	struct net_ip pip, want;
	uint16_t port;
	size_t i;

	if (c->naddrs == 0)
		return true;
	if (net_ip_from_sockaddr(&pip, &port, (const struct sockaddr *)peer,
				 sizeof(*peer)) < 0)
		return false;
	for (i = 0; i < c->naddrs; i++) {
		if (net_ip_from_sockaddr(&want, &port,
					 (struct sockaddr *)&c->addrs[i],
					 sizeof(c->addrs[i])) < 0)
			continue;
		if (want.family == pip.family &&
		    memcmp(want.b, pip.b, want.family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

/*
 * The inbound connection of a BIND: accept exactly one, close the
 * listener, check the peer, send the second reply.
 */
void cmd_bind_event(struct conn *c)
{
	struct sockaddr_storage peer;
	struct socks_addr paddr;
	socklen_t len = sizeof(peer);
	int fd, one = 1;

	fd = accept4(c->tfd, (struct sockaddr *)&peer, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		conn_reply(c, socks5_rep_from_errno(errno), NULL);
		return;
	}
	conn_close_target(c); /* one inbound connection only */
	memset(&paddr, 0, sizeof(paddr));
	socks_addr_from_sockaddr(&paddr, (struct sockaddr *)&peer, len);
	if (!cmd_bind_peer_expected(c, &peer)) {
		char buf[64];

		LOG_DBG("BIND: unexpected peer %s",
			net_sa_format((struct sockaddr *)&peer, buf,
				      sizeof(buf)));
		close(fd);
		conn_reply(c, SOCKS5_REP_NOT_ALLOWED, &paddr);
		return;
	}
	c->tfd = fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_reply(c, SOCKS5_REP_SUCCEEDED, &paddr);
}
