# shellcheck shell=bash
# Body of tests/netns/isolate.sh and isolate_dante.sh (they set
# NETNS_PROXY): `socksify --isolate` in the client namespace of the leak
# topology.  Programs the library cannot hold - a Go program built here
# with CGO_ENABLED=0 and with cgo, fetching by a name only the proxy
# resolves; a static C program; a program that connects with
# syscall(SYS_connect) - and dig and curl must reach the target through
# the proxy with zero packets around it and no DNS packet out (the nft
# counters on C's output).  A denied port is refused at once.  UDP other
# than DNS goes through UDP ASSOCIATE (python3 by address, connected, by
# a name only the proxy knows, IPv4 and IPv6; socat), and a UDP
# destination that is denied, direct or behind a SOCKS4 proxy is refused
# at once (ECONNREFUSED on a connected socket).  Without --isolate the
# raw-syscall program shows the counters catch the leak.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
. "$(dirname "$0")/../helpers/go_lib.sh"
quick_skip
need_root
need curl dig
ISO=$top_builddir/socksify-isolate
[ -x "$ISO" ] || skip "socksify-isolate not built (liblwip-dev missing?)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
RAW=$top_builddir/tests/helpers/raw_get
RAW_STATIC=$top_builddir/tests/helpers/raw_get_static
[ -x "$RAW" ] || skip "raw_get not built (make check builds it)"
GO_STATIC=$(go_build "$top_srcdir/tests/helpers/go_fetch.go" static)
GO_CGO=$(go_build "$top_srcdir/tests/helpers/go_fetch.go" cgo)
netns_setup
netns_http
netns_udp_echo
netns_proxy
PROXY_PID=${PIDS[-1]}
CONF=$TMP/c.conf
DENY_PORT=9 DIRECT_PORT=10
write_conf "$CONF" "socks5://$P4:$PROXY_PORT4" \
	"route { to = \"0.0.0.0/0\" ports = \"$DENY_PORT\" via = \"deny\" }" \
	"route { to = \"$T6/128\" ports = \"$DIRECT_PORT\" via = \"direct\" }" \
	'route { to = "denied.socksify.test" via = "deny" }'

# iso_run NAME WANT CMD...: CMD under socksify --isolate in C as root
# (iso_expect in netns_lib.sh).
iso_root() {
	rc=0
	out=$(nsx "$NS_C" timeout 30 "$SOCKSIFY" -c "$CONF" -d 1 --isolate "$@" 2>"$TMP/iso.err") || rc=$?
}
iso_run() {
	iso_expect "$1" "$2" iso_root "${@:3}"
}

iso_run "curl by name (IPv4)" "hello from $T4" \
	curl -sS -m 15 "http://target4.socksify.test:$HTTP_PORT4/"
iso_run "curl by name (IPv6)" "hello from $T6" \
	curl -sS -m 15 -6 "http://target6.socksify.test:$HTTP_PORT6/"
grep -q "target4.socksify.test:$HTTP_PORT4 via p: connected" "$TMP/iso.err" ||
	grep -q "via p: connected" "$TMP/iso.err" ||
	bad "-d 1: no line for the flow: $(cat "$TMP/iso.err")"
iso_run "Go CGO_ENABLED=0 by name" "hello from $T4" \
	"$GO_STATIC" "http://target4.socksify.test:$HTTP_PORT4/"
iso_run "Go with cgo by name" "hello from $T6" \
	"$GO_CGO" "http://target6.socksify.test:$HTTP_PORT6/"
