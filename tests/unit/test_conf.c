/* SPDX-License-Identifier: MIT */
/*
 * socks.conf parser: valid fixtures checked field by field, one invalid
 * fixture per error class (FILE:LINE and the phrase of the message),
 * in-memory texts through conf_load_buf(), and conf_from_url().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/rules.h"
#include "proto/consts.h"

#ifndef FIXTURES_DIR
#error "FIXTURES_DIR must name tests/fixtures/conf"
#endif

static char errbuf[CONF_ERR_MAX];

static struct conf *load_fixture(const char *file)
{
	char path[512];
	struct conf *c = NULL;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, file);
	ck_assert_msg(conf_load_file(path, &c, errbuf, sizeof(errbuf)) == 0,
		      "%s: %s", file, errbuf);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->path, path);
	return c;
}

static struct conf *load_text(const char *text)
{
	struct conf *c = NULL;

	ck_assert_msg(
		conf_load_buf(text, "t.conf", &c, errbuf, sizeof(errbuf)) == 0,
		"%s", errbuf);
	ck_assert_ptr_nonnull(c);
	return c;
}

static void assert_cidr(const struct net_cidr *c, const char *addr, int prefix)
{
	char buf[64];

	ck_assert_ptr_nonnull(net_ip_format(&c->ip, buf, sizeof(buf)));
	ck_assert_str_eq(buf, addr);
	ck_assert_int_eq(c->prefix, prefix);
}

static void assert_target_cidr(const struct conf_target *t, const char *addr,
			       int prefix)
{
	ck_assert_int_eq(t->kind, CONF_TARGET_CIDR);
	assert_cidr(&t->cidr, addr, prefix);
}

static void assert_target_glob(const struct conf_target *t, const char *glob)
{
	ck_assert_int_eq(t->kind, CONF_TARGET_GLOB);
	ck_assert_str_eq(t->glob, glob);
}

static void assert_defaults(const struct conf *c)
{
	ck_assert_int_eq(c->debug, 0);
	ck_assert_str_eq(c->log, "stderr");
	ck_assert_int_eq(c->resolve, CONF_RESOLVE_REMOTE);
	assert_cidr(&c->fake_network, "198.18.0.0", 15);
	assert_cidr(&c->fake_network6, "fd53:6f63:6b73::", 64);
	ck_assert_int_eq(c->timeout, CONF_DEFAULT_TIMEOUT);
	ck_assert_int_eq(c->fake_ttl, CONF_DEFAULT_FAKE_TTL);
}

/* ---- valid fixtures ------------------------------------------------- */

START_TEST(test_minimal)
{
	struct conf *c = load_fixture("minimal.conf");
	const struct conf_proxy *p;
	const struct conf_route *r;

	assert_defaults(c);
	ck_assert_uint_eq(c->nproxies, 1);
	p = &c->proxies[0];
	ck_assert_str_eq(p->name, "p");
	ck_assert_int_eq(p->url.scheme, NET_SCHEME_SOCKS5);
	ck_assert_str_eq(p->url.hp.host, "198.51.100.1");
	ck_assert_int_eq(p->url.hp.port, 1080);
	ck_assert(!p->has_user);
	ck_assert(!p->has_pass);
	ck_assert(!p->methods_set);
	ck_assert_int_eq(p->nmethods, 1);
	ck_assert_int_eq(p->methods[0], SOCKS5_METHOD_NONE);
	ck_assert_str_eq(p->gssapi_service, "rcmd");

	ck_assert_uint_eq(c->nroutes, 1);
	r = &c->routes[0];
	ck_assert_int_eq(r->line, 3);
	ck_assert_uint_eq(r->nto, 0);
	ck_assert_int_eq(r->ports.n, 0);
	ck_assert_uint_eq(r->commands, CONF_CMD_ALL);
	ck_assert_str_eq(r->program, "");
	ck_assert_uint_eq(r->nusers, 0);
	ck_assert_uint_eq(r->ntimes, 0);
	ck_assert_int_eq(r->via, CONF_VIA_PROXY);
	ck_assert_uint_eq(r->nproxies, 1);
	ck_assert_ptr_eq(r->proxies[0], p);
	conf_free(c);
}
END_TEST

