/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/server/acl.c: first-match rules, the defaults, the
 * safe-destination filter and time windows, as an evaluation table.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include "server/acl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct net_ip ip(const char *s)
{
	struct net_ip r;

	ck_assert_msg(net_ip_parse(s, &r) == 0, "bad test address %s", s);
	return r;
}

static struct net_cidr cidr(const char *s)
{
	struct net_cidr c;

	ck_assert_msg(net_cidr_parse(s, &c) == 0, "bad test CIDR %s", s);
	return c;
}

/*
 * The rule set of the table:
 *   1 block to 203.0.113.66/32
 *   2 pass  from 10.0.0.0/8 to *.example.com ports 443 command connect
 *   3 block users mallory
 *   4 pass  to 127.0.0.1/32 version 4,5 command connect  (explicit local)
 *   5 pass  version 4 to 198.51.100.0/24
 *   6 pass  command udp,bind users alice
 *   7 pass  to 2001:db8::/32, 198.51.100.0/24 ports 80,8000-8999 users alice
 *   8 pass  to 0.0.0.0/0 time Sat,Sun
 */
static struct acl_rule rules[8];
static struct net_cidr r1_to, r2_from, r4_to, r5_to, r7_to[2], r8_to;
static struct acl_target t1, t2, t4, t5, t7[2], t8;
static char *mallory[] = {"mallory"}, *alice[] = {"alice"};
static struct timewin weekend;

static void setup(void)
{
	memset(rules, 0, sizeof(rules));
	r1_to = cidr("203.0.113.66/32");
	t1.kind = ACL_TARGET_CIDR;
	t1.cidr = r1_to;
	rules[0] = (struct acl_rule){
		.line = 1, .pass = false, .to = &t1, .nto = 1};

	r2_from = cidr("10.0.0.0/8");
	t2.kind = ACL_TARGET_GLOB;
	strcpy(t2.glob, "*.example.com");
	rules[1] = (struct acl_rule){.line = 2,
				     .pass = true,
				     .from = &r2_from,
				     .nfrom = 1,
				     .to = &t2,
				     .nto = 1,
				     .commands = ACL_CMD_CONNECT};
	net_ports_parse("443", &rules[1].ports);

	rules[2] = (struct acl_rule){
		.line = 3, .pass = false, .users = mallory, .nusers = 1};

	r4_to = cidr("127.0.0.1/32");
	t4.kind = ACL_TARGET_CIDR;
	t4.cidr = r4_to;
	rules[3] = (struct acl_rule){.line = 4,
				     .pass = true,
				     .to = &t4,
				     .nto = 1,
				     .versions = ACL_VER4 | ACL_VER5,
				     .commands = ACL_CMD_CONNECT};

	r5_to = cidr("198.51.100.0/24");
	t5.kind = ACL_TARGET_CIDR;
	t5.cidr = r5_to;
	rules[4] = (struct acl_rule){.line = 5,
				     .pass = true,
				     .to = &t5,
				     .nto = 1,
				     .versions = ACL_VER4};

	rules[5] = (struct acl_rule){.line = 6,
				     .pass = true,
				     .commands = ACL_CMD_UDP | ACL_CMD_BIND,
				     .users = alice,
				     .nusers = 1};

	r7_to[0] = cidr("2001:db8::/32");
	r7_to[1] = cidr("198.51.100.0/24");
	t7[0].kind = t7[1].kind = ACL_TARGET_CIDR;
	t7[0].cidr = r7_to[0];
	t7[1].cidr = r7_to[1];
	rules[6] = (struct acl_rule){.line = 7,
				     .pass = true,
				     .to = t7,
				     .nto = 2,
				     .users = alice,
				     .nusers = 1};
	net_ports_parse("80,8000-8999", &rules[6].ports);

	r8_to = cidr("0.0.0.0/0");
	t8.kind = ACL_TARGET_CIDR;
	t8.cidr = r8_to;
	ck_assert_int_eq(acl_time_parse("Sat,Sun", &weekend), 0);
	rules[7] = (struct acl_rule){.line = 8,
				     .pass = true,
				     .to = &t8,
				     .nto = 1,
				     .times = &weekend,
				     .ntimes = 1};
}

struct row {
	const char *name;
	bool public_listener, auth_required;
	const char *client, *user, *host, *dst;
	unsigned cmd, version;
	uint16_t port;
	int wday; /* 0 Sunday .. 6 Saturday */
	int want; /* 0 or -EACCES */
	int line; /* matching rule, 0 = none */
};

