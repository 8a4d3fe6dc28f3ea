#!/usr/bin/env bash
# Isolation mode against the library (./scripts/bench isolate; issue 14).
# Not a test: prints figures, ratios and the exact commands; never fails
# on a number.
#
# In the leak topology of the tests (tests/helpers/netns_lib.sh: client
# namespace C, socksifyd in P, target T; root only) one Python client
# (bench_iso.py below) runs in C under `socksify` (the library) and under
# `socksify --isolate` (lwIP in a namespace), the same proxy:
#
#  bulk      one download of BENCH_ISO_MB MiB (default 512) from a
#            server in T: MiB/s after connect    target: isolate >= 0.5x
#  upload    the same size sent to a server in T that reads it all:
#            MiB/s until the server's one-byte reply     (no target)
#  udp       BENCH_ISO_UDP (default 5000) 64-byte UDP request/response
#            round trips, one in flight, to an echo server in T (the
#            library and isolation both through UDP ASSOCIATE): round
#            trips/s                                       (no target)
#  conn      BENCH_ISO_CONN (default 500) sequential connections, each
#            reading one byte the server sends: connections/s
#                                                target: isolate >= 0.5x
#
# Each figure is the best of BENCH_ISO_ROUNDS (default 3) alternating
# rounds.  The client measures inside the program, so the namespace's
# start-up (tens of ms) is not counted.  BUILD= names the build directory.
set -u
cd "$(dirname "$0")/../.." || exit 1
. scripts/bench.d/netns_head.sh isolate
[ -f "$LIBSOCKSIFY" ] && [ -x "$SOCKSIFYD" ] && [ -x "$top_builddir/socksify-isolate" ] ||
	{ echo "bench isolate: build first ($top_builddir, with liblwip-dev)" >&2; exit 0; }
[ -c /dev/net/tun ] || { echo "bench isolate: no /dev/net/tun" >&2; exit 0; }
MB=${BENCH_ISO_MB:-512}
NCONN=${BENCH_ISO_CONN:-500}
ROUNDS=${BENCH_ISO_ROUNDS:-3}
NUDP=${BENCH_ISO_UDP:-5000}

netns_setup
PROXY_PORT4=0 PROXY_PORT6=0
more_socksifyd SD

# the servers in T: bulk (MB MiB of zeros per connection) and conn (one
# byte, then close)
pf=$TMP/srv.port
ip netns exec "$NS_T" "$PY3" - "$T4" "$pf" "$MB" >"$TMP/srv.log" 2>&1 <<'PY' &
import os, socket, sys, threading
host, pf, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
chunk = bytes(1 << 20)
def bulk(c):
    with c:
        for _ in range(mb):
            c.sendall(chunk)
def serve(l, fn):
    while True:
        c, _ = l.accept()
        threading.Thread(target=fn, args=(c,), daemon=True).start()
def one(c):
    with c:
        c.sendall(b"x")
def sink(c):
    with c:
        while c.recv(1 << 18):
            pass
        c.sendall(b"x")
ports = []
for fn in (bulk, one, sink):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((host, 0)); l.listen(512); ports.append(l.getsockname()[1])
    threading.Thread(target=serve, args=(l, fn), daemon=True).start()
open(pf + '.tmp', 'w').write("%d %d %d" % tuple(ports)); os.rename(pf + '.tmp', pf)
threading.Event().wait()
PY
PIDS+=($!)
wait_for 50 test -s "$pf" || { echo "bench isolate: servers did not start: $(cat "$TMP/srv.log")" >&2; exit 0; }
read -r BULK_PORT CONN_PORT SINK_PORT <"$pf"
netns_udp_echo

cat >"$TMP/bench_iso.py" <<'PY'
import socket, sys, time
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "bulk":
    s = socket.create_connection((host, port)); t = time.monotonic(); n = 0
    buf = bytearray(1 << 18)
    while True:
        k = s.recv_into(buf)
        if not k: break
        n += k
    dt = time.monotonic() - t
    print("bytes=%d seconds=%.3f rate=%.1f" % (n, dt, n / dt / 1048576))
