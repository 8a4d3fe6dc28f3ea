/* SPDX-License-Identifier: MIT */
/* Comment blanking and structural checks before libconfuse (cfgtext.h). */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "common/cfgtext.h"

#define CFGTEXT_BRACE_STACK 16

/* Can a token (and so a "//" or block comment) start at @at? */
static bool cfgtext_token_start(const char *buf, const char *at)
{
	char prev;

	if (at == buf)
		return true;
	prev = at[-1];
	return prev == ' ' || prev == '\t' || prev == '\n' || prev == '\r' ||
	       strchr("={}()+,", prev) != NULL;
}

int cfgtext_prescan(char *buf, int *line_out, const char **why)
{
	int line = 1, depth = 0, open_line[CFGTEXT_BRACE_STACK];
	char *s = buf;

	while (*s) {
		char ch = *s;

		if (ch == '"' || ch == '\'') {
			int start = line;

			for (s++; *s && *s != ch; s++) {
				if (*s == '\\' && s[1]) {
					if (s[1] == '\n')
						line++;
					s++;
				} else if (*s == '\n') {
					line++;
				}
			}
			if (!*s) {
				*line_out = start;
				*why = "unterminated string: the quote is "
				       "never closed";
				return -1;
			}
			s++;
		} else if (ch == '#' || (ch == '/' && s[1] == '/' &&
					 cfgtext_token_start(buf, s))) {
			while (*s && *s != '\n')
				*s++ = ' ';
		} else if (ch == '/' && s[1] == '*' &&
			   cfgtext_token_start(buf, s)) {
			int start = line;

			*s++ = ' ';
			*s++ = ' ';
			while (*s && !(s[0] == '*' && s[1] == '/')) {
				if (*s == '\n')
					line++;
				else
					*s = ' ';
				s++;
			}
			if (!*s) {
				*line_out = start;
				*why = "unterminated comment: \"/*\" without "
				       "\"*/\"";
				return -1;
			}
			*s++ = ' ';
			*s++ = ' ';
		} else {
			if (ch == '\n')
				line++;
			else if (ch == '{' && depth++ < CFGTEXT_BRACE_STACK)
				open_line[depth - 1] = line;
			else if (ch == '}' && depth > 0)
				depth--;
			s++;
		}
	}
	if (depth > 0) {
		*line_out = open_line[depth > CFGTEXT_BRACE_STACK
					      ? CFGTEXT_BRACE_STACK - 1
					      : depth - 1];
		*why = "missing '}': this '{' is never closed";
		return -1;
	}
	return 0;
}
