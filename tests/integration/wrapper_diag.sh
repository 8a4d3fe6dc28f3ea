#!/usr/bin/env bash
# The wrapper's diagnostics and first-hour behaviour (issue 12):
#  -h/-V; --help lists the environment; the config search (SOCKS_CONF,
#  then SOCKS_PROXY, then ~/.config/socksify/socks.conf, then the system
#  file); a config without routes passes the check with a warning;
#  --check [FILE]; --explain names the matching route by file:line, the
#  proxy chain and the resolution; --selftest runs TCP, UDP and DNS
#  through the library and socksifyd.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
[ -x "$SOCKSIFY" ] || skip "socksify not built"

run() { # EXPECTED_STATUS CMD...
	local want=$1 got=0
	shift
	"$@" >"$TMP/out" 2>"$TMP/err" || got=$?
	[ "$got" = "$want" ] ||
		fail "$* exited $got, expected $want; out: $(cat "$TMP/out") err: $(cat "$TMP/err")"
}
has() { # FILE PATTERN
	grep -q -- "$2" "$TMP/$1" || fail "$1 lacks '$2': $(cat "$TMP/$1")"
}

# ---- short options and help ----------------------------------------------
run 0 "$SOCKSIFY" -h
has out '^Usage: socksify'
for v in SOCKS_CONF SOCKS_PROXY SOCKS_DEBUG SOCKS_LOG SOCKS_USERNAME \
	SOCKS_PASSWORD SOCKSIFY_LIBRARY; do
	has out "$v"
done
run 0 "$SOCKSIFY" -V
grep -q '^socksify [0-9][0-9.]*$' "$TMP/out" || fail "-V: $(cat "$TMP/out")"
run 2 "$SOCKSIFY" -p 'socks9://127.0.0.1:1' true
[ "$(grep -o expected "$TMP/err" | wc -l)" -eq 1 ] ||
	fail "a bad URL message says 'expected' more than once: $(cat "$TMP/err")"
pass "-h, -V, environment in --help, one 'expected' in a bad URL message"

# ---- empty config: OK with a warning, also when running a program ---------
: >"$TMP/empty.conf"
run 0 "$SOCKSIFY" --check "$TMP/empty.conf"
has out 'config OK'
has out 'warning: .*no route'
run 0 "$SOCKSIFY" -c "$TMP/empty.conf" true
has err 'warning: .*no route'
run 0 "$SOCKSIFY" -q -c "$TMP/empty.conf" true
[ ! -s "$TMP/err" ] || fail "-q still warns: $(cat "$TMP/err")"
printf 'no_such_key = 1\n' >"$TMP/bad.conf"
run 2 "$SOCKSIFY" --check "$TMP/bad.conf"
has err 'bad.conf:1'
pass "a config without routes passes --check with a warning; errors exit 2"

# ---- the per-user config ---------------------------------------------------
mkdir -p "$TMP/home/.config/socksify" "$TMP/xdg/socksify"
cat >"$TMP/home/.config/socksify/socks.conf" <<'EOC'
proxy "homeproxy" { url = "socks5://127.0.0.1:1" }
route { via = "homeproxy" }
EOC
run 0 env -u SOCKS_CONF -u SOCKS_PROXY -u XDG_CONFIG_HOME HOME="$TMP/home" \
	"$SOCKSIFY" --check
has out "$TMP/home/.config/socksify/socks.conf: config OK"
cat >"$TMP/xdg/socksify/socks.conf" <<'EOC'
route { via = "direct" }
EOC
run 0 env -u SOCKS_CONF -u SOCKS_PROXY HOME="$TMP/home" \
	XDG_CONFIG_HOME="$TMP/xdg" "$SOCKSIFY" --check
has out "$TMP/xdg/socksify/socks.conf: config OK"
run 0 env -u SOCKS_CONF SOCKS_PROXY=socks5://198.51.100.9:1080 \
	HOME="$TMP/home" "$SOCKSIFY" --check
has out "SOCKS_PROXY: config OK"
# the library itself takes the same file when nothing else is given: the
# user's file routes via a closed loopback port, so a -d 1 run logs that
# proxy (nothing leaves the machine)
env -u SOCKS_CONF -u SOCKS_PROXY -u XDG_CONFIG_HOME \
	HOME="$TMP/home" SOCKS_DEBUG=1 LD_PRELOAD="$LIBSOCKSIFY" \
	"$top_builddir/socksify-probe" tcp 203.0.113.1 9 >"$TMP/out" 2>"$TMP/err" ||
	true
grep -q 'homeproxy' "$TMP/err" "$TMP/out" ||
	fail "the library did not use the user's config: $(cat "$TMP/err" "$TMP/out")"
pass "config search: SOCKS_PROXY, XDG_CONFIG_HOME, ~/.config, in the library too"

# ---- --explain -------------------------------------------------------------
cat >"$TMP/r.conf" <<'EOC'
proxy "corp" { url = "socks5://198.51.100.1:1080" }
proxy "backup" { url = "socks4a://198.51.100.9:1080" }
route { to = "127.0.0.0/8" via = "direct" }
route { to = "0.0.0.0/0" ports = "25" via = "deny" }
route { to = "*.internal.example" program = "git" via = "direct" }
route { command = "udp" via = "corp" }
route { via = { "corp", "backup" } }
EOC
run 0 "$SOCKSIFY" -c "$TMP/r.conf" --explain 203.0.113.5:25
has out "r.conf:4 matched: deny"
run 0 "$SOCKSIFY" -c "$TMP/r.conf" --explain www.example.com:443
has out "r.conf:7 matched: proxy"
has out "resolution: remote"
has out "proxy 1: *corp = socks5://198.51.100.1:1080"
has out "proxy 2: *backup = socks4a://198.51.100.9:1080"
run 0 "$SOCKSIFY" -c "$TMP/r.conf" --explain 127.0.0.1:80
has out "r.conf:3 matched: direct"
# a name routed direct is looked up locally: only without a network
if unshare -rn true 2>/dev/null; then
	run 0 unshare -rn "$SOCKSIFY" -c "$TMP/r.conf" \
		--explain host.internal.example --program git
	has out "r.conf:5 matched: direct"
fi
run 0 "$SOCKSIFY" -c "$TMP/r.conf" --explain 203.0.113.5:53 --udp
has out "r.conf:6 matched: proxy"
run 2 "$SOCKSIFY" -c "$TMP/r.conf" --explain '[::1'
pass "--explain: route by file:line, proxy chain, resolution"

# ---- --selftest -------------------------------------------------------------
if [ -n "${SOCKSIFY_SANITIZED:-}" ]; then
	echo "# --selftest preloads the library into socksify-probe: not under ASan"
else
	run 0 "$SOCKSIFY" --selftest
	has out '^TCP  ok'
	has out '^UDP  ok'
	has out '^DNS  ok'
	# and it can fail: a library that does nothing (an empty .so) lets
	# the probe go around the proxy
	printf 'int socksify_nothing;\n' >"$TMP/nothing.c"
	if cc -shared -fPIC -o "$TMP/nothing.so" "$TMP/nothing.c" 2>/dev/null; then
		run 1 env SOCKSIFY_LIBRARY="$TMP/nothing.so" "$SOCKSIFY" --selftest
		has out 'FAIL'
	fi
	pass "--selftest: TCP, UDP and DNS through socksifyd; fails without the library"
fi
