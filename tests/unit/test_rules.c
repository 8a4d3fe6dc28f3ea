/* SPDX-License-Identifier: MIT */
/*
 * rules_match(): a table of queries against small configs, each row with
 * the expected action, the route that decided (index, or -1 for "no
 * route") and the proxies in order.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/rules.h"

/* Route indexes below are 0-based positions of the route blocks. */
static const char conf_main[] =
	"proxy \"a\" { url = \"socks5://198.51.100.1:1080\" }\n"
	"proxy \"b\" { url = \"socks5://198.51.100.2:1080\" }\n"
	"proxy \"c\" { url = \"socks4a://198.51.100.3:1080\" }\n"
	/* 0 */ "route { to = { \"127.0.0.0/8\", \"::1/128\" } via = direct }\n"
	/* 1 */ "route { to = \"*.internal.example\" via = direct }\n"
	/* 2 */ "route { to = \"0.0.0.0/0\" ports = \"25\" via = deny }\n"
	/* 3 */ "route { to = \"203.0.113.0/24\"\n"
	"          ports = { \"80\", \"443\", \"8000-8100\" } via = b }\n"
	/* 4 */ "route { to = \"198.51.100.0/24\" command = bind via = c }\n"
	/* 5 */ "route { to = \"198.51.100.0/24\" command = { udp }\n"
	"          via = { b, a } }\n"
	/* 6 */ "route { program = \"curl*\" to = \"2001:db8:1::/48\" via = a "
		"}\n"
	/* 7 */ "route { user = { alice, \"uid:1234\" } to = "
		"\"2001:db8:2::/48\"\n"
	"          via = b }\n"
	/* 8 */ "route { time = \"Mon-Fri 08:00-18:00\" to = "
		"\"2001:db8:3::/48\"\n"
	"          via = a }\n"
	/* 9 */ "route { time = \"Fri 22:00-06:00\" to = \"2001:db8:4::/48\"\n"
	"          via = b }\n"
	/* 10 */ "route { time = { \"Sat,Sun 00:00-24:00\" }\n"
	"           to = \"2001:db8:5::/48\" via = c }\n"
	/* 11 */ "route { to = \"*.example.com\" via = { a, b, c } }\n"
	/* 12 */ "route { to = \"db.example.net\" via = deny }\n"
	/* 13 */ "route { to = \"192.0.2.0/24\" via = b }\n"
	/* 14 */ "route { to = { \"0.0.0.0/0\", \"::/0\" } via = { a, b } }\n";

/* No catch-all: unmatched destinations have no route. */
static const char conf_narrow[] =
	"proxy \"p\" { url = \"socks5h://198.51.100.1:1080\" }\n"
	/* 0 */ "route { to = \"10.0.0.0/8\" via = p }\n"
	/* 1 */ "route { to = \"::/0\" via = direct }\n"
	/* 2 */ "route { to = \"host?.test\" ports = \"22\" via = p }\n";

/* Routes without `to`: any destination. */
static const char conf_any[] =
	/* 0 */ "route { ports = \"22\" via = deny }\n"
		/* 1 */ "route { command = { connect, bind } via = direct }\n";

static const char conf_empty[] = "";

/* Raw routes: only raw queries meet them. */
static const char conf_raw[] =
	"proxy \"p\" { url = \"socks5://198.51.100.1:1080\" }\n"
	/* 0 */ "route { to = \"203.0.113.0/24\" command = raw via = direct }\n"
	/* 1 */ "route { to = \"::/0\" command = raw via = direct }\n"
	/* 2 */ "route { to = { \"0.0.0.0/0\", \"::/0\" } via = p }\n";

enum { MAIN, NARROW, ANY, EMPTY, RAW, NCONF };
static const char *const conf_texts[NCONF] = {conf_main, conf_narrow, conf_any,
					      conf_empty, conf_raw};
static struct conf *confs[NCONF];

#define C_CONNECT CONF_CMD_CONNECT
#define C_BIND CONF_CMD_BIND
#define C_UDP CONF_CMD_UDP
#define C_RAW CONF_CMD_RAW