iso_run "syscall(SYS_connect) IPv4" "hello from $T4" "$RAW" "$T4" "$HTTP_PORT4"
# A program that connects the moment it starts, to a real IPv6 address:
# the namespace's IPv6 source address must be usable already (it once
# was still tentative about one run in 5-15, the SYN left from a
# link-local address lwIP never answered).  Repeated: it is a race.
for i in $(seq 1 "${ISO_V6_RUNS:-12}"); do
	n_bad=${#FAILED[@]}
	iso_run "syscall(SYS_connect) IPv6 (run $i)" "hello from $T6" \
		"$RAW" "$T6" "$HTTP_PORT6"
	[ "${#FAILED[@]}" = "$n_bad" ] || break
done
if [ -x "$RAW_STATIC" ]; then
	iso_run "static C program" "hello from $T4" "$RAW_STATIC" "$T4" "$HTTP_PORT4"
else
	echo "SKIP part: no static raw_get (libc.a)"
fi
# socks.conf's isolate selects the mode without --isolate: by the
# program's name (raw_get would leak under the library: the control at
# the end), and "auto" for what the library cannot hold (a Go program the
# wrapper would refuse).
iso_conf_run() {
	local name=$1 conf=$2 want=$3 out rc=0
	shift 3
	netns_counters
	out=$(nsx "$NS_C" timeout 30 "$SOCKSIFY" -c "$conf" -d 1 "$@" 2>"$TMP/iso.err") || rc=$?
	if [ $rc != 0 ] || ! printf '%s' "$out" | grep -q -- "$want"; then
		bad "$name: exit $rc, output '$out', stderr: $(tail -n 5 "$TMP/iso.err")"
		return
	fi
	grep -q "via p: connected" "$TMP/iso.err" ||
		bad "$name: not through isolation: $(tail -n 5 "$TMP/iso.err")"
	expect_clean "$name" || true
}
write_conf "$TMP/named.conf" "socks5://$P4:$PROXY_PORT4" \
	'isolate = { "cat", "raw_*" }'
iso_conf_run "isolate = \"raw_*\" in socks.conf" "$TMP/named.conf" \
	"hello from $T4" "$RAW" "$T4" "$HTTP_PORT4"
write_conf "$TMP/auto.conf" "socks5://$P4:$PROXY_PORT4" 'isolate = "auto"'
iso_conf_run "isolate = \"auto\": a Go program" "$TMP/auto.conf" \
	"hello from $T4" "$GO_STATIC" "http://target4.socksify.test:$HTTP_PORT4/"
# A program named there sees the namespace's TUN device; --force
# overrides the config and runs it under the library, outside.
out=$(nsx "$NS_C" timeout 10 "$SOCKSIFY" -c "$TMP/named.conf" cat /proc/net/dev 2>&1) || true
case $out in
*stun0*) echo "ok: isolate = \"cat\": cat runs isolated" ;;
*) bad "isolate = \"cat\": cat not isolated: $out" ;;
esac
if [ -n "${SOCKSIFY_SANITIZED:-}" ]; then
	# --force runs cat with the library: not the ASan one
	echo "# --force with isolate: not in the sanitizer build"
else
	out=$(nsx "$NS_C" timeout 10 "$SOCKSIFY" -c "$TMP/named.conf" --force cat /proc/net/dev 2>&1) || true
	case $out in
	*stun0*) bad "--force with isolate = \"cat\": still isolated" ;;
	*lo:*) echo "ok: --force overrides isolate in socks.conf" ;;
	*) bad "--force with isolate = \"cat\": $out" ;;
	esac
fi

# dig asks the resolver itself: answered inside, from the fake table
netns_counters
out=$(nsx "$NS_C" timeout 30 "$SOCKSIFY" -c "$CONF" --isolate dig +short +tries=1 +time=3 target4.socksify.test A 2>&1) || true
case $out in
198.18.* | 198.19.*) ;;
*) bad "dig: want a fake address, got '$out'" ;;
esac
[ "$(count leak)" = 0 ] && [ "$(count dns)" = 0 ] ||
	bad "dig: leak=$(count leak) dns=$(count dns)"
echo "ok: dig: $out"

# DNS over TCP: answered inside as well, never sent to the proxy; two
# queries on one connection (+keepopen: one log line, 2 answers); the
# framing cases (pipelined, split, denied name, too long, malformed, idle)
# by dns_tcp_probe.py.  Idle waits 10 s: with socksifyd only.
netns_counters
out=$(nsx "$NS_C" timeout 30 "$SOCKSIFY" -c "$CONF" --isolate dig +tcp +short +tries=1 +time=3 target4.socksify.test A 2>&1) || true
case $out in
198.18.* | 198.19.*) echo "ok: dig +tcp: $out" ;;
*) bad "dig +tcp: want a fake address, got '$out'" ;;
esac
out=$(nsx "$NS_C" timeout 30 "$SOCKSIFY" -c "$CONF" -d 1 --isolate dig +tcp +keepopen +short +tries=1 +time=3 @$T4 \
	target4.socksify.test A target6.socksify.test AAAA 2>"$TMP/iso.err") || true
