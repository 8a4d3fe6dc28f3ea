/* SPDX-License-Identifier: MIT */
/*
 * The client configuration (socks.conf, SPEC section 3), parsed once with
 * libconfuse and compiled into this immutable structure.  After conf_load*()
 * returns, nothing in it changes; readers need no lock.
 */
#ifndef SOCKSIFY_CONF_CONF_H
#define SOCKSIFY_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/net.h"

#define CONF_NAME_MAX 63
#define CONF_VIA_MAX 8
#define CONF_METHODS_MAX 4
#define CONF_ERR_MAX 512

enum conf_resolve { CONF_RESOLVE_REMOTE = 0, CONF_RESOLVE_LOCAL = 1 };

/* Command bits used in routes and rule queries. */
enum conf_cmd {
	CONF_CMD_CONNECT = 1 << 0,
	CONF_CMD_BIND = 1 << 1,
	CONF_CMD_UDP = 1 << 2,
	CONF_CMD_ALL = 7
};

struct conf_proxy {
	char name[CONF_NAME_MAX + 1];
	struct net_proxy_url url;
	/* Effective credentials: config keys override the URL's. */
	bool has_user, has_pass;
	char username[256];
	char password[256];
	uint8_t methods[CONF_METHODS_MAX]; /* SOCKS5_METHOD_*, offered in order */
	uint8_t nmethods;
	char gssapi_service[CONF_NAME_MAX + 1];
};

enum conf_target_kind { CONF_TARGET_CIDR, CONF_TARGET_GLOB };
struct conf_target {
	enum conf_target_kind kind;
	struct net_cidr cidr;
	char glob[NET_HOST_MAX + 1];
};

struct conf_user {
	bool is_uid;
	uid_t uid;
	char name[CONF_NAME_MAX + 1];
};

/* A time window: days bit 0 = Sunday .. bit 6 = Saturday; minutes of day.
 * If end < start the window wraps past midnight. */
struct conf_time {
	uint8_t days;
	uint16_t start, end; /* [start, end) in minutes */
};

enum conf_via { CONF_VIA_DIRECT, CONF_VIA_DENY, CONF_VIA_PROXY };

struct conf_route {
	int line;                  /* line in the file, for logs */
	struct conf_target *to;    /* empty = any destination */
	size_t nto;
	struct net_ports ports;    /* n = 0: any */
	unsigned commands;         /* CONF_CMD_* bits */
	char program[NET_HOST_MAX + 1]; /* "" = any */
	struct conf_user *users;
	size_t nusers;             /* 0 = any */
	struct conf_time *times;
	size_t ntimes;             /* 0 = always */
	enum conf_via via;
	const struct conf_proxy *proxies[CONF_VIA_MAX];
	size_t nproxies;
};

struct conf {
	char path[256];
	int debug;
	char log[256];
	enum conf_resolve resolve;
	struct net_cidr fake_network;
	struct net_cidr fake_network6;
	int timeout; /* seconds */
	struct conf_proxy *proxies;
	size_t nproxies;
	struct conf_route *routes;
	size_t nroutes;
};

/* Defaults used when the file does not set them. */
#define CONF_DEFAULT_FAKE_NETWORK "198.18.0.0/15"
#define CONF_DEFAULT_FAKE_NETWORK6 "fd53:6f63:6b73::/64" /* "Socks" ULA */
#define CONF_DEFAULT_TIMEOUT 10

/*
 * Parse @path.  On success *@out is a new immutable config; on failure
 * returns -1 and @err holds "FILE:LINE: what was expected" (no partial
 * result).  Allocates; call once.
 */
int conf_load_file(const char *path, struct conf **out, char *err,
		   size_t errlen);
/* Same for an in-memory text; @name stands for the file name in errors. */
int conf_load_buf(const char *text, const char *name, struct conf **out,
		  char *err, size_t errlen);
/*
 * A one-proxy config for -p / SOCKS_PROXY: loopback direct, everything else
 * via @url; resolve is remote for socks4a/socks5h and local otherwise.
 */
int conf_from_url(const char *url, struct conf **out, char *err,
		  size_t errlen);
void conf_free(struct conf *c);

#endif
