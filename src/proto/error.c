/* SPDX-License-Identifier: MIT */
/* Text for the codec's result codes. */
#include "config.h"

#include "proto/error.h"

/*
 * Static English text for @code, a value of enum proto_err; "success" for
 * 0 or a positive byte count, "unknown codec error" for anything else.
 * Never NULL.
 */
const char *proto_strerror(int code)
{
	if (code >= 0)
		return "success";
	switch (code) {
	case PROTO_E_VERSION:
		return "wrong protocol version";
	case PROTO_E_CMD:
		return "unknown command";
	case PROTO_E_ATYP:
		return "unknown address type";
	case PROTO_E_NAME:
		return "invalid domain name";
	case PROTO_E_NMETHODS:
		return "no authentication methods offered";
	case PROTO_E_USERID:
		return "SOCKS4 user id too long";
	case PROTO_E_ULEN:
		return "empty user name";
	case PROTO_E_NOSPACE:
		return "buffer too small";
	case PROTO_E_INVAL:
		return "value cannot be encoded";
	case PROTO_E_FRAG:
		return "invalid UDP fragment field";
	case PROTO_E_RSV:
		return "reserved field not zero";
	case PROTO_E_TRUNCATED:
		return "truncated datagram";
	default:
		return "unknown codec error";
	}
}
