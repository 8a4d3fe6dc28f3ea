#!/usr/bin/env bash
# Round trips to the proxy (./scripts/bench rtt; issue 11).  Not a test:
# prints figures and the exact commands; never fails on a number.
#
# In the leak topology of the tests (tests/helpers/netns_lib.sh: client
# namespace C, proxy namespace P next to the target T; root only), curl
# in C fetches http://T/ through socksifyd in P.  A capture on C's link
# (tcpdump on c0) counts, for each connection, the flights the client
# sends after hearing from the proxy before the first byte of the HTTP
# response arrives (tests/helpers/rtt_count.py).  This kernel has no
# netem; with it, a delay on c0 turns each figure into milliseconds.
#
#  direct        curl to an HTTP server in P itself, no proxy   (2)
#  socksify      default settings (Fast Open), second connection  target <= 3
#  + pipeline    ?pipeline=1                                      target <= 2
#  + optimistic  ?pipeline=1&optimistic=1                         target 1
#  proxychains4  proxychains-ng, strict_chain, same socksifyd
#  Dante         Dante's client (socksify of dante-client), same socksifyd
#
# Each figure is "first connection / second connection" (the first one
# fetches the Fast Open cookie).  BUILD= names the build directory.
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/bench.d/netns_head.sh rtt
[ -f "$LIBSOCKSIFY" ] && [ -x "$SOCKSIFYD" ] ||
	{ echo "bench rtt: build first ($top_builddir)" >&2; exit 0; }
command -v tcpdump >/dev/null || { echo "bench rtt: tcpdump not installed" >&2; exit 0; }
netns_setup
nsx "$NS_P" sysctl -qw net.ipv4.tcp_fastopen=3
nsx "$NS_C" sysctl -qw net.ipv4.tcp_fastopen=1
netns_http
PROXY_PORT4=0 PROXY_PORT6=0
more_socksifyd SD
URL=http://$T4:$HTTP_PORT4/

# the direct figure: an HTTP server in P on P4 (the same link)
pf=$TMP/direct.port
ip netns exec "$NS_P" "$PY3" - "$P4" "$pf" >"$TMP/direct.log" 2>&1 <<'PY' &
import http.server, sys, os
host, pf = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        b = b"hello direct\n"
        self.send_response(200); self.send_header("Content-Length", str(len(b)))
        self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer((host, 0), H)
open(pf + '.tmp', 'w').write(str(srv.server_address[1])); os.rename(pf + '.tmp', pf)
srv.serve_forever()
PY
PIDS+=($!)
wait_for 50 test -s "$pf" || { echo "bench rtt: direct server did not start" >&2; exit 0; }
DIRECT=$(cat "$pf")

# measure NAME PORT CMD...: run CMD twice in C under capture; prints the
# round trips of each connection to P4:PORT and the command.
measure() {
	local name=$1 port=$2 i
	shift 2
	cap_start "$name"
	for i in 1 2; do
		nsx "$NS_C" "$@" >"$TMP/$name.$i.out" 2>&1 ||
			echo "  note: $name run $i failed: $(head -c 300 "$TMP/$name.$i.out")"
	done
	cap_stop
	printf '  %-44s %s\n' "$name" "$(cap_rtts "$port" | sed 's/ / \/ /')"
	printf '    $ ip netns exec C %s\n' "$*"
}

cat >"$TMP/pc.conf" <<EOC
strict_chain
quiet_mode
tcp_read_time_out 15000
tcp_connect_time_out 8000
[ProxyList]
socks5 $P4 $SD
EOC
cat >"$TMP/dante.conf" <<EOC
route {
	from: 0.0.0.0/0 to: 0.0.0.0/0 via: $P4 port = $SD
	proxyprotocol: socks_v5
	method: none
	command: connect
}
EOC
C=(curl -sS --max-time 10)
echo "round trips client<->proxy before the first HTTP response byte"
echo "(first connection / second connection; curl GET, socksifyd next to the target)"
measure "direct (no proxy, same link)" "$DIRECT" "${C[@]}" "http://$P4:$DIRECT/"
measure "socksify (defaults: Fast Open)" "$SD" env SOCKS_PROXY="socks5://$P4:$SD" \
	LD_PRELOAD="$LIBSOCKSIFY" "${C[@]}" "$URL"
measure "socksify ?fastopen=0 (as before issue 11)" "$SD" env SOCKS_PROXY="socks5://$P4:$SD?fastopen=0" \
	LD_PRELOAD="$LIBSOCKSIFY" "${C[@]}" "$URL"
measure "socksify ?pipeline=1" "$SD" env SOCKS_PROXY="socks5://$P4:$SD?pipeline=1" \
	LD_PRELOAD="$LIBSOCKSIFY" "${C[@]}" "$URL"
measure "socksify ?pipeline=1&optimistic=1" "$SD" \
	env SOCKS_PROXY="socks5://$P4:$SD?pipeline=1&optimistic=1" \
	LD_PRELOAD="$LIBSOCKSIFY" "${C[@]}" "$URL"
if command -v proxychains4 >/dev/null; then
	measure "proxychains-ng (proxychains4)" "$SD" proxychains4 -q -f "$TMP/pc.conf" "${C[@]}" "$URL"
else
	echo "  proxychains-ng: not installed"
fi
if [ -x /usr/bin/socksify ] && [ "$(readlink -f /usr/bin/socksify)" != "$(readlink -f "$top_builddir/socksify")" ]; then
	measure "Dante (dante-client socksify)" "$SD" env SOCKS_CONF="$TMP/dante.conf" /usr/bin/socksify "${C[@]}" "$URL"
else
	echo "  Dante client: not installed (dante-client)"
fi
