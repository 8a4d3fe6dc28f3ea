// SPDX-License-Identifier: MIT
/*
 * socksifyd: command line, signals, start-up and the main loop.
 *
 *   socksifyd [-f CONFIG] [-l ADDR:PORT]... [-u USER:PASS]... [-U USERFILE]
 *             [-d LEVEL] [-D] [-P PIDFILE]
 *
 * Signals arrive through a signalfd watched by the loop: SIGHUP reloads
 * (the old config stays if the new one is broken), SIGTERM/SIGINT end
 * cleanly.  SIGPIPE is ignored here, in main, and nowhere else.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "server/conn.h"
#include "server/listener.h"
#include "server/lo_cc.h"
#include "server/loop.h"
#include "server/notify.h"
#include "server/relay.h"
#include "server/resolver.h"
#include "server/server.h"

#define RESOLVER_THREADS 4
#define NOFILE_WANT 131072

static struct srv_cli cli;
static const char *pidfile;
static struct loop_handler sigh;
static int sigfd = -1;
static bool daemonized;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: socksifyd [-f CONFIG] [-l ADDR:PORT]... [-u "
		"USER:PASS]...\n"
		"                 [-U USERFILE] [-d LEVEL] [-D] [-P PIDFILE]\n"
		"       socksifyd -h | --help | -V | --version\n"
		"\n"
		"SOCKS4/4a/5 server (CONNECT, BIND, UDP ASSOCIATE).\n"
		"  -f CONFIG    config file (libconfuse syntax, see "
		"socksifyd(8));\n"
		"               default %s if it exists\n"
		"  -l ADDR:PORT listen address, repeatable (default %s;\n"
		"               ADDR alone means port 1080; port 0 picks a "
		"free port;\n"
		"               IPv6 as [::1]:1080)\n"
		"  -u USER:PASS add a user (enables RFC 1929 authentication)\n"
		"  -U USERFILE  users file, lines \"user:hash\" (openssl "
		"passwd -6)\n"
		"  -d LEVEL     0 errors, 1 one line per session (default), 2, "
		"3\n"
		"  -D           run in the background (logs to syslog unless "
		"the\n"
		"               config sets a log file)\n"
		"  -P PIDFILE   write the process id to PIDFILE\n"
		"  -h, --help   this text;  -V, --version  the version\n"
		"Signals: SIGHUP reloads the config, SIGTERM exits.\n"
		"Report bugs to <%s>.\n",
		SRV_DEFAULT_CONFIG, SRV_DEFAULT_LISTEN, PACKAGE_BUGREPORT);
}

static void raise_nofile(void)
{
	struct rlimit rl;
	rlim_t want = NOFILE_WANT;
	FILE *f;
	unsigned long nr;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%lu", &nr) == 1 && nr < want)
			want = nr;
		fclose(f);
	}
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		struct rlimit more = {want, want};

		/* Works with CAP_SYS_RESOURCE; otherwise soft = hard below. */
		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void apply_log(const struct srvconf *c, bool bg)
{
	const char *target = c->log;

	if (bg && strcmp(target, "stderr") == 0)
		target = "syslog";
	if (log_open("socksifyd", c->debug, target) < 0)
		LOG_ERR("cannot open log %.200s: %s", target, strerror(errno));
}

static void reload(void)
{
	static char addrs[SRV_LISTEN_MAX][64];
	struct srv_cli rc = cli;
	struct srvconf *nc;
	char err[SRV_ERR_MAX];
	size_t i, n;

	/* Listeners stay as they are: a reload does not rebind. */
	n = listener_addrs(addrs, SRV_LISTEN_MAX);
	for (i = 0; i < n; i++)
		rc.listen[i] = addrs[i];
	rc.nlisten = n;
	if (srvconf_load(&rc, &nc, err, sizeof(err)) < 0) {
		LOG_ERR("reload failed, keeping the old config: %s", err);
		return;
	}
	srvconf_unref(server.cfg);
	server.cfg = nc;
	relay_pool_config(nc->max_pipes, nc->pipe_size);
	loop_set_spin(nc->poll_spin, conn_setup_pending);
	lo_cc_config(
		nc->loopback_cc); /* new connections; listeners keep theirs */
	apply_log(nc, daemonized);
	LOG_INFO("configuration reloaded%s%s", nc->path[0] ? " from " : "",
		 nc->path);
}

