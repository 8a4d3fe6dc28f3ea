/* SPDX-License-Identifier: MIT */
/*
 * fastpath_bench: cost of calls on fds a preload library does not manage.
 *
 *   fastpath_bench [-n ITERATIONS] [-r ROUNDS]          (real syscalls)
 *   fastpath_bench -s [-n ITERATIONS] [-r ROUNDS]       (stub: the hook alone)
 *   fastpath_bench -c [-n ITERATIONS]                   (for callgrind)
 *
 * Real syscalls (default).  Times ITERATIONS (default 1,000,000) rounds of
 * write(2) 1 byte to a pipe + read(2) it back, and ITERATIONS read(2)s of
 * 64 bytes from a regular file; prints the best of ROUNDS (default 5), as
 * wall-clock and as user CPU time (getrusage) in nanoseconds per call:
 *   pipe ns/call=X user-ns/call=U
 *   file ns/call=Y user-ns/call=V
 * Run it with and without LD_PRELOAD and subtract (scripts/bench client).
 * Because separate runs drift with the machine's load, it also measures
 * in one process, interleaved in blocks of 100 calls, the interposed
 * write/read (the preloaded hook when there is one) against libc's own
 * (looked up in libc.so.6 itself), and prints the median over block
 * pairs of the difference (robust against preemption on a busy machine):
 *   interleaved hook-libc ns/call=D (pipe write+read)
 *   interleaved hook-libc file ns/call=E
 * Without LD_PRELOAD both are libc's: that run shows the noise floor.
 * The syscall itself costs 1-5 us with tens of ns of noise: these
 * figures cannot resolve a few ns.
 *
 * Stub (-s).  The hook alone, without the syscall's noise: run with
 *   LD_PRELOAD="libsocksify.so libfastpath_stub.so"
 * The library binds the stub's write/read/send/recv/close as its "real"
 * functions (dlsym(RTLD_NEXT)); on the bench's fds they return at once.
 * For each call kind the bench then compares, interleaved in blocks of
 * BLOCK calls, a call through the interposed name (what the program's PLT
 * reaches: the library's hook, which ends in the stub) with a direct call
 * of the stub (fastpath_stub_<name>), both through a function pointer
 * from the same loop.  The difference is exactly what the library adds
 * to a call on an fd it does not manage: the hook's code as built, its
 * loads and its jump to the "real" pointer, in a hot loop (warm caches
 * and TLB, predicted branches; after a real syscall the hook's code and
 * data pages may have to be fetched again).  Before timing, one hooked
 * call must reach the stub (its call counter), or the bench fails.  It
 * prints, per kind, the best block of each side and the added time: the
 * per-pair difference, median over the pairs where the hooked block ran
 * first and over those where it ran second, the mean of the two:
 *   stub pipe-write direct-ns/call=A hooked-ns/call=B added-ns/call=C ...
 * Without libsocksify (LD_PRELOAD=libfastpath_stub.so) both sides are
 * the stub: that run shows the noise floor.
 *
 * Count (-c).  Runs, once, ITERATIONS calls of each kind through each
 * side, in functions named fp_count_<kind>_<hooked|direct>, for
 *   valgrind --tool=callgrind; callgrind_annotate --inclusive=yes
 * whose inclusive instruction counts, (hooked - direct) / ITERATIONS,
 * are the instructions the hook adds per call (deterministic).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double user_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1e9 + ru.ru_utime.tv_usec * 1e3;
}

static double last_user; /* user ns per call of the last bench_*() */

/* ns per call of write+read on a pipe (2 calls per iteration). */
static double bench_pipe(long n)
{
	int p[2];
	char c = 'x';
	double t0, t;
	long i;

	if (pipe(p) < 0) {
		perror("pipe");
		exit(1);
	}
	last_user = user_ns();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1) {
			perror("pipe io");
			exit(1);
		}
	}
	t = now_ns() - t0;
	last_user = (user_ns() - last_user) / (2.0 * n);
	close(p[0]);
	close(p[1]);
	return t / (2.0 * n);
}

/* ns per read(2) of 64 bytes from a 1 MiB regular file. */
static double bench_file(long n)
{
	char path[] = "/tmp/fastpath_bench.XXXXXX", buf[65536];
	double t0, t;
	long i;
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		exit(1);
	}
	unlink(path);
	memset(buf, 'y', sizeof(buf));
	for (i = 0; i < 16; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			perror("write");
			exit(1);
		}
	lseek(fd, 0, SEEK_SET);
	last_user = user_ns();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		ssize_t r = read(fd, buf, 64);

		if (r == 0)
			lseek(fd, 0, SEEK_SET);
		else if (r < 0) {
			perror("read");
			exit(1);
		}
	}
	t = now_ns() - t0;
	last_user = (user_ns() - last_user) / n;
	close(fd);
	return t / n;
}

