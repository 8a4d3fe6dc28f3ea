/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/preload/fakedns.c: assignment and lookup in both
 * families, stability, name folding, the bounds (network, broadcast, a
 * full pool, the table size), threads, and sharing with forked children.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/net.h"
#include "preload/fakedns.h"
#include "preload/fakedns_table.h"
#include "preload/init.h"

/* fakedns.c asks init.c for the config; the tests force the networks. */
const struct conf *socksify_conf(void)
{
	return NULL;
}

static struct net_cidr cidr(const char *s)
{
	struct net_cidr c;

	ck_assert_int_eq(net_cidr_parse(s, &c), 0);
	return c;
}

static const char *fmt(const struct net_ip *ip)
{
	static char buf[8][INET6_ADDRSTRLEN];
	static int i;

	i = (i + 1) % 8;
	return net_ip_format(ip, buf[i], sizeof(buf[i]));
}

static void reset(const char *v4, const char *v6)
{
	struct net_cidr a, b;

	if (v4)
		a = cidr(v4);
	if (v6)
		b = cidr(v6);
	ck_assert_int_eq(
		fakedns_reset_for_tests(v4 ? &a : NULL, v6 ? &b : NULL), 0);
}

static struct net_ip assign(const char *name, int family)
{
	struct net_ip ip;

	ck_assert_int_eq(fakedns_assign(name, family, &ip), 0);
	ck_assert_int_eq(ip.family, family);
	return ip;
}

static void assert_name(const struct net_ip *ip, const char *want)
{
	char name[FAKEDNS_NAME_MAX + 1];

	ck_assert_int_eq(fakedns_lookup(ip, name, sizeof(name)), 0);
	ck_assert_str_eq(name, want);
}

START_TEST(v4_assign_lookup)
{
	struct net_ip a, b, a2;
	struct net_cidr net = cidr("198.18.0.0/15");

	reset(NULL, NULL);
	a = assign("www.example.com", AF_INET);
	b = assign("mail.example.com", AF_INET);
	a2 = assign("www.example.com", AF_INET);
	ck_assert(net_cidr_contains(&net, &a));
	ck_assert(net_cidr_contains(&net, &b));
	ck_assert_str_eq(fmt(&a), fmt(&a2));
	ck_assert_str_ne(fmt(&a), fmt(&b));
	ck_assert_str_ne(fmt(&a), "198.18.0.0"); /* never the network */
	ck_assert(fakedns_is_fake(&a));
	assert_name(&a, "www.example.com");
	assert_name(&b, "mail.example.com");
}
END_TEST

START_TEST(v6_assign_lookup)
{
	struct net_ip a, b, v4;
	struct net_cidr net = cidr("fd53:6f63:6b73::/64");

	reset(NULL, NULL);
	v4 = assign("www.example.com", AF_INET);
	a = assign("www.example.com", AF_INET6);
	b = assign("ftp.example.org", AF_INET6);
	ck_assert(net_cidr_contains(&net, &a));
	ck_assert(net_cidr_contains(&net, &b));
	ck_assert_str_ne(fmt(&a), "fd53:6f63:6b73::");
	ck_assert_str_ne(fmt(&a), fmt(&b));
	ck_assert(fakedns_is_fake(&a));
	assert_name(&a, "www.example.com");
	assert_name(&b, "ftp.example.org");
	/* the IPv4 address of the name is unchanged by the IPv6 one */
	assert_name(&v4, "www.example.com");
	ck_assert_str_eq(fmt(&v4), fmt(&(struct net_ip){.family = AF_INET,
							.b = {198, 18, 0, 1}}));
}
END_TEST

START_TEST(configured_networks)
{
	struct net_ip a, b;

	reset("203.0.113.0/24", "2001:db8:5::/64");
	a = assign("one.test", AF_INET);
	b = assign("one.test", AF_INET6);
	ck_assert_str_eq(fmt(&a), "203.0.113.1");
	ck_assert_str_eq(fmt(&b), "2001:db8:5::1");
	a = assign("two.test", AF_INET);
	ck_assert_str_eq(fmt(&a), "203.0.113.2");
	/* the defaults are not fake any more */
	ck_assert(!fakedns_is_fake(
		&(struct net_ip){.family = AF_INET, .b = {198, 18, 0, 1}}));
}
END_TEST

