/* SPDX-License-Identifier: MIT */
/*
 * The resolver hooks (src/preload/hook_resolve.c) in-process: this program
 * links hook_resolve.c and fakedns.c, so its calls to getaddrinfo() & co.
 * are the hooks.  init.c, the route matcher and the real symbol table are
 * replaced by stubs: the "real" functions count their calls and answer a
 * sentinel, so every test proves whether libc's resolver (and so DNS) was
 * reached or not.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/net.h"
#include "conf/conf.h"
#include "conf/rules.h"
#include "preload/fakedns.h"
#include "preload/init.h"
#include "preload/preload.h"
#include "preload/real.h"

#define SENTINEL_EAI EAI_AGAIN /* what the stubbed real getaddrinfo says */

/* ---- stubs -------------------------------------------------------------- */

struct real_syms real;
__thread int socksify_guard;
bool real_broken;
static int real_calls;	   /* calls that could have reached DNS */
static int real_gni_calls; /* getnameinfo calls without NI_NUMERICHOST */

static int stub_getaddrinfo(const char *node, const char *service,
			    const struct addrinfo *hints, struct addrinfo **res)
{
	real_calls++;
	return SENTINEL_EAI;
}

static int (*libc_getnameinfo)(const struct sockaddr *, socklen_t, char *,
			       socklen_t, char *, socklen_t, int);

/* Numeric requests are safe (no DNS): pass them to libc. */
static int stub_getnameinfo(const struct sockaddr *sa, socklen_t salen,
			    char *host, socklen_t hostlen, char *serv,
			    socklen_t servlen, int flags)
{
	if (!(flags & NI_NUMERICHOST)) {
		real_gni_calls++;
		return EAI_AGAIN;
	}
	return libc_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
}

static struct hostent stub_he;

static struct hostent *stub_gethostbyname(const char *name)
{
	real_calls++;
	return &stub_he;
}

static struct hostent *stub_gethostbyname2(const char *name, int af)
{
	real_calls++;
	return &stub_he;
}

static int stub_gethostbyname_r(const char *name, struct hostent *ret,
				char *buf, size_t buflen,
				struct hostent **result, int *h_errnop)
{
	real_calls++;
	*result = &stub_he;
	return 0;
}

static int stub_gethostbyname2_r(const char *name, int af, struct hostent *ret,
				 char *buf, size_t buflen,
				 struct hostent **result, int *h_errnop)
{
	real_calls++;
	*result = &stub_he;
	return 0;
}

static struct hostent *stub_gethostbyaddr(const void *a, socklen_t l, int t)
{
	real_calls++;
	return &stub_he;
}

static int stub_gethostbyaddr_r(const void *a, socklen_t l, int t,
				struct hostent *ret, char *buf, size_t buflen,
				struct hostent **result, int *h_errnop)
{
	real_calls++;
	*result = &stub_he;
	return 0;
}

void socksify_init(void)
{
}

/*
 * The config: resolve as the test says; routes (matched by the stub
 * rules_match below, which mirrors rules.c for names):
 *   1  to 0.0.0.0/0 ports 25  via deny
 *   2  to *.direct.test       via direct
 *   3  to *.deny.test         via deny
 *   4  to 0.0.0.0/0           via proxy
 */
static struct conf_proxy proxy = {.name = "p"};
static struct conf_target targets[4];
static struct conf_route routes[4];
static struct conf the_conf;
static bool have_conf = true;

const struct conf *socksify_conf(void)
{
	return have_conf ? &the_conf : NULL;
}

enum rule_action rules_match(const struct conf *c, const struct rule_query *q,
			     struct rule_result *r)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->action = RULE_DENY;
	ck_assert(q->has_ip || q->hostname != NULL);
	for (i = 0; i < c->nroutes; i++) {
		const struct conf_route *rt = &c->routes[i];
		const struct conf_target *t = &rt->to[0];

		if (t->kind == CONF_TARGET_GLOB &&
		    (q->has_ip || !net_glob_match(t->glob, q->hostname)))
			continue;
		if (t->kind == CONF_TARGET_CIDR &&
		    (q->has_ip ? !net_cidr_contains(&t->cidr, &q->ip)
			       : t->cidr.prefix != 0))
			continue;
		if (q->port != 0 && rt->ports.n &&
		    !net_ports_contains(&rt->ports, q->port))
			continue;
		r->route = rt;
		r->action = rt->via == CONF_VIA_DIRECT	? RULE_DIRECT
			    : rt->via == CONF_VIA_PROXY ? RULE_PROXY
							: RULE_DENY;
		if (rt->via == CONF_VIA_PROXY) {
			r->proxies = rt->proxies;
			r->nproxies = rt->nproxies;
		}
		return r->action;
	}
	return r->action;
}

