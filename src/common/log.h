/* SPDX-License-Identifier: MIT */
/*
 * Logging shared by the library and the server.  One write(2) per line:
 *   "<ident>[<pid>]: <LEVEL> <func>: <message>\n"
 * errno is preserved by every macro.  The level is checked before anything is
 * formatted.  Never log secrets; print untrusted strings with a precision
 * ("%.64s").  Async-signal-unsafe only in the syslog target.
 */
#ifndef SOCKSIFY_COMMON_LOG_H
#define SOCKSIFY_COMMON_LOG_H

#include <stddef.h>
#include <sys/types.h>

enum log_level {
	LOG_LVL_QUIET = -1, /* nothing at all, not even errors */
	LOG_LVL_ERR = 0,
	LOG_LVL_WARN = 0, /* warnings show with errors (debug level 0) */
	LOG_LVL_INFO = 1, /* one line per proxied connection / session */
	LOG_LVL_DBG = 2,  /* protocol steps */
	LOG_LVL_TRACE = 3
};

typedef ssize_t (*log_write_fn)(int fd, const void *buf, size_t len);

extern int log_level; /* read without a lock: a plain int */

/*
 * Configure: @ident ("socksify", "socksifyd"), @level, @target: "stderr",
 * "syslog", or a file path (opened O_APPEND|O_CLOEXEC).  Returns 0 or
 * -errno (the previous target stays).  Not thread-safe: call at init.
 */
int log_open(const char *ident, int level, const char *target);
/* Close a file/syslog target; back to stderr. */
void log_close(void);
/*
 * Cache the process id shown in each line (one getpid(2) fewer per line).
 * Only for a process that does not fork any more (the server's event
 * loop, after its workers and daemon(3)); lines show the cached id until
 * the next call.
 */
void log_pin_pid(void);
/* The preload library routes its own writes through real.write. */
void log_set_writer(log_write_fn fn);
/*
 * A file target's fd, once opened, is given to @fn, which may move it and
 * returns the number it has then (the preload library places its fds
 * high, away from the numbers programs reuse).  NULL: left where it is.
 */
void log_set_placer(int (*fn)(int fd));
/* The fd the file target uses (-1 for stderr/syslog), for fd guards. */
int log_fd(void);

void log_msg(int level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LOG_AT(lvl, tag, ...)                                             \
	do {                                                              \
		if (log_level >= (lvl))                                   \
			log_msg((lvl)*16 + (tag), __func__, __VA_ARGS__); \
	} while (0)
/* tag: 0 ERROR, 1 WARN, 2 INFO, 3 DEBUG, 4 TRACE, 5 none (encoded with the
 * level) */
#define LOG_ERR(...) LOG_AT(LOG_LVL_ERR, 0, __VA_ARGS__)
#define LOG_WARN(...) LOG_AT(LOG_LVL_WARN, 1, __VA_ARGS__)
#define LOG_INFO(...) LOG_AT(LOG_LVL_INFO, 2, __VA_ARGS__)
#define LOG_DBG(...) LOG_AT(LOG_LVL_DBG, 3, __VA_ARGS__)
#define LOG_TRACE(...) LOG_AT(LOG_LVL_TRACE, 4, __VA_ARGS__)
/*
 * A line for the user at the default level (STYLE.md, Logging): no level
 * tag, no function name: "socksify[PID]: example.com:443 via
 * 198.51.100.1:1080 (corp): connection refused".  -q silences it.
 */
#define LOG_USER(...) LOG_AT(LOG_LVL_ERR, 5, __VA_ARGS__)

#endif
