/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common/net.c: every parser, valid and invalid. */
#include "config.h"

#include "common/net.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- net_ip_parse / format / sockaddr -------------------------------- */

static const struct {
	const char *in;
	int family;
	const char *out; /* canonical text */
} ip_ok[] = {
	{"0.0.0.0", AF_INET, "0.0.0.0"},
	{"203.0.113.7", AF_INET, "203.0.113.7"},
	{"255.255.255.255", AF_INET, "255.255.255.255"},
	{"::", AF_INET6, "::"},
	{"::1", AF_INET6, "::1"},
	{"2001:DB8::1", AF_INET6, "2001:db8::1"},
	{"2001:db8:0:0:0:0:0:2", AF_INET6, "2001:db8::2"},
	{"::ffff:198.51.100.1", AF_INET, "198.51.100.1"},
	{"::FFFF:c633:6401", AF_INET, "198.51.100.1"},
	{"::198.51.100.1", AF_INET6, "::198.51.100.1"}, /* compat, not mapped */
};

static const char *const ip_bad[] = {
	"",
	"1.2.3",
	"1.2.3.4.5",
	"01.2.3.4",
	"1.2.3.04",
	"256.1.1.1",
	"1.2.3.4 ",
	" 1.2.3.4",
	"1.2.3.-4",
	"01.2.3.4x",
	"::1::",
	"2001:db8::g",
	"fe80::1%lo",
	"[::1]",
	"host",
	"1.2.3.4/8",
	"12345::",
	"0x7f.0.0.1",
	"1111:2222:3333:4444:5555:6666:7777:8888:9999",
	"::ffff:1.2.3.4.5",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aa",
};

START_TEST(t_ip_parse_ok)
{
	struct net_ip ip;
	char buf[INET6_ADDRSTRLEN];

	ck_assert_int_eq(net_ip_parse(ip_ok[_i].in, &ip), 0);
	ck_assert_int_eq(ip.family, ip_ok[_i].family);
	ck_assert_str_eq(net_ip_format(&ip, buf, sizeof(buf)), ip_ok[_i].out);
}
END_TEST

START_TEST(t_ip_parse_bad)
{
	struct net_ip ip;

	ck_assert_msg(net_ip_parse(ip_bad[_i], &ip) == -EINVAL, "accepted '%s'",
		      ip_bad[_i]);
}
END_TEST

START_TEST(t_ip_misc)
{
	struct net_ip ip;
	char buf[INET6_ADDRSTRLEN], tiny[4];

	ck_assert_int_eq(net_ip_parse(NULL, &ip), -EINVAL);
	ck_assert_int_eq(net_ip_parse("1.2.3.4", NULL), -EINVAL);

	ck_assert_int_eq(net_ip_parse("127.1.2.3", &ip), 0);
	ck_assert(net_ip_is_loopback(&ip));
	ck_assert_int_eq(net_ip_parse("::ffff:127.0.0.1", &ip), 0);
	ck_assert(net_ip_is_loopback(&ip));
	ck_assert_int_eq(net_ip_parse("::1", &ip), 0);
	ck_assert(net_ip_is_loopback(&ip));
	ck_assert_int_eq(net_ip_parse("::2", &ip), 0);
	ck_assert(!net_ip_is_loopback(&ip));
	ck_assert_int_eq(net_ip_parse("128.0.0.1", &ip), 0);
	ck_assert(!net_ip_is_loopback(&ip));

	/* too small buffers and unknown families give "?" */
	ck_assert_int_eq(net_ip_parse("203.0.113.200", &ip), 0);
	ck_assert_str_eq(net_ip_format(&ip, tiny, sizeof(tiny)), "?");
	ck_assert_str_eq(net_ip_format(&ip, tiny, 1), "");
	ck_assert_str_eq(net_ip_format(&ip, tiny, 0), "?");
	ip.family = AF_UNIX;
	ck_assert_str_eq(net_ip_format(&ip, buf, sizeof(buf)), "?");
	ck_assert(!net_ip_is_loopback(&ip));
}
END_TEST

START_TEST(t_ip_sockaddr)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	struct sockaddr_storage ss;
	struct sockaddr sa = {.sa_family = AF_UNIX};
	struct net_ip ip, ip2;
	uint16_t port = 0;
	char buf[INET6_ADDRSTRLEN];
	socklen_t len;

	sin.sin_port = htons(1080);
	inet_pton(AF_INET, "198.51.100.3", &sin.sin_addr);
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, &port,
					      (struct sockaddr *)&sin,
					      sizeof(sin)),
			 0);
	ck_assert_int_eq(port, 1080);
	ck_assert_str_eq(net_ip_format(&ip, buf, sizeof(buf)), "198.51.100.3");
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, &port,
					      (struct sockaddr *)&sin,
					      sizeof(sin) - 1),
			 -EINVAL);

	sin6.sin6_port = htons(443);
	inet_pton(AF_INET6, "::ffff:203.0.113.9", &sin6.sin6_addr);
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, &port,
					      (struct sockaddr *)&sin6,
					      sizeof(sin6)),
			 0);
	ck_assert_int_eq(ip.family, AF_INET);
	ck_assert_int_eq(port, 443);
	ck_assert_str_eq(net_ip_format(&ip, buf, sizeof(buf)), "203.0.113.9");

	inet_pton(AF_INET6, "2001:db8::5", &sin6.sin6_addr);
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, NULL,
					      (struct sockaddr *)&sin6,
					      sizeof(sin6)),
			 0);
	ck_assert_int_eq(ip.family, AF_INET6);
	ck_assert_int_eq(
		net_ip_from_sockaddr(&ip, NULL, (struct sockaddr *)&sin6, 20),
		-EINVAL);
	ck_assert_int_eq(
		net_ip_from_sockaddr(&ip, NULL, (struct sockaddr *)&sin6, 23),
		-EINVAL);
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, NULL, &sa, sizeof(sa)),
			 -EAFNOSUPPORT);
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, NULL, NULL, 16), -EINVAL);
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, NULL, &sa, 1), -EINVAL);

	/* round trip through net_ip_to_sockaddr */
	len = net_ip_to_sockaddr(&ip, 8080, &ss);
	ck_assert_int_eq(len, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(
		net_ip_from_sockaddr(&ip2, &port, (struct sockaddr *)&ss, len),
		0);
	ck_assert_int_eq(port, 8080);
	ck_assert_int_eq(memcmp(&ip, &ip2, sizeof(ip)), 0);
	net_ip_parse("198.51.100.77", &ip);
	len = net_ip_to_sockaddr(&ip, 1, &ss);
	ck_assert_int_eq(len, sizeof(struct sockaddr_in));
	ck_assert_int_eq(
		net_ip_from_sockaddr(&ip2, &port, (struct sockaddr *)&ss, len),
		0);
	ck_assert_int_eq(port, 1);
	ck_assert_int_eq(memcmp(&ip, &ip2, sizeof(ip)), 0);
	ip.family = AF_UNIX;
	ck_assert_int_eq(net_ip_to_sockaddr(&ip, 1, &ss), 0);
}
END_TEST

