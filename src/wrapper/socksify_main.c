/* SPDX-License-Identifier: MIT */
/*
 * socksify [-c FILE] [-p URL] [-d LEVEL] [-l TARGET] [-q] [--] program [args]
 * socksify --help | --version
 *
 * The wrapper (SPEC section 2): checks the options and the config up
 * front, sets SOCKS_CONF / SOCKS_PROXY / SOCKS_DEBUG / SOCKS_LOG, appends
 * libsocksify.so to LD_PRELOAD, finds the program in PATH, refuses programs
 * the library cannot enter (static, setuid/setgid, file capabilities,
 * another ELF class or machine), and execs the program.  A C program, not
 * a script: `socksify true` should cost little more than `true`.
 *
 * Exit status: the program's (we exec it); 127 not found; 126 found but
 * cannot be run, or cannot be socksified; 2 bad options, invalid config or
 * URL, or no library.
 */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/conf_path.h"
#include "conf/rules.h"
#include "wrapper/elf_go.h"
#include "wrapper/selftest.h"
#include "wrapper/wrap_diag.h"

#define WRAP_EXIT_USAGE 2
#define WRAP_EXIT_NOEXEC 126
#define WRAP_EXIT_NOTFOUND 127

#define WRAP_LIBNAME "libsocksify.so"

#if __SIZEOF_POINTER__ == 8
#define WRAP_ELFCLASS ELFCLASS64
typedef Elf64_Ehdr wrap_ehdr;
typedef Elf64_Phdr wrap_phdr;
#else
#define WRAP_ELFCLASS ELFCLASS32
typedef Elf32_Ehdr wrap_ehdr;
typedef Elf32_Phdr wrap_phdr;
#endif

#if defined(__x86_64__)
#define WRAP_MACHINE EM_X86_64
#elif defined(__i386__)
#define WRAP_MACHINE EM_386
#elif defined(__aarch64__)
#define WRAP_MACHINE EM_AARCH64
#elif defined(__arm__)
#define WRAP_MACHINE EM_ARM
#else
#define WRAP_MACHINE EM_NONE /* not checked */
#endif

static const char *wrap_prog = "socksify";
static bool wrap_force;	 /* --force: run what the library cannot hold */
static bool wrap_auto;	 /* isolate = "auto": isolate what it cannot hold */
static bool wrap_unheld; /* wrap_check_program found such a program */

