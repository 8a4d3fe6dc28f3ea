/* SPDX-License-Identifier: MIT */
/*
 * The wrapper's diagnostics: `socksify --check [FILE]` and
 * `socksify --explain HOST[:PORT] [--udp|--bind] [--program NAME]`.
 * Both work on a parsed config and print for a person, on stdout.
 */
#ifndef SOCKSIFY_WRAPPER_WRAP_DIAG_H
#define SOCKSIFY_WRAPPER_WRAP_DIAG_H

#include <stdio.h>

#include "conf/conf.h"

/*
 * Warnings about a config that parses but will not do what its author
 * wants (no route at all: everything is denied; no route that uses a
 * proxy).  One line each on @f, prefixed "socksify: warning: ".  Returns
 * the number of warnings.
 */
int diag_warn(const struct conf *c, FILE *f);

/* --check: "FILE: config OK (...)" plus warnings; returns the exit status
 * (0; parse errors are reported by the caller before). */
int diag_check(const struct conf *c);

/*
 * --explain: print the route, proxy chain and name resolution that
 * @dest (HOST[:PORT], port 80 when left out) would get for command
 * @cmd (CONF_CMD_*) from program @program (NULL: any), and why.
 * Returns 0, or 2 when @dest cannot be parsed.
 */
int diag_explain(const struct conf *c, const char *dest, unsigned cmd,
		 const char *program);

#endif