/*
 * Every sockaddr length the kernel takes is parsed (a refusal here would
 * let the hooks hand the address to the kernel unrouted): RFC 2133's
 * 24-byte sockaddr_in6, scope ids, oversize buffers; v4-mapped addresses
 * come out as IPv4 at every length.
 */
START_TEST(t_ip_sockaddr_kernel_lengths)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct net_ip ip;
	uint16_t port = 0;
	char buf[INET6_ADDRSTRLEN];

	memset(&ss, 0xa5, sizeof(ss)); /* junk past the struct is ignored */
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(8443);
	inet_pton(AF_INET6, "2001:db8:2::2", &sin6.sin6_addr);
	memcpy(&ss, &sin6, 24);
	ck_assert_int_eq(NET_SIN6_LEN_MIN, 24);
	ck_assert_int_eq(
		net_ip_from_sockaddr(&ip, &port, (struct sockaddr *)&ss, 24),
		0);
	ck_assert_int_eq(ip.family, AF_INET6);
	ck_assert_int_eq(port, 8443);
	ck_assert_str_eq(net_ip_format(&ip, buf, sizeof(buf)), "2001:db8:2::2");
	/* 25..27: more than RFC 2133, less than a scope id: still taken */
	ck_assert_int_eq(
		net_ip_from_sockaddr(&ip, &port, (struct sockaddr *)&ss, 27),
		0);
	ck_assert_int_eq(ip.family, AF_INET6);

	/* v4-mapped in the short form */
	inet_pton(AF_INET6, "::ffff:203.0.113.2", &sin6.sin6_addr);
	memcpy(&ss, &sin6, 24);
	ck_assert_int_eq(
		net_ip_from_sockaddr(&ip, &port, (struct sockaddr *)&ss, 24),
		0);
	ck_assert_int_eq(ip.family, AF_INET);
	ck_assert_str_eq(net_ip_format(&ip, buf, sizeof(buf)), "203.0.113.2");

	/* link-local with a scope id: the address is routed, scope aside */
	inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr);
	sin6.sin6_scope_id = 1;
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, &port,
					      (struct sockaddr *)&sin6,
					      sizeof(sin6)),
			 0);
	ck_assert_int_eq(ip.family, AF_INET6);
	ck_assert_str_eq(net_ip_format(&ip, buf, sizeof(buf)), "fe80::1");

	/* oversize: up to sockaddr_storage, as the kernel */
	memset(&ss, 0xa5, sizeof(ss));
	memcpy(&ss, &sin6, sizeof(sin6));
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, &port,
					      (struct sockaddr *)&ss,
					      sizeof(ss)),
			 0);
	ck_assert_str_eq(net_ip_format(&ip, buf, sizeof(buf)), "fe80::1");
	ck_assert_int_eq(net_ip_from_sockaddr(&ip, &port,
					      (struct sockaddr *)&ss,
					      sizeof(ss) + 1),
			 -EINVAL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(7);
	inet_pton(AF_INET, "203.0.113.2", &sin.sin_addr);
	memset(&ss, 0xa5, sizeof(ss));
	memcpy(&ss, &sin, sizeof(sin));
	ck_assert_int_eq(
		net_ip_from_sockaddr(&ip, &port, (struct sockaddr *)&ss, 100),
		0);
	ck_assert_int_eq(port, 7);
	ck_assert_str_eq(net_ip_format(&ip, buf, sizeof(buf)), "203.0.113.2");
}
END_TEST

/* ---- net_hostport_parse --------------------------------------------- */

