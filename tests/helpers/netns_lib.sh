# shellcheck shell=bash
# Leak-proof topology for tests/netns/*.sh (root only).  Source after
# lib.sh and preload_lib.sh.
#
#   client ns C                proxy ns P                  target ns T
#   c0 198.51.100.2/24   <->   p0 198.51.100.1/24
#      2001:db8:1::2/64           2001:db8:1::1/64
#   default via the proxy      p1 203.0.113.1/24     <->   t0 203.0.113.2/24
#                                 2001:db8:2::1/64            2001:db8:2::2/64
#                              (no forwarding)              HTTP + echo servers
#
# The client's only route leads to the proxy; P does not forward, so the
# target is reachable only through the SOCKS server in P.  Target names
# (target4/target6/target.socksify.test) are in /etc/netns/P/hosts only
# (ip netns exec bind-mounts it over /etc/hosts); C's resolv.conf names an
# on-link resolver (198.51.100.53, 2001:db8:1::53) so any DNS query the
# client makes is emitted and counted.  nftables counters on C's output
# hook: "proxy" (TCP to the proxy port), "relay" (UDP to the proxy's
# address: its UDP ASSOCIATE relay), "dns" (port 53), "leak"
# (anything else except lo and IPv6 neighbour discovery/MLD).

NS_C='' NS_P='' NS_T=''
C4=198.51.100.2 P4=198.51.100.1 P4T=203.0.113.1 T4=203.0.113.2
C6=2001:db8:1::2 P6=2001:db8:1::1 P6T=2001:db8:2::1 T6=2001:db8:2::2

netns_cleanup() {
	cleanup
	local n
	for n in $NS_C $NS_P $NS_T; do
		ip netns del "$n" 2>/dev/null || true
		rm -rf "/etc/netns/$n"
	done
}

# nsx NS CMD...: run CMD in namespace NS (with its /etc/netns files).
nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# netns_setup: build the three namespaces (unique names per run).
netns_setup() {
	need_root
	need ip nft
	local id=sfy$$r$RANDOM
	NS_C=${id}c NS_P=${id}p NS_T=${id}t
	trap netns_cleanup EXIT
	# a signal (make's timeout, ^C) must also remove the namespaces
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ip netns add "$NS_C" || skip "cannot create network namespaces"
	ip netns add "$NS_P" || fail "ip netns add $NS_P"
	ip netns add "$NS_T" || fail "ip netns add $NS_T"
	mkdir -p "/etc/netns/$NS_C" "/etc/netns/$NS_P" "/etc/netns/$NS_T"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"/etc/netns/$NS_C/hosts"
	printf 'nameserver 198.51.100.53\nnameserver 2001:db8:1::53\noptions timeout:1 attempts:1\n' \
		>"/etc/netns/$NS_C/resolv.conf"
	cat >"/etc/netns/$NS_P/hosts" <<EOH
127.0.0.1 localhost
::1 localhost
$T4 target4.socksify.test target.socksify.test
$T6 target6.socksify.test target.socksify.test
EOH
	printf 'nameserver 127.0.0.53\n' >"/etc/netns/$NS_P/resolv.conf"
	cp "/etc/netns/$NS_C/hosts" "/etc/netns/$NS_T/hosts"
	local ns
	for ns in "$NS_C" "$NS_P" "$NS_T"; do
		ip -n "$ns" link set lo up
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.router_solicitations=0 >/dev/null 2>&1 || true
	done
	nsx "$NS_P" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 >/dev/null
	ip -n "$NS_C" link add c0 type veth peer name p0 netns "$NS_P" ||
		fail "veth C-P"
	ip -n "$NS_P" link add p1 type veth peer name t0 netns "$NS_T" ||
		fail "veth P-T"
	ip -n "$NS_C" addr add $C4/24 dev c0
	ip -n "$NS_C" addr add $C6/64 dev c0 nodad
	ip -n "$NS_P" addr add $P4/24 dev p0
	ip -n "$NS_P" addr add $P6/64 dev p0 nodad
	ip -n "$NS_P" addr add $P4T/24 dev p1
	ip -n "$NS_P" addr add $P6T/64 dev p1 nodad
	ip -n "$NS_T" addr add $T4/24 dev t0
	ip -n "$NS_T" addr add $T6/64 dev t0 nodad
	ip -n "$NS_C" link set c0 up
	ip -n "$NS_P" link set p0 up
	ip -n "$NS_P" link set p1 up
	ip -n "$NS_T" link set t0 up
	# everything the client sends goes towards the proxy
	ip -n "$NS_C" route add default via $P4
	ip -n "$NS_C" -6 route add default via $P6
	wait_for 50 sh -c "ip -n $NS_C link show c0 | grep -q LOWER_UP" ||
		fail "c0 did not come up"
	wait_for 50 sh -c "ip -n $NS_T link show t0 | grep -q LOWER_UP" ||
		fail "t0 did not come up"
}

