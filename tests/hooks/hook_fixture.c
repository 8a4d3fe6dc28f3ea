// SPDX-License-Identifier: MIT
/* The hook suites' shared fixture (hook_fixture.h). */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>

#include "conf/conf.h"
#include "hook_fixture.h"
#include "preload/init.h"

static struct conf *fixture_conf;

/* Contract: hook_fixture.h. */
void use_conf(const char *fmt, ...)
{
	char text[2048], err[CONF_ERR_MAX];
	struct conf *old = fixture_conf;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (conf_load_buf(text, "test.conf", &fixture_conf, err, sizeof(err)) <
	    0)
		ck_abort_msg("config: %s\n%s", err, text);
	socksify_conf_set(fixture_conf);
	if (old)
		conf_free(old);
}