enum { SUN, MON, TUE, WED, THU, FRI, SAT, NOTIME = -1 };

struct rule_case {
	int conf;
	unsigned int command;
	const char *ip;	  /* NULL: no address */
	const char *host; /* NULL: no name */
	uint16_t port;
	const char *program;
	const char *user;
	uid_t uid;
	int wday; /* NOTIME: q->now = NULL */
	int hour, min;
	enum rule_action action;
	int route;	     /* -1: no route */
	const char *proxies; /* "b,a" */
	const char *what;
};

#define P_DIRECT RULE_DIRECT
#define P_DENY RULE_DENY
#define P_PROXY RULE_PROXY

static const struct rule_case cases[] = {
	/* loopback, direct */
	{MAIN, C_CONNECT, "127.0.0.1", NULL, 80, NULL, NULL, 1000, NOTIME, 0, 0,
	 P_DIRECT, 0, "", "v4 loopback"},
	{MAIN, C_CONNECT, "::1", NULL, 22, NULL, NULL, 1000, NOTIME, 0, 0,
	 P_DIRECT, 0, "", "v6 loopback"},
	{MAIN, C_UDP, "::ffff:127.0.0.53", NULL, 53, NULL, NULL, 1000, NOTIME,
	 0, 0, P_DIRECT, 0, "", "v4-mapped loopback, not normalised"},
	/* host-name globs */
	{MAIN, 0, NULL, "db.internal.example", 0, NULL, NULL, 1000, NOTIME, 0,
	 0, P_DIRECT, 1, "", "glob, name resolution"},
	{MAIN, C_CONNECT, NULL, "DB.Internal.Example.", 5432, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_DIRECT, 1, "", "glob: case and trailing dot"},
	{MAIN, C_CONNECT, NULL, "internal.example", 443, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 14, "a,b",
	 "*.x does not match x; name-only hits catch-all /0"},
	{MAIN, C_CONNECT, NULL, "internal.example", 0, NULL, NULL, 1000, NOTIME,
	 0, 0, P_DENY, 2, "", "port unknown: the ports-25 deny route holds"},
	/* first match wins; ports single, list, range */
	{MAIN, C_CONNECT, "203.0.113.5", NULL, 25, NULL, NULL, 1000, NOTIME, 0,
	 0, P_DENY, 2, "", "port 25 denied before the 203.0.113/24 route"},
	{MAIN, C_CONNECT, "203.0.113.5", NULL, 80, NULL, NULL, 1000, NOTIME, 0,
	 0, P_PROXY, 3, "b", "ports list: 80"},
	{MAIN, C_CONNECT, "203.0.113.5", NULL, 443, NULL, NULL, 1000, NOTIME, 0,
	 0, P_PROXY, 3, "b", "ports list: 443"},
	{MAIN, C_CONNECT, "203.0.113.5", NULL, 8000, NULL, NULL, 1000, NOTIME,
	 0, 0, P_PROXY, 3, "b", "range low end"},
	{MAIN, C_CONNECT, "203.0.113.5", NULL, 8100, NULL, NULL, 1000, NOTIME,
	 0, 0, P_PROXY, 3, "b", "range high end"},
	{MAIN, C_CONNECT, "203.0.113.5", NULL, 8101, NULL, NULL, 1000, NOTIME,
	 0, 0, P_PROXY, 14, "a,b", "past the range"},
	{MAIN, C_CONNECT, "203.0.113.5", NULL, 7999, NULL, NULL, 1000, NOTIME,
	 0, 0, P_PROXY, 14, "a,b", "before the range"},
	{MAIN, C_CONNECT, "203.0.113.5", NULL, 0, NULL, NULL, 1000, NOTIME, 0,
	 0, P_DENY, 2, "", "port unknown satisfies the first ports route"},
	/* commands */
	{MAIN, C_BIND, "198.51.100.7", NULL, 21, NULL, NULL, 1000, NOTIME, 0, 0,
	 P_PROXY, 4, "c", "bind route"},
	{MAIN, C_UDP, "198.51.100.7", NULL, 53, NULL, NULL, 1000, NOTIME, 0, 0,
	 P_PROXY, 5, "b,a", "udp route, proxies in order"},
	{MAIN, C_CONNECT, "198.51.100.7", NULL, 80, NULL, NULL, 1000, NOTIME, 0,
	 0, P_PROXY, 14, "a,b", "connect skips bind and udp routes"},
	{MAIN, 0, "198.51.100.7", NULL, 80, NULL, NULL, 1000, NOTIME, 0, 0,
	 P_PROXY, 4, "c", "command unknown: first route holds"},
	/* program glob */
	{MAIN, C_CONNECT, "2001:db8:1::5", NULL, 443, "curl", NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 6, "a", "program glob, exact"},
	{MAIN, C_CONNECT, "2001:db8:1::5", NULL, 443, "curl-7.88", NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 6, "a", "program glob, star"},
	{MAIN, C_CONNECT, "2001:db8:1::5", NULL, 443, "wget", NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 14, "a,b", "other program"},
	{MAIN, C_CONNECT, "2001:db8:1::5", NULL, 443, NULL, NULL, 1000, NOTIME,
	 0, 0, P_PROXY, 14, "a,b", "program unknown"},
	{MAIN, C_CONNECT, "2001:db8:1::5", NULL, 443, "Curl", NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 14, "a,b", "program glob is case-sensitive"},
	/* users */
	{MAIN, C_CONNECT, "2001:db8:2::1", NULL, 80, NULL, "alice", 1000,
	 NOTIME, 0, 0, P_PROXY, 7, "b", "user by name"},
	{MAIN, C_CONNECT, "2001:db8:2::1", NULL, 80, NULL, "bob", 1234, NOTIME,
	 0, 0, P_PROXY, 7, "b", "user by uid"},
	{MAIN, C_CONNECT, "2001:db8:2::1", NULL, 80, NULL, NULL, 1234, NOTIME,
	 0, 0, P_PROXY, 7, "b", "uid without a name"},
	{MAIN, C_CONNECT, "2001:db8:2::1", NULL, 80, NULL, "mallory", 1000,
	 NOTIME, 0, 0, P_PROXY, 14, "a,b", "other user"},
	{MAIN, C_CONNECT, "2001:db8:2::1", NULL, 80, NULL, "Alice", 1000,
	 NOTIME, 0, 0, P_PROXY, 14, "a,b", "user names are case-sensitive"},
	/* time windows */
	{MAIN, C_CONNECT, "2001:db8:3::1", NULL, 80, NULL, NULL, 1000, WED, 12,
	 0, P_PROXY, 8, "a", "weekday noon"},
	{MAIN, C_CONNECT, "2001:db8:3::1", NULL, 80, NULL, NULL, 1000, MON, 8,
	 0, P_PROXY, 8, "a", "window start is inside"},
	{MAIN, C_CONNECT, "2001:db8:3::1", NULL, 80, NULL, NULL, 1000, WED, 18,
	 0, P_PROXY, 14, "a,b", "window end is outside"},
	{MAIN, C_CONNECT, "2001:db8:3::1", NULL, 80, NULL, NULL, 1000, FRI, 17,
	 59, P_PROXY, 8, "a", "last minute"},
	{MAIN, C_CONNECT, "2001:db8:3::1", NULL, 80, NULL, NULL, 1000, SAT, 12,
	 0, P_PROXY, 14, "a,b", "weekend"},
	{MAIN, C_CONNECT, "2001:db8:3::1", NULL, 80, NULL, NULL, 1000, NOTIME,
	 0, 0, P_PROXY, 14, "a,b", "no clock: time routes do not match"},
	{MAIN, C_CONNECT, "2001:db8:4::1", NULL, 80, NULL, NULL, 1000, FRI, 23,
	 30, P_PROXY, 9, "b", "wrap: Friday night"},
	{MAIN, C_CONNECT, "2001:db8:4::1", NULL, 80, NULL, NULL, 1000, SAT, 5,
	 59, P_PROXY, 9, "b", "wrap: Saturday early morning"},
	{MAIN, C_CONNECT, "2001:db8:4::1", NULL, 80, NULL, NULL, 1000, SAT, 6,
	 0, P_PROXY, 14, "a,b", "wrap: ends at 06:00"},
	{MAIN, C_CONNECT, "2001:db8:4::1", NULL, 80, NULL, NULL, 1000, FRI, 5,
	 0, P_PROXY, 14, "a,b", "wrap: Friday morning belongs to Thursday"},
	{MAIN, C_CONNECT, "2001:db8:4::1", NULL, 80, NULL, NULL, 1000, FRI, 22,
	 0, P_PROXY, 9, "b", "wrap: start is inside"},
	{MAIN, C_CONNECT, "2001:db8:4::1", NULL, 80, NULL, NULL, 1000, THU, 23,
	 0, P_PROXY, 14, "a,b", "wrap: Thursday not listed"},
	{MAIN, C_CONNECT, "2001:db8:5::1", NULL, 80, NULL, NULL, 1000, SUN, 0,
	 0, P_PROXY, 10, "c", "whole day, midnight"},
	{MAIN, C_CONNECT, "2001:db8:5::1", NULL, 80, NULL, NULL, 1000, SAT, 23,
	 59, P_PROXY, 10, "c", "whole day, last minute"},
	{MAIN, C_CONNECT, "2001:db8:5::1", NULL, 80, NULL, NULL, 1000, MON, 0,
	 0, P_PROXY, 14, "a,b", "Monday midnight"},
	/* hostname glob vs CIDR */
	{MAIN, C_CONNECT, NULL, "www.example.com", 443, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 11, "a,b,c", "name: glob, three proxies"},
	{MAIN, 0, NULL, "www.example.com", 0, NULL, NULL, 1000, NOTIME, 0, 0,
	 P_DENY, 2, "", "name resolution: port unknown"},
	{MAIN, C_CONNECT, NULL, "example.com", 443, NULL, NULL, 1000, NOTIME, 0,
	 0, P_PROXY, 14, "a,b", "name only: catch-all prefix 0"},
	{MAIN, C_CONNECT, NULL, "db.example.net", 5432, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_DENY, 12, "", "deny by name"},
	{MAIN, C_CONNECT, NULL, "www.example.com", 25, NULL, NULL, 1000, NOTIME,
	 0, 0, P_DENY, 2, "", "name only meets 0.0.0.0/0 port 25"},
	{MAIN, C_CONNECT, "192.0.2.1", "www.example.com", 80, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 11, "a,b,c", "address and name: name first"},
	{MAIN, C_CONNECT, "192.0.2.1", "other.test", 80, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 13, "b", "address and name: address"},
	{MAIN, C_CONNECT, "192.0.2.1", NULL, 80, NULL, NULL, 1000, NOTIME, 0, 0,
	 P_PROXY, 13, "b", "address only"},
	{MAIN, C_CONNECT, "::ffff:203.0.113.9", NULL, 80, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 3, "b", "v4-mapped matches a v4 CIDR"},
	{MAIN, C_CONNECT, "2001:db8:ffff::1", NULL, 80, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 14, "a,b", "IPv6 catch-all"},
	{MAIN, C_CONNECT, "2001:db8:1::5", NULL, 25, NULL, NULL, 1000, NOTIME,
	 0, 0, P_PROXY, 14, "a,b", "v4 /0 does not cover IPv6"},
	/* no route */
	{NARROW, C_CONNECT, "203.0.113.1", NULL, 80, NULL, NULL, 1000, NOTIME,
	 0, 0, P_DENY, -1, "", "no route: ::/0 does not cover IPv4"},
	{NARROW, C_CONNECT, "10.1.2.3", NULL, 80, NULL, NULL, 1000, NOTIME, 0,
	 0, P_PROXY, 0, "p", "v4 CIDR"},
	{NARROW, C_CONNECT, NULL, "foo.test", 80, NULL, NULL, 1000, NOTIME, 0,
	 0, P_DIRECT, 1, "", "name only matches ::/0 (prefix 0)"},
	{NARROW, C_CONNECT, "2001:db8::1", NULL, 80, NULL, NULL, 1000, NOTIME,
	 0, 0, P_DIRECT, 1, "", "IPv6"},
	{NARROW, C_CONNECT, "203.0.113.1", "host1.test", 22, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_PROXY, 2, "p", "glob with '?'"},
	{NARROW, C_CONNECT, "203.0.113.1", "host12.test", 22, NULL, NULL, 1000,
	 NOTIME, 0, 0, P_DENY, -1, "", "'?' is one character"},
	{NARROW, C_CONNECT, NULL, NULL, 80, NULL, NULL, 1000, NOTIME, 0, 0,
	 P_DIRECT, 1, "", "nothing known: only prefix 0 matches"},
	/* routes without `to` */
	{ANY, C_CONNECT, "198.51.100.1", NULL, 22, NULL, NULL, 0, NOTIME, 0, 0,
	 P_DENY, 0, "", "no to: any destination, port 22 denied"},
	{ANY, C_CONNECT, NULL, "x.test", 23, NULL, NULL, 0, NOTIME, 0, 0,
	 P_DIRECT, 1, "", "no to: name only"},
	{ANY, C_UDP, "198.51.100.1", NULL, 53, NULL, NULL, 0, NOTIME, 0, 0,
	 P_DENY, -1, "", "udp not in the command list: no route"},
	{EMPTY, C_CONNECT, "198.51.100.1", NULL, 80, NULL, NULL, 0, NOTIME, 0,
	 0, P_DENY, -1, "", "empty config: no route"},
	/* raw: only routes naming it; unknown commands never meet raw alone */
	{RAW, C_RAW, "203.0.113.7", NULL, 0, NULL, NULL, 0, NOTIME, 0, 0,
	 P_DIRECT, 0, "", "raw route"},
	{RAW, C_RAW, "198.51.100.9", NULL, 0, NULL, NULL, 0, NOTIME, 0, 0,
	 P_DENY, -1, "", "raw is not implied by a route without command"},
	{RAW, C_RAW, "2001:db8::1", NULL, 0, NULL, NULL, 0, NOTIME, 0, 0,
	 P_DIRECT, 1, "", "raw route, IPv6"},
	{RAW, C_CONNECT, "203.0.113.7", NULL, 80, NULL, NULL, 0, NOTIME, 0, 0,
	 P_PROXY, 2, "p", "connect passes raw routes over"},
	{RAW, 0, NULL, "name.test", 0, NULL, NULL, 0, NOTIME, 0, 0, P_PROXY, 2,
	 "p", "a name is not resolved direct because of a raw route"},
};

