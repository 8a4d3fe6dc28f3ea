/* SPDX-License-Identifier: MIT */
/*
 * Lazy, thread-safe initialisation of the library: real symbols, the
 * environment (read only here, never in hooks), logging, the config.
 */
#ifndef SOCKSIFY_PRELOAD_INIT_H
#define SOCKSIFY_PRELOAD_INIT_H

#include <stdbool.h>

#include "conf/conf.h"
#include "conf/rules.h"

/* Idempotent; every hook calls it first (cheap after the first call). */
void socksify_init(void);

/*
 * The config: from SOCKS_PROXY (one-proxy mode, no file needed), else from
 * SOCKS_CONF or the default path.  Loaded once under pthread_once on first
 * need.  NULL when there is none or it is invalid: the error (file and
 * line) is logged once, and every routed call fails closed with EACCES.
 */
const struct conf *socksify_conf(void);

/*
 * Route a destination: fills the process facts of @q (program, uid, user,
 * local time) and calls rules_match().  With no usable config the answer
 * is RULE_DENY.  Logs a denial once per call with destination and reason.
 */
enum rule_action socksify_route(struct rule_query *q, struct rule_result *r);

/*
 * Use @c instead of the environment's config (tests/hooks only: the
 * in-process tests build one config per test).  NULL: back to normal.
 */
void socksify_conf_set(const struct conf *c);

/* The program's name for routes and logs ("" before the first query). */
const char *socksify_program(void);

/* Credentials from SOCKS_USERNAME / SOCKS_PASSWORD, read at init (or NULL). */
const char *socksify_env_username(void);
const char *socksify_env_password(void);

#endif
