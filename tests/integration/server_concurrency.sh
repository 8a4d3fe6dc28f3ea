#!/usr/bin/env bash
# socksifyd: 1000 concurrent relayed sessions from one process (asyncio),
# all open at once, each echoing its own message.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need python3

n=1000
# client + echo sides in one process: 2 fds per session, the server 2 more
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge $((2 * n + 100)) ] || skip "fd limit $(ulimit -n) too low for $n sessions"
start_socksifyd
PROBE_SESSIONS=$n probe --port "$SOCKSIFYD_PORT" --log "$SOCKSIFYD_LOG" \
	--suite concurrency || fail "$n concurrent sessions"
kill -0 "$SOCKSIFYD_PID" || fail "socksifyd died"
# every session ended with a log line of its own
wait_for $((100 * SOCKSIFY_SLOW)) bash -c \
	"[ \$(grep -c 'INFO session: .*result=succeeded' '$SOCKSIFYD_LOG') -ge $n ]" ||
	fail "$(grep -c 'INFO session: ' "$SOCKSIFYD_LOG") session lines for $n sessions"
stop_all_socksifyd
pass "$n concurrent sessions"