START_TEST(folding)
{
	struct net_ip a, b, c;

	reset(NULL, NULL);
	a = assign("WWW.Example.COM.", AF_INET);
	b = assign("www.example.com", AF_INET);
	c = assign("www.EXAMPLE.com", AF_INET6);
	ck_assert_str_eq(fmt(&a), fmt(&b));
	assert_name(&a, "www.example.com");
	assert_name(&c, "www.example.com");
}
END_TEST

START_TEST(invalid)
{
	char long_name[FAKEDNS_NAME_MAX + 2];
	struct net_ip ip;

	reset(NULL, NULL);
	ck_assert_int_eq(fakedns_assign(NULL, AF_INET, &ip), -EINVAL);
	ck_assert_int_eq(fakedns_assign("", AF_INET, &ip), -EINVAL);
	ck_assert_int_eq(fakedns_assign(".", AF_INET, &ip), -EINVAL);
	ck_assert_int_eq(fakedns_assign("a b", AF_INET, &ip), -EINVAL);
	ck_assert_int_eq(fakedns_assign("a\nb", AF_INET, &ip), -EINVAL);
	ck_assert_int_eq(fakedns_assign("caf\xc3\xa9", AF_INET, &ip), -EINVAL);
	ck_assert_int_eq(fakedns_assign("ok.test", AF_UNIX, &ip), -EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_int_eq(fakedns_assign(long_name, AF_INET, &ip), -EINVAL);
	/* exactly FAKEDNS_NAME_MAX is fine, with or without the dot */
	long_name[FAKEDNS_NAME_MAX] = '\0';
	ck_assert_int_eq(fakedns_assign(long_name, AF_INET, &ip), 0);
	long_name[FAKEDNS_NAME_MAX] = '.';
	ck_assert_int_eq(fakedns_assign(long_name, AF_INET, &ip), 0);
}
END_TEST

START_TEST(lookup_errors)
{
	struct net_ip ip, other;
	char small[4];

	reset(NULL, NULL);
	ck_assert_int_eq(net_ip_parse("198.18.0.1", &ip), 0);
	ck_assert_int_eq(fakedns_lookup(&ip, small, sizeof(small)), -ENOENT);
	ip = assign("long.example.com", AF_INET);
	ck_assert_int_eq(fakedns_lookup(&ip, small, sizeof(small)),
			 -ENAMETOOLONG);
	ck_assert_int_eq(net_ip_parse("198.18.0.0", &other), 0);
	ck_assert(fakedns_is_fake(&other));
	ck_assert_int_eq(fakedns_lookup(&other, small, sizeof(small)), -ENOENT);
	ck_assert_int_eq(net_ip_parse("198.19.255.255", &other), 0);
	ck_assert(fakedns_is_fake(&other));
	ck_assert_int_eq(fakedns_lookup(&other, small, sizeof(small)), -ENOENT);
	ck_assert_int_eq(net_ip_parse("198.20.0.1", &other), 0);
	ck_assert(!fakedns_is_fake(&other));
	ck_assert_int_eq(fakedns_lookup(&other, small, sizeof(small)), -EINVAL);
	ck_assert_int_eq(net_ip_parse("fd53:6f63:6b73:1::1", &other), 0);
	ck_assert(!fakedns_is_fake(&other));
	ck_assert_int_eq(net_ip_parse("fd53:6f63:6b73::1:0:0", &other), 0);
	ck_assert(fakedns_is_fake(&other));
	ck_assert_int_eq(fakedns_lookup(&other, small, sizeof(small)), -ENOENT);
}
END_TEST

START_TEST(v4_mapped_raw)
{
	struct net_ip ip, mapped;
	char name[64];

	reset(NULL, NULL);
	ip = assign("mapped.test", AF_INET);
	memset(&mapped, 0, sizeof(mapped));
	mapped.family = AF_INET6;
	mapped.b[10] = 0xff;
	mapped.b[11] = 0xff;
	memcpy(&mapped.b[12], ip.b, 4);
	ck_assert(fakedns_is_fake(&mapped));
	ck_assert_int_eq(fakedns_lookup(&mapped, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "mapped.test");
}
END_TEST

START_TEST(exhaustion_v4)
{
	struct net_ip a, b, ip;

	reset("198.51.100.0/30", "2001:db8::/126");
	a = assign("a.test", AF_INET);
	b = assign("b.test", AF_INET);
	ck_assert_str_eq(fmt(&a), "198.51.100.1");
	ck_assert_str_eq(fmt(&b), "198.51.100.2"); /* .3 is the broadcast */
	ck_assert_int_eq(fakedns_assign("c.test", AF_INET, &ip), -ENOSPC);
	/* live mappings are kept, not recycled */
	assert_name(&a, "a.test");
	assert_name(&b, "b.test");
	a = assign("a.test", AF_INET);
	ck_assert_str_eq(fmt(&a), "198.51.100.1");
	/* the other family still has room */
	a = assign("c.test", AF_INET6);
	ck_assert_str_eq(fmt(&a), "2001:db8::1");
	a = assign("d.test", AF_INET6);
	ck_assert_str_eq(fmt(&a), "2001:db8::2");
	ck_assert_int_eq(fakedns_assign("e.test", AF_INET6, &ip), -ENOSPC);
	ck_assert_int_eq(net_ip_parse("198.51.100.3", &ip), 0);
	ck_assert_int_eq(fakedns_lookup(&ip, (char[8]){0}, 8), -ENOENT);
}
END_TEST

START_TEST(no_host_addresses)
{
	struct net_ip ip;

	reset("198.51.100.0/31", "2001:db8::/128");
	ck_assert_int_eq(fakedns_assign("a.test", AF_INET, &ip), -ENOSPC);
	ck_assert_int_eq(fakedns_assign("a.test", AF_INET6, &ip), -ENOSPC);
}
END_TEST

/* The table holds FAKEDNS_MAX names, however large the network. */
START_TEST(table_bound)
{
	struct net_ip ip, first;
	char name[32];
	unsigned i;

	reset("10.0.0.0/8", NULL);
	for (i = 0; i < FAKEDNS_MAX; i++) {
		snprintf(name, sizeof(name), "n%u.test", i);
		ck_assert_int_eq(fakedns_assign(name, AF_INET, &ip), 0);
		if (i == 0)
			first = ip;
	}
	ck_assert_str_eq(fmt(&ip), "10.1.0.0"); /* offset 65536 */
	ck_assert_int_eq(fakedns_assign("one.more", AF_INET, &ip), -ENOSPC);
	ck_assert_int_eq(fakedns_assign("one.more", AF_INET6, &ip), -ENOSPC);
	/* known names still answer, in both families */
	ck_assert_int_eq(fakedns_assign("n0.test", AF_INET, &ip), 0);
	ck_assert_str_eq(fmt(&ip), fmt(&first));
	ck_assert_int_eq(fakedns_assign("n7.test", AF_INET6, &ip), 0);
	assert_name(&ip, "n7.test");
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

#define THREADS 4
#define THREAD_NAMES 500

static struct net_ip thread_ips[THREADS][THREAD_NAMES];

static void *thread_fn(void *arg)
{
	long t = (long)arg;
	char name[32];
	int i;

	for (i = 0; i < THREAD_NAMES; i++) {
		/* every thread walks the same names, in different orders */
		int n = (int)((i * 7 + t * 131) % THREAD_NAMES);

		snprintf(name, sizeof(name), "t%d.test", n);
		if (fakedns_assign(name, AF_INET, &thread_ips[t][n]) != 0)
			return (void *)1;
	}
	return NULL;
}

START_TEST(threads_agree)
{
	pthread_t th[THREADS];
	void *ret;
	long t;
	int i;

	reset(NULL, NULL);
	for (t = 0; t < THREADS; t++)
		ck_assert_int_eq(
			pthread_create(&th[t], NULL, thread_fn, (void *)t), 0);
	for (t = 0; t < THREADS; t++) {
		ck_assert_int_eq(pthread_join(th[t], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	for (i = 0; i < THREAD_NAMES; i++) {
		char want[32];

		for (t = 1; t < THREADS; t++)
			ck_assert_str_eq(fmt(&thread_ips[t][i]),
					 fmt(&thread_ips[0][i]));
		snprintf(want, sizeof(want), "t%d.test", i);
		assert_name(&thread_ips[0][i], want);
	}
}
END_TEST

/* ---- fork --------------------------------------------------------------- */

/* Read one struct net_ip from @fd. */
static struct net_ip read_ip(int fd)
{
	struct net_ip ip;

	ck_assert_int_eq(read(fd, &ip, sizeof(ip)), (ssize_t)sizeof(ip));
	return ip;
}

static void child_exit(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

START_TEST(fork_shared)
{
	struct net_ip before, seen, in_child, again;
	int p[2];
	pid_t pid;

	reset(NULL, NULL);
	before = assign("parent.test", AF_INET);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct net_ip ip[2];
		char name[64];

		close(p[0]);
		/* the child sees the parent's mapping ... */
		if (fakedns_assign("parent.test", AF_INET, &ip[0]) != 0 ||
		    fakedns_lookup(&before, name, sizeof(name)) != 0 ||
		    strcmp(name, "parent.test") != 0)
			_exit(1);
		/* ... and assigns a name of its own */
		if (fakedns_assign("child.test", AF_INET6, &ip[1]) != 0)
			_exit(2);
		if (write(p[1], ip, sizeof(ip)) != (ssize_t)sizeof(ip))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	seen = read_ip(p[0]);
	in_child = read_ip(p[0]);
	close(p[0]);
	child_exit(pid);
	ck_assert_str_eq(fmt(&seen), fmt(&before));
	/* the parent knows the child's name, and gets the same address */
	assert_name(&in_child, "child.test");
	again = assign("child.test", AF_INET6);
	ck_assert_str_eq(fmt(&again), fmt(&in_child));
}
END_TEST

#define FORK_NAMES 300

/*
 * Parent and child assign at the same time, some names in common: every
 * name ends with one address, no address is given twice, and the parent
 * can look up what the child assigned.
 */
START_TEST(fork_concurrent)
{
	struct net_ip mine[FORK_NAMES], theirs[FORK_NAMES], shared[FORK_NAMES];
	char name[32], got[32];
	struct net_ip next;
	unsigned off;
	int p[2], i;
	pid_t pid;

	reset(NULL, NULL);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		close(p[0]);
		for (i = 0; i < FORK_NAMES; i++) {
			snprintf(name, sizeof(name), "c%d.test", i);
			if (fakedns_assign(name, AF_INET, &theirs[i]) != 0)
				_exit(1);
			snprintf(name, sizeof(name), "s%d.test", i);
			if (fakedns_assign(name, AF_INET, &shared[i]) != 0)
				_exit(1);
		}
		if (write(p[1], theirs, sizeof(theirs)) != sizeof(theirs) ||
		    write(p[1], shared, sizeof(shared)) != sizeof(shared))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	for (i = 0; i < FORK_NAMES; i++) {
		snprintf(name, sizeof(name), "p%d.test", i);
		mine[i] = assign(name, AF_INET);
		snprintf(name, sizeof(name), "s%d.test", FORK_NAMES - 1 - i);
		assign(name, AF_INET);
	}
	for (i = 0; i < FORK_NAMES; i++)
		theirs[i] = read_ip(p[0]);
	for (i = 0; i < FORK_NAMES; i++)
		shared[i] = read_ip(p[0]);
	close(p[0]);
	child_exit(pid);
	for (i = 0; i < FORK_NAMES; i++) {
		snprintf(name, sizeof(name), "p%d.test", i);
		assert_name(&mine[i], name);
		snprintf(name, sizeof(name), "c%d.test", i);
		ck_assert_int_eq(fakedns_lookup(&theirs[i], got, sizeof(got)),
				 0);
		ck_assert_str_eq(got, name);
		snprintf(name, sizeof(name), "s%d.test", i);
		next = assign(name, AF_INET);
		ck_assert_str_eq(fmt(&next), fmt(&shared[i]));
	}
	/* 3 * FORK_NAMES distinct names: the next one gets the next address */
	next = assign("last.test", AF_INET);
	off = ((unsigned)next.b[1] - 18) * 65536 + next.b[2] * 256u + next.b[3];
	ck_assert_uint_eq(off, 3 * FORK_NAMES + 1);
}
END_TEST

/* ---- recycling (fake_ttl) ------------------------------------------------ */

/*
 * A full network recycles only addresses unused for longer than the TTL;
 * a name looked up (connect) or resolved again within the TTL keeps its
 * address.
 */
START_TEST(ttl_recycling)
{
	struct net_ip ip[6], n7, again;
	char name[32];
	int i;

	reset("10.0.0.0/29", NULL); /* 6 host addresses */
	fakedns_set_ttl_for_tests(10);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "r%d.test", i);
		ip[i] = assign(name, AF_INET);
	}
	/* full, nothing expired: fails closed */
	ck_assert_int_eq(fakedns_assign("new.test", AF_INET, &n7), -ENOSPC);
	fakedns_advance_clock_for_tests(5);
	assert_name(&ip[0], "r0.test");	    /* a connect: refreshed */
	again = assign("r1.test", AF_INET); /* resolved again: refreshed */
	ck_assert_str_eq(fmt(&again), fmt(&ip[1]));
	fakedns_advance_clock_for_tests(6); /* r2..r5 unused for 11 s */
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "new%d.test", i);
		n7 = assign(name, AF_INET);
		ck_assert_str_ne(fmt(&n7), fmt(&ip[0]));
		ck_assert_str_ne(fmt(&n7), fmt(&ip[1]));
		assert_name(&n7, name);
	}
	/* r0 and r1 kept theirs; the others are gone */
	assert_name(&ip[0], "r0.test");
	assert_name(&ip[1], "r1.test");
	ck_assert_int_eq(fakedns_assign("new9.test", AF_INET, &n7), -ENOSPC);
	/* an evicted name comes back with a new address once one expires */
	fakedns_advance_clock_for_tests(11);
	n7 = assign("r2.test", AF_INET);
	assert_name(&n7, "r2.test");
}
END_TEST

/*
 * 10,000 names through a /22 (1022 addresses) with a 2 s TTL, the clock
 * moving 1 s per 100 names: every answer maps back to its name, and no
 * name used within the TTL ever loses its address.
 */
#define MANY 10000
static struct net_ip many_ip[MANY];

START_TEST(ttl_many_names)
{
	char name[32], want[32];
	int i, j, from;

	reset("10.0.0.0/22", "fd00:1::/118");
	fakedns_set_ttl_for_tests(2);
	for (i = 0; i < MANY; i++) {
		if (i % 100 == 0)
			fakedns_advance_clock_for_tests(1);
		snprintf(name, sizeof(name), "m%d.test", i);
		ck_assert_int_eq(fakedns_assign(name,
						i % 3 ? AF_INET : AF_INET6,
						&many_ip[i]),
				 0);
		assert_name(&many_ip[i], name);
		/* the names of the last second are still theirs */
		from = i - i % 100;
		for (j = from; j < i; j += 7) {
			snprintf(want, sizeof(want), "m%d.test", j);
			assert_name(&many_ip[j], want);
		}
	}
}
END_TEST

/* ---- the shared file ----------------------------------------------------- */

static char file_dir[64];

static void file_setup(void)
{
	snprintf(file_dir, sizeof(file_dir), "/tmp/sfy-names.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(file_dir));
	fakedns_set_dir_for_tests(file_dir);
	reset(NULL, NULL);
}

static void file_teardown(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/socksify-names", file_dir);
	unlink(path);
	rmdir(file_dir);
}

static void file_stat(struct stat *st)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/socksify-names", file_dir);
	ck_assert_int_eq(lstat(path, st), 0);
}

/* A process that maps the file later (exec, an unrelated program) sees
 * the names of the others, and they see its names. */
START_TEST(file_shared)
{
	struct net_ip a, b, b2;
	struct stat st;
	int pfd[2], status;
	pid_t pid;

	file_setup();
	file_stat(&st);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
	a = assign("a.test", AF_INET);
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct net_ip ip;
		char name[FAKEDNS_NAME_MAX + 1];

		/* a new process: no inherited mapping */
		if (fakedns_remap_for_tests() != 0)
			_exit(2);
		int rc = fakedns_lookup(&a, name, sizeof(name));

		if (rc != 0) {
			fprintf(stderr, "child lookup %s: %d\n", fmt(&a), rc);
			_exit(3);
		}
		if (strcmp(name, "a.test") != 0)
			_exit(6);
		if (fakedns_assign("b.test", AF_INET6, &ip) != 0)
			_exit(4);
		if (write(pfd[1], &ip, sizeof(ip)) != sizeof(ip))
			_exit(5);
		_exit(0);
	}
	close(pfd[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(read(pfd[0], &b, sizeof(b)), sizeof(b));
	close(pfd[0]);
	assert_name(&b, "b.test");
	b2 = assign("B.TEST.", AF_INET6);
	ck_assert_str_eq(fmt(&b2), fmt(&b));
	/* and after a remap of our own */
	ck_assert_int_eq(fakedns_remap_for_tests(), 0);
	assert_name(&a, "a.test");
	file_teardown();
}
END_TEST

/* Write @len bytes of @buf at @off of the table file, or truncate it to
 * @off when @buf is NULL. */
static void file_damage(off_t off, const void *buf, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/socksify-names", file_dir);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	if (buf)
		ck_assert_int_eq(pwrite(fd, buf, len, off), (ssize_t)len);
	else
		ck_assert_int_eq(ftruncate(fd, off), 0);
	close(fd);
}

/* A damaged header or a truncated file is replaced, never followed. */
START_TEST(file_corrupt_replaced)
{
	char name[FAKEDNS_NAME_MAX + 1];
	struct stat before, after;
	struct net_ip a;
	static const char junk[8] = "garbage";

	file_setup();
	a = assign("a.test", AF_INET);
	file_stat(&before);
	file_damage(0, junk, sizeof(junk)); /* the magic number */
	ck_assert_int_eq(fakedns_remap_for_tests(), 0);
	ck_assert_int_eq(fakedns_lookup(&a, name, sizeof(name)), -ENOENT);
	file_stat(&after); /* a new file (the inode number may be reused) */
	ck_assert_uint_eq(after.st_mode & 0777, 0600);
	ck_assert_int_eq(after.st_size, before.st_size);

	a = assign("b.test", AF_INET);
	file_damage(4096, NULL, 0); /* truncated */
	ck_assert_int_eq(fakedns_remap_for_tests(), 0);
	ck_assert_int_eq(fakedns_lookup(&a, name, sizeof(name)), -ENOENT);
	file_stat(&after);
	ck_assert_int_gt(after.st_size, 4096);
	a = assign("c.test", AF_INET);
	assert_name(&a, "c.test");

	/* a checksum over the header: one changed network byte is seen */
	file_damage(offsetof(struct fakedns_hdr, prefix), "\x10", 1);
	ck_assert_int_eq(fakedns_remap_for_tests(), 0);
	ck_assert_int_eq(fakedns_lookup(&a, name, sizeof(name)), -ENOENT);
	file_teardown();
}
END_TEST

/* A table file of another owner is refused, left alone, and not read. */
START_TEST(file_other_owner_refused)
{
	char name[FAKEDNS_NAME_MAX + 1], path[128];
	struct stat before, after;
	struct net_ip a;

	if (geteuid() != 0) {
		fprintf(stderr, "file_other_owner_refused: needs root "
				"(chown); not run\n");
		return;
	}
	file_setup();
	a = assign("planted.test", AF_INET);
	snprintf(path, sizeof(path), "%s/socksify-names", file_dir);
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	file_stat(&before);
	ck_assert_int_eq(fakedns_remap_for_tests(), 0); /* private table */
	ck_assert_int_eq(fakedns_lookup(&a, name, sizeof(name)), -ENOENT);
	a = assign("mine.test", AF_INET);
	assert_name(&a, "mine.test");
	file_stat(&after);
	ck_assert_uint_eq(after.st_ino, before.st_ino);
	ck_assert_uint_eq(after.st_uid, 65534);
	ck_assert_int_eq(after.st_mtime, before.st_mtime);
	/* a symbolic link is not followed */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	ck_assert_int_eq(fakedns_remap_for_tests(), 0);
	a = assign("mine.test", AF_INET);
	ck_assert_int_eq(lstat(path, &after), 0);
	ck_assert(S_ISLNK(after.st_mode));
	file_teardown();
}
END_TEST

static Suite *fakedns_suite(void)
{
	Suite *s = suite_create("fakedns");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, v4_assign_lookup);
	tcase_add_test(tc, v6_assign_lookup);
	tcase_add_test(tc, configured_networks);
	tcase_add_test(tc, folding);
	tcase_add_test(tc, invalid);
	tcase_add_test(tc, lookup_errors);
	tcase_add_test(tc, v4_mapped_raw);
	tcase_add_test(tc, exhaustion_v4);
	tcase_add_test(tc, no_host_addresses);
	tcase_add_test(tc, table_bound);
	tcase_add_test(tc, threads_agree);
	tcase_add_test(tc, fork_shared);
	tcase_add_test(tc, fork_concurrent);
	tcase_add_test(tc, ttl_recycling);
	tcase_add_test(tc, ttl_many_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("file");
	tcase_add_test(tc, file_shared);
	tcase_add_test(tc, file_corrupt_replaced);
	tcase_add_test(tc, file_other_owner_refused);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fakedns_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