static void wrap_usage(void)
{
	printf("Usage: socksify [-c FILE] [-p URL] [-d LEVEL] [-l TARGET] [-q]"
	       " [--force | --isolate]\n"
	       "                [--] program [args...]\n"
	       "       socksify [-c FILE | -p URL] --check [FILE]\n"
	       "       socksify [-c FILE | -p URL] --explain HOST[:PORT]"
	       " [--udp | --bind] [--program NAME]\n"
	       "       socksify --selftest\n"
	       "       socksify -h | --help | -V | --version\n"
	       "Run a dynamically linked program with its connections sent"
	       " through SOCKS proxies.\n\n"
	       "  -c FILE    client config (socks.conf(5)); default "
	       "~/.config/socksify/socks.conf\n"
	       "             if it exists, else %s/socks.conf\n"
	       "  -p URL     one proxy for everything but loopback, no config"
	       " file:\n"
	       "             socks4://host:port, socks4a://[user@]host:port,\n"
	       "             socks5://[user[:pass]@]host:port (local DNS),"
	       " socks5h://... (proxy DNS)\n"
	       "  -d LEVEL   0 errors (default), 1 one line per connection,"
	       " 2 protocol, 3 trace\n"
	       "  -l TARGET  stderr (default), syslog, or a file\n"
	       "  -q         quiet: log nothing, not even errors\n"
	       "  --isolate  run the program in its own network namespace"
	       " whose only route\n"
	       "             is a TUN device served by socksify: for Go,"
	       " static, setuid and\n"
	       "             raw-syscall programs the library cannot hold."
	       " As root: the\n"
	       "             namespace directly; as any other user: a user"
	       " namespace\n"
	       "             first, which needs unprivileged user namespaces"
	       " allowed and\n"
	       "             /dev/net/tun open to the user (mode 0666, as"
	       " Debian has it)\n"
	       "  --force    run a Go, static or setuid program with the"
	       " library anyway\n"
	       "             (warning: its connections may bypass the proxy);"
	       " also over\n"
	       "             socks.conf's isolate setting\n"
	       "  --check    check the config (FILE, or the one -c, -p or the"
	       " default gives)\n"
	       "  --explain  show the route, proxies and name resolution"
	       " HOST[:PORT] would get\n"
	       "  --udp, --bind  with --explain: a UDP or an inbound (BIND)"
	       " destination\n"
	       "  --program NAME  with --explain: as if program NAME asked\n"
	       "  --selftest start socksifyd on loopback and check TCP, UDP"
	       " and DNS through\n"
	       "             the library\n"
	       "  -h, --help     this text\n"
	       "  -V, --version  print the version\n\n"
	       "Environment (the options set these for the program):\n"
	       "  SOCKS_CONF      config file (-c)\n"
	       "  SOCKS_PROXY     one proxy URL (-p), used when no config is"
	       " given\n"
	       "  SOCKS_DEBUG     log level (-d; -1 is -q)\n"
	       "  SOCKS_LOG       log target (-l)\n"
	       "  SOCKS_LOG_FORMAT  \"json\": JSON lines, one per routed"
	       " connection\n"
	       "  SOCKS_USERNAME, SOCKS_PASSWORD  credentials for proxies that"
	       " have none\n"
	       "  SOCKSIFY_LIBRARY  the libsocksify.so to preload\n\n"
	       "Exit status: the program's; 127 not found; 126 not executable"
	       " or cannot be\nsocksified (Go, static or setuid program: use "
	       "--isolate);"
	       " 2 bad options or invalid config.\n"
	       "Report bugs: see %s.\n",
	       SYSCONFDIR, PACKAGE_BUGREPORT);
}

static void wrap_hint(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", wrap_prog);
}

static void wrap_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* Print "socksify: <message>" on stderr and exit with @status. */
static void wrap_die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", wrap_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/*
 * @path made absolute against the current directory (the program may
 * chdir before the library reads its environment).  Lexical only: the
 * file need not exist.  Returns a malloc'd string; exits on ENOMEM.
 */
static char *wrap_absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *out;

	if (path[0] == '/') {
		out = strdup(path);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			wrap_die(WRAP_EXIT_USAGE,
				 "cannot get the current "
				 "directory: %s",
				 strerror(errno));
		out = malloc(strlen(cwd) + strlen(path) + 2);
		if (out != NULL)
			sprintf(out, "%s/%s", cwd, path);
	}
	if (out == NULL)
		wrap_die(WRAP_EXIT_USAGE, "out of memory");
	return out;
}

/*
 * "@dir/@name" into @buf of @cap bytes (@dir: @dlen bytes, which may
 * already be at the start of @buf; just @name when @dlen is 0).  False
 * when it does not fit.  Not snprintf: this runs on every start, and
 * stdio's formatting code is pages to fault in for a concatenation.
 */
static bool wrap_path(char *buf, size_t cap, const char *dir, size_t dlen,
		      const char *name)
{
	size_t nlen = strlen(name), sep = dlen > 0;

	if (dlen + sep + nlen >= cap)
		return false;
	memmove(buf, dir, dlen);
	if (sep)
		buf[dlen] = '/';
	memcpy(buf + dlen + sep, name, nlen + 1);
	return true;
}

/* A readable regular file? */
static bool wrap_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, R_OK) == 0;
}

/*
 * The library to preload: $SOCKSIFY_LIBRARY; else, when we run from a
 * build tree, .libs/libsocksify.so next to our own executable; else
 * $(pkglibdir)/libsocksify.so.  Returns a malloc'd absolute path; exits 2
 * when the library is not there.
 */