typedef ssize_t (*io_fn)(int, void *, size_t);
typedef ssize_t (*wr_fn)(int, const void *, size_t);

#define BLOCK 100

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Median over block pairs of ns per call of (hooked - libc) write+read on
 * a pipe (file < 0) or read on @file, alternating blocks of BLOCK calls
 * through each.
 */
static double interleaved(long n, int file)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	wr_fn lw = libc ? (wr_fn)dlsym(libc, "write") : NULL;
	io_fn lr = libc ? (io_fn)dlsym(libc, "read") : NULL;
	long b, i, blocks = n / BLOCK > 0 ? n / BLOCK : 1;
	double th, tl, med, *diff = calloc(blocks, sizeof(double));
	char c = 'x', buf[64];
	int p[2];

	if (!diff || !lw || !lr || pipe(p) < 0) {
		fprintf(stderr, "fastpath_bench: no libc symbols\n");
		exit(1);
	}
	for (b = 0; b < blocks; b++) {
		int k;

		th = tl = 0;
		for (k = 0; k < 2; k++) {
			int hooked = (k == 0) == (b % 2 == 0);
			double t0 = now_ns();

			for (i = 0; i < BLOCK; i++) {
				ssize_t r;

				if (file >= 0) {
					r = hooked ? read(file, buf, 64)
						   : lr(file, buf, 64);
					if (r == 0)
						lseek(file, 0, SEEK_SET);
					continue;
				}
				if (hooked)
					r = write(p[1], &c, 1) +
					    read(p[0], &c, 1);
				else
					r = lw(p[1], &c, 1) + lr(p[0], &c, 1);
				if (r != 2) {
					perror("pipe io");
					exit(1);
				}
			}
			if (hooked)
				th = now_ns() - t0;
			else
				tl = now_ns() - t0;
		}
		diff[b] = (th - tl) / ((double)BLOCK * (file >= 0 ? 1 : 2));
	}
	close(p[0]);
	close(p[1]);
	qsort(diff, blocks, sizeof(double), cmp_double);
	med = diff[blocks / 2];
	free(diff);
	return med;
}

/* ---- stub mode (-s) and count mode (-c) ---- */

typedef ssize_t (*rd_fn)(int, void *, size_t);
typedef ssize_t (*snd_fn)(int, const void *, size_t, int);
typedef ssize_t (*rcv_fn)(int, void *, size_t, int);
typedef int (*cls_fn)(int);

/*
 * One loop per signature, never inlined, called with the hooked or the
 * direct pointer: both sides run the very same loop code.
 */
static __attribute__((noinline)) void loop_write(void *f, int fd, long n)
{
	char c = 'x';

	for (long i = 0; i < n; i++)
		(void)((wr_fn)f)(fd, &c, 1);
}

static __attribute__((noinline)) void loop_read(void *f, int fd, long n)
{
	char c;

	for (long i = 0; i < n; i++)
		(void)((rd_fn)f)(fd, &c, 1);
}

static __attribute__((noinline)) void loop_send(void *f, int fd, long n)
{
	char c = 'x';

	for (long i = 0; i < n; i++)
		(void)((snd_fn)f)(fd, &c, 1, 0);
}

static __attribute__((noinline)) void loop_recv(void *f, int fd, long n)
{
	char c;

	for (long i = 0; i < n; i++)
		(void)((rcv_fn)f)(fd, &c, 1, 0);
}

static __attribute__((noinline)) void loop_close(void *f, int fd, long n)
{
	for (long i = 0; i < n; i++)
		(void)((cls_fn)f)(fd);
}

enum { K_PIPE_WRITE, K_PIPE_READ, K_FILE_READ, K_SEND, K_RECV, K_CLOSE, NK };

