/* SPDX-License-Identifier: MIT */
/*
 * res_probe NAME PROXIED_ADDR: the libc resolver paths that can send DNS
 * without getaddrinfo(), called as a plain program would, one line each:
 * "ok WHAT: VALUE" or "bad WHAT: why".  Exit 0 when every line is ok.
 *
 * NAME has (at the test's nameserver) MX 10 mail.NAME, TXT
 * "socksify-txt-ok", A 203.0.113.2, and _sip._tcp.NAME SRV 0 5 5060
 * sip.NAME.  PROXIED_ADDR is an address routed via the proxy: reverse
 * lookups of it must not send a PTR query.  Used by tests/netns/resolve*.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures;

static void ok(const char *what, const char *v)
{
	printf("ok %s: %s\n", what, v);
}

static void bad(const char *what, const char *why)
{
	printf("bad %s: %s\n", what, why);
	failures++;
}

/* The first answer record of @ans (@len) of @type as text into @out. */
static int first_rr(const unsigned char *ans, int len, int type, char *out,
		    size_t cap)
{
	const unsigned char *rd, *end = ans + len;
	char name[NS_MAXDNAME];
	ns_msg msg;
	ns_rr rr;
	int i;

	if (len < 0 || ns_initparse(ans, len, &msg) < 0)
		return -1;
	for (i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			return -1;
		if ((int)ns_rr_type(rr) != type)
			continue;
		rd = ns_rr_rdata(rr);
		switch (type) {
		case ns_t_a:
			inet_ntop(AF_INET, rd, out, (socklen_t)cap);
			return 0;
		case ns_t_mx:
			if (dn_expand(ans, end, rd + 2, name, sizeof(name)) < 0)
				return -1;
			snprintf(out, cap, "%d %s", ns_get16(rd), name);
			return 0;
		case ns_t_srv:
			if (dn_expand(ans, end, rd + 6, name, sizeof(name)) < 0)
				return -1;
			snprintf(out, cap, "%d %d %d %s", ns_get16(rd),
				 ns_get16(rd + 2), ns_get16(rd + 4), name);
			return 0;
		case ns_t_txt:
			snprintf(out, cap, "%.*s", rd[0], (const char *)rd + 1);
			return 0;
		}
	}
	return -1;
}

static void check(const char *what, const unsigned char *ans, int n, int type,
		  const char *want)
{
	char got[1200], why[2600];

	if (n < 0) {
		snprintf(why, sizeof(why), "returned -1, h_errno %d (%s)",
			 h_errno, hstrerror(h_errno));
		bad(what, why);
		return;
	}
	if (first_rr(ans, n, type, got, sizeof(got)) < 0) {
		bad(what, "no record of the type in the answer");
		return;
	}
	if (strcmp(got, want) != 0) {
		snprintf(why, sizeof(why), "got '%s', want '%s'", got, want);
		bad(what, why);
		return;
	}
	ok(what, got);
}

static volatile sig_atomic_t got_signal;
static sem_t thread_note;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void on_thread(union sigval v)
{
	if (v.sival_int == 42)
		sem_post(&thread_note);
}

/* getaddrinfo_a in the three notification modes; the address must be a
 * fake one (not the target's, which only the proxy side knows). */
static void check_gai_a(const char *name)
{
	struct gaicb cb = {.ar_name = name}, *list[1] = {&cb};
	const struct gaicb *clist[1] = {&cb};
	struct sigevent sev;
	struct timespec ts;
	char buf[64];

	if (getaddrinfo_a(GAI_WAIT, list, 1, NULL) != 0 ||
	    gai_error(&cb) != 0 || cb.ar_result == NULL) {
		bad("getaddrinfo_a GAI_WAIT", gai_strerror(gai_error(&cb)));
		return;
	}
	inet_ntop(AF_INET,
		  &((struct sockaddr_in *)cb.ar_result->ai_addr)->sin_addr, buf,
		  sizeof(buf));
	if (cb.ar_result->ai_family != AF_INET ||
	    strcmp(buf, "203.0.113.2") == 0)
		bad("getaddrinfo_a GAI_WAIT", "not a fake address");
	else
		ok("getaddrinfo_a GAI_WAIT", buf);
	freeaddrinfo(cb.ar_result);
	if (gai_suspend(clist, 1, NULL) != 0 || gai_cancel(&cb) != EAI_ALLDONE)
		bad("gai_suspend/gai_cancel", "a done request is not done");
	else
		ok("gai_suspend/gai_cancel", "done");

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	signal(SIGUSR1, on_signal);
	cb.ar_result = NULL;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, &sev) != 0) {
		bad("getaddrinfo_a SIGEV_SIGNAL", "refused");
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		if (gai_suspend(clist, 1, NULL) != 0 || gai_error(&cb) != 0)
			bad("getaddrinfo_a SIGEV_SIGNAL", "lookup failed");
		else if (got_signal != SIGUSR1)
			bad("getaddrinfo_a SIGEV_SIGNAL", "no signal");
		else
			ok("getaddrinfo_a SIGEV_SIGNAL", "signalled");
		freeaddrinfo(cb.ar_result);
	}

	sem_init(&thread_note, 0, 0);
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_value.sival_int = 42;
	sev.sigev_notify_function = on_thread;
	cb.ar_result = NULL;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, &sev) != 0) {
		bad("getaddrinfo_a SIGEV_THREAD", "refused");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	if (sem_timedwait(&thread_note, &ts) != 0)
		bad("getaddrinfo_a SIGEV_THREAD", "no notification in 5 s");
	else if (gai_error(&cb) != 0)
		bad("getaddrinfo_a SIGEV_THREAD", "lookup failed");
	else
		ok("getaddrinfo_a SIGEV_THREAD", "notified");
	freeaddrinfo(cb.ar_result);
}

