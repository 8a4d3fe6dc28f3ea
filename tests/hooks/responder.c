// SPDX-License-Identifier: MIT
/* Scripted SOCKS responder thread for tests/hooks (see responder.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "responder.h"

/* Bounded wait so that no test can hang on the responder. */
#define RESP_WAIT_MS 5000

static int resp_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, RESP_WAIT_MS) == 1 ? 0 : -1;
}

static void *resp_main(void *arg)
{
	struct responder *r = arg;
	int fd, i;

	r->failed_step = 0;
	if (resp_wait(r->lfd) < 0)
		return NULL;
	fd = accept(r->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	r->accepted = 1;
	for (i = 0; i < RESP_MAX_STEPS; i++) {
		struct resp_step *s = &r->steps[i];
		size_t done = 0;
		ssize_t n;

		r->failed_step = i;
		switch (s->op) {
		case RESP_END:
			r->failed_step = -1;
			goto out;
		case RESP_READ:
			while (done < s->len) {
				if (resp_wait(fd) < 0 || r->ngot >= RESP_BUF)
					goto out;
				n = read(fd, r->got + r->ngot,
					 s->len - done < RESP_BUF - r->ngot
						 ? s->len - done
						 : RESP_BUF - r->ngot);
				if (n <= 0)
					goto out;
				done += (size_t)n;
				r->ngot += (size_t)n;
			}
			break;
		case RESP_SEND:
			if (send(fd, s->data, s->len, MSG_NOSIGNAL) !=
			    (ssize_t)s->len)
				goto out;
			break;
		case RESP_GATE:
			if (resp_wait(r->gate[0]) < 0)
				goto out;
			break;
		case RESP_SILENT:
		case RESP_READ_ALL:
			for (;;) {
				uint8_t junk[512];

				if (resp_wait(fd) < 0)
					goto out;
				n = read(fd, junk, sizeof(junk));
				if (n <= 0)
					break;
				if (s->op == RESP_READ_ALL &&
				    r->ngot + (size_t)n <= RESP_BUF) {
					memcpy(r->got + r->ngot, junk,
					       (size_t)n);
					r->ngot += (size_t)n;
				}
			}
			break;
		}
	}
out:
	close(fd);
	return NULL;
}

int resp_start(struct responder *r, int family, const struct resp_step *steps)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int i;

	memset(r, 0, sizeof(*r));
	r->family = family;
	r->failed_step = -2;
	for (i = 0; i < RESP_MAX_STEPS && steps[i].op != RESP_END; i++)
		r->steps[i] = steps[i];
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	if (pipe(r->gate) < 0)
		return -1;
	r->lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->lfd < 0)
		return -1;
	if (bind(r->lfd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(r->lfd, 4) < 0 ||
	    getsockname(r->lfd, (struct sockaddr *)&ss, &len) < 0) {
		close(r->lfd);
		return -1;
	}
	r->port = ntohs(family == AF_INET6
				? ((struct sockaddr_in6 *)&ss)->sin6_port
				: ((struct sockaddr_in *)&ss)->sin_port);
	if (pthread_create(&r->tid, NULL, resp_main, r) != 0) {
		close(r->lfd);
		return -1;
	}
	return 0;
}

void resp_open_gate(struct responder *r)
{
	(void)!write(r->gate[1], "g", 1);
}

void resp_join(struct responder *r)
{
	pthread_join(r->tid, NULL);
	close(r->lfd);
	close(r->gate[0]);
	close(r->gate[1]);
}
