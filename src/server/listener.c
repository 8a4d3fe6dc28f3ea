// SPDX-License-Identifier: MIT
/* Listening sockets and fd-exhaustion handling (see listener.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "server/conn.h"
#include "server/listener.h"
#include "server/lo_cc.h"
#include "server/loop.h"
#include "server/server.h"

#define ACCEPT_BATCH 64
#define LISTEN_BACKLOG 1024

struct listener {
	struct loop_handler h;
	int fd;			  /* the one this process accepts on */
	int fds[SRV_WORKERS_MAX]; /* one per worker (SO_REUSEPORT) */
	int nfds;
	char text[64];
	bool paused;
	bool cc_set; /* loopback listener: accepted sockets inherit lo_cc */
};

static struct listener listeners[SRV_LISTEN_MAX];
static size_t nlisteners;
static int reserve_fd = -1;
static int64_t last_warn;

static void reserve(void)
{
	if (reserve_fd < 0)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void warn_exhausted(int err)
{
	if (loop_now() - last_warn < 5000)
		return;
	last_warn = loop_now();
	LOG_WARN("accept: %s: shedding new connections", strerror(err));
}

static void on_accept(struct loop_handler *h, uint32_t ev)
{
	struct listener *l = container_of(h, struct listener, h);
	int i;

	(void)ev;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			int err = errno;

			if (err == EAGAIN || err == EINTR)
				return;
			if (err != EMFILE && err != ENFILE && err != ENOBUFS &&
			    err != ENOMEM)
				continue; /* ECONNABORTED and friends */
			warn_exhausted(err);
			server.shed++;
			if (reserve_fd >= 0) {
				close(reserve_fd);
				reserve_fd = -1;
				fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
				if (fd >= 0)
					close(fd);
				reserve();
			}
			if (reserve_fd < 0) {
				/* Still nothing: stop accepting for a tick. */
				l->paused = true;
				loop_set(&l->h, 0);
			}
			return;
		}
		if (server.nclients >= server.cfg->max_clients) {
			server.shed++;
			close(fd);
			continue;
		}
		if (!l->cc_set && lo_cc_wanted((struct sockaddr *)&peer))
			lo_cc_apply(
				fd); /* a local client of a wildcard listener */
		if (conn_accept(fd, &peer) < 0) {
			close(fd);
			continue;
		}
	}
}

void listener_tick(int64_t now)
{
	size_t i;

	(void)now;
	reserve();
	for (i = 0; i < nlisteners; i++)
		if (listeners[i].paused && reserve_fd >= 0) {
			listeners[i].paused = false;
			loop_set(&listeners[i].h, EPOLLIN);
		}
}

/*
 * TCP Fast Open: a client holding our cookie sends its first bytes (the
 * greeting, or a whole pipelined negotiation) in the SYN, and they are
 * read at once.  The queue bounds pending Fast Open requests; the kernel
 * honours it only with the server bit of net.ipv4.tcp_fastopen (2, or 3
 * for client and server); without it, or on an old kernel, clients just
 * use the normal handshake.
 */
#define LISTEN_TFO_QLEN 256

/* One listening socket on @sa.  Returns the fd or -1 (errno set). */
static int open_one(const struct sockaddr *sa, socklen_t len, bool reuseport,
		    bool fastopen)
{
	int qlen = LISTEN_TFO_QLEN;
	int one = 1, fd, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* Accepted sockets inherit it: one call per listener, not per client. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (lo_cc_wanted(sa))
		lo_cc_apply(fd); /* inherited too */
	if (fastopen)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen,
				 sizeof(qlen));
	if (bind(fd, sa, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int listener_open_all(const struct srvconf *cfg, int workers, char *err,
		      size_t errlen)
{
	size_t i;
	int k;

	if (workers < 1)
		workers = 1;
	if (workers > SRV_WORKERS_MAX)
		workers = SRV_WORKERS_MAX;
	for (i = 0; i < cfg->nlisten; i++) {
		const struct srv_listen *sl = &cfg->listen[i];
		struct listener *l = &listeners[nlisteners];
		struct sockaddr_storage bound;
		socklen_t blen = sizeof(bound);
		char want[64];
		int fd;

		net_sa_format((const struct sockaddr *)&sl->ss, want,
			      sizeof(want));
		fd = open_one((const struct sockaddr *)&sl->ss, sl->len,
			      workers > 1, cfg->fastopen);
		if (fd < 0)
			goto fail;
		if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0) {
			close(fd);
			goto fail;
		}
		l->fd = fd;
		l->cc_set = lo_cc_wanted((const struct sockaddr *)&bound);
		l->fds[0] = fd;
		l->nfds = 1;
		l->h.fd = -1;
		nlisteners++;
		/* Workers share the port actually bound (also for port 0). */
		for (k = 1; k < workers; k++) {
			fd = open_one((struct sockaddr *)&bound, blen, true,
				      cfg->fastopen);
			if (fd < 0)
				goto fail;
			l->fds[l->nfds++] = fd;
		}
		net_sa_format((struct sockaddr *)&bound, l->text,
			      sizeof(l->text));
		continue;
	fail:
		snprintf(err, errlen, "cannot listen on %s: %s", want,
			 strerror(errno));
		listener_close_all();
		return -1;
	}
	reserve();
	return 0;
}

/*
 * Tests, users and service managers read the ports from these lines:
 * logged as INFO but at level 0, so that -d 0 still shows them.  Called
 * once the process that serves them is the one logging (after daemon(3)).
 */
void listener_announce(void)
{
	size_t i;

	for (i = 0; i < nlisteners; i++)
		log_msg(LOG_LVL_ERR * 16 + 2, "main", "listening on %s",
			listeners[i].text);
}

void listener_pick_worker(int k)
{
	size_t i;
	int j;

	for (i = 0; i < nlisteners; i++) {
		struct listener *l = &listeners[i];

		for (j = 0; j < l->nfds; j++)
			if (j != k && l->fds[j] >= 0) {
				close(l->fds[j]);
				l->fds[j] = -1;
			}
		/* k < 0: the supervisor, which serves no listener. */
		l->fd = k >= 0 && k < l->nfds ? l->fds[k] : -1;
		l->fds[0] = l->fd;
		l->nfds = 1;
	}
}

int listener_watch(void)
{
	size_t i;
	int rc;

	for (i = 0; i < nlisteners; i++) {
		rc = loop_add(&listeners[i].h, listeners[i].fd, on_accept,
			      EPOLLIN);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void listener_close_all(void)
{
	size_t i;
	int j;

	for (i = 0; i < nlisteners; i++) {
		loop_del(&listeners[i].h);
		for (j = 0; j < listeners[i].nfds; j++)
			if (listeners[i].fds[j] >= 0)
				close(listeners[i].fds[j]);
	}
	nlisteners = 0;
}

size_t listener_addrs(char out[][64], size_t max)
{
	size_t i;

	for (i = 0; i < nlisteners && i < max; i++)
		snprintf(out[i], 64, "%s", listeners[i].text);
	return i;
}