static void setup(void)
{
	char err[CONF_ERR_MAX];
	int i;

	for (i = 0; i < NCONF; i++) {
		confs[i] = NULL;
		ck_assert_msg(conf_load_buf(conf_texts[i], "rules.conf",
					    &confs[i], err, sizeof(err)) == 0,
			      "config %d: %s", i, err);
	}
}

static void teardown(void)
{
	int i;

	for (i = 0; i < NCONF; i++)
		conf_free(confs[i]);
}

static void join_proxies(const struct rule_result *r, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nproxies; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "," : "",
				      r->proxies[i]->name);
}

START_TEST(test_rule_case)
{
	const struct rule_case *rc = &cases[_i];
	const struct conf *c = confs[rc->conf];
	struct rule_query q;
	struct rule_result r;
	struct tm tm;
	char got[128];
	int route;

	memset(&q, 0, sizeof(q));
	q.command = rc->command;
	if (rc->ip) {
		/* parsed without normalising, to exercise rules_match's own */
		ck_assert_int_eq(
			inet_pton(strchr(rc->ip, ':') ? AF_INET6 : AF_INET,
				  rc->ip, q.ip.b),
			1);
		q.ip.family = strchr(rc->ip, ':') ? AF_INET6 : AF_INET;
		q.has_ip = true;
	}
	q.hostname = rc->host;
	q.port = rc->port;
	q.program = rc->program;
	q.user = rc->user;
	q.uid = rc->uid;
	if (rc->wday != NOTIME) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_wday = rc->wday;
		tm.tm_hour = rc->hour;
		tm.tm_min = rc->min;
		q.now = &tm;
	}
	memset(&r, 0xa5, sizeof(r));
	ck_assert_int_eq(rules_match(c, &q, &r), r.action);
	route = r.route ? (int)(r.route - c->routes) : -1;
	join_proxies(&r, got, sizeof(got));
	ck_assert_msg(r.action == rc->action && route == rc->route &&
			      strcmp(got, rc->proxies) == 0,
		      "row %d (%s): want action %d route %d [%s], got action "
		      "%d route %d [%s]",
		      _i, rc->what, rc->action, rc->route, rc->proxies,
		      r.action, route, got);
	if (r.action != RULE_PROXY)
		ck_assert_uint_eq(r.nproxies, 0);
	else
		ck_assert_ptr_eq(r.proxies, r.route->proxies);
}
END_TEST

