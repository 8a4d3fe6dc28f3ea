#!/usr/bin/env bash
# socksifyd BIND: SOCKS4 and SOCKS5 (IPv4 and IPv6).  The first reply names
# a reachable listener (never 0.0.0.0), the second the peer; the peer is
# checked against DST.ADDR; one inbound connection only; the listener goes
# away when the client hangs up.  bind_client does the end-to-end exchange,
# socks_probe the edge cases.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need python3
BIND_CLIENT=${BIND_CLIENT:-$top_builddir/tests/helpers/bind_client}
[ -x "$BIND_CLIENT" ] || skip "bind_client not built (make check builds it)"

start_socksifyd
"$BIND_CLIENT" -4 127.0.0.1 "$SOCKSIFYD_PORT" 127.0.0.1 || fail "SOCKS4 BIND"
expect_session ver=4 cmd=bind result=succeeded up=12 down=12
"$BIND_CLIENT" -5 127.0.0.1 "$SOCKSIFYD_PORT" 127.0.0.1 || fail "SOCKS5 BIND IPv4"
expect_session ver=5 cmd=bind result=succeeded 'dst=127\.0\.0\.1:0' up=12 down=12
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	"$BIND_CLIENT" -5 127.0.0.1 "$SOCKSIFYD_PORT" ::1 || fail "SOCKS5 BIND IPv6"
	expect_session ver=5 cmd=bind result=succeeded up=12 down=12
else
	echo "no IPv6 loopback: IPv6 BIND not run"
fi
probe --port "$SOCKSIFYD_PORT" --log "$SOCKSIFYD_LOG" --suite bind ||
	fail "BIND edge cases"
stop_all_socksifyd
pass "BIND v4/v5"
