/* SPDX-License-Identifier: MIT */
/*
 * Resolver hooks: getaddrinfo, freeaddrinfo, getnameinfo, gethostbyname,
 * gethostbyname2, gethostbyname_r, gethostbyname2_r, gethostbyaddr,
 * gethostbyaddr_r (SPEC section 3, resolve = remote).
 *
 * Every forward hook has the same shape:
 *   init -> classify the name -> route it -> fake | real | fail.
 * classify: a NULL or numeric node, AI_NUMERICHOST, "localhost" and
 *   *.localhost (and the loopback aliases of /etc/hosts, and this host's
 *   own name), or resolve = local: the real function, unchanged.
 * route: rules_match() with has_ip = false, the name, the port of the
 *   service when it is known (0 otherwise), command 0 (any) and the process
 *   facts, route by route (see resolve_route(): a deny route limited to
 *   some ports or commands does not deny a name whose port is unknown).
 *   PROXY  -> a fake address from fakedns, built here: no DNS packet.
 *   DIRECT -> the real function (the name resolves locally).
 *   DENY   -> the lookup fails (EAI_FAIL / NO_RECOVERY) with one log line
 *             (also with no usable config).  No DNS packet either.
 * Families: AF_INET gets the IPv4 fake, AF_INET6 the IPv6 fake, AF_UNSPEC
 * both (IPv4 first, as a dual-stack name: programs that try the first
 * address use IPv4, and curl -6 & co., which ask AF_UNSPEC and keep the
 * IPv6 answers, still work); AF_INET6 with AI_V4MAPPED|AI_ALL gets the
 * IPv6 fake and ::ffff:<IPv4 fake>.  AI_ADDRCONFIG is ignored (the proxy is
 * what connects).  Names that are not printable ASCII (e.g. AI_IDN input)
 * fail with EAI_NONAME rather than reach DNS.
 *
 * The reverse hooks (getnameinfo, gethostbyaddr*) answer a fake address
 * with its name and never send a PTR query for one; other addresses go to
 * the real function.
 *
 * Our addrinfo lists are laid out exactly as glibc's own (one malloc per
 * node holding the addrinfo and its sockaddr, ai_canonname malloc'd on its
 * own in the first node), so freeaddrinfo() -- ours or glibc's, on the head
 * or on any tail -- frees them correctly.  Our freeaddrinfo() therefore
 * passes every list to the real one.
 *
 * The library's thread-local re-entry guard (socksify_guard, preload.h)
 * sends lookups made from library code (e.g. by an NSS module that
 * getpwuid_r() ends up in, or while the config is parsed) straight to the
 * real functions.  Real lookups themselves run without it: a socket an
 * NSS module opens is routed like any other.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "conf/conf.h"
#include "conf/rules.h"
#include "preload/fakedns.h"
#include "preload/hooks.h"
#include "preload/init.h"
#include "preload/real.h"

#define RESOLVE_AI_FLAGS                                                     \
	(AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | \
	 AI_ADDRCONFIG | AI_IDN | AI_CANONIDN | AI_NUMERICSERV)

enum resolve_verdict {
	RESOLVE_REAL, /* let the real function do it */
	RESOLVE_FAKE, /* hand out a fake address */
	RESOLVE_DENY  /* fail the lookup (logged by resolve_route) */
};

/* The socket types one addrinfo list may carry. */
struct resolve_kind {
	int socktype;
	int protocol;
	uint16_t port; /* network order */
};

#define RESOLVE_KINDS_MAX 7
#define RESOLVE_ADDRS_MAX 2

/*
 * Hook prologue: bind the real symbols when needed, and say whether the
 * call is ours to look at (false: re-entered from library code, or the
 * library could not bind libc).
 */
static bool resolve_enter(void)
{
	HOOK_INIT(getaddrinfo);
	if (hook_passthrough())
		return false;
	socksify_init();
	return true;
}

/* Case-insensitive equality ignoring one trailing dot on @name. */
static bool resolve_name_is(const char *name, const char *what)
{
	size_t n = strlen(name), w = strlen(what);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return n == w && strncasecmp(name, what, n) == 0;
}

