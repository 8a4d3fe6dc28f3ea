#!/usr/bin/env bash
# UDP benchmark (issue 10's targets), all on loopback in one run: a
# benchmark, not a test; it prints the numbers, the ratios and whether the
# targets were met.
#
#   ./scripts/bench udp             (BENCH_SECS=3 seconds per run,
#                                    BENCH_REPS=3 runs, the best counts)
#
# Measures, with tests/helpers/udp_bench (compiled here):
#  - request/response rate: one UDP socket, one 64-byte datagram in flight,
#    plain sendto/recvfrom to a UDP echo; direct, through libsocksify.so +
#    socksifyd, and through Dante's client library (libdsocksd, what
#    Dante's socksify preloads) + Dante's sockd.  Target: ours >= 1.5x
#    Dante's;
#  - relay cost: udp_bench speaks UDP ASSOCIATE itself (no client library)
#    and keeps 32 datagrams in flight through the relay to the echo; the
#    datagrams relayed (both ways) over the server's CPU seconds
#    (utime+stime of its process tree, /proc/PID/stat), for socksifyd,
#    sockd and the floor (udp_bench floor: a minimal poll-loop relay, no
#    checks, not a product).  Target: socksifyd >= 2x sockd.
# Every process is started here and stopped by PID (tests/helpers/lib.sh).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
top_srcdir=$(pwd)
top_builddir=${top_builddir:-$top_srcdir/build}
. tests/helpers/lib.sh

SECS=${BENCH_SECS:-3}
REPS=${BENCH_REPS:-3}
need cc python3
[ -x "$SOCKSIFYD" ] || { echo "bench: $SOCKSIFYD not built"; exit 2; }
[ -f "$LIBSOCKSIFY" ] || { echo "bench: $LIBSOCKSIFY not built"; exit 2; }
DSOCKS=$(ls /usr/lib/*/libdsocksd.so.0 /usr/lib/libdsocksd.so.0 2>/dev/null | head -n1)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (shared machine: numbers are relative)"

UB=$TMP/udp_bench
cc -O2 -std=gnu11 -o "$UB" tests/helpers/udp_bench.c || exit 2

# cputree PID: CPU seconds of PID's process tree (with reaped children).
cputree() {
	python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1]); hz = os.sysconf('SC_CLK_TCK')
kids = {}
for p in os.listdir('/proc'):
    if not p.isdigit(): continue
    try: st = open('/proc/%s/stat' % p).read()
    except OSError: continue
    f = st[st.rindex(')') + 2:].split()
    kids.setdefault(int(f[1]), []).append(int(p))
todo, cpu = [root], 0
while todo:
    p = todo.pop(); todo += kids.get(p, [])
    try:
        st = open('/proc/%d/stat' % p).read()
        cpu += sum(int(x) for x in st[st.rindex(')') + 2:].split()[11:15])
    except OSError: pass
print('%.3f' % (cpu / hz))
PY
}

"$UB" echo "$TMP/echo.port" &
PIDS+=($!)
wait_for 50 test -s "$TMP/echo.port" || fail "udp echo did not start"
ECHO=$(cat "$TMP/echo.port")
start_socksifyd
start_dante
"$UB" floor "$TMP/floor.port" &
FLOOR_PID=$!
PIDS+=($FLOOR_PID)
wait_for 50 test -s "$TMP/floor.port" || fail "floor relay did not start"
FLOOR=$(cat "$TMP/floor.port")

cat >"$TMP/ours.conf" <<EOC
proxy "p" { url = "socks5://127.0.0.1:$SOCKSIFYD_PORT" }
route { to = "127.0.0.1/32" ports = "$ECHO" via = "p" }
route { to = { "0.0.0.0/0", "::/0" } via = "direct" }
EOC
# (Dante's client parser wants the route's keywords on lines of their own)
cat >"$TMP/dante-client.conf" <<EOC
route {
	from: 0.0.0.0/0 to: 127.0.0.1/32 port = $ECHO via: 127.0.0.1 port = $DANTE_PORT
	protocol: tcp udp
	proxyprotocol: socks_v5
	method: none
}
EOC

# best CMD...: the best (highest) number CMD prints over REPS runs.
best() {
	local b=0 v i
	for ((i = 0; i < REPS; i++)); do
		v=$("$@" 2>>"$TMP/bench.err") || v=0
		[ "${v%.*}" -gt "${b%.*}" ] 2>/dev/null && b=$v
	done
	echo "$b"
}

echo
echo "## UDP request/response, 1 socket, 1 x 64 B in flight (round trips/s, best of $REPS x ${SECS}s)"
DIRECT=$(best "$UB" rr 127.0.0.1 "$ECHO" "$SECS")
OURS=$(best env SOCKS_CONF="$TMP/ours.conf" LD_PRELOAD="$LIBSOCKSIFY" "$UB" rr 127.0.0.1 "$ECHO" "$SECS")
if [ -n "$DSOCKS" ]; then
	DANTE=$(best env SOCKS_CONF="$TMP/dante-client.conf" LD_PRELOAD="$DSOCKS" "$UB" rr 127.0.0.1 "$ECHO" "$SECS")
else
	DANTE=0
	echo "note: Dante's client library (libdsocksd, dante-client) not installed"
fi
printf '%-40s %10s\n' "direct (no proxy)" "$DIRECT" \
	"libsocksify + socksifyd" "$OURS" "Dante libdsocksd + sockd" "$DANTE"
RR_RATIO=$(python3 -c "print('%.2f' % ($OURS / $DANTE) if $DANTE else 'n/a')")
echo "ratio ours/Dante: $RR_RATIO (target >= 1.5)"

echo
echo "## UDP relay cost: datagrams relayed per server CPU-second (32 in flight, best of $REPS x ${SECS}s)"
# relay NAME PID PORT -> datagrams per CPU second
relay() {
	local b=0 i c0 c1 n v
	for ((i = 0; i < REPS; i++)); do
		c0=$(cputree "$2")
		n=$("$UB" relay "$3" "$ECHO" "$SECS" 32 2>>"$TMP/bench.err") || n=0
		c1=$(cputree "$2")
		v=$(python3 -c "c = $c1 - $c0; print('%.0f' % ($n / c) if c > 0 else 0)")
		[ "$v" -gt "$b" ] && b=$v
	done
	echo "$b"
}
R_OURS=$(relay socksifyd "$SOCKSIFYD_PID" "$SOCKSIFYD_PORT")
R_DANTE=$(relay sockd "$DANTE_PID" "$DANTE_PORT")
R_FLOOR=$(relay floor "$FLOOR_PID" "$FLOOR")
printf '%-40s %12s\n' "socksifyd" "$R_OURS" "Dante sockd" "$R_DANTE" \
	"floor (udp_bench floor, not a product)" "$R_FLOOR"
RELAY_RATIO=$(python3 -c "print('%.2f' % ($R_OURS / $R_DANTE) if $R_DANTE else 'n/a')")
echo "ratio socksifyd/sockd: $RELAY_RATIO (target >= 2); socksifyd/floor: $(python3 -c "print('%.2f' % ($R_OURS / $R_FLOOR) if $R_FLOOR else 'n/a')")"
if [ -s "$TMP/bench.err" ]; then
	echo "(errors of some runs:)"
	sort -u "$TMP/bench.err" | head -n 5
fi
