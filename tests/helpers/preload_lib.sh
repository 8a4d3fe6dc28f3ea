# shellcheck shell=bash
# Helpers for the preload integration tests (tests/integration/preload_*.sh)
# and the leak tests (tests/netns/*.sh).  Source after lib.sh.
#
# The integration tests run in a private network + mount namespace
# (isolate): only lo exists, 203.0.113.1 and 2001:db8::1 are added to lo
# for real targets, and every other address is unreachable, so a program
# whose traffic went direct instead of through the proxy fails (and nothing
# can ever leave the machine).  Test names (*.socksify.test) resolve only
# inside the proxies' own mount namespace (proxy_side), so a name that
# reaches its target proves it was resolved by the proxy.

HELPERS=${HELPERS:-$top_builddir/tests/helpers}
SLOWSOCKS=$HELPERS/slowsocks
NBCONNECT=$HELPERS/nbconnect
T4=203.0.113.1
T6=2001:db8::1
N4=target4.socksify.test
N6=target6.socksify.test
# the system python (a version-manager shim takes seconds to start)
PY3=$(command -v /usr/bin/python3 || command -v python3)

# Case failures are collected (bad) so one run reports every failing case;
# finish exits 1 if any.  fail (lib.sh) stays for broken infrastructure.
FAILED=()
bad() {
	echo "FAIL: $*"
	FAILED+=("$*")
	return 1
}
finish() {
	if [ ${#FAILED[@]} -gt 0 ]; then
		echo "${#FAILED[@]} case(s) failed:"
		printf '  %s\n' "${FAILED[@]}"
		[ -n "${SOCKSIFYD_LOG:-}" ] && [ -f "$SOCKSIFYD_LOG" ] &&
			{ echo '--- socksifyd log:'; tail -n 20 "$SOCKSIFYD_LOG"; }
		exit 1
	fi
	pass "$@"
}

need_lib() {
	[ -f "$LIBSOCKSIFY" ] || skip "libsocksify.so not built ($LIBSOCKSIFY)"
}

need_helpers() {
	[ -x "$SLOWSOCKS" ] && [ -x "$NBCONNECT" ] ||
		skip "test helpers not built (make check builds them)"
}

# isolate: re-run the calling script in a private network and mount
# namespace (as root: unshare -n -m; otherwise with a user namespace),
# then set up lo, the target addresses and the proxy-side hosts file.
isolate() {
	if [ "${SOCKSIFY_ISOLATED:-0}" != 1 ]; then
		need unshare ip
		local u=()
		[ "$(id -u)" -eq 0 ] || u=(-r)
		unshare "${u[@]}" -n -m true 2>/dev/null ||
			skip "cannot create a private network namespace (unshare -n)"
		rm -rf "$TMP"
		trap - EXIT
		SOCKSIFY_ISOLATED=1 SOCKSIFY_USERNS=${#u[@]} \
			exec unshare "${u[@]}" -n -m bash "$0" "$@"
	fi
	# a signal (make's timeout, ^C) must still run lib.sh's cleanup
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ip link set lo up || fail "ip link set lo up"
	ip addr add $T4/32 dev lo || fail "ip addr add $T4"
	HAVE_V6=1
	ip -6 addr add $T6/128 dev lo nodad 2>/dev/null || HAVE_V6=0
	# the proxies' view of names (see proxy_side)
	PROXY_HOSTS=$TMP/proxy-hosts
	{
		echo "127.0.0.1 localhost"
		echo "::1 localhost ip6-localhost"
		echo "$T4 $N4 both.socksify.test"
		echo "$T6 $N6"
	} >"$PROXY_HOSTS"
	# wrappers so lib.sh's start_* functions run the servers proxy-side
	mkdir -p "$TMP/bin"
	local prog real
	for prog in socksifyd microsocks danted; do
		case $prog in
		socksifyd) real=$SOCKSIFYD ;;
		*) real=$(command -v "$prog" || true) ;;
		esac
		[ -n "$real" ] && [ -x "$real" ] || continue
		cat >"$TMP/bin/$prog" <<EOW
#!/bin/sh
exec unshare -m sh -c 'mount --bind "\$0" /etc/hosts && exec "\$@"' "$PROXY_HOSTS" "$real" "\$@"
EOW
		chmod +x "$TMP/bin/$prog"
	done
	[ -x "$SOCKSIFYD" ] && SOCKSIFYD=$TMP/bin/socksifyd
	[ "$PY3" = /usr/bin/python3 ] && ln -s "$PY3" "$TMP/bin/python3"
	PATH=$TMP/bin:$PATH
	export PATH
}

# have_dante: Dante's sockd is installed and can run here (it must switch
# to an unprivileged uid, impossible in a user namespace).
have_dante() {
	command -v danted >/dev/null || return 1
	[ "${SOCKSIFY_USERNS:-0}" = 0 ] && return 0
	echo "note: Dante cases not run (not root: sockd cannot change uid in a user namespace)"
	return 1
}

# proxy_side CMD...: run CMD with the proxy-side hosts file.
proxy_side() {
	unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' \
		"$PROXY_HOSTS" "$@"
}

# with_lib CMD...: run CMD (and only CMD) with the library preloaded.
with_lib() {
	LD_PRELOAD=$LIBSOCKSIFY "$@"
}

# start_slowsocks ARGS...: our misbehaving test server (port 0 + port
# file); sets SLOW_PID, SLOW_PORT, SLOW_LOG.  Echo mode unless -m/-t.
start_slowsocks() {
	need_helpers
	local pf=$TMP/slow.$RANDOM.port
	SLOW_LOG=$TMP/slow.$RANDOM.log
	: >"$SLOW_LOG"
	"$SLOWSOCKS" -p "$pf" -L "$SLOW_LOG" "$@" 2>>"$TMP/slow.err" &
	SLOW_PID=$!
	PIDS+=("$SLOW_PID")
	wait_for 50 test -s "$pf" || fail "slowsocks did not start"
	SLOW_PORT=$(cat "$pf")
}

# slow_conns: number of proxy connections slowsocks has logged so far.
slow_conns() {
	grep -c '^conn=' "$SLOW_LOG" || true
}

# expect_slow PATTERN...: the slowsocks log has a request line matching
# every grep -E PATTERN, and early=0 on it (no program byte before the
# reply).
expect_slow() {
	local line p
	line=$(grep "^conn=" "$SLOW_LOG" | tail -n 1)
	[ -n "$line" ] || { bad "slowsocks saw no connection (direct path?)"; return 1; }
	for p in "$@"; do
		echo "$line" | grep -Eq -- "$p" ||
			{ bad "slowsocks request '$line' does not match '$p'"; return 1; }
	done
	echo "$line" | grep -q ' early=0 ' ||
		{ bad "program bytes reached the proxy before the reply: $line"; return 1; }
}

# expect_session DST [PATTERN...]: socksifyd logged a successful session
# to DST (grep -E for HOST:PORT as the client sent it) that carried data
# both ways; the line also matches every PATTERN (e.g. 'user=alice').
# Only lines logged after the last session_mark count.
SESSION_MARK=0
session_mark() {
	SESSION_MARK=0
	[ -f "${SOCKSIFYD_LOG:-}" ] && SESSION_MARK=$(wc -l <"$SOCKSIFYD_LOG")
	return 0
}
new_sessions() {
	tail -n +$((SESSION_MARK + 1)) "$SOCKSIFYD_LOG"
}
expect_session() {
	local dst=$1 re line p
	shift
	re="session: .*dst=$dst .*result=succeeded"
	wait_for 30 sh -c "tail -n +$((SESSION_MARK + 1)) '$SOCKSIFYD_LOG' | grep -Eq '$re'" ||
		{ bad "no new successful socksifyd session to $dst"; return 1; }
	line=$(new_sessions | grep -E "$re" | tail -n 1)
	echo "$line" | grep -Eq 'up=[1-9][0-9]* down=[1-9]' ||
		{ bad "socksifyd session to $dst carried no data: $line"; return 1; }
	for p in "$@"; do
		echo "$line" | grep -Eq -- "$p" ||
			{ bad "session '$line' does not match '$p'"; return 1; }
	done
}

# sessions_to DST: number of socksifyd session lines for DST so far.
sessions_to() {
	grep -Ec "session: .*dst=$1 " "$SOCKSIFYD_LOG" || true
}

# write_conf FILE URL [EXTRA...]: a client config using one proxy for all
# non-loopback destinations, names resolved remotely.
write_conf() {
	local f=$1 url=$2
	shift 2
	{
		echo 'resolve = "remote"'
		echo 'timeout = 5'
		echo "proxy \"p\" { url = \"$url\" }"
		local l
		for l in "$@"; do echo "$l"; done
		echo 'route { to = { "127.0.0.0/8", "::1/128" } via = "direct" }'
		echo 'route { to = { "0.0.0.0/0", "::/0" } via = "p" }'
	} >"$f"
}

# start_http_peer HOST: an HTTP server on HOST port 0 whose body names the
# connecting peer: "hello from HOST peer=IP"; sets HTTP_PID, HTTP_PORT.
# A proxy whose outgoing address differs from what a direct connection
# would use (127.0.0.1 for Dante's `external` and microsocks -b) shows in
# the body, so the test knows the request did not go direct.
start_http_peer() {
	local host=$1 pf=$TMP/httpp.$RANDOM.port
	"$PY3" - "$host" "$pf" >"$TMP/httpp.log" 2>&1 <<'PY' &
import http.server, socket, sys, os
host, pf = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from %s peer=%s\n" % (host, self.client_address[0])).encode()
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

# get URL EXPECT [ENV=VAL...] [-- WRAPPER...]: curl URL, with no proxy
# option of its own, under the library (or under WRAPPER, e.g. the
# socksify wrapper); the body must contain EXPECT.
get() {
	local url=$1 want=$2 envs=() wrap=() out
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ "${1:-}" = -- ] && { shift; wrap=("$@"); }
	session_mark
	if [ ${#wrap[@]} -gt 0 ]; then
		out=$(env "${envs[@]}" "${wrap[@]}" curl -sS --max-time 10 "$url" 2>&1)
	else
		out=$(env "${envs[@]}" LD_PRELOAD="$LIBSOCKSIFY" curl -sS --max-time 10 "$url" 2>&1)
	fi || { bad "curl $url (${envs[*]} ${wrap[*]}): $out"; return 1; }
	case $out in
	*"$want"*) ;;
	*) bad "curl $url (${envs[*]} ${wrap[*]}): got '$out', want '$want'"; return 1 ;;
	esac
	echo "ok: curl $url (${envs[*]} ${wrap[*]}): $out"
}

# start_echo_peer HOST: a TCP echo server on HOST port 0 that appends the
# address of every peer to $ECHO_PEERS (one line per connection); sets
# ECHO_PID, ECHO_PORT.  See start_http_peer for why the peer matters.
start_echo_peer() {
	local host=$1 pf=$TMP/echop.$RANDOM.port
	ECHO_PEERS=$TMP/echo-peers.$RANDOM
	: >"$ECHO_PEERS"
	"$PY3" - "$host" "$pf" "$ECHO_PEERS" >"$TMP/echop.log" 2>&1 <<'PY' &
import socket, sys, threading, os
host, pf, peers = sys.argv[1], sys.argv[2], sys.argv[3]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, 0)); s.listen(128)
open(pf + '.tmp', 'w').write(str(s.getsockname()[1])); os.rename(pf + '.tmp', pf)
lock = threading.Lock()
def serve(c, a):
    with lock, open(peers, 'a') as f:
        f.write("peer=%s\n" % a[0])
    with c:
        while True:
            d = c.recv(65536)
            if not d: break
            c.sendall(d)
while True:
    c, a = s.accept()
    threading.Thread(target=serve, args=(c, a), daemon=True).start()
PY
	ECHO_PID=$!
	PIDS+=("$ECHO_PID")
	wait_for 50 test -s "$pf" || fail "echo server did not start"
	ECHO_PORT=$(cat "$pf")
}
