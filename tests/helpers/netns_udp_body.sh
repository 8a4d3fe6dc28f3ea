# shellcheck shell=bash
# Body of tests/netns/udp_assoc.sh and udp_assoc_dante.sh (they set
# NETNS_PROXY): UDP through the proxy with UDP ASSOCIATE, in the client
# namespace of the leak topology, by real programs under LD_PRELOAD: dig
# asking the DNS server of C's resolv.conf (in T: reachable only through
# the proxy), socat, python3 (unconnected sendto/recvfrom, connected
# send/recv, a name resolved by the proxy, a daemon that forks and closes
# every fd after its association is up), tests/helpers/udp_probe
# (sendmmsg/recvmmsg under epoll on a non-blocking socket, MSG_PEEK,
# MSG_TRUNC), IPv4 and IPv6.  Each must get its answer with the counters
# on C's output showing TCP to the proxy, UDP to the proxy host's relay,
# and zero other packets (no DNS, no leak).  A SOCKS4 route fails closed.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
quick_skip
preload_skip
need_root
need_lib
[ -n "$PY3" ] || skip "python3 needed"
UPROBE=$top_builddir/tests/helpers/udp_probe
[ -x "$UPROBE" ] || skip "udp_probe not built (make check builds it)"
netns_setup

# UDP echo servers in T on both families
netns_udp_echo
# the DNS server C's resolv.conf names: in T, port 53
NAME=svc.socksify.test
DNSLOG=$TMP/dns.log
: >"$DNSLOG"
DNS_SERVER_PORT=53 ip netns exec "$NS_T" "$PY3" "$top_srcdir/tests/helpers/dns_server.py" \
	"$T4" "$TMP/dns.port" "$NAME" "$DNSLOG" >"$TMP/dns.err" 2>&1 &
PIDS+=($!)
wait_for 50 test -s "$TMP/dns.port" || fail "DNS server did not start: $(cat "$TMP/dns.err")"
printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$T4" >"/etc/netns/$NS_C/resolv.conf"
netns_proxy
CONF=$TMP/c.conf
write_conf "$CONF" "socks5://$P4:$PROXY_PORT4"

# lib CMD...: CMD in C under the library (stderr to $TMP/lib.err).
lib() {
	nsx "$NS_C" env SOCKS_CONF="$CONF" LD_PRELOAD="$LIBSOCKSIFY" timeout 20 "$@" 2>>"$TMP/lib.err"
}

# The counters can fail: the same datagram without the library is a leak.
netns_counters
nsx "$NS_C" timeout 5 socat -T1 - "UDP:$T4:$UDP_PORT4" <<<bare >/dev/null 2>&1 || true
[ "$(count leak)" -gt 0 ] || fail "the leak counter missed a bare UDP datagram"
nsx "$NS_C" timeout 5 dig +time=1 +tries=1 "$NAME" >/dev/null 2>&1 &&
	fail "dig got an answer without the library (T reachable?)"

# check WHAT EXPECTED GOT: the output and a clean counter set.
check() {
	if [ "$3" != "$2" ]; then
		bad "$1: got '$3', expected '$2' ($(tail -n 3 "$TMP/lib.err" | tr '\n' ' '))"
	elif [ "$(count relay)" = 0 ]; then
		bad "$1: no datagram to the proxy's relay"
	else
		expect_clean "$1" && echo "    relay=$(count relay)"
	fi
}

netns_counters
out=$(lib dig +short +time=3 +tries=1 "$NAME" A)
check "dig $NAME (resolv.conf nameserver $T4)" 203.0.113.2 "$out"
grep -q "^udp $NAME 1" "$DNSLOG" || bad "dig: the DNS server saw no UDP query"
netns_counters
out=$(lib dig +short +time=3 +tries=1 "$NAME" TXT)
check "dig $NAME TXT" '"socksify-txt-ok"' "$out"