static const struct {
	const char *in;
	int def;
	bool zero;
	const char *host;
	uint16_t port;
	bool is_ip;
} hp_ok[] = {
	{"example.com:80", -1, false, "example.com", 80, false},
	{"Proxy-1.Example.COM.:1080", -1, false, "Proxy-1.Example.COM.", 1080,
	 false},
	{"a_b:1", -1, false, "a_b", 1, false},
	{"localhost:65535", -1, false, "localhost", 65535, false},
	{"198.51.100.1:1080", -1, false, "198.51.100.1", 1080, true},
	{"[2001:db8::1]:1080", -1, false, "2001:db8::1", 1080, true},
	{"[::ffff:203.0.113.1]:22", -1, false, "203.0.113.1", 22, true},
	{"127.0.0.1:0", -1, true, "127.0.0.1", 0, true},
	{"[::1]:0", -1, true, "::1", 0, true},
	{"host", 1080, false, "host", 1080, false},
	{"203.0.113.5", 443, false, "203.0.113.5", 443, true},
	{"[2001:db8::7]", 9, false, "2001:db8::7", 9, true},
	{"2001:db8::7", 9, false, "2001:db8::7", 9, true},
	{"::", 0, true, "::", 0, true},
	{"host:080", -1, false, "host", 80, false},
	{"1host:2", -1, false, "1host", 2, false},
	{"x:7", 5, false, "x", 7, false},
};

static const struct {
	const char *in;
	int def;
	bool zero;
} hp_bad[] = {
	{"", 80, false},
	{":80", -1, false},
	{"host", -1, false}, /* port required */
	{"host:", -1, false},
	{"host:", 80, false},  /* empty port */
	{"host:0", -1, false}, /* zero not allowed */
	{"host:65536", -1, false},
	{"host:99999999999999999999", -1, false},
	{"host:-1", -1, false},
	{"host:+1", -1, false},
	{"host: 1", -1, false},
	{"host:1 ", -1, false},
	{"host:1x", -1, false},
	{"host:0x10", -1, false},
	{"ho st:1", -1, false},
	{"ho/st:1", -1, false},
	{"user@host:1", -1, false},
	{"host..com:1", -1, false},
	{".host:1", -1, false},
	{"host.:1.", -1, false},
	{"1.2.3.256:1", -1, false}, /* all-numeric non-address */
	{"1.2.3:1", -1, false},
	{"2001:db8::1", -1, false}, /* bare v6 needs a default port */
	{"2001:db8::1:80", -1, false},
	{"2001:db8::zz", 80, false},
	{"[2001:db8::1]", -1, false}, /* no port */
	{"[2001:db8::1]:", 80, false},
	{"[2001:db8::1]80", -1, false},
	{"[2001:db8::1]:80x", -1, false},
	{"[2001:db8::1", -1, false},
	{"[]:80", -1, false},
	{"[198.51.100.1]:80", -1, false}, /* brackets are for v6 only */
	{"[fe80::1%eth0]:80", -1, false},
	{"[host]:80", -1, false},
	{"host", 0, false}, /* default 0 but zero not allowed */
	{"host", 70000, false},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:1",
	 -1, false}, /* label > 63 */
};

START_TEST(t_hp_ok)
{
	struct net_hostport hp;

	ck_assert_msg(net_hostport_parse(hp_ok[_i].in, hp_ok[_i].def,
					 hp_ok[_i].zero, &hp) == 0,
		      "rejected '%s'", hp_ok[_i].in);
	ck_assert_str_eq(hp.host, hp_ok[_i].host);
	ck_assert_int_eq(hp.port, hp_ok[_i].port);
	ck_assert_int_eq(hp.is_ip, hp_ok[_i].is_ip);
}
END_TEST

START_TEST(t_hp_bad)
{
	struct net_hostport hp;

	ck_assert_msg(net_hostport_parse(hp_bad[_i].in, hp_bad[_i].def,
					 hp_bad[_i].zero, &hp) == -EINVAL,
		      "accepted '%s'", hp_bad[_i].in);
	/* nothing half-parsed is left behind */
	ck_assert(hp.host[0] == '\0' && hp.port == 0 && !hp.is_ip);
}
END_TEST

START_TEST(t_hp_long)
{
	struct net_hostport hp;
	char name[300];
	size_t i;

	/* 255 characters: labels of 63 + dots */
	for (i = 0; i < 255; i++)
		name[i] = (i % 64 == 63) ? '.' : 'a';
	name[255] = '\0';
	ck_assert_int_eq(net_hostport_parse(name, 1, false, &hp), 0);
	ck_assert_uint_eq(strlen(hp.host), 255);
	name[255] = 'b';
	name[256] = '\0';
	ck_assert_int_eq(net_hostport_parse(name, 1, false, &hp), -EINVAL);
	ck_assert_int_eq(net_hostport_parse(NULL, 1, false, &hp), -EINVAL);
	ck_assert_int_eq(net_hostport_parse("a", 1, false, NULL), -EINVAL);
}
END_TEST

/* ---- CIDR ------------------------------------------------------------ */