if printf '%s\n' "$out" | grep -q '^198\.1[89]\.' && printf '%s\n' "$out" | grep -q '^fd' &&
	grep -q "DNS over TCP to $T4: 2 answers, closed" "$TMP/iso.err"; then
	echo "ok: dig +tcp +keepopen: two queries on one connection"
else
	bad "dig +tcp +keepopen: '$out', stderr: $(tail -n 5 "$TMP/iso.err")"
fi
idle=
[ "$PROXY_KIND" = socksifyd ] && idle=idle
nsx "$NS_C" timeout 60 "$SOCKSIFY" -c "$CONF" --isolate "$PY3" \
	"$top_srcdir/tests/helpers/dns_tcp_probe.py" $T6 target4.socksify.test \
	denied.socksify.test $idle >"$TMP/dnstcp.out" 2>&1 ||
	bad "DNS over TCP framing: $(cat "$TMP/dnstcp.out")"
grep '^ok' "$TMP/dnstcp.out" || true
[ "$(count leak)" = 0 ] && [ "$(count dns)" = 0 ] && [ "$(count proxy)" = 0 ] ||
	bad "DNS over TCP: leak=$(count leak) dns=$(count dns) proxy=$(count proxy)"

# A denied port: refused at once, nothing sent.
netns_counters
t0=$(date +%s)
if nsx "$NS_C" timeout 30 "$SOCKSIFY" -c "$CONF" --isolate "$RAW" "$T4" $DENY_PORT >/dev/null 2>"$TMP/deny.err"; then
	bad "deny: connected"
fi
grep -q "refused" "$TMP/deny.err" || bad "deny: not refused: $(cat "$TMP/deny.err")"
[ $(($(date +%s) - t0)) -le 5 ] || bad "deny: not at once"
[ "$(count leak)" = 0 ] && [ "$(count proxy)" = 0 ] ||
	bad "deny: leak=$(count leak) proxy=$(count proxy)"
echo "ok: denied port refused at once"

# Bulk both ways, byte for byte: lwIP's segments (up to 64 KiB) reach the
# program, and the program's segments reach the proxy through lwIP.  A server in T sends N seeded random bytes
# ("get N") or returns the SHA-256 of N bytes it reads ("put N").
bulk_pf=$TMP/bulk.port
ip netns exec "$NS_T" "$PY3" - "$T4" "$T6" "$bulk_pf" >"$TMP/bulk.log" 2>&1 <<'PY' &
import hashlib, os, random, socket, sys, threading
def serve(l):
    while True:
        c, _ = l.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()
def one(c):
    with c:
        f = c.makefile("rb")
        cmd, n = f.readline().split()
        n = int(n)
        if cmd == b"get":
            c.sendall(random.Random(n).randbytes(n))
        else:
            h, left = hashlib.sha256(), n
            while left:
                b = f.read1(min(left, 1 << 16))
                if not b: break
                h.update(b); left -= len(b)
            c.sendall(h.hexdigest().encode())
ports = []
for fam, host in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
    l = socket.socket(fam); l.bind((host, 0)); l.listen(8)
    ports.append(l.getsockname()[1])
    threading.Thread(target=serve, args=(l,), daemon=True).start()
open(sys.argv[3] + ".tmp", "w").write("%d %d" % tuple(ports))
os.rename(sys.argv[3] + ".tmp", sys.argv[3])
threading.Event().wait()
PY
PIDS+=($!)
wait_for 50 test -s "$bulk_pf" || bad "bulk server did not start: $(cat "$TMP/bulk.log")"
read -r BULK4 BULK6 <"$bulk_pf"
cat >"$TMP/bulk.py" <<'PY'
import hashlib, random, socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
mss = int(sys.argv[4]) if len(sys.argv) > 4 else 0
def connect():
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam)
    if mss:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    s.connect((host, port))
    return s