for fam in 4 6; do
	eval "H=\$T$fam UP=\$UDP_PORT$fam"
	[ $fam = 4 ] && addr=$H || addr="[$H]"
	netns_counters
	out=$(echo "socat-$fam" | lib socat -T3 - "UDP:$addr:$UP")
	check "socat UDP $addr" "socat-$fam" "$out"

	netns_counters
	out=$(lib "$PY3" - "$H" "$UP" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b'unconnected', (host, port))
d, a = s.recvfrom(100)
assert d == b'unconnected' and a[0] == host and a[1] == port, (d, a)
c = socket.socket(fam, socket.SOCK_DGRAM)
c.connect((host, port))
c.send(b'connected')
assert c.recv(100) == b'connected'
assert c.getpeername()[:2] == (host, port), c.getpeername()
print('ok')
PY
)
	check "python3 sendto/recvfrom, connect/send/recv ($H)" ok "$out"

	netns_counters
	out=$(lib "$UPROBE" "$H" "$UP")
	check "udp_probe sendmmsg/recvmmsg, epoll, MSG_PEEK/MSG_TRUNC ($H)" ok "$out"
done

# A name: the proxy resolves it (DOMAINNAME in the datagram header); the
# answer comes from the fake address the program was given.
netns_counters
out=$(lib "$PY3" - target4.socksify.test "$UDP_PORT4" <<'PY'
import socket, sys
name, port = sys.argv[1], int(sys.argv[2])
fake = socket.gethostbyname(name)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b'by-name', (name, port))
d, a = s.recvfrom(100)
assert d == b'by-name' and a == (fake, port), (d, a, fake)
print('ok')
PY
)
check "python3 sendto a name (remote resolution)" ok "$out"

# A daemon: association up, fork, the child closes every fd but its
# socket (close_range, then a close() loop), and carries on.
netns_counters
rm -f "$TMP/daemon.out"
lib "$PY3" - "$T4" "$UDP_PORT4" "$TMP/daemon.out" <<'PY'
import os, socket, sys
host, port, outp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b'before', (host, port))
assert s.recvfrom(100)[0] == b'before'
if os.fork():
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
fd = s.fileno()
os.closerange(0, fd)
os.closerange(fd + 1, 1 << 16)
for i in range(0, 4096):
    if i != fd:
        try:
            os.close(i)
        except OSError:
            pass
try:
    s.sendto(b'after', (host, port))
    r = s.recvfrom(100)[0].decode()
except Exception as e:
    r = repr(e)
with open(outp + '.tmp', 'w') as f:
    f.write(r)
os.rename(outp + '.tmp', outp)
PY
wait_for 100 test -s "$TMP/daemon.out" || bad "daemon: no result"
check "daemon (fork, close every fd) keeps its association" after "$(cat "$TMP/daemon.out" 2>/dev/null)"

# SOCKS4 cannot carry UDP: EACCES and a log line, nothing sent.
write_conf "$TMP/v4.conf" "socks4://$P4:$PROXY_PORT4"
netns_counters
out=$(nsx "$NS_C" env SOCKS_CONF="$TMP/v4.conf" LD_PRELOAD="$LIBSOCKSIFY" timeout 10 \
	"$PY3" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"x", (sys.argv[1], int(sys.argv[2]))); print("sent")
except OSError as e:
    print(type(e).__name__)' "$T4" "$UDP_PORT4" 2>"$TMP/v4.err")
[ "$out" = PermissionError ] || bad "SOCKS4 route: '$out', expected PermissionError"
grep -q 'cannot carry UDP' "$TMP/v4.err" || bad "SOCKS4 route: no log line ($(cat "$TMP/v4.err"))"
[ "$(count leak)" = 0 ] || bad "SOCKS4 route: $(count leak) packets left"
finish "UDP ASSOCIATE through $PROXY_KIND: dig, socat, python3, a daemon, udp_probe; zero packets around the proxy"
