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
#    Dante's.  On loopback Dante's client sends direct (it puts direct
#    routes for 127.0.0.0/8 and the host's own networks before the
#    configured ones), so the comparison runs, as root, in the namespace
#    topology of tests/helpers/netns_lib.sh (client in C, the servers in
#    P, the echo in T, which only a relay in P reaches).  Beside them the
#    floor: udp_bench rrs (the SOCKS5 encapsulation done by hand, no client
#    library) through each server and through the floor relay, and the
#    library through the floor relay;
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
sed "s/127.0.0.1:$SOCKSIFYD_PORT/127.0.0.1:$FLOOR/" "$TMP/ours.conf" >"$TMP/floor.conf"
# (Dante's client parser wants the route's keywords on lines of their own)
cat >"$TMP/dante-client.conf" <<EOC
route {
	from: 0.0.0.0/0 to: 127.0.0.1/32 port = $ECHO via: 127.0.0.1 port = $DANTE_PORT
	protocol: tcp udp
	proxyprotocol: socks_v5
	method: none
}
EOC

# rr_run SPID CMD...: one request/response run of CMD (udp_bench rr or
# rrs); prints "rate client-us/RT server-us/RT" (server: SPID's process
# tree, "-" without SPID).
rr_run() {
	local spid=$1 c0=0 c1=0 out
	shift
	[ -n "$spid" ] && c0=$(cputree "$spid")
	out=$("$@" 2>>"$TMP/bench.err") || out="0 0"
	[ -n "$spid" ] && c1=$(cputree "$spid")
	python3 -c "
r, c = '$out'.split()[:2]; r = float(r); n = r * $SECS
s = '-' if not '$spid' or not n else '%.1f' % (($c1 - $c0) / n * 1e6)
print('%.0f %s %s' % (r, c, s))" 2>/dev/null || echo "0 0 -"
}

# rr_matrix CFG N: run configurations 0..N-1 (CFG I prints a label when
# asked with "label I", else runs one rr_run) in REPS interleaved rounds,
# so that a burst of load on the shared machine hits all alike; prints,
# per configuration, the best rate, and the least CPU per round trip of
# the client and of the server (the runs least disturbed); sets RATE[I].
RATE=()
rr_matrix() {
	local cfg=$1 n=$2 r i v
	local -a rate cl sv
	for ((r = 0; r < REPS; r++)); do
		for ((i = 0; i < n; i++)); do
			v=($("$cfg" run $i))
			[ "${v[0]:-0}" -gt "${rate[i]:-0}" ] && rate[i]=${v[0]}
			if [ "${v[0]:-0}" -gt 0 ]; then
				python3 -c "import sys; sys.exit(0 if '${cl[i]:-}' == '' or float('${v[1]}') < float('${cl[i]:-0}') else 1)" &&
					cl[i]=${v[1]}
				[ "${v[2]}" != - ] &&
					python3 -c "import sys; sys.exit(0 if '${sv[i]:-}' == '' or float('${v[2]}') < float('${sv[i]:-0}') else 1)" &&
					sv[i]=${v[2]}
			fi
		done
	done
	printf '%-44s %10s %12s %12s\n' "" "RT/s" "client us/RT" "server us/RT"
	for ((i = 0; i < n; i++)); do
		printf '%-44s %10s %12s %12s\n' "$("$cfg" label $i)" "${rate[i]:-0}" "${cl[i]:--}" "${sv[i]:--}"
		RATE[i]=${rate[i]:-0}
	done
}

LO_LABELS=("direct (no proxy)" "libsocksify + socksifyd" "Dante libdsocksd (direct: no sockd)"
	"libsocksify + floor relay" "no client library (rrs) + socksifyd"
	"no client library (rrs) + floor relay")
lo_cfg() {
	[ "$1" = label ] && { echo "${LO_LABELS[$2]}"; return; }
	case $2 in
	0) rr_run "" "$UB" rr 127.0.0.1 "$ECHO" "$SECS" ;;
	1) rr_run "$SOCKSIFYD_PID" env SOCKS_CONF="$TMP/ours.conf" LD_PRELOAD="$LIBSOCKSIFY" "$UB" rr 127.0.0.1 "$ECHO" "$SECS" ;;
	2) if [ -n "$DSOCKS" ]; then
		rr_run "" env SOCKS_CONF="$TMP/dante-client.conf" LD_PRELOAD="$DSOCKS" "$UB" rr 127.0.0.1 "$ECHO" "$SECS"
	else echo "0 0 -"; fi ;;
	3) rr_run "$FLOOR_PID" env SOCKS_CONF="$TMP/floor.conf" LD_PRELOAD="$LIBSOCKSIFY" "$UB" rr 127.0.0.1 "$ECHO" "$SECS" ;;
	4) rr_run "$SOCKSIFYD_PID" "$UB" rrs "$SOCKSIFYD_PORT" "$ECHO" "$SECS" ;;
	5) rr_run "$FLOOR_PID" "$UB" rrs "$FLOOR" "$ECHO" "$SECS" ;;
	esac
}

echo
echo "## UDP request/response on loopback, 1 socket, 1 x 64 B in flight (best of $REPS interleaved rounds x ${SECS}s)"
echo "(Dante's client adds direct routes for loopback and the host's own networks ahead of"
echo " the configured one: its datagrams to 127.0.0.1 go direct, not through sockd; the"
echo " comparison through both proxies is the namespace part below, run as root)"
[ -n "$DSOCKS" ] || echo "note: Dante's client library (libdsocksd, dante-client) not installed"
rr_matrix lo_cfg 6
echo "ratio ours/Dante's direct path: $(python3 -c "print('%.2f' % (${RATE[1]} / ${RATE[2]}) if ${RATE[2]} else 'n/a')")"

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

