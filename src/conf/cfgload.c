/* SPDX-License-Identifier: MIT */
/*
 * The libconfuse skeleton shared by socks.conf and socksifyd.conf (see
 * cfgload.h): error context, libconfuse's error hook, line bookkeeping,
 * and the read / prescan / parse / compile steps under one lock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfgtext.h"
#include "conf/cfgload.h"

struct cfgload_line {
	const cfg_t *sec;
	const char *key;
	unsigned int idx;
	int line;
};

static pthread_mutex_t cfgload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cfgload *cfgload_cur;

/* Contract: cfgload.h. */
void cfgload_atfork_prepare(void)
{
	pthread_mutex_lock(&cfgload_lock);
}

void cfgload_atfork_parent(void)
{
	pthread_mutex_unlock(&cfgload_lock);
}

void cfgload_atfork_child(void)
{
	pthread_mutex_unlock(&cfgload_lock);
}

/* ---- errors ----------------------------------------------------------- */

void cfgload_init(struct cfgload *p, const char *name, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->err = err;
	p->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
}

/*
 * The first error of a parse into the caller's buffer: "NAME:LINE: " (or
 * "NAME: " when @line <= 0, nothing when @name is NULL), then the message.
 * The whole file name, however long: the buffer cuts the message instead.
 */
__attribute__((format(printf, 4, 0))) static void
cfgload_vput(struct cfgload *p, const char *name, int line, const char *fmt,
	     va_list ap)
{
	int n = 0;

	if (p->failed)
		return;
	p->failed = true;
	if (!p->err || p->errlen == 0)
		return;
	p->err[0] = '\0';
	if (name && line > 0)
		n = snprintf(p->err, p->errlen, "%s:%d: ", name, line);
	else if (name)
		n = snprintf(p->err, p->errlen, "%s: ", name);
	if (n < 0 || (size_t)n >= p->errlen)
		return;
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
}

__attribute__((format(printf, 3, 0))) static void
cfgload_verr(struct cfgload *p, int line, const char *fmt, va_list ap)
{
	cfgload_vput(p, p->name, line, fmt, ap);
}

int cfgload_err(struct cfgload *p, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfgload_verr(p, line, fmt, ap);
	va_end(ap);
	return -1;
}

int cfgload_say(struct cfgload *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfgload_vput(p, NULL, 0, fmt, ap);
	va_end(ap);
	return -1;
}

struct cfgload *cfgload_current(void)
{
	return cfgload_cur;
}

/* "a, b, c": the keys section @cfg takes, from its option table. */
static void cfgload_keys(const cfg_t *cfg, char *buf, size_t cap)
{
	size_t n = 0, i, len;

	buf[0] = '\0';
	for (i = 0; cfg->opts && cfg->opts[i].name; i++) {
		len = strlen(cfg->opts[i].name);
		if (n + len + 3 >= cap)
			break;
		if (n) {
			memcpy(buf + n, ", ", 2);
			n += 2;
		}
		memcpy(buf + n, cfg->opts[i].name, len);
		n += len;
		buf[n] = '\0';
	}
}

/*
 * libconfuse's error hook: every message it (or a validator calling
 * cfg_error) produces lands in the caller's buffer with our file name and
 * the line libconfuse is at.  The two messages users meet most are
 * reworded to say what was expected.
 */
__attribute__((format(printf, 2, 0))) static void
cfgload_cfg_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct cfgload *p = cfgload_cur;
	int line = cfg ? cfg->line : 0;
	char keys[512];

	if (!p)
		return;
	if (cfg && strcmp(fmt, "no such option '%s'") == 0) {
		const char *key = va_arg(ap, const char *);
		bool top = strcmp(cfg->name, "root") == 0;

		cfgload_keys(cfg, keys, sizeof(keys));
		cfgload_err(p, line,
			    "unknown key '%.64s'%s%s (expected one of: %s)",
			    key, top ? "" : " in ", top ? "" : cfg->name, keys);
		return;
	}
	if (strcmp(fmt, "found duplicate title '%s'") == 0) {
		const char *title = va_arg(ap, const char *);

		cfgload_err(p, line,
			    "duplicate %s name '%.64s' (each %s section needs "
			    "its own name)",
			    p->dup_sec, title, p->dup_sec);
		return;
	}
	cfgload_verr(p, line, fmt, ap);
}

/* ---- line bookkeeping ------------------------------------------------ */

static struct cfgload_line *cfgload_line_find(struct cfgload *p,
					      const cfg_t *sec, const char *key,
					      unsigned int idx)
{
	size_t i;

	for (i = 0; i < p->nlines; i++) {
		struct cfgload_line *l = &p->lines[i];

		if (l->sec == sec && l->idx == idx && strcmp(l->key, key) == 0)
			return l;
	}
	return NULL;
}