/* Does @name end in ".@suffix" (case-insensitive, one trailing dot)? */
static bool resolve_name_under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return n > s + 1 && name[n - s - 1] == '.' &&
	       strncasecmp(name + n - s, suffix, s) == 0;
}

/*
 * Names that always resolve locally: localhost and *.localhost (RFC 6761),
 * the loopback aliases Debian's /etc/hosts carries, and this host's own
 * name (programs that resolve it want to bind to it).
 */
static bool resolve_is_local_name(const char *name)
{
	struct utsname u;

	if (resolve_name_is(name, "localhost") ||
	    resolve_name_under(name, "localhost") ||
	    resolve_name_is(name, "localhost.localdomain") ||
	    resolve_name_is(name, "ip6-localhost") ||
	    resolve_name_is(name, "ip6-loopback"))
		return true;
	return uname(&u) == 0 && u.nodename[0] != '\0' &&
	       resolve_name_is(name, u.nodename);
}

/*
 * A numeric host in any form glibc accepts without DNS: inet_aton() forms
 * ("127.1", "0x7f000001"), IPv6 text, IPv6 with a %scope.
 */
static bool resolve_is_numeric(const char *name)
{
	char buf[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	struct in_addr a4;
	const char *pct;
	size_t len;

	if (inet_aton(name, &a4))
		return true;
	if (inet_pton(AF_INET6, name, &a6) == 1)
		return true;
	pct = strchr(name, '%');
	if (pct == NULL)
		return false;
	len = (size_t)(pct - name);
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &a6) == 1;
}

/* resolve = remote in force?  (No usable config counts as remote: the
 * route then denies, which keeps names off DNS.) */
static bool resolve_remote(void)
{
	const struct conf *c = socksify_conf();

	return c == NULL || c->resolve == CONF_RESOLVE_REMOTE;
}

/* Process facts for routes, computed once the way init.c does. */
static struct {
	char program[NAME_MAX + 1];
	uid_t uid;
	char user[256];
	bool has_user;
} resolve_facts;
static pthread_once_t resolve_facts_once = PTHREAD_ONCE_INIT;

static void resolve_facts_fn(void)
{
	struct passwd pw, *res = NULL;
	char path[PATH_MAX], buf[2048];
	const char *base = program_invocation_short_name;
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n > 0) {
		path[n] = '\0';
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
	}
	if (base)
		snprintf(resolve_facts.program, sizeof(resolve_facts.program),
			 "%.*s", NAME_MAX, base);
	resolve_facts.uid = getuid();
	socksify_guard++; /* NSS may call what we interpose */
	if (getpwuid_r(resolve_facts.uid, &pw, buf, sizeof(buf), &res) == 0 &&
	    res) {
		snprintf(resolve_facts.user, sizeof(resolve_facts.user), "%s",
			 res->pw_name);
		resolve_facts.has_user = true;
	}
	socksify_guard--;
}

/*
 * Does route @r only apply to some ports or commands?  At resolution time
 * both are unknown, and rules_match() lets such conditions hold.
 */
static bool resolve_route_conditional(const struct conf_route *r)
{
	return r->ports.n != 0 || (r->commands & CONF_CMD_ALL) != CONF_CMD_ALL;
}

/*
 * Route a name-only query (has_ip false, @port host order or 0 = unknown,
 * command 0 = any) through rules_match(), one route at a time, so that a
 * deny route limited to some ports or commands (SPEC's `ports = "25" via =
 * "deny"`) does not deny the *name* when the port is not known yet: the
 * connection is still checked when it is made.  Any other first match
 * decides.  A denial is logged here, once.  Returns the action.
 */
static enum rule_action resolve_route(const char *name, uint16_t port)
{
	const struct conf *c = socksify_conf();
	struct rule_result r;
	struct rule_query q;
	struct conf one;
	struct tm tm;
	time_t now;
	size_t i;