static struct stub_kind {
	const char *name; /* printed */
	const char *sym;  /* the interposed name */
	void (*loop)(void *, int, long);
	int fd;
	void *hooked; /* dlsym(RTLD_DEFAULT, sym): the hook if preloaded */
	void *direct; /* the stub itself */
} kinds[NK] = {
	[K_PIPE_WRITE] = {"pipe-write", "write", loop_write, -1, 0, 0},
	[K_PIPE_READ] = {"pipe-read", "read", loop_read, -1, 0, 0},
	[K_FILE_READ] = {"file-read", "read", loop_read, -1, 0, 0},
	[K_SEND] = {"socket-send", "send", loop_send, -1, 0, 0},
	[K_RECV] = {"socket-recv", "recv", loop_recv, -1, 0, 0},
	[K_CLOSE] = {"close", "close", loop_close, -1, 0, 0},
};

static const char *object_of(void *p)
{
	Dl_info di;

	if (p && dladdr(p, &di) && di.dli_fname)
		return di.dli_fname;
	return "?";
}

/*
 * Open the fds (a pipe, a regular file, a socket pair), hand them to the
 * stub, resolve both sides of each kind and check that a hooked call
 * reaches the stub.  Exits with a message if the stub is not loaded.
 */
static void stub_setup(int verbose)
{
	char path[] = "/tmp/fastpath_bench.XXXXXX";
	unsigned long *calls = dlsym(RTLD_DEFAULT, "fastpath_stub_calls");
	int *lo = dlsym(RTLD_DEFAULT, "fastpath_stub_lo");
	int *hi = dlsym(RTLD_DEFAULT, "fastpath_stub_hi");
	int p[2], sv[2], f, k, min, max;

	if (!calls || !lo || !hi) {
		fprintf(stderr, "fastpath_bench: -s and -c need "
				"libfastpath_stub.so in LD_PRELOAD "
				"(after the library under test)\n");
		exit(2);
	}
	f = mkstemp(path);
	if (pipe(p) < 0 || f < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("fastpath_bench: fds");
		exit(1);
	}
	unlink(path);
	kinds[K_PIPE_WRITE].fd = p[1];
	kinds[K_PIPE_READ].fd = p[0];
	kinds[K_FILE_READ].fd = f;
	kinds[K_SEND].fd = sv[0];
	kinds[K_RECV].fd = sv[1];
	kinds[K_CLOSE].fd = sv[0]; /* the stub never closes it */
	min = max = p[0];
	for (k = 0; k < NK; k++) {
		min = kinds[k].fd < min ? kinds[k].fd : min;
		max = kinds[k].fd > max ? kinds[k].fd : max;
	}
	*lo = min;
	*hi = max;
	for (k = 0; k < NK; k++) {
		struct stub_kind *kd = &kinds[k];
		char alias[64];
		unsigned long before;

		snprintf(alias, sizeof(alias), "fastpath_stub_%s", kd->sym);
		kd->hooked = dlsym(RTLD_DEFAULT, kd->sym);
		kd->direct = dlsym(RTLD_DEFAULT, alias);
		if (!kd->hooked || !kd->direct) {
			fprintf(stderr, "fastpath_bench: no %s\n", alias);
			exit(2);
		}
		before = *calls;
		kd->loop(kd->hooked, kd->fd, 1);
		if (*calls != before + 1) {
			fprintf(stderr,
				"fastpath_bench: %s through %s did not reach "
				"the stub (preload order?)\n",
				kd->sym, object_of(kd->hooked));
			exit(2);
		}
		kd->loop(kd->direct, kd->fd, 1);
		if (verbose)
			printf("# %s: hooked %s = %s, direct = %s%s\n",
			       kd->name, kd->sym, object_of(kd->hooked),
			       object_of(kd->direct),
			       kd->hooked == kd->direct
				       ? " (same function: noise floor)"
				       : "");
	}
}

#define STUB_BLOCK 2000
#define STUB_PAIRS 100

