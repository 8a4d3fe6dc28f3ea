// SPDX-License-Identifier: MIT
/*
 * JSON object writer (see jsonw.h).  Each field is written in place and
 * rolled back whole when it would eat into the reserve.
 */
#include "config.h"

#include "common/jsonw.h"

#include <stdio.h>
#include <string.h>

void jsonw_init(struct jsonw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->dropped = false;
	buf[w->len++] = '{';
	buf[w->len] = '\0';
}

/* Room for @n more bytes before the reserve? */
static bool jsonw_room(const struct jsonw *w, size_t n)
{
	return w->len + n + JSONW_RESERVE <= w->cap;
}

static bool jsonw_put(struct jsonw *w, const char *s, size_t n)
{
	if (!jsonw_room(w, n))
		return false;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	return true;
}

/* Length of the well-formed UTF-8 sequence at @s (@n bytes left), or 0. */
static size_t jsonw_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* Append @val escaped, in quotes; false (nothing kept) when it does not
 * fit. */
static bool jsonw_quoted(struct jsonw *w, const char *val, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)val;
	size_t i, n = strnlen(val, max), k;
	char esc[8];

	if (!jsonw_put(w, "\"", 1))
		return false;
	for (i = 0; i < n; i += k) {
		unsigned char ch = s[i];
		const char *out = esc;
		size_t olen;

		k = 1;
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			olen = 2;
		} else if (ch == '\n' || ch == '\r' || ch == '\t') {
			esc[0] = '\\';
			esc[1] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : 't';
			olen = 2;
		} else if (ch < 0x20 || ch == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			olen = 6;
		} else if (ch < 0x80) {
			out = (const char *)s + i;
			olen = 1;
		} else {
			k = jsonw_utf8_len(s + i, n - i);
			if (k) {
				out = (const char *)s + i;
				olen = k;
			} else {
				out = "\\ufffd";
				olen = 6;
				k = 1;
			}
		}
		if (!jsonw_put(w, out, olen))
			return false;
	}
	return jsonw_put(w, "\"", 1);
}

/* ,"key": (no comma for the first field).  false when it does not fit. */
static bool jsonw_key(struct jsonw *w, const char *key)
{
	if (w->len > 1 && !jsonw_put(w, ",", 1))
		return false;
	return jsonw_quoted(w, key, 64) && jsonw_put(w, ":", 1);
}

void jsonw_strn(struct jsonw *w, const char *key, const char *val, size_t max)
{
	size_t start = w->len;

	if (jsonw_key(w, key) &&
	    (val ? jsonw_quoted(w, val, max) : jsonw_put(w, "null", 4))) {
		w->buf[w->len] = '\0';
		return;
	}
	w->len = start;
	w->buf[w->len] = '\0';
	w->dropped = true;
}

void jsonw_str(struct jsonw *w, const char *key, const char *val)
{
	jsonw_strn(w, key, val, (size_t)-1);
}

/* A field whose value is the number text @num. */
static void jsonw_number(struct jsonw *w, const char *key, const char *num)
{
	size_t start = w->len;

	if (jsonw_key(w, key) && jsonw_put(w, num, strlen(num))) {
		w->buf[w->len] = '\0';
		return;
	}
	w->len = start;
	w->buf[w->len] = '\0';
	w->dropped = true;
}

void jsonw_u64(struct jsonw *w, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	jsonw_number(w, key, num);
}

void jsonw_i64(struct jsonw *w, const char *key, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", (long long)v);
	jsonw_number(w, key, num);
}

void jsonw_secs(struct jsonw *w, const char *key, int64_t ms)
{
	char num[32];

	if (ms < 0)
		ms = 0;
	snprintf(num, sizeof(num), "%lld.%03lld", (long long)(ms / 1000),
		 (long long)(ms % 1000));
	jsonw_number(w, key, num);
}

size_t jsonw_finish(struct jsonw *w)
{
	static const char tail[] = "\"truncated\":true}";

	if (w->dropped) {
		if (w->len > 1)
			w->buf[w->len++] = ',';
		memcpy(w->buf + w->len, tail, sizeof(tail) - 1);
		w->len += sizeof(tail) - 1;
	} else {
		w->buf[w->len++] = '}';
	}
	w->buf[w->len] = '\0';
	return w->len;
}
