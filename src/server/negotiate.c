// SPDX-License-Identifier: MIT
/*
 * The handshake phase of a connection (conn_priv.h): client bytes fed to
 * the session (greeting, method selection, request), RFC 1929 credentials
 * checked on a worker thread while a pipelined request waits.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/auth.h"
#include "server/conn_priv.h"

struct negotiate_auth_job {
	struct rjob j;
	struct conn *c;
	struct srvconf *cfg; /* own reference: the conn may go first */
	char user[AUTH1929_FIELD_MAX + 1];
	char pass[AUTH1929_FIELD_MAX + 1];
	size_t ulen, plen;
	bool ok;
};

static void negotiate_auth_work(struct rjob *j)
{
	struct negotiate_auth_job *a =
		container_of(j, struct negotiate_auth_job, j);

	a->ok = auth_verify(&a->cfg->users, a->user, a->ulen, a->pass, a->plen);
	explicit_bzero(a->pass, sizeof(a->pass));
}

static void negotiate_auth_release(struct rjob *j)
{
	struct negotiate_auth_job *a =
		container_of(j, struct negotiate_auth_job, j);

	srvconf_unref(a->cfg);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

static void negotiate_auth_done(struct rjob *j)
{
	struct negotiate_auth_job *a =
		container_of(j, struct negotiate_auth_job, j);
	struct conn *c = a->c;
	bool ok = a->ok;

	c->job = NULL;
	negotiate_auth_release(j);
	conn_set_phase(c, PH_HANDSHAKE);
	conn_handle(c, sess_auth_done(c->sess, ok));
}

/* RFC 1929 credentials arrived: check them off the loop. */
void negotiate_auth_start(struct conn *c)
{
	const struct auth1929_request *r = sess_auth(c->sess);
	struct negotiate_auth_job *a = calloc(1, sizeof(*a));

	if (!a) {
		conn_handle(c, sess_auth_done(c->sess, false));
		return;
	}
	a->j.work = negotiate_auth_work;
	a->j.done = negotiate_auth_done;
	a->j.release = negotiate_auth_release;
	a->c = c;
	a->cfg = srvconf_ref(c->cfg);
	memcpy(a->user, r->uname, sizeof(a->user));
	memcpy(a->pass, r->passwd, sizeof(a->pass));
	a->ulen = r->ulen;
	a->plen = r->plen;
	c->job = &a->j;
	conn_set_phase(c, PH_AUTH);
	resolver_submit(&a->j);
	conn_update_masks(c);
}

/*
 * Handshake input: read at most what the session has room for and feed
 * it; a request pipelined behind credentials waits in the session while
 * the password is checked.
 */
void negotiate_event(struct conn *c, uint32_t ev)
{
	uint8_t buf[SESS_IN_MAX];
	enum sess_action act = SESS_ACT_NONE;
	size_t room, used;
	ssize_t n;

	if (ev & EPOLLOUT && conn_flush(c) < 0) {
		conn_finish(c);
		return;
	}
	while (c->phase == PH_HANDSHAKE || c->phase == PH_AUTH) {
		room = sess_room(c->sess);
		if (!room)
			break;
		n = recv(c->cfd, buf, room, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			if (c->job)
				c->job->cancelled = true;
			c->job = NULL;
			sess_eof(c->sess);
			conn_finish(c);
			return;
		}
		if (n < 0)
			break;
		act = sess_feed(c->sess, buf, (size_t)n, &used);
		/* In PH_AUTH a pipelined request waits for the verdict. */
		if (c->phase != PH_AUTH || act != SESS_ACT_NONE)
			conn_handle(c, act);
		/*
		 * A short read drained the socket: what the client sends next
		 * (it is waiting for our reply) is reported by the
		 * level-triggered loop; one recv() fewer per step.
		 */
		if ((size_t)n < room)
			break;
	}
	if (c->phase != PH_DEAD)
		conn_update_masks(c);
}
