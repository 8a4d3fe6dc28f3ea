# shellcheck shell=bash
# Body of tests/netns/isolate.sh and isolate_dante.sh (they set
# NETNS_PROXY): `socksify --isolate` in the client namespace of the leak
# topology.  Programs the library cannot hold - a Go program built here
# with CGO_ENABLED=0 and with cgo, fetching by a name only the proxy
# resolves; a static C program; a program that connects with
# syscall(SYS_connect) - and dig and curl must reach the target through
# the proxy with zero packets around it and no DNS packet out (the nft
# counters on C's output).  A denied port is refused at once; a UDP
# datagram that is no DNS is dropped, not leaked.  Without --isolate the
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
netns_proxy
CONF=$TMP/c.conf
DENY_PORT=9
write_conf "$CONF" "socks5://$P4:$PROXY_PORT4" \
	"route { to = \"0.0.0.0/0\" ports = \"$DENY_PORT\" via = \"deny\" }" \
	'route { to = "denied.socksify.test" via = "deny" }'

# iso_run NAME WANT CMD...: CMD under socksify --isolate in C with fresh
# counters; stdout must contain WANT; zero leak and DNS packets.
iso_run() {
	local name=$1 want=$2 out rc=0
	shift 2
	netns_counters
	out=$(nsx "$NS_C" timeout 30 "$SOCKSIFY" -c "$CONF" -d 1 --isolate "$@" 2>"$TMP/iso.err") || rc=$?
	if [ $rc != 0 ] || ! printf '%s' "$out" | grep -q -- "$want"; then
		bad "$name: exit $rc, output '$out', stderr: $(tail -n 5 "$TMP/iso.err")"
		return
	fi
	expect_clean "$name" || true
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

# Bulk both ways, byte for byte: lwIP's segments reach the program
# coalesced into GSO packets (iso_gso.c), and the program's segments reach
# the proxy through lwIP.  A server in T sends N seeded random bytes
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
s = socket.create_connection((host, port)); s.sendall(b"get %d\n" % n)
h, got = hashlib.sha256(), 0
while True:
    b = s.recv(1 << 18)
    if not b: break
    h.update(b); got += len(b)
want = random.Random(n).randbytes(n)
ok_get = got == n and h.hexdigest() == hashlib.sha256(want).hexdigest()
s = socket.create_connection((host, port)); s.sendall(b"put %d\n" % n)
s.sendall(want); s.shutdown(socket.SHUT_WR)
ok_put = s.makefile("rb").read().decode() == hashlib.sha256(want).hexdigest()
print("bulk get=%s put=%s bytes=%d" % (ok_get, ok_put, got))
PY
iso_run "16 MiB both ways, IPv4, byte for byte" "bulk get=True put=True" \
	"$PY3" "$TMP/bulk.py" "$T4" "$BULK4" 16777216
iso_run "16 MiB both ways, IPv6, byte for byte" "bulk get=True put=True" \
	"$PY3" "$TMP/bulk.py" "$T6" "$BULK6" 16777216

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

# The counters catch the raw-syscall program without isolation.
netns_counters
nsx "$NS_C" timeout 10 "$RAW" "$T4" "$HTTP_PORT4" >/dev/null 2>&1 || true
[ "$(count leak)" -gt 0 ] || bad "control: the bare raw_get leaked nothing?"
finish "socksify --isolate ($PROXY_KIND)"