	if (c == NULL) {
		LOG_ERR("%.200s: lookup denied: no usable configuration", name);
		return RULE_DENY;
	}
	pthread_once(&resolve_facts_once, resolve_facts_fn);
	memset(&q, 0, sizeof(q));
	q.command = 0;
	q.has_ip = false;
	q.hostname = name;
	q.port = port;
	q.program = resolve_facts.program[0] ? resolve_facts.program : NULL;
	q.uid = resolve_facts.uid;
	q.user = resolve_facts.has_user ? resolve_facts.user : NULL;
	now = time(NULL);
	q.now = localtime_r(&now, &tm);
	for (i = 0; i < c->nroutes; i++) {
		enum rule_action a;

		one = *c;
		one.routes = &c->routes[i];
		one.nroutes = 1;
		a = rules_match(&one, &q, &r);
		if (r.route == NULL)
			continue;
		if (a == RULE_DENY && port == 0 &&
		    resolve_route_conditional(r.route))
			continue;
		if (a == RULE_PROXY && r.nproxies == 0)
			a = RULE_DENY;
		if (a == RULE_DENY)
			LOG_ERR("%.200s: lookup denied by the route at line %d "
				"of %.200s",
				name, r.route->line, c->path);
		return a;
	}
	LOG_ERR("%.200s: lookup denied: no route matches", name);
	return RULE_DENY;
}

/*
 * Classify and route @name for a forward lookup on @port (host order, 0 =
 * unknown).  Returns the verdict.
 */
static enum resolve_verdict resolve_decide(const char *name, uint16_t port)
{
	enum rule_action a;

	if (name == NULL || resolve_is_numeric(name) ||
	    resolve_is_local_name(name) || !resolve_remote())
		return RESOLVE_REAL;
	a = resolve_route(name, port);
	if (a == RULE_PROXY)
		return RESOLVE_FAKE;
	if (a == RULE_DIRECT)
		return RESOLVE_REAL;
	return RESOLVE_DENY;
}