START_TEST(test_full_spec_example)
{
	struct conf *c = load_fixture("full.conf");
	const struct conf_proxy *corp, *backup;
	const struct conf_route *r;

	ck_assert_int_eq(c->debug, 2);
	ck_assert_str_eq(c->log, "/var/log/socksify.log");
	ck_assert_int_eq(c->resolve, CONF_RESOLVE_LOCAL);
	assert_cidr(&c->fake_network, "198.18.0.0", 15);
	assert_cidr(&c->fake_network6, "fd53:6f63:6b73::", 64);
	ck_assert_int_eq(c->timeout, 30);

	ck_assert_uint_eq(c->nproxies, 2);
	corp = &c->proxies[0];
	ck_assert_str_eq(corp->name, "corp");
	ck_assert_int_eq(corp->url.scheme, NET_SCHEME_SOCKS5);
	ck_assert_str_eq(corp->url.hp.host, "198.51.100.1");
	ck_assert_int_eq(corp->url.hp.port, 1080);
	ck_assert(corp->has_user);
	ck_assert(corp->has_pass);
	ck_assert_str_eq(corp->username, "alice");
	ck_assert_str_eq(corp->password, "secret");
	ck_assert(corp->methods_set);
	ck_assert_int_eq(corp->nmethods, 2);
	ck_assert_int_eq(corp->methods[0], SOCKS5_METHOD_NONE);
	ck_assert_int_eq(corp->methods[1], SOCKS5_METHOD_USERNAME);
	ck_assert_str_eq(corp->gssapi_service, "rcmd");
	backup = &c->proxies[1];
	ck_assert_str_eq(backup->name, "backup");
	ck_assert_int_eq(backup->url.scheme, NET_SCHEME_SOCKS4A);
	ck_assert_str_eq(backup->url.hp.host, "198.51.100.9");
	ck_assert(!backup->has_user);

	ck_assert_uint_eq(c->nroutes, 4);
	r = &c->routes[0];
	ck_assert_int_eq(r->line, 18);
	ck_assert_uint_eq(r->nto, 2);
	assert_target_cidr(&r->to[0], "127.0.0.0", 8);
	assert_target_cidr(&r->to[1], "::1", 128);
	ck_assert_int_eq(r->via, CONF_VIA_DIRECT);
	ck_assert_uint_eq(r->nproxies, 0);

	r = &c->routes[1];
	ck_assert_int_eq(r->line, 19);
	ck_assert_uint_eq(r->nto, 1);
	assert_target_glob(&r->to[0], "*.internal.example");
	ck_assert_int_eq(r->via, CONF_VIA_DIRECT);

	r = &c->routes[2];
	ck_assert_int_eq(r->line, 20);
	assert_target_cidr(&r->to[0], "0.0.0.0", 0);
	ck_assert_int_eq(r->ports.n, 1);
	ck_assert_int_eq(r->ports.r[0].lo, 25);
	ck_assert_int_eq(r->ports.r[0].hi, 25);
	ck_assert_int_eq(r->via, CONF_VIA_DENY);

	r = &c->routes[3];
	ck_assert_int_eq(r->line, 21);
	ck_assert_uint_eq(r->nto, 2);
	assert_target_cidr(&r->to[0], "0.0.0.0", 0);
	assert_target_cidr(&r->to[1], "::", 0);
	ck_assert_int_eq(r->ports.n, 1);
	ck_assert_int_eq(r->ports.r[0].lo, 1);
	ck_assert_int_eq(r->ports.r[0].hi, 65535);
	ck_assert_uint_eq(r->commands, CONF_CMD_ALL);
	ck_assert_str_eq(r->program, "*");
	ck_assert_uint_eq(r->nusers, 2);
	ck_assert(!r->users[0].is_uid);
	ck_assert_str_eq(r->users[0].name, "alice");
	ck_assert(r->users[1].is_uid);
	ck_assert_uint_eq(r->users[1].uid, 1000);
	ck_assert_uint_eq(r->ntimes, 1);
	ck_assert_uint_eq(r->times[0].days, 0x3e); /* Mon..Fri */
	ck_assert_uint_eq(r->times[0].start, 8 * 60);
	ck_assert_uint_eq(r->times[0].end, 18 * 60);
	ck_assert_int_eq(r->via, CONF_VIA_PROXY);
	ck_assert_uint_eq(r->nproxies, 2);
	ck_assert_ptr_eq(r->proxies[0], corp);
	ck_assert_ptr_eq(r->proxies[1], backup);
	conf_free(c);
}
END_TEST

/* nameserver: unset by default; v4, v4:port, [v6], [v6]:port. */
START_TEST(test_nameserver)
{
	static const struct {
		const char *text, *ip;
		uint16_t port;
	} ok[] = {
		{"nameserver = \"198.51.100.53\"\n", "198.51.100.53", 53},
		{"nameserver = \"198.51.100.53:5353\"\n", "198.51.100.53",
		 5353},
		{"nameserver = \"[2001:db8::53]\"\n", "2001:db8::53", 53},
		{"nameserver = \"[2001:db8::53]:54\"\n", "2001:db8::53", 54},
	};
	struct conf *c = load_text("timeout = 3\nfake_ttl = 5\n");
	char buf[64];
	size_t i;

	ck_assert_int_eq(c->fake_ttl, 5);
	ck_assert(!c->has_nameserver);
	conf_free(c);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		c = load_text(ok[i].text);
		ck_assert(c->has_nameserver);
		ck_assert_str_eq(
			net_ip_format(&c->nameserver, buf, sizeof(buf)),
			ok[i].ip);
		ck_assert_uint_eq(c->nameserver_port, ok[i].port);
		conf_free(c);
	}
}
END_TEST

START_TEST(test_ipv6)
{
	struct conf *c = load_fixture("ipv6.conf");
	const struct conf_proxy *v6, *auth;
	const struct conf_route *r;

	assert_cidr(&c->fake_network, "100.64.0.0", 10);
	assert_cidr(&c->fake_network6, "fd00:1234::", 48);
	ck_assert_int_eq(c->resolve, CONF_RESOLVE_REMOTE);

	ck_assert_uint_eq(c->nproxies, 2);
	v6 = &c->proxies[0];
	ck_assert_str_eq(v6->name, "v6");
	ck_assert_int_eq(v6->url.scheme, NET_SCHEME_SOCKS5H);
	ck_assert(v6->url.hp.is_ip);
	ck_assert_int_eq(v6->url.hp.ip.family, AF_INET6);
	ck_assert_int_eq(v6->url.hp.port, 1080);
	auth = &c->proxies[1];
	ck_assert_int_eq(auth->url.hp.port, 1081);
	ck_assert(auth->has_user);
	ck_assert(auth->has_pass);
	ck_assert_str_eq(auth->username, "us@er");    /* from the URL */
	ck_assert_str_eq(auth->password, "override"); /* the key wins */
	ck_assert_str_eq(auth->url.pass, "p:ss");
	ck_assert(auth->methods_set);
	ck_assert_int_eq(auth->nmethods, 1);
	ck_assert_int_eq(auth->methods[0], SOCKS5_METHOD_USERNAME);

	ck_assert_uint_eq(c->nroutes, 3);
	r = &c->routes[0];
	assert_target_cidr(&r->to[0], "::1", 128);
	r = &c->routes[1];
	ck_assert_int_eq(r->line, 16);
	assert_target_cidr(&r->to[0], "2001:db8:1::", 48);
	assert_target_cidr(&r->to[1], "198.51.100.0", 24); /* v4-mapped */
	ck_assert_ptr_eq(r->proxies[0], v6);
	r = &c->routes[2];
	ck_assert_int_eq(r->line, 17);
	assert_target_cidr(&r->to[0], "2001:db8::", 32);
	ck_assert_uint_eq(r->commands, CONF_CMD_UDP);
	ck_assert_uint_eq(r->nproxies, 2);
	ck_assert_ptr_eq(r->proxies[0], auth);
	ck_assert_ptr_eq(r->proxies[1], v6);
	conf_free(c);
}
END_TEST

