#!/usr/bin/env bash
# The BIND API cases a program can meet (tests/helpers/bind_probe: a plain
# program with an FTP-like callback) in the leak topology, through
# socksifyd: blocking accept; non-blocking with poll, select and epoll
# (level, edge, one-shot, registered before listen()); SOCKS5 and SOCKS4
# over IPv4, SOCKS5 over IPv6; two listeners at once.  Each callback must
# arrive from the server with data both ways and a half-close, with zero
# packets leaving the client other than to the proxy.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
quick_skip
preload_skip
need_root
need_lib
PROBE=$top_builddir/tests/helpers/bind_probe
[ -x "$PROBE" ] || skip "bind_probe not built (make check builds it)"
netns_setup
# The callback server in T: "PORT ADDR PORT" lines on a control
# connection; for each it connects back, says "peer", reads to EOF,
# answers "bye" and closes.
for fam in 4 6; do
	[ $fam = 4 ] && host=$T4 || host=$T6
	pf=$TMP/cb$fam.port
	ip netns exec "$NS_T" "$PY3" - "$host" "$pf" >"$TMP/cb$fam.log" 2>&1 <<'PY' &
import os, socket, sys, threading
host, pf = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
def back(addr, port):
    try:
        s = socket.create_connection((addr, port), timeout=10)
        s.sendall(b"peer\n")
        got = b""
        while True:
            d = s.recv(100)
            if not d: break
            got += d
        s.sendall(b"bye\n" if got == b"client\n" else b"bad:" + got)
        s.close()
    except Exception as e:
        print("callback", addr, port, e, flush=True)
def ctrl(c):
    f = c.makefile("r")
    for line in f:
        w = line.split()
        if len(w) == 3 and w[0] == "PORT":
            threading.Thread(target=back, args=(w[1], int(w[2]))).start()
srv = socket.socket(fam)
srv.bind((host, 0)); srv.listen(16)
open(pf + ".tmp", "w").write(str(srv.getsockname()[1])); os.rename(pf + ".tmp", pf)
while True:
    c, _ = srv.accept()
    threading.Thread(target=ctrl, args=(c,), daemon=True).start()
PY
	PIDS+=($!)
	wait_for 50 test -s "$pf" || fail "callback server ($host) did not start"
	eval "CB_PORT$fam=\$(cat \"\$pf\")"
done
netns_proxy
for s in socks5 socks4; do
	write_conf "$TMP/$s.conf" "$s://$P4:$PROXY_PORT4"
done
write_conf "$TMP/socks5v6.conf" "socks5://[$P6]:$PROXY_PORT6"

# case NAME CONF MODE HOST PORT N
case_run() {
	local name=$1 conf=$2
	shift 2
	netns_counters
	if ! out=$(nsx "$NS_C" env SOCKS_CONF="$conf" SOCKS_DEBUG=1 \
		LD_PRELOAD="$LIBSOCKSIFY" timeout 30 "$PROBE" "$@" 2>&1); then
		bad "$name: $out"
		return
	fi
	expect_clean "$name" || echo "$out"
}

# Without the library no callback gets through (the counters see it).
netns_counters
if nsx "$NS_C" timeout 3 "$PROBE" poll "$T4" "$CB_PORT4" >/dev/null 2>&1; then
	bad "the callback got through without the library"
fi
[ "$(count leak)" -gt 0 ] || bad "the leak counter missed the direct attempt"

for mode in block poll select epoll-lt epoll-et epoll-oneshot; do
	case_run "SOCKS5 IPv4 $mode" "$TMP/socks5.conf" $mode "$T4" "$CB_PORT4" 1
done
case_run "SOCKS4 IPv4 poll" "$TMP/socks4.conf" poll "$T4" "$CB_PORT4" 1
case_run "SOCKS4 IPv4 block" "$TMP/socks4.conf" block "$T4" "$CB_PORT4" 1
case_run "SOCKS5 IPv6 epoll-et" "$TMP/socks5v6.conf" epoll-et "$T6" "$CB_PORT6" 1
case_run "SOCKS5 IPv6 block" "$TMP/socks5v6.conf" block "$T6" "$CB_PORT6" 1
case_run "two listeners, epoll-et" "$TMP/socks5.conf" epoll-et "$T4" "$CB_PORT4" 2
case_run "two listeners, poll" "$TMP/socks5.conf" poll "$T4" "$CB_PORT4" 2
case_run "two listeners, block" "$TMP/socks5.conf" block "$T4" "$CB_PORT4" 2
finish "BIND through socksifyd: blocking, poll, select, epoll LT/ET/one-shot, SOCKS4/5, IPv6, two listeners; zero packets around the proxy"
