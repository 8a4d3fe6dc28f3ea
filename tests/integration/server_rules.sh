#!/usr/bin/env bash
# socksifyd rules: a block rule for one destination gives REP 02 (SOCKS5)
# and CD 91 (SOCKS4) and the destination is never contacted; the next rule
# passes the rest.  First match wins.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need python3

start_socksifyd_conf 'rule { action = "block" to = { "127.0.0.3/32" } }
rule { action = "pass" }'
probe --port "$SOCKSIFYD_PORT" --log "$SOCKSIFYD_LOG" --suite rules ||
	fail "rules suite"
stop_all_socksifyd
pass "rule denial"
