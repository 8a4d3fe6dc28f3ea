# shellcheck shell=bash
# Shared test harness for tests/integration and tests/netns scripts.
# Source it; it provides bounded waits, servers on port 0 (or a probed free
# port where the server cannot report one), and cleanup of every process
# started, by PID.  Conventions: exit 0 pass, 1 fail, 77 skip (say why).
set -u
: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir/build}"
export top_srcdir top_builddir

PIDS=()
TMP=$(mktemp -d "${TMPDIR:-/tmp}/socksify-test.XXXXXX")

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		# bounded: give each process up to 2 s, then SIGKILL
		for _ in $(seq 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ "${KEEP_TMP:-0}" = 1 ] || rm -rf "$TMP"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; [ -n "${SOCKSIFYD_LOG:-}" ] && [ -f "$SOCKSIFYD_LOG" ] && { echo '--- socksifyd log:'; tail -n 30 "$SOCKSIFYD_LOG"; }; exit 1; }
pass() { echo "PASS: $*"; }
need() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "$c not installed"; done; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root"; }
# Integration tests are skipped in quick runs (make distcheck) and, for
# preload tests, in the sanitizer build (an ASan library cannot be preloaded
# into programs that are not built with ASan).
quick_skip() { [ "${SOCKSIFY_QUICK:-0}" = 1 ] && skip "quick run (SOCKSIFY_QUICK=1)"; return 0; }
preload_skip() { [ "${SOCKSIFY_SANITIZED:-0}" = 1 ] && skip "sanitizer build: library cannot be preloaded into plain programs"; return 0; }

# wait_for COUNT_TENTHS CMD...: retry CMD every 0.1 s, up to COUNT tenths.
wait_for() {
	local n=$1; shift
	local i
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# free_port: a TCP port on 127.0.0.1 that was free a moment ago (for servers
# that cannot listen on port 0 and report it).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

SOCKSIFYD=${SOCKSIFYD:-$top_builddir/socksifyd}
SOCKSIFY=${SOCKSIFY:-$top_builddir/socksify}
LIBSOCKSIFY=${LIBSOCKSIFY:-$top_builddir/.libs/libsocksify.so}

# start_socksifyd [ARGS...]: start our server on 127.0.0.1:0 unless -l is in
# ARGS; sets SOCKSIFYD_PID, SOCKSIFYD_PORT (first listener), SOCKSIFYD_LOG.
start_socksifyd() {
	[ -x "$SOCKSIFYD" ] || skip "socksifyd not built"
	SOCKSIFYD_LOG=$TMP/socksifyd.$RANDOM.log
	local args=("$@")
	case " $* " in *" -l "*) ;; *) args=(-l 127.0.0.1:0 "${args[@]}") ;; esac
	"$SOCKSIFYD" -d 1 "${args[@]}" 2>"$SOCKSIFYD_LOG" &
	SOCKSIFYD_PID=$!
	PIDS+=("$SOCKSIFYD_PID")
	wait_for 50 grep -q 'listening on' "$SOCKSIFYD_LOG" ||
		fail "socksifyd did not start: $(cat "$SOCKSIFYD_LOG")"
	# (text line, or the "msg" of a JSON line: log_format = "json")
	SOCKSIFYD_PORT=$(sed -n 's/.*listening on .*:\([0-9]\+\)\("}\)\?$/\1/p' "$SOCKSIFYD_LOG" | head -n 1)
	[ -n "$SOCKSIFYD_PORT" ] || fail "no port in socksifyd log"
}

# start_microsocks: sets MICROSOCKS_PID, MICROSOCKS_PORT.
start_microsocks() {
	need microsocks
	MICROSOCKS_PORT=$(free_port)
	microsocks -i 127.0.0.1 -p "$MICROSOCKS_PORT" "$@" >"$TMP/microsocks.log" 2>&1 &
	MICROSOCKS_PID=$!
	PIDS+=("$MICROSOCKS_PID")
	wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MICROSOCKS_PORT" ||
		fail "microsocks did not start"
}

