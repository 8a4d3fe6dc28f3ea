#!/usr/bin/env bash
# JSON-lines logs (issue 12): socksifyd with log_format = "json" writes one
# object per session end with the fields of the text line; the library
# with SOCKS_LOG_FORMAT=json one object per routed connection (program,
# pid, destination, route FILE:LINE, proxy, result, duration).  A hostile
# user name (quote, backslash, control bytes, invalid UTF-8) and
# destination name stay inside their strings; every line parses with
# python3's json; no password in either log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
preload_skip
need python3 curl
[ -f "$LIBSOCKSIFY" ] || skip "libsocksify.so not built"

user=$(printf 'q"u\\o\001te\377')
pass_=s3cretPW
start_socksifyd_conf 'log_format = "json"' -u "$user:$pass_"
start_http
conf=$TMP/client.conf
cat >"$conf" <<CONF
proxy "p1" { url = "socks5://127.0.0.1:$SOCKSIFYD_PORT" }

route { via = "p1" }
CONF
clog=$TMP/client.log
run() { # URL: curl under the library, JSON log at level 1
	env -u SOCKS_PROXY SOCKS_CONF="$conf" SOCKS_USERNAME="$user" \
		SOCKS_PASSWORD="$pass_" SOCKS_LOG="$clog" SOCKS_LOG_FORMAT=json \
		SOCKS_DEBUG=1 LD_PRELOAD="$LIBSOCKSIFY" \
		curl -sS --max-time $((10 * SOCKSIFY_SLOW)) --noproxy '' "$1" 2>/dev/null
}
[ "$(run "http://127.0.0.1:$HTTP_PORT/")" = "hello from 127.0.0.1" ] || fail "GET through the library"
closed=$(free_port)
run "http://127.0.0.1:$closed/" && fail "GET to a closed port succeeded"
# A hostile destination name (quote, backslash, newline, bytes >= 0x80),
# asked for by a raw SOCKS5 client; the look-up fails, the name is logged.
"$PYTHON" - "$SOCKSIFYD_PORT" "$user" "$pass_" <<'PY' || fail "raw SOCKS5 client"
import socket, sys
u, p = sys.argv[2].encode("utf-8", "surrogateescape"), sys.argv[3].encode()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"\x05\x01\x02")
assert s.recv(2) == b"\x05\x02"
s.sendall(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
assert s.recv(2) == b"\x01\x00"
name = b'a"b\\c\n{\xff}.invalid'
s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + b"\x00\x50")
s.recv(10)
PY
# bounded wait for the three session objects
for ((i = 0; i < 100 * SOCKSIFY_SLOW; i++)); do
	[ "$(grep -c '"event":"session"' "$SOCKSIFYD_LOG")" -ge 3 ] && break
	sleep 0.1
done
grep -q "$pass_" "$SOCKSIFYD_LOG" "$clog" && fail "a password in a log"

"$PYTHON" - "$SOCKSIFYD_LOG" "$clog" "$conf" "$HTTP_PORT" "$closed" <<'PY' || fail "JSON logs (above)"
import json, sys
srv, cli, conf, http, closed = sys.argv[1:]
def lines(p):
    out = []
    for n, l in enumerate(open(p, "rb").read().decode("utf-8").splitlines(), 1):
        try:
            out.append(json.loads(l))
        except ValueError as e:
            sys.exit("%s:%d not JSON: %r (%s)" % (p, n, l, e))
    return out
S = [o for o in lines(srv) if o["event"] == "session"]
assert len(S) >= 3, S
user = 'q"u\\o\x01te\ufffd'
ok = [o for o in S if o["result"] == "succeeded" and o["dst"] == "127.0.0.1:" + http]
assert len(ok) == 1, S
o = ok[0]
assert o["user"] == user, o["user"]
assert o["ver"] == 5 and o["cmd"] == "connect" and o["up"] > 0 and o["down"] > 0, o
assert isinstance(o["duration"], float) and o["client"].startswith("127.0.0.1:"), o
assert set(o) >= {"time", "ident", "pid", "client", "user", "ver", "cmd", "dst",
                  "addr", "result", "up", "down", "duration"}, o
assert any(x["dst"] == "127.0.0.1:" + closed and x["result"] == "connection-refused" for x in S), S
assert any(x["dst"] is not None and x["dst"].startswith('a"b\\c') for x in S), S
C = [o for o in lines(cli) if o["event"] == "connection"]
assert len(C) == 2, C
good, bad = C
for c in C:
    assert c["program"] == "curl" and isinstance(c["pid"], int), c
    assert c["route"] == conf + ":3" and c["via"] == "p1", c
    assert c["proxy"].startswith("127.0.0.1:"), c
    assert isinstance(c["duration"], float), c
assert good["dst"] == "127.0.0.1:" + http and good["result"] == "connected" and good["errno"] == 0, good
assert bad["dst"] == "127.0.0.1:" + closed and bad["result"] == "connection refused" and bad["errno"] == 111, bad
PY
pass "JSON-lines logs of socksifyd and the library"