START_TEST(test_null_args)
{
	struct rule_result r;
	struct rule_query q;

	memset(&q, 0, sizeof(q));
	ck_assert_int_eq(rules_match(NULL, &q, &r), RULE_DENY);
	ck_assert_ptr_null(r.route);
	ck_assert_int_eq(rules_match(confs[MAIN], NULL, &r), RULE_DENY);
	ck_assert_ptr_null(r.route);
}
END_TEST

START_TEST(test_bad_clock)
{
	struct rule_result r;
	struct rule_query q;
	struct tm tm;

	memset(&q, 0, sizeof(q));
	memset(&tm, 0, sizeof(tm));
	q.command = CONF_CMD_CONNECT;
	q.has_ip = true;
	q.ip.family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:5::1", q.ip.b), 1);
	q.port = 80;
	q.now = &tm;
	tm.tm_wday = 7; /* out of range: no window matches */
	rules_match(confs[MAIN], &q, &r);
	ck_assert_int_eq((int)(r.route - confs[MAIN]->routes), 14);
	tm.tm_wday = SUN;
	tm.tm_hour = 24;
	rules_match(confs[MAIN], &q, &r);
	ck_assert_int_eq((int)(r.route - confs[MAIN]->routes), 14);
	tm.tm_hour = 0;
	rules_match(confs[MAIN], &q, &r);
	ck_assert_int_eq((int)(r.route - confs[MAIN]->routes), 10);
}
END_TEST