# start_dante [EXTRA_CONF_LINES]: Dante's sockd on loopback, no auth;
# sets DANTE_PID, DANTE_PORT.
start_dante() {
	local sockd
	sockd=$(command -v danted || command -v sockd || true)
	[ -n "$sockd" ] || skip "dante-server not installed"
	DANTE_PORT=$(free_port)
	cat >"$TMP/danted.conf" <<EOC
logoutput: $TMP/danted.log
internal: 127.0.0.1 port = $DANTE_PORT
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 command: bind connect udpassociate bindreply udpreply }
${1:-}
EOC
	"$sockd" -f "$TMP/danted.conf" -p "$TMP/danted.pid" -N 1 >"$TMP/danted.out" 2>&1 &
	DANTE_PID=$!
	PIDS+=("$DANTE_PID")
	wait_for 100 bash -c "exec 3<>/dev/tcp/127.0.0.1/$DANTE_PORT" ||
		fail "sockd did not start: $(cat "$TMP/danted.out" "$TMP/danted.log" 2>/dev/null)"
}

# start_echo [HOST]: a TCP echo server on HOST (default 127.0.0.1) port 0;
# sets ECHO_PID, ECHO_PORT.
start_echo() {
	local host=${1:-127.0.0.1} pf=$TMP/echo.$RANDOM.port
	python3 - "$host" "$pf" >"$TMP/echo.log" 2>&1 <<'PY' &
import socket, sys, threading, os
host, pf = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, 0)); s.listen(128)
open(pf + '.tmp', 'w').write(str(s.getsockname()[1])); os.rename(pf + '.tmp', pf)
def serve(c):
    with c:
        while True:
            d = c.recv(65536)
            if not d: break
            c.sendall(d)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
	ECHO_PID=$!
	PIDS+=("$ECHO_PID")
	wait_for 50 test -s "$pf" || fail "echo server did not start"
	ECHO_PORT=$(cat "$pf")
}

# start_http [HOST]: a tiny HTTP server answering "hello from HOST"; sets
# HTTP_PID, HTTP_PORT.
start_http() {
	local host=${1:-127.0.0.1} pf=$TMP/http.$RANDOM.port
	python3 - "$host" "$pf" >"$TMP/http.log" 2>&1 <<'PY' &
import http.server, socket, sys, os
host, pf = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from %s\n" % host).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ':' in host else socket.AF_INET
srv = S((host, 0), H)
open(pf + '.tmp', 'w').write(str(srv.server_address[1])); os.rename(pf + '.tmp', pf)
srv.serve_forever()
PY
	HTTP_PID=$!
	PIDS+=("$HTTP_PID")
	wait_for 50 test -s "$pf" || fail "http server did not start"
	HTTP_PORT=$(cat "$pf")
}

# ---- socksifyd integration helpers (tests/integration/server_*.sh)

# Python with the python3-socks module (Debian's /usr/bin/python3 when a
# different python3 comes first in PATH); empty if none.
python_socks() {
	local py
	for py in python3 /usr/bin/python3; do
		command -v "$py" >/dev/null 2>&1 || continue
		"$py" -c 'import socks' >/dev/null 2>&1 && { echo "$py"; return 0; }
	done
	return 1
}

# The system Python when there is one (a pyenv/venv shim in PATH can cost
# a second per start); override with PYTHON=.
PYTHON=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}

# probe ARGS...: the raw-socket client (tests/helpers/socks_probe.py).
probe() {
	"$PYTHON" "$top_srcdir/tests/helpers/socks_probe.py" "$@"
}

# session_lines: the session-end lines of the current socksifyd log, each
# prefixed by its line number and a colon.
session_lines() {
	grep -an 'INFO session: ' "$SOCKSIFYD_LOG" 2>/dev/null
}