/* Parse a decimal port "0".."65535".  Returns 0 or -EINVAL. */
static int resolve_port_parse(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return -EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

/* Port of named @service over @proto, network order; 0 or -ENOENT.
 * getservbyname_r() reads the services database (files), never DNS. */
static int resolve_service(const char *service, const char *proto,
			   uint16_t *port)
{
	struct servent se, *res = NULL;
	char buf[1024];

	if (getservbyname_r(service, proto, &se, buf, sizeof(buf), &res) != 0 ||
	    res == NULL)
		return -ENOENT;
	*port = (uint16_t)res->s_port;
	return 0;
}

/* glibc's socket type / protocol table (gaih_inet_typeproto). */
static const struct {
	int socktype, protocol;
	const char *proto; /* services database name; NULL: no service */
	bool by_default;   /* listed when hints give no type or protocol */
	bool anyproto;	   /* takes whatever protocol the hints ask */
} resolve_types[] = {
	{SOCK_STREAM, IPPROTO_TCP, "tcp", true, false},
	{SOCK_DGRAM, IPPROTO_UDP, "udp", true, false},
	{SOCK_DCCP, IPPROTO_DCCP, "dccp", false, false},
	{SOCK_DGRAM, IPPROTO_UDPLITE, "udplite", false, false},
	{SOCK_STREAM, IPPROTO_SCTP, "sctp", false, false},
	{SOCK_SEQPACKET, IPPROTO_SCTP, "sctp", false, false},
	{SOCK_RAW, 0, NULL, true, true},
};
#define RESOLVE_TYPES (sizeof(resolve_types) / sizeof(resolve_types[0]))

/*
 * Build the socket-type list of a getaddrinfo() answer the way glibc does:
 *  - hints with a socktype or protocol: the first matching type only (a
 *    named service must exist for it; raw takes no service);
 *  - no socktype and no protocol: with no or a numeric service, the
 *    default types (stream/TCP, datagram/UDP, raw); with a named service,
 *    every type the services database lists it for.
 * Returns the number of kinds (> 0) or an EAI_* code (< 0).  *@route_port
 * gets the port to route by (host order, 0 if none).
 */
static int resolve_kinds(const char *service, const struct addrinfo *hints,
			 struct resolve_kind *kinds, uint16_t *route_port)
{
	int socktype = hints ? hints->ai_socktype : 0;
	int protocol = hints ? hints->ai_protocol : 0;
	bool named = false;
	uint16_t nport = 0, p;
	size_t i;
	int n = 0;

	if (service != NULL) {
		if (resolve_port_parse(service, &p) == 0) {
			nport = htons(p);
		} else if (hints && (hints->ai_flags & AI_NUMERICSERV)) {
			return EAI_NONAME;
		} else {
			named = true;
		}
	}
	if (socktype != 0 || protocol != 0) {
		for (i = 0; i < RESOLVE_TYPES; i++) {
			if ((socktype == 0 ||
			     socktype == resolve_types[i].socktype) &&
			    (protocol == 0 || resolve_types[i].anyproto ||
			     protocol == resolve_types[i].protocol))
				break;
		}
		if (i == RESOLVE_TYPES)
			return socktype != 0 ? EAI_SOCKTYPE : EAI_SERVICE;
		kinds[0].socktype = resolve_types[i].socktype;
		kinds[0].protocol = resolve_types[i].anyproto
					    ? protocol
					    : resolve_types[i].protocol;
		kinds[0].port = nport;
		if (service != NULL && resolve_types[i].proto == NULL)
			return EAI_SERVICE;
		if (named && resolve_service(service, resolve_types[i].proto,
					     &kinds[0].port) < 0)
			return EAI_SERVICE;
		*route_port = ntohs(kinds[0].port);
		return 1;
	}
	for (i = 0; i < RESOLVE_TYPES; i++) {
		struct resolve_kind k = {resolve_types[i].socktype,
					 resolve_types[i].protocol, nport};

		if (named) {
			if (resolve_types[i].proto == NULL ||
			    resolve_service(service, resolve_types[i].proto,
					    &k.port) < 0)
				continue;
		} else if (!resolve_types[i].by_default) {
			continue;
		}
		kinds[n++] = k;
	}
	if (n == 0)
		return EAI_SERVICE;
	*route_port = ntohs(kinds[0].port);
	return n;
}

/* Fill @ss from @ip and @port (network order); returns the length. */
static socklen_t resolve_sockaddr(const struct net_ip *ip, uint16_t port,
				  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = port;
		memcpy(&sin->sin_addr, ip->b, 4);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		memcpy(&sin6->sin6_addr, ip->b, 16);
		return sizeof(*sin6);
	}
}

/*
 * Build the addrinfo list: for each address, one node per kind, laid out
 * like glibc's (see the file comment).  @canon (or NULL) goes into the
 * first node.  Returns 0 or EAI_MEMORY (nothing allocated then).
 */
static int resolve_build(const struct net_ip *ips, int nips,
			 const struct resolve_kind *kinds, int nkinds,
			 const char *canon, struct addrinfo **res)
{
	struct addrinfo *head = NULL, **tail = &head;
	int i, j;

	for (i = 0; i < nips; i++) {
		for (j = 0; j < nkinds; j++) {
			struct sockaddr_storage ss;
			socklen_t len =
				resolve_sockaddr(&ips[i], kinds[j].port, &ss);
			struct addrinfo *ai = malloc(sizeof(*ai) + len);

			if (ai == NULL)
				goto fail;
			memset(ai, 0, sizeof(*ai));
			ai->ai_family = ips[i].family;
			ai->ai_socktype = kinds[j].socktype;
			ai->ai_protocol = kinds[j].protocol;
			ai->ai_addrlen = len;
			ai->ai_addr = (struct sockaddr *)(ai + 1);
			memcpy(ai->ai_addr, &ss, len);
			*tail = ai;
			tail = &ai->ai_next;
		}
	}
	if (canon != NULL) {
		head->ai_canonname = strdup(canon);
		if (head->ai_canonname == NULL)
			goto fail;
	}
	*res = head;
	return 0;
fail:
	real.freeaddrinfo(head);
	return EAI_MEMORY;
}

