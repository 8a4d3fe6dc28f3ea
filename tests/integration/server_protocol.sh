#!/usr/bin/env bash
# socksifyd: SOCKS4 CONNECT, 4a, SOCKS5 CONNECT with IPv4/IPv6/DOMAINNAME on
# one port; CONNECT BND is the outbound socket; VN=0 in v4 replies;
# pipelined (greeting+request+early data in one segment) and one byte per
# segment handshakes; 05 FF when no method fits; half-close.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need python3

start_socksifyd
probe --port "$SOCKSIFYD_PORT" --log "$SOCKSIFYD_LOG" --suite protocol ||
	fail "protocol suite"
stop_all_socksifyd
pass "protocol suite"
