/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common/io.c over socketpairs, pipes and mocks. */
#include "config.h"

#include "common/io.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sv[2];
static const struct io_sys io_sys_libc = {read, send, poll, write};

static void setup(void)
{
	io_sys = io_sys_libc;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void teardown(void)
{
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	io_sys = io_sys_libc;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	ck_assert_int_ge(fl, 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 + (i >> 8));
}

/* Peer thread: writes @len pattern bytes in @chunk-sized pieces. */
struct peer {
	int fd;
	size_t len, chunk;
	bool close_after;
	size_t got; /* reader peer: bytes received and checked */
	bool ok;
};

static void *peer_writer(void *arg)
{
	struct peer *pe = arg;
	unsigned char buf[64];
	size_t off = 0, i, n;

	while (off < pe->len) {
		n = pe->len - off < pe->chunk ? pe->len - off : pe->chunk;
		for (i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		if (write(pe->fd, buf, n) != (ssize_t)n)
			return NULL;
		off += n;
		sched_yield();
	}
	if (pe->close_after)
		shutdown(pe->fd, SHUT_WR);
	pe->ok = true;
	return NULL;
}

/* Peer thread: reads in @chunk-sized pieces until EOF, checking bytes. */
static void *peer_reader(void *arg)
{
	struct peer *pe = arg;
	unsigned char buf[1024];
	ssize_t n, i;

	pe->ok = true;
	for (;;) {
		n = read(pe->fd, buf, pe->chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(pe->got + (size_t)i))
				pe->ok = false;
		pe->got += (size_t)n;
	}
	return NULL;
}

START_TEST(t_read_chunks)
{
	/* blocking and non-blocking reader, with and without a deadline */
	static const size_t len = 3000;
	unsigned char *buf = malloc(len);
	struct peer pe = {.fd = sv[1], .len = len, .chunk = 7};
	pthread_t th;
	size_t i;

	if (_i & 1)
		set_nonblock(sv[0]);
	ck_assert_int_eq(pthread_create(&th, NULL, peer_writer, &pe), 0);
	errno = EDOM;
	ck_assert_int_eq(io_read_all(sv[0], buf, len,
				     (_i & 2) ? io_deadline(10000) : -1),
			 0);
	ck_assert_int_eq(errno, EDOM);
	pthread_join(th, NULL);
	ck_assert(pe.ok);
	for (i = 0; i < len; i++)
		ck_assert_uint_eq(buf[i], pattern(i));
	free(buf);
}
END_TEST

START_TEST(t_write_chunks)
{
	/* more than the socket buffer, so the writer must wait for POLLOUT */
	static const size_t len = 1 << 20;
	unsigned char *buf = malloc(len);
	struct peer pe = {.fd = sv[1], .chunk = 997};
	pthread_t th;
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(i);
	if (_i & 1)
		set_nonblock(sv[0]);
	ck_assert_int_eq(pthread_create(&th, NULL, peer_reader, &pe), 0);
	errno = EDOM;
	ck_assert_int_eq(io_write_all(sv[0], buf, len,
				      (_i & 2) ? io_deadline(30000) : -1),
			 0);
	ck_assert_int_eq(errno, EDOM);
	shutdown(sv[0], SHUT_WR);
	pthread_join(th, NULL);
	ck_assert(pe.ok);
	ck_assert_uint_eq(pe.got, len);
	free(buf);
}
END_TEST

START_TEST(t_eof)
{
	char buf[10];

	ck_assert_int_eq(write(sv[1], "hello", 5), 5);
	close(sv[1]);
	sv[1] = -1;
	ck_assert_int_eq(io_read_all(sv[0], buf, sizeof(buf), -1), -ECONNRESET);
	ck_assert_int_eq(
		io_read_all(sv[0], buf, sizeof(buf), io_deadline(1000)),
		-ECONNRESET);
}
END_TEST

START_TEST(t_read_timeout)
{
	/* _i 0: blocking fd, 1: non-blocking fd; peer sends a partial message */
	char buf[10];

	if (_i)
		set_nonblock(sv[0]);
	ck_assert_int_eq(write(sv[1], "abc", 3), 3);
	errno = EDOM;
	ck_assert_int_eq(io_read_all(sv[0], buf, sizeof(buf), io_deadline(50)),
			 -ETIMEDOUT);
	ck_assert_int_eq(errno, EDOM);
	/* an expired deadline times out without waiting */
	ck_assert_int_eq(io_read_all(sv[0], buf, 1, io_now_ms() - 1),
			 -ETIMEDOUT);
}
END_TEST

START_TEST(t_write_timeout)
{
	/* nobody reads: the socket buffer fills, the deadline expires */
	static const size_t len = 2 << 20;
	char *buf = calloc(1, len);

	if (_i)
		set_nonblock(sv[0]);
	ck_assert_int_eq(io_write_all(sv[0], buf, len, io_deadline(50)),
			 -ETIMEDOUT);
	free(buf);
}
END_TEST

START_TEST(t_epipe)
{
	/* peer gone: -EPIPE, and no SIGPIPE kills us (MSG_NOSIGNAL) */
	close(sv[1]);
	sv[1] = -1;
	errno = EDOM;
	ck_assert_int_eq(io_write_all(sv[0], "x", 1, -1), -EPIPE);
	ck_assert_int_eq(errno, EDOM);
}
END_TEST

START_TEST(t_pipe)
{
	/* not a socket: the write path (ENOTSOCK fallback) */
	int pfd[2];
	char buf[6] = {0};

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(io_write_all(pfd[1], "hello", 5, -1), 0);
	ck_assert_int_eq(io_write_all(pfd[1], "!", 1, io_deadline(1000)), 0);
	ck_assert_int_eq(io_read_all(pfd[0], buf, 6, io_deadline(1000)), 0);
	ck_assert(memcmp(buf, "hello!", 6) == 0);
	/* a full non-blocking pipe times out */
	set_nonblock(pfd[1]);
	{
		static char big[1 << 20];

		ck_assert_int_eq(
			io_write_all(pfd[1], big, sizeof(big), io_deadline(50)),
			-ETIMEDOUT);
	}
	close(pfd[0]);
	close(pfd[1]);
	/* a bad fd: -EBADF from send */
	ck_assert_int_eq(io_write_all(pfd[1], "x", 1, -1), -EBADF);
	ck_assert_int_eq(io_read_all(pfd[0], buf, 1, -1), -EBADF);
}
END_TEST

START_TEST(t_wait)
{
	int rc;

	ck_assert_int_eq(io_wait(sv[0], POLLIN, io_deadline(50)), -ETIMEDOUT);
	rc = io_wait(sv[0], POLLOUT, -1);
	ck_assert_int_gt(rc, 0);
	ck_assert(rc & POLLOUT);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	rc = io_wait(sv[0], POLLIN, io_deadline(1000));
	ck_assert(rc & POLLIN);
	close(sv[1]);
	sv[1] = -1;
	errno = EDOM;
	ck_assert_int_eq(io_wait(123456, POLLIN, io_deadline(1000)), -EBADF);
	ck_assert_int_eq(errno, EDOM);
}
END_TEST

START_TEST(t_clock)
{
	int64_t a = io_now_ms(), b;

	ck_assert_int_eq(io_deadline(-1), -1);
	ck_assert_int_eq(io_deadline(-5), -1);
	b = io_deadline(1000);
	ck_assert_int_ge(b, a + 1000);
	ck_assert_int_ge(io_now_ms(), a);
}
END_TEST

/* ---- mocks: EINTR, short writes, zero returns, poll errors ------------ */

static int mock_calls;

static ssize_t mock_read_eintr(int fd, void *buf, size_t len)
{
	if (mock_calls++ % 2 == 0) {
		errno = EINTR;
		return -1;
	}
	return read(fd, buf, len > 1 ? 1 : len);
}

static ssize_t mock_send_short(int fd, const void *buf, size_t len, int fl)
{
	if (mock_calls++ % 2 == 0) {
		errno = EINTR;
		return -1;
	}
	return send(fd, buf, len > 3 ? 3 : len, fl);
}

static ssize_t mock_send_zero(int fd, const void *buf, size_t len, int fl)
{
	return 0;
}

static ssize_t mock_send_eagain(int fd, const void *buf, size_t len, int fl)
{
	if (mock_calls++ == 0) {
		errno = EAGAIN;
		return -1;
	}
	return send(fd, buf, len, fl);
}

static int mock_poll_eintr(struct pollfd *p, nfds_t n, int t)
{
	if (mock_calls++ % 2 == 0) {
		errno = EINTR;
		return -1;
	}
	return poll(p, n, t);
}

static int mock_poll_fail(struct pollfd *p, nfds_t n, int t)
{
	errno = ENOMEM;
	return -1;
}

static ssize_t mock_read_fail(int fd, void *buf, size_t len)
{
	errno = EIO;
	return -1;
}

START_TEST(t_mock_eintr)
{
	char buf[8];

	ck_assert_int_eq(write(sv[1], "12345678", 8), 8);
	io_sys.read = mock_read_eintr;
	mock_calls = 0;
	ck_assert_int_eq(io_read_all(sv[0], buf, 8, -1), 0);
	ck_assert(memcmp(buf, "12345678", 8) == 0);
	ck_assert_int_eq(mock_calls, 16);

	io_sys.send = mock_send_short;
	mock_calls = 0;
	ck_assert_int_eq(io_write_all(sv[0], "abcdefgh", 8, -1), 0);
	ck_assert_int_eq(mock_calls, 6);
	io_sys = io_sys_libc;
	ck_assert_int_eq(io_read_all(sv[1], buf, 8, -1), 0);
	ck_assert(memcmp(buf, "abcdefgh", 8) == 0);

	/* poll interrupted while waiting */
	io_sys.poll = mock_poll_eintr;
	mock_calls = 0;
	ck_assert_int_eq(write(sv[1], "z", 1), 1);
	ck_assert_int_eq(io_wait(sv[0], POLLIN, io_deadline(1000)) & POLLIN,
			 POLLIN);
	ck_assert_int_eq(mock_calls, 2);
	ck_assert_int_eq(io_read_all(sv[0], buf, 1, io_deadline(1000)), 0);
}
END_TEST

START_TEST(t_mock_errors)
{
	char buf[4];

	io_sys.send = mock_send_zero;
	ck_assert_int_eq(io_write_all(sv[0], "x", 1, -1), -EIO);
	io_sys.send = mock_send_eagain;
	mock_calls = 0;
	ck_assert_int_eq(io_write_all(sv[0], "xy", 2, -1), 0);
	ck_assert_int_eq(mock_calls, 2);
	io_sys = io_sys_libc;
	ck_assert_int_eq(io_read_all(sv[1], buf, 2, -1), 0);

	io_sys.poll = mock_poll_fail;
	ck_assert_int_eq(io_wait(sv[0], POLLIN, -1), -ENOMEM);
	ck_assert_int_eq(io_read_all(sv[0], buf, 1, io_deadline(1000)),
			 -ENOMEM);
	io_sys = io_sys_libc;
	io_sys.read = mock_read_fail;
	ck_assert_int_eq(io_read_all(sv[0], buf, 1, -1), -EIO);
	/* zero length never touches the fd */
	ck_assert_int_eq(io_read_all(-1, buf, 0, -1), 0);
	ck_assert_int_eq(io_write_all(-1, buf, 0, -1), 0);
}
END_TEST

static Suite *io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("io");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, t_read_chunks, 0, 4);
	tcase_add_loop_test(tc, t_write_chunks, 0, 4);
	tcase_add_test(tc, t_eof);
	tcase_add_loop_test(tc, t_read_timeout, 0, 2);
	tcase_add_loop_test(tc, t_write_timeout, 0, 2);
	tcase_add_test(tc, t_epipe);
	tcase_add_test(tc, t_pipe);
	tcase_add_test(tc, t_wait);
	tcase_add_test(tc, t_clock);
	tcase_add_test(tc, t_mock_eintr);
	tcase_add_test(tc, t_mock_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(io_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