START_TEST(test_globs)
{
	struct conf *c = load_fixture("globs.conf");
	const struct conf_route *r;

	ck_assert_uint_eq(c->nroutes, 3);
	r = &c->routes[0];
	ck_assert_uint_eq(r->nto, 3);
	assert_target_glob(&r->to[0], "*.onion");
	assert_target_glob(&r->to[1], "host?.example.org");
	assert_target_glob(&r->to[2], "example.net");
	ck_assert_int_eq(r->via, CONF_VIA_PROXY);

	r = &c->routes[1];
	ck_assert_int_eq(r->line, 8);
	assert_target_glob(&r->to[0], "*");
	ck_assert_str_eq(r->program, "python3*");
	ck_assert_uint_eq(r->nusers, 2);
	ck_assert(r->users[0].is_uid);
	ck_assert_uint_eq(r->users[0].uid, 0);
	ck_assert_str_eq(r->users[1].name, "www-data");
	ck_assert_uint_eq(r->ntimes, 3);
	ck_assert_uint_eq(r->times[0].days, 0x41); /* Sun, Sat */
	ck_assert_uint_eq(r->times[0].start, 0);
	ck_assert_uint_eq(r->times[0].end, 1440);
	ck_assert_uint_eq(r->times[1].days, 0x3e);
	ck_assert_uint_eq(r->times[1].start, 22 * 60);
	ck_assert_uint_eq(r->times[1].end, 6 * 60); /* wraps */
	ck_assert_uint_eq(r->times[2].days, 0x7f);  /* no days: every day */
	ck_assert_uint_eq(r->times[2].start, 12 * 60);
	ck_assert_uint_eq(r->times[2].end, 13 * 60);
	ck_assert_int_eq(r->ports.n, 4); /* 80, 443, 8000-8099, 9000 */
	ck_assert_int_eq(r->ports.r[2].lo, 8000);
	ck_assert_int_eq(r->ports.r[2].hi, 8099);
	ck_assert_int_eq(r->ports.r[3].lo, 9000);
	ck_assert_int_eq(r->via, CONF_VIA_DENY);

	r = &c->routes[2];
	ck_assert_int_eq(r->line, 16);
	ck_assert_int_eq(r->via, CONF_VIA_DIRECT);
	conf_free(c);
}
END_TEST

START_TEST(test_sample_conf_parses)
{
	struct conf *c = NULL;

	ck_assert_msg(conf_load_file(SAMPLE_CONF, &c, errbuf, sizeof(errbuf)) ==
			      0,
		      "%s", errbuf);
	ck_assert_uint_eq(c->nproxies, 2);
	ck_assert_uint_eq(c->nroutes, 6);
	ck_assert_str_eq(c->proxies[0].name, "corp");
	ck_assert_uint_eq(c->routes[4].ntimes, 1);
	ck_assert_int_eq(c->routes[5].via, CONF_VIA_PROXY);
	conf_free(c);
}
END_TEST

/* ---- invalid fixtures: one per error class ---------------------------- */

struct bad_case {
	const char *file;
	int line;
	const char *phrase;
};

static const struct bad_case bad_files[] = {
	{"bad-unknown-key.conf", 2,
	 "unknown key 'colour' (expected one of: debug, log"},
	{"bad-unknown-route-key.conf", 3,
	 "unknown key 'destination' in route (expected one of: to, ports"},
	{"bad-cidr.conf", 3, "bad to \"198.51.100.0/33\": expected a CIDR"},
	{"bad-glob.conf", 1, "bad to \"*.exa mple.com\": expected a CIDR"},
	{"bad-address.conf", 2, "bad to \"10.0.0.256\""},
	{"bad-url.conf", 2, "bad url: "},
	{"bad-unknown-proxy.conf", 5, "unknown proxy 'backup' in via"},
	{"bad-via-mixed.conf", 3,
	 "bad via \"direct\": \"direct\" and \"deny\" cannot be combined"},
	{"bad-via-empty.conf", 1, "via is an empty list"},
	{"bad-via-missing.conf", 1, "route without via"},
	{"bad-ports.conf", 3,
	 "bad ports \"70000\": expected a port N, a range N-M"},
	{"bad-ports-zero.conf", 1, "bad ports \"0-10\""},
	{"bad-command.conf", 2,
	 "bad command \"listen\": unknown command, expected connect, bind, "
	 "udp or raw"},
	{"bad-method.conf", 3,
	 "bad method \"kerberos\": unknown method, expected none, username "
	 "or gssapi"},
	{"bad-time.conf", 3,
	 "bad time \"Sat 08:00-25:00\": expected a time window"},
	{"bad-time-day.conf", 1, "bad time \"Mo-Fr 08:00-18:00\""},
	{"bad-time-empty.conf", 1, "empty time window"},
	{"bad-dup-proxy.conf", 3, "duplicate proxy name 'corp'"},
	{"bad-fake-v6.conf", 1,
	 "bad fake_network \"fd00::/64\": expected an IPv4 network"},
	{"bad-fake6-v4.conf", 2,
	 "bad fake_network6 \"10.0.0.0/8\": expected an IPv6 network"},
	{"bad-fake-loopback.conf", 1, "must not overlap the loopback"},
	{"bad-timeout-zero.conf", 2,
	 "bad timeout \"0\": expected a number of seconds from 1 to 3600"},
	{"bad-timeout-neg.conf", 1, "bad timeout \"-5\""},
	{"bad-timeout-text.conf", 1, "bad timeout \"ten\""},
	{"bad-debug.conf", 1, "bad debug \"9\": expected a level from 0 to 3"},
	{"bad-resolve.conf", 1,
	 "bad resolve \"sometimes\": expected \"remote\" or \"local\""},
	{"bad-log.conf", 1,
	 "expected \"stderr\", \"syslog\" or an absolute file path"},
	{"bad-user.conf", 2,
	 "bad user \"uid:abc\": expected a user name or uid:N"},
	{"bad-user-numeric.conf", 1, "uid:N for a numeric user id"},
	{"bad-program.conf", 1, "bad program \"/usr/bin/curl\""},
	{"bad-missing-url.conf", 1, "proxy \"corp\" has no url"},
	{"bad-reserved-name.conf", 1, "\"direct\" and \"deny\" are reserved"},
	{"bad-socks4-password.conf", 4, "socks4 has no password"},
	{"bad-too-many-via.conf", 2, "too many proxies (at most 8"},
	{"bad-empty-to.conf", 1, "to is an empty list"},
	{"bad-syntax.conf", 1, "missing '}': this '{' is never closed"},
	{"bad-password-only.conf", 3, "password without username"},
};