# expect_session FIELD=VALUE...: wait (bounded) until a session-end line of
# $SOCKSIFYD_LOG not matched before carries every FIELD=VALUE given (VALUE
# is a grep -E pattern for the whole field value); prints the line and
# marks it used, so each call finds a distinct session.
expect_session() {
	local i line f ok n used=$SOCKSIFYD_LOG.used
	touch "$used"
	for ((i = 0; i < 100 * SOCKSIFY_SLOW; i++)); do
		while IFS= read -r line; do
			n=${line%%:*}
			grep -qx "$n" "$used" && continue
			ok=1
			for f in "$@"; do
				printf '%s\n' "$line" |
					grep -Eq "(: | )${f%%=*}=(${f#*=})( |$)" || { ok=0; break; }
			done
			if [ $ok = 1 ]; then
				echo "$n" >>"$used"
				printf '%s\n' "${line#*:}"
				return 0
			fi
		done < <(session_lines)
		sleep 0.1
	done
	fail "no session line with: $*"
}

# start_socksifyd_conf TEXT [ARGS...]: write TEXT to a config file and
# start socksifyd -f on it; sets SOCKSIFYD_CONF too.
start_socksifyd_conf() {
	SOCKSIFYD_CONF=$TMP/socksifyd.$RANDOM.conf
	printf '%s\n' "$1" >"$SOCKSIFYD_CONF"
	shift
	start_socksifyd -f "$SOCKSIFYD_CONF" "$@"
}

# start_udp_echo [HOST]: a UDP echo on HOST (default 127.0.0.1) port 0;
# sets UDP_ECHO_PID, UDP_ECHO_PORT.
start_udp_echo() {
	local host=${1:-127.0.0.1} pf=$TMP/uecho.$RANDOM.port
	python3 - "$host" "$pf" >"$TMP/uecho.log" 2>&1 <<'PY' &
import socket, sys, os
host, pf = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, 0))
open(pf + '.tmp', 'w').write(str(s.getsockname()[1])); os.rename(pf + '.tmp', pf)
while True:
    d, a = s.recvfrom(65536)
    s.sendto(d, a)
PY
	UDP_ECHO_PID=$!
	PIDS+=("$UDP_ECHO_PID")
	wait_for 50 test -s "$pf" || fail "udp echo server did not start"
	UDP_ECHO_PORT=$(cat "$pf")
}

# sanitizer builds of socksifyd are slower: scale bounded waits.
SOCKSIFY_SLOW=1
if [ "${SOCKSIFY_SANITIZED:-0}" = 1 ]; then SOCKSIFY_SLOW=3; fi

# stop_all_socksifyd: SIGTERM every socksifyd this test started (found by
# the PID in each $TMP/socksifyd.*.log), wait (bounded) and fail unless each
# exited 0 with no sanitizer report (ASan/LSan/UBSan) in its log.
stop_all_socksifyd() {
	local log pid i rc
	for log in "$TMP"/socksifyd.*.log; do
		[ -f "$log" ] || continue
		pid=$(sed -n -e 's/^socksifyd\[\([0-9]\+\)\].*/\1/p' \
			-e 's/^{.*"ident":"socksifyd","pid":\([0-9]\+\),.*/\1/p' "$log" | head -n 1)
		[ -n "$pid" ] || continue
		if kill -TERM "$pid" 2>/dev/null; then
			for ((i = 0; i < 50 * SOCKSIFY_SLOW; i++)); do
				case $(ps -o stat= -p "$pid" 2>/dev/null || echo Z) in
				Z*) break ;;
				esac
				sleep 0.1
			done
			rc=0
			wait "$pid" 2>/dev/null || rc=$?
			[ $rc -eq 0 ] || { SOCKSIFYD_LOG=$log; fail "socksifyd $pid exited $rc after SIGTERM"; }
		fi
		if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log"; then
			SOCKSIFYD_LOG=$log
			grep -E -A 20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log" | head -n 40
			fail "sanitizer report in $log"
		fi
	done
}
