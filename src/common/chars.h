/* SPDX-License-Identifier: MIT */
/*
 * Character classes for parsers, the same in every locale (the preload
 * library runs in programs that may call setlocale(): <ctype.h> would
 * follow them).  ASCII only.  And the truncating string copy parsers and
 * config compilers share.
 */
#ifndef SOCKSIFY_COMMON_CHARS_H
#define SOCKSIFY_COMMON_CHARS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool chr_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool chr_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool chr_is_alnum(char c)
{
	return chr_is_digit(c) || chr_is_alpha(c);
}

static inline char chr_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* @src into @dst, cut to @cap - 1 bytes (@cap > 0).  Returns @dst. */
static inline char *chr_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return dst;
}

#endif
