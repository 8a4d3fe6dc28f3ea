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
#include "common/timewin.h"

#define CONF_NAME_MAX 63
#define CONF_VIA_MAX 8
#define CONF_METHODS_MAX 4
#define CONF_ERR_MAX 512

enum conf_resolve { CONF_RESOLVE_REMOTE = 0, CONF_RESOLVE_LOCAL = 1 };
enum conf_bind_peer {
	CONF_BIND_PEER_AUTO = 0,
	CONF_BIND_PEER_ANY = 1,
	CONF_BIND_PEER_ADDR = 2
};

/*
 * Command bits used in routes and rule queries.  CONF_CMD_ALL, what a
 * route without `command` means, is the three SOCKS commands: RAW (IP
 * sockets SOCKS cannot carry: raw, ICMP, SCTP, DCCP, ...; always direct)
 * is never implied, a route allows it only by naming it.
 */
enum conf_cmd {
	CONF_CMD_CONNECT = 1 << 0,
	CONF_CMD_BIND = 1 << 1,
	CONF_CMD_UDP = 1 << 2,
	CONF_CMD_ALL = 7,
	CONF_CMD_RAW = 1 << 3
};

/*
 * One `proxy "name" { }` section (or the -p / SOCKS_PROXY proxy, named
 * "proxy").
 *
 * Credentials: the section's username/password override the URL's
 * user[:pass]@.  The environment (SOCKS_USERNAME / SOCKS_PASSWORD) is NOT
 * read here: the library applies it to proxies with has_user == false.
 *
 * Methods (SOCKS5 only; ignored for socks4/socks4a): when the section sets
 * `method`, methods[] is exactly that list in that order and methods_set is
 * true.  Otherwise methods_set is false and the default is
 *   { none, username }  when has_user (credentials in the config or URL),
 *   { none }            without credentials;
 * the library may then add "username" when it has environment credentials.
 * "gssapi" is accepted by the parser; the client offers it only when built
 * with GSS-API support.
 */
struct conf_proxy {
	char name[CONF_NAME_MAX + 1];
	struct net_proxy_url url;
	/* Effective credentials: config keys override the URL's. */
	bool has_user, has_pass;
	char username[256];
	char password[256];
	uint8_t methods
		[CONF_METHODS_MAX]; /* SOCKS5_METHOD_*, offered in order */
	uint8_t nmethods;
	bool methods_set; /* false: methods[] is the default above */
	/* GSS-API: service part of the proxy's principal (service/host);
	 * default "rcmd" (as Dante and curl). */
	char gssapi_service[CONF_NAME_MAX + 1];
	/* Round trips (socks.conf(5)); the section's keys override the
	 * URL's ?fastopen= ?pipeline= ?optimistic= options. */
	bool fastopen;	 /* TCP Fast Open to the proxy (default on) */
	bool pipeline;	 /* greeting, credentials and request in one flight */
	bool optimistic; /* connect() returns once the request is queued */
};

/* A `to` entry: a CIDR (or single address) if it parses as one, else a
 * host-name glob (net_glob_match syntax). */
enum conf_target_kind { CONF_TARGET_CIDR, CONF_TARGET_GLOB };
struct conf_target {
	enum conf_target_kind kind;
	struct net_cidr cidr;
	char glob[NET_HOST_MAX + 1];
};

/* A `user` entry: a login name, or "uid:N". */
struct conf_user {
	bool is_uid;
	uid_t uid;
	char name[CONF_NAME_MAX + 1];
};

/* Time windows are struct timewin (common/timewin.h): "the days name
 * where a window starts", "Fri 22:00-06:00" reaches into Saturday. */

enum conf_via { CONF_VIA_DIRECT, CONF_VIA_DENY, CONF_VIA_PROXY };

/* How a route uses its proxy list (`mode`): FAILOVER tries them in order
 * (the first reachable one carries the connection), ROUND_ROBIN and
 * RANDOM start at another one each time (then fail over), CHAIN goes
 * through all of them in order, SOCKS inside SOCKS. */
enum conf_mode {
	CONF_MODE_FAILOVER = 0,
	CONF_MODE_ROUND_ROBIN,
	CONF_MODE_RANDOM,
	CONF_MODE_CHAIN
};

/*
 * One `route { }` block.  Lists the file leaves out mean "any": no `to` is
 * any destination, no `ports` any port, no `command` all three commands,
 * no `program` / `user` / `time` any.  `via` is required: "direct", "deny"
 * or 1..CONF_VIA_MAX proxy names (tried in order).
 */
struct conf_route {
	int line;		/* line of "route {" in the file, for logs */
	struct conf_target *to; /* empty = any destination */
	size_t nto;
	struct net_ports ports;		/* n = 0: any */
	unsigned commands;		/* CONF_CMD_* bits */
	char program[NET_HOST_MAX + 1]; /* "" = any */
	struct conf_user *users;
	size_t nusers; /* 0 = any */
	struct timewin *times;
	size_t ntimes; /* 0 = always */
	enum conf_via via;
	const struct conf_proxy *proxies[CONF_VIA_MAX];
	size_t nproxies;
	enum conf_mode mode;
	bool optimistic; /* `optimistic = true`: as the proxies' key */
};

