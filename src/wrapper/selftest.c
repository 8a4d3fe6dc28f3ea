// SPDX-License-Identifier: MIT
/*
 * socksify --selftest (selftest.h).  Everything runs on 127.0.0.1 with
 * ports the kernel picks; every child is started and killed by its pid;
 * every wait is bounded.  The parts:
 *
 *   echo child   one TCP listener and one UDP socket, echoing back
 *   socksifyd    -l 127.0.0.1:0 -d 1, its log in a private directory
 *   probes       socksify-probe under LD_PRELOAD=@lib, SOCKS_CONF = a config
 *                routing socksifyd's own port direct and the rest via it
 *
 * A check passes when the probe says so and socksifyd logged the session
 * (so the bytes really went through the proxy, not around it).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wrapper/selftest.h"

#define ST_WAIT_MS 8000
#define ST_DNS_NAME "selftest.socksify.invalid"

struct selftest {
	char dir[64];
	char self_dir[PATH_MAX];
	pid_t echo_pid, srv_pid;
	unsigned echo_port, srv_port;
	const char *lib;
};

static long st_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void st_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* "@dir/@name" into @buf (PATH_MAX; truncated paths just fail later). */
static void st_path(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/", dir);

	if (n > 0 && n < PATH_MAX)
		snprintf(buf + n, (size_t)(PATH_MAX - n), "%s", name);
}

/* Read @path into @buf (@cap bytes, NUL-terminated); bytes read. */
static size_t st_read(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

/*
 * A helper program: next to our own executable (a build tree), else in
 * @installed.  Returns 0 and the path in @out (PATH_MAX), or -ENOENT.
 */
static int st_find(const struct selftest *t, const char *name,
		   const char *installed, char *out)
{
	st_path(out, t->self_dir, name);
	if (access(out, X_OK) == 0)
		return 0;
	snprintf(out, PATH_MAX, "%s", installed);
	return access(out, X_OK) == 0 ? 0 : -ENOENT;
}

/* The echo child: serve @tfd (listening TCP) and @ufd (UDP) until
 * killed.  One TCP client at a time is enough for the probes. */
static void st_echo_loop(int tfd, int ufd)
{
	char buf[512];

	for (;;) {
		struct pollfd p[2] = {{.fd = tfd, .events = POLLIN},
				      {.fd = ufd, .events = POLLIN}};
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		ssize_t n;

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents & POLLIN) {
			n = recvfrom(ufd, buf, sizeof(buf), 0,
				     (struct sockaddr *)&ss, &sl);
			if (n > 0)
				sendto(ufd, buf, (size_t)n, 0,
				       (struct sockaddr *)&ss, sl);
		}
		if (p[0].revents & POLLIN) {
			int c = accept(tfd, NULL, NULL);

			while (c >= 0 && (n = recv(c, buf, sizeof(buf), 0)) > 0)
				if (send(c, buf, (size_t)n, MSG_NOSIGNAL) < 0)
					break;
			if (c >= 0)
				close(c);
		}
	}
}

/* Open the echo sockets on 127.0.0.1 (one port for both) and fork the
 * echo child.  0 or -errno. */