static char *wrap_library(void)
{
	static const char *const rel[] = {".libs/" WRAP_LIBNAME,
					  "src/preload/.libs/" WRAP_LIBNAME};
	const char *env = getenv("SOCKSIFY_LIBRARY");
	/* our executable's path, then each candidate in its place (one
	 * buffer: less stack to fault in) */
	char self[PATH_MAX + 64];
	ssize_t n;
	size_t i;
	char *slash;

	if (env != NULL && env[0] != '\0') {
		if (!wrap_is_file(env))
			wrap_die(WRAP_EXIT_USAGE,
				 "SOCKSIFY_LIBRARY=%s: no such "
				 "readable file",
				 env);
		return wrap_absolute(env);
	}
	n = readlink("/proc/self/exe", self, PATH_MAX - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		for (i = 0; slash != NULL && i < sizeof(rel) / sizeof(rel[0]);
		     i++) {
			if (wrap_path(self, sizeof(self), self,
				      (size_t)(slash - self), rel[i]) &&
			    wrap_is_file(self))
				return wrap_absolute(self);
		}
	}
	if (!wrap_is_file(PKGLIBDIR "/" WRAP_LIBNAME))
		wrap_die(WRAP_EXIT_USAGE,
			 "%s: library not found (set "
			 "SOCKSIFY_LIBRARY)",
			 PKGLIBDIR "/" WRAP_LIBNAME);
	return wrap_absolute(PKGLIBDIR "/" WRAP_LIBNAME);
}

/*
 * Append @lib to LD_PRELOAD unless it is already listed (ld.so separates
 * entries with spaces or colons, so @lib must contain neither).
 */
static void wrap_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	size_t len = strlen(lib);
	const char *p;
	char *val;

	if (strpbrk(lib, " :\t") != NULL)
		wrap_die(WRAP_EXIT_USAGE,
			 "%s: a library path with a space or "
			 "colon cannot be preloaded",
			 lib);
	if (old != NULL) {
		for (p = old; *p;) {
			size_t tok = strcspn(p, " :\t");

			if (tok == len && strncmp(p, lib, len) == 0)
				return;
			p += tok;
			p += strspn(p, " :\t");
		}
	}
	if (old == NULL || strspn(old, " :\t") == strlen(old)) {
		setenv("LD_PRELOAD", lib, 1);
		return;
	}
	val = malloc(strlen(old) + len + 2);
	if (val == NULL)
		wrap_die(WRAP_EXIT_USAGE, "out of memory");
	sprintf(val, "%s:%s", old, lib);
	setenv("LD_PRELOAD", val, 1);
	free(val);
}

/*
 * Load the configuration the library will use, so that a mistake stops
 * here with file and line instead of failing inside the program:
 * @url (-p when @from_option, else $SOCKS_PROXY), else @file (-c or
 * $SOCKS_CONF or the default path).  Exits 2 on any error.  Returns the
 * parsed config (the caller frees it).
 */
static struct conf *wrap_load_conf(const char *url, bool from_option,
				   const char *file)
{
	char err[CONF_ERR_MAX];
	struct conf *c = NULL;

	if (url != NULL) {
		if (conf_from_url(url, &c, err, sizeof(err)) < 0) {
			const char *msg = err;

			if (from_option &&
			    strncmp(msg, "SOCKS_PROXY: ", 13) == 0)
				msg += 13;
			wrap_die(WRAP_EXIT_USAGE, "%s%s",
				 from_option ? "-p: " : "", msg);
		}
		return c;
	}
	if (access(file, F_OK) != 0)
		wrap_die(WRAP_EXIT_USAGE,
			 "%s: %s (give a config with -c FILE "
			 "or a proxy with -p URL)",
			 file, strerror(errno));
	if (conf_load_file(file, &c, err, sizeof(err)) < 0)
		wrap_die(WRAP_EXIT_USAGE, "invalid config: %s", err);
	return c;
}

/* Parse -d LEVEL: 0..3. */
static const char *wrap_level(const char *s)
{
	if (s[0] < '0' || s[0] > '3' || s[1] != '\0')
		wrap_die(WRAP_EXIT_USAGE, "-d %s: LEVEL must be 0, 1, 2 or 3",
			 s);
	return s;
}

/*
 * -l TARGET: "stderr", "syslog", or a file (made absolute and opened for
 * append once, so that an unwritable path is reported here).  Returns the
 * value for SOCKS_LOG (malloc'd for a file).
 */