START_TEST(test_bad_fixture)
{
	const struct bad_case *bc = &bad_files[_i];
	char path[512], prefix[600];
	struct conf *c = (struct conf *)&c; /* must be reset to NULL */

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, bc->file);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, bc->line);
	ck_assert_int_eq(conf_load_file(path, &c, errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_null(c);
	ck_assert_msg(strncmp(errbuf, prefix, strlen(prefix)) == 0,
		      "%s: want prefix \"%s\", got \"%s\"", bc->file, prefix,
		      errbuf);
	ck_assert_msg(strstr(errbuf, bc->phrase) != NULL,
		      "%s: want \"%s\" in \"%s\"", bc->file, bc->phrase,
		      errbuf);
}
END_TEST

START_TEST(test_bad_fixture_never_echoes_secrets)
{
	struct conf *c = NULL;

	ck_assert_int_eq(
		conf_load_buf("proxy \"p\" {\n url = "
			      "\"socks9://u:hunter2@198.51.100.1\"\n}\n",
			      "t.conf", &c, errbuf, sizeof(errbuf)),
		-1);
	ck_assert_ptr_nonnull(strstr(errbuf, "t.conf:2: bad url"));
	ck_assert_ptr_null(strstr(errbuf, "hunter2"));
}
END_TEST

START_TEST(test_missing_file)
{
	struct conf *c = NULL;

	ck_assert_int_eq(conf_load_file("/nonexistent.dir/socks.conf", &c,
					errbuf, sizeof(errbuf)),
			 -1);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(errbuf, "/nonexistent.dir/socks.conf: cannot open: "
				 "No such file or directory");
}
END_TEST

START_TEST(test_directory)
{
	struct conf *c = NULL;

	ck_assert_int_eq(
		conf_load_file(FIXTURES_DIR, &c, errbuf, sizeof(errbuf)), -1);
	ck_assert_ptr_nonnull(strstr(errbuf, FIXTURES_DIR ": cannot read: "));
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "debug = 1\nroute { via = \"direct\"\0 }\n";
	char path[] = "/tmp/socksify-conf-XXXXXX";
	char want[64];
	struct conf *c = NULL;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	close(fd);
	ck_assert_int_eq(conf_load_file(path, &c, errbuf, sizeof(errbuf)), -1);
	unlink(path);
	snprintf(want, sizeof(want), "%s:2: NUL byte", path);
	ck_assert_msg(strncmp(errbuf, want, strlen(want)) == 0, "%s", errbuf);
}
END_TEST

/* ---- in-memory texts -------------------------------------------------- */

struct buf_case {
	const char *text;
	int line;
	const char *phrase;
};

static const struct buf_case bad_bufs[] = {
	{"route { via = \"direct\" }\nroute { via = \"nope\" }\n", 2,
	 "unknown proxy 'nope'"},
	{"timeout = 10\ntimeout = 0\n", 2, "bad timeout \"0\""},
	{"proxy \"a b\" { url = \"socks5://198.51.100.1\" }\n", 1,
	 "bad proxy name \"a b\""},
	{"proxy \"p\" {\n url = \"socks4://198.51.100.1\"\n"
	 " method = \"none\"\n}\n",
	 3, "method applies to socks5 proxies only"},
	{"proxy \"p\" { url = \"socks5://198.51.100.1\"\n"
	 "method = { \"none\",\n\"none\" } }\n",
	 3, "bad method \"none\": listed twice"},
	{"proxy \"p\" { url = \"socks5://198.51.100.1\"\n"
	 "gssapi_service = \"rc md\" }\n",
	 2, "bad gssapi_service \"rc md\""},
	{"route { command = {} via = \"direct\" }\n", 1,
	 "command is an empty list"},
	{"proxy \"p\" { url = \"socks5://198.51.100.1\" }\n"
	 "route { command = { \"connect\", \"raw\" }\n via = \"p\" }\n",
	 3, "command \"raw\" cannot go via a proxy"},
	{"\nproxy \"p\" { url = \"socks5://198.51.100.1\" method = {} }\n", 2,
	 "method is an empty list"},
	{"proxy \"p\" { url = \"socks5://198.51.100.1\" username = \"\" }\n", 1,
	 "bad username: expected 1 to 255 bytes"},
	{"route {\n via = \"direct\"\n}\n}\n", 4, "unexpected closing brace"},
	{"route {\n to = \"0.0.0.0/0\" via = \"direct\"\n user = \"-x\" }\n", 3,
	 "bad user \"-x\""},
	{"route { time = \"Mon-Fri 24:00-06:00\" via = \"direct\" }\n", 1,
	 "cannot start at 24:00"},
	{"route { time = \"Mon-Fri 08:60-09:00\" via = \"direct\" }\n", 1,
	 "expected a time window"},
	{"route { time = \"Mon,Fri08:00-09:00\" via = \"direct\" }\n", 1,
	 "expected a time window"},
	{"route { time = \"Mon 8:00-9:00 x\" via = \"direct\" }\n", 1,
	 "expected a time window"},
	{"route { to = \"198.51.100.1:80\" via = \"direct\" }\n", 1,
	 "bad to \"198.51.100.1:80\""},
	{"route { via = { \"deny\", \"deny\" } }\n", 1, "cannot be combined"},
	{"route { via = \"bad name!\" }\n", 1,
	 "expected \"direct\", \"deny\" or proxy names"},
	{"log = \"syslog\"\nresolve = remote\ndebug = x\n", 3,
	 "bad debug \"x\""},
	{"route { program = \"\" via = \"direct\" }\n", 1, "bad program"},
	{"proxy \"p\" { url = \"socks5://198.51.100.1\" }\n"
	 "proxy \"q\" { url = \"socks5://198.51.100.2\" }\n"
	 "route { via = { \"p\", \"q\", \"r\" } }\n",
	 3, "unknown proxy 'r'"},
	{"fake_network6 = \"::1/120\"\n", 1, "must not overlap the loopback"},
	{"route {}\n", 1, "route without via"},
	{"\nroute {\n}\n", 3, "route without via"}, /* empty: its end */
	{"log = \"/var/\\\nlog\"\ntimeout = 0\n", 3, "bad timeout"},
	/* comments never shift line numbers (libconfuse 3.3 would) */
	{"# one\n# two\n// three\n/* four\n five */\ntimeout = 0\n", 6,
	 "bad timeout"},
	{"route {\n to = { \"10.0.0.0/8\", # a comment in a list\n"
	 " \"10.0.0.0/99\" } via = \"direct\" }\n",
	 3, "bad to \"10.0.0.0/99\""},
	{"debug = 1\nlog = \"/tmp/a\n", 2,
	 "unterminated string: the quote is never closed"},
	{"debug = 1\n/* never\nclosed\n", 2, "unterminated comment"},
	{"route {\n to = {\n \"10.0.0.0/8\"\n via = \"direct\"\n}\n", 1,
	 "missing '}'"},
	{"debug = 1 /* a */ timeout = 'x'\n", 1, "bad timeout \"x\""},
	{"fake_network6 = \"fd00::/127\"\n", 1, "between /8 and /126"},
	{"timeout = 3\nnameserver = \"dns.example\"\n", 2,
	 "bad nameserver \"dns.example\": expected a numeric address"},
	{"nameserver = \"198.51.100.53:0\"\n", 1, "bad nameserver"},
	{"fake_ttl = 0\n", 1,
	 "bad fake_ttl \"0\": expected a number of seconds from 1 to "
	 "31536000"},
	{"debug = 0\nfake_ttl = 31536001\n", 2, "bad fake_ttl"},
	{"fake_network = \"10.0.0.0/31\"\n", 1, "between /8 and /30"},
	{"route \"titled\" { via = \"direct\" }\n", 1,
	 "missing opening brace for section 'route'"},
	{"proxy { url = \"socks5://198.51.100.1\" }\n", 1,
	 "missing title for section 'proxy'"},
	{"proxy \"p\" { url = \"socks5://198.51.100.1\" }\n"
	 "route { via = \"p\"\n mode = \"roundrobin\" }\n",
	 3, "\"round-robin\""},
	{"proxy_retry = 3601\n", 1, "from 0 to 3600"},
	{"proxy \"p\" { url = \"socks5://198.51.100.1?pipe=1\" }\n", 1,
	 "unknown URL option"},
	{"debug = 1\nisolate = { \"go\", \"/usr/bin/gh\" }\n", 2,
	 "bad isolate \"/usr/bin/gh\": expected \"auto\" or a glob"},
	{"isolate = \"\"\n", 1, "bad isolate"},
};

START_TEST(test_bad_buf)
{
	const struct buf_case *bc = &bad_bufs[_i];
	char prefix[64];
	struct conf *c = NULL;

	snprintf(prefix, sizeof(prefix), "t.conf:%d: ", bc->line);
	ck_assert_msg(conf_load_buf(bc->text, "t.conf", &c, errbuf,
				    sizeof(errbuf)) == -1,
		      "accepted: %s", bc->text);
	ck_assert_ptr_null(c);
	ck_assert_msg(strncmp(errbuf, prefix, strlen(prefix)) == 0,
		      "case %d: want prefix \"%s\", got \"%s\"", _i, prefix,
		      errbuf);
	ck_assert_msg(strstr(errbuf, bc->phrase) != NULL,
		      "case %d: want \"%s\" in \"%s\"", _i, bc->phrase, errbuf);
}
END_TEST

/* Round trips, pools and chains (issue 11): keys, URL options, defaults. */
START_TEST(test_round_trip_keys)
{
	struct conf *c = load_text(
		"proxy_retry = 0\n"
		"proxy \"a\" { url = \"socks5://198.51.100.1?pipeline=1&"
		"optimistic=1&fastopen=0\" }\n"
		"proxy \"b\" { url = \"socks5://198.51.100.2?pipeline=1\"\n"
		"  pipeline = false fastopen = true optimistic = yes }\n"
		"proxy \"d\" { url = \"socks4a://198.51.100.3\" }\n"
		"route { to = \"0.0.0.0/0\" ports = \"80\" via = { \"a\", "
		"\"b\" }"
		" mode = \"chain\" }\n"
		"route { to = \"0.0.0.0/0\" via = { \"a\", \"b\", \"d\" }"
		" mode = \"Round-Robin\" optimistic = true }\n"
		"route { via = \"d\" }\n");

	ck_assert_int_eq(c->proxy_retry, 0);
	ck_assert(c->proxies[0].pipeline && c->proxies[0].optimistic &&
		  !c->proxies[0].fastopen);
	ck_assert(!c->proxies[1].pipeline && c->proxies[1].optimistic &&
		  c->proxies[1].fastopen);
	ck_assert(!c->proxies[2].pipeline && !c->proxies[2].optimistic &&
		  c->proxies[2].fastopen);
	ck_assert_int_eq(c->routes[0].mode, CONF_MODE_CHAIN);
	ck_assert(!c->routes[0].optimistic);
	ck_assert_int_eq(c->routes[1].mode, CONF_MODE_ROUND_ROBIN);
	ck_assert(c->routes[1].optimistic);
	ck_assert_int_eq(c->routes[2].mode, CONF_MODE_FAILOVER);
	conf_free(c);

	c = load_text("route { via = \"direct\" }\n");
	ck_assert_int_eq(c->proxy_retry, CONF_DEFAULT_PROXY_RETRY);
	conf_free(c);
	ck_assert_int_eq(conf_from_url("socks5h://198.51.100.1:1?pipeline=on",
				       &c, errbuf, sizeof(errbuf)),
			 0);
	ck_assert(c->proxies[0].pipeline && c->proxies[0].fastopen &&
		  !c->proxies[0].optimistic);
	conf_free(c);
}
END_TEST

/* isolate (issue 14): globs for the wrapper, "auto" as a flag. */
START_TEST(test_isolate_key)
{
	struct conf *c = load_text("isolate = { \"kubectl\", \"terraform*\","
				   " \"auto\" }\n"
				   "route { via = \"direct\" }\n");

	ck_assert(c->isolate_auto);
	ck_assert_uint_eq(c->nisolate, 2);
	ck_assert(rules_isolates(c, "kubectl"));
	ck_assert(rules_isolates(c, "terraform-1.5"));
	ck_assert(!rules_isolates(c, "kubectl2"));
	ck_assert(!rules_isolates(c, "curl"));
	conf_free(c);

	c = load_text("route { via = \"direct\" }\n");
	ck_assert(!c->isolate_auto);
	ck_assert_uint_eq(c->nisolate, 0);
	ck_assert(!rules_isolates(c, "kubectl"));
	conf_free(c);

	c = load_text("isolate = \"go?\"\nroute { via = \"direct\" }\n");
	ck_assert(!c->isolate_auto);
	ck_assert(rules_isolates(c, "gox") && !rules_isolates(c, "go"));
	conf_free(c);
}
END_TEST

START_TEST(test_too_many_port_ranges)
{
	char text[1024];
	size_t n = 0;
	struct conf *c = NULL;
	int i;

	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "route {\n ports = { ");
	for (i = 1; i <= 32; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\"%d\", ",
				      i * 10);
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "\n\"1000\" }\n via = \"direct\" }\n");
	ck_assert_int_eq(
		conf_load_buf(text, "t.conf", &c, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strstr(errbuf, "t.conf:3: bad ports \"1000\": too many "
				     "port ranges") != NULL,
		      "%s", errbuf);
}
END_TEST