elif mode == "udp":
    count = int(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5); s.connect((host, port)); m = b"x" * 64
    s.send(m); s.recv(2048)  # the association is made before the clock
    t = time.monotonic()
    for _ in range(count):
        s.send(m)
        if s.recv(2048) != m: sys.exit("wrong echo")
    dt = time.monotonic() - t
    print("trips=%d seconds=%.3f rate=%.1f" % (count, dt, count / dt))
elif mode == "upload":
    total = int(sys.argv[4]) << 20
    s = socket.create_connection((host, port)); t = time.monotonic(); n = 0
    buf = bytes(1 << 18)
    while n < total:
        n += s.send(buf[:min(len(buf), total - n)])
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"x": sys.exit("short read")
    dt = time.monotonic() - t
    print("bytes=%d seconds=%.3f rate=%.1f" % (n, dt, n / dt / 1048576))
else:
    count = int(sys.argv[4]); t = time.monotonic()
    for _ in range(count):
        s = socket.create_connection((host, port))
        if s.recv(1) != b"x": sys.exit("short read")
        s.close()
    dt = time.monotonic() - t
    print("conns=%d seconds=%.3f rate=%.1f" % (count, dt, count / dt))
PY
CONF=$TMP/c.conf
write_conf "$CONF" "socks5://$P4:$SD"
LIBRARY=("$SOCKSIFY" -c "$CONF")
ISOLATE=("$SOCKSIFY" -c "$CONF" --isolate)

# best MODE ARGS...: the best rate of ROUNDS runs of each path,
# alternating; sets LIB_RATE and ISO_RATE
best() {
	local i r
	LIB_RATE=0 ISO_RATE=0
	for i in $(seq "$ROUNDS"); do
		r=$(nsx "$NS_C" timeout 300 "${LIBRARY[@]}" "$PY3" "$TMP/bench_iso.py" "$@" 2>"$TMP/lib.err" |
			sed -n 's/.*rate=\([0-9.]*\).*/\1/p')
		[ -n "$r" ] || { echo "  note: library run failed: $(tail -n 3 "$TMP/lib.err")"; r=0; }
		LIB_RATE=$(awk -v a="$LIB_RATE" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
		r=$(nsx "$NS_C" timeout 300 "${ISOLATE[@]}" "$PY3" "$TMP/bench_iso.py" "$@" 2>"$TMP/iso.err" |
			sed -n 's/.*rate=\([0-9.]*\).*/\1/p')
		[ -n "$r" ] || { echo "  note: isolate run failed: $(tail -n 3 "$TMP/iso.err")"; r=0; }
		ISO_RATE=$(awk -v a="$ISO_RATE" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
	done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "isolation mode vs the library, same socksifyd (P), best of $ROUNDS rounds"
best bulk "$T4" "$BULK_PORT"
printf '  %-34s library %8s MiB/s  isolate %8s MiB/s  isolate/library %s (target >= 0.5)\n' \
	"bulk download ($MB MiB)" "$LIB_RATE" "$ISO_RATE" "$(ratio "$ISO_RATE" "$LIB_RATE")"
best upload "$T4" "$SINK_PORT" "$MB"
printf '  %-34s library %8s MiB/s  isolate %8s MiB/s  isolate/library %s (no target)\n' \
	"bulk upload ($MB MiB)" "$LIB_RATE" "$ISO_RATE" "$(ratio "$ISO_RATE" "$LIB_RATE")"
best udp "$T4" "$UDP_PORT4" "$NUDP"
printf '  %-34s library %8s trips/s isolate %8s trips/s isolate/library %s (no target)\n' \
	"UDP 64 B request/response ($NUDP)" "$LIB_RATE" "$ISO_RATE" "$(ratio "$ISO_RATE" "$LIB_RATE")"
best conn "$T4" "$CONN_PORT" "$NCONN"
printf '  %-34s library %8s conn/s  isolate %8s conn/s  isolate/library %s (target >= 0.5)\n' \
	"sequential connections ($NCONN)" "$LIB_RATE" "$ISO_RATE" "$(ratio "$ISO_RATE" "$LIB_RATE")"
echo "  commands (in C; bench_iso.py is written by this script):"
echo "    \$ ip netns exec C socksify -c c.conf python3 bench_iso.py bulk $T4 PORT"
echo "    \$ ip netns exec C socksify -c c.conf --isolate python3 bench_iso.py conn $T4 PORT $NCONN"
