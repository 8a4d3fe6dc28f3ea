// SPDX-License-Identifier: MIT
/* The hook suites' shared fixture (hook_fixture.h). */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Is $@name @want (NULL: unset)? */
static bool env_is(const char *name, const char *want)
{
	const char *v = getenv(name);

	return want ? v && strcmp(v, want) == 0 : v == NULL;
}

/* Contract: hook_fixture.h. */
int hook_main(char **argv, Suite *s, bool env_creds)
{
	const char *user = env_creds ? "envuser" : NULL;
	const char *pass = env_creds ? "envp" : NULL;
	SRunner *sr;
	int failed;

	if (!env_is("SOCKS_CONF", NULL) || !env_is("SOCKS_PROXY", NULL) ||
	    !env_is("SOCKS_USERNAME", user) ||
	    !env_is("SOCKS_PASSWORD", pass)) {
		unsetenv("SOCKS_CONF");
		unsetenv("SOCKS_PROXY");
		unsetenv("SOCKS_USERNAME");
		unsetenv("SOCKS_PASSWORD");
		if (env_creds) {
			setenv("SOCKS_USERNAME", user, 1);
			setenv("SOCKS_PASSWORD", pass, 1);
		}
		execv("/proc/self/exe", argv);
		perror("execv /proc/self/exe");
		return EXIT_FAILURE;
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