static void setup(void)
{
	static const char *const to[4] = {"0.0.0.0/0", "*.direct.test",
					  "*.deny.test", "0.0.0.0/0"};
	static const enum conf_via via[4] = {CONF_VIA_DENY, CONF_VIA_DIRECT,
					     CONF_VIA_DENY, CONF_VIA_PROXY};
	int i;

	memset(&real, 0, sizeof(real));
	real.getaddrinfo = stub_getaddrinfo;
	real.freeaddrinfo =
		(void (*)(struct addrinfo *))dlsym(RTLD_NEXT, "freeaddrinfo");
	libc_getnameinfo = (int (*)(const struct sockaddr *, socklen_t, char *,
				    socklen_t, char *, socklen_t,
				    int))dlsym(RTLD_NEXT, "getnameinfo");
	ck_assert_ptr_nonnull(real.freeaddrinfo);
	ck_assert_ptr_nonnull(libc_getnameinfo);
	real.getnameinfo = stub_getnameinfo;
	real.gethostbyname = stub_gethostbyname;
	real.gethostbyname2 = stub_gethostbyname2;
	real.gethostbyname_r = stub_gethostbyname_r;
	real.gethostbyname2_r = stub_gethostbyname2_r;
	real.gethostbyaddr = stub_gethostbyaddr;
	real.gethostbyaddr_r = stub_gethostbyaddr_r;

	memset(&the_conf, 0, sizeof(the_conf));
	snprintf(the_conf.path, sizeof(the_conf.path), "test.conf");
	the_conf.resolve = CONF_RESOLVE_REMOTE;
	ck_assert_int_eq(
		net_cidr_parse("198.18.0.0/15", &the_conf.fake_network), 0);
	ck_assert_int_eq(
		net_cidr_parse("fd53:6f63:6b73::/64", &the_conf.fake_network6),
		0);
	for (i = 0; i < 4; i++) {
		memset(&targets[i], 0, sizeof(targets[i]));
		if (to[i][0] == '*') {
			targets[i].kind = CONF_TARGET_GLOB;
			snprintf(targets[i].glob, sizeof(targets[i].glob), "%s",
				 to[i]);
		} else {
			targets[i].kind = CONF_TARGET_CIDR;
			ck_assert_int_eq(
				net_cidr_parse(to[i], &targets[i].cidr), 0);
		}
		memset(&routes[i], 0, sizeof(routes[i]));
		routes[i].line = i + 1;
		routes[i].to = &targets[i];
		routes[i].nto = 1;
		routes[i].commands = CONF_CMD_ALL;
		routes[i].via = via[i];
	}
	ck_assert_int_eq(net_ports_parse("25", &routes[0].ports), 0);
	routes[3].proxies[0] = &proxy;
	routes[3].nproxies = 1;
	the_conf.routes = routes;
	the_conf.nroutes = 4;
	have_conf = true;
	real_calls = 0;
	real_gni_calls = 0;
	ck_assert_int_eq(fakedns_reset_for_tests(NULL, NULL), 0);
}

/* ---- helpers ------------------------------------------------------------ */

static const char *ai_text(const struct addrinfo *ai)
{
	static char buf[INET6_ADDRSTRLEN + 16];
	struct net_ip ip;
	uint16_t port;
	char t[INET6_ADDRSTRLEN];

	ck_assert_int_eq(
		net_ip_from_sockaddr(&ip, &port, ai->ai_addr, ai->ai_addrlen),
		0);
	if (ai->ai_family == AF_INET6) {
		/* show v4-mapped as such, not normalised */
		inet_ntop(AF_INET6,
			  &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, t,
			  sizeof(t));
		snprintf(buf, sizeof(buf), "[%s]:%u", t, port);
	} else {
		snprintf(buf, sizeof(buf), "%s:%u",
			 net_ip_format(&ip, t, sizeof(t)), port);
	}
	return buf;
}

