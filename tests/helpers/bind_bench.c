// SPDX-License-Identifier: MIT
/*
 * bind_bench HOST PORT ROUNDS: the latency of an inbound connection through
 * a SOCKS BIND (scripts/bench.d/bind.sh).  Connects to the callback server
 * HOST:PORT (the control connection), then ROUNDS times: listens on the
 * any address, tells the server "PORT ADDR PORT\n", accepts (blocking).
 * The server writes CLOCK_MONOTONIC in nanoseconds, taken just before its
 * connect(), as the first 8 bytes (host order, same machine); the time
 * from then to accept() returning is the figure.  Prints
 * "rounds=N median_us=M p90_us=P min_us=X".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;
	int c, rounds, n = 0;
	int64_t *us;

	if (argc != 4)
		return fprintf(stderr, "usage: bind_bench HOST PORT ROUNDS\n"),
		       2;
	rounds = atoi(argv[3]);
	us = calloc((size_t)(rounds > 0 ? rounds : 1), sizeof(*us));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, argv[1], &sin.sin_addr);
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (!us || c < 0 ||
	    connect(c, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return perror("control connect"), 1;
	for (int i = 0; i < rounds; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t len = sizeof(a);
		char line[80], ip[INET_ADDRSTRLEN];
		int64_t t0, t1;
		int l = socket(AF_INET, SOCK_STREAM, 0), s;

		if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(l, 1) < 0 ||
		    getsockname(l, (struct sockaddr *)&a, &len) < 0)
			return perror("listen"), 1;
		inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
		snprintf(line, sizeof(line), "PORT %s %u\n", ip,
			 ntohs(a.sin_port));
		if (write(c, line, strlen(line)) != (ssize_t)strlen(line))
			return perror("control write"), 1;
		s = accept(l, NULL, NULL);
		t1 = now_ns();
		if (s < 0 || recv(s, &t0, sizeof(t0), MSG_WAITALL) != 8)
			return perror("accept"), 1;
		us[n++] = (t1 - t0) / 1000;
		close(s);
		close(l);
	}
	qsort(us, (size_t)n, sizeof(*us), cmp64);
	printf("rounds=%d median_us=%lld p90_us=%lld min_us=%lld\n", n,
	       (long long)us[n / 2], (long long)us[n * 9 / 10],
	       (long long)us[0]);
	return 0;
}
