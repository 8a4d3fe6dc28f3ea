// SPDX-License-Identifier: MIT
/*
 * The SOCKS handshake state machine (see session.h).  Pure: bytes in,
 * bytes and actions out.  Each state parses with the shared codec, which
 * returns 0 ("need more") until a whole message is buffered, so a message
 * split over many reads and several messages in one read give the same
 * outcome.
 */
#include "config.h"

#include <string.h>

#include "common/log.h"
#include "server/session.h"

static const char *const state_names[SESS_ST_COUNT] = {
	[SESS_ST_START] = "START",
	[SESS_ST_V4_REQUEST] = "V4_REQUEST",
	[SESS_ST_V5_GREETING] = "V5_GREETING",
	[SESS_ST_V5_AUTH] = "V5_AUTH",
	[SESS_ST_AUTH_CHECK] = "AUTH_CHECK",
	[SESS_ST_V5_REQUEST] = "V5_REQUEST",
	[SESS_ST_REQUEST_DONE] = "REQUEST_DONE",
	[SESS_ST_BIND_WAIT] = "BIND_WAIT",
	[SESS_ST_ESTABLISHED] = "ESTABLISHED",
	[SESS_ST_UDP] = "UDP",
	[SESS_ST_FAILED] = "FAILED",
};

const char *sess_state_name(enum sess_state st)
{
	if ((unsigned)st >= SESS_ST_COUNT)
		return "?";
	return state_names[st];
}

const char *sess_cmd_name(int cmd)
{
	switch (cmd) {
	case SESS_CMD_CONNECT:
		return "connect";
	case SESS_CMD_BIND:
		return "bind";
	case SESS_CMD_UDP:
		return "udp";
	default:
		return "none";
	}
}

/*
 * Short, log-friendly names of the REP codes.  socks5_rep_name() gives the
 * RFC's prose ("connection not allowed by ruleset"); the session line uses
 * one token per result so that it stays "key=value" parseable.
 */
static const char *const rep_short[] = {
	[SOCKS5_REP_SUCCEEDED] = "succeeded",
	[SOCKS5_REP_GENERAL_FAILURE] = "general-failure",
	[SOCKS5_REP_NOT_ALLOWED] = "not-allowed",
	[SOCKS5_REP_NETWORK_UNREACHABLE] = "network-unreachable",
	[SOCKS5_REP_HOST_UNREACHABLE] = "host-unreachable",
	[SOCKS5_REP_CONNECTION_REFUSED] = "connection-refused",
	[SOCKS5_REP_TTL_EXPIRED] = "ttl-expired",
	[SOCKS5_REP_COMMAND_NOT_SUPPORTED] = "command-not-supported",
	[SOCKS5_REP_ADDRESS_TYPE_NOT_SUPPORTED] = "address-type-not-supported",
};

const char *sess_result_name(int result, char *buf, size_t cap)
{
	const char *name;
	size_t i;

	switch (result) {
	case SESS_RES_NONE:
		return "-";
	case SESS_RES_PROTOCOL:
		return "protocol-error";
	case SESS_RES_AUTH_FAILED:
	case SESS_RES_NO_METHOD: /* 05 FF: no way to authenticate */
		return "auth-failed";
	case SESS_RES_TIMEOUT:
		return "handshake-timeout";
	default:
		break;
	}
	if (result >= 0 &&
	    (size_t)result < sizeof(rep_short) / sizeof(rep_short[0]))
		return rep_short[result];
	/* Unassigned codes: the codec's name, spaces as '-'. */
	name = socks5_rep_name((uint8_t)result);
	for (i = 0; name[i] && i + 1 < cap; i++)
		buf[i] = name[i] == ' ' ? '-' : name[i];
	buf[i] = '\0';
	return buf;
}

/* The one place the state changes. */
static void sess_set_state(struct sess *s, enum sess_state st)
{
	LOG_TRACE("%s -> %s", sess_state_name(s->state), sess_state_name(st));
	s->state = st;
}

void sess_init(struct sess *s, const struct sess_policy *pol)
{
	memset(s, 0, offsetof(struct sess, in));
	s->pol = pol;
	s->result = SESS_RES_NONE;
	s->state = SESS_ST_START;
}

static void consume(struct sess *s, size_t n)
{
	memmove(s->in, s->in + n, s->inlen - n);
	s->inlen -= n;
}