/* Map a fakedns_assign() error to an EAI_* code. */
static int resolve_eai(int err)
{
	if (err == -EINVAL)
		return EAI_NONAME;
	if (err == -ENOMEM)
		return EAI_MEMORY;
	return EAI_FAIL; /* -ENOSPC: logged by fakedns */
}

/*
 * getaddrinfo() for a name that is to be faked or denied.  Returns an EAI
 * code; RESOLVE_REAL is signalled by *@pass = true.
 */
static int resolve_getaddrinfo(const char *node, const char *service,
			       const struct addrinfo *hints,
			       struct addrinfo **res, bool *pass)
{
	struct resolve_kind kinds[RESOLVE_KINDS_MAX];
	struct net_ip ips[RESOLVE_ADDRS_MAX];
	int flags = hints ? hints->ai_flags : (AI_V4MAPPED | AI_ADDRCONFIG);
	int family = hints ? hints->ai_family : AF_UNSPEC;
	uint16_t port = 0;
	int nkinds, nips = 0, rc;
	enum resolve_verdict v;
	struct net_ip v4;

	*pass = false;
	if (flags & ~RESOLVE_AI_FLAGS)
		return EAI_BADFLAGS;
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return EAI_FAMILY;
	nkinds = resolve_kinds(service, hints, kinds, &port);
	if (nkinds < 0)
		return nkinds;
	v = resolve_decide(node, port);
	if (v == RESOLVE_REAL) {
		*pass = true;
		return 0;
	}
	if (v == RESOLVE_DENY)
		return EAI_FAIL;
	if (family == AF_INET6) {
		rc = fakedns_assign(node, AF_INET6, &ips[nips]);
		if (rc < 0)
			return resolve_eai(rc);
		nips++;
		if ((flags & AI_V4MAPPED) && (flags & AI_ALL)) {
			rc = fakedns_assign(node, AF_INET, &v4);
			if (rc < 0)
				return resolve_eai(rc);
			memset(&ips[nips], 0, sizeof(ips[nips]));
			ips[nips].family = AF_INET6;
			ips[nips].b[10] = 0xff;
			ips[nips].b[11] = 0xff;
			memcpy(&ips[nips].b[12], v4.b, 4);
			nips++;
		}
	} else {
		rc = fakedns_assign(node, AF_INET, &ips[nips]);
		if (rc < 0)
			return resolve_eai(rc);
		nips++;
		/* AF_UNSPEC: a dual-stack answer, IPv4 first (programs such
		 * as curl -6 ask AF_UNSPEC and keep the IPv6 ones) */
		if (family == AF_UNSPEC &&
		    fakedns_assign(node, AF_INET6, &ips[nips]) == 0)
			nips++;
	}
	if (flags & AI_CANONNAME) {
		char canon[FAKEDNS_NAME_MAX + 1];

		if (fakedns_lookup(&ips[0], canon, sizeof(canon)) < 0)
			return EAI_FAIL;
		return resolve_build(ips, nips, kinds, nkinds, canon, res);
	}
	return resolve_build(ips, nips, kinds, nkinds, NULL, res);
}

SOCKSIFY_EXPORT int getaddrinfo(const char *node, const char *service,
				const struct addrinfo *hints,
				struct addrinfo **res)
{
	int saved = errno, rc;
	bool pass = true;

	if (resolve_enter() && node != NULL &&
	    !(hints && (hints->ai_flags & AI_NUMERICHOST))) {
		rc = resolve_getaddrinfo(node, service, hints, res, &pass);
		if (!pass) {
			errno = saved;
			return rc;
		}
	}
	if (real.getaddrinfo == NULL) {
		errno = ENOSYS;
		return EAI_SYSTEM;
	}
	return real.getaddrinfo(node, service, hints, res);
}

