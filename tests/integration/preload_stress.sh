#!/usr/bin/env bash
# The stress program (tests/helpers/stress.c) under the real LD_PRELOAD:
# 32 threads connecting through socksifyd (blocking, poll, epoll), echoing,
# closing, dup2/dup3-ing onto their own, scratch and each other's numbers,
# close_range, fork and vfork, all at once for a bounded time.  It fails on
# a wrong echo, a wrong getpeername, a failed call, a crash or a hang (its
# watchdog), and here when socksifyd did not see every verified tunnel.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/stress_lib.sh"
quick_skip
preload_skip
need_lib
STRESS=$HELPERS/stress
[ -x "$STRESS" ] || skip "stress helper not built (make check builds it)"
unset SOCKS_CONF SOCKS_PROXY SOCKS_USERNAME SOCKS_PASSWORD

stress_setup
stress_run "$TMP/stress.out" env SOCKS_CONF="$STRESS_CONF" \
	LD_PRELOAD="$LIBSOCKSIFY" "$STRESS"
[ "$STRESS_RC" -eq 0 ] || fail "stress exited $STRESS_RC"
stress_check_sessions "$TMP/stress.out"
pass "32 threads connecting, closing, dup2-ing and forking under LD_PRELOAD"