s = connect(); s.sendall(b"get %d\n" % n)
h, got = hashlib.sha256(), 0
while True:
    b = s.recv(1 << 18)
    if not b: break
    h.update(b); got += len(b)
want = random.Random(n).randbytes(n)
ok_get = got == n and h.hexdigest() == hashlib.sha256(want).hexdigest()
s = connect(); s.sendall(b"put %d\n" % n)
s.sendall(want); s.shutdown(socket.SHUT_WR)
ok_put = s.makefile("rb").read().decode() == hashlib.sha256(want).hexdigest()
print("bulk get=%s put=%s bytes=%d" % (ok_get, ok_put, got))
PY
iso_run "16 MiB both ways, IPv4, byte for byte" "bulk get=True put=True" \
	"$PY3" "$TMP/bulk.py" "$T4" "$BULK4" 16777216
iso_run "16 MiB both ways, IPv6, byte for byte" "bulk get=True put=True" \
	"$PY3" "$TMP/bulk.py" "$T6" "$BULK6" 16777216
# With a small MSS lwIP sends 1400-byte segments, which reach the program
# coalesced into GSO packets (iso_gso.c).
iso_run "16 MiB both ways, IPv4, MSS 1400 (GSO), byte for byte" \
	"bulk get=True put=True" "$PY3" "$TMP/bulk.py" "$T4" "$BULK4" 16777216 1400
iso_run "16 MiB both ways, IPv6, MSS 1400 (GSO), byte for byte" \
	"bulk get=True put=True" "$PY3" "$TMP/bulk.py" "$T6" "$BULK6" 16777216 1400

# More destinations at once than lwIP has interface numbers (255): 300
# names (300 fake addresses) the proxy resolves, all connected at once,
# then each asked for its bytes.
for i in $(seq 1 300); do echo "$T4 t$i.socksify.test"; done >>"/etc/netns/$NS_P/hosts"
cat >"$TMP/many.py" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
conns = [socket.create_connection(("t%d.socksify.test" % i, port), timeout=20)
         for i in range(1, n + 1)]
addrs = {c.getpeername()[0] for c in conns}
for c in conns:
    c.sendall(b"get 100\n")
good = 0
for c in conns:
    got = b""
    while len(got) < 100:
        b = c.recv(100)
        if not b: break
        got += b
    good += len(got) == 100
print("connections=%d addresses=%d answered=%d" % (n, len(addrs), good))
PY
iso_run "300 destinations at once" "connections=300 addresses=300 answered=300" \
	"$PY3" "$TMP/many.py" "$BULK4" 300

# Loopback inside the namespace stays local: a server and a client on
# 127.0.0.1 and ::1 inside isolation, nothing to the proxy.
cat >"$TMP/lo.py" <<'PY'
import socket, threading
out = []
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    l = socket.socket(fam); l.bind((host, 0)); l.listen(1)
    def serve():
        c, _ = l.accept(); c.sendall(b"local"); c.close()
    threading.Thread(target=serve).start()
    s = socket.create_connection((host, l.getsockname()[1]), timeout=5)
    out.append(s.recv(16).decode())
print("loopback " + " ".join(out))
PY
netns_counters
out=$(nsx "$NS_C" timeout 30 "$SOCKSIFY" -c "$CONF" --isolate "$PY3" "$TMP/lo.py" 2>"$TMP/lo.err") || true
if [ "$out" != "loopback local local" ]; then
	bad "loopback inside: '$out' $(tail -n 3 "$TMP/lo.err")"
elif [ "$(count proxy)" != 0 ] || [ "$(count leak)" != 0 ]; then
	bad "loopback inside: proxy=$(count proxy) leak=$(count leak), want 0"
else
	echo "ok: loopback inside stays local: proxy=0 leak=0"
fi

# ICMP has no route out: ping fails, nothing leaves, the drop is counted.
netns_counters
if nsx "$NS_C" timeout 20 "$SOCKSIFY" -c "$CONF" -d 1 --isolate ping -n -c 1 -W 2 "$T4" >/dev/null 2>"$TMP/ping.err"; then
	bad "ping: answered inside isolation"
