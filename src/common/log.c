/* SPDX-License-Identifier: MIT */
/*
 * Logging: one write(2) per line, errno preserved, no stdio streams, no
 * allocation.  The line is formatted into a stack buffer and handed to the
 * writer function (libc write unless the preload library installs the real
 * one) for the stderr and file targets, or to syslog(3).
 */
#include "config.h"

#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* One line, header included; longer lines end in "...\n". */
#define LOG_LINE_MAX 1024
#define LOG_IDENT_MAX 32

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG, LOG_TARGET_FILE };

int log_level = LOG_LVL_ERR;
static pid_t pinned_pid; /* 0: ask getpid() each time */

static char log_ident[LOG_IDENT_MAX] = "socksify";
static enum log_target log_target = LOG_TARGET_STDERR;
static int log_file_fd = -1;
static int (*log_placer)(int fd);
static log_write_fn log_writer = write;

/* tag 5 (LOG_USER) has no name: the line is written for the user. */
static const char *const log_tag_names[] = {"ERROR", "WARN",  "INFO",
					    "DEBUG", "TRACE", ""};
static const int log_tag_prio[] = {LOG_ERR,   LOG_WARNING, LOG_INFO,
				   LOG_DEBUG, LOG_DEBUG,   LOG_ERR};

/* Drop the current target's resources; errno is the caller's to save. */
static void log_release(void)
{
	if (log_target == LOG_TARGET_FILE && log_file_fd >= 0)
		close(log_file_fd);
	else if (log_target == LOG_TARGET_SYSLOG)
		closelog();
	log_file_fd = -1;
	log_target = LOG_TARGET_STDERR;
}

/*
 * Configure ident, level and target ("stderr" or NULL/"", "syslog", or a
 * file path opened O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, mode 0600; a file
 * literally named "syslog" is "./syslog"; syslog lines carry syslog's own
 * "ident[pid]:" and then "LEVEL func: msg").  @ident NULL keeps the current
 * one.  Levels outside QUIET..TRACE are clamped.  Returns 0 or -errno of
 * open(2); on error nothing changes.  errno is preserved.  Not thread-safe.
 */
int log_open(const char *ident, int level, const char *target)
{
	int saved = errno;
	int fd = -1, rc = 0;
	enum log_target t = LOG_TARGET_STDERR;

	if (target && strcmp(target, "syslog") == 0) {
		t = LOG_TARGET_SYSLOG;
	} else if (target && target[0] && strcmp(target, "stderr") != 0) {
		fd = open(target,
			  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
			  0600);
		if (fd < 0) {
			rc = -errno;
			goto out;
		}
		if (log_placer)
			fd = log_placer(fd);
		t = LOG_TARGET_FILE;
	}
	log_release();
	if (ident) {
		strncpy(log_ident, ident, sizeof(log_ident) - 1);
		log_ident[sizeof(log_ident) - 1] = '\0';
	}
	if (level < LOG_LVL_QUIET)
		level = LOG_LVL_QUIET;
	if (level > LOG_LVL_TRACE)
		level = LOG_LVL_TRACE;
	log_level = level;
	log_target = t;
	log_file_fd = fd;
	if (t == LOG_TARGET_SYSLOG)
		openlog(log_ident, LOG_PID, LOG_USER);
out:
	errno = saved;
	return rc;
}

/* Close a file or syslog target and go back to stderr; errno preserved. */
void log_close(void)
{
	int saved = errno;

	log_release();
	errno = saved;
}

void log_pin_pid(void)
{
	pinned_pid = getpid();
}

/* Route stderr/file writes through @fn (NULL: back to libc write). */
void log_set_writer(log_write_fn fn)
{
	log_writer = fn ? fn : write;
}

void log_set_placer(int (*fn)(int fd))
{
	log_placer = fn;
}

/* The file target's fd, or -1 for stderr and syslog. */
int log_fd(void)
{
	return log_target == LOG_TARGET_FILE ? log_file_fd : -1;
}

/*
 * Append the formatted message to @buf at @off (capacity @cap): control
 * characters become '?' so that untrusted text cannot forge lines; a
 * message that does not fit ends in "...".  Returns the new length, always
 * < @cap - 1 so there is room for the newline.
 */
static size_t log_format_body(char *buf, size_t off, size_t cap,
			      const char *fmt, va_list ap)
{
	int n;
	size_t i, end;

	n = vsnprintf(buf + off, cap - 1 - off, fmt, ap);
	if (n < 0)
		n = 0;
	end = off + (size_t)n;
	if (end >= cap - 1) {
		end = cap - 2;
		memcpy(buf + end - 3, "...", 3);
	}
	for (i = off; i < end; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return end;
}

/*
 * Log one line.  @code is level * 16 + tag (see LOG_AT).  The level is
 * checked again so a direct call obeys log_level too.  Exactly one
 * write(2) (retried on EINTR only) or one syslog(3) call per line; errno
 * is preserved, and is the caller's errno while formatting, so "%m" works.
 */
void log_msg(int code, const char *func, const char *fmt, ...)
{
	int saved = errno;
	int level = code / 16, tag = code % 16;
	char buf[LOG_LINE_MAX];
	size_t off = 0, len;
	int n, fd;
	ssize_t w;
	va_list ap;

	if (log_level == LOG_LVL_QUIET || level > log_level || tag < 0 ||
	    tag > 5)
		goto out;
	if (!func)
		func = "?";
	if (log_target != LOG_TARGET_SYSLOG) {
		n = snprintf(buf, sizeof(buf), "%s[%ld]: ", log_ident,
			     (long)(pinned_pid ? pinned_pid : getpid()));
		off = n > 0 ? (size_t)n : 0;
	}
	if (tag != 5) {
		n = snprintf(buf + off, sizeof(buf) - off,
			     "%s %.64s: ", log_tag_names[tag], func);
		off += n > 0 ? (size_t)n : 0;
	}
	if (off >= sizeof(buf) / 2)
		off = sizeof(buf) / 2;
	errno = saved;
	va_start(ap, fmt);
	len = log_format_body(buf, off, sizeof(buf), fmt, ap);
	va_end(ap);
	if (log_target == LOG_TARGET_SYSLOG) {
		buf[len] = '\0';
		syslog(log_tag_prio[tag], "%s", buf);
		goto out;
	}
	buf[len++] = '\n';
	fd = log_target == LOG_TARGET_FILE ? log_file_fd : STDERR_FILENO;
	do
		w = log_writer(fd, buf, len);
	while (w < 0 && errno == EINTR);
out:
	errno = saved;
}
