/* SPDX-License-Identifier: MIT */
/*
 * The low-level resolver hooks: res_query, res_search, res_querydomain,
 * res_send and their res_n* forms (glibc's libc since 2.34; the names
 * older binaries bind, __res_query & co., are the same functions).  They
 * put DNS queries on the wire without calling getaddrinfo(), so under
 * resolve = remote each query is routed by its name like the other
 * resolver hooks do (resolve_policy.c):
 *
 *   local name (localhost, ...) or resolve = local -> the real function;
 *   route direct -> the real function (the name resolves locally);
 *   route via a proxy -> the query goes as DNS over TCP through the proxy
 *     to the configured nameserver (resolve_tunnel.c): MX, SRV, TXT work
 *     and no packet of it reaches the local network;
 *   route deny, no usable config, a name that cannot be read -> fails
 *     closed: -1, h_errno NO_RECOVERY (res_send: errno EACCES), logged.
 *
 * res_query & co. return the answer length when it holds an answer, else
 * -1 with h_errno HOST_NOT_FOUND (NXDOMAIN), NO_DATA, TRY_AGAIN (SERVFAIL
 * or the proxy/nameserver could not be reached) or NO_RECOVERY, as glibc
 * does; res_send returns whatever the nameserver answered.  The res_n*
 * forms also set statp->res_h_errno.  res_search tries the name and the
 * search domains of the resolver state in glibc's order (ndots), routing
 * each candidate on its own.
 */
#include "config.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/io.h"
#include "common/log.h"
#include "conf/rules.h"
#include "preload/hooks.h"
#include "preload/init.h"
#include "preload/real.h"
#include "preload/resolve_policy.h"
#include "preload/resolve_tunnel.h"
#include "proto/dns.h"

#define RES_QUERY_MAX (DNS_HEADER_LEN + DNS_NAME_MAX + 2 + 4)

/* One call: its resolver state (NULL for the _res forms) and the errno to
 * leave (0: the caller's). */
struct res_call {
	res_state st;
	int err;
};

static void res_herr(struct res_call *rc, int h)
{
	if (rc->st != NULL)
		rc->st->res_h_errno = h;
	h_errno = h;
}

/* Hook prologue: true when the call is ours to look at. */
static bool res_enter(void)
{
	HOOK_INIT(getaddrinfo);
	if (hook_passthrough())
		return false;
	socksify_init();
	return true;
}

/*
 * The verdict for a query about @name: RESOLVE_REAL (libc), RESOLVE_FAKE
 * (through the proxy; @r gets the route) or RESOLVE_DENY (logged).
 */
static enum resolve_verdict res_decide(const char *name, struct rule_result *r)
{
	enum rule_action a;

	if (!resolve_policy_remote() || resolve_policy_is_local_name(name))
		return RESOLVE_REAL;
	a = resolve_policy_route(name, 0, r);
	if (a == RULE_PROXY)
		return RESOLVE_FAKE;
	return a == RULE_DIRECT ? RESOLVE_REAL : RESOLVE_DENY;
}

/* A query ID: random where the kernel gives one, else the clock. */
static uint16_t res_id(void)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)io_now_ms();
	return id;
}

/*
 * @name (@class, @type) through the proxies of @r into @ans.  Returns the
 * answer length when it holds an answer, else -1 with h_errno (and
 * rc->err for transport failures).
 */
static int res_proxied(struct res_call *rc, const struct rule_result *r,
		       const char *name, int class, int type, uint8_t *ans,
		       int anslen)
{
	uint8_t q[RES_QUERY_MAX];
	int qlen, n;

	if (class < 0 || class > 0xffff || type < 0 || type > 0xffff ||
	    anslen < DNS_HEADER_LEN) {
		res_herr(rc, NO_RECOVERY);
		return -1;
	}
	qlen = dns_query_encode(q, sizeof(q), res_id(), name, (uint16_t) class,
				(uint16_t)type);
	if (qlen < 0) {
		LOG_ERR("%.200s: not a name a DNS query can carry; not asked",
			name);
		res_herr(rc, NO_RECOVERY);
		return -1;
	}
	n = resolve_tunnel_query(r, name, q, (size_t)qlen, ans, (size_t)anslen);
	if (n < 0) {
		rc->err = -n;
		res_herr(rc, n == -EDESTADDRREQ || n == -EACCES ? NO_RECOVERY
								: TRY_AGAIN);
		return -1;
	}
	switch (dns_answer_status(ans, (size_t)n)) {
	case DNS_ST_ANSWER:
		res_herr(rc, NETDB_SUCCESS);
		return n;
	case DNS_ST_NXDOMAIN:
		res_herr(rc, HOST_NOT_FOUND);
		return -1;
	case DNS_ST_NODATA:
		res_herr(rc, NO_DATA);
		return -1;
	case DNS_ST_SERVFAIL:
		res_herr(rc, TRY_AGAIN);
		return -1;
	default:
		res_herr(rc, NO_RECOVERY);
		return -1;
	}
}