/* Queue output; the buffer is sized for every sequence we can produce. */
static void emit(struct sess *s, const uint8_t *p, size_t n)
{
	if (n > SESS_OUT_MAX - s->outlen)
		n = SESS_OUT_MAX - s->outlen;
	memcpy(s->out + s->outlen, p, n);
	s->outlen += n;
}

/* Encode a SOCKS4 reply for @rep into the output. */
static void emit_v4_reply(struct sess *s, uint8_t rep,
			  const struct socks_addr *bnd)
{
	struct socks4_reply r;
	uint8_t buf[SOCKS4_REPLY_LEN];
	ssize_t n;

	memset(&r, 0, sizeof(r));
	r.cd = rep == SOCKS5_REP_SUCCEEDED ? SOCKS4_CD_GRANTED
					   : SOCKS4_CD_REJECTED;
	if (bnd && bnd->type == SOCKS5_ATYP_IPV4) {
		r.port = bnd->port;
		memcpy(r.ip, bnd->u.ip4, 4);
	}
	n = socks4_reply_encode(buf, sizeof(buf), &r);
	if (n > 0)
		emit(s, buf, (size_t)n);
}

static void emit_v5_reply(struct sess *s, uint8_t rep,
			  const struct socks_addr *bnd)
{
	struct socks5_reply r;
	uint8_t buf[SOCKS5_REQUEST_MAX];
	ssize_t n;

	memset(&r, 0, sizeof(r));
	r.rep = rep;
	if (bnd)
		r.bnd = *bnd;
	if (r.bnd.type == 0)
		socks_addr_set_ip4(&r.bnd, (const uint8_t[4]){0}, 0);
	n = socks5_reply_encode(buf, sizeof(buf), &r);
	if (n > 0)
		emit(s, buf, (size_t)n);
}

/* A failure reply in the client's version, then close. */
static enum sess_action fail(struct sess *s, uint8_t rep, int result)
{
	if (s->ver == SOCKS4_VERSION)
		emit_v4_reply(s, rep, NULL);
	else if (s->ver == SOCKS5_VERSION)
		emit_v5_reply(s, rep, NULL);
	s->result = result;
	sess_set_state(s, SESS_ST_FAILED);
	return SESS_ACT_CLOSE;
}

/* Close without a reply (we cannot speak the client's protocol). */
static enum sess_action drop(struct sess *s, int result)
{
	s->result = result;
	sess_set_state(s, SESS_ST_FAILED);
	return SESS_ACT_CLOSE;
}

static enum sess_action parse_start(struct sess *s)
{
	uint8_t b = s->in[0];

	if (b == SOCKS4_VERSION) {
		s->ver = SOCKS4_VERSION;
		sess_set_state(s, SESS_ST_V4_REQUEST);
		return SESS_ACT_NONE;
	}
	if (b == SOCKS5_VERSION) {
		s->ver = SOCKS5_VERSION;
		sess_set_state(s, SESS_ST_V5_GREETING);
		return SESS_ACT_NONE;
	}
	/* Not SOCKS (HTTP, TLS, ...): close without a word. */
	return drop(s, SESS_RES_PROTOCOL);
}

static enum sess_action parse_v4(struct sess *s)
{
	struct socks4_request r;
	ssize_t n = socks4_request_decode(s->in, s->inlen, &r);

	if (n == 0)
		return SESS_ACT_NONE;
	if (n < 0 && s->inlen >= 2)
		s->cmd = s->in[1] == SOCKS4_CMD_BIND	  ? SESS_CMD_BIND
			 : s->in[1] == SOCKS4_CMD_CONNECT ? SESS_CMD_CONNECT
							  : SESS_CMD_NONE;
	if (n == PROTO_E_CMD)
		return fail(s, SOCKS5_REP_COMMAND_NOT_SUPPORTED,
			    SOCKS5_REP_COMMAND_NOT_SUPPORTED);
	if (n == PROTO_E_NAME)
		return fail(s, SOCKS5_REP_HOST_UNREACHABLE,
			    SOCKS5_REP_HOST_UNREACHABLE);
	if (n < 0)
		return fail(s, SOCKS5_REP_GENERAL_FAILURE, SESS_RES_PROTOCOL);
	consume(s, (size_t)n);
	s->raw_cmd = r.cmd;
	s->cmd = r.cmd == SOCKS4_CMD_BIND ? SESS_CMD_BIND : SESS_CMD_CONNECT;
	s->dst = r.dst;
	sess_set_state(s, SESS_ST_REQUEST_DONE);
	return SESS_ACT_REQUEST;
}

