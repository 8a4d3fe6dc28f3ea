#!/usr/bin/env bash
# socksifyd with python3-socks (PySocks): SOCKS4 and SOCKS5 CONNECT, with and
# without username/password, and SOCKS5 UDP ASSOCIATE through
# socks.socksocket(SOCK_DGRAM) to a local UDP echo.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
PY=$(python_socks) || skip "python3-socks not installed (import socks fails)"

start_echo
start_udp_echo
pysocks() { # PROXY_PORT USER PASS
	"$PY" - "$1" "$ECHO_PORT" "$UDP_ECHO_PORT" "$2" "$3" $((5 * SOCKSIFY_SLOW)) <<'PY'
import socket, sys, socks
pport, eport, uport = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
user, pw, t = sys.argv[4] or None, sys.argv[5] or None, float(sys.argv[6])
def tcp(kind, rdns, host):
    s = socks.socksocket()
    s.settimeout(t)
    s.set_proxy(kind, '127.0.0.1', pport, rdns=rdns, username=user, password=pw)
    s.connect((host, eport))
    msg = b'pysocks %d %s' % (kind, host.encode())
    s.sendall(msg)
    got = b''
    while len(got) < len(msg):
        d = s.recv(100)
        if not d: break
        got += d
    assert got == msg, (kind, host, got)
    s.close()
if user is None:
    tcp(socks.SOCKS4, False, '127.0.0.1')
    tcp(socks.SOCKS4, True, 'localhost')
tcp(socks.SOCKS5, False, '127.0.0.1')
tcp(socks.SOCKS5, True, 'localhost')
u = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(t)
u.set_proxy(socks.SOCKS5, '127.0.0.1', pport, username=user, password=pw)
u.bind(('127.0.0.1', 0))
for i in range(3):
    m = b'udp %d' % i
    u.sendto(m, ('127.0.0.1', uport))
    d, a = u.recvfrom(100)
    assert d == m and a[1] == uport, (d, a)
u.close()
print('pysocks ok', 'with auth' if user else 'no auth')
PY
}

start_socksifyd
pysocks "$SOCKSIFYD_PORT" '' '' || fail "PySocks without auth"
expect_session ver=4 cmd=connect result=succeeded "dst=127.0.0.1:$ECHO_PORT"
expect_session ver=4 cmd=connect result=succeeded "dst=localhost:$ECHO_PORT"
expect_session ver=5 cmd=connect result=succeeded "dst=localhost:$ECHO_PORT"
expect_session ver=5 cmd=udp result=succeeded 'up=[1-9][0-9]*' 'down=[1-9][0-9]*'

start_socksifyd -u alice:secret
pysocks "$SOCKSIFYD_PORT" alice secret || fail "PySocks with auth"
expect_session ver=5 user=alice cmd=connect result=succeeded
expect_session ver=5 user=alice cmd=udp result=succeeded
pysocks "$SOCKSIFYD_PORT" alice wrong 2>/dev/null && fail "PySocks wrong password accepted"
expect_session result=auth-failed
stop_all_socksifyd
pass "PySocks CONNECT v4/v5 and UDP ASSOCIATE"