/*
 * Credentials: 256 bytes are refused at the key's line, without echoing
 * the value; 255 are kept whole.  One row per key.
 */
static const struct {
	const char *key;
	const char *before; /* lines between url and the key */
	const char *want;   /* the error's start */
	char fill;
} long_creds[] = {
	{"username", "", "t.conf:3: bad username", 'u'},
	{"password", " username = u\n", "t.conf:4: bad password", 'p'},
};

START_TEST(test_long_credential)
{
	char text[800], value[300], echo[5];
	struct conf *c = NULL;

	memset(value, long_creds[_i].fill, 256);
	value[256] = '\0';
	memset(echo, long_creds[_i].fill, 4);
	echo[4] = '\0';
	snprintf(text, sizeof(text),
		 "proxy \"p\" {\n url = \"socks5://198.51.100.1\"\n"
		 "%s %s = \"%s\"\n}\n",
		 long_creds[_i].before, long_creds[_i].key, value);
	ck_assert_int_eq(
		conf_load_buf(text, "t.conf", &c, errbuf, sizeof(errbuf)), -1);
	ck_assert_msg(strncmp(errbuf, long_creds[_i].want,
			      strlen(long_creds[_i].want)) == 0,
		      "%s", errbuf);
	ck_assert_ptr_null(strstr(errbuf, echo));
	value[255] = '\0';
	snprintf(text, sizeof(text),
		 "proxy \"p\" {\n url = \"socks5://198.51.100.1\"\n"
		 "%s %s = \"%s\"\n}\n",
		 long_creds[_i].before, long_creds[_i].key, value);
	c = load_text(text);
	ck_assert_uint_eq(
		strlen(_i ? c->proxies[0].password : c->proxies[0].username),
		255);
	conf_free(c);
}
END_TEST