SOCKSIFY_EXPORT void freeaddrinfo(struct addrinfo *ai)
{
	HOOK_INIT(freeaddrinfo);
	if (real.freeaddrinfo != NULL)
		real.freeaddrinfo(ai);
}

/*
 * Lay out a hostent for @name with the one address @addr (@len bytes of
 * @family) in @buf.  Returns 0 or ERANGE.
 */
static int resolve_hostent(const char *name, int family, const void *addr,
			   size_t len, struct hostent *he, char *buf,
			   size_t buflen)
{
	size_t align = sizeof(char *), pad, nlen = strlen(name) + 1;
	char **ptrs;
	char *p;

	pad = (align - ((uintptr_t)buf % align)) % align;
	if (buflen < pad + 3 * sizeof(char *) + 16 + nlen)
		return ERANGE;
	ptrs = (char **)(void *)(buf + pad);
	p = buf + pad + 3 * sizeof(char *);
	memcpy(p, addr, len);
	ptrs[0] = NULL; /* h_aliases: none */
	ptrs[1] = p;	/* h_addr_list[0] */
	ptrs[2] = NULL;
	memcpy(p + 16, name, nlen);
	he->h_name = p + 16;
	he->h_aliases = &ptrs[0];
	he->h_addrtype = family;
	he->h_length = (int)len;
	he->h_addr_list = &ptrs[1];
	return 0;
}

/*
 * The gethostbyname2_r() logic for a name to be faked or denied.  Returns
 * the _r function's result; *@pass = true means "call the real one".
 */
static int resolve_gethostbyname(const char *name, int af, struct hostent *ret,
				 char *buf, size_t buflen,
				 struct hostent **result, int *h_errnop,
				 bool *pass)
{
	char folded[FAKEDNS_NAME_MAX + 1];
	enum resolve_verdict v;
	struct net_ip ip;
	int rc;

	*pass = false;
	if (af != AF_INET && af != AF_INET6) {
		*pass = true;
		return 0;
	}
	v = resolve_decide(name, 0);
	if (v == RESOLVE_REAL) {
		*pass = true;
		return 0;
	}
	*result = NULL;
	if (v == RESOLVE_DENY) {
		*h_errnop = NO_RECOVERY;
		return 0;
	}
	rc = fakedns_assign(name, af, &ip);
	if (rc == 0)
		rc = fakedns_lookup(&ip, folded, sizeof(folded));
	if (rc < 0) {
		*h_errnop = rc == -EINVAL ? HOST_NOT_FOUND : NO_RECOVERY;
		return 0;
	}
	rc = resolve_hostent(folded, af, ip.b, af == AF_INET ? 4 : 16, ret, buf,
			     buflen);
	if (rc != 0) {
		*h_errnop = NETDB_INTERNAL;
		errno = rc;
		return rc;
	}
	*h_errnop = NETDB_SUCCESS;
	*result = ret;
	return 0;
}

/* An _r form whose libc symbol is missing: "no recovery". */
static int resolve_r_unbound(struct hostent **result, int *h_errnop)
{
	*result = NULL;
	*h_errnop = NO_RECOVERY;
	return ENOSYS;
}

SOCKSIFY_EXPORT int gethostbyname2_r(const char *name, int af,
				     struct hostent *ret, char *buf,
				     size_t buflen, struct hostent **result,
				     int *h_errnop)
{
	int saved = errno, rc;
	bool pass = true;

	if (resolve_enter() && name != NULL) {
		rc = resolve_gethostbyname(name, af, ret, buf, buflen, result,
					   h_errnop, &pass);
		if (!pass) {
			if (rc == 0)
				errno = saved;
			return rc;
		}
	}
	if (real.gethostbyname2_r == NULL)
		return resolve_r_unbound(result, h_errnop);
	return real.gethostbyname2_r(name, af, ret, buf, buflen, result,
				     h_errnop);
}

SOCKSIFY_EXPORT int gethostbyname_r(const char *name, struct hostent *ret,
				    char *buf, size_t buflen,
				    struct hostent **result, int *h_errnop)
{
	int saved = errno, rc;
	bool pass = true;