static void on_signal(struct loop_handler *h, uint32_t ev)
{
	struct signalfd_siginfo si;

	(void)h;
	(void)ev;
	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload();
		} else {
			LOG_INFO("signal %u: exiting", si.ssi_signo);
			loop_stop();
		}
	}
}

static void tick(int64_t now)
{
	conn_tick(now);
	listener_tick(now);
}

/*
 * workers > 1: fork one event-loop process per worker, each accepting on
 * its own SO_REUSEPORT socket, and supervise them: SIGHUP and SIGTERM are
 * passed on; when a worker dies unasked, the others are stopped and the
 * supervisor exits 1 (a service manager restarts the whole).  Returns -1
 * in a worker (which then runs the loop), else the supervisor's exit
 * status.  Worker processes share nothing: max_clients and the pipe pool
 * are per worker.
 */
static int spawn_workers(int n)
{
	pid_t pids[SRV_WORKERS_MAX];
	sigset_t set;
	int i, alive = 0, rc = 0, st;
	bool stopping = false;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			sigdelset(&set, SIGHUP);
			sigdelset(&set, SIGTERM);
			sigdelset(&set, SIGINT);
			sigprocmask(SIG_UNBLOCK, &set, NULL); /* SIGCHLD */
			listener_pick_worker(i);
			pidfile = NULL; /* the supervisor's */
			return -1;
		}
		if (pids[i] < 0) {
			LOG_ERR("fork: %s", strerror(errno));
			stopping = true;
			rc = 1;
			break;
		}
		alive++;
	}
	listener_pick_worker(-1);
	if (stopping)
		for (i = 0; i < alive; i++)
			kill(pids[i], SIGTERM);
	while (alive > 0) {
		siginfo_t si;
		pid_t p;

		if (sigwaitinfo(&set, &si) < 0)
			continue;
		if (si.si_signo == SIGHUP || si.si_signo == SIGTERM ||
		    si.si_signo == SIGINT) {
			if (si.si_signo != SIGHUP)
				stopping = true;
			for (i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], si.si_signo == SIGHUP
							      ? SIGHUP
							      : SIGTERM);
			continue;
		}
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < n; i++)
				if (pids[i] == p)
					pids[i] = 0;
			alive--;
			if (!stopping) {
				LOG_ERR("worker %ld exited: stopping", (long)p);
				stopping = true;
				rc = 1;
				for (i = 0; i < n; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGTERM);
			}
		}
	}
	if (pidfile)
		unlink(pidfile);
	return rc;
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

/*
 * @path made absolute against the current directory, so that -f, -U and
 * -P keep naming the same files after daemon(3) changed to "/" (every
 * SIGHUP reload reads the config again).  Lexical; exits 2 on failure.
 */
static const char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return path;
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		fprintf(stderr,
			"socksifyd: cannot get the current directory: "
			"%s\n",
			strerror(errno));
		exit(2);
	}
	out = malloc(strlen(cwd) + strlen(path) + 2);
	if (out == NULL) {
		fprintf(stderr, "socksifyd: out of memory\n");
		exit(2);
	}
	sprintf(out, "%s/%s", cwd, path);
	return out;
}