START_TEST(test_file_too_large)
{
	char path[] = "/tmp/socksify-conf-XXXXXX";
	struct conf *c = NULL;
	char *big = malloc(1024 * 1024 + 1);
	int fd = mkstemp(path);

	ck_assert_ptr_nonnull(big);
	ck_assert_int_ge(fd, 0);
	memset(big, '\n', 1024 * 1024 + 1);
	ck_assert_int_eq(write(fd, big, 1024 * 1024 + 1), 1024 * 1024 + 1);
	close(fd);
	free(big);
	ck_assert_int_eq(conf_load_file(path, &c, errbuf, sizeof(errbuf)), -1);
	unlink(path);
	ck_assert_ptr_nonnull(strstr(errbuf, ": file too large"));
}
END_TEST

START_TEST(test_long_name_truncated_in_path)
{
	char name[400];
	struct conf *c = NULL;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(conf_load_buf("", name, &c, errbuf, sizeof(errbuf)),
			 0);
	ck_assert_uint_eq(strlen(c->path), sizeof(c->path) - 1);
	conf_free(c);
	/* errors still name the whole file */
	ck_assert_int_eq(
		conf_load_buf("x = 1", name, &c, errbuf, sizeof(errbuf)), -1);
	ck_assert(strncmp(errbuf, name, sizeof(name) - 1) == 0);
}
END_TEST

START_TEST(test_small_err_buffer)
{
	char small[12];
	struct conf *c = NULL;

	memset(small, 'x', sizeof(small));
	ck_assert_int_eq(conf_load_buf("colour = 1\n", "t.conf", &c, small,
				       sizeof(small)),
			 -1);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(conf_load_buf("colour = 1\n", "t.conf", &c, NULL, 0),
			 -1);
}
END_TEST

START_TEST(test_empty_text)
{
	struct conf *c = load_text("");

	assert_defaults(c);
	ck_assert_uint_eq(c->nproxies, 0);
	ck_assert_uint_eq(c->nroutes, 0);
	conf_free(c);
	c = load_text("# only a comment\n\n");
	ck_assert_uint_eq(c->nroutes, 0);
	conf_free(c);
	conf_free(NULL);
}
END_TEST

START_TEST(test_buf_values)
{
	struct conf *c = load_text(
		"timeout = 3600\n"
		"debug = 3\n"
		"log = syslog\n"
		"resolve = LOCAL\n"
		"proxy \"p.1_x-y\" {\n"
		"  url = \"socks5://bob:pw@198.51.100.1:1085\"\n"
		"  username = \"carol\"\n"
		"  gssapi_service = \"host\"\n"
		"  method = { \"gssapi\", \"username\", \"none\" }\n"
		"}\n"
		"proxy \"q\" { url = \"socks5://dave@198.51.100.2\" }\n"
		"proxy \"s4\" { url = \"socks4://198.51.100.3\" username = "
		"\"id\" }\n"
		"route { via = \"q\" }\n"
		"route {\n"
		"  to = \"Host-1.Example.COM\"\n"
		"  command = { \"BIND\", \"udp\" }\n"
		"  time = { \"fri-mon 10:00-11:30\", \"Tue 23:00-00:00\" }\n"
		"  user = { \"uid:4294967294\", \"svc$\" }\n"
		"  via = \"Deny\"\n"
		"}\n"
		"route { to = \"*\" via = { \"p.1_x-y\", \"s4\" } }\n");
	const struct conf_proxy *p = &c->proxies[0], *q = &c->proxies[1];
	const struct conf_route *r;

	ck_assert_int_eq(c->timeout, 3600);
	ck_assert_int_eq(c->debug, 3);
	ck_assert_str_eq(c->log, "syslog");
	ck_assert_int_eq(c->resolve, CONF_RESOLVE_LOCAL);

	ck_assert_str_eq(p->name, "p.1_x-y");
	ck_assert_str_eq(p->username, "carol"); /* key overrides URL */
	ck_assert_str_eq(p->password, "pw");	/* URL's, not overridden */
	ck_assert_str_eq(p->gssapi_service, "host");
	ck_assert_int_eq(p->url.hp.port, 1085);
	ck_assert_int_eq(p->nmethods, 3);
	ck_assert_int_eq(p->methods[0], SOCKS5_METHOD_GSSAPI);
	ck_assert_int_eq(p->methods[1], SOCKS5_METHOD_USERNAME);
	ck_assert_int_eq(p->methods[2], SOCKS5_METHOD_NONE);
	/* credentials from the URL: default offer is none, username */
	ck_assert(q->has_user);
	ck_assert(!q->has_pass);
	ck_assert_str_eq(q->username, "dave");
	ck_assert(!q->methods_set);
	ck_assert_int_eq(q->nmethods, 2);
	ck_assert_int_eq(q->methods[0], SOCKS5_METHOD_NONE);
	ck_assert_int_eq(q->methods[1], SOCKS5_METHOD_USERNAME);
	ck_assert_str_eq(c->proxies[2].username, "id");

	r = &c->routes[1];
	ck_assert_int_eq(r->line, 14);
	assert_target_glob(&r->to[0], "Host-1.Example.COM");
	ck_assert_uint_eq(r->commands, CONF_CMD_BIND | CONF_CMD_UDP);
	ck_assert_uint_eq(r->times[0].days, 0x63); /* Fri Sat Sun Mon */
	ck_assert_uint_eq(r->times[0].start, 600);
	ck_assert_uint_eq(r->times[0].end, 690);
	ck_assert_uint_eq(r->times[1].days, 0x04);
	ck_assert_uint_eq(r->times[1].end, 1440); /* 00:00 ends at midnight */
	ck_assert(r->users[0].is_uid);
	ck_assert_uint_eq(r->users[0].uid, 4294967294u);
	ck_assert_str_eq(r->users[1].name, "svc$");
	ck_assert_int_eq(r->via, CONF_VIA_DENY);

	r = &c->routes[2];
	ck_assert_uint_eq(r->nproxies, 2);
	ck_assert_ptr_eq(r->proxies[0], p);
	ck_assert_ptr_eq(r->proxies[1], &c->proxies[2]);
	conf_free(c);
}
END_TEST