static int st_start_echo(struct selftest *t)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	int tfd, ufd = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (tfd < 0 || bind(tfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(tfd, 8) < 0 ||
	    getsockname(tfd, (struct sockaddr *)&a, &al) < 0)
		goto fail;
	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ufd < 0 || bind(ufd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	t->echo_port = ntohs(a.sin_port);
	t->echo_pid = fork();
	if (t->echo_pid == 0) {
		st_echo_loop(tfd, ufd);
		_exit(0);
	}
	close(tfd);
	close(ufd);
	return t->echo_pid < 0 ? -errno : 0;
fail:
	if (tfd >= 0)
		close(tfd);
	if (ufd >= 0)
		close(ufd);
	return -errno;
}

/* Start socksifyd and read its port from the "listening on" line. */
static int st_start_server(struct selftest *t)
{
	char exe[PATH_MAX], log[PATH_MAX], text[4096];
	long end = st_now_ms() + ST_WAIT_MS;
	const char *p;

	if (st_find(t, "socksifyd", BINDIR "/socksifyd", exe) < 0) {
		printf("setup: socksifyd not found (next to socksify or in "
		       "%s)\n",
		       BINDIR);
		return -ENOENT;
	}
	st_path(log, t->dir, "socksifyd.log");
	t->srv_pid = fork();
	if (t->srv_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0)
			dup2(fd, STDERR_FILENO);
		execl(exe, "socksifyd", "-l", "127.0.0.1:0", "-d", "1",
		      (char *)NULL);
		_exit(127);
	}
	if (t->srv_pid < 0)
		return -errno;
	while (st_now_ms() < end) {
		st_read(log, text, sizeof(text));
		p = strstr(text, "listening on 127.0.0.1:");
		if (p != NULL) {
			t->srv_port = (unsigned)atoi(p + 23);
			return 0;
		}
		if (waitpid(t->srv_pid, NULL, WNOHANG) == t->srv_pid) {
			t->srv_pid = 0;
			break;
		}
		st_sleep_ms(50);
	}
	printf("setup: socksifyd did not start: %.300s\n", text);
	return -ETIMEDOUT;
}

/* The client config: socksifyd's port direct, everything else via it. */
static int st_write_conf(const struct selftest *t, char *path)
{
	FILE *f;

	st_path(path, t->dir, "socks.conf");
	f = fopen(path, "we");
	if (f == NULL)
		return -errno;
	fprintf(f,
		"resolve = \"remote\"\n"
		"timeout = 5\n"
		"proxy \"selftest\" { url = \"socks5://127.0.0.1:%u\" }\n"
		"route { to = \"127.0.0.1\" ports = \"%u\" via = \"direct\" }\n"
		"route { via = \"selftest\" }\n",
		t->srv_port, t->srv_port);
	return fclose(f) == 0 ? 0 : -errno;
}

/*
 * Run the probe for @kind against @host under the library; its stdout
 * and the library's log go to "@kind.out".  Returns the probe's exit
 * status (or 1 on timeout, killed) and the text in @out.
 */