static enum sess_action parse_greeting(struct sess *s)
{
	struct socks5_greeting g;
	ssize_t n = socks5_greeting_decode(s->in, s->inlen, &g);
	uint8_t sel[2];
	unsigned i, j;

	if (n == 0)
		return SESS_ACT_NONE;
	if (n < 0) {
		socks5_method_encode(sel, 2, SOCKS5_METHOD_NO_ACCEPTABLE);
		emit(s, sel, 2);
		return drop(s, SESS_RES_PROTOCOL);
	}
	consume(s, (size_t)n);
	for (i = 0; i < s->pol->nmethods; i++)
		for (j = 0; j < g.nmethods; j++)
			if (g.methods[j] == s->pol->methods[i])
				goto found;
	socks5_method_encode(sel, 2, SOCKS5_METHOD_NO_ACCEPTABLE);
	emit(s, sel, 2);
	return drop(s, SESS_RES_NO_METHOD);
found:
	s->method = s->pol->methods[i];
	socks5_method_encode(sel, 2, s->method);
	emit(s, sel, 2);
	sess_set_state(s, s->method == SOCKS5_METHOD_USERNAME
				  ? SESS_ST_V5_AUTH
				  : SESS_ST_V5_REQUEST);
	return SESS_ACT_NONE;
}

static enum sess_action parse_auth(struct sess *s)
{
	ssize_t n = auth1929_request_decode(s->in, s->inlen, &s->auth);
	uint8_t rep[2];

	if (n == 0)
		return SESS_ACT_NONE;
	if (n < 0) {
		memset(&s->auth, 0, sizeof(s->auth));
		auth1929_reply_encode(rep, 2, AUTH1929_STATUS_FAILURE);
		emit(s, rep, 2);
		/* VER 5 (a known client bug), ULEN 0: refused alike. */
		return drop(s, SESS_RES_AUTH_FAILED);
	}
	/* The password leaves the input buffer now. */
	memset(s->in, 0, (size_t)n);
	consume(s, (size_t)n);
	sess_set_state(s, SESS_ST_AUTH_CHECK);
	return SESS_ACT_AUTH;
}

/* The command byte of a request the codec rejected, for the log. */
static uint8_t cmd_of(uint8_t b)
{
	return b >= SESS_CMD_CONNECT && b <= SESS_CMD_UDP ? b : SESS_CMD_NONE;
}

static enum sess_action parse_request(struct sess *s)
{
	struct socks5_request r;
	ssize_t n = socks5_request_decode(s->in, s->inlen, &r);

	if (n == 0)
		return SESS_ACT_NONE;
	if (n < 0 && s->inlen >= 2)
		s->cmd = cmd_of(s->in[1]);
	switch (n) {
	case PROTO_E_CMD:
		s->raw_cmd = r.cmd;
		return fail(s, SOCKS5_REP_COMMAND_NOT_SUPPORTED,
			    SOCKS5_REP_COMMAND_NOT_SUPPORTED);
	case PROTO_E_ATYP:
		return fail(s, SOCKS5_REP_ADDRESS_TYPE_NOT_SUPPORTED,
			    SOCKS5_REP_ADDRESS_TYPE_NOT_SUPPORTED);
	case PROTO_E_NAME:
		return fail(s, SOCKS5_REP_HOST_UNREACHABLE,
			    SOCKS5_REP_HOST_UNREACHABLE);
	default:
		if (n < 0)
			return fail(s, SOCKS5_REP_GENERAL_FAILURE,
				    SESS_RES_PROTOCOL);
	}
	consume(s, (size_t)n);
	s->raw_cmd = r.cmd;
	s->cmd = r.cmd == SOCKS5_CMD_CONNECT ? SESS_CMD_CONNECT
		 : r.cmd == SOCKS5_CMD_BIND  ? SESS_CMD_BIND
					     : SESS_CMD_UDP;
	s->dst = r.dst;
	sess_set_state(s, SESS_ST_REQUEST_DONE);
	return SESS_ACT_REQUEST;
}

/* Parse buffered input as far as the current state allows. */
static enum sess_action process(struct sess *s)
{
	enum sess_action act = SESS_ACT_NONE;
	enum sess_state before;

