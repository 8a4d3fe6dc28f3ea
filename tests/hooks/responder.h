/* SPDX-License-Identifier: MIT */
/*
 * A tiny scripted SOCKS responder for the in-process hook tests: a thread
 * listening on loopback port 0 that accepts one connection and plays a
 * script of steps (read exactly N bytes, send bytes, close, stay silent).
 * Everything it received is kept for assertions.
 */
#ifndef SOCKSIFY_TESTS_HOOKS_RESPONDER_H
#define SOCKSIFY_TESTS_HOOKS_RESPONDER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum resp_op {
	RESP_END = 0,  /* close the connection */
	RESP_READ,     /* read exactly len bytes */
	RESP_SEND,     /* send len bytes of data */
	RESP_SILENT,   /* say nothing until the client closes */
	RESP_READ_ALL, /* read until the client closes */
	RESP_GATE      /* wait until the test calls resp_open_gate() */
};

struct resp_step {
	enum resp_op op;
	size_t len;
	const uint8_t *data;
};

#define RESP_MAX_STEPS 16
#define RESP_BUF 4096

struct responder {
	int lfd;
	int family;
	uint16_t port;
	pthread_t tid;
	struct resp_step steps[RESP_MAX_STEPS];
	uint8_t got[RESP_BUF];
	size_t ngot;
	int accepted;
	int gate[2]; /* pipe: RESP_GATE waits for a byte */
	int failed_step; /* -1: script played to the end */
};

/*
 * Listen on 127.0.0.1 (@family AF_INET) or ::1 (AF_INET6), port 0, and
 * start the thread with the RESP_END-terminated @steps.  Returns 0, or -1
 * (e.g. no IPv6 loopback).
 */
int resp_start(struct responder *r, int family, const struct resp_step *steps);
/* Let a RESP_GATE step go on. */
void resp_open_gate(struct responder *r);
/* Wait for the thread to finish its script. */
void resp_join(struct responder *r);

#endif
