#!/usr/bin/env bash
# socksifyd UDP ASSOCIATE: BND is the address the client reached; replies
# are encapsulated with the remote source; datagrams only from the client's
# IP (a foreign source is dropped; the first datagram pins the port; a
# declared port is enforced); FRAG != 0 dropped with the association kept;
# IPv6 and name destinations; the relay is gone soon after the control
# connection closes (bounded wait, no timing assertion).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need python3

start_socksifyd
probe --port "$SOCKSIFYD_PORT" --log "$SOCKSIFYD_LOG" --suite udp ||
	fail "UDP suite"
stop_all_socksifyd
pass "UDP ASSOCIATE"