static int parse_args(int argc, char **argv, bool *daemonize)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}};
	char *end;
	long v;
	int opt;

	cli.debug = -1;
	while ((opt = getopt_long(argc, argv, "f:l:u:U:d:DP:hV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'f':
			cli.config = absolute(optarg);
			break;
		case 'l':
			if (cli.nlisten >= SRV_LISTEN_MAX) {
				fprintf(stderr, "socksifyd: too many -l\n");
				return 2;
			}
			cli.listen[cli.nlisten++] = optarg;
			break;
		case 'u':
			if (cli.nusers >= SRV_CLI_USERS_MAX ||
			    !strchr(optarg, ':') || optarg[0] == ':') {
				fprintf(stderr, "socksifyd: -u expects "
						"USER:PASS\n");
				return 2;
			}
			/* A copy: argv is wiped below, reloads need it. */
			cli.users[cli.nusers] = strdup(optarg);
			if (!cli.users[cli.nusers]) {
				fprintf(stderr, "socksifyd: out of memory\n");
				return 2;
			}
			cli.nusers++;
			break;
		case 'U':
			cli.users_file = absolute(optarg);
			break;
		case 'd':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || v < -1 || v > 3) {
				fprintf(stderr, "socksifyd: -d expects a level "
						"0..3\n");
				return 2;
			}
			cli.debug = (int)v;
			break;
		case 'D':
			*daemonize = true;
			break;
		case 'P':
			pidfile = absolute(optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("socksifyd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "socksifyd: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	/* No -f: the system's file when there is one. */
	if (cli.config == NULL && access(SRV_DEFAULT_CONFIG, F_OK) == 0)
		cli.config = SRV_DEFAULT_CONFIG;
	return 0;
}

int main(int argc, char **argv)
{
	char err[SRV_ERR_MAX];
	bool daemonize = false;
	sigset_t mask;
	int rc;

	rc = parse_args(argc, argv, &daemonize);
	if (rc)
		return rc;
	log_open("socksifyd", cli.debug >= 0 ? cli.debug : 1, "stderr");
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();

	if (srvconf_load(&cli, &server.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "socksifyd: %s\n", err);
		return 2;
	}
	/* -u on the command line: hide the passwords from ps. */
	for (rc = 1; rc < argc; rc++) {
		char *arg = NULL, *colon;

		if (strcmp(argv[rc], "-u") == 0 && rc + 1 < argc)
			arg = argv[rc + 1];
		else if (strncmp(argv[rc], "-u", 2) == 0)
			arg = argv[rc] + 2; /* -uUSER:PASS */
		colon = arg ? strchr(arg, ':') : NULL;
		if (colon)
			memset(colon + 1, 'x', strlen(colon + 1));
	}
	apply_log(server.cfg, false);

	relay_pool_config(server.cfg->max_pipes, server.cfg->pipe_size);
	loop_set_spin(server.cfg->poll_spin, conn_setup_pending);
	lo_cc_config(server.cfg->loopback_cc);
	if (listener_open_all(server.cfg, server.cfg->workers, err,
			      sizeof(err)) < 0) {
		LOG_ERR("%s", err);
		return 1;
	}
	if (daemonize) {
		/* Before epoll, signalfd and threads: none survives fork. */
		if (daemon(0, 0) < 0) {
			LOG_ERR("daemon: %s", strerror(errno));
			return 1;
		}
		daemonized = true;
		apply_log(server.cfg, true);
	}
	if (pidfile && (rc = write_pidfile(pidfile)) < 0) {
		LOG_ERR("cannot write %.200s: %s", pidfile, strerror(-rc));
		return 1;
	}
	listener_announce(); /* with the pid that serves them */
	/* Block before any thread starts, so workers inherit the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (server.cfg->workers > 1) {
		rc = spawn_workers(server.cfg->workers);
		if (rc >= 0)
			return rc; /* the supervisor is done */
	}
	sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sigfd < 0 || loop_init() < 0 ||
	    loop_add(&sigh, sigfd, on_signal, EPOLLIN) < 0 ||
	    listener_watch() < 0) {
		LOG_ERR("cannot set up the event loop: %s", strerror(errno));
		return 1;
	}
	{
		time_t t = time(NULL);

		localtime_r(&t, &server.now_tm);
	}
	rc = resolver_start(RESOLVER_THREADS);
	if (rc < 0) {
		LOG_ERR("cannot start resolver threads: %s", strerror(-rc));
		return 1;
	}
	loop_set_tick(tick);
	loop_set_after(conn_reap);
	log_pin_pid(); /* no fork from here on */
	(void)notify_send("READY=1");
	rc = loop_run();
	if (rc < 0)
		LOG_ERR("event loop: %s", strerror(-rc));
	conn_close_all();
	listener_close_all();
	resolver_stop();
	if (pidfile)
		unlink(pidfile);
	srvconf_unref(server.cfg);
	log_close();
	return rc < 0 ? 1 : 0;
}