#define C ACL_CMD_CONNECT
static const struct row table[] = {
	{"rule 1 blocks", 0, 0, "192.0.2.1", NULL, NULL, "203.0.113.66", C, 5,
	 80, 1, -EACCES, 1},
	{"rule 2 glob+port+from", 0, 0, "10.1.2.3", NULL, "www.example.com",
	 "203.0.113.10", C, 5, 443, 1, 0, 2},
	{"rule 2 wrong port", 0, 0, "10.1.2.3", NULL, "www.example.com",
	 "203.0.113.10", C, 5, 80, 1, -EACCES, 0},
	{"rule 2 wrong client", 0, 0, "192.0.2.1", NULL, "www.example.com",
	 "203.0.113.10", C, 5, 443, 1, -EACCES, 0},
	{"rule 2 glob needs a name", 0, 0, "10.1.2.3", NULL, NULL,
	 "203.0.113.10", C, 5, 443, 1, -EACCES, 0},
	{"rule 2 no bare domain", 0, 0, "10.1.2.3", NULL, "example.com",
	 "203.0.113.10", C, 5, 443, 1, -EACCES, 0},
	{"rule 3 blocks a user", 0, 0, "10.1.2.3", "mallory", NULL,
	 "198.51.100.1", C, 5, 80, 1, -EACCES, 3},
	{"rule 1 before rule 3", 0, 0, "10.1.2.3", "alice", NULL,
	 "203.0.113.66", C, 5, 80, 1, -EACCES, 1},
	{"rule 4 local explicit", 1, 0, "192.0.2.1", NULL, NULL, "127.0.0.1", C,
	 5, 80, 1, 0, 4},
	{"rule 4 v4-mapped is v4", 1, 0, "192.0.2.1", NULL, NULL,
	 "::ffff:127.0.0.1", C, 5, 80, 1, 0, 4},
	{"rule 5 v4 only", 0, 0, "192.0.2.1", NULL, NULL, "198.51.100.9", C, 4,
	 80, 1, 0, 5},
	{"rule 5 not v5 (falls to 7: no user)", 0, 0, "192.0.2.1", NULL, NULL,
	 "198.51.100.9", C, 5, 80, 1, -EACCES, 0},
	{"rule 7 alice v5", 0, 0, "192.0.2.1", "alice", NULL, "198.51.100.9", C,
	 5, 8080, 1, 0, 7},
	{"rule 7 port range end", 0, 0, "192.0.2.1", "alice", NULL,
	 "198.51.100.9", C, 5, 9000, 1, -EACCES, 0},
	{"rule 7 ipv6", 0, 0, "192.0.2.1", "alice", NULL, "2001:db8::5", C, 5,
	 80, 1, 0, 7},
	{"rule 6 udp alice", 0, 0, "192.0.2.1", "alice", NULL, "192.0.2.99",
	 ACL_CMD_UDP, 5, 53, 1, 0, 6},
	{"rule 6 udp multicast denied", 0, 0, "192.0.2.1", "alice", NULL,
	 "224.0.0.251", ACL_CMD_UDP, 5, 5353, 1, -EACCES, 6},
	{"rule 6 udp broadcast denied", 0, 0, "192.0.2.1", "alice", NULL,
	 "255.255.255.255", ACL_CMD_UDP, 5, 67, 1, -EACCES, 6},
	{"rule 6 bind with zero dst", 0, 0, "192.0.2.1", "alice", NULL, NULL,
	 ACL_CMD_BIND, 5, 0, 1, 0, 6},
	{"rule 8 weekend", 0, 0, "192.0.2.1", NULL, NULL, "192.0.2.200", C, 5,
	 80, 6, 0, 8},
	{"rule 8 not on monday", 0, 0, "192.0.2.1", NULL, NULL, "192.0.2.200",
	 C, 5, 80, 1, -EACCES, 0},
	{"rule 8 but public: loopback denied", 1, 0, "192.0.2.1", NULL, NULL,
	 "127.0.0.2", C, 5, 80, 0, -EACCES, 8},
	{"public: metadata denied", 1, 0, "192.0.2.1", NULL, NULL,
	 "169.254.169.254", C, 5, 80, 0, -EACCES, 8},
	{"public: ec2 v6 metadata denied", 1, 0, "192.0.2.1", NULL, NULL,
	 "fd00:ec2::254", C, 5, 80, 0, -EACCES, 0},
	{"v4 with auth required needs version 4", 0, 1, "192.0.2.1", NULL, NULL,
	 "198.51.100.9", C, 4, 80, 1, 0, 5},
	{"v4 with auth: rule 4 names v4", 0, 1, "192.0.2.1", NULL, NULL,
	 "127.0.0.1", C, 4, 80, 1, 0, 4},
	{"v4 with auth: rule 8 has no version", 0, 1, "192.0.2.1", NULL, NULL,
	 "192.0.2.200", C, 4, 80, 0, -EACCES, 8},
};

