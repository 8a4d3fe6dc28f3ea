#!/usr/bin/env bash
# socksifyd's metrics endpoint (-m / metrics =): off by default; on a
# loopback port and on a Unix socket it answers GET /metrics in the
# Prometheus text format, and the counters move as sessions happen
# (sessions by result, bytes each way, handshake histogram, auth failures,
# open sessions); a non-loopback address is refused; scrapes beyond the
# bound are closed while a slow one is open, and the loop keeps serving.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
need python3 curl

start_http
url=http://127.0.0.1:$HTTP_PORT/
via() { # USER:PASS
	curl -sS --max-time $((10 * SOCKSIFY_SLOW)) --noproxy '' \
		--proxy "socks5h://127.0.0.1:$SOCKSIFYD_PORT" -U "$1" "$url" 2>&1
}
# metric NAME{LABELS}: its value in the scrape $M
metric() { awk -v k="$1" '$1 == k { print $2 }' <<<"$M"; }

# Off by default: no "metrics on" line.
start_socksifyd
grep -q 'metrics on' "$SOCKSIFYD_LOG" && fail "metrics endpoint open by default"

# Refused on a non-loopback address, from the command line and the file.
out=$("$SOCKSIFYD" -l 127.0.0.1:0 -m 198.51.100.1:9100 2>&1) &&
	fail "-m on a non-loopback address accepted"
grep -q 'not a loopback address' <<<"$out" || fail "-m message: $out"
printf 'metrics = "0.0.0.0:9100"\n' >"$TMP/bad.conf"
out=$("$SOCKSIFYD" -f "$TMP/bad.conf" -l 127.0.0.1:0 2>&1) &&
	fail "metrics = 0.0.0.0 accepted"
grep -q 'bad.conf:1: bad metrics endpoint' <<<"$out" || fail "metrics key message: $out"

# Loopback TCP, port 0: the port is in the "metrics on" line.
start_socksifyd -m 127.0.0.1:0 -u alice:secret
mport=$(sed -n 's/.*metrics on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$SOCKSIFYD_LOG")
[ -n "$mport" ] || fail "no metrics port in the log"
murl=http://127.0.0.1:$mport/metrics
scrape() { M=$(curl -sS --max-time $((5 * SOCKSIFY_SLOW)) --noproxy '' "$murl") || fail "scrape failed"; }

scrape
grep -q '^# TYPE socksifyd_sessions_total counter$' <<<"$M" || fail "no TYPE line: $M"
[ "$(metric 'socksifyd_sessions_total{result="succeeded"}')" = 0 ] || fail "succeeded not 0 at start"
[ "$(metric socksifyd_handshake_seconds_count)" = 0 ] || fail "histogram count not 0 at start"

[ "$(via alice:secret)" = "hello from 127.0.0.1" ] || fail "proxied GET"
expect_session result=succeeded >/dev/null
via alice:wrong >/dev/null && fail "wrong password accepted"
expect_session result=auth-failed >/dev/null
scrape
[ "$(metric 'socksifyd_sessions_total{result="succeeded"}')" = 1 ] || fail "succeeded did not move: $M"
[ "$(metric 'socksifyd_sessions_total{result="auth-failed"}')" = 1 ] || fail "auth-failed session not counted"
[ "$(metric socksifyd_auth_failures_total)" = 1 ] || fail "auth failures not counted"
[ "$(metric socksifyd_connections_accepted_total)" = 2 ] || fail "accepted not 2"
[ "$(metric socksifyd_sessions)" = 0 ] || fail "open sessions not 0"
[ "$(metric socksifyd_handshake_seconds_count)" = 1 ] || fail "handshake not observed"
[ "$(metric 'socksifyd_handshake_seconds_bucket{le="+Inf"}')" = 1 ] || fail "+Inf bucket"
up=$(metric 'socksifyd_bytes_total{direction="up"}')
down=$(metric 'socksifyd_bytes_total{direction="down"}')
[ "$up" -gt 0 ] && [ "$down" -gt "$up" ] || fail "bytes up=$up down=$down"
# Buckets are cumulative.
"$PYTHON" - "$M" <<'PY' || fail "histogram buckets not cumulative"
import sys
v = [float(l.split()[1]) for l in sys.argv[1].splitlines()
     if l.startswith("socksifyd_handshake_seconds_bucket")]
sys.exit(0 if v == sorted(v) and len(v) == 13 else 1)
PY

# An open session shows in the gauge while it lasts.
"$PYTHON" - "$SOCKSIFYD_PORT" "$HTTP_PORT" "$murl" <<'PY' || fail "open-session gauge"
import socket, struct, sys, urllib.request
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"\x05\x01\x02")
assert s.recv(2) == b"\x05\x02"
s.sendall(b"\x01\x05alice\x06secret")
assert s.recv(2) == b"\x01\x00"
s.sendall(b"\x05\x01\x00\x01\x7f\x00\x00\x01" + struct.pack(">H", int(sys.argv[2])))
assert s.recv(10)[1] == 0
body = urllib.request.urlopen(sys.argv[3], timeout=10).read().decode()
assert "\nsocksifyd_sessions 1\n" in body, body
s.close()
PY

