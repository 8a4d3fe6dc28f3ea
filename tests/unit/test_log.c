/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common/log.c. */
#include "config.h"

#include "common/log.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A writer that captures every call. */
static char cap_buf[8192];
static size_t cap_len;
static int cap_calls;
static int cap_fd;

static ssize_t cap_write(int fd, const void *buf, size_t len)
{
	cap_calls++;
	cap_fd = fd;
	if (cap_len + len < sizeof(cap_buf)) {
		memcpy(cap_buf + cap_len, buf, len);
		cap_len += len;
		cap_buf[cap_len] = '\0';
	}
	errno = EBADMSG; /* the writer may clobber errno: log must restore it */
	return (ssize_t)len;
}

static int eintr_left;

/* Fails with EINTR @eintr_left times, then captures. */
static ssize_t eintr_write(int fd, const void *buf, size_t len)
{
	if (eintr_left > 0) {
		eintr_left--;
		errno = EINTR;
		return -1;
	}
	return cap_write(fd, buf, len);
}

static void cap_reset(void)
{
	cap_len = 0;
	cap_calls = 0;
	cap_fd = -2;
	cap_buf[0] = '\0';
}

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/socksify-log.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	cap_reset();
	log_set_writer(cap_write);
	ck_assert_int_eq(log_open("socksify", LOG_LVL_ERR, "stderr"), 0);
}

