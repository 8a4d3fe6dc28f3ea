// SPDX-License-Identifier: MIT
/*
 * The metrics endpoint (see metrics_ep.h).  One scrape's life:
 *
 *   accept -> READ (until the blank line ending the request headers)
 *          -> WRITE (status, headers, metrics_render() body) -> closed
 *
 * Any error, an oversized request or the deadline closes the scrape.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/net.h"
#include "server/loop.h"
#include "server/metrics.h"
#include "server/metrics_ep.h"

#define SCRAPE_IN_MAX 2048
#define SCRAPE_OUT_MAX 8192

struct scrape {
	struct loop_handler h;
	int fd; /* -1: slot free */
	bool writing;
	int64_t deadline;
	size_t inlen, outlen, off;
	char in[SCRAPE_IN_MAX];
	char out[SCRAPE_OUT_MAX];
};

static struct scrape scrapes[METRICS_EP_SCRAPES];
static struct loop_handler lh;
static int lfd = -1;
static struct sockaddr_storage laddr;

static void scrape_close(struct scrape *s)
{
	loop_forget(&s->h);
	close(s->fd);
	s->fd = -1;
}

/* The response to the request in @s->in (headers ignored). */
static void scrape_respond(struct scrape *s)
{
	static const char hdr[] =
		"HTTP/1.0 200 OK\r\n"
		"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
		"Connection: close\r\n"
		"Content-Length: %d\r\n\r\n";
	const char *status = NULL;
	char head[160];
	int body, n;

	if (strncmp(s->in, "GET ", 4) != 0)
		status = "405 Method Not Allowed";
	else if (strncmp(s->in + 4, "/metrics ", 9) != 0 &&
		 strncmp(s->in + 4, "/ ", 2) != 0 &&
		 strncmp(s->in + 4, "/metrics\r", 9) != 0)
		status = "404 Not Found";
	if (status) {
		n = snprintf(s->out, sizeof(s->out),
			     "HTTP/1.0 %s\r\nConnection: close\r\n"
			     "Content-Length: 0\r\n\r\n",
			     status);
		s->outlen = (size_t)n;
		return;
	}
	/* The body first, after room for the head; then the head moved in. */
	body = metrics_render(s->out + sizeof(head),
			      sizeof(s->out) - sizeof(head));
	if (body < 0) {
		n = snprintf(s->out, sizeof(s->out),
			     "HTTP/1.0 500 Internal Server Error\r\n"
			     "Connection: close\r\nContent-Length: 0\r\n\r\n");
		s->outlen = (size_t)n;
		return;
	}
	n = snprintf(head, sizeof(head), hdr, body);
	memmove(s->out + n, s->out + sizeof(head), (size_t)body);
	memcpy(s->out, head, (size_t)n);
	s->outlen = (size_t)n + (size_t)body;
}

static void scrape_event(struct loop_handler *h, uint32_t ev)
{
	struct scrape *s = container_of(h, struct scrape, h);
	ssize_t n;

	(void)ev;
	if (!s->writing) {
		n = recv(s->fd, s->in + s->inlen, sizeof(s->in) - 1 - s->inlen,
			 MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			scrape_close(s);
			return;
		}
		s->inlen += (size_t)n;
		s->in[s->inlen] = '\0';
		if (!strstr(s->in, "\r\n\r\n") && !strstr(s->in, "\n\n")) {
			if (s->inlen == sizeof(s->in) - 1)
				scrape_close(s); /* oversized request */
			return;
		}
		scrape_respond(s);
		s->writing = true;
		if (loop_set(&s->h, EPOLLOUT) < 0) {
			scrape_close(s);
			return;
		}
	}
	n = send(s->fd, s->out + s->off, s->outlen - s->off,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		scrape_close(s);
		return;
	}
	s->off += (size_t)n;
	if (s->off == s->outlen)
		scrape_close(s);
}

static void metrics_ep_accept(struct loop_handler *h, uint32_t ev)
{
	struct scrape *s;
	size_t i;
	int fd;

	(void)h;
	(void)ev;
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN (another worker took it), or
				 * EMFILE: retried at the next event */
		s = NULL;
		for (i = 0; i < METRICS_EP_SCRAPES; i++)
			if (scrapes[i].fd < 0) {
				s = &scrapes[i];
				break;
			}
		if (!s) {
			close(fd); /* bound on concurrent scrapes */
			continue;
		}
		s->fd = fd;
		s->writing = false;
		s->inlen = s->outlen = s->off = 0;
		s->deadline = loop_now() + METRICS_EP_TIMEOUT_MS;
		if (loop_add(&s->h, fd, scrape_event, EPOLLIN) < 0) {
			close(fd);
			s->fd = -1;
		}
	}
}

int metrics_ep_open(const struct srvconf *cfg, char *err, size_t errlen)
{
	const struct sockaddr *sa = (const struct sockaddr *)&cfg->metrics.ss;
	socklen_t len = sizeof(laddr);
	char name[128];
	struct stat st;
	size_t i;
	int one = 1;

	for (i = 0; i < METRICS_EP_SCRAPES; i++)
		scrapes[i].fd = -1;
	if (cfg->metrics.len == 0)
		return 0;
	if (sa->sa_family == AF_UNIX) {
		const char *path = ((const struct sockaddr_un *)sa)->sun_path;

		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path); /* left by a previous run */
	}
	lfd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		     0);
	if (lfd < 0)
		goto fail;
	if (sa->sa_family != AF_UNIX)
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, sa, cfg->metrics.len) < 0 || listen(lfd, 16) < 0)
		goto fail;
	if (getsockname(lfd, (struct sockaddr *)&laddr, &len) < 0)
		goto fail;
	if (sa->sa_family == AF_UNIX) {
		memcpy(&laddr, sa, cfg->metrics.len);
		snprintf(name, sizeof(name), "%s",
			 ((const struct sockaddr_un *)sa)->sun_path);
	} else {
		net_sa_format((struct sockaddr *)&laddr, name, sizeof(name));
	}
	log_msg(LOG_LVL_ERR * 16 + 2, "main", "metrics on %s", name);
	return 0;
fail:
	snprintf(err, errlen, "metrics endpoint: %s", strerror(errno));
	if (lfd >= 0)
		close(lfd);
	lfd = -1;
	return -1;
}

int metrics_ep_watch(void)
{
	if (lfd < 0)
		return 0;
	return loop_add(&lh, lfd, metrics_ep_accept, EPOLLIN);
}

void metrics_ep_tick(int64_t now)
{
	size_t i;

	for (i = 0; i < METRICS_EP_SCRAPES; i++)
		if (scrapes[i].fd >= 0 && now >= scrapes[i].deadline)
			scrape_close(&scrapes[i]);
}

void metrics_ep_close(bool unlink_path)
{
	size_t i;

	for (i = 0; i < METRICS_EP_SCRAPES; i++)
		if (scrapes[i].fd >= 0)
			scrape_close(&scrapes[i]);
	if (lfd < 0)
		return;
	loop_forget(&lh);
	close(lfd);
	lfd = -1;
	if (unlink_path && laddr.ss_family == AF_UNIX)
		unlink(((struct sockaddr_un *)&laddr)->sun_path);
}