# Non-GET and unknown paths.
curl -s -o /dev/null -w '%{http_code}' --noproxy '' "http://127.0.0.1:$mport/nope" | grep -qx 404 || fail "unknown path not 404"
curl -s -o /dev/null -w '%{http_code}' --noproxy '' -X POST "$murl" | grep -qx 405 || fail "POST not 405"

# Bound on concurrent scrapes: idle connections fill the slots; one more is
# closed at once; once they go, scrapes work again.
"$PYTHON" - "$mport" "$murl" <<'PY' || fail "scrape bound"
import socket, sys, time, urllib.request
port = int(sys.argv[1])
idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
# Once the loop has taken the idle ones, every further scrape is closed
# unanswered (before that, one may still be served: try again, bounded).
closed = False
for _ in range(50):
    extra = socket.create_connection(("127.0.0.1", port), timeout=5)
    extra.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    try:
        got = extra.recv(100)
    except ConnectionResetError:
        got = b""
    extra.close()
    if got == b"":
        closed = True
        break
assert closed
for s in idle:
    s.close()
for _ in range(50):
    try:
        if b"socksifyd_sessions" in urllib.request.urlopen(sys.argv[2], timeout=5).read():
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY

# A Unix socket from the config file; a stale socket file is replaced;
# with two workers a scrape sums both (sessions land on either).
sock=$TMP/metrics.sock
"$PYTHON" -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
start_socksifyd_conf "metrics = \"$sock\"
workers = 2"
grep -q "metrics on $sock" "$SOCKSIFYD_LOG" || fail "no metrics line for the Unix socket"
M=$(curl -sS --max-time 5 --unix-socket "$sock" http://localhost/metrics) || fail "Unix socket scrape"
[ "$(metric socksifyd_connections_accepted_total)" = 0 ] || fail "Unix socket scrape: $M"
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null --max-time 5 --noproxy '' \
		--proxy "socks5h://127.0.0.1:$SOCKSIFYD_PORT" "$url" || fail "GET $i (workers)"
done
for ((i = 0; i < 50; i++)); do # session ends are counted after the reply
	M=$(curl -sS --max-time 5 --unix-socket "$sock" http://localhost/metrics)
	[ "$(metric 'socksifyd_sessions_total{result="succeeded"}')" = 6 ] && break
	sleep 0.1
done
[ "$(metric 'socksifyd_sessions_total{result="succeeded"}')" = 6 ] || fail "workers not summed: $M"
[ "$(session_lines | sed -n 's/^[0-9]*:socksifyd\[\([0-9]*\)\].*/\1/p' | sort -u | wc -l)" = 2 ] ||
	echo "note: all six sessions landed on one worker"
stop_all_socksifyd
[ -e "$sock" ] && fail "Unix socket left behind at exit"
pass "metrics endpoint"
