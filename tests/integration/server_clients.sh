#!/usr/bin/env bash
# socksifyd with other SOCKS clients: proxychains4 (-f conf: socks5 with
# proxy_dns, socks4, socks5 with user/pass) and Dante's socksify
# (SOCKS_CONF).  Dante's client always goes direct to local addresses, so
# it is pointed at 198.51.100.1, which the server's rules block: the
# session line proves the request came through our server, nothing leaves
# the machine (the same rule is first proven on loopback).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
need curl

start_http
want="hello from 127.0.0.1"
T=$((10 * SOCKSIFY_SLOW))

# ---- proxychains4
if command -v proxychains4 >/dev/null 2>&1; then
	pc() { # CONF_LINE URL
		printf 'strict_chain\nquiet_mode\nproxy_dns\ntcp_read_time_out %d\ntcp_connect_time_out %d\n[ProxyList]\n%s\n' \
			$((T * 1000)) $((T * 1000)) "$1" >"$TMP/pc.conf"
		proxychains4 -q -f "$TMP/pc.conf" curl -sS --max-time "$T" --noproxy '*' "$2" 2>"$TMP/pc.err"
	}
	start_socksifyd
	out=$(pc "socks5 127.0.0.1 $SOCKSIFYD_PORT" "http://localhost:$HTTP_PORT/")
	[ "$out" = "$want" ] || fail "proxychains4 socks5 proxy_dns: $out $(cat "$TMP/pc.err")"
	# proxychains resolves names found in /etc/hosts itself
	expect_session ver=5 cmd=connect result=succeeded "dst=(localhost|127\.0\.0\.1):$HTTP_PORT"
	out=$(pc "socks4 127.0.0.1 $SOCKSIFYD_PORT" "http://127.0.0.1:$HTTP_PORT/")
	[ "$out" = "$want" ] || fail "proxychains4 socks4: $out $(cat "$TMP/pc.err")"
	expect_session ver=4 cmd=connect result=succeeded "dst=127.0.0.1:$HTTP_PORT"
	start_socksifyd -u alice:secret
	out=$(pc "socks5 127.0.0.1 $SOCKSIFYD_PORT alice secret" "http://127.0.0.1:$HTTP_PORT/")
	[ "$out" = "$want" ] || fail "proxychains4 socks5 user/pass: $out $(cat "$TMP/pc.err")"
	expect_session ver=5 user=alice result=succeeded
	out=$(pc "socks5 127.0.0.1 $SOCKSIFYD_PORT alice nope" "http://127.0.0.1:$HTTP_PORT/") &&
		fail "proxychains4 wrong password went through: $out"
	expect_session ver=5 result=auth-failed
	pass "proxychains4 socks4/socks5/user-pass"
else
	echo "proxychains4 not installed: not run"
fi

# ---- Dante's socksify
if command -v socksify >/dev/null 2>&1; then
	# one rule blocks loopback and the test net: proving it on loopback
	# first makes sure nothing can be sent to 198.51.100.1
	start_socksifyd_conf 'rule { action = "block" to = { "127.0.0.0/8", "198.51.100.0/24" } }
rule { action = "pass" }'
	curl -sS --max-time "$T" --noproxy '' --proxy "socks5://127.0.0.1:$SOCKSIFYD_PORT" \
		"http://127.0.0.1:$HTTP_PORT/" >/dev/null 2>&1 && fail "block rule not applied"
	expect_session ver=5 result=not-allowed "dst=127\.0\.0\.1:$HTTP_PORT"
	for proto in socks_v5 socks_v4; do
		cat >"$TMP/dante-client.conf" <<EOC
route {
	from: 0.0.0.0/0 to: 0.0.0.0/0 via: 127.0.0.1 port = $SOCKSIFYD_PORT
	proxyprotocol: $proto
	method: none
}
EOC
		out=$(SOCKS_CONF=$TMP/dante-client.conf timeout "$T" socksify \
			curl -sS --max-time "$T" --noproxy '*' http://198.51.100.1:8/ 2>&1) &&
			fail "Dante socksify ($proto) reached a blocked host: $out"
		v=${proto#socks_v}
		expect_session ver="$v" cmd=connect result=not-allowed 'dst=198\.51\.100\.1:8'
	done
	pass "Dante socksify socks_v4/socks_v5 through socksifyd"
else
	echo "dante-client not installed: not run"
fi
stop_all_socksifyd
