/* SPDX-License-Identifier: MIT */
/*
 * Text clean-up shared by the two libconfuse-based parsers (socks.conf and
 * socksifyd.conf), run on a private copy before libconfuse sees it.
 */
#ifndef SOCKSIFY_COMMON_CFGTEXT_H
#define SOCKSIFY_COMMON_CFGTEXT_H

/*
 * Blank out comments in @buf in place ('#' and "//" to the end of the line,
 * C block comments), keeping every newline, and report what libconfuse would
 * miss or report badly: an unterminated string or comment, and a '{' never
 * closed (libconfuse takes end of file as the end of an open section).
 * Why: libconfuse 3.3 counts a line twice after a one-line comment and
 * rejects comments inside { } lists; without comments its line numbers are
 * exact.  Comments start where libconfuse's lexer starts them: '#' anywhere
 * outside quotes, "//" and block comments where a token may start.
 * Returns 0, or -1 with *@line (1-based) and *@why (static text) set.
 */
int cfgtext_prescan(char *buf, int *line, const char **why);

#include <stddef.h>

/*
 * The whole text file at @path in a NUL-terminated heap buffer (caller
 * frees), its length in *@len.  At most @max bytes: a larger file is
 * refused, so memory stays bounded.  Returns NULL with errno set: that of
 * open/read, EFBIG (larger than @max), ENOMEM.  Blocking: init/reload only.
 */
char *cfgtext_read_file(const char *path, size_t max, size_t *len);

#endif
