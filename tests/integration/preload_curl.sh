#!/usr/bin/env bash
# curl, with no proxy option of its own, made to use SOCKS by the library:
# LD_PRELOAD + SOCKS_PROXY, LD_PRELOAD + SOCKS_CONF, and the socksify
# wrapper (-p, -c); against socksifyd (SOCKS4, 4a, 5, 5 with user/pass),
# microsocks, Dante's sockd and a slow proxy; IPv4, IPv6 and names that
# resolve only on the proxy side.  Each case checks the proxy saw it
# (socksifyd session line, slowsocks log, or the proxy's source address as
# seen by the target).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
quick_skip
preload_skip
need_lib
need curl
isolate "$@"
unset SOCKS_CONF SOCKS_PROXY SOCKS_USERNAME SOCKS_PASSWORD \
	http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

start_http_peer $T4
P4=$HTTP_PORT
if [ "$HAVE_V6" = 1 ]; then
	start_http_peer $T6
	P6=$HTTP_PORT
fi
H4="hello from $T4"
H6="hello from $T6"

# names resolve nowhere on the client side: the test can fail
curl -sS --max-time 3 "http://$N4:$P4/" >/dev/null 2>&1 &&
	fail "$N4 resolves without the proxy"

ran=0
if [ -x "$SOCKSIFYD" ]; then
	start_socksifyd
	PX=127.0.0.1:$SOCKSIFYD_PORT
	get "http://$N4:$P4/" "$H4" SOCKS_PROXY=socks5h://$PX &&
		expect_session "$N4:$P4" 'ver=5'
	get "http://$T4:$P4/" "$H4" SOCKS_PROXY=socks5://$PX &&
		expect_session "$T4:$P4"
	get "http://$T4:$P4/" "$H4" SOCKS_PROXY=socks4://$PX &&
		expect_session "$T4:$P4" 'ver=4'
	get "http://$N4:$P4/" "$H4" SOCKS_PROXY=socks4a://$PX &&
		expect_session "$N4:$P4" 'ver=4'
	if [ "$HAVE_V6" = 1 ]; then
		get "http://[$T6]:$P6/" "$H6" SOCKS_PROXY=socks5://$PX &&
			expect_session "\[?$T6\]?:$P6"
		get "http://$N6:$P6/" "$H6" SOCKS_PROXY=socks5h://$PX &&
			expect_session "$N6:$P6"
	fi
	write_conf "$TMP/c.conf" "socks5://$PX"
	get "http://$N4:$P4/" "$H4" SOCKS_CONF="$TMP/c.conf" &&
		expect_session "$N4:$P4"
	n=$(sessions_to "$N4:$P4")
	if [ -x "$SOCKSIFY" ]; then
		get "http://$N4:$P4/" "$H4" -- "$SOCKSIFY" -p "socks5h://$PX"
		get "http://$N4:$P4/" "$H4" -- "$SOCKSIFY" -c "$TMP/c.conf"
		[ "$(sessions_to "$N4:$P4")" -eq $((n + 2)) ] ||
			bad "wrapper requests did not reach socksifyd"
	else
		echo "note: socksify wrapper not built, wrapper cases not run"
	fi

	# user/password (RFC 1929): URL, environment, config file
	start_socksifyd -u alice:s3cret
	PX=127.0.0.1:$SOCKSIFYD_PORT
	get "http://$N4:$P4/" "$H4" SOCKS_PROXY=socks5h://alice:s3cret@$PX &&
		expect_session "$N4:$P4" 'user=alice'
	get "http://$T4:$P4/" "$H4" SOCKS_PROXY=socks5://$PX \
		SOCKS_USERNAME=alice SOCKS_PASSWORD=s3cret
	expect_session "$T4:$P4" 'user=alice'
	write_conf "$TMP/a.conf" "socks5://$PX"
	sed -i "s|^proxy \"p\" {|proxy \"p\" { username = \"alice\" password = \"s3cret\"|" "$TMP/a.conf"
	get "http://$N4:$P4/" "$H4" SOCKS_CONF="$TMP/a.conf" &&
		expect_session "$N4:$P4" 'user=alice'
	ran=1
fi

if command -v microsocks >/dev/null; then
	# -b 127.0.0.1: its outgoing connections come from 127.0.0.1, a direct
	# connection to 203.0.113.1 would come from 203.0.113.1
	start_microsocks -b 127.0.0.1
	PX=127.0.0.1:$MICROSOCKS_PORT
	get "http://$N4:$P4/" "$H4 peer=127.0.0.1" SOCKS_PROXY=socks5h://$PX &&
		{ grep -q "connected to $N4:$P4" "$TMP/microsocks.log" ||
			bad "microsocks did not log the name"; }
	get "http://$T4:$P4/" "$H4 peer=127.0.0.1" SOCKS_PROXY=socks5://$PX
	ran=1
fi

if have_dante; then
	start_dante	# external: 127.0.0.1
	PX=127.0.0.1:$DANTE_PORT
	get "http://$N4:$P4/" "$H4 peer=127.0.0.1" SOCKS_PROXY=socks5h://$PX
	get "http://$T4:$P4/" "$H4 peer=127.0.0.1" SOCKS_PROXY=socks5://$PX
	get "http://$T4:$P4/" "$H4 peer=127.0.0.1" SOCKS_PROXY=socks4://$PX
	ran=1
fi

if [ -x "$SLOWSOCKS" ]; then
	# a proxy that answers after 300 ms and forwards everything to the
	# HTTP server: 203.0.113.50 exists nowhere
	start_slowsocks -r 300 -t "$T4:$P4"
	get "http://203.0.113.50:8080/" "$H4" SOCKS_PROXY=socks5://127.0.0.1:$SLOW_PORT &&
		expect_slow 'dst=203\.0\.113\.50:8080 ' 'action=ok'
	ran=1
fi
[ $ran = 1 ] || skip "no SOCKS server available"
finish "curl through the library"
