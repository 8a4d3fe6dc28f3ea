/* SPDX-License-Identifier: MIT */
/*
 * The one libconfuse skeleton behind both config files: socks.conf
 * (conf.c) and socksifyd.conf (server/srvconf.c).  What they share:
 *
 *   - the error context: the first error of a parse is kept, as
 *     "FILE:LINE: what was expected" (or "FILE: ..." without a line);
 *     libconfuse's own messages land there too, an unknown key listing
 *     the keys its section takes (read from the option table);
 *   - the steps: read the file (bounded, no NUL byte), prescan (cfgtext.h),
 *     cfg_init + the schema's validators, cfg_parse_buf, then the schema's
 *     compile step from the tree into the caller's own structure; the tree
 *     and the text (which may hold passwords) are freed and wiped;
 *   - line bookkeeping for parse callbacks that want the line of each
 *     value, not only the line libconfuse is at when a section closes.
 *
 * A schema is its option table and two steps (struct cfgload_schema).
 * libconfuse keeps its lexer state in globals and its callbacks get no
 * user pointer, so one parse runs at a time under a lock and callbacks
 * find the parse in progress with cfgload_current().
 */
#ifndef SOCKSIFY_CONF_CFGLOAD_H
#define SOCKSIFY_CONF_CFGLOAD_H

#include <confuse.h>
#include <stdbool.h>
#include <stddef.h>

struct cfgload_line;

/* One parse in progress (or, for conf_from_url, just its error context). */
struct cfgload {
	const char *name; /* file name used in messages */
	char *err;
	size_t errlen;
	bool failed; /* the first error is kept, later ones dropped */
	cfg_t *root;
	struct cfgload_line *lines;
	size_t nlines, cap;
	void *user;	     /* the schema's own parse state, or NULL */
	const char *dup_sec; /* schema->unique_titles, for the message */
};

struct cfgload_schema {
	cfg_opt_t *opts; /* the root option table */
	size_t file_max; /* larger files are refused */
	/* Section whose titles must be unique (CFGF_NO_TITLE_DUPES), for the
	 * message; NULL if none. */
	const char *unique_titles;
	/* After cfg_init(): set validators.  0 or -1 (reported). */
	int (*setup)(struct cfgload *p, cfg_t *cfg);
	/* After a clean parse: the tree into @out.  0 or -1 (reported). */
	int (*compile)(struct cfgload *p, cfg_t *root, void *out);
};

/* An error context for @name with no parse behind it (@err gets ""). */
void cfgload_init(struct cfgload *p, const char *name, char *err,
		  size_t errlen);

/*
 * Report "NAME:LINE: message" (or "NAME: message" when @line <= 0) unless
 * an error was reported before.  Returns -1, so that callers can
 * `return cfgload_err(...)`.
 */
__attribute__((format(printf, 3, 4))) int
cfgload_err(struct cfgload *p, int line, const char *fmt, ...);
/* The same without the file name: command-line errors ("-l ..."). */
__attribute__((format(printf, 2, 3))) int cfgload_say(struct cfgload *p,
						      const char *fmt, ...);

/* The parse in progress (libconfuse callbacks), NULL outside one. */
struct cfgload *cfgload_current(void);

/*
 * Line bookkeeping: where value @idx of @key in section @sec was written;
 * key "" is the line of the section's opening brace.  cfgload_note()
 * records (a later assignment wins): 0 or -1 (out of memory, reported).
 * cfgload_noted() says whether a note exists.  cfgload_line_of(): the
 * value's line, else the section's; cfgload_sec_line(): 0 if unknown.
 */
int cfgload_note(struct cfgload *p, const cfg_t *sec, const char *key,
		 unsigned int idx, int line);
bool cfgload_noted(struct cfgload *p, const cfg_t *sec, const char *key,
		   unsigned int idx);
int cfgload_line_of(struct cfgload *p, const cfg_t *sec, const char *key,
		    unsigned int idx);
int cfgload_sec_line(struct cfgload *p, const cfg_t *sec);

/*
 * The whole parse of @text (@name in messages) with @schema, compiled into
 * @out; @user becomes p->user for the schema's callbacks.  Returns 0, or
 * -1 with the message in @err.  Allocates only what compile allocates.
 */
int cfgload_text(const struct cfgload_schema *schema, const char *text,
		 const char *name, void *user, void *out, char *err,
		 size_t errlen);
/*
 * The same for the file @path, read with stdio (no call the preload
 * library hooks), at most schema->file_max bytes, no NUL byte.
 */
int cfgload_file(const struct cfgload_schema *schema, const char *path,
		 void *user, void *out, char *err, size_t errlen);

/*
 * fork: a program that forks while another of its threads parses a
 * config (the preload library) must not leave the child with the parse
 * lock held by a thread that does not exist there.  The prepare handler
 * waits for a parse in progress; parent and child release.
 */
void cfgload_atfork_prepare(void);
void cfgload_atfork_parent(void);
void cfgload_atfork_child(void);

#endif
