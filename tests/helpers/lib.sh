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
	SOCKSIFYD_PORT=$(sed -n 's/.*listening on .*:\([0-9]\+\)$/\1/p' "$SOCKSIFYD_LOG" | head -n 1)
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
