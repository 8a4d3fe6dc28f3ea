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
#include <sys/wait.h>
#include <unistd.h>

#include "common/net.h"
#include "preload/fakedns.h"
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
