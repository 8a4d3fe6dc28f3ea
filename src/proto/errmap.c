/* SPDX-License-Identifier: MIT */
/*
 * The one table between errno and SOCKS reply codes (SPEC section 4,
 * protocol notes A.6).  Pure.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>

#include "proto/consts.h"
#include "proto/errmap.h"

/*
 * SOCKS5 REP -> errno for the client.  00 -> 0; 02 -> EACCES; 03 ->
 * ENETUNREACH; 04 -> EHOSTUNREACH; 05 -> ECONNREFUSED; 06 -> ETIMEDOUT;
 * 07 -> EOPNOTSUPP; 08 -> EAFNOSUPPORT; 01 and unassigned -> ECONNREFUSED.
 */
int socks5_rep_to_errno(uint8_t rep)
{
	switch (rep) {
	case SOCKS5_REP_SUCCEEDED:
		return 0;
	case SOCKS5_REP_NOT_ALLOWED:
		return EACCES;
	case SOCKS5_REP_NETWORK_UNREACHABLE:
		return ENETUNREACH;
	case SOCKS5_REP_HOST_UNREACHABLE:
		return EHOSTUNREACH;
	case SOCKS5_REP_TTL_EXPIRED:
		return ETIMEDOUT;
	case SOCKS5_REP_COMMAND_NOT_SUPPORTED:
		return EOPNOTSUPP;
	case SOCKS5_REP_ADDRESS_TYPE_NOT_SUPPORTED:
		return EAFNOSUPPORT;
	case SOCKS5_REP_GENERAL_FAILURE:
	case SOCKS5_REP_CONNECTION_REFUSED:
	default:
		return ECONNREFUSED;
	}
}

/* SOCKS4 CD -> errno: 90 -> 0, 91..93 and anything else -> ECONNREFUSED. */
int socks4_cd_to_errno(uint8_t cd)
{
	return cd == SOCKS4_CD_GRANTED ? 0 : ECONNREFUSED;
}

/*
 * errno (positive, or 0) -> SOCKS5 REP for the server, notes A.6 table.
 * A negative @err is taken as -errno.
 */
uint8_t socks5_rep_from_errno(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return SOCKS5_REP_SUCCEEDED;
	case ECONNREFUSED:
	case ECONNRESET:
		return SOCKS5_REP_CONNECTION_REFUSED;
	case ENETUNREACH:
	case ENETDOWN:
		return SOCKS5_REP_NETWORK_UNREACHABLE;
	case EHOSTUNREACH:
	case EHOSTDOWN:
		return SOCKS5_REP_HOST_UNREACHABLE;
	case ETIMEDOUT:
		return SOCKS5_REP_TTL_EXPIRED;
	case EACCES:
	case EPERM:
		return SOCKS5_REP_NOT_ALLOWED;
	case EAFNOSUPPORT:
	case EPROTONOSUPPORT:
		return SOCKS5_REP_ADDRESS_TYPE_NOT_SUPPORTED;
	default:
		return SOCKS5_REP_GENERAL_FAILURE;
	}
}

/* errno -> SOCKS4 CD: 0 -> 90 (granted), anything else -> 91 (rejected). */
uint8_t socks4_cd_from_errno(int err)
{
	return err == 0 ? SOCKS4_CD_GRANTED : SOCKS4_CD_REJECTED;
}

/*
 * getaddrinfo() failure -> SOCKS5 REP.  The name does not resolve (EAI_NONAME,
 * EAI_AGAIN, EAI_FAIL, EAI_NODATA, EAI_ADDRFAMILY) -> 04 host unreachable;
 * EAI_FAMILY -> 08; 0 -> 00; anything else (EAI_MEMORY, EAI_SYSTEM, ...)
 * -> 01.
 */
uint8_t socks5_rep_from_eai(int eai)
{
	switch (eai) {
	case 0:
		return SOCKS5_REP_SUCCEEDED;
	case EAI_NONAME:
	case EAI_AGAIN:
	case EAI_FAIL:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
#ifdef EAI_ADDRFAMILY
	case EAI_ADDRFAMILY:
#endif
		return SOCKS5_REP_HOST_UNREACHABLE;
	case EAI_FAMILY:
		return SOCKS5_REP_ADDRESS_TYPE_NOT_SUPPORTED;
	default:
		return SOCKS5_REP_GENERAL_FAILURE;
	}
}

static const char *const rep_names[] = {
	[SOCKS5_REP_SUCCEEDED] = "succeeded",
	[SOCKS5_REP_GENERAL_FAILURE] = "general SOCKS server failure",
	[SOCKS5_REP_NOT_ALLOWED] = "connection not allowed by ruleset",
	[SOCKS5_REP_NETWORK_UNREACHABLE] = "network unreachable",
	[SOCKS5_REP_HOST_UNREACHABLE] = "host unreachable",
	[SOCKS5_REP_CONNECTION_REFUSED] = "connection refused",
	[SOCKS5_REP_TTL_EXPIRED] = "TTL expired",
	[SOCKS5_REP_COMMAND_NOT_SUPPORTED] = "command not supported",
	[SOCKS5_REP_ADDRESS_TYPE_NOT_SUPPORTED] = "address type not supported",
};

/* RFC 1928 text of a REP code; "unassigned" for 09..FF.  Never NULL. */
const char *socks5_rep_name(uint8_t rep)
{
	if (rep < sizeof(rep_names) / sizeof(rep_names[0]))
		return rep_names[rep];
	return "unassigned";
}