static int ai_count(const struct addrinfo *ai)
{
	int n = 0;

	for (; ai; ai = ai->ai_next)
		n++;
	return n;
}

static struct addrinfo hints_of(int family, int socktype, int protocol,
				int flags)
{
	struct addrinfo h;

	memset(&h, 0, sizeof(h));
	h.ai_family = family;
	h.ai_socktype = socktype;
	h.ai_protocol = protocol;
	h.ai_flags = flags;
	return h;
}

/* ---- getaddrinfo -------------------------------------------------------- */

START_TEST(gai_null_hints_fakes_v4)
{
	struct addrinfo *res = NULL, *ai;
	int saved, i;

	errno = 1234;
	ck_assert_int_eq(getaddrinfo("www.example.com", NULL, NULL, &res), 0);
	saved = errno;
	ck_assert_int_eq(saved, 1234);
	ck_assert_int_eq(real_calls, 0);
	/* glibc's shape: stream/TCP, datagram/UDP, raw; IPv4 then IPv6 */
	ck_assert_int_eq(ai_count(res), 6);
	ck_assert_int_eq(res->ai_socktype, SOCK_STREAM);
	ck_assert_int_eq(res->ai_protocol, IPPROTO_TCP);
	ck_assert_int_eq(res->ai_next->ai_socktype, SOCK_DGRAM);
	ck_assert_int_eq(res->ai_next->ai_protocol, IPPROTO_UDP);
	ck_assert_int_eq(res->ai_next->ai_next->ai_socktype, SOCK_RAW);
	for (ai = res, i = 0; ai; ai = ai->ai_next, i++) {
		ck_assert_int_eq(ai->ai_family, i < 3 ? AF_INET : AF_INET6);
		ck_assert_str_eq(ai_text(ai), i < 3 ? "198.18.0.1:0"
						    : "[fd53:6f63:6b73::1]:0");
		ck_assert_ptr_null(ai->ai_canonname);
	}
	freeaddrinfo(res);
}
END_TEST

START_TEST(gai_service_numeric)
{
	struct addrinfo *res = NULL;

	ck_assert_int_eq(getaddrinfo("www.example.com", "8080", NULL, &res), 0);
	/* glibc lists raw too when the service is numeric */
	ck_assert_int_eq(ai_count(res), 6);
	ck_assert_str_eq(ai_text(res), "198.18.0.1:8080");
	ck_assert_str_eq(ai_text(res->ai_next), "198.18.0.1:8080");
	ck_assert_int_eq(res->ai_next->ai_next->ai_socktype, SOCK_RAW);
	freeaddrinfo(res);
	ck_assert_int_eq(getaddrinfo("www.example.com", "65536", NULL, &res),
			 EAI_SERVICE);
	ck_assert_int_eq(real_calls, 0);
}
END_TEST