static const struct {
	const char *in;
	const char *out;
} cidr_ok[] = {
	{"10.0.0.0/8", "10.0.0.0/8"},
	{"10.1.2.3/8", "10.0.0.0/8"}, /* host bits cleared */
	{"198.51.100.77/25", "198.51.100.0/25"},
	{"198.51.100.200/25", "198.51.100.128/25"},
	{"0.0.0.0/0", "0.0.0.0/0"},
	{"1.2.3.4/0", "0.0.0.0/0"},
	{"203.0.113.9", "203.0.113.9/32"},
	{"203.0.113.9/32", "203.0.113.9/32"},
	{"::/0", "::/0"},
	{"::1", "::1/128"},
	{"2001:db8::1/32", "2001:db8::/32"},
	{"2001:db8:ffff::/33", "2001:db8:8000::/33"},
	{"2001:db8::1/128", "2001:db8::1/128"},
	{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
	{"::ffff:10.9.9.9/104", "10.0.0.0/8"},
	{"::ffff:0.0.0.0/96", "0.0.0.0/0"},
	{"::ffff:198.51.100.1", "198.51.100.1/32"},
	{"::ffff:198.51.100.1/128", "198.51.100.1/32"},
	{"10.0.0.0/08", "10.0.0.0/8"},
};

static const char *const cidr_bad[] = {
	"",
	"/8",
	"10.0.0.0/",
	"10.0.0.0/33",
	"10.0.0.0/-1",
	"10.0.0.0/8/8",
	"10.0.0.0/ 8",
	"10.0.0.0 /8",
	"10.0.0.0/8 ",
	"10.0.0/8",
	"::/129",
	"::ffff:10.0.0.0/95",
	"::ffff:10.0.0.0/0",
	"::ffff:10.0.0.0/129",
	"example.com/8",
	"*.example.com",
	"10.0.0.0/0x8",
	"2001:db8::/1000000",
	"[::1]/128",
};

START_TEST(t_cidr_ok)
{
	struct net_cidr c;
	char buf[INET6_ADDRSTRLEN + 4];

	ck_assert_msg(net_cidr_parse(cidr_ok[_i].in, &c) == 0, "rejected '%s'",
		      cidr_ok[_i].in);
	ck_assert_str_eq(net_cidr_format(&c, buf, sizeof(buf)),
			 cidr_ok[_i].out);
}
END_TEST

START_TEST(t_cidr_bad)
{
	struct net_cidr c;

	ck_assert_msg(net_cidr_parse(cidr_bad[_i], &c) == -EINVAL,
		      "accepted '%s'", cidr_bad[_i]);
}
END_TEST

static const struct {
	const char *cidr, *ip;
	bool in;
} contains[] = {
	{"0.0.0.0/0", "203.0.113.1", true},
	{"0.0.0.0/0", "0.0.0.0", true},
	{"0.0.0.0/0", "2001:db8::1", false},   /* other family */
	{"0.0.0.0/0", "::ffff:1.2.3.4", true}, /* mapped is v4 */
	{"::/0", "2001:db8::1", true},
	{"::/0", "::ffff:1.2.3.4", false},
	{"::/0", "198.51.100.1", false},
	{"203.0.113.9/32", "203.0.113.9", true},
	{"203.0.113.9/32", "203.0.113.8", false},
	{"203.0.113.9/32", "203.0.113.10", false},
	{"2001:db8::1/128", "2001:db8::1", true},
	{"2001:db8::1/128", "2001:db8::", false},
	{"2001:db8::/32", "2001:db8:ffff:ffff::1", true},
	{"2001:db8::/32", "2001:db9::1", false},
	{"10.0.0.0/8", "10.255.255.255", true},
	{"10.0.0.0/8", "11.0.0.0", false},
	{"10.0.0.0/8", "::ffff:10.1.1.1", true},
	{"::ffff:10.0.0.0/104", "10.200.0.1", true},
	{"::ffff:10.0.0.0/104", "::ffff:10.200.0.1", true},
	{"::ffff:10.0.0.0/104", "9.255.255.255", false},
	{"198.51.100.128/25", "198.51.100.127", false},
	{"198.51.100.128/25", "198.51.100.128", true},
	{"198.51.100.128/25", "198.51.100.255", true},
	{"198.51.100.0/23", "198.51.101.1", true},
	{"198.51.100.0/23", "198.51.102.1", false},
	{"2001:db8:8000::/33", "2001:db8:7fff::1", false},
	{"2001:db8:8000::/33", "2001:db8:8000::1", true},
	{"127.0.0.0/8", "127.0.0.1", true},
	{"::1/128", "::1", true},
};

START_TEST(t_cidr_contains)
{
	struct net_cidr c;
	struct net_ip ip;

	ck_assert_int_eq(net_cidr_parse(contains[_i].cidr, &c), 0);
	ck_assert_int_eq(net_ip_parse(contains[_i].ip, &ip), 0);
	ck_assert_msg(net_cidr_contains(&c, &ip) == contains[_i].in,
		      "%s in %s: expected %d", contains[_i].ip,
		      contains[_i].cidr, contains[_i].in);
}
END_TEST

START_TEST(t_cidr_misc)
{
	struct net_cidr c;
	struct net_ip ip;
	char small[8];

	/* a bogus prefix past the address length never reads out of bounds */
	ck_assert_int_eq(net_cidr_parse("203.0.113.1", &c), 0);
	ck_assert_int_eq(net_ip_parse("203.0.113.1", &ip), 0);
	c.prefix = 255;
	ck_assert(net_cidr_contains(&c, &ip));
	ip.b[3] = 2;
	ck_assert(!net_cidr_contains(&c, &ip));

	ck_assert_int_eq(net_cidr_parse(NULL, &c), -EINVAL);
	ck_assert_int_eq(net_cidr_parse("::/0", NULL), -EINVAL);
	ck_assert_int_eq(net_cidr_parse("2001:db8::/32", &c), 0);
	ck_assert_str_eq(net_cidr_format(&c, small, sizeof(small)), "?");
	ck_assert_str_eq(net_cidr_format(&c, small, 1), "");
	ck_assert_str_eq(net_cidr_format(&c, small, 0), "?");
	ck_assert_int_eq(net_cidr_parse("1.2.3.4/1", &c), 0);
	ck_assert_str_eq(net_cidr_format(&c, small, sizeof(small)), "?");
	{
		char big[16];

		ck_assert_str_eq(net_cidr_format(&c, big, sizeof(big)),
				 "0.0.0.0/1");
		ck_assert_str_eq(net_cidr_format(&c, big, 10), "0.0.0.0/1");
		ck_assert_str_eq(net_cidr_format(&c, big, 9), "?");
	}
}
END_TEST

/* ---- ports ----------------------------------------------------------- */

START_TEST(t_ports)
{
	struct net_ports p;

	ck_assert_int_eq(net_ports_parse("80", &p), 0);
	ck_assert_int_eq(p.n, 1);
	ck_assert(net_ports_contains(&p, 80));
	ck_assert(!net_ports_contains(&p, 81));
	ck_assert(!net_ports_contains(&p, 79));

	ck_assert_int_eq(net_ports_parse("1-65535", &p), 0);
	ck_assert(net_ports_contains(&p, 1));
	ck_assert(net_ports_contains(&p, 65535));
	ck_assert(!net_ports_contains(&p, 0));

	ck_assert_int_eq(net_ports_parse("22, 80-90 ,\t443,8000-8000", &p), 0);
	ck_assert_int_eq(p.n, 4);
	ck_assert(net_ports_contains(&p, 22));
	ck_assert(net_ports_contains(&p, 80));
	ck_assert(net_ports_contains(&p, 85));
	ck_assert(net_ports_contains(&p, 90));
	ck_assert(!net_ports_contains(&p, 91));
	ck_assert(net_ports_contains(&p, 443));
	ck_assert(net_ports_contains(&p, 8000));
	ck_assert(!net_ports_contains(&p, 8001));
	ck_assert(!net_ports_contains(&p, 23));

	/* n = 0 is "any" */
	memset(&p, 0, sizeof(p));
	ck_assert(net_ports_contains(&p, 0));
	ck_assert(net_ports_contains(&p, 12345));
}
END_TEST

static const char *const ports_bad[] = {
	"",	" ",	 "0",
	"0-10", "65536", "1-65536",
	"10-9", "1,",	 ",1",
	"1,,2", "-1",	 "1-",
	"-",	"1--2",	 "1-2-3",
	"a",	"1a",	 "1 - 2",
	"1 2",	"+1",	 "99999999999999999999",
	"1;2",	"0x50",	 NULL,
};

START_TEST(t_ports_bad)
{
	struct net_ports p;

	ck_assert_msg(net_ports_parse(ports_bad[_i], &p) == -EINVAL,
		      "accepted '%s'", ports_bad[_i] ? ports_bad[_i] : "NULL");
	ck_assert_int_eq(p.n, 0);
}
END_TEST

START_TEST(t_ports_max)
{
	struct net_ports p;
	char buf[512];
	size_t off = 0;
	int i;

	for (i = 1; i <= NET_PORT_RANGES_MAX; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%d",
					i > 1 ? "," : "", i * 10);
	ck_assert_int_eq(net_ports_parse(buf, &p), 0);
	ck_assert_int_eq(p.n, NET_PORT_RANGES_MAX);
	ck_assert(net_ports_contains(&p, NET_PORT_RANGES_MAX * 10));
	snprintf(buf + off, sizeof(buf) - off, ",1");
	ck_assert_int_eq(net_ports_parse(buf, &p), -EINVAL);
	ck_assert_int_eq(net_ports_parse("1", NULL), -EINVAL);
}
END_TEST

/* ---- globs ----------------------------------------------------------- */

static const struct {
	const char *pat, *name;
	bool match;
} globs[] = {
	{"*.example.com", "www.example.com", true},
	{"*.example.com", "a.b.example.com", true},
	{"*.example.com", "example.com", false},
	{"*.example.com", "xexample.com", false},
	{"*.example.com", "WWW.EXAMPLE.COM", true},
	{"*.Example.COM", "www.example.com", true},
	{"*.example.com", "www.example.com.", true}, /* trailing dot */
	{"*.example.com.", "www.example.com", true},
	{"*.example.com", "www.example.com..", false},
	{"*.example.com", "www.example.co", false},
	{"*.example.com", "www.example.com.evil", false},
	{"example.com", "example.com", true},
	{"example.com", "www.example.com", false},
	{"example.com", "example.co", false},
	{"example.com", "example.comm", false},
	{"*", "anything.at.all", true},
	{"*", "", true},
	{"", "", true},
	{"", "a", false},
	{"?", "a", true},
	{"?", "", false},
	{"?", "ab", false},
	{"host?.lan", "host1.lan", true},
	{"host?.lan", "host.lan", false},
	{"host?.lan", "host12.lan", false},
	{"h*t", "host", true},
	{"h*t", "hos", false},
	{"*a*b*c*", "xxaxxbxxcxx", true},
	{"*a*b*c*", "xxaxxcxxbxx", false},
	{"**", "x", true},
	{"*.*", "a.b", true},
	{"*.*", "ab", false},
	{"db-*.internal.example", "db-7.internal.example", true},
	{"db-*.internal.example", "web-7.internal.example", false},
};

START_TEST(t_glob)
{
	ck_assert_msg(net_glob_match(globs[_i].pat, globs[_i].name) ==
			      globs[_i].match,
		      "'%s' vs '%s': expected %d", globs[_i].pat,
		      globs[_i].name, globs[_i].match);
}
END_TEST

START_TEST(t_glob_misc)
{
	char pat[256], name[256];

	ck_assert(!net_glob_match(NULL, "a"));
	ck_assert(!net_glob_match("a", NULL));
	/* pathological pattern stays fast (iterative matcher) */
	memset(pat, 0, sizeof(pat));
	memset(name, 'a', 254);
	name[254] = '\0';
	for (int i = 0; i < 120; i++) {
		pat[2 * i] = '*';
		pat[2 * i + 1] = 'a';
	}
	pat[240] = 'b';
	ck_assert(!net_glob_match(pat, name));
	pat[240] = '\0';
	ck_assert(net_glob_match(pat, name));
}
END_TEST

static const struct {
	const char *pat;
	bool ok;
} glob_valid[] = {
	{"*.example.com", true},
	{"host?.lan", true},
	{"a_b-c.d", true},
	{"*", true},
	{"10.0.0.*", false}, /* can only match numbers: use a CIDR */
	{"*.1", false},
	{"1*", true}, /* "1host" is a name */
	{"1.example", true},
	{"*.10", false},
	{"?", true},
	{"", false},
	{".example.com", false},
	{"a..b", false},
	{"a b", false},
	{"a/b", false},
	{"10.0.0.0/8", false},
	{"10.0.0.1", false}, /* an address: a CIDR, not a glob */
	{"::1", false},
	{"[a]", false},
	{"a\\b", false},
	{"ex%61mple", false},
	{NULL, false},
};

START_TEST(t_glob_valid)
{
	ck_assert_msg(net_glob_is_valid(glob_valid[_i].pat) ==
			      glob_valid[_i].ok,
		      "'%s': expected %d",
		      glob_valid[_i].pat ? glob_valid[_i].pat : "NULL",
		      glob_valid[_i].ok);
}
END_TEST

START_TEST(t_glob_valid_long)
{
	char pat[300];

	memset(pat, 'a', 255);
	pat[255] = '\0';
	ck_assert(net_glob_is_valid(pat));
	pat[255] = 'a';
	pat[256] = '\0';
	ck_assert(!net_glob_is_valid(pat));
}
END_TEST

/* ---- proxy URLs ------------------------------------------------------ */

static const struct {
	const char *in;
	enum net_scheme scheme;
	const char *host;
	uint16_t port;
	bool is_ip;
	const char *user, *pass; /* NULL: absent */
} url_ok[] = {
	{"socks4://198.51.100.1:1080", NET_SCHEME_SOCKS4, "198.51.100.1", 1080,
	 true, NULL, NULL},
	{"socks4://alice@198.51.100.1:1081", NET_SCHEME_SOCKS4, "198.51.100.1",
	 1081, true, "alice", NULL},
	{"socks4a://proxy.example:9050", NET_SCHEME_SOCKS4A, "proxy.example",
	 9050, false, NULL, NULL},
	{"socks4a://bob@proxy.example", NET_SCHEME_SOCKS4A, "proxy.example",
	 1080, false, "bob", NULL},
	{"socks5://203.0.113.5", NET_SCHEME_SOCKS5, "203.0.113.5", 1080, true,
	 NULL, NULL},
	{"socks5://alice:secret@203.0.113.5:1080", NET_SCHEME_SOCKS5,
	 "203.0.113.5", 1080, true, "alice", "secret"},
	{"socks5://alice@203.0.113.5:1080", NET_SCHEME_SOCKS5, "203.0.113.5",
	 1080, true, "alice", NULL},
	{"socks5://a%40b.c:p%3Aw%3ad@[2001:db8::1]:1080", NET_SCHEME_SOCKS5,
	 "2001:db8::1", 1080, true, "a@b.c", "p:w:d"},
	{"socks5h://[2001:db8::1]:1080", NET_SCHEME_SOCKS5H, "2001:db8::1",
	 1080, true, NULL, NULL},
	{"socks5h://[2001:db8::1]", NET_SCHEME_SOCKS5H, "2001:db8::1", 1080,
	 true, NULL, NULL},
	{"socks5h://u:@localhost:1", NET_SCHEME_SOCKS5H, "localhost", 1, false,
	 "u", ""},
	{"SOCKS5H://localhost:1080/", NET_SCHEME_SOCKS5H, "localhost", 1080,
	 false, NULL, NULL},
	{"socks5://%7e%41%20x:%C3%A9@h:2", NET_SCHEME_SOCKS5, "h", 2, false,
	 "~A x", "\xc3\xa9"},
	{"socks5://u:p:q@h", NET_SCHEME_SOCKS5, "h", 1080, false, "u", "p:q"},
	{"socks5://u!$&'()*+,;=-._~:p@h", NET_SCHEME_SOCKS5, "h", 1080, false,
	 "u!$&'()*+,;=-._~", "p"},
	{"socks5://[::ffff:198.51.100.2]:7", NET_SCHEME_SOCKS5, "198.51.100.2",
	 7, true, NULL, NULL},
};

START_TEST(t_url_ok)
{
	struct net_proxy_url u;
	const char *why = "unset";

	ck_assert_msg(net_proxy_url_parse(url_ok[_i].in, &u, &why) == 0,
		      "rejected '%s': %s", url_ok[_i].in, why);
	ck_assert_int_eq(u.scheme, url_ok[_i].scheme);
	ck_assert_str_eq(u.hp.host, url_ok[_i].host);
	ck_assert_int_eq(u.hp.port, url_ok[_i].port);
	ck_assert_int_eq(u.hp.is_ip, url_ok[_i].is_ip);
	ck_assert_int_eq(u.has_user, url_ok[_i].user != NULL);
	ck_assert_int_eq(u.has_pass, url_ok[_i].pass != NULL);
	if (url_ok[_i].user)
		ck_assert_str_eq(u.user, url_ok[_i].user);
	if (url_ok[_i].pass)
		ck_assert_str_eq(u.pass, url_ok[_i].pass);
}
END_TEST

static const struct {
	const char *in;
	const char *why_part; /* a word the explanation must contain */
} url_bad[] = {
	{"", "scheme"},
	{"198.51.100.1:1080", "scheme"},
	{"http://198.51.100.1:1080", "unknown scheme"},
	{"socks://198.51.100.1:1080", "unknown scheme"},
	{"socks6://h:1", "unknown scheme"},
	{"socks5:/h:1", "scheme"},
	{"socks5://", "empty host"},
	{"socks5://:1080", "empty host"},
	{"socks5://user@", "empty host"},
	{"socks5://user@:1080", "empty host"},
	{"socks5://h:0", "port 0"},
	{"socks5://h:65536", "port"},
	{"socks5://h:", "missing port"},
	{"socks5://h:x", "port"},
	{"socks5://h:1080x", "port"},
	{"socks5://h:1080/path", "garbage"},
	{"socks5://h:1080//", "garbage"},
	{"socks5://h:1080?x", "unknown URL option"},
	{"socks5://h:1080?pipeline=2", "must be 0 or 1"},
	{"socks5://h:1080?pipeline=1&", "unknown URL option"},
	{"socks5://h:1080/x?pipeline=1", "garbage"},
	{"socks5://h:1080#x", "garbage"},
	{"socks5://h :1080", "space"},
	{"socks5://h:1080\n", "control"},
	{"socks5://2001:db8::1:1080", "brackets"},
	{"socks5://[2001:db8::1]1080", "garbage"},
	{"socks5://[2001:db8::1", "]"},
	{"socks5://[198.51.100.1]:1", "IPv6"},
	{"socks5://a@b@h:1", "%40"},
	{"socks5://:pw@h:1", "empty user"},
	{"socks5://@h:1", "empty user"},
	{"socks5://u%4@h:1", "percent"},
	{"socks5://u%@h:1", "percent"},
	{"socks5://u%zz@h:1", "percent"},
	{"socks5://u%4g@h:1", "percent"},
	{"socks5://u:p%0@h:1", "percent"},
	{"socks5://u%00@h:1", "NUL"},
	{"socks5://u:%00@h:1", "NUL"},
	{"socks5://u\"@h:1", "character"},
	{"socks5://u%@h:1", "percent"},
	{"socks4://u:p@h:1", "password"},
	{"socks4a://u:@h:1", "password"},
	{"socks5://h..x:1", "host"},
	{"socks5://h_%41:1", "host"},
	{"socks5://1.2.3.400:1", "host"},
};

START_TEST(t_url_bad)
{
	struct net_proxy_url u;
	const char *why = NULL;

	memset(&u, 0x5a, sizeof(u));
	ck_assert_msg(net_proxy_url_parse(url_bad[_i].in, &u, &why) == -EINVAL,
		      "accepted '%s'", url_bad[_i].in);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, url_bad[_i].why_part) != NULL,
		      "'%s': why '%s' lacks '%s'", url_bad[_i].in, why,
		      url_bad[_i].why_part);
	/* nothing (no half-decoded secret) is left behind */
	ck_assert(!u.has_user && !u.has_pass && u.user[0] == 0 &&
		  u.pass[0] == 0);
}
END_TEST

