#!/usr/bin/env bash
# ThreadSanitizer on the library's own code (issue 8): the stress program
# (tests/helpers/stress.c) built with the preload sources compiled in
# (tests/tsan/stress_inproc, configure --enable-tsan), so its connect(),
# close(), dup2(), ... are the hooks, and the fd table, the engine and the
# fork handlers run instrumented.  Fails on any ThreadSanitizer report, on
# a failure or hang of the program, or when socksifyd did not see every
# verified tunnel.
#
# tests/tsan/suppressions may name libc or third-party internals only,
# never a src/preload frame.  The program's deliberate bug, dup2 onto a
# number another thread uses, is a real race on that fd which TSan reports
# as such: tests/tsan/reports.awk sets those reports aside (and only those:
# a race on a file descriptor with that dup2 call on one side); every
# other report fails the test.  TSAN_OPTIONS: die_after_fork=0 lets the
# program's fork children run (they are single-threaded and only close,
# dup2, connect and _exit); exitcode=0 since the reports are sorted here;
# detect_deadlocks=0: TSan's lock-order checker aborts when one thread
# holds more than 64 mutexes, which the library's fork handler does by
# design (it takes every entry lock, fdtable.c); data races are still
# reported.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/stress_lib.sh"
quick_skip
STRESS_INPROC=$top_builddir/tests/tsan/stress_inproc
[ -x "$STRESS_INPROC" ] || skip "stress_inproc not built (configure --enable-tsan)"
unset SOCKS_CONF SOCKS_PROXY SOCKS_USERNAME SOCKS_PASSWORD LD_PRELOAD

stress_setup
opts="die_after_fork=0 halt_on_error=0 exitcode=0 detect_deadlocks=0"
opts="$opts suppressions=$top_srcdir/tests/tsan/suppressions"
stress_run "$TMP/stress.out" env TSAN_OPTIONS="$opts ${TSAN_OPTIONS:-}" \
	SOCKS_CONF="$STRESS_CONF" "$STRESS_INPROC" -F
sorted=$(awk -f "$top_srcdir/tests/tsan/reports.awk" "$TMP/stress.out")
echo "--- ThreadSanitizer reports (program's own dup2 races set aside):"
echo "$sorted"
case $sorted in
*"unexpected=0") ;;
*) fail "ThreadSanitizer reported races in the library (above)" ;;
esac
[ "$STRESS_RC" -eq 0 ] || fail "stress_inproc exited $STRESS_RC"
stress_check_sessions "$TMP/stress.out"
grep -q 'WARNING: ThreadSanitizer' "$SOCKSIFYD_LOG" &&
	fail "ThreadSanitizer report in socksifyd: $(grep -A 20 'WARNING: ThreadSanitizer' "$SOCKSIFYD_LOG")"
pass "32 threads under ThreadSanitizer, library code instrumented: no report"