static void teardown(void)
{
	char cmd[128];

	log_close();
	log_set_writer(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static int side_effects;

static int count(void)
{
	return ++side_effects;
}

START_TEST(t_format)
{
	char want[256];

	ck_assert_int_eq(log_open("socksifyd", LOG_LVL_TRACE, NULL), 0);
	LOG_ERR("hello %s %d", "world", 42);
	snprintf(want, sizeof(want),
		 "socksifyd[%ld]: ERROR t_format_fn: "
		 "hello world 42\n",
		 (long)getpid());
	ck_assert_str_eq(cap_buf, want);
	ck_assert_int_eq(cap_calls, 1); /* one write per line */
	ck_assert_int_eq(cap_fd, STDERR_FILENO);

	cap_reset();
	LOG_WARN("w");
	LOG_INFO("i");
	LOG_DBG("d");
	LOG_TRACE("t");
	snprintf(want, sizeof(want),
		 "socksifyd[%1$ld]: WARN t_format_fn: w\n"
		 "socksifyd[%1$ld]: INFO t_format_fn: i\n"
		 "socksifyd[%1$ld]: DEBUG t_format_fn: d\n"
		 "socksifyd[%1$ld]: TRACE t_format_fn: t\n",
		 (long)getpid());
	ck_assert_str_eq(cap_buf, want);
	ck_assert_int_eq(cap_calls, 4);

	/* ident NULL keeps the current one; long idents are cut */
	cap_reset();
	ck_assert_int_eq(log_open(NULL, LOG_LVL_ERR, "stderr"), 0);
	LOG_ERR("x");
	ck_assert(strncmp(cap_buf, "socksifyd[", 10) == 0);
	cap_reset();
	ck_assert_int_eq(log_open("0123456789012345678901234567890123456789",
				  LOG_LVL_ERR, ""),
			 0);
	LOG_ERR("x");
	ck_assert(strncmp(cap_buf, "0123456789012345678901234567890[", 32) ==
		  0);
}
END_TEST

START_TEST(t_control_chars)
{
	log_open("s", LOG_LVL_ERR, "stderr");
	LOG_ERR("a\nb\rc\x7f"
		"d%s",
		"\n");
	ck_assert_ptr_nonnull(strstr(cap_buf, ": a?b?c?d?\n"));
	ck_assert_int_eq(cap_calls, 1);
}
END_TEST

START_TEST(t_truncate)
{
	char big[3000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	LOG_ERR("%s", big);
	ck_assert_int_eq(cap_calls, 1);
	ck_assert_uint_le(cap_len, 1024);
	ck_assert_uint_ge(cap_len, 1000);
	ck_assert_str_eq(cap_buf + cap_len - 4, "...\n");
	ck_assert_ptr_null(memchr(cap_buf, '\0', cap_len));

	/* exactly at the limit: a line that just fits is not cut */
	cap_reset();
	LOG_ERR("%s", "short");
	ck_assert_ptr_null(strstr(cap_buf, "..."));
}
END_TEST

START_TEST(t_fit_boundary)
{
	char hdr[128], msg[1100];
	size_t h, room, i;

	/* a message that exactly fills the buffer is kept whole */
	log_open("s", LOG_LVL_ERR, "stderr");
	h = (size_t)snprintf(
		hdr, sizeof(hdr),
		"s[%ld]: ERROR t_fit_boundary_fn: ", (long)getpid());
	room = 1024 - 2 - h; /* line = header + message + '\n' <= 1023 */
	for (i = 0; i < room; i++)
		msg[i] = 'm';
	msg[room] = '\0';
	LOG_ERR("%s", msg);
	ck_assert_uint_eq(cap_len, h + room + 1);
	ck_assert_ptr_null(strstr(cap_buf, "..."));
	cap_reset();
	msg[room] = 'm';
	msg[room + 1] = '\0';
	LOG_ERR("%s", msg);
	ck_assert_uint_eq(cap_len, h + room + 1);
	ck_assert_str_eq(cap_buf + cap_len - 4, "...\n");
}
END_TEST

START_TEST(t_levels)
{
	/* debug level 0: errors and warnings */
	log_open("s", LOG_LVL_ERR, "stderr");
	side_effects = 0;
	LOG_ERR("e");
	LOG_WARN("w");
	LOG_INFO("%d", count());
	LOG_DBG("%d", count());
	LOG_TRACE("%d", count());
	ck_assert_int_eq(cap_calls, 2);
	ck_assert_int_eq(side_effects, 0); /* level checked before formatting */

	cap_reset();
	log_open("s", LOG_LVL_DBG, "stderr");
	LOG_INFO("%d", count());
	LOG_DBG("%d", count());
	LOG_TRACE("%d", count());
	ck_assert_int_eq(cap_calls, 2);
	ck_assert_int_eq(side_effects, 2);

	/* direct calls obey the level too */
	cap_reset();
	log_msg(LOG_LVL_TRACE * 16 + 4, "f", "x");
	ck_assert_int_eq(cap_calls, 0);
	log_msg(LOG_LVL_DBG * 16 + 3, "f", "x");
	ck_assert_int_eq(cap_calls, 1);
	/* a bad tag is dropped, not an out-of-bounds read */
	log_msg(7, "f", "x");
	log_msg(-1, "f", "x");
	ck_assert_int_eq(cap_calls, 1);
	log_msg(0, NULL, "x");
	ck_assert_ptr_nonnull(strstr(cap_buf, "ERROR ?: x"));

	/* clamping */
	log_open("s", 99, "stderr");
	ck_assert_int_eq(log_level, LOG_LVL_TRACE);
	log_open("s", -99, "stderr");
	ck_assert_int_eq(log_level, LOG_LVL_QUIET);
}
END_TEST

START_TEST(t_quiet)
{
	log_open("s", LOG_LVL_QUIET, "stderr");
	side_effects = 0;
	LOG_ERR("%d", count());
	LOG_WARN("w");
	log_msg(0, "f", "direct");
	ck_assert_int_eq(cap_calls, 0);
	ck_assert_int_eq(side_effects, 0);
}
END_TEST

START_TEST(t_errno)
{
	char path[128];

	log_open("s", LOG_LVL_TRACE, "stderr");
	errno = EADDRINUSE;
	LOG_ERR("e");
	ck_assert_int_eq(errno, EADDRINUSE);
	LOG_TRACE("t");
	ck_assert_int_eq(errno, EADDRINUSE);
	log_open("s", LOG_LVL_ERR, "stderr");
	LOG_TRACE("filtered");
	ck_assert_int_eq(errno, EADDRINUSE);

	/* %m sees the caller's errno, not the writer's */
	cap_reset();
	errno = ENOENT;
	LOG_ERR("open: %m");
	ck_assert_ptr_nonnull(
		strstr(cap_buf, "open: No such file or directory"));
	ck_assert_int_eq(errno, ENOENT);

	/* failing open, successful open, close */
	errno = EADDRINUSE;
	ck_assert_int_eq(log_open("s", 0, "/nonexistent-dir/x/y.log"), -ENOENT);
	ck_assert_int_eq(errno, EADDRINUSE);
	snprintf(path, sizeof(path), "%s/e.log", tmpdir);
	ck_assert_int_eq(log_open("s", 0, path), 0);
	ck_assert_int_eq(errno, EADDRINUSE);
	log_close();
	ck_assert_int_eq(errno, EADDRINUSE);

	/* a writer failing with EINTR is retried, errno still restored */
	log_open("s", 0, "stderr");
	log_set_writer(eintr_write);
	cap_reset();
	eintr_left = 3;
	errno = EMSGSIZE;
	LOG_ERR("after eintr");
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(cap_calls, 1);
	ck_assert_ptr_nonnull(strstr(cap_buf, "after eintr\n"));
}
END_TEST

static size_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, cap - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

START_TEST(t_file)
{
	char path[128], buf[4096], want[256];
	struct stat st;
	int fd, flags;

	snprintf(path, sizeof(path), "%s/s.log", tmpdir);
	ck_assert_int_eq(log_fd(), -1);
	ck_assert_int_eq(log_open("socksify", LOG_LVL_INFO, path), 0);
	fd = log_fd();
	ck_assert_int_ge(fd, 0);
	flags = fcntl(fd, F_GETFD);
	ck_assert(flags & FD_CLOEXEC);
	flags = fcntl(fd, F_GETFL);
	ck_assert(flags & O_APPEND);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	LOG_INFO("to file %d", 1);
	ck_assert_int_eq(cap_calls, 1);
	ck_assert_int_eq(cap_fd, fd); /* the writer is used for files too */

	/* with the libc writer the line really lands in the file */
	log_set_writer(NULL);
	LOG_INFO("to file %d", 2);
	LOG_DBG("filtered");
	read_file(path, buf, sizeof(buf));
	snprintf(want, sizeof(want),
		 "socksify[%ld]: INFO t_file_fn: to file 2\n", (long)getpid());
	ck_assert_str_eq(buf, want);

	/* a failed open keeps the previous target */
	ck_assert_int_eq(log_open("socksify", LOG_LVL_INFO, tmpdir), -EISDIR);
	ck_assert_int_eq(log_fd(), fd);
	LOG_INFO("still here");
	read_file(path, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "still here\n"));

	/* reopening appends; the old fd is closed */
	ck_assert_int_eq(log_open("socksify", LOG_LVL_INFO, path), 0);
	LOG_INFO("appended");
	read_file(path, buf, sizeof(buf));
	ck_assert(strncmp(buf, want, strlen(want)) == 0);
	ck_assert_ptr_nonnull(strstr(buf, "appended\n"));

	log_close();
	ck_assert_int_eq(log_fd(), -1);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1); /* closed */
}
END_TEST

START_TEST(t_fork_pid)
{
	char path[128], buf[4096], want[128];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/f.log", tmpdir);
	log_set_writer(NULL);
	ck_assert_int_eq(log_open("socksify", LOG_LVL_ERR, path), 0);
	LOG_ERR("parent");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		LOG_ERR("child");
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	read_file(path, buf, sizeof(buf));
	snprintf(want, sizeof(want),
		 "socksify[%ld]: ERROR t_fork_pid_fn: child\n", (long)pid);
	ck_assert_ptr_nonnull(strstr(buf, want));
	snprintf(want, sizeof(want),
		 "socksify[%ld]: ERROR t_fork_pid_fn: parent\n",
		 (long)getpid());
	ck_assert_ptr_nonnull(strstr(buf, want));
}
END_TEST

/* After log_pin_pid() lines carry the pinned id, without getpid(). */
START_TEST(t_pinned_pid)
{
	char path[128], buf[4096], want[128];
	pid_t pid, inner;
	int status;

	snprintf(path, sizeof(path), "%s/p.log", tmpdir);
	log_set_writer(NULL);
	ck_assert_int_eq(log_open("socksifyd", LOG_LVL_ERR, path), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* pinned in the child, then a grandchild logs: the pin shows */
		log_pin_pid();
		inner = fork();
		if (inner == 0) {
			LOG_ERR("grandchild");
			_exit(0);
		}
		_exit(inner > 0 && waitpid(inner, &status, 0) == inner &&
				      WIFEXITED(status) && !WEXITSTATUS(status)
			      ? 0
			      : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	read_file(path, buf, sizeof(buf));
	snprintf(want, sizeof(want),
		 "socksifyd[%ld]: ERROR t_pinned_pid_fn: grandchild\n",
		 (long)pid);
	ck_assert_ptr_nonnull(strstr(buf, want));
}
END_TEST

START_TEST(t_syslog)
{
	/*
	 * The syslog target bypasses the writer.  On a machine without a
	 * syslog daemon syslog(3) drops the line silently; with one, a single
	 * test line is logged locally.
	 */
	errno = ENOTTY;
	ck_assert_int_eq(log_open("socksify-unit-test", LOG_LVL_ERR, "syslog"),
			 0);
	ck_assert_int_eq(log_fd(), -1);
	LOG_ERR("unit test of the syslog target, ignore");
	LOG_DBG("filtered");
	ck_assert_int_eq(cap_calls, 0);
	ck_assert_int_eq(errno, ENOTTY);
	log_close();
	ck_assert_int_eq(errno, ENOTTY);
	LOG_ERR("back on stderr");
	ck_assert_int_eq(cap_calls, 1);
	ck_assert_int_eq(cap_fd, STDERR_FILENO);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_format);
	tcase_add_test(tc, t_control_chars);
	tcase_add_test(tc, t_truncate);
	tcase_add_test(tc, t_fit_boundary);
	tcase_add_test(tc, t_levels);
	tcase_add_test(tc, t_quiet);
	tcase_add_test(tc, t_errno);
	tcase_add_test(tc, t_file);
	tcase_add_test(tc, t_fork_pid);
	tcase_add_test(tc, t_pinned_pid);
	tcase_add_test(tc, t_syslog);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
