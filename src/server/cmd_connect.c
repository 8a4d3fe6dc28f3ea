// SPDX-License-Identifier: MIT
/*
 * CONNECT (conn_priv.h): each candidate address the rules allow in turn,
 * non-blocking, bound to `external` when set; the reply carries the
 * outgoing socket's address.  The relay starts from the session's action.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/conn_priv.h"
#include "server/lo_cc.h"

static void cmd_connect_succeeded(struct conn *c)
{
	struct socks_addr bnd;
	int one = 1;

	setsockopt(c->tfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_bnd_from_fd(c->tfd, false, &bnd, NULL);
	conn_reply(c, SOCKS5_REP_SUCCEEDED, &bnd);
}

/* One address failed with @err: try the next one. */
void cmd_connect_failed(struct conn *c, int err)
{
	c->last_err = err;
	conn_close_target(c);
	cmd_connect_next(c);
}

/* Bind an outgoing socket to `external` when set.  0 or -errno. */
static int cmd_connect_bind_external(struct conn *c, int fd, int family)
{
	if (!c->cfg->has_external || c->cfg->external.ss_family != family)
		return 0;
	if (bind(fd, (struct sockaddr *)&c->cfg->external,
		 c->cfg->external_len) < 0)
		return -errno;
	return 0;
}

/*
 * Events of a non-blocking connect that already finished (success or
 * error), 0 while it is in progress.  poll's POLLOUT/POLLERR/POLLHUP have
 * the values of the EPOLL* flags.
 */
static uint32_t cmd_connect_done_now(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	if (poll(&p, 1, 0) != 1)
		return 0;
	return (uint32_t)p.revents & (EPOLLOUT | EPOLLERR | EPOLLHUP);
}

/* Try the next candidate address that the rules allow. */
void cmd_connect_next(struct conn *c)
{
	uint32_t ev;
	uint8_t rep;

	while (c->addr_idx < c->naddrs) {
		struct sockaddr_storage *sa = &c->addrs[c->addr_idx++];
		socklen_t len = net_sa_len(sa);
		int fd, rc;

		if (conn_acl_check(c, ACL_CMD_CONNECT, (struct sockaddr *)sa) <
		    0) {
			if (!c->last_err)
				c->last_err = EACCES;
			continue;
		}
		fd = socket(sa->ss_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			c->last_err = errno;
			continue;
		}
		if (lo_cc_wanted((struct sockaddr *)sa))
			lo_cc_apply(fd);
		rc = cmd_connect_bind_external(c, fd, sa->ss_family);
		if (rc == 0 && connect(fd, (struct sockaddr *)sa, len) < 0 &&
		    errno != EINPROGRESS)
			rc = -errno;
		if (rc < 0) {
			c->last_err = -rc;
			close(fd);
			continue;
		}
		c->tfd = fd;
		c->taddr = *sa;
		c->has_taddr = true;
		conn_set_phase(c, PH_CONNECT);
		conn_set_deadline(c, c->cfg->connect_timeout);
		/*
		 * A loopback or LAN connect often completes within the call:
		 * then answer now instead of after another trip through epoll,
		 * and register the socket only once the relay knows its mask.
		 */
		ev = cmd_connect_done_now(fd);
		if (ev) {
			cmd_connect_event(c, ev);
			return;
		}
		if (loop_add(&c->th, fd, conn_on_target, EPOLLOUT) < 0) {
			c->last_err = errno;
			conn_close_target(c);
			continue;
		}
		conn_update_masks(c);
		return;
	}
	rep = c->last_err == EACCES ? SOCKS5_REP_NOT_ALLOWED
	      : c->last_err	    ? socks5_rep_from_errno(c->last_err)
				    : SOCKS5_REP_GENERAL_FAILURE;
	conn_reply(c, rep, NULL);
}

/* The outgoing socket became writable: connected, or failed. */
void cmd_connect_event(struct conn *c, uint32_t ev)
{
	int err = 0;
	socklen_t len = sizeof(err);

	/* Writable without error or hang-up: connected, nothing to ask. */
	if (ev & (EPOLLERR | EPOLLHUP)) {
		if (getsockopt(c->tfd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		cmd_connect_failed(c, err ? err : ECONNREFUSED);
		return;
	}
	cmd_connect_succeeded(c);
}
