/* SPDX-License-Identifier: MIT */
/*
 * What the in-process hook suites share (hook_fixture.c): installing a
 * test config, and main().
 */
#ifndef SOCKSIFY_TESTS_HOOKS_FIXTURE_H
#define SOCKSIFY_TESTS_HOOKS_FIXTURE_H

#include <check.h>
#include <stdbool.h>

/*
 * Install the config made from printf-style @fmt as the library's (a
 * parse error aborts the test with the message).  The one it replaces is
 * freed: no handshake of a test outlives the next use_conf().
 */
void use_conf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * main() of a suite.  The library reads its environment once, in a
 * constructor that ran before main(): unless the environment is already
 * the suites' (no SOCKS_CONF or SOCKS_PROXY; fallback credentials
 * envuser/envp when @env_creds, none otherwise), it is set and the
 * program started again.  Then @s runs; the exit status says whether
 * every test passed.
 */
int hook_main(char **argv, Suite *s, bool env_creds);

#endif
