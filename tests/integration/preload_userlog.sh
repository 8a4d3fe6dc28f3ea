#!/usr/bin/env bash
# At the default log level a proxied connection that fails prints one line
# for the user (issue 12; STYLE.md, Logging): which destination, which
# proxy, what happened in words, no function names, no "proxy proxy";
# -q (SOCKS_DEBUG=-1) silences it.  Cases: the proxy is down; the proxy
# answers "connection refused" (socksifyd, destination port closed); the
# proxy's rules deny it (socksifyd rule); a named proxy from a config.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
preload_skip
[ -f "$LIBSOCKSIFY" ] || skip "libsocksify.so not built"
PROBE=$top_builddir/socksify-probe
[ -x "$PROBE" ] || skip "socksify-probe not built"

# probe_err URL|CONF HOST PORT [env...]: run the probe; its stderr in $TMP/err
probe_err() {
	local how=$1 host=$2 port=$3
	shift 3
	env -u SOCKS_CONF -u SOCKS_PROXY -u SOCKS_DEBUG "$@" "$how" \
		LD_PRELOAD="$LIBSOCKSIFY" "$PROBE" tcp "$host" "$port" \
		>"$TMP/out" 2>"$TMP/err" || true
}
one_line() { # PATTERN: exactly one stderr line, matching PATTERN, readable
	local n
	n=$(grep -c . "$TMP/err" || true)
	[ "$n" = 1 ] || fail "expected one line, got $n: $(cat "$TMP/err")"
	grep -q -- "$1" "$TMP/err" || fail "line lacks '$1': $(cat "$TMP/err")"
	if grep -q 'errno\|proxy proxy\|ERROR\|[a-z]*_[a-z]*:' "$TMP/err"; then
		fail "not written for a user: $(cat "$TMP/err")"
	fi
}

# 1. proxy down (a closed loopback port)
port=$(free_port)
probe_err SOCKS_PROXY=socks5://127.0.0.1:$port 203.0.113.1 80
one_line "^socksify\[[0-9]*\]: 203.0.113.1:80 via 127.0.0.1:$port: proxy unreachable: connection refused$"
probe_err SOCKS_PROXY=socks5://127.0.0.1:$port 203.0.113.1 80 SOCKS_DEBUG=-1
[ ! -s "$TMP/err" ] || fail "-q did not silence: $(cat "$TMP/err")"
pass "proxy down: one line in words; -q silences it"

# 2. the proxy answers: connection refused (a closed port behind it)
# (a config: with -p, loopback destinations go direct)
start_socksifyd
closed=$(free_port)
cat >"$TMP/s.conf" <<EOC
proxy "s" { url = "socks5://127.0.0.1:$SOCKSIFYD_PORT" }
route { to = "127.0.0.1" ports = "$SOCKSIFYD_PORT" via = "direct" }
route { via = "s" }
EOC
probe_err SOCKS_CONF="$TMP/s.conf" 127.0.0.2 "$closed"
one_line "127.0.0.2:$closed via 127.0.0.1:$SOCKSIFYD_PORT (s): the proxy answered: connection refused$"
pass "refused behind the proxy"

# 3. a named proxy from a config, denied by the proxy's rules
start_socksifyd_conf 'rule { action = "block" }'
cat >"$TMP/c.conf" <<EOC
proxy "corp" { url = "socks4a://127.0.0.1:$SOCKSIFYD_PORT" }
route { to = "127.0.0.1" ports = "$SOCKSIFYD_PORT" via = "direct" }
route { via = "corp" }
EOC
probe_err SOCKS_CONF="$TMP/c.conf" 127.0.0.2 80
one_line "127.0.0.2:80 via 127.0.0.1:$SOCKSIFYD_PORT (corp): the proxy answered: connection refused$"
pass "SOCKS4a rejected by a named proxy"
