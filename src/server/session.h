/* SPDX-License-Identifier: MIT */
/*
 * One client's SOCKS handshake as a pure state machine: it is fed whatever
 * recv() returned (a message split over many reads, or greeting, auth,
 * request and early data in one), and it produces reply bytes and actions
 * for the driver (conn.c).  No I/O, no clock, no allocation.
 *
 *   START --4--> V4_REQUEST ------------------------------+
 *     |                                                   v
 *     +--5--> V5_GREETING --> V5_AUTH --> AUTH_CHECK --> V5_REQUEST
 *                  |  (method 00) ------------------------^   |
 *                  v                                          v
 *               FAILED <---- any failure reply ------- REQUEST_DONE
 *                                                     |     |     |
 *                                         ESTABLISHED <+ BIND_WAIT UDP
 *
 * Every transition goes through sess_set_state().
 */
#ifndef SOCKSIFY_SERVER_SESSION_H
#define SOCKSIFY_SERVER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

enum sess_state {
	SESS_ST_START,	      /* nothing parsed: the first byte picks 4 or 5 */
	SESS_ST_V4_REQUEST,   /* SOCKS4/4A request */
	SESS_ST_V5_GREETING,  /* VER NMETHODS METHODS */
	SESS_ST_V5_AUTH,      /* RFC 1929 request expected */
	SESS_ST_AUTH_CHECK,   /* credentials handed to the driver */
	SESS_ST_V5_REQUEST,   /* VER CMD RSV ATYP ADDR PORT */
	SESS_ST_REQUEST_DONE, /* request handed to the driver */
	SESS_ST_BIND_WAIT,    /* first BIND reply sent, peer awaited */
	SESS_ST_ESTABLISHED,  /* final success reply: relay */
	SESS_ST_UDP,	      /* UDP association up */
	SESS_ST_FAILED,	      /* final reply queued: flush and close */
	SESS_ST_COUNT
};

enum sess_action {
	SESS_ACT_NONE,	  /* need more input; flush pending output */
	SESS_ACT_AUTH,	  /* verify sess_auth(); then sess_auth_done() */
	SESS_ACT_REQUEST, /* act on ver/cmd/dst; then sess_reply() */
	SESS_ACT_RELAY,	  /* flush output, then relay (early data pending) */
	SESS_ACT_UDP,	  /* flush output; association established */
	SESS_ACT_CLOSE	  /* flush output, then close */
};

/* Commands, version independent. */
enum sess_cmd {
	SESS_CMD_NONE = 0,
	SESS_CMD_CONNECT = 1,
	SESS_CMD_BIND = 2,
	SESS_CMD_UDP = 3
};

/*
 * Results for the session log line: a SOCKS5 REP code (0..255) or one of
 * these, all negative.
 */
enum sess_result {
	SESS_RES_NONE = -1,	   /* still running */
	SESS_RES_PROTOCOL = -2,	   /* malformed input, or hung up early */
	SESS_RES_AUTH_FAILED = -3, /* RFC 1929 failure */
	SESS_RES_NO_METHOD = -4,   /* 05 FF sent */
	SESS_RES_TIMEOUT = -5	   /* handshake timeout */
};

/* Methods the server accepts, in its order of preference. */
struct sess_policy {
	uint8_t methods[4]; /* SOCKS5_METHOD_NONE / _USERNAME */
	uint8_t nmethods;
};

#define SESS_IN_MAX 1024 /* > greeting + RFC 1929 + request (778) */
#define SESS_OUT_MAX 1024

struct sess {
	enum sess_state state;
	const struct sess_policy *pol;
	uint8_t ver;	 /* 4 or 5; 0 until known */
	uint8_t cmd;	 /* enum sess_cmd */
	uint8_t raw_cmd; /* CMD/CD byte as received */
	uint8_t method;	 /* chosen SOCKS5 method */
	int result;	 /* enum sess_result or a REP code */
	bool has_user;	 /* RFC 1929 succeeded */
	struct socks_addr dst;
	struct auth1929_request auth; /* wiped after sess_auth_done() */
	size_t inlen;
	size_t outlen;
	uint8_t in[SESS_IN_MAX];
	uint8_t out[SESS_OUT_MAX];
};

void sess_init(struct sess *s, const struct sess_policy *pol);

/*
 * Feed @len bytes.  At most the free input space is taken; *@used says how
 * many (the caller feeds the rest later; a caller reading from a socket
 * asks sess_room() first).  Input is parsed only in states that expect it;
 * anything after the request stays buffered as early data.
 */
enum sess_action sess_feed(struct sess *s, const uint8_t *in, size_t len,
			   size_t *used);
/* Free input space; 0 while the driver works on the last message. */
size_t sess_room(const struct sess *s);

/* The RFC 1929 credentials to check (valid after SESS_ACT_AUTH). */
const struct auth1929_request *sess_auth(const struct sess *s);
/*
 * Verdict on the credentials.  Wipes them, queues 01 00 or 01 01, and
 * continues with buffered input (a pipelined request gives
 * SESS_ACT_REQUEST straight away).
 */
enum sess_action sess_auth_done(struct sess *s, bool ok);

/*
 * The driver's answer to SESS_ACT_REQUEST, or the second BIND reply.
 * @rep is a SOCKS5 REP code (mapped to CD 90/91 for SOCKS4); @bnd the
 * reply address (NULL: 0.0.0.0:0).  Returns:
 *   failure            -> SESS_ACT_CLOSE
 *   CONNECT success    -> SESS_ACT_RELAY
 *   BIND first reply   -> SESS_ACT_NONE (state BIND_WAIT)
 *   BIND second reply  -> SESS_ACT_RELAY
 *   UDP success        -> SESS_ACT_UDP
 */
enum sess_action sess_reply(struct sess *s, uint8_t rep,
			    const struct socks_addr *bnd);

/* Handshake deadline passed: no reply, close. */
enum sess_action sess_timeout(struct sess *s);
/* The client hung up (EOF) before the handshake finished. */
enum sess_action sess_eof(struct sess *s);

/* Buffered input after the request: data for the target. */
const uint8_t *sess_early(const struct sess *s, size_t *len);
/* Output to send; sess_sent() drops @n sent bytes. */
const uint8_t *sess_output(const struct sess *s, size_t *len);
void sess_sent(struct sess *s, size_t n);

const char *sess_state_name(enum sess_state st);
const char *sess_cmd_name(int cmd);
/* Result for logs: "succeeded", "host-unreachable", "auth-failed", ... */
const char *sess_result_name(int result, char *buf, size_t cap);

#endif