/* The real res_query / res_nquery for @name. */
static int res_real_query(struct res_call *rc, const char *name, int class,
			  int type, uint8_t *ans, int anslen)
{
	if (rc->st != NULL)
		return real.res_nquery ? real.res_nquery(rc->st, name, class,
							 type, ans, anslen)
				       : -1;
	return real.res_query ? real.res_query(name, class, type, ans, anslen)
			      : -1;
}

/*
 * res_query for @name under the policy: the real function, the proxy, or
 * a denial.  Returns as res_query.
 */
static int res_query_routed(struct res_call *rc, const char *name, int class,
			    int type, uint8_t *ans, int anslen)
{
	struct rule_result r;

	switch (res_decide(name, &r)) {
	case RESOLVE_REAL:
		return res_real_query(rc, name, class, type, ans, anslen);
	case RESOLVE_FAKE:
		return res_proxied(rc, &r, name, class, type, ans, anslen);
	default:
		res_herr(rc, NO_RECOVERY);
		return -1;
	}
}

/*
 * The resolver state the _res forms use, initialised as glibc would
 * (res_init reads /etc/resolv.conf; no packet).
 */
static res_state res_default_state(void)
{
	res_state st = &_res;

	if (!(st->options & RES_INIT))
		res_init();
	return st;
}

/* "@name.@domain" into @out (@cap); false when it does not fit. */
static bool res_join(char *out, size_t cap, const char *name,
		     const char *domain)
{
	int n = snprintf(out, cap, "%s.%s", name, domain);

	return n > 0 && (size_t)n < cap;
}

/*
 * res_search under the policy, glibc's order: the name as given first
 * when it has a trailing dot or at least ndots dots, then name.domain for
 * each search domain (not after a trailing dot), then the name as given
 * if not tried yet.  The first answer wins; else h_errno says NO_DATA if
 * any candidate had the name without that type, else the last failure.
 */
static int res_search_routed(struct res_call *rc, const char *name, int class,
			     int type, uint8_t *ans, int anslen)
{
	res_state st = rc->st ? rc->st : res_default_state();
	char cand[NS_MAXDNAME + 1];
	size_t len = strlen(name);
	unsigned dots = 0;
	bool as_is_done = false, nodata = false, absolute;
	int i, n, last = HOST_NOT_FOUND;

	for (i = 0; name[i]; i++)
		dots += name[i] == '.';
	absolute = len > 0 && name[len - 1] == '.';
	if (absolute || dots >= st->ndots) {
		n = res_query_routed(rc, name, class, type, ans, anslen);
		if (n >= 0 || absolute)
			return n;
		nodata |= h_errno == NO_DATA;
		last = h_errno;
		as_is_done = true;
	}
	for (i = 0; i < MAXDNSRCH && st->dnsrch[i] != NULL; i++) {
		if (!res_join(cand, sizeof(cand), name, st->dnsrch[i]))
			continue;
		n = res_query_routed(rc, cand, class, type, ans, anslen);
		if (n >= 0)
			return n;
		nodata |= h_errno == NO_DATA;
		last = h_errno;
	}
	if (!as_is_done) {
		n = res_query_routed(rc, name, class, type, ans, anslen);
		if (n >= 0)
			return n;
		nodata |= h_errno == NO_DATA;
		last = h_errno;
	}
	res_herr(rc, nodata ? NO_DATA : last);
	return -1;
}

