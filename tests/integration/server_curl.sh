#!/usr/bin/env bash
# socksifyd with curl's native SOCKS support: socks4, socks4a, socks5,
# socks5h, without and with -U user:pass; a wrong password fails.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need curl python3

start_http 127.0.0.1
want="hello from 127.0.0.1"
url=http://127.0.0.1:$HTTP_PORT/
nurl=http://localhost:$HTTP_PORT/

fetch() { # SCHEME URL [CURL ARGS...]
	local scheme=$1 u=$2 out
	shift 2
	out=$(curl -sS --max-time $((10 * SOCKSIFY_SLOW)) --noproxy '' \
		--proxy "$scheme://127.0.0.1:$SOCKSIFYD_PORT" "$@" "$u" 2>&1) ||
		fail "curl --proxy $scheme:// $*: $out"
	[ "$out" = "$want" ] || fail "curl --proxy $scheme://: got '$out'"
}

# no authentication
start_socksifyd
fetch socks4 "$url"
expect_session ver=4 cmd=connect result=succeeded "dst=127.0.0.1:$HTTP_PORT" >/dev/null
fetch socks4a "$nurl"
expect_session ver=4 cmd=connect result=succeeded "dst=localhost:$HTTP_PORT" \
	"addr=127.0.0.1:$HTTP_PORT" >/dev/null
fetch socks5 "$url"
expect_session ver=5 cmd=connect result=succeeded user=- \
	"dst=127.0.0.1:$HTTP_PORT" >/dev/null
fetch socks5h "$nurl"
line=$(expect_session ver=5 cmd=connect result=succeeded \
	"dst=localhost:$HTTP_PORT") || exit 1
# bytes each way are counted: a request went up, a response came down
printf '%s\n' "$line" | grep -Eq ' up=[1-9][0-9]* down=[1-9][0-9]* ' ||
	fail "byte counts in: $line"
pass "curl socks4/4a/5/5h without auth"

# username/password
start_socksifyd -u alice:secret -u bob:hunter2
fetch socks5 "$url" -U alice:secret
expect_session ver=5 user=alice result=succeeded >/dev/null
fetch socks5h "$nurl" -U bob:hunter2
expect_session ver=5 user=bob result=succeeded "dst=localhost:$HTTP_PORT" >/dev/null
out=$(curl -sS --max-time $((10 * SOCKSIFY_SLOW)) --noproxy '' \
	--proxy "socks5://127.0.0.1:$SOCKSIFYD_PORT" -U alice:wrong "$url" 2>&1) &&
	fail "wrong password accepted: $out"
expect_session ver=5 result=auth-failed >/dev/null
out=$(curl -sS --max-time $((10 * SOCKSIFY_SLOW)) --noproxy '' \
	--proxy "socks5://127.0.0.1:$SOCKSIFYD_PORT" "$url" 2>&1) &&
	fail "no credentials accepted by an auth server: $out"
pass "curl socks5/5h with -U; wrong and missing password refused"

# an IPv6 listener
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	start_socksifyd -l '[::1]:0'
	out=$(curl -sS --max-time $((10 * SOCKSIFY_SLOW)) --noproxy '' \
		--proxy "socks5h://[::1]:$SOCKSIFYD_PORT" "$nurl" 2>&1) ||
		fail "curl via [::1]: $out"
	[ "$out" = "$want" ] || fail "curl via [::1]: got '$out'"
	expect_session ver=5 'client=\[::1\]:[0-9]+' result=succeeded >/dev/null
	pass "curl socks5h via an IPv6 listener"
else
	echo "no IPv6 loopback: IPv6 listener not run"
fi
stop_all_socksifyd
