// SPDX-License-Identifier: MIT
/*
 * The proxy URL parser (proxy_url.h): socks4://, socks4a://, socks5://,
 * socks5h:// with percent-decoded credentials.  Pure, like net.c, whose
 * host[:port] parser it calls for what follows the '@'.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/chars.h"
#include "common/net.h"
#include "common/proxy_url.h"

static int url_hexval(char c)
{
	if (chr_is_digit(c))
		return c - '0';
	c = chr_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 3986 userinfo characters other than ':' and '%'. */
static bool url_userinfo_char(char c)
{
	return chr_is_alnum(c) ||
	       (c != '\0' && strchr("-._~!$&'()*+,;=", c) != NULL);
}

/*
 * Percent-decode @len characters at @s into @out (capacity @cap, NUL
 * terminated).  Every '%' must be followed by two hex digits; a decoded
 * NUL, a character outside RFC 3986 userinfo (':' only with @colon_ok),
 * or an overlong result is an error.  Returns 0 or -EINVAL with *@why set.
 */
static int url_pct_decode(const char *s, size_t len, bool colon_ok, char *out,
			  size_t cap, const char **why)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (len - i < 3) {
				*why = "truncated percent escape";
				return -EINVAL;
			}
			h = url_hexval(s[i + 1]);
			l = url_hexval(s[i + 2]);
			if (h < 0 || l < 0) {
				*why = "bad percent escape (need %XX, X hex)";
				return -EINVAL;
			}
			c = h * 16 + l;
			if (c == 0) {
				*why = "percent escape decodes to NUL";
				return -EINVAL;
			}
			i += 2;
		} else if (!url_userinfo_char((char)c) &&
			   !(colon_ok && c == ':')) {
			*why = "character not allowed in user or password "
			       "(percent-encode it)";
			return -EINVAL;
		}
		if (o + 1 >= cap) {
			*why = "user or password longer than 255 bytes";
			return -EINVAL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static const struct {
	const char *name;
	enum net_scheme scheme;
} url_schemes[] = {
	{"socks4", NET_SCHEME_SOCKS4},
	{"socks4a", NET_SCHEME_SOCKS4A},
	{"socks5", NET_SCHEME_SOCKS5},
	{"socks5h", NET_SCHEME_SOCKS5H},
};

static const struct {
	const char *name;
	unsigned bit;
} url_opts[] = {
	{"fastopen", NET_URL_FASTOPEN},
	{"pipeline", NET_URL_PIPELINE},
	{"optimistic", NET_URL_OPTIMISTIC},
};

/* A boolean word: 1, 0, or -1 when it is none. */
static int url_bool(const char *s, size_t len)
{
	static const char *const on[] = {"1", "on", "yes", "true"};
	static const char *const off[] = {"0", "off", "no", "false"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strlen(on[i]) == len && strncmp(s, on[i], len) == 0)
			return 1;
		if (strlen(off[i]) == len && strncmp(s, off[i], len) == 0)
			return 0;
	}
	return -1;
}

/*
 * The options after '?': @len characters at @s, "name=value" pairs
 * separated by '&' (url_opts, url_bool).  Returns 0 or -EINVAL with *@why.
 */
static int url_parse_opts(const char *s, size_t len, struct net_proxy_url *u,
			  const char **why)
{
	const char *end = s + len;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(pe - s));
		size_t i;
		int v = eq ? url_bool(eq + 1, (size_t)(pe - eq - 1)) : -1;

		for (i = 0; eq && i < sizeof(url_opts) / sizeof(url_opts[0]);
		     i++)
			if (strlen(url_opts[i].name) == (size_t)(eq - s) &&
			    strncmp(s, url_opts[i].name, (size_t)(eq - s)) == 0)
				break;
		if (!eq || i == sizeof(url_opts) / sizeof(url_opts[0]) ||
		    (amp && amp + 1 == end)) {
			*why = "unknown URL option (expected fastopen=, "
			       "pipeline= or optimistic=)";
			return -EINVAL;
		}
		if (v < 0) {
			*why = "URL option value must be 0 or 1 (or off/on)";
			return -EINVAL;
		}
		u->opts_set |= url_opts[i].bit;
		if (v)
			u->opts_on |= url_opts[i].bit;
		else
			u->opts_on &= ~url_opts[i].bit;
		s = amp ? amp + 1 : end;
	}
	return 0;
}

/* Longest URL we look at: scheme, 3 x 255 escaped credentials, host, port. */
#define URL_MAX 4096