	if (resolve_enter() && name != NULL) {
		rc = resolve_gethostbyname(name, AF_INET, ret, buf, buflen,
					   result, h_errnop, &pass);
		if (!pass) {
			if (rc == 0)
				errno = saved;
			return rc;
		}
	}
	if (real.gethostbyname_r == NULL)
		return resolve_r_unbound(result, h_errnop);
	return real.gethostbyname_r(name, ret, buf, buflen, result, h_errnop);
}

/* Per-thread storage for the non-reentrant forms. */
static __thread struct {
	struct hostent he;
	char buf[FAKEDNS_NAME_MAX + 1 + 3 * sizeof(char *) + 16 + 16];
} resolve_static;

/*
 * Shared body of gethostbyname() and gethostbyname2(): the fake in
 * thread-local storage, or NULL with h_errno set; *@pass asks for the
 * real function.
 */
static struct hostent *resolve_gethostbyname_static(const char *name, int af,
						    bool *pass)
{
	struct hostent *result = NULL;
	int herr = NETDB_SUCCESS;

	*pass = true;
	if (!resolve_enter() || name == NULL)
		return NULL;
	resolve_gethostbyname(name, af, &resolve_static.he, resolve_static.buf,
			      sizeof(resolve_static.buf), &result, &herr, pass);
	if (!*pass)
		h_errno = herr;
	return result;
}

SOCKSIFY_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	int saved = errno;
	struct hostent *he;
	bool pass;

	he = resolve_gethostbyname_static(name, af, &pass);
	if (!pass) {
		errno = saved;
		return he;
	}
	if (real.gethostbyname2 == NULL) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	return real.gethostbyname2(name, af);
}

SOCKSIFY_EXPORT struct hostent *gethostbyname(const char *name)
{
	int saved = errno;
	struct hostent *he;
	bool pass;

	he = resolve_gethostbyname_static(name, AF_INET, &pass);
	if (!pass) {
		errno = saved;
		return he;
	}
	if (real.gethostbyname == NULL) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	return real.gethostbyname(name);
}

/*
 * The name of a fake @ip into @name: 0, -ENOENT (a fake address never
 * handed out), or -EINVAL (not ours to answer: not fake, resolve = local,
 * or re-entered).
 */
static int resolve_reverse(const struct net_ip *ip, char *name, size_t cap)
{
	if (!resolve_enter() || !resolve_remote() || !fakedns_is_fake(ip))
		return -EINVAL;
	return fakedns_lookup(ip, name, cap);
}

/*
 * getnameinfo() for a fake address: host = the name (NI_NUMERICHOST: the
 * numeric form), service as the real function gives it.  Returns an EAI
 * code; *@pass = true when the address is not ours.
 */
static int resolve_getnameinfo(const struct sockaddr *sa, socklen_t salen,
			       char *host, socklen_t hostlen, char *serv,
			       socklen_t servlen, int flags, bool *pass)
{
	char name[FAKEDNS_NAME_MAX + 1], num[INET6_ADDRSTRLEN + 16];
	struct net_ip ip;
	uint16_t port;
	int rc, lrc;
	size_t len;

	*pass = true;
	if (sa == NULL || net_ip_from_sockaddr(&ip, &port, sa, salen) < 0)
		return 0;
	lrc = resolve_reverse(&ip, name, sizeof(name));
	if (lrc == -EINVAL)
		return 0;
	*pass = false;
	if (lrc == -ENAMETOOLONG)
		return EAI_OVERFLOW;
	/* Numeric host and the service: no DNS query for either. */
	if (real.getnameinfo == NULL)
		return EAI_FAIL;
	rc = real.getnameinfo(sa, salen, num, sizeof(num), serv, servlen,
			      (flags & ~NI_NAMEREQD) | NI_NUMERICHOST);
	if (rc != 0 || host == NULL || hostlen == 0)
		return rc;
	if (flags & NI_NUMERICHOST) {
		len = strlen(num);
		if (len >= hostlen)
			return EAI_OVERFLOW;
		memcpy(host, num, len + 1);
		return 0;
	}
	if (lrc < 0) { /* a fake address never handed out */
		if (flags & NI_NAMEREQD)
			return EAI_NONAME;
		len = strlen(num);
		if (len >= hostlen)
			return EAI_OVERFLOW;
		memcpy(host, num, len + 1);
		return 0;
	}
	len = strlen(name);
	if (len >= hostlen)
		return EAI_OVERFLOW;
	memcpy(host, name, len + 1);
	return 0;
}

