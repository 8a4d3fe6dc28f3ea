#!/usr/bin/env bash
# socksifyd signals: SIGHUP reloads the config (a new user list takes
# effect); SIGHUP with a broken config keeps the old one and keeps serving;
# SIGTERM exits 0.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need curl

start_http
url=http://127.0.0.1:$HTTP_PORT/
want="hello from 127.0.0.1"
get() { # [-U USER:PASS]
	curl -sS --max-time $((10 * SOCKSIFY_SLOW)) --noproxy '' \
		--proxy "socks5://127.0.0.1:$SOCKSIFYD_PORT" "$@" "$url" 2>&1
}
noauth_refused() { ! get >/dev/null; }
# gone PID: exited (a zombie child counts: kill -0 still succeeds on it)
gone() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	case $st in Z*) return 0 ;; esac
	return 1
}
other_lines() { grep -avc 'INFO session: ' "$SOCKSIFYD_LOG"; }

start_socksifyd_conf 'handshake_timeout = 10'
[ "$(get)" = "$want" ] || fail "first config: no-auth CONNECT"

# a valid reload: from now on a password is required
cat >"$SOCKSIFYD_CONF.new" <<'EOC'
handshake_timeout = 10
auth = { "username" }
user "alice" { password = "secret" }
EOC
mv "$SOCKSIFYD_CONF.new" "$SOCKSIFYD_CONF"
kill -HUP "$SOCKSIFYD_PID"
wait_for $((50 * SOCKSIFY_SLOW)) noauth_refused || fail "SIGHUP: new config not applied"
[ "$(get -U alice:secret)" = "$want" ] || fail "after reload: alice refused"
kill -0 "$SOCKSIFYD_PID" || fail "died on SIGHUP"

# a broken reload: the old config stays, the server keeps serving
printf 'handshake_timeout = \nthis is { not a config\n' >"$SOCKSIFYD_CONF"
lines=$(other_lines)
kill -HUP "$SOCKSIFYD_PID"
# the failed reload is reported (a new non-session log line), then
# serving goes on
reported() { [ "$(other_lines)" -gt "$lines" ]; }
wait_for $((50 * SOCKSIFY_SLOW)) reported || fail "no log line for the failed reload"
kill -0 "$SOCKSIFYD_PID" || fail "died on SIGHUP with a broken config"
for i in 1 2 3; do
	[ "$(get -U alice:secret)" = "$want" ] || fail "after broken reload ($i): alice refused"
	noauth_refused || fail "after broken reload: old config lost (no-auth accepted)"
done
grep -av 'INFO session: ' "$SOCKSIFYD_LOG" | tail -n +"$((lines + 1))" | head -n 3

# SIGTERM: clean exit with status 0, within a bounded wait
kill -TERM "$SOCKSIFYD_PID"
wait_for $((50 * SOCKSIFY_SLOW)) gone "$SOCKSIFYD_PID" ||
	fail "still running 5 s after SIGTERM"
rc=0
wait "$SOCKSIFYD_PID" || rc=$?
[ $rc -eq 0 ] || fail "SIGTERM exit status $rc"
stop_all_socksifyd
pass "SIGHUP reload (good and broken config), SIGTERM exit 0"