START_TEST(test_comments)
{
	struct conf *c =
		load_text("# comment\n"
			  "proxy \"p\" { url = socks5://198.51.100.1:1080 } # "
			  "unquoted url\n"
			  "/* block\n"
			  "   comment */ route {\n"
			  "  to = { \"10.0.0.0/8\", // first\n"
			  "         \"*.test\" /* second */ }\n"
			  "  program = \"a#b\" # '#' inside quotes is data\n"
			  "  via = 'p'\n"
			  "}\n");

	ck_assert_str_eq(c->proxies[0].url.hp.host, "198.51.100.1");
	ck_assert_int_eq(c->routes[0].line, 4);
	ck_assert_uint_eq(c->routes[0].nto, 2);
	assert_target_glob(&c->routes[0].to[1], "*.test");
	ck_assert_str_eq(c->routes[0].program, "a#b");
	conf_free(c);
}
END_TEST

/* The EXAMPLES of socks.conf(5), verbatim. */
static const char *const man_examples[] = {
	"proxy \"corp\" {\n"
	"    url      = \"socks5://198.51.100.1:1080\"\n"
	"    username = \"alice\"\n"
	"    password = \"${CORP_PROXY_PASSWORD}\"\n"
	"}\n"
	"route { to = { \"127.0.0.0/8\", \"::1/128\" }       via = \"direct\" "
	"}\n"
	"route { to = { \"192.168.0.0/16\", \"*.lan\" }       via = \"direct\" "
	"}\n"
	"route { to = { \"0.0.0.0/0\", \"::/0\" }             via = \"corp\" "
	"}\n",

	"proxy \"tor\"    { url = \"socks5h://127.0.0.1:9050\" }\n"
	"proxy \"office\" { url = \"socks5://198.51.100.1:1080\" }\n"
	"proxy \"backup\" { url = \"socks4a://198.51.100.9:1080\" }\n"
	"\n"
	"route { to = { \"127.0.0.0/8\", \"::1/128\", \"localhost\" } via = "
	"\"direct\" }\n"
	"route { to = \"*.onion\"                            via = \"tor\" }\n"
	"route { program = \"torbrowser*\"                   via = \"tor\" }\n"
	"route {\n"
	"    to   = { \"0.0.0.0/0\", \"::/0\" }\n"
	"    time = \"Mon-Fri 08:00-18:00\"\n"
	"    via  = { \"office\", \"backup\" }\n"
	"}\n"
	"route { via = \"deny\" }\n",

	"proxy \"p\" { url = \"socks5://198.51.100.1:1080\" }\n"
	"route { program = \"ftp\"  command = { \"connect\", \"bind\" }  via = "
	"\"p\" }\n"
	"route { via = \"direct\" }\n",
};

START_TEST(test_man_examples)
{
	static const size_t nroutes[] = {3, 5, 2};
	struct conf *c = load_text(man_examples[_i]);

	ck_assert_uint_eq(c->nroutes, nroutes[_i]);
	conf_free(c);
}
END_TEST

START_TEST(test_env_substitution)
{
	struct conf *c;

	setenv("SOCKSIFY_TEST_PW", "from-env", 1);
	c = load_text("proxy \"p\" { url = \"socks5://198.51.100.1\"\n"
		      " username = u password = \"${SOCKSIFY_TEST_PW}\" }\n"
		      "route { program = \"a\\${b}\" via = p }\n");
	ck_assert_str_eq(c->proxies[0].password, "from-env");
	ck_assert_str_eq(c->routes[0].program, "a${b}");
	conf_free(c);
}
END_TEST

START_TEST(test_proxies_after_routes)
{
	struct conf *c =
		load_text("route { via = \"late\" }\n"
			  "proxy \"late\" { url = \"socks5h://h.test\" }\n");

	ck_assert_ptr_eq(c->routes[0].proxies[0], &c->proxies[0]);
	ck_assert_str_eq(c->proxies[0].url.hp.host, "h.test");
	conf_free(c);
}
END_TEST

START_TEST(test_later_assignment_wins)
{
	struct conf *c = load_text("route {\n to = \"10.0.0.0/8\"\n"
				   " to = { \"192.0.2.0/24\", \"*.test\" }\n"
				   " via = \"direct\"\n}\n");

	ck_assert_uint_eq(c->routes[0].nto, 2);
	assert_target_cidr(&c->routes[0].to[0], "192.0.2.0", 24);
	conf_free(c);
}
END_TEST