/* res_querydomain: @name.@domain (or @name alone) queried as res_query. */
static int res_querydomain_routed(struct res_call *rc, const char *name,
				  const char *domain, int class, int type,
				  uint8_t *ans, int anslen)
{
	char full[NS_MAXDNAME + 1];

	if (domain == NULL) {
		size_t n = strlen(name);

		if (n >= sizeof(full)) {
			res_herr(rc, NO_RECOVERY);
			return -1;
		}
		memcpy(full, name, n + 1);
		if (n > 1 && full[n - 1] == '.')
			full[n - 1] = '\0';
	} else if (!res_join(full, sizeof(full), name, domain)) {
		res_herr(rc, NO_RECOVERY);
		return -1;
	}
	return res_query_routed(rc, full, class, type, ans, anslen);
}

/* The real res_send / res_nsend. */
static int res_real_send(struct res_call *rc, const uint8_t *msg, int msglen,
			 uint8_t *ans, int anslen)
{
	if (rc->st != NULL)
		return real.res_nsend ? real.res_nsend(rc->st, msg, msglen, ans,
						       anslen)
				      : -1;
	return real.res_send ? real.res_send(msg, msglen, ans, anslen) : -1;
}

/*
 * res_send under the policy: the question's name decides.  Returns the
 * answer length or -1 with rc->err (EACCES denied or unreadable, the
 * tunnel's errno) and h_errno.
 */
static int res_send_routed(struct res_call *rc, const uint8_t *msg, int msglen,
			   uint8_t *ans, int anslen)
{
	struct dns_question q;
	struct rule_result r;
	int n;

	if (msglen < 0 || anslen < 0 ||
	    dns_question_decode(msg, (size_t)msglen, &q) < 0) {
		LOG_ERR("a DNS message whose question cannot be read was not "
			"sent (it could not be routed)");
		rc->err = EACCES;
		res_herr(rc, NO_RECOVERY);
		return -1;
	}
	switch (res_decide(q.name, &r)) {
	case RESOLVE_REAL:
		return res_real_send(rc, msg, msglen, ans, anslen);
	case RESOLVE_FAKE:
		break;
	default:
		rc->err = EACCES;
		res_herr(rc, NO_RECOVERY);
		return -1;
	}
	n = resolve_tunnel_query(&r, q.name, msg, (size_t)msglen, ans,
				 (size_t)anslen);
	if (n < 0) {
		rc->err = -n;
		res_herr(rc, n == -EDESTADDRREQ ? NO_RECOVERY : TRY_AGAIN);
		return -1;
	}
	return n;
}

/* Hook epilogue: errno is the caller's unless the call failed with one. */
static int res_leave(const struct res_call *rc, int saved, int n)
{
	errno = rc->err ? rc->err : saved;
	return n;
}

SOCKSIFY_EXPORT int res_nquery(res_state st, const char *dname, int class,
			       int type, unsigned char *answer, int anslen)
{
	struct res_call rc = {st, 0};
	int saved = errno;

	if (!res_enter() || dname == NULL || st == NULL)
		return res_real_query(&rc, dname, class, type, answer, anslen);
	return res_leave(
		&rc, saved,
		res_query_routed(&rc, dname, class, type, answer, anslen));
}

SOCKSIFY_EXPORT int res_query(const char *dname, int class, int type,
			      unsigned char *answer, int anslen)
{
	struct res_call rc = {NULL, 0};
	int saved = errno;

	if (!res_enter() || dname == NULL)
		return res_real_query(&rc, dname, class, type, answer, anslen);
	return res_leave(
		&rc, saved,
		res_query_routed(&rc, dname, class, type, answer, anslen));
}

/* The real res_search / res_nsearch. */
static int res_real_search(struct res_call *rc, const char *name, int class,
			   int type, uint8_t *ans, int anslen)
{
	if (rc->st != NULL)
		return real.res_nsearch ? real.res_nsearch(rc->st, name, class,
							   type, ans, anslen)
					: -1;
	return real.res_search ? real.res_search(name, class, type, ans, anslen)
			       : -1;
}

/* res_search / res_nsearch: libc's own when no name of it can be routed
 * other than locally, else our search loop. */
static int res_search_hook(struct res_call *rc, const char *name, int class,
			   int type, uint8_t *ans, int anslen)
{
	int saved = errno;

	if (!res_enter() || name == NULL || !resolve_policy_remote() ||
	    resolve_policy_is_local_name(name))
		return res_real_search(rc, name, class, type, ans, anslen);
	return res_leave(rc, saved,
			 res_search_routed(rc, name, class, type, ans, anslen));
}