static const char *wrap_log_target(const char *t)
{
	char *abs;
	int fd;

	if (strcmp(t, "stderr") == 0 || strcmp(t, "syslog") == 0)
		return t;
	if (t[0] == '\0')
		wrap_die(WRAP_EXIT_USAGE, "-l: empty log target");
	abs = wrap_absolute(t);
	fd = open(abs, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		wrap_die(WRAP_EXIT_USAGE, "-l %s: %s", abs, strerror(errno));
	close(fd);
	return abs;
}

/* Is @path an executable regular file?  0, or -errno as execve gives. */
static int wrap_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	if (access(path, X_OK) != 0)
		return -errno;
	return 0;
}

/*
 * Find @name like execvp(): as given when it has a slash, else in each
 * PATH directory (default "/usr/local/bin:/usr/bin:/bin").  Returns a
 * malloc'd path; exits 127 (not found) or 126 (found, not executable).
 */
static char *wrap_find(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	bool denied = false;
	char buf[PATH_MAX];
	int rc;

	if (name[0] == '\0')
		wrap_die(WRAP_EXIT_NOTFOUND, "'': command not found");
	if (strchr(name, '/') != NULL) {
		rc = wrap_executable(name);
		if (rc == -ENOENT || rc == -ENOTDIR)
			wrap_die(WRAP_EXIT_NOTFOUND, "%s: %s", name,
				 strerror(-rc));
		if (rc < 0)
			wrap_die(WRAP_EXIT_NOEXEC, "%s: cannot execute: %s",
				 name, strerror(-rc));
		return strdup(name);
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		size_t dlen;

		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		rc = wrap_path(buf, sizeof(buf), p, dlen, name)
			     ? wrap_executable(buf)
			     : -ENAMETOOLONG;
		if (rc == 0)
			return strdup(buf);
		if (rc == -EACCES)
			denied = true;
		if (*end == '\0')
			break;
	}
	if (denied)
		wrap_die(WRAP_EXIT_NOEXEC,
			 "%s: cannot execute: permission "
			 "denied",
			 name);
	wrap_die(WRAP_EXIT_NOTFOUND, "%s: command not found", name);
}

/*
 * Would the kernel run @path in secure mode (AT_SECURE), in which ld.so
 * ignores LD_PRELOAD?  Set-user-ID to someone else, set-group-ID to
 * another group, or file capabilities, on a filesystem that honours them.
 * Returns a reason or NULL.
 */