	do {
		before = s->state;
		if (s->inlen == 0)
			return SESS_ACT_NONE;
		switch (s->state) {
		case SESS_ST_START:
			act = parse_start(s);
			break;
		case SESS_ST_V4_REQUEST:
			act = parse_v4(s);
			break;
		case SESS_ST_V5_GREETING:
			act = parse_greeting(s);
			break;
		case SESS_ST_V5_AUTH:
			act = parse_auth(s);
			break;
		case SESS_ST_V5_REQUEST:
			act = parse_request(s);
			break;
		default:
			return SESS_ACT_NONE;
		}
		/* A message that cannot fit is malformed. */
		if (act == SESS_ACT_NONE && s->state == before &&
		    s->inlen == SESS_IN_MAX)
			return fail(s, SOCKS5_REP_GENERAL_FAILURE,
				    SESS_RES_PROTOCOL);
	} while (act == SESS_ACT_NONE && s->state != before);
	return act;
}

size_t sess_room(const struct sess *s)
{
	switch (s->state) {
	case SESS_ST_START:
	case SESS_ST_V4_REQUEST:
	case SESS_ST_V5_GREETING:
	case SESS_ST_V5_AUTH:
	case SESS_ST_AUTH_CHECK:
	case SESS_ST_V5_REQUEST:
		return SESS_IN_MAX - s->inlen;
	default:
		return 0;
	}
}

enum sess_action sess_feed(struct sess *s, const uint8_t *in, size_t len,
			   size_t *used)
{
	size_t take = sess_room(s);

	if (take > len)
		take = len;
	if (take)
		memcpy(s->in + s->inlen, in, take);
	s->inlen += take;
	if (used)
		*used = take;
	return process(s);
}

const struct auth1929_request *sess_auth(const struct sess *s)
{
	return &s->auth;
}

enum sess_action sess_auth_done(struct sess *s, bool ok)
{
	uint8_t rep[2];

	if (s->state != SESS_ST_AUTH_CHECK)
		return drop(s, SESS_RES_PROTOCOL);
	auth1929_reply_encode(
		rep, 2, ok ? AUTH1929_STATUS_SUCCESS : AUTH1929_STATUS_FAILURE);
	emit(s, rep, 2);
	/* Keep the user name for logs and rules; wipe the password. */
	memset(s->auth.passwd, 0, sizeof(s->auth.passwd));
	s->auth.plen = 0;
	if (!ok) {
		memset(&s->auth, 0, sizeof(s->auth));
		return drop(s, SESS_RES_AUTH_FAILED);
	}
	s->has_user = true;
	sess_set_state(s, SESS_ST_V5_REQUEST);
	return process(s);
}

enum sess_action sess_reply(struct sess *s, uint8_t rep,
			    const struct socks_addr *bnd)
{
	bool second = s->state == SESS_ST_BIND_WAIT;

	if (s->state != SESS_ST_REQUEST_DONE && !second)
		return drop(s, SESS_RES_PROTOCOL);
	if (s->ver == SOCKS4_VERSION)
		emit_v4_reply(s, rep, bnd);
	else
		emit_v5_reply(s, rep, bnd);
	s->result = rep;
	if (rep != SOCKS5_REP_SUCCEEDED) {
		sess_set_state(s, SESS_ST_FAILED);
		return SESS_ACT_CLOSE;
	}
	if (s->cmd == SESS_CMD_BIND && !second) {
		s->result = SESS_RES_NONE;
		sess_set_state(s, SESS_ST_BIND_WAIT);
		return SESS_ACT_NONE;
	}
	if (s->cmd == SESS_CMD_UDP) {
		sess_set_state(s, SESS_ST_UDP);
		return SESS_ACT_UDP;
	}
	sess_set_state(s, SESS_ST_ESTABLISHED);
	return SESS_ACT_RELAY;
}

enum sess_action sess_timeout(struct sess *s)
{
	memset(&s->auth, 0, sizeof(s->auth));
	return drop(s, SESS_RES_TIMEOUT);
}

enum sess_action sess_eof(struct sess *s)
{
	memset(&s->auth, 0, sizeof(s->auth));
	return drop(s,
		    s->result == SESS_RES_NONE ? SESS_RES_PROTOCOL : s->result);
}

const uint8_t *sess_early(const struct sess *s, size_t *len)
{
	*len = s->inlen;
	return s->in;
}

const uint8_t *sess_output(const struct sess *s, size_t *len)
{
	*len = s->outlen;
	return s->out;
}

void sess_sent(struct sess *s, size_t n)
{
	if (n > s->outlen)
		n = s->outlen;
	memmove(s->out, s->out + n, s->outlen - n);
	s->outlen -= n;
}
