/* SPDX-License-Identifier: MIT */
/* Comment blanking and structural checks before libconfuse (cfgtext.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
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

char *cfgtext_read_file(const char *path, size_t max, size_t *len)
{
	size_t cap = 0, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		if (cap - n < 4096 && cap < max + 2) {
			/* Grow by doubling up to max + 2 bytes: room for one
			 * byte past max (to tell a too large file) and NUL. */
			size_t ncap = cap ? cap * 2 : 65536;

			if (ncap > max + 2)
				ncap = max + 2;
			nb = realloc(buf, ncap);
			if (!nb) {
				err = ENOMEM;
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			err = EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	errno = err;
	return NULL;
}