# The request/response target through both proxies: the leak topology of
# tests/helpers/netns_lib.sh (root), client in C, socksifyd, sockd and the
# floor relay in P, the echo in T.  P does not forward: a round trip that
# completes went through a relay in P.
netns_rr() {
	PY3=${PY3:-$(command -v python3)}
	. tests/helpers/netns_lib.sh
	netns_setup
	ip netns exec "$NS_T" env UDP_BENCH_ADDR=$T4 "$UB" echo "$TMP/techo.port" &
	PIDS+=($!)
	ip netns exec "$NS_P" env UDP_BENCH_ADDR=$P4 "$UB" floor "$TMP/pfloor.port" &
	NS_FLOOR_PID=$!
	PIDS+=($!)
	wait_for 50 test -s "$TMP/techo.port" || fail "udp echo in T did not start"
	wait_for 50 test -s "$TMP/pfloor.port" || fail "floor relay in P did not start"
	local techo pfloor sd dp
	techo=$(cat "$TMP/techo.port") pfloor=$(cat "$TMP/pfloor.port")
	netns_proxy
	sd=$PROXY_PORT4 NS_SD_PID=${PIDS[-1]}
	netns_dante
	dp=$PROXY_PORT4 NS_DANTE_PID=${PIDS[-1]}
	cat >"$TMP/ns-ours.conf" <<EOC
proxy "p" { url = "socks5://$P4:$sd" }
route { to = "$T4/32" via = "p" }
route { to = { "0.0.0.0/0", "::/0" } via = "direct" }
EOC
	sed "s/$P4:$sd/$P4:$pfloor/" "$TMP/ns-ours.conf" >"$TMP/ns-floor.conf"
	cat >"$TMP/ns-dante.conf" <<EOC
route {
	from: 0.0.0.0/0 to: $T4/32 port = $techo via: $P4 port = $dp
	protocol: tcp udp
	proxyprotocol: socks_v5
	method: none
}
EOC
	NS_RUN=(ip netns exec "$NS_C" env)
	NS_RAW=(UDP_BENCH_ADDR=$C4 UDP_BENCH_PROXY=$P4 UDP_BENCH_ECHO=$T4)
	NS_TECHO=$techo NS_FLOOR=$pfloor NS_SD=$sd NS_DP=$dp
	echo
	echo "## UDP request/response through the proxy in a namespace topology (client C -> P -> echo in T; best of $REPS interleaved rounds x ${SECS}s)"
	rr_matrix ns_cfg 7
	echo "ratio ours/Dante: $(python3 -c "print('%.2f' % (${RATE[1]} / ${RATE[2]}) if ${RATE[2]} else 'n/a')") (target >= 1.5)"
}
NS_LABELS=("one hop, no proxy (client in P)" "libsocksify + socksifyd" "Dante libdsocksd + sockd"
	"libsocksify + floor relay" "no client library (rrs) + socksifyd"
	"no client library (rrs) + sockd" "no client library (rrs) + floor relay")
ns_cfg() {
	[ "$1" = label ] && { echo "${NS_LABELS[$2]}"; return; }
	case $2 in
	0) rr_run "" ip netns exec "$NS_P" "$UB" rr "$T4" "$NS_TECHO" "$SECS" ;;
	1) rr_run "$NS_SD_PID" "${NS_RUN[@]}" SOCKS_CONF="$TMP/ns-ours.conf" LD_PRELOAD="$LIBSOCKSIFY" "$UB" rr "$T4" "$NS_TECHO" "$SECS" ;;
	2) if [ -n "$DSOCKS" ]; then
		rr_run "$NS_DANTE_PID" "${NS_RUN[@]}" SOCKS_CONF="$TMP/ns-dante.conf" LD_PRELOAD="$DSOCKS" "$UB" rr "$T4" "$NS_TECHO" "$SECS"
	else echo "0 0 -"; fi ;;
	3) rr_run "$NS_FLOOR_PID" "${NS_RUN[@]}" SOCKS_CONF="$TMP/ns-floor.conf" LD_PRELOAD="$LIBSOCKSIFY" "$UB" rr "$T4" "$NS_TECHO" "$SECS" ;;
	4) rr_run "$NS_SD_PID" "${NS_RUN[@]}" "${NS_RAW[@]}" "$UB" rrs "$NS_SD" "$NS_TECHO" "$SECS" ;;
	5) rr_run "$NS_DANTE_PID" "${NS_RUN[@]}" "${NS_RAW[@]}" "$UB" rrs "$NS_DP" "$NS_TECHO" "$SECS" ;;
	6) rr_run "$NS_FLOOR_PID" "${NS_RUN[@]}" "${NS_RAW[@]}" "$UB" rrs "$NS_FLOOR" "$NS_TECHO" "$SECS" ;;
	esac
}
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v nft >/dev/null; then
	netns_rr
else
	echo
	echo "(not root: the request/response target through both proxies needs the namespace part)"
fi

if [ -s "$TMP/bench.err" ]; then
	echo "(errors of some runs:)"
	sort -u "$TMP/bench.err" | head -n 5
fi