SOCKSIFY_EXPORT int res_nsearch(res_state st, const char *dname, int class,
				int type, unsigned char *answer, int anslen)
{
	struct res_call rc = {st, 0};

	if (st == NULL)
		return res_real_search(&rc, dname, class, type, answer, anslen);
	return res_search_hook(&rc, dname, class, type, answer, anslen);
}

SOCKSIFY_EXPORT int res_search(const char *dname, int class, int type,
			       unsigned char *answer, int anslen)
{
	struct res_call rc = {NULL, 0};

	return res_search_hook(&rc, dname, class, type, answer, anslen);
}

/* The real res_querydomain / res_nquerydomain. */
static int res_real_querydomain(struct res_call *rc, const char *name,
				const char *domain, int class, int type,
				uint8_t *ans, int anslen)
{
	if (rc->st != NULL)
		return real.res_nquerydomain
			       ? real.res_nquerydomain(rc->st, name, domain,
						       class, type, ans, anslen)
			       : -1;
	return real.res_querydomain ? real.res_querydomain(name, domain, class,
							   type, ans, anslen)
				    : -1;
}

static int res_querydomain_hook(struct res_call *rc, const char *name,
				const char *domain, int class, int type,
				uint8_t *ans, int anslen)
{
	int saved = errno;

	if (!res_enter() || name == NULL)
		return res_real_querydomain(rc, name, domain, class, type, ans,
					    anslen);
	return res_leave(rc, saved,
			 res_querydomain_routed(rc, name, domain, class, type,
						ans, anslen));
}

SOCKSIFY_EXPORT int res_nquerydomain(res_state st, const char *name,
				     const char *domain, int class, int type,
				     unsigned char *answer, int anslen)
{
	struct res_call rc = {st, 0};

	if (st == NULL)
		return res_real_querydomain(&rc, name, domain, class, type,
					    answer, anslen);
	return res_querydomain_hook(&rc, name, domain, class, type, answer,
				    anslen);
}

SOCKSIFY_EXPORT int res_querydomain(const char *name, const char *domain,
				    int class, int type, unsigned char *answer,
				    int anslen)
{
	struct res_call rc = {NULL, 0};

	return res_querydomain_hook(&rc, name, domain, class, type, answer,
				    anslen);
}

static int res_send_hook(struct res_call *rc, const uint8_t *msg, int msglen,
			 uint8_t *ans, int anslen)
{
	int saved = errno;

	if (!res_enter() || msg == NULL || !resolve_policy_remote())
		return res_real_send(rc, msg, msglen, ans, anslen);
	return res_leave(rc, saved,
			 res_send_routed(rc, msg, msglen, ans, anslen));
}

SOCKSIFY_EXPORT int res_nsend(res_state st, const unsigned char *msg,
			      int msglen, unsigned char *answer, int anslen)
{
	struct res_call rc = {st, 0};

	if (st == NULL)
		return res_real_send(&rc, msg, msglen, answer, anslen);
	return res_send_hook(&rc, msg, msglen, answer, anslen);
}

SOCKSIFY_EXPORT int res_send(const unsigned char *msg, int msglen,
			     unsigned char *answer, int anslen)
{
	struct res_call rc = {NULL, 0};

	return res_send_hook(&rc, msg, msglen, answer, anslen);
}

/* The names binaries linked before glibc 2.34 bind (resolv.h then
 * #defined res_query to __res_query & co.): the same hooks. */
#if defined(__clang__)
#define RES_ALIAS_COPY(name)
#else
#define RES_ALIAS_COPY(name) __attribute__((copy(name)))
#endif
#define RES_ALIAS(name)                                     \
	extern __typeof(name) __##name RES_ALIAS_COPY(name) \
		__attribute__((alias(#name), visibility("default")))
RES_ALIAS(res_query);
RES_ALIAS(res_search);
RES_ALIAS(res_querydomain);
RES_ALIAS(res_send);
RES_ALIAS(res_nquery);
RES_ALIAS(res_nsearch);
RES_ALIAS(res_nquerydomain);
RES_ALIAS(res_nsend);