fi
grep -q "packets dropped" "$TMP/ping.err" || bad "ping: no drop counted: $(cat "$TMP/ping.err")"
[ "$(count leak)" = 0 ] && [ "$(count proxy)" = 0 ] ||
	bad "ping: leak=$(count leak) proxy=$(count proxy)"
echo "ok: ping dropped and counted"

# UDP other than DNS: through UDP ASSOCIATE.  udp_probe MODE HOST PORT
# FAMILY: "sendto" sends four datagrams (of 1200 and 8005 bytes too: the
# device's MTU is 64 KiB, they are not fragmented) from an
# unconnected socket before it reads, and wants each echoed from the
# address it sent to (for a name: its fake address); "connected" one
# through a connected socket; "refused" wants ECONNREFUSED at once.
cat >"$TMP/udp_probe.py" <<'PY'
import os, socket, sys, time
mode, host, port, fam = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
af = socket.AF_INET6 if fam == "6" else socket.AF_INET
to = socket.getaddrinfo(host, port, af, socket.SOCK_DGRAM)[0][4][:2]
s = socket.socket(af, socket.SOCK_DGRAM)
s.settimeout(10)
t0 = time.monotonic()
if mode == "sendto":
    sent = {b"one %d" % port, b"two " + b"x" * 1196, b"three",
            b"four " + b"y" * 8000}
    for m in sorted(sent):
        s.sendto(m, to)
    got = set()
    while got != sent:
        d, a = s.recvfrom(65535)
        if a[:2] != to or d not in sent:
            sys.exit("from %r (sent to %r): %r" % (a, to, d[:20]))
        got.add(d)
    print("udp echo ok from %s port %d" % to)
elif mode == "connected":
    s.connect(to)
    s.send(b"connected")
    print("udp echo ok" if s.recv(65535) == b"connected" else "wrong data")
elif mode == "proxy-ends":
    # echo, then (once the harness stopped the proxy) ECONNREFUSED: the
    # association ended with its control connection, and the new one
    # finds no proxy
    s.connect(to)
    s.send(b"first")
    assert s.recv(65535) == b"first"
    open(sys.argv[5] + ".tmp", "w").close()
    os.rename(sys.argv[5] + ".tmp", sys.argv[5])
    for i in range(200):
        if os.path.exists(sys.argv[6]):
            break
        time.sleep(0.1)
    s.send(b"second")
    try:
        s.recv(65535)
        print("answered")
    except ConnectionRefusedError:
        print("refused once the proxy ended")
else:
    s.connect(to)
    s.send(b"refused?")
    try:
        s.recv(65535)
        print("answered")
    except ConnectionRefusedError:
        print("refused after %.1f s" % (time.monotonic() - t0))