static int st_probe(const struct selftest *t, const char *probe,
		    const char *conf, const char *kind, const char *host,
		    char *out, size_t cap)
{
	char file[PATH_MAX], port[16];
	long end = st_now_ms() + ST_WAIT_MS;
	int st = 0;
	pid_t pid;

	st_path(file, t->dir, kind);
	snprintf(port, sizeof(port), "%u", t->echo_port);
	pid = fork();
	if (pid == 0) {
		int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		setenv("SOCKS_CONF", conf, 1);
		setenv("SOCKS_DEBUG", "1", 1);
		unsetenv("SOCKS_PROXY");
		unsetenv("SOCKS_LOG");
		setenv("LD_PRELOAD", t->lib, 1);
		execl(probe, "socksify-probe", kind, host, port, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return 1;
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (st_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			st_read(file, out, cap);
			return 1;
		}
		st_sleep_ms(20);
	}
	st_read(file, out, cap);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

/* Did socksifyd log a session whose line holds @needle (bounded wait)? */
static int st_server_saw(const struct selftest *t, const char *needle)
{
	char log[PATH_MAX], text[16384];
	long end = st_now_ms() + ST_WAIT_MS;

	st_path(log, t->dir, "socksifyd.log");
	do {
		st_read(log, text, sizeof(text));
		if (strstr(text, needle) != NULL)
			return 1;
		st_sleep_ms(50);
	} while (st_now_ms() < end);
	return 0;
}

/* The last line of @text holding "ok:" or "fail:", else all of it. */
static const char *st_verdict(char *text)
{
	char *p = strstr(text, "ok:"), *q = strstr(text, "fail:");

	return q ? q : p ? p : text;
}

/* One check: run the probe, look for @needle in socksifyd's log. */
static int st_check(const struct selftest *t, const char *probe,
		    const char *conf, const char *label, const char *kind,
		    const char *host, const char *needle)
{
	char out[4096], *nl;
	int rc = st_probe(t, probe, conf, kind, host, out, sizeof(out));
	const char *v = st_verdict(out);
	int seen = rc == 0 && st_server_saw(t, needle);

	nl = strchr(v, '\n');
	if (nl != NULL)
		*nl = '\0';
	if (rc == 0 && seen) {
		printf("%-4s ok    %s; socksifyd logged \"%s\"\n", label, v + 4,
		       needle);
		return 0;
	}
	if (rc == 0)
		printf("%-4s FAIL  the probe passed but socksifyd logged no "
		       "session with \"%s\": the traffic went around the "
		       "proxy\n",
		       label, needle);
	else
		printf("%-4s FAIL  %s\n     (probe and library log: %s/%s)\n",
		       label, out[0] ? out : "no output", t->dir, kind);
	return 1;
}

/* Stop the children by pid and remove the directory unless @keep. */
static void st_cleanup(struct selftest *t, int keep)
{
	char cmd[PATH_MAX];

	if (t->srv_pid > 0) {
		kill(t->srv_pid, SIGTERM);
		waitpid(t->srv_pid, NULL, 0);
	}
	if (t->echo_pid > 0) {
		kill(t->echo_pid, SIGKILL);
		waitpid(t->echo_pid, NULL, 0);
	}
	if (!keep && t->dir[0]) {
		static const char *const files[] = {
			"socksifyd.log", "socks.conf", "tcp", "udp", "dns"};
		size_t i;

		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			st_path(cmd, t->dir, files[i]);
			unlink(cmd);
		}
		rmdir(t->dir);
	}
}

int selftest_run(const char *lib, bool quiet)
{
	struct selftest t = {.lib = lib};
	char probe[PATH_MAX], conf[PATH_MAX], needle[64];
	ssize_t n;
	int fails = 0;
	char *slash;

	(void)quiet;
	n = readlink("/proc/self/exe", t.self_dir, sizeof(t.self_dir) - 1);
	t.self_dir[n > 0 ? n : 0] = '\0';
	slash = strrchr(t.self_dir, '/');
	if (slash != NULL)
		*slash = '\0';
	if (st_find(&t, "socksify-probe", PKGLIBEXECDIR "/socksify-probe",
		    probe) < 0) {
		printf("setup: socksify-probe not found (next to socksify or "
		       "in %s)\n",
		       PKGLIBEXECDIR);
		return 2;
	}
	snprintf(t.dir, sizeof(t.dir), "/tmp/socksify-selftest.XXXXXX");
	if (mkdtemp(t.dir) == NULL) {
		printf("setup: mkdtemp: %s\n", strerror(errno));
		return 2;
	}
	if (st_start_echo(&t) < 0 || st_start_server(&t) < 0 ||
	    st_write_conf(&t, conf) < 0) {
		st_cleanup(&t, 1);
		printf("setup failed; files kept in %s\n", t.dir);
		return 2;
	}
	printf("socksifyd on 127.0.0.1:%u, echo server on 127.0.0.1:%u, "
	       "library %s\n",
	       t.srv_port, t.echo_port, lib);
	snprintf(needle, sizeof(needle), "cmd=connect dst=127.0.0.1:%u",
		 t.echo_port);
	fails += st_check(&t, probe, conf, "TCP", "tcp", "127.0.0.1", needle);
	snprintf(needle, sizeof(needle), "cmd=udp");
	fails += st_check(&t, probe, conf, "UDP", "udp", "127.0.0.1", needle);
	snprintf(needle, sizeof(needle), "dst=%s:%u", ST_DNS_NAME, t.echo_port);
	fails += st_check(&t, probe, conf, "DNS", "dns", ST_DNS_NAME, needle);
	st_cleanup(&t, fails > 0);
	printf(fails ? "selftest: %d check(s) failed (files kept in %s)\n"
		     : "selftest: all checks passed\n",
	       fails, t.dir);
	return fails ? 1 : 0;
}