START_TEST(gai_service_named)
{
	struct addrinfo *res = NULL, h;

	if (getservbyname("ssh", "tcp") == NULL ||
	    getservbyname("ntp", "udp") == NULL)
		return; /* no /etc/services (netbase): nothing to compare */
	h = hints_of(AF_INET, 0, 0, 0);
	ck_assert_int_eq(getaddrinfo("a.example.com", "ssh", &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1); /* ssh is tcp only */
	ck_assert_int_eq(res->ai_socktype, SOCK_STREAM);
	ck_assert_str_eq(ai_text(res), "198.18.0.1:22");
	freeaddrinfo(res);
	ck_assert_int_eq(getaddrinfo("a.example.com", "ntp", &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1);
	ck_assert_int_eq(res->ai_socktype, SOCK_DGRAM);
	ck_assert_str_eq(ai_text(res), "198.18.0.1:123");
	freeaddrinfo(res);
	h = hints_of(AF_UNSPEC, SOCK_STREAM, 0, 0);
	ck_assert_int_eq(getaddrinfo("a.example.com", "ntp", &h, &res),
			 EAI_SERVICE);
	ck_assert_int_eq(
		getaddrinfo("a.example.com", "no-such-service", NULL, &res),
		EAI_SERVICE);
	h = hints_of(AF_UNSPEC, 0, 0, AI_NUMERICSERV);
	ck_assert_int_eq(getaddrinfo("a.example.com", "ssh", &h, &res),
			 EAI_NONAME);
	ck_assert_int_eq(real_calls, 0);
}
END_TEST

START_TEST(gai_hints_narrow)
{
	struct addrinfo *res = NULL, h;

	h = hints_of(AF_INET, SOCK_STREAM, 0, 0);
	ck_assert_int_eq(getaddrinfo("x.example.com", "80", &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1);
	ck_assert_int_eq(res->ai_protocol, IPPROTO_TCP);
	freeaddrinfo(res);
	h = hints_of(AF_INET, 0, IPPROTO_UDP, 0);
	ck_assert_int_eq(getaddrinfo("x.example.com", "53", &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1);
	ck_assert_int_eq(res->ai_socktype, SOCK_DGRAM);
	freeaddrinfo(res);
	h = hints_of(AF_INET, SOCK_RAW, 0, 0);
	ck_assert_int_eq(getaddrinfo("x.example.com", NULL, &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1);
	freeaddrinfo(res);
	ck_assert_int_eq(getaddrinfo("x.example.com", "80", &h, &res),
			 EAI_SERVICE);
	h = hints_of(AF_INET, SOCK_SEQPACKET, 0, 0);
	ck_assert_int_eq(getaddrinfo("x.example.com", NULL, &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1);
	ck_assert_int_eq(res->ai_protocol, IPPROTO_SCTP);
	freeaddrinfo(res);
	h = hints_of(AF_INET, 0, 99, 0); /* any other protocol: raw */
	ck_assert_int_eq(getaddrinfo("x.example.com", NULL, &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1);
	ck_assert_int_eq(res->ai_socktype, SOCK_RAW);
	ck_assert_int_eq(res->ai_protocol, 99);
	freeaddrinfo(res);
	h = hints_of(AF_UNSPEC, 42, 0, 0);
	ck_assert_int_eq(getaddrinfo("x.example.com", NULL, &h, &res),
			 EAI_SOCKTYPE);
	h = hints_of(AF_UNIX, 0, 0, 0);
	ck_assert_int_eq(getaddrinfo("x.example.com", NULL, &h, &res),
			 EAI_FAMILY);
	h = hints_of(AF_UNSPEC, 0, 0, 0x10000);
	ck_assert_int_eq(getaddrinfo("x.example.com", NULL, &h, &res),
			 EAI_BADFLAGS);
	ck_assert_int_eq(real_calls, 0);
}
END_TEST

START_TEST(gai_families)
{
	struct addrinfo *res = NULL, h;

	h = hints_of(AF_INET6, SOCK_STREAM, 0, 0);
	ck_assert_int_eq(getaddrinfo("six.example.com", "443", &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1);
	ck_assert_int_eq(res->ai_family, AF_INET6);
	ck_assert_int_eq(res->ai_addrlen, sizeof(struct sockaddr_in6));
	ck_assert_str_eq(ai_text(res), "[fd53:6f63:6b73::1]:443");
	freeaddrinfo(res);
	/* AI_V4MAPPED alone: there is an IPv6 answer, so no mapped one */
	h = hints_of(AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED);
	ck_assert_int_eq(getaddrinfo("six.example.com", "443", &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1);
	freeaddrinfo(res);
	h = hints_of(AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED | AI_ALL);
	ck_assert_int_eq(getaddrinfo("six.example.com", "443", &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 2);
	ck_assert_str_eq(ai_text(res), "[fd53:6f63:6b73::1]:443");
	ck_assert_str_eq(ai_text(res->ai_next), "[::ffff:198.18.0.1]:443");
	freeaddrinfo(res);
	h = hints_of(AF_UNSPEC, SOCK_STREAM, 0, 0);
	ck_assert_int_eq(getaddrinfo("six.example.com", "443", &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 2);
	ck_assert_str_eq(ai_text(res), "198.18.0.1:443");
	ck_assert_str_eq(ai_text(res->ai_next), "[fd53:6f63:6b73::1]:443");
	freeaddrinfo(res);
	h = hints_of(AF_INET, SOCK_STREAM, 0, 0);
	ck_assert_int_eq(getaddrinfo("six.example.com", "443", &h, &res), 0);
	ck_assert_int_eq(ai_count(res), 1);
	ck_assert_str_eq(ai_text(res), "198.18.0.1:443");
	freeaddrinfo(res);
	ck_assert_int_eq(real_calls, 0);
}
END_TEST

START_TEST(gai_canonname)
{
	struct addrinfo *res = NULL, h;

	h = hints_of(AF_UNSPEC, 0, 0, AI_CANONNAME);
	ck_assert_int_eq(getaddrinfo("WWW.Example.COM.", "80", &h, &res), 0);
	ck_assert_ptr_nonnull(res->ai_canonname);
	ck_assert_str_eq(res->ai_canonname, "www.example.com");
	ck_assert_ptr_null(res->ai_next->ai_canonname);
	freeaddrinfo(res);
}
END_TEST

/* Our lists are glibc-shaped: freeing a tail and then the head works
 * (the sanitizer build checks every byte of this). */
START_TEST(gai_free_tail)
{
	struct addrinfo *res = NULL, *tail, h;

	h = hints_of(AF_UNSPEC, 0, 0, AI_CANONNAME);
	ck_assert_int_eq(getaddrinfo("free.example.com", NULL, &h, &res), 0);
	tail = res->ai_next;
	res->ai_next = NULL;
	freeaddrinfo(tail);
	real.freeaddrinfo(res); /* glibc's own */
}
END_TEST

START_TEST(gai_passthrough)
{
	struct addrinfo *res = NULL, h;
	static const char *const local[] = {
		"127.0.0.1",	 "::1",		  "127.1",	   "0x7f000001",
		"fe80::1%lo",	 "198.51.100.7",  "localhost",	   "LOCALHOST.",
		"foo.localhost", "ip6-localhost", "a.direct.test",
	};
	size_t i;

	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		real_calls = 0;
		ck_assert_int_eq(getaddrinfo(local[i], "80", NULL, &res),
				 SENTINEL_EAI);
		ck_assert_msg(real_calls == 1, "%s not passed through",
			      local[i]);
	}
	real_calls = 0;
	h = hints_of(AF_UNSPEC, 0, 0, AI_NUMERICHOST);
	ck_assert_int_eq(getaddrinfo("www.example.com", "80", &h, &res),
			 SENTINEL_EAI);
	h = hints_of(AF_UNSPEC, SOCK_STREAM, 0, AI_PASSIVE);
	ck_assert_int_eq(getaddrinfo(NULL, "80", &h, &res), SENTINEL_EAI);
	ck_assert_int_eq(real_calls, 2);
}
END_TEST

/* Lookups made from library code (the re-entry guard) are not ours. */
START_TEST(gai_guard_passes_through)
{
	struct addrinfo *res = NULL;

	socksify_guard++;
	ck_assert_int_eq(getaddrinfo("www.example.com", "80", NULL, &res),
			 SENTINEL_EAI);
	ck_assert_ptr_eq(gethostbyname("www.example.com"), &stub_he);
	socksify_guard--;
	ck_assert_int_eq(real_calls, 2);
}
END_TEST

START_TEST(gai_deny)
{
	struct addrinfo *res = NULL;

	ck_assert_int_eq(getaddrinfo("x.deny.test", "80", NULL, &res),
			 EAI_FAIL);
	/* route 1 denies port 25 ... */
	ck_assert_int_eq(getaddrinfo("mx.example.com", "25", NULL, &res),
			 EAI_FAIL);
	/* ... but does not deny the name when the port is unknown */
	ck_assert_int_eq(getaddrinfo("mx.example.com", NULL, NULL, &res), 0);
	freeaddrinfo(res);
	ck_assert_int_eq(getaddrinfo("", NULL, NULL, &res), EAI_NONAME);
	ck_assert_int_eq(getaddrinfo("bad name", NULL, NULL, &res), EAI_NONAME);
	ck_assert_int_eq(real_calls, 0);
}
END_TEST

START_TEST(gai_no_conf_fails_closed)
{
	struct addrinfo *res = NULL;

	have_conf = false;
	ck_assert_int_eq(getaddrinfo("www.example.com", "80", NULL, &res),
			 EAI_FAIL);
	ck_assert_int_eq(real_calls, 0);
	/* numeric hosts still work */
	ck_assert_int_eq(getaddrinfo("198.51.100.1", "80", NULL, &res),
			 SENTINEL_EAI);
}
END_TEST

START_TEST(gai_resolve_local)
{
	struct addrinfo *res = NULL;

	the_conf.resolve = CONF_RESOLVE_LOCAL;
	ck_assert_int_eq(getaddrinfo("www.example.com", "80", NULL, &res),
			 SENTINEL_EAI);
	ck_assert_ptr_eq(gethostbyname("www.example.com"), &stub_he);
	ck_assert_int_eq(real_calls, 2);
}
END_TEST

START_TEST(gai_exhausted)
{
	struct net_cidr v4;
	struct addrinfo *res = NULL;

	ck_assert_int_eq(net_cidr_parse("198.51.100.0/30", &v4), 0);
	ck_assert_int_eq(fakedns_reset_for_tests(&v4, NULL), 0);
	ck_assert_int_eq(getaddrinfo("a.example.com", NULL, NULL, &res), 0);
	freeaddrinfo(res);
	ck_assert_int_eq(getaddrinfo("b.example.com", NULL, NULL, &res), 0);
	freeaddrinfo(res);
	ck_assert_int_eq(getaddrinfo("c.example.com", NULL, NULL, &res),
			 EAI_FAIL);
	ck_assert_int_eq(real_calls, 0);
}
END_TEST

/* ---- gethostbyname family ---------------------------------------------- */

static void assert_he(const struct hostent *he, int af, const char *name,
		      const char *addr)
{
	char t[INET6_ADDRSTRLEN];

	ck_assert_ptr_nonnull(he);
	ck_assert_int_eq(he->h_addrtype, af);
	ck_assert_int_eq(he->h_length, af == AF_INET ? 4 : 16);
	ck_assert_str_eq(he->h_name, name);
	ck_assert_ptr_null(he->h_aliases[0]);
	ck_assert_ptr_nonnull(he->h_addr_list[0]);
	ck_assert_ptr_null(he->h_addr_list[1]);
	ck_assert_str_eq(inet_ntop(af, he->h_addr_list[0], t, sizeof(t)), addr);
}

START_TEST(ghbn_forms)
{
	struct hostent he, *res = NULL;
	char buf[512];
	int herr = 0;

	assert_he(gethostbyname("Host.Example.com"), AF_INET,
		  "host.example.com", "198.18.0.1");
	assert_he(gethostbyname2("host.example.com", AF_INET6), AF_INET6,
		  "host.example.com", "fd53:6f63:6b73::1");
	ck_assert_int_eq(gethostbyname_r("other.example.com", &he, buf,
					 sizeof(buf), &res, &herr),
			 0);
	ck_assert_ptr_eq(res, &he);
	assert_he(res, AF_INET, "other.example.com", "198.18.0.2");
	/* an odd buffer alignment is handled */
	ck_assert_int_eq(gethostbyname2_r("other.example.com", AF_INET6, &he,
					  buf + 3, sizeof(buf) - 3, &res,
					  &herr),
			 0);
	assert_he(res, AF_INET6, "other.example.com", "fd53:6f63:6b73::2");
	ck_assert_int_eq(
		gethostbyname_r("other.example.com", &he, buf, 16, &res, &herr),
		ERANGE);
	ck_assert_ptr_null(res);
	ck_assert_int_eq(herr, NETDB_INTERNAL);
	ck_assert_int_eq(real_calls, 0);
}
END_TEST

START_TEST(ghbn_deny_and_pass)
{
	struct hostent he, *res = &he;
	char buf[512];
	int herr = 0;

	h_errno = 0;
	ck_assert_ptr_null(gethostbyname("no.deny.test"));
	ck_assert_int_eq(h_errno, NO_RECOVERY);
	ck_assert_int_eq(gethostbyname_r("no.deny.test", &he, buf, sizeof(buf),
					 &res, &herr),
			 0);
	ck_assert_ptr_null(res);
	ck_assert_int_eq(herr, NO_RECOVERY);
	ck_assert_int_eq(real_calls, 0);
	ck_assert_ptr_eq(gethostbyname("localhost"), &stub_he);
	ck_assert_ptr_eq(gethostbyname("192.0.2.1"), &stub_he);
	ck_assert_ptr_eq(gethostbyname2("x.direct.test", AF_INET6), &stub_he);
	ck_assert_int_eq(gethostbyname2_r("x.direct.test", AF_INET, &he, buf,
					  sizeof(buf), &res, &herr),
			 0);
	ck_assert_int_eq(real_calls, 4);
}
END_TEST

static void *ghbn_thread(void *arg)
{
	return gethostbyname("thread.example.com");
}

START_TEST(ghbn_thread_local)
{
	struct hostent *mine, *theirs;
	pthread_t th;

	mine = gethostbyname("main.example.com");
	ck_assert_int_eq(pthread_create(&th, NULL, ghbn_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(th, (void **)&theirs), 0);
	ck_assert_ptr_nonnull(theirs);
	ck_assert_ptr_ne(mine, theirs);
	ck_assert_str_eq(mine->h_name, "main.example.com");
}
END_TEST

/* ---- reverse ------------------------------------------------------------ */

START_TEST(reverse_fake)
{
	struct addrinfo *res = NULL, h;
	char host[NI_MAXHOST], serv[NI_MAXSERV], small[8];
	struct hostent he, *hres = NULL, *hp;
	char buf[512];
	int herr;

	h = hints_of(AF_INET, SOCK_STREAM, 0, 0);
	ck_assert_int_eq(getaddrinfo("rev.example.com", "80", &h, &res), 0);
	ck_assert_int_eq(getnameinfo(res->ai_addr, res->ai_addrlen, host,
				     sizeof(host), serv, sizeof(serv),
				     NI_NUMERICSERV),
			 0);
	ck_assert_str_eq(host, "rev.example.com");
	ck_assert_str_eq(serv, "80");
	ck_assert_int_eq(getnameinfo(res->ai_addr, res->ai_addrlen, host,
				     sizeof(host), NULL, 0, NI_NAMEREQD),
			 0);
	ck_assert_str_eq(host, "rev.example.com");
	ck_assert_int_eq(getnameinfo(res->ai_addr, res->ai_addrlen, host,
				     sizeof(host), NULL, 0, NI_NUMERICHOST),
			 0);
	ck_assert_str_eq(host, "198.18.0.1");
	ck_assert_int_eq(getnameinfo(res->ai_addr, res->ai_addrlen, small,
				     sizeof(small), NULL, 0, 0),
			 EAI_OVERFLOW);
	hp = gethostbyaddr(&((struct sockaddr_in *)res->ai_addr)->sin_addr, 4,
			   AF_INET);
	assert_he(hp, AF_INET, "rev.example.com", "198.18.0.1");
	ck_assert_int_eq(
		gethostbyaddr_r(&((struct sockaddr_in *)res->ai_addr)->sin_addr,
				4, AF_INET, &he, buf, sizeof(buf), &hres,
				&herr),
		0);
	assert_he(hres, AF_INET, "rev.example.com", "198.18.0.1");
	freeaddrinfo(res);
	ck_assert_int_eq(real_calls, 0);
	ck_assert_int_eq(real_gni_calls, 0);
}
END_TEST

START_TEST(reverse_unassigned_and_other)
{
	struct sockaddr_in sin;
	struct in_addr a;
	char host[NI_MAXHOST];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "198.18.7.7", &sin.sin_addr);
	/* a fake address nobody was given: numeric, never a PTR query */
	ck_assert_int_eq(getnameinfo((struct sockaddr *)&sin, sizeof(sin), host,
				     sizeof(host), NULL, 0, 0),
			 0);
	ck_assert_str_eq(host, "198.18.7.7");
	ck_assert_int_eq(getnameinfo((struct sockaddr *)&sin, sizeof(sin), host,
				     sizeof(host), NULL, 0, NI_NAMEREQD),
			 EAI_NONAME);
	h_errno = 0;
	ck_assert_ptr_null(gethostbyaddr(&sin.sin_addr, 4, AF_INET));
	ck_assert_int_eq(h_errno, HOST_NOT_FOUND);
	ck_assert_int_eq(real_calls, 0);
	ck_assert_int_eq(real_gni_calls, 0);
	/* an address routed via the proxy: numeric, no PTR query */
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	ck_assert_int_eq(getnameinfo((struct sockaddr *)&sin, sizeof(sin), host,
				     sizeof(host), NULL, 0, 0),
			 0);
	ck_assert_str_eq(host, "192.0.2.1");
	ck_assert_int_eq(getnameinfo((struct sockaddr *)&sin, sizeof(sin), host,
				     sizeof(host), NULL, 0, NI_NAMEREQD),
			 EAI_NONAME);
	inet_pton(AF_INET, "192.0.2.1", &a);
	h_errno = 0;
	ck_assert_ptr_null(gethostbyaddr(&a, 4, AF_INET));
	ck_assert_int_eq(h_errno, HOST_NOT_FOUND);
	ck_assert_int_eq(real_calls, 0);
	ck_assert_int_eq(real_gni_calls, 0);
	/* loopback, and anything under resolve = local: the real ones */
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	ck_assert_int_eq(getnameinfo((struct sockaddr *)&sin, sizeof(sin), host,
				     sizeof(host), NULL, 0, 0),
			 EAI_AGAIN);
	ck_assert_int_eq(real_gni_calls, 1);
	the_conf.resolve = CONF_RESOLVE_LOCAL;
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	ck_assert_int_eq(getnameinfo((struct sockaddr *)&sin, sizeof(sin), host,
				     sizeof(host), NULL, 0, 0),
			 EAI_AGAIN);
	ck_assert_int_eq(real_gni_calls, 2);
	ck_assert_ptr_eq(gethostbyaddr(&a, 4, AF_INET), &stub_he);
	ck_assert_int_eq(real_calls, 1);
}
END_TEST

START_TEST(reverse_v6_and_mapped)
{
	struct addrinfo *res = NULL, h;
	char host[NI_MAXHOST];

	h = hints_of(AF_INET6, SOCK_STREAM, 0, AI_V4MAPPED | AI_ALL);
	ck_assert_int_eq(getaddrinfo("six.example.com", "80", &h, &res), 0);
	ck_assert_int_eq(getnameinfo(res->ai_addr, res->ai_addrlen, host,
				     sizeof(host), NULL, 0, 0),
			 0);
	ck_assert_str_eq(host, "six.example.com");
	/* ::ffff:198.18.0.1 */
	ck_assert_int_eq(getnameinfo(res->ai_next->ai_addr,
				     res->ai_next->ai_addrlen, host,
				     sizeof(host), NULL, 0, 0),
			 0);
	ck_assert_str_eq(host, "six.example.com");
	freeaddrinfo(res);
	ck_assert_int_eq(real_gni_calls, 0);
}
END_TEST

static Suite *resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("hooks");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, gai_null_hints_fakes_v4);
	tcase_add_test(tc, gai_service_numeric);
	tcase_add_test(tc, gai_service_named);
	tcase_add_test(tc, gai_hints_narrow);
	tcase_add_test(tc, gai_families);
	tcase_add_test(tc, gai_canonname);
	tcase_add_test(tc, gai_free_tail);
	tcase_add_test(tc, gai_passthrough);
	tcase_add_test(tc, gai_guard_passes_through);
	tcase_add_test(tc, gai_deny);
	tcase_add_test(tc, gai_no_conf_fails_closed);
	tcase_add_test(tc, gai_resolve_local);
	tcase_add_test(tc, gai_exhausted);
	tcase_add_test(tc, ghbn_forms);
	tcase_add_test(tc, ghbn_deny_and_pass);
	tcase_add_test(tc, ghbn_thread_local);
	tcase_add_test(tc, reverse_fake);
	tcase_add_test(tc, reverse_unassigned_and_other);
	tcase_add_test(tc, reverse_v6_and_mapped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(resolve_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
