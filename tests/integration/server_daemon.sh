#!/usr/bin/env bash
# socksifyd -D with relative paths (issue 12): `socksifyd -f rel.conf -D -P
# rel.pid` writes the pid file next to the caller, SIGHUP reloads rel.conf
# after daemon(3) moved to "/", the "listening on" line carries the pid of
# the process that serves (the one in the pid file), and a service
# manager's NOTIFY_SOCKET gets READY=1.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
[ -x "$SOCKSIFYD" ] || skip "socksifyd not built"
need python3

mkdir -p "$TMP/d"
cd "$TMP/d"
printf 'listen = "127.0.0.1:0"\nlog = "%s/d.log"\ndebug = 1\n' "$TMP" >rel.conf
"$SOCKSIFYD" -f rel.conf -D -P rel.pid 2>"$TMP/start.err" ||
	fail "socksifyd -D failed: $(cat "$TMP/start.err")"
wait_for 50 test -s rel.pid || fail "no rel.pid in the caller's directory"
pid=$(cat rel.pid)
PIDS+=("$pid")
[ ! -e /rel.pid ] || [ "$(cat /rel.pid)" != "$pid" ] || fail "pid file written to /rel.pid"
wait_for 50 grep -q 'listening on' "$TMP/d.log" || fail "no listening line: $(cat "$TMP/d.log")"
grep -q "^socksifyd\[$pid\]: .*listening on" "$TMP/d.log" ||
	fail "the listening line has another pid than $pid: $(cat "$TMP/d.log")"
pass "-D -P rel.pid: pid file here, listening line with the daemon's pid"

kill -HUP "$pid"
wait_for 50 grep -q 'reloaded\|reload failed' "$TMP/d.log" || fail "no reload line"
grep -q 'reload failed' "$TMP/d.log" && fail "reload failed: $(cat "$TMP/d.log")"
pass "SIGHUP reloads rel.conf after daemon()"
kill "$pid"
wait_for 50 sh -c "! kill -0 $pid 2>/dev/null" || fail "socksifyd did not exit on SIGTERM"

# readiness: a datagram socket standing in for systemd
python3 - "$TMP/notify.sock" "$TMP/notify.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
open(sys.argv[2], "wb").write(s.recv(256))
PY
PIDS+=("$!")
wait_for 50 test -S "$TMP/notify.sock" || fail "no notify socket"
NOTIFY_SOCKET=$TMP/notify.sock "$SOCKSIFYD" -l 127.0.0.1:0 2>"$TMP/n.log" &
PIDS+=("$!")
wait_for 50 grep -q 'READY=1' "$TMP/notify.txt" || fail "no READY=1 on NOTIFY_SOCKET"
pass "READY=1 to NOTIFY_SOCKET"