/*
 * socks4://[user@]host[:port], socks4a://[user@]host[:port],
 * socks5://[user[:pass]@]host[:port], socks5h://...  The scheme is
 * case-insensitive.  IPv6 hosts in brackets; user and pass percent-decoded
 * (strict %XX, no decoded NUL, at most 255 bytes each); SOCKS4/4a take a
 * user (sent as USERID) but no password.  Port defaults to 1080; port 0,
 * an empty host and anything after the port other than one '/' and the
 * options (?fastopen=1&pipeline=1&optimistic=0, proxy_url.h) are errors.  Returns 0, or -EINVAL with *@why (if @why is not NULL) set to a
 * static explanation; on error *@u is cleared.
 */
int net_proxy_url_parse(const char *s, struct net_proxy_url *u,
			const char **why)
{
	const char *dummy, *sep, *auth, *at, *colon, *end, *opts;
	size_t len, i, slen;
	int rc;

	if (!why)
		why = &dummy;
	*why = NULL;
	if (!u)
		return -EINVAL;
	memset(u, 0, sizeof(*u));
	if (!s) {
		*why = "empty URL";
		return -EINVAL;
	}
	len = strnlen(s, URL_MAX + 1);
	if (len > URL_MAX) {
		*why = "URL too long";
		return -EINVAL;
	}
	sep = strstr(s, "://");
	if (!sep) {
		*why = "missing scheme (socks4://, socks4a://, socks5:// or "
		       "socks5h://)";
		return -EINVAL;
	}
	slen = (size_t)(sep - s);
	rc = -EINVAL;
	for (i = 0; i < sizeof(url_schemes) / sizeof(url_schemes[0]); i++) {
		const char *n = url_schemes[i].name;
		size_t k;

		if (strlen(n) != slen)
			continue;
		for (k = 0; k < slen && chr_lower(s[k]) == n[k]; k++)
			;
		if (k == slen) {
			u->scheme = url_schemes[i].scheme;
			rc = 0;
			break;
		}
	}
	if (rc < 0) {
		*why = "unknown scheme";
		goto bad;
	}
	auth = sep + 3;
	end = s + len;
	opts = memchr(auth, '?', (size_t)(end - auth));
	if (opts) {
		rc = url_parse_opts(opts + 1, (size_t)(end - opts - 1), u, why);
		if (rc < 0)
			goto bad;
		end = opts;
	}
	if (end > auth && end[-1] == '/')
		end--;
	for (i = 0; auth + i < end; i++) {
		char c = auth[i];

		if (c == '/' || c == '?' || c == '#') {
			*why = "garbage after host:port (no path allowed)";
			goto bad;
		}
		if ((unsigned char)c <= ' ' || (unsigned char)c >= 0x7f) {
			*why = "space or control character in URL";
			goto bad;
		}
	}
	at = memchr(auth, '@', (size_t)(end - auth));
	if (at) {
		if (memchr(at + 1, '@', (size_t)(end - at - 1))) {
			*why = "more than one '@' (percent-encode '@' as %40)";
			goto bad;
		}
		colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon == auth || at == auth) {
			*why = "empty user name";
			goto bad;
		}
		if (colon && (u->scheme == NET_SCHEME_SOCKS4 ||
			      u->scheme == NET_SCHEME_SOCKS4A)) {
			*why = "SOCKS4 has no password (user only)";
			goto bad;
		}
		rc = url_pct_decode(auth, (size_t)((colon ? colon : at) - auth),
				    false, u->user, sizeof(u->user), why);
		if (rc < 0)
			goto bad;
		u->has_user = true;
		if (colon) {
			rc = url_pct_decode(colon + 1, (size_t)(at - colon - 1),
					    true, u->pass, sizeof(u->pass),
					    why);
			if (rc < 0)
				goto bad;
			u->has_pass = true;
		}
		auth = at + 1;
	}
	if (auth == end) {
		*why = "empty host";
		goto bad;
	}
	rc = net_hostport_parse_n(auth, (size_t)(end - auth), 1080, false,
				  false, &u->hp, why);
	if (rc < 0)
		goto bad;
	return 0;
bad:
	memset(u, 0, sizeof(*u));
	return -EINVAL;
}

/* "socks4", "socks4a", "socks5", "socks5h", or "?" for anything else. */
const char *net_scheme_name(enum net_scheme s)
{
	size_t i;

	for (i = 0; i < sizeof(url_schemes) / sizeof(url_schemes[0]); i++)
		if (url_schemes[i].scheme == s)
			return url_schemes[i].name;
	return "?";
}
