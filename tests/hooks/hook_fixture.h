/* SPDX-License-Identifier: MIT */
/*
 * What the in-process hook suites share (hook_fixture.c): installing a
 * test config.
 */
#ifndef SOCKSIFY_TESTS_HOOKS_FIXTURE_H
#define SOCKSIFY_TESTS_HOOKS_FIXTURE_H

/*
 * Install the config made from printf-style @fmt as the library's (a
 * parse error aborts the test with the message).  The one it replaces is
 * freed: no handshake of a test outlives the next use_conf().
 */
void use_conf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