/* Stub mode: see the top of the file. */
static double median(double *v, long m)
{
	qsort(v, m, sizeof(double), cmp_double);
	return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

/*
 * Stub mode: see the top of the file.  The block that runs first in a
 * pair can be systematically faster or slower (the machine's state after
 * the timer read): pairs alternate the order, and the figure is the mean
 * of the two orders' medians, which cancels that bias.
 */
static void stub_bench(long n, int rounds)
{
	int block = STUB_BLOCK;
	long pairs = n / block > STUB_PAIRS ? n / block : STUB_PAIRS;
	double *diff[2];

	diff[0] = calloc((size_t)pairs * rounds, sizeof(double));
	diff[1] = calloc((size_t)pairs * rounds, sizeof(double));
	if (!diff[0] || !diff[1]) {
		perror("calloc");
		exit(1);
	}
	stub_setup(1);
	for (int k = 0; k < NK; k++) {
		struct stub_kind *kd = &kinds[k];
		double bh = 1e30, bd = 1e30, med[2];
		long m[2] = {0, 0};

		for (int r = 0; r < rounds; r++) {
			for (long b = 0; b < pairs; b++) {
				int hfirst = b % 2 == 0;
				double th = 0, td = 0;

				for (int side = 0; side < 2; side++) {
					int hooked = (side == 0) == hfirst;
					double t0 = now_ns(), t;

					kd->loop(hooked ? kd->hooked
							: kd->direct,
						 kd->fd, block);
					t = (now_ns() - t0) / block;
					if (hooked)
						th = t;
					else
						td = t;
				}
				bh = th < bh ? th : bh;
				bd = td < bd ? td : bd;
				diff[hfirst][m[hfirst]++] = th - td;
			}
		}
		med[0] = median(diff[0], m[0]);
		med[1] = median(diff[1], m[1]);
		printf("%s %s direct-ns/call=%.2f hooked-ns/call=%.2f "
		       "added-ns/call=%.2f (%ld block pairs of %d calls; "
		       "medians hooked-first %.2f, direct-first %.2f; best "
		       "blocks)\n",
		       "stub", kd->name, bd, bh, (med[0] + med[1]) / 2,
		       m[0] + m[1], block, med[1], med[0]);
	}
	free(diff[0]);
	free(diff[1]);
}

/* Count mode: one function per kind and side, for callgrind_annotate. */
#define COUNT_FN(k, side)                                                   \
	static __attribute__((noinline)) void fp_count_##k##_##side(long n) \
	{                                                                   \
		kinds[K_##k].loop(kinds[K_##k].side, kinds[K_##k].fd, n);   \
	}
#define COUNT_FNS(k) COUNT_FN(k, hooked) COUNT_FN(k, direct)
COUNT_FNS(PIPE_WRITE)
COUNT_FNS(PIPE_READ)
COUNT_FNS(FILE_READ)
COUNT_FNS(SEND)
COUNT_FNS(RECV)
COUNT_FNS(CLOSE)

static void count_run(long n)
{
	stub_setup(0);
#define COUNT_CALL(k)             \
	fp_count_##k##_hooked(n); \
	fp_count_##k##_direct(n);
	COUNT_CALL(PIPE_WRITE)
	COUNT_CALL(PIPE_READ)
	COUNT_CALL(FILE_READ)
	COUNT_CALL(SEND)
	COUNT_CALL(RECV)
	COUNT_CALL(CLOSE)
#undef COUNT_CALL
	printf("count: %ld calls of each kind and side\n", n);
}

int main(int argc, char **argv)
{
	long n = 1000000;
	int rounds = 5, ch, r, stub = 0, count = 0;
	double bp = 1e30, bf = 1e30, up = 1e30, uf = 1e30, v;

	while ((ch = getopt(argc, argv, "n:r:sc")) != -1) {
		if (ch == 'n')
			n = atol(optarg);
		else if (ch == 'r')
			rounds = atoi(optarg);
		else if (ch == 's')
			stub = 1;
		else if (ch == 'c')
			count = 1;
		else {
			fprintf(stderr, "usage: fastpath_bench [-s | -c] "
					"[-n N] [-r ROUNDS]\n");
			return 2;
		}
	}
	if (n < 1 || rounds < 1)
		return 2;
	if (count) {
		count_run(n);
		return 0;
	}
	if (stub) {
		stub_bench(n, rounds);
		return 0;
	}
	for (r = 0; r < rounds; r++) {
		v = bench_pipe(n);
		if (v < bp)
			bp = v;
		if (last_user < up)
			up = last_user;
		v = bench_file(n);
		if (v < bf)
			bf = v;
		if (last_user < uf)
			uf = last_user;
	}
	printf("pipe ns/call=%.2f user-ns/call=%.2f\n", bp, up);
	printf("file ns/call=%.2f user-ns/call=%.2f\n", bf, uf);
	printf("interleaved hook-libc ns/call=%.2f\n", interleaved(n, -1));
	{
		char path[] = "/tmp/fastpath_bench.XXXXXX", buf[65536];
		int fd = mkstemp(path), k;

		if (fd < 0)
			return 1;
		unlink(path);
		memset(buf, 'z', sizeof(buf));
		for (k = 0; k < 16; k++)
			if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				return 1;
		lseek(fd, 0, SEEK_SET);
		printf("interleaved hook-libc file ns/call=%.2f\n",
		       interleaved(n, fd));
		close(fd);
	}
	return 0;
}
