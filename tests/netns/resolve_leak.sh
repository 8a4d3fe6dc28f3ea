#!/usr/bin/env bash
# Leak test for the resolver paths that send DNS without getaddrinfo():
# res_query, res_search, res_querydomain, res_send, their res_n* forms,
# getaddrinfo_a (three notification modes), getnameinfo/gethostbyaddr on
# a fake and on a proxied address (tests/helpers/res_probe.c).  A tiny
# DNS server (UDP and TCP) runs in the target namespace; the client's
# socks.conf names it as `nameserver`, so MX/TXT/SRV/A answers can only
# arrive through the proxy (DNS over TCP inside a CONNECT).  The nftables
# counters must show 0 DNS and 0 leaked packets; the server must have
# seen the queries over TCP only.  Then: a loopback system nameserver
# with no `nameserver` set, and a deny route, fail closed with a log line
# and no packet.  Proxy: NETNS_PROXY (socksifyd by default).  Root only.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
quick_skip
preload_skip
need_root
need_lib
PROBE=$top_builddir/tests/helpers/res_probe
[ -x "$PROBE" ] || skip "res_probe not built (make check builds it)"
[ -n "$PY3" ] || skip "python3 needed for the DNS server"
netns_setup
netns_proxy

NAME=svc.socksify.test
DNSLOG=$TMP/dns.log
: >"$DNSLOG"
ip netns exec "$NS_T" "$PY3" "$top_srcdir/tests/helpers/dns_server.py" "$T4" \
	"$TMP/dns.port" "$NAME" "$DNSLOG" >"$TMP/dns.err" 2>&1 &
PIDS+=($!)
wait_for 50 test -s "$TMP/dns.port" || fail "DNS server did not start: $(cat "$TMP/dns.err")"
DNSPORT=$(cat "$TMP/dns.port")
CONF=$TMP/c.conf
write_conf "$CONF" "socks5://$P4:$PROXY_PORT4" "nameserver = \"$T4:$DNSPORT\""

# The counters can fail: the probe without the library asks the
# namespace's resolver (198.51.100.53) directly, and a direct TCP
# attempt at the DNS server is a leak.
netns_counters
nsx "$NS_C" "$PROBE" "$NAME" "$T4" >/dev/null 2>&1 &&
	fail "the probe succeeded without the library (the name resolves locally?)"
[ "$(count dns)" -gt 0 ] || fail "dns counter did not see the probe's queries"
timeout 3 ip netns exec "$NS_C" bash -c "exec 3<>/dev/tcp/$T4/$DNSPORT" 2>/dev/null &&
	fail "the DNS server is reachable from the client without the proxy"
[ "$(count leak)" -gt 0 ] || fail "leak counter did not see a direct attempt"

# Every path through the library: right answers, nothing but the proxy.
netns_counters
: >"$DNSLOG"
out=$(nsx "$NS_C" env SOCKS_CONF="$CONF" LD_PRELOAD="$LIBSOCKSIFY" \
	timeout 60 "$PROBE" "$NAME" "$T4" 2>&1) || bad "res_probe: $out"
echo "$out"
expect_clean "res_* / getaddrinfo_a / reverse ($PROXY_KIND)"
grep -q '^udp' "$DNSLOG" && bad "the DNS server got UDP queries: $(cat "$DNSLOG")"
grep -q "^tcp $NAME 15\$" "$DNSLOG" || bad "the MX query did not arrive over TCP: $(cat "$DNSLOG")"
grep -q "^tcp _sip._tcp.$NAME 33\$" "$DNSLOG" || bad "the SRV query did not arrive over TCP"

# No nameserver set and a loopback system nameserver: refused, with a
# line that says what to set, and no packet at all.
CONF2=$TMP/c2.conf
write_conf "$CONF2" "socks5://$P4:$PROXY_PORT4"
cp "/etc/netns/$NS_C/resolv.conf" "$TMP/resolv.saved"
printf 'nameserver 127.0.0.53\n' >"/etc/netns/$NS_C/resolv.conf"
netns_counters
out=$(nsx "$NS_C" env SOCKS_CONF="$CONF2" LD_PRELOAD="$LIBSOCKSIFY" \
	timeout 30 "$PROBE" "$NAME" "$T4" 2>&1)
cp "$TMP/resolv.saved" "/etc/netns/$NS_C/resolv.conf"
case $out in
*"bad res_query MX: returned -1"*) ;;
*) bad "loopback system nameserver: res_query did not fail: $out" ;;
esac
case $out in
*"set nameserver in $CONF2"*) ;;
*) bad "loopback system nameserver: no log line saying to set nameserver: $out" ;;
esac
[ "$(count dns)" = 0 ] && [ "$(count leak)" = 0 ] ||
	bad "loopback system nameserver: packets left the client (dns $(count dns), leak $(count leak))"

# A deny route fails closed before anything is sent.
CONF3=$TMP/c3.conf
write_conf "$CONF3" "socks5://$P4:$PROXY_PORT4" "nameserver = \"$T4:$DNSPORT\"" \
	'route { to = "*.socksify.test" via = "deny" }'
netns_counters
out=$(nsx "$NS_C" env SOCKS_CONF="$CONF3" LD_PRELOAD="$LIBSOCKSIFY" \
	timeout 30 "$PROBE" "$NAME" "$T4" 2>&1)
case $out in
*"lookup denied by the route"*"bad res_query MX"*) ;;
*) bad "deny route: res_query not denied: $out" ;;
esac
# (the probe's NXDOMAIN case asks a name the deny route does not cover)
[ "$(count dns)" = 0 ] && [ "$(count leak)" = 0 ] ||
	bad "deny route: packets left the client (dns $(count dns), leak $(count leak)): $out"
finish "resolver paths: answers through the proxy, no DNS packet on the client's network ($PROXY_KIND)"