static const char *wrap_secure_exec(const char *path, const struct stat *st)
{
	struct statvfs vfs;
	const char *why = NULL;

	if ((st->st_mode & S_ISUID) && st->st_uid != getuid())
		why = "set-user-ID";
	else if ((st->st_mode & S_ISGID) && st->st_gid != getgid())
		why = "set-group-ID";
	else if (geteuid() != 0 &&
		 getxattr(path, "security.capability", NULL, 0) > 0)
		why = "has file capabilities and";
	/* statvfs only when there is something for nosuid to cancel: one
	 * system call less on the common path. */
	if (why != NULL && statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
		return NULL;
	return why;
}

/*
 * @path (open on @fd) is a program the library cannot hold: @what it is,
 * @why the library cannot enter it.  With --force: a warning line and
 * return (@fd stays open); the program runs unprotected.  Else with
 * isolate = "auto" in the config: note it (wrap_unheld) and return; the
 * program runs isolated.  Else: one line naming the isolation mode as the
 * way, close @fd, exit 126.
 */
static void wrap_refuse(int fd, const char *path, const char *what,
			const char *why)
{
	if (wrap_force) {
		fprintf(stderr,
			"%s: warning: %s is %s (%s): its connections may "
			"bypass the proxy; running it anyway (--force)\n",
			wrap_prog, path, what, why);
		return;
	}
	if (wrap_auto) {
		wrap_unheld = true;
		return;
	}
	close(fd);
	wrap_die(WRAP_EXIT_NOEXEC,
		 "%s is %s (%s), so its connections would bypass the proxy:"
		 " run it with 'socksify --isolate' (or --force to run it "
		 "unprotected); not running it",
		 path, what, why);
}

/*
 * Can libsocksify enter @path?  Refuses (exit 126, with the reason) a
 * statically linked ELF (no PT_INTERP: nothing loads the library), an ELF
 * of another class or machine (ld.so would skip the library and run the
 * program unsocksified), a Go program (static or dynamic: it makes its
 * own system calls), and secure-mode programs; with --force it warns
 * instead (wrap_refuse).  Scripts are checked
 * through their interpreter (one level).  Other files are left to exec.
 */
static void wrap_check_program(const char *path, int depth)
{
	/* Enough for the ELF header and the program headers of usual
	 * programs (13 of 56 bytes for coreutils), read in one call. */
	unsigned char head[1024];
	const char *why;
	struct stat st;
	wrap_ehdr eh;
	wrap_phdr ph;
	bool interp = false;
	ssize_t n;
	int fd, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return; /* exec will tell */
	}
	why = wrap_secure_exec(path, &st);
	if (why != NULL)
		wrap_refuse(fd, path, why,
			    "the dynamic loader ignores LD_PRELOAD for it");
	n = pread(fd, head, sizeof(head) - 1, 0);
	if (n >= 4 && head[0] == '#' && head[1] == '!' && depth == 0) {
		char *s = (char *)head + 2, *e;

		close(fd);
		/* the kernel reads no more than 255 bytes of a #! line */
		head[n < 255 ? n : 255] = '\0';
		s += strspn(s, " \t");
		e = s + strcspn(s, " \t\r\n");
		*e = '\0';
		if (*s == '/')
			wrap_check_program(s, depth + 1);
		return;
	}
	if (n < (ssize_t)sizeof(eh) || memcmp(head, ELFMAG, SELFMAG) != 0) {
		close(fd);
		return;
	}
	memcpy(&eh, head, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != WRAP_ELFCLASS ||
	    (WRAP_MACHINE != EM_NONE && eh.e_machine != WRAP_MACHINE)) {
		wrap_refuse(fd, path, "built for another ELF class or machine",
			    "the dynamic loader would skip " WRAP_LIBNAME);
		return;
	}
	if (elf_is_go(fd, head, (size_t)n)) {
		wrap_refuse(fd, path, "a Go program",
			    "Go makes its own system calls and DNS queries");
		return;
	}
	for (i = 0; i < eh.e_phnum && !interp; i++) {
		off_t off = (off_t)eh.e_phoff + (off_t)i * eh.e_phentsize;

		if (off >= 0 && off + (off_t)sizeof(ph) <= (off_t)n)
			memcpy(&ph, head + off, sizeof(ph));
		else if (pread(fd, &ph, sizeof(ph), off) != (ssize_t)sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP)
			interp = true;
	}
	if (!interp)
		wrap_refuse(fd, path, "statically linked",
			    WRAP_LIBNAME " cannot be preloaded into it");
	close(fd);
}

/* exec @path; a file without a #! line runs under /bin/sh, as execvp()
 * does.  Returns only on failure, with the exit status to use. */
static int wrap_exec(const char *path, char **argv)
{
	int err;

	execv(path, argv);
	err = errno;
	if (err == ENOEXEC) {
		int argc = 0, i;
		char **sh;

		while (argv[argc])
			argc++;
		sh = calloc((size_t)argc + 2, sizeof(*sh));
		if (sh != NULL) {
			sh[0] = (char *)"sh";
			sh[1] = (char *)path;
			for (i = 1; i < argc; i++)
				sh[i + 1] = argv[i];
			execv("/bin/sh", sh);
			err = errno;
		}
	}
	fprintf(stderr, "%s: %s: cannot execute: %s\n", wrap_prog, path,
		strerror(err));
	return err == ENOENT ? WRAP_EXIT_NOTFOUND : WRAP_EXIT_NOEXEC;
}

/*
 * --isolate: exec the isolation helper (src/isolate, socksify-isolate(1)
 * in socksify(1)) as "socksify-isolate PATH ARGV...", with the environment
 * the wrapper prepared and no LD_PRELOAD added.  The helper is
 * $SOCKSIFY_ISOLATE, else socksify-isolate next to our own executable (a
 * build tree), else $(pkglibexecdir)/socksify-isolate.  Returns only on
 * failure, with the exit status.
 */
