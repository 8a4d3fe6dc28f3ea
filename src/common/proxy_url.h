/* SPDX-License-Identifier: MIT */
/*
 * Proxy URLs (SPEC section 2): the -p / SOCKS_PROXY value and socks.conf's
 * `url`.  Pure: no I/O, no allocation, no name resolution.
 */
#ifndef SOCKSIFY_COMMON_PROXY_URL_H
#define SOCKSIFY_COMMON_PROXY_URL_H

#include <stdbool.h>

#include "common/net.h"

enum net_scheme {
	NET_SCHEME_SOCKS4 = 4,
	NET_SCHEME_SOCKS4A = 40,
	NET_SCHEME_SOCKS5 = 5,
	NET_SCHEME_SOCKS5H = 50
};

/* Options a URL may carry after '?' (proxy_url.c): bits of opts_set and
 * opts_on.  Unset options take the config's or the built-in default. */
enum net_url_opt {
	NET_URL_FASTOPEN = 1 << 0,   /* ?fastopen=0|1 */
	NET_URL_PIPELINE = 1 << 1,   /* ?pipeline=0|1 */
	NET_URL_OPTIMISTIC = 1 << 2, /* ?optimistic=0|1 */
};

struct net_proxy_url {
	enum net_scheme scheme;
	unsigned opts_set, opts_on; /* enum net_url_opt bits */
	struct net_hostport hp;	    /* port defaults to 1080 */
	bool has_user, has_pass;
	char user[256]; /* percent-decoded */
	char pass[256]; /* percent-decoded */
};

/*
 * socks4://host[:port], socks4a://[user@]host[:port],
 * socks5://[user[:pass]@]host[:port], socks5h://...  (IPv6 in brackets,
 * percent-encoding in user and pass), optionally followed by
 * ?option=value[&option=value...] with option fastopen, pipeline or
 * optimistic and value 0/1, off/on, no/yes, false/true.  Errors: -EINVAL with *@why set to a
 * static explanation.
 */
int net_proxy_url_parse(const char *s, struct net_proxy_url *u,
			const char **why);
/* "socks5h" etc. */
const char *net_scheme_name(enum net_scheme s);

#endif