struct conf {
	char path[256];
	int debug;
	char log[256];
	enum conf_resolve resolve;
	struct net_cidr fake_network;
	struct net_cidr fake_network6;
	/* fake_ttl: seconds a fake address stays bound to its name after its
	 * last use (a resolution or a connect/sendto to it, in any process
	 * sharing the name table) before it may be recycled for another name;
	 * recycling happens only when a fake network or the table is full. */
	int fake_ttl;
	/* nameserver: where res_query() & co. send the queries of names
	 * routed via a proxy (DNS over TCP through the proxy); unset: the
	 * first nameserver of /etc/resolv.conf unless it is loopback. */
	bool has_nameserver;
	struct net_ip nameserver;
	uint16_t nameserver_port; /* host order, default 53 */
	int timeout;		  /* seconds */
	/* bind_peer: the peer a listener behind a SOCKS BIND expects (its
	 * DST.ADDR); AUTO: the destination of the latest connection through
	 * the same proxy; ANY: 0.0.0.0 or ::, any peer; ADDR: bind_peer_ip. */
	enum conf_bind_peer bind_peer;
	struct net_ip bind_peer_ip;
	int bind_timeout; /* seconds to wait for the peer */
	/* proxy_retry: seconds a proxy that could not be reached is skipped
	 * by this process's routes (tried last); 0 never skips. */
	int proxy_retry;
	/* isolate: programs the socksify wrapper runs in isolation mode
	 * (socksify --isolate) rather than under the library: globs on the
	 * base name (rules_isolates()); isolate_auto ("auto" in the list):
	 * also every program the library cannot hold (Go, static,
	 * set-user-ID), which the wrapper would otherwise refuse. */
	char (*isolate)[NET_HOST_MAX + 1];
	size_t nisolate;
	bool isolate_auto;
	struct conf_proxy *proxies;
	size_t nproxies;
	struct conf_route *routes;
	size_t nroutes;
};

/*
 * Defaults used when the file does not set them.
 *
 * fake_network (IPv4, 198.18.0.0/15: RFC 2544 benchmarking space, never
 * routed on the Internet) and fake_network6 (IPv6, fd53:6f63:6b73::/64: a
 * RFC 4193 unique-local /64 whose bytes spell "Socks") are the ranges from
 * which resolve = remote hands out placeholder addresses for names routed via
 * a proxy: AF_INET requests get one from fake_network, AF_INET6 requests one
 * from fake_network6.  A connect to such an address sends the name, not the
 * address, to the proxy.  The parser requires fake_network to be IPv4 with a
 * prefix of /8../30 and fake_network6 to be IPv6 with a prefix of /8../126;
 * neither may contain a loopback address.
 */
#define CONF_DEFAULT_FAKE_NETWORK "198.18.0.0/15"
#define CONF_DEFAULT_FAKE_NETWORK6 "fd53:6f63:6b73::/64" /* "Socks" ULA */
#define CONF_DEFAULT_TIMEOUT 10
#define CONF_DEFAULT_BIND_TIMEOUT 120 /* SOCKS4's two minutes */
#define CONF_DEFAULT_FAKE_TTL 86400   /* one day */
#define CONF_FAKE_TTL_MAX 31536000    /* one year */
#define CONF_DEFAULT_GSSAPI_SERVICE "rcmd"
#define CONF_TIMEOUT_MAX 3600
#define CONF_DEBUG_MAX 3
#define CONF_DEFAULT_PROXY_RETRY 30
#define CONF_ISOLATE_AUTO "auto" /* isolate: what the library cannot hold */

/*
 * Parse @path.  On success returns 0 and *@out is a new immutable config;
 * on failure returns -1, *@out is NULL and @err holds
 * "FILE:LINE: what was expected" (or "FILE: cannot open: reason"); no
 * partial result.  Allocates.  libconfuse is not thread-safe: calls are
 * serialised by a lock, but parse once and share the result.  Reads the
 * file with stdio only (no hooked call); does not read the environment.
 */
int conf_load_file(const char *path, struct conf **out, char *err,
		   size_t errlen);
/* Same for an in-memory text; @name stands for the file name in errors. */
int conf_load_buf(const char *text, const char *name, struct conf **out,
		  char *err, size_t errlen);
/*
 * A one-proxy config for -p / SOCKS_PROXY: one proxy named "proxy" and two
 * routes: { 127.0.0.0/8, ::1/128, "localhost" } direct, then
 * { 0.0.0.0/0, ::/0 } via the proxy.  resolve is remote for socks4a and
 * socks5h, local for socks4 and socks5.  Other settings are the defaults;
 * conf->path is "SOCKS_PROXY".  Errors: -1 with "SOCKS_PROXY: reason".
 */
int conf_from_url(const char *url, struct conf **out, char *err, size_t errlen);
/* Frees @c (NULL is fine); passwords are wiped first. */
void conf_free(struct conf *c);

#endif
