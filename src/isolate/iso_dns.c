// SPDX-License-Identifier: MIT
/*
 * DNS answers from the fake table (iso_dns.h).  The answer repeats the
 * query's header and question (RFC 1035 4.1.1) with QR and RA set, and
 * carries at most one record whose owner is a pointer to the question
 * name (0xC00C).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "isolate/iso.h"
#include "isolate/iso_dns.h"
#include "preload/fakedns.h"
#include "proto/dns.h"

#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5
#define ISO_DNS_TTL 60

/* Append one answer record of @type with @rdata (@rlen bytes) at @o. */
static size_t dns_put_rr(uint8_t *o, uint16_t type, const uint8_t *rdata,
			 size_t rlen)
{
	o[0] = 0xc0;
	o[1] = 0x0c;
	o[2] = (uint8_t)(type >> 8);
	o[3] = (uint8_t)type;
	o[4] = 0;
	o[5] = DNS_CLASS_IN;
	o[6] = o[7] = o[8] = 0;
	o[9] = ISO_DNS_TTL;
	o[10] = 0;
	o[11] = (uint8_t)rlen;
	memcpy(o + 12, rdata, rlen);
	return 12 + rlen;
}

/* May @name be answered (its route goes via a proxy, or localhost)?
 * 0 or -EACCES (direct or denied: REFUSED). */
static int dns_route(const char *name)
{
	struct rule_result r;

	if (strcasecmp(name, "localhost") == 0)
		return 0;
	if (iso_route(NULL, name, 0, &r) != RULE_PROXY) {
		if (r.action == RULE_DIRECT)
			LOG_USER("%.253s: the route says direct, and there "
				 "is no direct path inside isolation: refused",
				 name);
		return -EACCES;
	}
	return 0;
}

/*
 * The address to answer for @name in @family: loopback for localhost,
 * else the fake address when the name's route goes via a proxy.  Returns
 * 0, or -EACCES (direct or denied: REFUSED), -errno from the table.
 */
static int dns_address(const char *name, int family, struct net_ip *ip)
{
	int rc = dns_route(name);

	if (rc < 0)
		return rc;
	if (strcasecmp(name, "localhost") == 0) {
		return net_ip_parse(family == AF_INET ? "127.0.0.1" : "::1",
				    ip) < 0
			       ? -EINVAL
			       : 0;
	}
	return fakedns_assign(name, family, ip);
}

/* Contract: iso_dns.h. */
int iso_dns_answer(const uint8_t *q, size_t qlen, uint8_t *out, size_t cap)
{
	struct dns_question dq;
	struct net_ip ip;
	uint8_t rcode = DNS_RCODE_NOERROR;
	size_t n, an = 0;
	int qend, rc, fam = 0;

	qend = dns_question_decode(q, qlen, &dq);
	if (qend < 0 || (q[2] & 0x80) || dq.name[0] == '\0' ||
	    (size_t)qend + 28 > cap)
		return -EINVAL;
	memcpy(out, q, (size_t)qend);
	n = (size_t)qend;
	if (dq.qclass == DNS_CLASS_IN && dq.qtype == DNS_TYPE_A)
		fam = AF_INET;
	else if (dq.qclass == DNS_CLASS_IN && dq.qtype == DNS_TYPE_AAAA)
		fam = AF_INET6;
	/* Other types: no record, and no fake address spent on them.
	 * An opcode other than QUERY (NOTIFY, UPDATE): not implemented. */
	if ((q[2] >> 3 & 0x0f) != 0)
		rc = -ENOSYS, fam = 0;
	else
		rc = fam ? dns_address(dq.name, fam, &ip) : dns_route(dq.name);
	if (rc == -ENOSYS)
		rcode = DNS_RCODE_NOTIMP;
	else if (rc == -EACCES)
		rcode = DNS_RCODE_REFUSED;
	else if (rc < 0)
		rcode = DNS_RCODE_SERVFAIL;
	else if (fam) {
		n += dns_put_rr(out + n, (uint16_t)dq.qtype, ip.b,
				fam == AF_INET ? 4 : 16);
		an = 1;
	}
	LOG_DBG("dns: %.253s type %u: rcode %u, %zu answer(s)", dq.name,
		dq.qtype, rcode, an);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, opcode, RD */
	out[3] = (uint8_t)(0x80 | rcode);	  /* RA */
	out[4] = 0;
	out[5] = 1;
	out[6] = 0;
	out[7] = (uint8_t)an;
	memset(out + 8, 0, 4);
	return (int)n;
}
