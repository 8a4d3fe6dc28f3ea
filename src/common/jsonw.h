/* SPDX-License-Identifier: MIT */
/*
 * A JSON object writer into a caller buffer, for JSON-lines logs: no
 * allocation, no stdio streams, async-signal-safe (hook paths use it).
 * Strings are escaped per RFC 8259: '"', '\\' and control characters
 * (\n, \t, ... or \u00XX), DEL as \u007f; bytes that are not well-formed
 * UTF-8 become U+FFFD, so any input gives valid JSON.  A field that does
 * not fit is left out whole and the object ends with "truncated":true.
 */
#ifndef SOCKSIFY_COMMON_JSONW_H
#define SOCKSIFY_COMMON_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room kept for the closing ,"truncated":true} and the NUL. */
#define JSONW_RESERVE 24

struct jsonw {
	char *buf;
	size_t cap, len;
	bool dropped; /* a field did not fit */
};

/* Start an object in @buf (@cap > JSONW_RESERVE + 1). */
void jsonw_init(struct jsonw *w, char *buf, size_t cap);
/* "key":"escaped value" (NULL: null).  At most @max bytes of @val. */
void jsonw_str(struct jsonw *w, const char *key, const char *val);
void jsonw_strn(struct jsonw *w, const char *key, const char *val, size_t max);
void jsonw_u64(struct jsonw *w, const char *key, uint64_t v);
void jsonw_i64(struct jsonw *w, const char *key, int64_t v);
/* @ms milliseconds as a number of seconds with three decimals. */
void jsonw_secs(struct jsonw *w, const char *key, int64_t ms);
/* Close the object; returns its length (NUL-terminated at that index). */
size_t jsonw_finish(struct jsonw *w);

#endif