static int wrap_isolate(const char *path, char **argv)
{
	const char *env = getenv("SOCKSIFY_ISOLATE");
	char self[PATH_MAX + 64], *slash;
	const char *helper = PKGLIBEXECDIR "/socksify-isolate";
	char **args;
	int argc = 0, i;
	ssize_t n;

	if (env != NULL && env[0] != '\0') {
		helper = env;
	} else {
		n = readlink("/proc/self/exe", self, PATH_MAX - 1);
		if (n > 0) {
			self[n] = '\0';
			slash = strrchr(self, '/');
			if (slash != NULL &&
			    wrap_path(self, sizeof(self), self,
				      (size_t)(slash - self),
				      "socksify-isolate") &&
			    access(self, X_OK) == 0)
				helper = self;
		}
	}
	while (argv[argc])
		argc++;
	args = calloc((size_t)argc + 3, sizeof(*args));
	if (args == NULL)
		wrap_die(WRAP_EXIT_USAGE, "out of memory");
	args[0] = (char *)"socksify-isolate";
	args[1] = (char *)path;
	for (i = 0; i < argc; i++)
		args[i + 2] = argv[i];
	execv(helper, args);
	fprintf(stderr, "%s: %s: cannot run the isolation helper: %s\n",
		wrap_prog, helper, strerror(errno));
	return WRAP_EXIT_USAGE;
}

/* What the command line asks for besides running a program. */
enum wrap_mode { WRAP_RUN, WRAP_CHECK, WRAP_EXPLAIN, WRAP_SELFTEST };

enum {
	WRAP_OPT_CHECK = 256,
	WRAP_OPT_EXPLAIN,
	WRAP_OPT_UDP,
	WRAP_OPT_BIND,
	WRAP_OPT_PROGRAM,
	WRAP_OPT_SELFTEST
};

