/* SPDX-License-Identifier: MIT */
/*
 * The little of DNS (RFC 1035) the library needs to carry a query through
 * a proxy: the question of a query, a query for one name, the answer's
 * status, the two-byte length prefix of DNS over TCP (RFC 1035 4.2.2,
 * RFC 7766), and the first nameserver of a resolv.conf text.  Pure: no
 * I/O, no allocation, no globals.  Result codes: proto/error.h.
 */
#ifndef SOCKSIFY_PROTO_DNS_H
#define SOCKSIFY_PROTO_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX 253 /* text form without the trailing dot */
#define DNS_LABEL_MAX 63
#define DNS_MSG_MAX 65535 /* what a TCP length prefix can carry */
#define DNS_TCP_PREFIX_LEN 2
#define DNS_CLASS_IN 1
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3

/* What an answer says (dns_answer_status). */
enum dns_status {
	DNS_ST_ANSWER = 0, /* NOERROR with at least one answer record */
	DNS_ST_NODATA,	   /* NOERROR, no answer record */
	DNS_ST_NXDOMAIN,   /* the name does not exist */
	DNS_ST_SERVFAIL,   /* try again later */
	DNS_ST_REFUSED	   /* any other RCODE (REFUSED, FORMERR, ...) */
};

/* The question of a query. */
struct dns_question {
	char name[DNS_NAME_MAX + 1]; /* text form, no trailing dot; "" = root */
	uint16_t qtype, qclass;
};

/*
 * Decode the header and the first question of the message @msg (@len
 * bytes).  Returns the bytes up to the end of that question, or
 * PROTO_E_TRUNCATED (shorter than its header and question), PROTO_E_INVAL
 * (QDCOUNT is 0, or a compression pointer in the question), PROTO_E_NAME
 * (a label with a dot, a NUL or a byte outside printable ASCII, or a name
 * longer than DNS_NAME_MAX).  @q is zeroed first, filled on success.
 */
int dns_question_decode(const uint8_t *msg, size_t len, struct dns_question *q);

/*
 * Encode a query (RD set, one question) for @name (a trailing dot is
 * allowed) with @id, @qclass, @qtype into @buf.  Returns its length, or
 * PROTO_E_INVAL (empty label, label > 63, name > 253, non-printable
 * byte), PROTO_E_NOSPACE.
 */
int dns_query_encode(uint8_t *buf, size_t cap, uint16_t id, const char *name,
		     uint16_t qclass, uint16_t qtype);

/* The ID of message @msg (at least DNS_HEADER_LEN bytes). */
uint16_t dns_id(const uint8_t *msg);

/*
 * The status of the answer @msg (@len bytes).  Returns a dns_status or
 * PROTO_E_TRUNCATED (shorter than a header), PROTO_E_INVAL (not a
 * response: QR clear).
 */
int dns_answer_status(const uint8_t *msg, size_t len);

/*
 * RFC 7766 framing: the two-byte length (MSB first) of a @len-byte
 * message into @out.  Returns DNS_TCP_PREFIX_LEN or PROTO_E_INVAL (@len 0
 * or > DNS_MSG_MAX).
 */
int dns_tcp_prefix_encode(uint8_t out[DNS_TCP_PREFIX_LEN], size_t len);

/* The message length a two-byte prefix announces. */
size_t dns_tcp_prefix_decode(const uint8_t in[DNS_TCP_PREFIX_LEN]);

/*
 * The address of the first "nameserver" line of the resolv.conf text
 * @text (@len bytes; comments start with '#' or ';') into @out.  Returns
 * its length, 0 when there is none, PROTO_E_NOSPACE when it does not fit.
 */
int dns_resolvconf_nameserver(const char *text, size_t len, char *out,
			      size_t cap);

#endif
