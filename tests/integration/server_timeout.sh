#!/usr/bin/env bash
# socksifyd handshake_timeout = 1: a silent client and a client stalled in
# the middle of a request are closed (bounded wait, logged as
# handshake-timeout); an established relay is not cut by it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need python3

start_socksifyd_conf 'handshake_timeout = 1'
probe --port "$SOCKSIFYD_PORT" --log "$SOCKSIFYD_LOG" --suite timeout ||
	fail "timeout suite"
stop_all_socksifyd
pass "handshake timeout"
