# shellcheck shell=bash
# Body of the leak tests tests/netns/preload_leak4.sh and preload_leak6.sh,
# sourced after they set LEAK_FAMILY (4 or 6): in a client namespace whose
# only way out is the proxy, curl, python3 (urllib) and node (http.get)
# fetch a page from a target whose name resolves only on the proxy side,
# through libsocksify with resolve = remote (config file,
# SOCKS_PROXY=socks5h://, the socksify wrapper).  nftables counters on the
# client's output hook must show TCP to the proxy port and nothing else:
# 0 leaked packets, 0 DNS packets.  Root only.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
quick_skip
preload_skip
need_root
need_lib
need curl
netns_setup
netns_http
netns_proxy
if [ "$LEAK_FAMILY" = 6 ]; then
	PX="[$P6]" PXPORT=$PROXY_PORT6 TX="[$T6]" TXPLAIN=$T6 HPORT=$HTTP_PORT6
	PEER=$P6T FAMNAME=IPv6
else
	PX=$P4 PXPORT=$PROXY_PORT4 TX=$T4 TXPLAIN=$T4 HPORT=$HTTP_PORT4
	PEER=$P4T FAMNAME=IPv4
fi
PY=$(command -v /usr/bin/python3 || command -v python3)
CONF=$TMP/c.conf
write_conf "$CONF" "socks5://$PX:$PXPORT"
NAME=target$LEAK_FAMILY.socksify.test
WANT="hello from $TXPLAIN peer=$PEER"

# The counters can fail: a direct attempt and a local DNS query are seen.
netns_counters
timeout 3 ip netns exec "$NS_C" curl -sS --max-time 1 "http://$TX:$HPORT/" >/dev/null 2>&1 &&
	fail "target reachable from the client without the proxy"
[ "$(count leak)" -gt 0 ] || fail "leak counter did not see a direct connection attempt"
timeout 1 ip netns exec "$NS_C" getent ahosts $NAME >/dev/null 2>&1 &&
	fail "$NAME resolves in the client namespace"
[ "$(count dns)" -gt 0 ] || fail "dns counter did not see a local lookup"

# run WHAT ENV... -- CMD...: CMD in C with the library, counters fresh
# (ENV "-" first: CMD sets up the library itself, e.g. the wrapper)
run() {
	local what=$1 envs=() out pre=LD_PRELOAD=$LIBSOCKSIFY
	shift
	[ "$1" = - ] && { pre=SOCKSIFY_TEST=1; shift; }
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	netns_counters
	out=$(nsx "$NS_C" env "${envs[@]}" "$pre" "$@" 2>&1) ||
		{ bad "$what: $out"; expect_clean "$what"; return 1; }
	case $out in
	*"$WANT"*) ;;
	*) bad "$what: got '$out', want '$WANT'" ;;
	esac
	expect_clean "$what"
}

URL=http://$NAME:$HPORT/
run "curl (SOCKS_CONF)" SOCKS_CONF="$CONF" -- curl -sS --max-time 10 "$URL"
run "curl (SOCKS_PROXY socks5h)" SOCKS_PROXY="socks5h://$PX:$PXPORT" -- \
	curl -sS --max-time 10 "$URL"
run "curl ($FAMNAME literal)" SOCKS_CONF="$CONF" -- curl -sS --max-time 10 "http://$TX:$HPORT/"
if [ -x "$SOCKSIFY" ]; then
	run "socksify wrapper" - -- "$SOCKSIFY" -c "$CONF" curl -sS --max-time 10 "$URL"
fi
if [ -n "$PY" ]; then
	run "python3 urllib" SOCKS_CONF="$CONF" -- "$PY" -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$URL"
fi
if command -v node >/dev/null; then
	run "node http.get" SOCKS_CONF="$CONF" -- node -e '
require("http").get(process.argv[1], r => { let b = ""; r.on("data", d => b += d);
	r.on("end", () => console.log(b)); }).on("error", e => { console.log(e.code); process.exit(1); });
setTimeout(() => process.exit(1), 10000).unref();' "$URL"
fi
if [ "$PROXY_KIND" = socksifyd ]; then
	expect_session "$NAME:$HPORT"
fi
finish "$FAMNAME: no packet but TCP to the proxy left the client ($PROXY_KIND)"