# netns_http: an HTTP server in T on both families (port 0 + port file);
# sets HTTP_PORT4, HTTP_PORT6.
netns_http() {
	local fam host pf
	for fam in 4 6; do
		[ $fam = 4 ] && host=$T4 || host=$T6
		pf=$TMP/http$fam.port
		# background jobs: ip netns exec directly (not the nsx function,
		# whose subshell would be the PID we kill)
		ip netns exec "$NS_T" "$PY3" - "$host" "$pf" >"$TMP/http$fam.log" 2>&1 <<'PY' &
import http.server, socket, sys, os
host, pf = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("hello from %s peer=%s\n" % (host, self.client_address[0])).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ':' in host else socket.AF_INET
srv = S((host, 0), H)
open(pf + '.tmp', 'w').write(str(srv.server_address[1])); os.rename(pf + '.tmp', pf)
srv.serve_forever()
PY
		PIDS+=($!)
		wait_for 50 test -s "$pf" || fail "http server ($host) did not start: $(cat "$TMP/http$fam.log")"
		eval "HTTP_PORT$fam=\$(cat \"\$pf\")"
	done
}

# netns_free_port ADDR: a free TCP port on ADDR in P.
netns_free_port() {
	nsx "$NS_P" "$PY3" -c 'import socket,sys; s=socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"
}

# netns_dante: Dante's sockd in P on P4 and [P6] (ports from a free-port
# probe), out through p1, no authentication, only the client subnets.
netns_dante() {
	local sockd conf=$TMP/danted.conf
	sockd=$(command -v danted || command -v sockd || true)
	[ -n "$sockd" ] || skip "dante-server not installed (danted)"
	PROXY_KIND=dante
	PROXY_PORT4=$(netns_free_port $P4)
	PROXY_PORT6=$(netns_free_port $P6)
	DANTE_LOG=$TMP/danted.log
	cat >"$conf" <<EOC
logoutput: $DANTE_LOG
internal: $P4 port = $PROXY_PORT4
internal: $P6 port = $PROXY_PORT6
external: p1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 198.51.100.0/24 to: 0/0 }
client pass { from: 2001:db8:1::/64 to: 0/0 }
socks pass { from: 198.51.100.0/24 to: 0/0 command: connect bind udpassociate bindreply udpreply }
socks pass { from: 2001:db8:1::/64 to: 0/0 command: connect bind udpassociate bindreply udpreply }
# a BIND's peer (bindreply: from the peer to the client) and UDP replies
socks pass { from: 0/0 to: 198.51.100.0/24 command: bindreply udpreply }
socks pass { from: 0/0 to: 2001:db8:1::/64 command: bindreply udpreply }
EOC
	ip netns exec "$NS_P" "$sockd" -V -f "$conf" >"$TMP/danted.check" 2>&1 ||
		fail "sockd refuses its config: $(cat "$TMP/danted.check")"
	ip netns exec "$NS_P" "$sockd" -f "$conf" -p "$TMP/danted.pid" -N 1 \
		>"$TMP/danted.out" 2>&1 &
	PIDS+=($!)
	local fam addr port
	for fam in 4 6; do
		[ $fam = 4 ] && addr=$P4 || addr=$P6
		eval "port=\$PROXY_PORT$fam"
		wait_for 100 nsx "$NS_P" bash -c "exec 3<>/dev/tcp/$addr/$port" ||
			fail "sockd did not start on $addr: $(cat "$TMP/danted.out" "$DANTE_LOG" 2>/dev/null)"
	done
}

# netns_udp_echo: a UDP echo server in T on both families (port 0 + port
# file): a datagram that got there comes back; sets UDP_PORT4, UDP_PORT6.
netns_udp_echo() {
	local fam host pf
	for fam in 4 6; do
		[ $fam = 4 ] && host=$T4 || host=$T6
		pf=$TMP/udp$fam.port
		ip netns exec "$NS_T" "$PY3" - "$host" "$pf" >"$TMP/udp$fam.log" 2>&1 <<'PY' &
import socket, sys, os
host, pf = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, 0))
open(pf + '.tmp', 'w').write(str(s.getsockname()[1])); os.rename(pf + '.tmp', pf)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
PY
		PIDS+=($!)
		wait_for 50 test -s "$pf" || fail "udp echo ($host) did not start"
		eval "UDP_PORT$fam=\$(cat \"\$pf\")"
	done
}