START_TEST(t_table)
{
	const struct row *r = &table[_i];
	struct acl_policy p = {rules, N(rules), r->public_listener,
			       r->auth_required};
	struct net_ip client = ip(r->client), dst;
	struct acl_query q;
	struct acl_verdict v;
	struct tm now;
	int rc;

	memset(&q, 0, sizeof(q));
	memset(&now, 0, sizeof(now));
	now.tm_wday = r->wday;
	now.tm_hour = 12;
	q.client = &client;
	q.cmd = r->cmd;
	q.version = r->version;
	q.user = r->user;
	q.hostname = r->host;
	if (r->dst) {
		dst = ip(r->dst);
		q.dst = &dst;
	}
	q.port = r->port;
	q.now = &now;
	rc = acl_check(&p, &q, &v);
	ck_assert_msg(rc == r->want, "%s: got %d (%s)", r->name, rc, v.why);
	ck_assert_msg((v.rule ? v.rule->line : 0) == r->line,
		      "%s: matched rule %d", r->name,
		      v.rule ? v.rule->line : 0);
}
END_TEST

/* No rules: everything passes on loopback; a public listener filters. */
START_TEST(t_no_rules)
{
	struct acl_policy p = {NULL, 0, false, false};
	struct net_ip client = ip("127.0.0.1"), d;
	struct acl_query q = {.client = &client,
			      .cmd = ACL_CMD_CONNECT,
			      .version = 5,
			      .port = 80};
	static const char *const sensitive[] = {
		"127.0.0.1",
		"127.255.0.1",
		"0.0.0.0",
		"0.1.2.3",
		"169.254.1.1",
		"169.254.169.254",
		"::1",
		"::",
		"fe80::1",
		"febf::1",
		"fd00:ec2::254",
		"::ffff:127.0.0.1",
		"::ffff:169.254.169.254",
		"64:ff9b::127.0.0.1",
		"::127.0.0.1",
	};
	static const char *const fine[] = {"198.51.100.1", "2001:db8::1",
					   "10.0.0.1", "fd00:ec2::253",
					   "64:ff9b::198.51.100.1"};
	size_t i;

	for (i = 0; i < N(sensitive); i++) {
		d = ip(sensitive[i]);
		q.dst = &d;
		ck_assert_msg(acl_ip_is_sensitive(&d), "%s", sensitive[i]);
		p.public_listener = false;
		ck_assert_int_eq(acl_check(&p, &q, NULL), 0);
		p.public_listener = true;
		ck_assert_msg(acl_check(&p, &q, NULL) == -EACCES, "%s",
			      sensitive[i]);
	}
	for (i = 0; i < N(fine); i++) {
		d = ip(fine[i]);
		q.dst = &d;
		ck_assert_msg(!acl_ip_is_sensitive(&d), "%s", fine[i]);
		ck_assert_int_eq(acl_check(&p, &q, NULL), 0);
	}
	/* SOCKS4 while authentication is required, no rules: refused. */
	p.public_listener = false;
	p.auth_required = true;
	q.version = 4;
	ck_assert_int_eq(acl_check(&p, &q, NULL), -EACCES);
}
END_TEST

START_TEST(t_time)
{
	static const struct {
		const char *spec;
		int wday, hour, min;
		bool match;
	} t[] = {
		{"Mon-Fri 08:00-18:00", 1, 8, 0, true},
		{"Mon-Fri 08:00-18:00", 5, 17, 59, true},
		{"Mon-Fri 08:00-18:00", 5, 18, 0, false},
		{"Mon-Fri 08:00-18:00", 6, 12, 0, false},
		{"Fri-Mon", 0, 3, 0, true},
		{"Fri-Mon", 3, 3, 0, false},
		{"22:00-06:00", 3, 23, 0, true},
		{"22:00-06:00", 3, 5, 59, true},
		{"22:00-06:00", 3, 6, 0, false},
		{"Sat 22:00-02:00", 0, 1, 0, true}, /* Saturday night */
		{"Sat 22:00-02:00", 6, 1, 0, false},
		{"sun,WED 00:00-24:00", 3, 23, 59, true},
		{"Mon-Sun", 0, 0, 0, true}, /* every day named: valid */
		{"Fri-Thu", 4, 23, 59, true},
	};
	static const char *const bad[] = {
		"Funday",      "Mon-",	    "8:00-9:0", "08:00-08:00",
		"25:00-26:00", "Mon 08:00", "Mon;Tue", "", "  "};
	struct timewin w;
	struct tm now;
	size_t i;

	for (i = 0; i < N(t); i++) {
		ck_assert_msg(acl_time_parse(t[i].spec, &w) == 0, "%s",
			      t[i].spec);
		memset(&now, 0, sizeof(now));
		now.tm_wday = t[i].wday;
		now.tm_hour = t[i].hour;
		now.tm_min = t[i].min;
		ck_assert_msg(acl_time_match(&w, &now) == t[i].match,
			      "%s at %d %02d:%02d", t[i].spec, t[i].wday,
			      t[i].hour, t[i].min);
	}
	for (i = 0; i < N(bad); i++)
		ck_assert_msg(acl_time_parse(bad[i], &w) == -EINVAL, "%s",
			      bad[i]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("server_acl");
	TCase *tc = tcase_create("acl");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, t_table, 0, N(table));
	tcase_add_test(tc, t_no_rules);
	tcase_add_test(tc, t_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