/* conf_from_url(): loopback direct, the rest via the proxy. */
START_TEST(test_one_proxy_mode)
{
	char err[CONF_ERR_MAX];
	struct conf *c = NULL;
	struct rule_result r;
	struct rule_query q;

	ck_assert_int_eq(conf_from_url("socks5h://198.51.100.1:1080", &c, err,
				       sizeof(err)),
			 0);
	memset(&q, 0, sizeof(q));
	q.command = CONF_CMD_CONNECT;
	q.port = 80;
	q.has_ip = true;
	q.ip.family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", q.ip.b), 1);
	ck_assert_int_eq(rules_match(c, &q, &r), RULE_DIRECT);
	ck_assert_int_eq(inet_pton(AF_INET, "203.0.113.1", q.ip.b), 1);
	ck_assert_int_eq(rules_match(c, &q, &r), RULE_PROXY);
	ck_assert_ptr_eq(r.proxies[0], &c->proxies[0]);
	q.ip.family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "::1", q.ip.b), 1);
	ck_assert_int_eq(rules_match(c, &q, &r), RULE_DIRECT);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", q.ip.b), 1);
	ck_assert_int_eq(rules_match(c, &q, &r), RULE_PROXY);
	q.has_ip = false;
	q.hostname = "localhost";
	ck_assert_int_eq(rules_match(c, &q, &r), RULE_DIRECT);
	q.hostname = "www.example.com";
	ck_assert_int_eq(rules_match(c, &q, &r), RULE_PROXY);
	conf_free(c);
}
END_TEST

static Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_rule_case, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_null_args);
	tcase_add_test(tc, test_bad_clock);
	tcase_add_test(tc, test_one_proxy_mode);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rules_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