int cfgload_note(struct cfgload *p, const cfg_t *sec, const char *key,
		 unsigned int idx, int line)
{
	struct cfgload_line *l = cfgload_line_find(p, sec, key, idx);

	if (!l) {
		if (p->nlines == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;
			void *n = realloc(p->lines, cap * sizeof(*p->lines));

			if (!n)
				return cfgload_err(p, line, "out of memory");
			p->lines = n;
			p->cap = cap;
		}
		l = &p->lines[p->nlines++];
		l->sec = sec;
		l->key = key;
		l->idx = idx;
	}
	l->line = line;
	return 0;
}

bool cfgload_noted(struct cfgload *p, const cfg_t *sec, const char *key,
		   unsigned int idx)
{
	return cfgload_line_find(p, sec, key, idx) != NULL;
}

int cfgload_sec_line(struct cfgload *p, const cfg_t *sec)
{
	struct cfgload_line *l = cfgload_line_find(p, sec, "", 0);

	return l ? l->line : 0;
}

int cfgload_line_of(struct cfgload *p, const cfg_t *sec, const char *key,
		    unsigned int idx)
{
	struct cfgload_line *l = cfgload_line_find(p, sec, key, idx);

	return l ? l->line : cfgload_sec_line(p, sec);
}

/* ---- the steps ------------------------------------------------------ */

/*
 * Prescan a copy of @text, then parse and compile it under the lock.
 * @p is initialised by the caller.  Returns 0 or -1 (reported).
 */
static int cfgload_run(struct cfgload *p, const struct cfgload_schema *s,
		       const char *text, void *out)
{
	const char *why;
	char *copy;
	cfg_t *cfg;
	int line, rc = -1;

	copy = strdup(text ? text : "");
	if (!copy)
		return cfgload_err(p, 0, "out of memory");
	if (cfgtext_prescan(copy, &line, &why) != 0) {
		cfgload_err(p, line, "%s", why);
		goto wipe;
	}
	pthread_mutex_lock(&cfgload_lock);
	cfg = cfg_init(s->opts, CFGF_NONE);
	if (!cfg) {
		cfgload_err(p, 0, "out of memory");
		goto unlock;
	}
	cfg_set_error_function(cfg, cfgload_cfg_errfunc);
	p->root = cfg;
	p->dup_sec = s->unique_titles ? s->unique_titles : "section";
	cfgload_cur = p;
	if (s->setup && s->setup(p, cfg) != 0)
		goto done;
	if (cfg_parse_buf(cfg, copy) != CFG_SUCCESS) {
		cfgload_err(p, cfg->line, "syntax error");
		goto done;
	}
	if (p->failed) /* an error reported without failing the parse */
		goto done;
	rc = s->compile(p, cfg, out);
done:
	cfgload_cur = NULL;
	p->root = NULL;
	cfg_free(cfg);
unlock:
	pthread_mutex_unlock(&cfgload_lock);
wipe:
	explicit_bzero(copy, strlen(copy)); /* may hold passwords */
	free(copy);
	free(p->lines);
	p->lines = NULL;
	p->nlines = p->cap = 0;
	return rc;
}

int cfgload_text(const struct cfgload_schema *schema, const char *text,
		 const char *name, void *user, void *out, char *err,
		 size_t errlen)
{
	struct cfgload p;

	cfgload_init(&p, name ? name : "(config)", err, errlen);
	p.user = user;
	return cfgload_run(&p, schema, text, out);
}

int cfgload_file(const struct cfgload_schema *schema, const char *path,
		 void *user, void *out, char *err, size_t errlen)
{
	struct cfgload p;
	char *buf;
	size_t len = 0, i;
	int line = 1, rc = -1;

	cfgload_init(&p, path, err, errlen);
	p.user = user;
	buf = cfgtext_read_file(path, schema->file_max, &len);
	if (!buf) {
		if (errno == EFBIG)
			cfgload_err(&p, 0,
				    "file too large (more than %zu bytes)",
				    schema->file_max);
		else if (errno == ENOMEM)
			cfgload_err(&p, 0, "out of memory");
		else if (errno == EISDIR || errno == EIO)
			cfgload_err(&p, 0, "cannot read: %m"); /* %m: errno */
		else
			cfgload_err(&p, 0, "cannot open: %m");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			line++;
		} else if (buf[i] == '\0') {
			cfgload_err(&p, line, "NUL byte in a text file");
			goto out;
		}
	}
	rc = cfgload_run(&p, schema, buf, out);
out:
	explicit_bzero(buf, len);
	free(buf);
	return rc;
}