PY
# udp_run NAME WANT CMD...: iso_run for UDP: the relay carried it too.
udp_run() {
	local n_bad=${#FAILED[@]}
	iso_run "$@"
	[ "${#FAILED[@]}" = "$n_bad" ] || return 0
	[ "$(count relay)" -gt 0 ] || bad "$1: no datagram to the relay"
}
udp_run "UDP sendto by IPv4 address" "udp echo ok from $T4" \
	"$PY3" "$TMP/udp_probe.py" sendto "$T4" "$UDP_PORT4" 4
udp_run "UDP sendto by IPv6 address" "udp echo ok from $T6" \
	"$PY3" "$TMP/udp_probe.py" sendto "$T6" "$UDP_PORT6" 6
udp_run "UDP connected, IPv4" "udp echo ok" \
	"$PY3" "$TMP/udp_probe.py" connected "$T4" "$UDP_PORT4" 4
udp_run "UDP connected, IPv6" "udp echo ok" \
	"$PY3" "$TMP/udp_probe.py" connected "$T6" "$UDP_PORT6" 6
udp_run "UDP by name (IPv4 fake)" "udp echo ok from 198.1[89]\." \
	"$PY3" "$TMP/udp_probe.py" sendto target4.socksify.test "$UDP_PORT4" 4
udp_run "UDP by name (IPv6 fake)" "udp echo ok from fd53:6f63:6b73:" \
	"$PY3" "$TMP/udp_probe.py" sendto target6.socksify.test "$UDP_PORT6" 6
grep -q "^socksify.*UDP .* via p: associated" "$TMP/iso.err" &&
	grep -q "UDP .* via p: the program exited ([0-9]* bytes up, [0-9]* down)" "$TMP/iso.err" ||
	bad "-d 1: no lines for the UDP association: $(cat "$TMP/iso.err")"
udp_run "socat UDP4" "socat-udp-hello" \
	sh -c "echo socat-udp-hello | socat -t 3 - UDP4:$T4:$UDP_PORT4"
# Refused UDP destinations: ECONNREFUSED at once, nothing sent anywhere.
# udp_refused NAME CONF HOST PORT FAMILY
udp_refused() {
	local out n_bad=${#FAILED[@]}
	netns_counters
	out=$(nsx "$NS_C" timeout 30 "$SOCKSIFY" -c "$2" --isolate \
		"$PY3" "$TMP/udp_probe.py" refused "$3" "$4" "$5" 2>"$TMP/udpr.err") || true
	case $out in
	"refused after "[0-2].*) ;;
	*) bad "$1: want ECONNREFUSED at once, got '$out': $(tail -n 3 "$TMP/udpr.err")" ;;
	esac
	grep -q "refused\\|denied" "$TMP/udpr.err" || bad "$1: no log line"
	[ "$(count leak)" = 0 ] && [ "$(count dns)" = 0 ] &&
		[ "$(count relay)" = 0 ] ||
		bad "$1: leak=$(count leak) dns=$(count dns) relay=$(count relay)"
	[ "${#FAILED[@]}" != "$n_bad" ] || echo "ok: $1: $out"
}
udp_refused "UDP to a denied port" "$CONF" "$T4" $DENY_PORT 4
udp_refused "UDP to a direct route" "$CONF" "$T6" $DIRECT_PORT 6
write_conf "$TMP/socks4.conf" "socks4://$P4:$PROXY_PORT4"
udp_refused "UDP via a SOCKS4 proxy" "$TMP/socks4.conf" "$T4" "$UDP_PORT4" 4

# The proxy ends (socksifyd: one process to stop): the association ends
# with its control connection (-d 1 says so), and the socket's next
# datagram, finding no proxy, is refused.  Last: the proxy is gone.
if [ "$PROXY_KIND" = socksifyd ]; then
	n_bad=${#FAILED[@]}
	netns_counters
	ip netns exec "$NS_C" timeout 30 "$SOCKSIFY" -c "$CONF" -d 1 --isolate \
		"$PY3" "$TMP/udp_probe.py" proxy-ends "$T4" "$UDP_PORT4" 4 \
		"$TMP/udp.ready" "$TMP/udp.go" >"$TMP/udpe.out" 2>"$TMP/udpe.err" &
	UPID=$!
	PIDS+=($UPID)
	if wait_for 150 test -e "$TMP/udp.ready"; then
		kill "$PROXY_PID"
		wait_for 100 grep -q "via p: the proxy closed the control connection" "$TMP/udpe.err" ||
			bad "UDP, proxy ended: the association did not end: $(tail -n 3 "$TMP/udpe.err")"
	else
		bad "UDP, proxy ended: no first echo: $(tail -n 3 "$TMP/udpe.err")"
	fi
	touch "$TMP/udp.go"
	wait "$UPID" || true
	grep -q "refused once the proxy ended" "$TMP/udpe.out" ||
		bad "UDP, proxy ended: want ECONNREFUSED, got '$(cat "$TMP/udpe.out")': $(tail -n 3 "$TMP/udpe.err")"
	[ "$(count leak)" = 0 ] && [ "$(count dns)" = 0 ] ||
		bad "UDP, proxy ended: leak=$(count leak) dns=$(count dns)"
	[ "${#FAILED[@]}" != "$n_bad" ] ||
		echo "ok: UDP: the association ends with the proxy's control connection"
fi

# The counters catch the raw-syscall program without isolation.
netns_counters
nsx "$NS_C" timeout 10 "$RAW" "$T4" "$HTTP_PORT4" >/dev/null 2>&1 || true
[ "$(count leak)" -gt 0 ] || bad "control: the bare raw_get leaked nothing?"
finish "socksify --isolate ($PROXY_KIND)"
