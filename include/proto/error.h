/* SPDX-License-Identifier: MIT */
/*
 * Result codes of the codec.  Encoders return the number of bytes written or
 * one of these (negative).  Decoders return the number of bytes consumed,
 * 0 for "need more input", or one of these (negative).  Each malformed field
 * has its own code so that tests and logs can tell them apart.
 *
 * Decoders check the bytes in wire order and fail as soon as an offending
 * byte is present; they zero their output struct first and fill it only on
 * success (except the offending CMD on PROTO_E_CMD); they consume exactly
 * one message, never the bytes after it (pipelined data).  Encoders check
 * the argument (PROTO_E_INVAL) before the space (PROTO_E_NOSPACE) and write
 * nothing past the returned length.
 */
#ifndef SOCKSIFY_PROTO_ERROR_H
#define SOCKSIFY_PROTO_ERROR_H

enum proto_err {
	PROTO_E_VERSION = -1,   /* VER/VN byte is not the expected one */
	PROTO_E_CMD = -2,       /* unknown command (SOCKS5 REP 07 / 4 CD 91) */
	PROTO_E_ATYP = -3,      /* unknown address type (REP 08) */
	PROTO_E_NAME = -4,      /* domain length 0, > 255, or NUL inside */
	PROTO_E_NMETHODS = -5,  /* NMETHODS is 0 */
	PROTO_E_USERID = -6,    /* SOCKS4 USERID longer than 255 bytes */
	PROTO_E_ULEN = -7,      /* RFC 1929 ULEN is 0 */
	PROTO_E_NOSPACE = -8,   /* encoder: caller's buffer too small */
	PROTO_E_INVAL = -9,     /* encoder: argument cannot be encoded */
	PROTO_E_FRAG = -10,     /* reserved: UDP header field invalid */
	PROTO_E_RSV = -11,      /* UDP header RSV not zero */
	PROTO_E_TRUNCATED = -12 /* a datagram shorter than its header */
};

/* Static English text for a result code (never NULL). */
const char *proto_strerror(int code);

#endif