SOCKSIFY_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen,
				char *host, socklen_t hostlen, char *serv,
				socklen_t servlen, int flags)
{
	int saved = errno, rc;
	bool pass;

	rc = resolve_getnameinfo(sa, salen, host, hostlen, serv, servlen, flags,
				 &pass);
	if (!pass) {
		errno = saved;
		return rc;
	}
	if (real.getnameinfo == NULL)
		return EAI_FAIL;
	return real.getnameinfo(sa, salen, host, hostlen, serv, servlen, flags);
}

/* A (addr, len, type) triple as a net_ip, or -EINVAL. */
static int resolve_addr_ip(const void *addr, socklen_t len, int type,
			   struct net_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (addr == NULL)
		return -EINVAL;
	if (type == AF_INET && len == 4) {
		ip->family = AF_INET;
		memcpy(ip->b, addr, 4);
		return 0;
	}
	if (type == AF_INET6 && len == 16) {
		ip->family = AF_INET6;
		memcpy(ip->b, addr, 16);
		return 0;
	}
	return -EINVAL;
}

/*
 * gethostbyaddr_r() for a fake address; *@pass = true when not ours.
 */
static int resolve_gethostbyaddr(const void *addr, socklen_t len, int type,
				 struct hostent *ret, char *buf, size_t buflen,
				 struct hostent **result, int *h_errnop,
				 bool *pass)
{
	char name[FAKEDNS_NAME_MAX + 1];
	struct net_ip ip;
	int rc;

	*pass = true;
	if (resolve_addr_ip(addr, len, type, &ip) < 0)
		return 0;
	rc = resolve_reverse(&ip, name, sizeof(name));
	if (rc == -EINVAL)
		return 0;
	*pass = false;
	*result = NULL;
	if (rc < 0) {
		*h_errnop = HOST_NOT_FOUND;
		return 0;
	}
	rc = resolve_hostent(name, type, addr, len, ret, buf, buflen);
	if (rc != 0) {
		*h_errnop = NETDB_INTERNAL;
		errno = rc;
		return rc;
	}
	*h_errnop = NETDB_SUCCESS;
	*result = ret;
	return 0;
}

SOCKSIFY_EXPORT int gethostbyaddr_r(const void *addr, socklen_t len, int type,
				    struct hostent *ret, char *buf,
				    size_t buflen, struct hostent **result,
				    int *h_errnop)
{
	int saved = errno, rc;
	bool pass;

	rc = resolve_gethostbyaddr(addr, len, type, ret, buf, buflen, result,
				   h_errnop, &pass);
	if (!pass) {
		if (rc == 0)
			errno = saved;
		return rc;
	}
	if (real.gethostbyaddr_r == NULL)
		return resolve_r_unbound(result, h_errnop);
	return real.gethostbyaddr_r(addr, len, type, ret, buf, buflen, result,
				    h_errnop);
}

SOCKSIFY_EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len,
					      int type)
{
	struct hostent *result = NULL;
	int saved = errno, herr = NETDB_SUCCESS;
	bool pass;

	resolve_gethostbyaddr(addr, len, type, &resolve_static.he,
			      resolve_static.buf, sizeof(resolve_static.buf),
			      &result, &herr, &pass);
	if (!pass) {
		h_errno = herr;
		errno = saved;
		return result;
	}
	if (real.gethostbyaddr == NULL) {
		h_errno = NO_RECOVERY;
		return NULL;
	}
	return real.gethostbyaddr(addr, len, type);
}
