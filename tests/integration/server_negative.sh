#!/usr/bin/env bash
# socksifyd: the negative corpus.  Malformed handshakes (bad VER, NMETHODS 0,
# zero-length domain, NUL in domain, CMD 04/F0, ATYP 05, RFC 1929 VER 5,
# over-long SOCKS4 USERID, HTTP to the SOCKS port) each get their exact
# reply bytes, then the server closes; each leaves one session line.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need python3

start_socksifyd -u alice:secret
AUTH_PORT=$SOCKSIFYD_PORT AUTH_LOG=$SOCKSIFYD_LOG
start_socksifyd
probe --port "$SOCKSIFYD_PORT" --log "$SOCKSIFYD_LOG" \
	--auth-port "$AUTH_PORT" --auth-log "$AUTH_LOG" --user alice:secret \
	--suite negative || fail "negative corpus"
kill -0 "$SOCKSIFYD_PID" || fail "socksifyd died"
stop_all_socksifyd
pass "negative corpus"