/* Options after '?': set and on bits, later ones win. */
START_TEST(t_url_opts)
{
	struct net_proxy_url u;
	const char *why = NULL;

	ck_assert_int_eq(net_proxy_url_parse("socks5h://u:p@h:7?pipeline=1&"
					     "fastopen=off&optimistic=yes",
					     &u, &why),
			 0);
	ck_assert_str_eq(u.hp.host, "h");
	ck_assert_int_eq(u.hp.port, 7);
	ck_assert_str_eq(u.pass, "p");
	ck_assert_uint_eq(u.opts_set, NET_URL_PIPELINE | NET_URL_FASTOPEN |
					      NET_URL_OPTIMISTIC);
	ck_assert_uint_eq(u.opts_on, NET_URL_PIPELINE | NET_URL_OPTIMISTIC);
	ck_assert_int_eq(net_proxy_url_parse("socks5://h?pipeline=1&pipeline=0",
					     &u, &why),
			 0);
	ck_assert_uint_eq(u.opts_set, NET_URL_PIPELINE);
	ck_assert_uint_eq(u.opts_on, 0);
	ck_assert_int_eq(u.hp.port, 1080);
}
END_TEST

START_TEST(t_url_long)
{
	struct net_proxy_url u;
	const char *why = NULL;
	char url[6000];
	size_t off;
	int i;

	/* 255 decoded bytes fit, 256 do not */
	off = (size_t)snprintf(url, sizeof(url), "socks5://");
	for (i = 0; i < 255; i++)
		off += (size_t)snprintf(url + off, sizeof(url) - off, "%%41");
	snprintf(url + off, sizeof(url) - off, ":x@h:1");
	ck_assert_int_eq(net_proxy_url_parse(url, &u, &why), 0);
	ck_assert_uint_eq(strlen(u.user), 255);
	off = (size_t)snprintf(url, sizeof(url), "socks5://");
	for (i = 0; i < 256; i++)
		url[off++] = 'a';
	snprintf(url + off, sizeof(url) - off, "@h:1");
	ck_assert_int_eq(net_proxy_url_parse(url, &u, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "255"));

	/* overall bound */
	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "socks5://", 9);
	url[sizeof(url) - 1] = '\0';
	ck_assert_int_eq(net_proxy_url_parse(url, &u, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "long"));

	/* NULL arguments */
	ck_assert_int_eq(net_proxy_url_parse(NULL, &u, &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(net_proxy_url_parse("socks5://h", NULL, &why),
			 -EINVAL);
	ck_assert_int_eq(net_proxy_url_parse("socks5://h", &u, NULL), 0);
	ck_assert_int_eq(net_proxy_url_parse("bad", &u, NULL), -EINVAL);
}
END_TEST

/* The sockaddr helpers the server and the library share: text form,
 * v4-mapped unmapping, ports and lengths, one row per address. */
static const struct {
	const char *ip; /* net_ip_parse() input; "" = AF_UNIX */
	bool map6;	/* through net_ip_to_sockaddr6() */
	uint16_t port;
	const char *text;    /* net_sa_format() */
	int unmapped_family; /* after net_sa_unmap() */
	socklen_t len;	     /* net_sa_len() before the unmap */
} sa_rows[] = {
	{"127.0.0.1", false, 1080, "127.0.0.1:1080", AF_INET,
	 sizeof(struct sockaddr_in)},
	{"198.51.100.7", true, 0, "198.51.100.7:0", AF_INET,
	 sizeof(struct sockaddr_in6)},
	{"::1", false, 65535, "[::1]:65535", AF_INET6,
	 sizeof(struct sockaddr_in6)},
	{"2001:db8::1", true, 9, "[2001:db8::1]:9", AF_INET6,
	 sizeof(struct sockaddr_in6)},
	{"", false, 0, "-", AF_UNIX, 0},
};

START_TEST(t_sa_helpers)
{
	struct sockaddr_storage ss;
	struct net_ip ip;
	char buf[64];

	memset(&ss, 0, sizeof(ss));
	if (sa_rows[_i].ip[0]) {
		ck_assert_int_eq(net_ip_parse(sa_rows[_i].ip, &ip), 0);
		if (sa_rows[_i].map6)
			ck_assert_int_eq(
				net_ip_to_sockaddr6(&ip, sa_rows[_i].port, &ss),
				sizeof(struct sockaddr_in6));
		else
			ck_assert_int_gt(
				net_ip_to_sockaddr(&ip, sa_rows[_i].port, &ss),
				0);
	} else {
		ss.ss_family = AF_UNIX;
	}
	ck_assert_str_eq(
		net_sa_format((struct sockaddr *)&ss, buf, sizeof(buf)),
		sa_rows[_i].text);
	ck_assert_uint_eq(net_sa_len(&ss), sa_rows[_i].len);
	ck_assert_uint_eq(net_sa_port(&ss), sa_rows[_i].port);
	net_sa_unmap(&ss);
	ck_assert_int_eq(ss.ss_family, sa_rows[_i].unmapped_family);
	ck_assert_uint_eq(net_sa_port(&ss), sa_rows[_i].port);
	ck_assert_str_eq(
		net_sa_format((struct sockaddr *)&ss, buf, sizeof(buf)),
		sa_rows[_i].text);
	/* too small a buffer: "?", never a cut address */
	if (sa_rows[_i].ip[0])
		ck_assert_str_eq(net_sa_format((struct sockaddr *)&ss, buf,
					       strlen(sa_rows[_i].text)),
				 "?");
	net_sa_set_port(&ss, 4242);
	ck_assert_uint_eq(net_sa_port(&ss), sa_rows[_i].ip[0] ? 4242 : 0);
}
END_TEST

START_TEST(t_scheme_name)
{
	ck_assert_str_eq(net_scheme_name(NET_SCHEME_SOCKS4), "socks4");
	ck_assert_str_eq(net_scheme_name(NET_SCHEME_SOCKS4A), "socks4a");
	ck_assert_str_eq(net_scheme_name(NET_SCHEME_SOCKS5), "socks5");
	ck_assert_str_eq(net_scheme_name(NET_SCHEME_SOCKS5H), "socks5h");
	ck_assert_str_eq(net_scheme_name((enum net_scheme)0), "?");
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("parsers");

	tcase_add_loop_test(tc, t_ip_parse_ok, 0, N(ip_ok));
	tcase_add_loop_test(tc, t_ip_parse_bad, 0, N(ip_bad));
	tcase_add_test(tc, t_ip_misc);
	tcase_add_test(tc, t_ip_sockaddr);
	tcase_add_test(tc, t_ip_sockaddr_kernel_lengths);
	tcase_add_loop_test(tc, t_hp_ok, 0, N(hp_ok));
	tcase_add_loop_test(tc, t_hp_bad, 0, N(hp_bad));
	tcase_add_test(tc, t_hp_long);
	tcase_add_loop_test(tc, t_cidr_ok, 0, N(cidr_ok));
	tcase_add_loop_test(tc, t_cidr_bad, 0, N(cidr_bad));
	tcase_add_loop_test(tc, t_cidr_contains, 0, N(contains));
	tcase_add_test(tc, t_cidr_misc);
	tcase_add_test(tc, t_ports);
	tcase_add_loop_test(tc, t_ports_bad, 0, N(ports_bad));
	tcase_add_test(tc, t_ports_max);
	tcase_add_loop_test(tc, t_glob, 0, N(globs));
	tcase_add_test(tc, t_glob_misc);
	tcase_add_loop_test(tc, t_glob_valid, 0, N(glob_valid));
	tcase_add_test(tc, t_glob_valid_long);
	tcase_add_loop_test(tc, t_url_ok, 0, N(url_ok));
	tcase_add_loop_test(tc, t_url_bad, 0, N(url_bad));
	tcase_add_test(tc, t_url_opts);
	tcase_add_test(tc, t_url_long);
	tcase_add_test(tc, t_scheme_name);
	tcase_add_loop_test(tc, t_sa_helpers, 0, N(sa_rows));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(net_suite());
	int failed;

	/*
	 * Pure functions, no global state: run the ~300 table rows in one
	 * process (a fork per row costs seconds under the sanitizers).
	 */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
