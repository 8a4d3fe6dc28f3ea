// SPDX-License-Identifier: MIT
/*
 * A parsed request (conn_priv.h): what the log line needs is kept, a
 * DOMAINNAME is resolved on a worker thread (IPv4 only for SOCKS4), then
 * the command starts: cmd_connect.c, cmd_bind.c or cmd_udp.c.
 */
#include "config.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "server/conn_priv.h"

struct request_res_job {
	struct rjob j;
	struct conn *c;
	char name[SOCKS5_DOMAIN_MAX + 1];
	uint16_t port;
	int family;
	int eai;
	size_t n;
	struct sockaddr_storage addrs[CONN_ADDRS_MAX];
};

static void request_resolved(struct conn *c)
{
	conn_set_phase(c, PH_RESOLVE);
	if (c->cmd == SESS_CMD_BIND)
		cmd_bind_start(c);
	else
		cmd_connect_next(c);
}

/* Worker thread: resolve the name (IPv4 only for SOCKS4). */
static void request_res_work(struct rjob *j)
{
	struct request_res_job *r = container_of(j, struct request_res_job, j);
	struct addrinfo hints, *res = NULL, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = r->family;
	hints.ai_socktype = SOCK_STREAM;
	r->eai = getaddrinfo(r->name, NULL, &hints, &res);
	if (r->eai)
		return;
	for (ai = res; ai && r->n < CONN_ADDRS_MAX; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		memcpy(&r->addrs[r->n], ai->ai_addr, ai->ai_addrlen);
		net_sa_unmap(&r->addrs[r->n]);
		net_sa_set_port(&r->addrs[r->n], r->port);
		r->n++;
	}
	freeaddrinfo(res);
	if (!r->n)
		r->eai = EAI_NONAME;
}

static void request_res_release(struct rjob *j)
{
	free(container_of(j, struct request_res_job, j));
}

/* Loop thread: the look-up finished. */
static void request_res_done(struct rjob *j)
{
	struct request_res_job *r = container_of(j, struct request_res_job, j);
	struct conn *c = r->c;
	int eai = r->eai;

	c->job = NULL;
	if (eai) {
		LOG_DBG("cannot resolve %.64s: %s", r->name, gai_strerror(eai));
		free(r);
		conn_reply(c, socks5_rep_from_eai(eai), NULL);
		return;
	}
	c->addrs = calloc(r->n, sizeof(*c->addrs));
	if (!c->addrs) {
		free(r);
		conn_reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return;
	}
	memcpy(c->addrs, r->addrs, r->n * sizeof(*c->addrs));
	c->naddrs = r->n;
	free(r);
	request_resolved(c);
}

/*
 * The session parsed a request: keep what the log needs, then resolve a
 * name (in the worker pool), or go on with the address given.
 */
void request_start(struct conn *c)
{
	struct sess *s = c->sess;
	socklen_t len;

	c->ver = s->ver;
	c->cmd = s->cmd;
	c->dst = s->dst;
	if (s->has_user) {
		c->user = strdup(s->auth.uname);
		if (!c->user) {
			conn_reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
			return;
		}
	}
	conn_set_phase(c, PH_RESOLVE);
	conn_set_deadline(c, c->cfg->connect_timeout);
	if (c->cmd == SESS_CMD_UDP) {
		cmd_udp_start(c);
		return;
	}
	if (c->dst.type == SOCKS5_ATYP_DOMAINNAME) {
		struct request_res_job *r;

		if (!socks_name_is_valid(c->dst.u.name, c->dst.len)) {
			conn_reply(c, SOCKS5_REP_HOST_UNREACHABLE, NULL);
			return;
		}
		r = calloc(1, sizeof(*r));
		if (!r) {
			conn_reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
			return;
		}
		r->j.work = request_res_work;
		r->j.done = request_res_done;
		r->j.release = request_res_release;
		r->c = c;
		memcpy(r->name, c->dst.u.name, c->dst.len);
		r->name[c->dst.len] = '\0';
		r->port = c->dst.port;
		/* SOCKS4 replies carry only IPv4 (notes A.1). */
		r->family = c->ver == 4 ? AF_INET : AF_UNSPEC;
		c->job = &r->j;
		resolver_submit(&r->j);
		conn_update_masks(c);
		return;
	}
	if (c->cmd == SESS_CMD_BIND && socks_addr_is_zero(&c->dst)) {
		request_resolved(c);
		return;
	}
	c->addrs = calloc(1, sizeof(*c->addrs));
	if (!c->addrs ||
	    socks_addr_to_sockaddr(&c->dst, &c->addrs[0], &len) < 0) {
		conn_reply(c, SOCKS5_REP_GENERAL_FAILURE, NULL);
		return;
	}
	net_sa_unmap(&c->addrs[0]);
	c->naddrs = 1;
	request_resolved(c);
}