# netns_proxy: the SOCKS server in P listening on P4 and [P6]; socksifyd
# when built (NETNS_PROXY=socksifyd, the default), Dante's sockd
# (NETNS_PROXY=dante), else microsocks.  Sets PROXY_PORT4, PROXY_PORT6,
# PROXY_KIND.
netns_proxy() {
	if [ "${NETNS_PROXY:-}" = dante ]; then
		netns_dante
	elif [ -x "$SOCKSIFYD" ] && [ "${NETNS_PROXY:-socksifyd}" = socksifyd ]; then
		PROXY_KIND=socksifyd
		SOCKSIFYD_LOG=$TMP/socksifyd.log
		# not an open proxy: only the client subnets may use it
		cat >"$TMP/socksifyd.conf" <<EOC
rule { action = "pass" from = { "198.51.100.0/24", "2001:db8:1::/64" } }
EOC
		ip netns exec "$NS_P" "$SOCKSIFYD" -d 1 -f "$TMP/socksifyd.conf" -l $P4:0 -l "[$P6]:0" \
			${SOCKSIFYD_ARGS:-} 2>"$SOCKSIFYD_LOG" &
		PIDS+=($!)
		wait_for 50 sh -c "[ \$(grep -c 'listening on' '$SOCKSIFYD_LOG') -ge 2 ]" ||
			fail "socksifyd did not start: $(cat "$SOCKSIFYD_LOG")"
		PROXY_PORT4=$(sed -n "s/.*listening on $P4:\([0-9]\+\)\$/\1/p" "$SOCKSIFYD_LOG" | head -n1)
		PROXY_PORT6=$(sed -n 's/.*listening on .*\]:\([0-9]\+\)$/\1/p' "$SOCKSIFYD_LOG" | head -n1)
	else
		need microsocks
		PROXY_KIND=microsocks
		local fam addr port
		for fam in 4 6; do
			[ $fam = 4 ] && addr=$P4 || addr=$P6
			port=$(netns_free_port "$addr")
			ip netns exec "$NS_P" microsocks -i "$addr" -p "$port" >"$TMP/microsocks$fam.log" 2>&1 &
			PIDS+=($!)
			wait_for 50 nsx "$NS_P" bash -c "exec 3<>/dev/tcp/$addr/$port" ||
				fail "microsocks did not start on $addr"
			eval "PROXY_PORT$fam=$port"
		done
	fi
	[ -n "$PROXY_PORT4" ] && [ -n "$PROXY_PORT6" ] ||
		fail "no proxy ports ($PROXY_KIND)"
}

# netns_counters: (re)create the nftables counters in C.  Extra proxies on
# P4 (tests/helpers/netns_more_lib.sh) count as "proxy" when their ports
# are in NETNS_MORE_PORTS4 (space-separated).
netns_counters() {
	local more='' p
	for p in ${NETNS_MORE_PORTS4:-}; do
		more="$more
		ip daddr $P4 tcp dport $p counter name proxy accept"
	done
	nsx "$NS_C" nft delete table inet sfyleak 2>/dev/null || true
	nsx "$NS_C" nft -f - <<EON || fail "nft setup"
table inet sfyleak {
	counter proxy {}
	counter relay {}
	counter dns {}
	counter leak {}
	chain out {
		type filter hook output priority 0; policy accept;
		oifname "lo" accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } accept
		ip daddr $P4 tcp dport $PROXY_PORT4 counter name proxy accept
		ip6 daddr $P6 tcp dport $PROXY_PORT6 counter name proxy accept$more
		ip daddr $P4 meta l4proto udp counter name relay accept
		ip6 daddr $P6 meta l4proto udp counter name relay accept
		udp dport 53 counter name dns accept
		tcp dport 53 counter name dns accept
		counter name leak
	}
}
EON
}

# count NAME: packets counted so far by counter NAME in C.
count() {
	nsx "$NS_C" nft list counter inet sfyleak "$1" |
		sed -n 's/.*packets \([0-9]\+\).*/\1/p' | head -n1
}

# expect_clean WHAT: no leak, no DNS, some proxy traffic.
expect_clean() {
	local l d p
	l=$(count leak) d=$(count dns) p=$(count proxy)
	[ "$l" = 0 ] || { bad "$1: $l packets left the client other than to the proxy"; return 1; }
	[ "$d" = 0 ] || { bad "$1: $d DNS packets left the client"; return 1; }
	[ "$p" -gt 0 ] || { bad "$1: no packet to the proxy"; return 1; }
	echo "ok: $1: proxy=$p leak=0 dns=0"
}

# iso_expect NAME WANT RUNNER CMD...: RUNNER CMD runs CMD under `socksify
# --isolate` in C (RUNNER sets $out and $rc, stderr in $TMP/iso.err) with
# fresh counters; stdout must contain WANT; zero leak and DNS packets.
iso_expect() {
	local name=$1 want=$2 runner=$3 out rc
	shift 3
	netns_counters
	"$runner" "$@"
	if [ "$rc" != 0 ] || ! printf '%s' "$out" | grep -q -- "$want"; then
		bad "$name: exit $rc, output '$out', stderr: $(tail -n 5 "$TMP/iso.err")"
		return
	fi
	expect_clean "$name" || true
}