/* Report a bad option (getopt's @optopt, argv[optind - 1]) and exit 2. */
static void wrap_bad_option(char **argv)
{
	if (optopt && strchr("cpdl", optopt))
		fprintf(stderr, "%s: -%c needs an argument\n", wrap_prog,
			optopt);
	else if (optopt >= WRAP_OPT_EXPLAIN)
		fprintf(stderr, "%s: %s needs an argument\n", wrap_prog,
			argv[optind - 1]);
	else if (optopt)
		fprintf(stderr, "%s: unknown option -%c\n", wrap_prog, optopt);
	else
		fprintf(stderr, "%s: unknown option %s\n", wrap_prog,
			argv[optind - 1]);
	wrap_hint();
	exit(WRAP_EXIT_USAGE);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"force", no_argument, NULL, 'F'},
		{"isolate", no_argument, NULL, 'I'},
		{"check", no_argument, NULL, WRAP_OPT_CHECK},
		{"explain", required_argument, NULL, WRAP_OPT_EXPLAIN},
		{"udp", no_argument, NULL, WRAP_OPT_UDP},
		{"bind", no_argument, NULL, WRAP_OPT_BIND},
		{"program", required_argument, NULL, WRAP_OPT_PROGRAM},
		{"selftest", no_argument, NULL, WRAP_OPT_SELFTEST},
		{NULL, 0, NULL, 0},
	};
	const char *file = NULL, *url = NULL, *level = NULL, *log = NULL;
	const char *dest = NULL, *program = NULL;
	char *conf_path = NULL, *path;
	char dflt[PATH_MAX];
	enum wrap_mode mode = WRAP_RUN;
	unsigned cmd = CONF_CMD_CONNECT;
	bool quiet = false, isolate = false, from_option, is_user;
	const char *base;
	struct conf *c;
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+c:p:d:l:qhV", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'c':
			file = optarg;
			break;
		case 'p':
			url = optarg;
			break;
		case 'd':
			level = wrap_level(optarg);
			break;
		case 'l':
			log = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			wrap_usage();
			return 0;
		case 'V':
			printf("socksify %s\n", PACKAGE_VERSION);
			return 0;
		case 'F':
			wrap_force = true;
			break;
		case 'I':
			isolate = true;
			break;
		case WRAP_OPT_CHECK:
			mode = WRAP_CHECK;
			break;
		case WRAP_OPT_EXPLAIN:
			mode = WRAP_EXPLAIN;
			dest = optarg;
			break;
		case WRAP_OPT_UDP:
			cmd = CONF_CMD_UDP;
			break;
		case WRAP_OPT_BIND:
			cmd = CONF_CMD_BIND;
			break;
		case WRAP_OPT_PROGRAM:
			program = optarg;
			break;
		case WRAP_OPT_SELFTEST:
			mode = WRAP_SELFTEST;
			break;
		default:
			wrap_bad_option(argv);
		}
	}
	if (mode == WRAP_SELFTEST)
		return selftest_run(wrap_library(), quiet);
	if (mode == WRAP_CHECK && optind < argc && file == NULL && url == NULL)
		file = argv[optind++];
	if (mode != WRAP_RUN && optind < argc)
		wrap_die(WRAP_EXIT_USAGE, "unexpected argument '%s'",
			 argv[optind]);
	if (mode == WRAP_RUN && optind >= argc) {
		fprintf(stderr, "%s: no program given\n", wrap_prog);
		wrap_hint();
		return WRAP_EXIT_USAGE;
	}
	if (file != NULL && url != NULL)
		wrap_die(WRAP_EXIT_USAGE, "-c and -p exclude each other");

	/* The configuration, checked now rather than inside the program:
	 * -p, -c, SOCKS_PROXY, SOCKS_CONF, the user's file, the system's. */
	from_option = url != NULL;
	if (url == NULL && file == NULL && getenv("SOCKS_CONF") != NULL &&
	    getenv("SOCKS_CONF")[0] != '\0')
		file = getenv("SOCKS_CONF");
	if (url == NULL && file == NULL && getenv("SOCKS_PROXY") != NULL &&
	    getenv("SOCKS_PROXY")[0] != '\0')
		url = getenv("SOCKS_PROXY");
	if (url == NULL) {
		if (file == NULL &&
		    conf_default_path(getenv("XDG_CONFIG_HOME"), getenv("HOME"),
				      SYSCONFDIR "/socks.conf", dflt,
				      sizeof(dflt), &is_user) == 0)
			file = dflt;
		if (file == NULL)
			wrap_die(WRAP_EXIT_USAGE, "config path too long");
		conf_path = wrap_absolute(file);
	}
	c = wrap_load_conf(url, from_option, conf_path);
	if (mode == WRAP_CHECK || mode == WRAP_EXPLAIN) {
		rc = mode == WRAP_CHECK ? diag_check(c)
					: diag_explain(c, dest, cmd, program);
		conf_free(c);
		free(conf_path);
		return rc;
	}
	if (!quiet)
		diag_warn(c, stderr);
	/* socks.conf's isolate: the program by name, or "auto"; --force
	 * runs it under the library whatever the config says. */
	base = strrchr(argv[optind], '/');
	base = base ? base + 1 : argv[optind];
	if (!wrap_force && rules_isolates(c, base))
		isolate = true;
	wrap_auto = c->isolate_auto;
	conf_free(c);
	if (url != NULL) {
		setenv("SOCKS_PROXY", url, 1);
		unsetenv("SOCKS_CONF");
	} else {
		unsetenv("SOCKS_PROXY");
		setenv("SOCKS_CONF", conf_path, 1);
	}
	if (quiet)
		setenv("SOCKS_DEBUG", "-1", 1);
	else if (level != NULL)
		setenv("SOCKS_DEBUG", level, 1);
	if (log != NULL)
		setenv("SOCKS_LOG", wrap_log_target(log), 1);

	path = wrap_find(argv[optind]);
	if (path == NULL)
		wrap_die(WRAP_EXIT_USAGE, "out of memory");
	if (isolate)
		return wrap_isolate(path, argv + optind);
	wrap_check_program(path, 0);
	if (wrap_unheld)
		return wrap_isolate(path, argv + optind);
	wrap_preload(wrap_library());
	return wrap_exec(path, argv + optind);
}
