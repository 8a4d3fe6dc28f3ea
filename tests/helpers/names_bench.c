// SPDX-License-Identifier: MIT
/*
 * Benchmark helper for scripts/bench.d/names.sh (not a test): the cost of
 * the fake-name table as a program sees it, through the preloaded
 * library's resolver hooks (resolve = remote).  Prints the median ns per
 * call over blocks of calls:
 *   alloc    getaddrinfo(a new name, AF_INET) + freeaddrinfo: allocation
 *   hit      getaddrinfo(a known name, AF_INET) + freeaddrinfo
 *   reverse  getnameinfo(a fake address, NI_NAMEREQD): address -> name
 * Usage: names_bench [-b BLOCKS] [-n CALLS_PER_BLOCK]
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int resolve(const char *name, struct sockaddr_storage *ss)
{
	struct addrinfo hints, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, "80", &hints, &ai) != 0)
		return -1;
	if (ss)
		memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

int main(int argc, char **argv)
{
	int blocks = 31, n = 1000, opt, b, i, k = 0;
	struct sockaddr_storage ss;
	char name[64], host[NI_MAXHOST];
	double *t[3];
	const char *what[3] = {"alloc", "hit", "reverse"};

	while ((opt = getopt(argc, argv, "b:n:")) != -1) {
		if (opt == 'b')
			blocks = atoi(optarg);
		else if (opt == 'n')
			n = atoi(optarg);
		else
			return 2;
	}
	for (i = 0; i < 3; i++)
		t[i] = calloc((size_t)blocks, sizeof(double));
	if (resolve("hot.bench.test", &ss) != 0) {
		fprintf(stderr,
			"names_bench: no fake address (resolve = remote?)\n");
		return 1;
	}
	for (b = 0; b < blocks; b++) {
		double t0 = now_ns();

		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "n%d.%d.bench.test", k++,
				 (int)getpid());
			if (resolve(name, NULL) != 0)
				return 1;
		}
		t[0][b] = (now_ns() - t0) / n;
		t0 = now_ns();
		for (i = 0; i < n; i++)
			if (resolve("hot.bench.test", NULL) != 0)
				return 1;
		t[1][b] = (now_ns() - t0) / n;
		t0 = now_ns();
		for (i = 0; i < n; i++)
			if (getnameinfo((struct sockaddr *)&ss, sizeof(ss),
					host, sizeof(host), NULL, 0,
					NI_NAMEREQD) != 0)
				return 1;
		t[2][b] = (now_ns() - t0) / n;
	}
	for (i = 0; i < 3; i++) {
		qsort(t[i], (size_t)blocks, sizeof(double), cmp);
		printf("%s median-ns/call=%.0f min=%.0f max=%.0f blocks=%d "
		       "calls/block=%d\n",
		       what[i], t[i][blocks / 2], t[i][0], t[i][blocks - 1],
		       blocks, n);
	}
	return 0;
}