/* "raw" is a command of its own, never part of a route without command. */
START_TEST(test_command_raw)
{
	struct conf *c =
		load_text("route { command = \"raw\" via = \"direct\" }\n"
			  "route { command = { \"RAW\", \"udp\" }\n"
			  " via = \"deny\" }\n"
			  "route { via = \"direct\" }\n");

	ck_assert_uint_eq(c->routes[0].commands, CONF_CMD_RAW);
	ck_assert_uint_eq(c->routes[1].commands, CONF_CMD_RAW | CONF_CMD_UDP);
	ck_assert_uint_eq(c->routes[2].commands, CONF_CMD_ALL);
	ck_assert(!(c->routes[2].commands & CONF_CMD_RAW));
	conf_free(c);
}
END_TEST

/* ---- one-proxy mode ------------------------------------------------- */

START_TEST(test_from_url_socks5h)
{
	struct conf *c = NULL;
	const struct conf_route *r;

	ck_assert_msg(conf_from_url("socks5h://198.51.100.1:1080", &c, errbuf,
				    sizeof(errbuf)) == 0,
		      "%s", errbuf);
	ck_assert_str_eq(c->path, "SOCKS_PROXY");
	assert_defaults(c);
	ck_assert_int_eq(c->resolve, CONF_RESOLVE_REMOTE);
	ck_assert_uint_eq(c->nproxies, 1);
	ck_assert_str_eq(c->proxies[0].name, "proxy");
	ck_assert_int_eq(c->proxies[0].url.scheme, NET_SCHEME_SOCKS5H);
	ck_assert_int_eq(c->proxies[0].nmethods, 1);
	ck_assert_str_eq(c->proxies[0].gssapi_service, "rcmd");
	ck_assert_uint_eq(c->nroutes, 2);
	r = &c->routes[0];
	ck_assert_int_eq(r->via, CONF_VIA_DIRECT);
	ck_assert_uint_eq(r->commands, CONF_CMD_ALL);
	ck_assert_uint_eq(r->nto, 3);
	assert_target_cidr(&r->to[0], "127.0.0.0", 8);
	assert_target_cidr(&r->to[1], "::1", 128);
	assert_target_glob(&r->to[2], "localhost");
	r = &c->routes[1];
	ck_assert_int_eq(r->via, CONF_VIA_PROXY);
	ck_assert_uint_eq(r->nto, 2);
	assert_target_cidr(&r->to[0], "0.0.0.0", 0);
	assert_target_cidr(&r->to[1], "::", 0);
	ck_assert_uint_eq(r->nproxies, 1);
	ck_assert_ptr_eq(r->proxies[0], &c->proxies[0]);
	conf_free(c);
}
END_TEST

struct url_case {
	const char *url;
	enum conf_resolve resolve;
	bool user;
};

static const struct url_case url_cases[] = {
	{"socks4://198.51.100.1:1080", CONF_RESOLVE_LOCAL, false},
	{"socks4a://id@198.51.100.1", CONF_RESOLVE_REMOTE, true},
	{"socks5://198.51.100.1", CONF_RESOLVE_LOCAL, false},
	{"socks5://u:p@[2001:db8::1]:1081", CONF_RESOLVE_LOCAL, true},
	{"socks5h://u%3a:p@proxy.test", CONF_RESOLVE_REMOTE, true},
};

START_TEST(test_from_url_modes)
{
	const struct url_case *uc = &url_cases[_i];
	struct conf *c = NULL;

	ck_assert_msg(conf_from_url(uc->url, &c, errbuf, sizeof(errbuf)) == 0,
		      "%s: %s", uc->url, errbuf);
	ck_assert_int_eq(c->resolve, uc->resolve);
	ck_assert_int_eq(c->proxies[0].has_user, uc->user);
	ck_assert_int_eq(c->proxies[0].nmethods, uc->user ? 2 : 1);
	conf_free(c);
}
END_TEST

START_TEST(test_from_url_bad)
{
	struct conf *c = (struct conf *)&c;

	ck_assert_int_eq(conf_from_url("http://198.51.100.1:3128", &c, errbuf,
				       sizeof(errbuf)),
			 -1);
	ck_assert_ptr_null(c);
	ck_assert_msg(strncmp(errbuf, "SOCKS_PROXY: bad proxy URL: ", 28) == 0,
		      "%s", errbuf);
	ck_assert_int_eq(conf_from_url(NULL, &c, errbuf, sizeof(errbuf)), -1);
	ck_assert_int_eq(conf_from_url("", &c, errbuf, sizeof(errbuf)), -1);
}
END_TEST

static Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("valid");
	tcase_add_test(tc, test_minimal);
	tcase_add_test(tc, test_full_spec_example);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_globs);
	tcase_add_test(tc, test_sample_conf_parses);
	tcase_add_test(tc, test_empty_text);
	tcase_add_test(tc, test_buf_values);
	tcase_add_test(tc, test_proxies_after_routes);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_round_trip_keys);
	tcase_add_test(tc, test_isolate_key);
	tcase_add_test(tc, test_env_substitution);
	tcase_add_loop_test(tc, test_man_examples, 0,
			    sizeof(man_examples) / sizeof(man_examples[0]));
	tcase_add_test(tc, test_later_assignment_wins);
	suite_add_tcase(s, tc);

	tc = tcase_create("invalid");
	tcase_add_loop_test(tc, test_bad_fixture, 0,
			    sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_loop_test(tc, test_bad_buf, 0,
			    sizeof(bad_bufs) / sizeof(bad_bufs[0]));
	tcase_add_test(tc, test_bad_fixture_never_echoes_secrets);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_directory);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_too_many_port_ranges);
	tcase_add_loop_test(tc, test_long_credential, 0,
			    sizeof(long_creds) / sizeof(long_creds[0]));
	tcase_add_test(tc, test_small_err_buffer);
	tcase_add_test(tc, test_file_too_large);
	tcase_add_test(tc, test_long_name_truncated_in_path);
	suite_add_tcase(s, tc);

	tc = tcase_create("from_url");
	tcase_add_test(tc, test_command_raw);
	tcase_add_test(tc, test_from_url_socks5h);
	tcase_add_loop_test(tc, test_from_url_modes, 0,
			    sizeof(url_cases) / sizeof(url_cases[0]));
	tcase_add_test(tc, test_from_url_bad);
	tcase_add_test(tc, test_nameserver);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
