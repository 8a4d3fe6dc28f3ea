/* SPDX-License-Identifier: MIT */
/* Value parsers shared by both config files (see cfgvalue.h). */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/chars.h"
#include "conf/cfgvalue.h"
#include "proto/consts.h"

int cfgval_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

bool cfgval_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!chr_is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return false;
	return true;
}

const char *cfgval_target(const char *s, bool *is_glob, struct net_cidr *cidr,
			  char *glob)
{
	size_t i, n = strlen(s);
	bool numeric = true;

	*is_glob = false;
	if (net_cidr_parse(s, cidr) == 0)
		return NULL;
	if (n == 0 || n > NET_HOST_MAX || !net_glob_is_valid(s))
		return CFGVAL_WHY_TARGET;
	for (i = 0; i < n; i++)
		if (!chr_is_digit(s[i]) && s[i] != '.')
			numeric = false;
	if (numeric)
		return CFGVAL_WHY_TARGET;
	*is_glob = true;
	memcpy(glob, s, n + 1);
	return NULL;
}

const char *cfgval_ports_add(struct net_ports *acc, const char *s)
{
	struct net_ports one;
	unsigned int i;

	if (net_ports_parse(s, &one) != 0 || one.n == 0)
		return CFGVAL_WHY_PORTS;
	if ((unsigned int)acc->n + one.n > NET_PORT_RANGES_MAX)
		return "too many port ranges (at most 32)";
	for (i = 0; i < one.n; i++)
		acc->r[acc->n++] = one.r[i];
	return NULL;
}

static const struct {
	const char *name;
	unsigned bit;
} cfgval_commands[] = {
	{"connect", CFGVAL_CMD_CONNECT},
	{"bind", CFGVAL_CMD_BIND},
	{"udp", CFGVAL_CMD_UDP},
	{"raw", CFGVAL_CMD_RAW},
};

const char *cfgval_command(const char *s, unsigned allowed, unsigned *bit)
{
	size_t i;

	for (i = 0; i < sizeof(cfgval_commands) / sizeof(cfgval_commands[0]);
	     i++)
		if ((cfgval_commands[i].bit & allowed) &&
		    strcasecmp(s, cfgval_commands[i].name) == 0) {
			*bit = cfgval_commands[i].bit;
			return NULL;
		}
	return (allowed & CFGVAL_CMD_RAW)
		       ? "unknown command, expected connect, bind, udp or raw"
		       : "unknown command, expected connect, bind or udp";
}

const char *cfgval_method(const char *s, uint8_t *method)
{
	if (strcasecmp(s, "none") == 0)
		*method = SOCKS5_METHOD_NONE;
	else if (strcasecmp(s, "username") == 0)
		*method = SOCKS5_METHOD_USERNAME;
	else if (strcasecmp(s, "gssapi") == 0)
		*method = SOCKS5_METHOD_GSSAPI;
	else
		return "unknown method, expected none, username or gssapi";
	return NULL;
}
