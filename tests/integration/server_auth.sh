#!/usr/bin/env bash
# socksifyd username/password (RFC 1929): -u users, pipelined and split
# auth, wrong password and unknown user (01 01, close), no-auth refused
# (05 FF), SOCKS4 refused; users from the config file (password and
# SHA-512 crypt hash) and from -U USERFILE.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need python3 curl

start_socksifyd -u alice:secret
probe --port "$SOCKSIFYD_PORT" --log "$SOCKSIFYD_LOG" --user alice:secret \
	--suite auth || fail "auth suite (-u)"

start_http
url=http://127.0.0.1:$HTTP_PORT/
get() { # USER:PASS
	curl -sS --max-time $((10 * SOCKSIFY_SLOW)) --noproxy '' \
		--proxy "socks5h://127.0.0.1:$SOCKSIFYD_PORT" -U "$1" "$url" 2>&1
}

hash=
command -v openssl >/dev/null 2>&1 && hash=$(openssl passwd -6 -salt 8Hq2c0fFx 'carols pw')
conf='auth = { "username" }
user "dave" { password = "d4ve" }'
[ -n "$hash" ] && conf="$conf
user \"carol\" { hash = \"$hash\" }"
start_socksifyd_conf "$conf"
[ "$(get dave:d4ve)" = "hello from 127.0.0.1" ] || fail "config user with password"
expect_session user=dave result=succeeded
if [ -n "$hash" ]; then
	[ "$(get 'carol:carols pw')" = "hello from 127.0.0.1" ] ||
		fail "config user with a \$6\$ hash"
	expect_session user=carol result=succeeded
	get 'carol:wrong' >/dev/null && fail "hash user: wrong password accepted"
	expect_session result=auth-failed
else
	echo "openssl missing: hash users not run"
fi
get dave:wrong >/dev/null && fail "config user: wrong password accepted"
expect_session result=auth-failed

# -U USERFILE: lines "user:hash" (openssl passwd -6)
if [ -n "$hash" ]; then
	printf '# users\ncarol:%s\n' "$hash" >"$TMP/users"
	chmod 600 "$TMP/users"
	start_socksifyd -U "$TMP/users"
	[ "$(get 'carol:carols pw')" = "hello from 127.0.0.1" ] || fail "-U user refused"
	expect_session user=carol result=succeeded
	get 'carol:other' >/dev/null && fail "-U user: wrong password accepted"
	expect_session result=auth-failed
fi
stop_all_socksifyd
pass "users from the config file and -U USERFILE"
