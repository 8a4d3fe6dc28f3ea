/* SPDX-License-Identifier: MIT */
/*
 * Resolver hooks: getaddrinfo, freeaddrinfo, getnameinfo, gethostbyname,
 * gethostbyname2, gethostbyname_r, gethostbyname2_r, gethostbyaddr,
 * gethostbyaddr_r (SPEC section 3, resolve = remote).  Thin: the policy
 * (which names are faked, local, direct) is resolve_policy.c, the glibc
 * result layouts are resolve_build.c.
 *
 * Every forward hook has the same shape:
 *   init -> classify and route the name (resolve_policy_decide) ->
 *   fake | real | fail.
 * Families: AF_INET gets the IPv4 fake, AF_INET6 the IPv6 fake, AF_UNSPEC
 * both (IPv4 first, as a dual-stack name: programs that try the first
 * address use IPv4, and curl -6 & co., which ask AF_UNSPEC and keep the
 * IPv6 answers, still work); AF_INET6 with AI_V4MAPPED|AI_ALL gets the
 * IPv6 fake and ::ffff:<IPv4 fake>.  AI_ADDRCONFIG is ignored (the proxy is
 * what connects).  Names that are not printable ASCII (e.g. AI_IDN input)
 * fail with EAI_NONAME rather than reach DNS.
 *
 * The reverse hooks (getnameinfo, gethostbyaddr*) answer a fake address
 * with its name and never send a PTR query for one.  Under resolve =
 * remote, an address whose route is not direct gets no PTR query either:
 * getnameinfo answers with the numeric form (EAI_NONAME with NI_NAMEREQD),
 * gethostbyaddr* with HOST_NOT_FOUND.  Other addresses go to the real
 * function.
 *
 * Our freeaddrinfo() passes every list to the real one (our lists are laid
 * out as glibc's, see resolve_build.c).
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
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/rules.h"
#include "preload/fakedns.h"
#include "preload/hooks.h"
#include "preload/init.h"
#include "preload/real.h"
#include "preload/resolve_build.h"
#include "preload/resolve_policy.h"

#define RESOLVE_AI_FLAGS                                                     \
	(AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_V4MAPPED | AI_ALL | \
	 AI_ADDRCONFIG | AI_IDN | AI_CANONIDN | AI_NUMERICSERV)

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
	nkinds = resolve_build_kinds(service, hints, kinds, &port);
	if (nkinds < 0)
		return nkinds;
	v = resolve_policy_decide(node, port);
	if (v == RESOLVE_REAL) {
		*pass = true;
		return 0;
	}
	if (v == RESOLVE_DENY)
		return EAI_FAIL;
	if (family == AF_INET6) {
		rc = fakedns_assign(node, AF_INET6, &ips[nips]);
		if (rc < 0)
			return resolve_build_eai(rc);
		nips++;
		if ((flags & AI_V4MAPPED) && (flags & AI_ALL)) {
			rc = fakedns_assign(node, AF_INET, &v4);
			if (rc < 0)
				return resolve_build_eai(rc);
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
			return resolve_build_eai(rc);
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
		return resolve_build_addrinfo(ips, nips, kinds, nkinds, canon,
					      res);
	}
	return resolve_build_addrinfo(ips, nips, kinds, nkinds, NULL, res);
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
	v = resolve_policy_decide(name, 0);
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
	rc = resolve_build_hostent(folded, af, ip.b, af == AF_INET ? 4 : 16,
				   ret, buf, buflen);
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
	char buf[RESOLVE_HOSTENT_BUF(FAKEDNS_NAME_MAX)];
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
 * The name of a fake @ip into @name: 0, or -ENOENT (no name to give and
 * no PTR query to send: a fake address never handed out, or an address
 * routed via a proxy or denied under resolve = remote), or -EINVAL (not
 * ours to answer: resolve = local, a loopback or direct address, or
 * re-entered).
 */
static int resolve_reverse(const struct net_ip *ip, char *name, size_t cap)
{
	if (!resolve_enter() || !resolve_policy_remote())
		return -EINVAL;
	if (fakedns_is_fake(ip))
		return fakedns_lookup(ip, name, cap);
	if (net_ip_is_loopback(ip) ||
	    resolve_policy_route_addr(ip) == RULE_DIRECT)
		return -EINVAL;
	return -ENOENT;
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
	if (lrc < 0) { /* no name: never handed out, or proxied */
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
	rc = resolve_build_hostent(name, type, addr, len, ret, buf, buflen);
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
