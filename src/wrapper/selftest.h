/* SPDX-License-Identifier: MIT */
/*
 * socksify --selftest: start socksifyd on loopback with a port of its own,
 * an echo server for TCP and UDP, and run socksify-probe under the library
 * with a config that sends everything but socksifyd through it.  Reports
 * TCP, UDP and DNS (a name the proxy resolves) each with the reason.
 */
#ifndef SOCKSIFY_WRAPPER_SELFTEST_H
#define SOCKSIFY_WRAPPER_SELFTEST_H

#include <stdbool.h>

/*
 * Run the checks with the library at @lib (absolute path).  Prints one
 * line per check on stdout.  Returns 0 when all pass, 1 when one fails,
 * 2 when the test bed cannot be set up (no socksifyd, no probe).
 */
int selftest_run(const char *lib, bool quiet);

#endif
