#!/usr/bin/env bash
# socksifyd's loopback legs (client and target on this host) use
# loopback_congestion (default reno) instead of a pacing system default,
# on both of its sockets; with loopback_congestion = "" they keep the
# system's algorithm, as with a name the kernel refuses (one warning).
# Read back with ss -tin on a held relayed session.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
need python3 ss
sys_cc=$(cat /proc/sys/net/ipv4/tcp_congestion_control 2>/dev/null) ||
	skip "no /proc/sys/net/ipv4/tcp_congestion_control"
[ "$sys_cc" != reno ] || skip "the system default is reno already: nothing to change"

start_echo

# hold_session PORT: a SOCKS5 session to the echo, held until stdin closes;
# prints "ready" once the relay moved a byte.
# (the program comes with -c: stdin is the hold fifo)
HOLD_PY=$(cat <<'PY'
import socket, struct, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
s.sendall(b'\x05\x01\x00')
assert s.recv(2) == b'\x05\x00'
s.sendall(b'\x05\x01\x00\x01' + socket.inet_aton('127.0.0.1') + struct.pack('!H', int(sys.argv[2])))
r = b''
while len(r) < 10:
    r += s.recv(10 - len(r))
assert r[1] == 0, r
s.sendall(b'x')
assert s.recv(1) == b'x'
print('ready', flush=True)
sys.stdin.read()
PY
)
hold_session() { python3 -c "$HOLD_PY" "$1" "$ECHO_PORT"; }

# cc_of PID: the congestion control of each TCP socket of PID, one per line
cc_of() {
	ss -tinpH state established 2>/dev/null | awk -v p="pid=$1," '
		index($0, p) { want = 1; next }
		want { for (i = 1; i <= NF; i++) if ($i ~ /^(reno|cubic|bbr|bbr2|htcp|vegas|westwood|dctcp)$/) print $i; want = 0 }'
}

check() { # CONF WANT
	local fifo=$TMP/hold.$RANDOM out=$TMP/hold.$RANDOM.out got
	start_socksifyd_conf "$1"
	mkfifo "$fifo"
	hold_session "$SOCKSIFYD_PORT" <"$fifo" >"$out" 2>&1 &
	local hp=$!
	PIDS+=("$hp")
	exec 9>"$fifo"
	wait_for 50 grep -q ready "$out" || fail "relayed session not up: $(cat "$out")"
	got=$(cc_of "$SOCKSIFYD_PID" | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
	exec 9>&-
	wait "$hp" 2>/dev/null
	kill "$SOCKSIFYD_PID"
	wait "$SOCKSIFYD_PID" 2>/dev/null
	[ "$got" = "$2x2 " ] || fail "config '$1': socksifyd's sockets use '$got', expected both $2 (system: $sys_cc)"
	echo "ok: config '$1': $got"
}

check '' reno
check 'loopback_congestion = ""' "$sys_cc"
check 'loopback_congestion = "reno"
listen = { "0.0.0.0:0" }
rule { action = "pass" from = { "127.0.0.0/8" } }' reno
# a name the kernel does not know: one warning, the system's algorithm,
# and the session still works
check 'loopback_congestion = "nosuchcc"' "$sys_cc"
grep -q 'WARN.*loopback_congestion nosuchcc: .*keeping the system' "$SOCKSIFYD_LOG" ||
	fail "no warning for an unknown congestion control: $(cat "$SOCKSIFYD_LOG")"
[ "$(grep -c 'loopback_congestion nosuchcc' "$SOCKSIFYD_LOG")" = 1 ] ||
	fail "the warning is not logged once"
pass "loopback legs use loopback_congestion"
