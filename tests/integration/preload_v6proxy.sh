#!/usr/bin/env bash
# A proxy the program's socket family cannot reach: the library replaces
# the socket by one of the proxy's family (sock_replace.c).
#  - curl -4 (AF_INET sockets) through socksifyd listening on [::1] only,
#    to a numeric target and to a name only the proxy side resolves;
#  - python3: an AF_INET socket with options and O_NONBLOCK set, through
#    the IPv6 proxy: the options and flags read back, getpeername is the
#    target, data is echoed;
#  - python3: an AF_INET6 socket with IPV6_V6ONLY through socksifyd on
#    127.0.0.1 only.
# Every case must show up as a socksifyd session.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
quick_skip
preload_skip
need_lib
need curl
isolate "$@"
unset SOCKS_CONF SOCKS_PROXY SOCKS_USERNAME SOCKS_PASSWORD \
	http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
[ "$HAVE_V6" = 1 ] || skip "no IPv6 in the test namespace"
[ -x "$SOCKSIFYD" ] || skip "socksifyd not built"

start_http_peer $T4
P4=$HTTP_PORT
start_echo_peer $T4
E4=$ECHO_PORT
start_echo_peer $T6
E6=$ECHO_PORT

start_socksifyd -l '[::1]:0'
PX6="[::1]:$SOCKSIFYD_PORT"
LOG6=$SOCKSIFYD_LOG

# curl: AF_INET sockets, IPv6 proxy
for url in "http://$T4:$P4/" "http://$N4:$P4/"; do
	session_mark
	out=$(SOCKS_PROXY=socks5h://$PX6 LD_PRELOAD="$LIBSOCKSIFY" \
		curl -4 -sS --max-time 10 "$url" 2>&1) ||
		bad "curl -4 $url via $PX6: $out"
	case $out in
	*"hello from $T4"*) echo "ok: curl -4 $url via $PX6: $out" ;;
	*) bad "curl -4 $url via $PX6: got '$out'" ;;
	esac
	host=${url#http://}
	expect_session "${host%/}"
done

# python3: options and flags survive, the tunnel works
check_py() {
	local fam=$1 dst=$2 port=$3 proxy=$4 out
	session_mark
	out=$(SOCKS_PROXY=socks5://$proxy LD_PRELOAD="$LIBSOCKSIFY" \
		"$PY3" - "$fam" "$dst" "$port" 2>&1 <<'PY'
import socket, sys, select, fcntl, os
fam, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
f = socket.AF_INET if fam == "4" else socket.AF_INET6
s = socket.socket(f, socket.SOCK_STREAM)
if f == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
opts = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1),
        (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 77),
        (socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)]
want = []
for lvl, o, v in opts:
    s.setsockopt(lvl, o, v)
    want.append(s.getsockopt(lvl, o))
s.setblocking(False)
err = s.connect_ex((dst, port))
assert err in (0, 115), err  # EINPROGRESS
_, w, _ = select.select([], [s], [], 10)
assert w, "connect did not complete"
assert s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
got = [s.getsockopt(lvl, o) for lvl, o, _ in opts]
assert got == want, (got, want)
assert fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK
assert not os.get_inheritable(s.fileno())  # FD_CLOEXEC
dom = s.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)
peer = s.getpeername()
assert peer[0] == dst and peer[1] == port, peer
s.setblocking(True)
s.settimeout(10)
s.sendall(b"ping")
assert s.recv(4) == b"ping"
print("ok domain=%d peer=%s" % (dom, peer[0]))
PY
	) || { bad "python3 AF_INET$fam socket to $dst:$port via $proxy: $out"; return 1; }
	echo "ok: python3 AF_INET$fam socket to $dst:$port via $proxy: $out"
	case $fam:$out in
	4:*"domain=10 "* | 6:*"domain=2 "*) ;;
	*) bad "the socket was not replaced: $out" ;;
	esac
	expect_session "\[?$dst\]?:$port"
}
check_py 4 $T4 $E4 "$PX6"

# the reverse: an IPV6_V6ONLY socket, an IPv4-only proxy
start_socksifyd -l 127.0.0.1:0
check_py 6 $T6 $E6 "127.0.0.1:$SOCKSIFYD_PORT"
SOCKSIFYD_LOG=$LOG6

finish "IPv6 proxy from AF_INET sockets and IPv4 proxy from IPV6_V6ONLY sockets"