/* Reverse lookups: a fake address gives its name; a proxied one no PTR. */
static void check_reverse(const char *name, const char *proxied)
{
	struct addrinfo hints = {.ai_family = AF_INET}, *res = NULL;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	char host[NI_MAXHOST];
	int rc;

	if (getaddrinfo(name, NULL, &hints, &res) != 0) {
		bad("getnameinfo fake", "getaddrinfo failed");
	} else {
		rc = getnameinfo(res->ai_addr, res->ai_addrlen, host,
				 sizeof(host), NULL, 0, NI_NAMEREQD);
		if (rc != 0 || strcmp(host, name) != 0)
			bad("getnameinfo fake", rc ? gai_strerror(rc) : host);
		else
			ok("getnameinfo fake", host);
		freeaddrinfo(res);
	}
	inet_pton(AF_INET, proxied, &sin.sin_addr);
	rc = getnameinfo((struct sockaddr *)&sin, sizeof(sin), host,
			 sizeof(host), NULL, 0, NI_NAMEREQD);
	if (rc != EAI_NONAME)
		bad("getnameinfo proxied NI_NAMEREQD", gai_strerror(rc));
	else
		ok("getnameinfo proxied NI_NAMEREQD", "EAI_NONAME");
	rc = getnameinfo((struct sockaddr *)&sin, sizeof(sin), host,
			 sizeof(host), NULL, 0, 0);
	if (rc != 0 || strcmp(host, proxied) != 0)
		bad("getnameinfo proxied", rc ? gai_strerror(rc) : host);
	else
		ok("getnameinfo proxied", host);
	if (gethostbyaddr(&sin.sin_addr, 4, AF_INET) != NULL ||
	    h_errno != HOST_NOT_FOUND)
		bad("gethostbyaddr proxied", "not HOST_NOT_FOUND");
	else
		ok("gethostbyaddr proxied", "HOST_NOT_FOUND");
}

int main(int argc, char **argv)
{
	unsigned char ans[4096], q[512];
	char mx[300], srv[300], label[300];
	struct __res_state st;
	const char *name, *dot;
	int n, qlen;

	if (argc != 3) {
		fprintf(stderr, "usage: res_probe NAME PROXIED_ADDR\n");
		return 2;
	}
	name = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(mx, sizeof(mx), "10 mail.%s", name);
	snprintf(srv, sizeof(srv), "0 5 5060 sip.%s", name);

	n = res_query(name, ns_c_in, ns_t_mx, ans, sizeof(ans));
	check("res_query MX", ans, n, ns_t_mx, mx);
	n = res_search(name, ns_c_in, ns_t_txt, ans, sizeof(ans));
	check("res_search TXT", ans, n, ns_t_txt, "socksify-txt-ok");
	n = res_querydomain("_sip._tcp", name, ns_c_in, ns_t_srv, ans,
			    sizeof(ans));
	check("res_querydomain SRV", ans, n, ns_t_srv, srv);
	qlen = res_mkquery(ns_o_query, name, ns_c_in, ns_t_a, NULL, 0, NULL, q,
			   sizeof(q));
	n = qlen < 0 ? -1 : res_send(q, qlen, ans, sizeof(ans));
	check("res_send A", ans, n, ns_t_a, "203.0.113.2");

	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0) {
		bad("res_ninit", "failed");
	} else {
		n = res_nquery(&st, name, ns_c_in, ns_t_mx, ans, sizeof(ans));
		check("res_nquery MX", ans, n, ns_t_mx, mx);
		/* the first label alone, found through the search list */
		dot = strchr(name, '.');
		snprintf(label, sizeof(label), "%.*s",
			 dot ? (int)(dot - name) : (int)strlen(name), name);
		st.dnsrch[0] = dot ? (char *)dot + 1 : NULL;
		st.dnsrch[1] = NULL;
		n = res_nsearch(&st, label, ns_c_in, ns_t_txt, ans,
				sizeof(ans));
		check("res_nsearch TXT (search list)", ans, n, ns_t_txt,
		      "socksify-txt-ok");
		n = res_nquerydomain(&st, "_sip._tcp", name, ns_c_in, ns_t_srv,
				     ans, sizeof(ans));
		check("res_nquerydomain SRV", ans, n, ns_t_srv, srv);
		qlen = res_nmkquery(&st, ns_o_query, name, ns_c_in, ns_t_a,
				    NULL, 0, NULL, q, sizeof(q));
		n = qlen < 0 ? -1 : res_nsend(&st, q, qlen, ans, sizeof(ans));
		check("res_nsend A", ans, n, ns_t_a, "203.0.113.2");
		n = res_nquery(&st, "nx.invalid-socksify.test", ns_c_in, ns_t_a,
			       ans, sizeof(ans));
		if (n != -1 || st.res_h_errno != HOST_NOT_FOUND)
			bad("res_nquery NXDOMAIN", "not HOST_NOT_FOUND");
		else
			ok("res_nquery NXDOMAIN", "HOST_NOT_FOUND");
		res_nclose(&st);
	}
	check_gai_a(name);
	check_reverse(name, argv[2]);
	return failures ? 1 : 0;
}
