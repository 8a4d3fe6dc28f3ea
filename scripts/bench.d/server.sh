#!/usr/bin/env bash
# Benchmark of socksifyd against Dante's sockd, microsocks and the direct
# path, all on loopback in one run (a benchmark, not a test: it asserts
# nothing, it prints a table and which targets were met).
#
#   ./scripts/bench server          (BENCH_SECS=3 iperf3 seconds per run,
#                                    BENCH_REPS=2 runs, the best counts,
#                                    BENCH_IDLE_BIG=10000 idle sessions)
#
# Measures:
#  - single-stream throughput: iperf3 -c (upload) and -R (download), run
#    under proxychains4 with one config per server;
#  - server CPU per GB: utime+stime (+ reaped children) of the server's
#    process tree from /proc/PID/stat, before/after, over iperf3's bytes;
#    the same for tests/helpers/floorsocks (blocking splice, no product),
#    the floor this machine's loopback TCP sets for any relay;
#  - connection setup: tests/helpers/bench_client conn, sequential (c=1)
#    and 50 in flight, each a SOCKS5 handshake + CONNECT + 1-byte echo;
#    "setup" is connect() until the CONNECT reply is read (direct: until
#    the connect completed), "+echo" adds the 1-byte echo through the relay;
#  - memory per idle relayed session: PSS of the server's process tree
#    (/proc/PID/smaps_rollup) with N idle relayed sessions minus PSS with
#    none, over N (N=1000 for all, and BENCH_IDLE_BIG for socksifyd).
# Every process is started here and stopped by PID (tests/helpers/lib.sh).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
top_srcdir=$(pwd)
top_builddir=${top_builddir:-$top_srcdir/build}
. tests/helpers/lib.sh

SECS=${BENCH_SECS:-3}
BIG=${BENCH_IDLE_BIG:-10000}
need iperf3 proxychains4 cc python3
[ -x "$SOCKSIFYD" ] || { echo "bench: $SOCKSIFYD not built (./scripts/test or make)"; exit 2; }
if grep -q 'fsanitize' "$top_builddir/config.log" 2>/dev/null &&
	grep -q 'enable-sanitizers' "$top_builddir/config.log"; then
	echo "bench: warning: $top_builddir is a sanitizer build"
fi

REPS=${BENCH_REPS:-2}

# fds: BIG idle sessions cost 2 in the server (+ a few), 1 in the client
# and 1 in the echo, each its own process.  Cap BIG to what the limit allows.
# Where the hard limit is too low for 2 * BIG in one process (and it cannot
# be raised without CAP_SYS_RESOURCE), the BIG run uses socksifyd's
# SO_REUSEPORT workers, each holding its share of the sessions.
ulimit -n $((2 * BIG + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
BIG_WORKERS=1
if [ "$(ulimit -n)" -lt $((BIG + 1024)) ]; then
	BIG=$(( ($(ulimit -n) - 1024) / 1000 * 1000 ))
	echo "fd limit $(ulimit -n) (hard $(ulimit -Hn)): idle sessions capped at $BIG"
fi
if [ "$(ulimit -n)" -lt $((2 * BIG + 1024)) ]; then
	# the kernel spreads connections unevenly: 10 % headroom per worker
	BIG_WORKERS=$(( (2 * BIG * 11 / 10 + $(ulimit -n) - 1025) / ($(ulimit -n) - 1024) ))
	echo "fd limit $(ulimit -n) (hard $(ulimit -Hn)) < 2 x $BIG: the $BIG-session run uses $BIG_WORKERS socksifyd workers"
fi
echo "fd limit: $(ulimit -n); load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (shared machine: numbers are relative)"

BC=$TMP/bench_client
cc -O2 -std=gnu11 -o "$BC" tests/helpers/bench_client.c || exit 2

# every command that produced a number, recorded in a file (run() is also
# called from subshells)
CMDS=$TMP/commands
: >"$CMDS"
cmd() { printf '%s\n' "$*" >>"$CMDS"; }
run() { cmd "$*"; "$@"; }

# treestat PID: "CPU_SECONDS PSS_KIB NPROC" for PID and its descendants
# (CPU includes children already reaped: cutime+cstime).
treestat() {
	python3 - "$1" <<'PY'
import os, sys
root = int(sys.argv[1]); hz = os.sysconf('SC_CLK_TCK')
kids = {}
for p in os.listdir('/proc'):
    if not p.isdigit(): continue
    try:
        st = open('/proc/%s/stat' % p).read()
    except OSError: continue
    f = st[st.rindex(')') + 2:].split()
    kids.setdefault(int(f[1]), []).append(int(p))
todo, tree = [root], []
while todo:
    p = todo.pop(); tree.append(p); todo += kids.get(p, [])
cpu = pss = 0
for p in tree:
    try:
        st = open('/proc/%d/stat' % p).read()
        f = st[st.rindex(')') + 2:].split()
        cpu += sum(int(x) for x in f[11:15])
        for line in open('/proc/%d/smaps_rollup' % p):
            if line.startswith('Pss:'): pss += int(line.split()[1])
    except OSError: pass
print('%.3f %d %d' % (cpu / hz, pss, len(tree)))
PY
}

# ---- targets and servers
IPERF_PORT=$(free_port)
iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >"$TMP/iperf3-server.log" 2>&1 &
PIDS+=($!)
wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$IPERF_PORT" || { echo "iperf3 -s failed"; exit 2; }
cmd "iperf3 -s -B 127.0.0.1 -p $IPERF_PORT"

"$BC" echo -f "$TMP/echo.port" &
PIDS+=($!)
wait_for 50 test -s "$TMP/echo.port" || { echo "bench_client echo failed"; exit 2; }
ECHO=$(cat "$TMP/echo.port")
cmd "$BC echo -f PORTFILE   # 1-byte echo target on 127.0.0.1:$ECHO"

start_socksifyd
cmd "$SOCKSIFYD -d 1 -l 127.0.0.1:0"
start_dante
cmd "danted -f $TMP/danted.conf -N 1   # no auth, internal/external 127.0.0.1"
start_microsocks
cmd "microsocks -i 127.0.0.1 -p $MICROSOCKS_PORT"

declare -A PORT PID
NAMES=(direct socksifyd dante microsocks)
PORT[socksifyd]=$SOCKSIFYD_PORT PID[socksifyd]=$SOCKSIFYD_PID
PORT[dante]=$DANTE_PORT PID[dante]=$DANTE_PID
PORT[microsocks]=$MICROSOCKS_PORT PID[microsocks]=$MICROSOCKS_PID
echo "versions: socksifyd $(git describe --always --dirty 2>/dev/null) | $(dpkg-query -W -f='dante-server ${Version}' dante-server 2>/dev/null) | $(dpkg-query -W -f='microsocks ${Version}' microsocks 2>/dev/null) | $(iperf3 -v | head -n 1)"

declare -A UP DOWN CPU SEQ SEQP50 CONC CONCP50 RTT SETUP MEM MEMBIG NPROC

# ---- throughput and CPU per GB
iperf() { # NAME [-R]
	local name=$1 st0 st1 json
	shift
	json=$TMP/iperf.$name$*.json
	if [ "$name" = direct ]; then
		run timeout $((SECS + 20)) iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -t "$SECS" -J "$@" >"$json" 2>/dev/null
	else
		printf 'strict_chain\nquiet_mode\n[ProxyList]\nsocks5 127.0.0.1 %s\n' \
			"${PORT[$name]}" >"$TMP/pc.$name.conf"
		st0=$(treestat "${PID[$name]}")
		run timeout $((SECS + 20)) proxychains4 -q -f "$TMP/pc.$name.conf" \
			iperf3 -c 127.0.0.1 -p "$IPERF_PORT" -t "$SECS" -J "$@" >"$json" 2>/dev/null
		st1=$(treestat "${PID[$name]}")
	fi
	python3 - "$json" "${st0:-0 0 0}" "${st1:-0 0 0}" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[1]))
    e = j['end']
    r = e['sum_received']
    gbit = r['bits_per_second'] / 1e9
    nbytes = max(e['sum_sent']['bytes'], r['bytes'])
except Exception as ex:
    print('nan nan'); sys.exit(0)
c0, c1 = float(sys.argv[2].split()[0]), float(sys.argv[3].split()[0])
cpu = (c1 - c0) / (nbytes / 1e9) if c1 > c0 else float('nan')
print('%.2f %.3f' % (gbit, cpu))
PY
}

# best of REPS runs per direction (the machine is shared; the best run is
# the least disturbed), CPU per GB from that run
best() { # NAME [-R] -> "GBIT CPU" of the fastest of REPS runs
	local i r best='0 nan'
	for ((i = 0; i < REPS; i++)); do
		r=$(iperf "$@")
		python3 -c "import sys; a, b = sys.argv[1].split(), sys.argv[2].split(); f=lambda v: float(v) if v != 'nan' else -1; print(' '.join(a if f(a[0]) >= f(b[0]) else b))" "$r" "$best" >"$TMP/best"
		best=$(cat "$TMP/best")
	done
	echo "$best"
}
# The floor: a reference relay with nothing but blocking splice(2) through
# a 1 MiB pipe, so "socksifyd CPU/GB vs floor" separates what loopback TCP
# charges any forwarding process on this machine from what socksifyd adds.
# Throughput/CPU only; BENCH_FLOOR_ARGS passes options (floorsocks -h).
# By default the floor's sockets use reno, as socksifyd's loopback legs do
# (loopback_congestion): the floor is then the same TCP work, no relay logic.
FLOOR_ARGS=${BENCH_FLOOR_ARGS--c reno}
FLOOR=$TMP/floorsocks
FLOOR_LABEL='floor (tests/helpers/floorsocks: minimal splice relay, not a product)'
if cc -O2 -std=gnu11 -pthread -o "$FLOOR" tests/helpers/floorsocks.c; then
	# shellcheck disable=SC2086 # FLOOR_ARGS is a list of options
	"$FLOOR" -p "$TMP/floor.port" $FLOOR_ARGS &
	FLOOR_PID=$!
	PIDS+=("$FLOOR_PID")
	if wait_for 50 test -s "$TMP/floor.port"; then
		PORT[floor]=$(cat "$TMP/floor.port") PID[floor]=$FLOOR_PID
		cmd "$FLOOR -p PORTFILE $FLOOR_ARGS  # $FLOOR_LABEL, 127.0.0.1:${PORT[floor]}"
	else
		echo "bench: floorsocks did not start"
		kill "$FLOOR_PID" 2>/dev/null
	fi
fi
for n in "${NAMES[@]}" floor; do
	[ -n "${PORT[$n]:-}" ] || [ "$n" = direct ] || continue
	read -r "UP[$n]" c1 < <(best "$n")
	read -r "DOWN[$n]" c2 < <(best "$n" -R)
	CPU[$n]=$(python3 -c "import math,sys; v=[float(x) for x in sys.argv[1:] if x!='nan' and not math.isnan(float(x))]; print('%.3f'%(sum(v)/len(v)) if v else 'n/a')" "$c1" "$c2")
	[ "$n" = direct ] && CPU[$n]=-
	label=$n
	[ "$n" = floor ] && label=$FLOOR_LABEL
	echo "throughput $label (best of $REPS): up ${UP[$n]} Gbit/s, down ${DOWN[$n]} Gbit/s, proxy CPU ${CPU[$n]} s/GB"
done
if [ -n "${PORT[floor]:-}" ]; then
	echo "socksifyd CPU/GB vs floor: $(python3 -c "import sys
try: print('%.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))
except (ValueError, ZeroDivisionError): print('n/a')" "${CPU[socksifyd]}" "${CPU[floor]}") (socksifyd ${CPU[socksifyd]}, floor ${CPU[floor]} s/GB)"
	kill "$FLOOR_PID" 2>/dev/null
	wait "$FLOOR_PID" 2>/dev/null
fi

# ---- connection setup
conn() { # NAME N CONC
	local name=$1 args=(-e "$ECHO" -n "$2" -c "$3")
	[ "$name" = direct ] || args+=(-s "${PORT[$name]}")
	run timeout 120 "$BC" conn "${args[@]}" | tee -a "$TMP/conn.log"
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
for n in "${NAMES[@]}"; do
	out=$(conn "$n" 2000 1)
	SEQ[$n]=$(field rate <<<"$out") SEQP50[$n]=$(field p50_us <<<"$out")
	RTT[$n]=$(field rtt_us <<<"$out") SETUP[$n]=$(field setup_p50_us <<<"$out")
	out=$(conn "$n" 5000 50)
	CONC[$n]=$(field rate <<<"$out") CONCP50[$n]=$(field p50_us <<<"$out")
	echo "connections $n: sequential ${SEQ[$n]}/s (p50 ${SEQP50[$n]} us with the echo, setup ${SETUP[$n]} us), 50 in flight ${CONC[$n]}/s"
done

# ---- memory per idle relayed session
idle_mem() { # NAME N -> KiB per session
	local name=$1 n=$2 st0 st1 pid
	st0=$(treestat "${PID[$name]}")
	rm -f "$TMP/hold" "$TMP/idle.out"
	mkfifo "$TMP/hold"
	exec 8<>"$TMP/hold"
	cmd "$BC idle -e $ECHO -s ${PORT[$name]} -n $n   # held open, then PSS of the server tree"
	"$BC" idle -e "$ECHO" -s "${PORT[$name]}" -n "$n" <"$TMP/hold" >"$TMP/idle.out" 2>&1 8>&- &
	pid=$!
	PIDS+=("$pid")
	if ! wait_for 1200 grep -q 'idle ready' "$TMP/idle.out"; then
		echo "idle $name $n: not ready: $(cat "$TMP/idle.out")" >&2
		exec 8>&-
		kill "$pid" 2>/dev/null
		echo "n/a 0"
		return
	fi
	sleep 1 # let forked helpers (Dante) settle; a measurement, not a sync
	st1=$(treestat "${PID[$name]}")
	exec 8>&-
	wait "$pid" 2>/dev/null
	python3 -c "import sys; a=sys.argv[1].split(); b=sys.argv[2].split(); print('%.1f %s' % ((int(b[1])-int(a[1]))/float(sys.argv[3]), b[2]))" "$st0" "$st1" "$n"
}
for n in socksifyd dante microsocks; do
	read -r "MEM[$n]" "NPROC[$n]" < <(idle_mem "$n" 1000)
	echo "idle memory $n: ${MEM[$n]} KiB per session (1000 sessions, ${NPROC[$n]} processes)"
done
big=socksifyd
if [ "$BIG_WORKERS" -gt 1 ]; then
	big=socksifyd-workers
	start_socksifyd_conf "workers = $BIG_WORKERS"
	PORT[$big]=$SOCKSIFYD_PORT PID[$big]=$SOCKSIFYD_PID
	cmd "$SOCKSIFYD -d 1 -l 127.0.0.1:0 -f CONF   # CONF: workers = $BIG_WORKERS"
fi
read -r "MEMBIG[socksifyd]" BIGPROC < <(idle_mem "$big" "$BIG")
echo "idle memory socksifyd: ${MEMBIG[socksifyd]} KiB per session ($BIG sessions, $BIGPROC processes)"

# ---- table
python3 - "$SECS" "$BIG" <<PY
import math, sys
names = ['direct', 'socksifyd', 'dante', 'microsocks']
def num(s):
    try: return float(s)
    except ValueError: return float('nan')
up = {$(for n in "${NAMES[@]}"; do printf "'%s': num('%s'), " "$n" "${UP[$n]}"; done)}
down = {$(for n in "${NAMES[@]}"; do printf "'%s': num('%s'), " "$n" "${DOWN[$n]}"; done)}
cpu = {$(for n in "${NAMES[@]}"; do printf "'%s': num('%s'), " "$n" "${CPU[$n]}"; done)}
seq = {$(for n in "${NAMES[@]}"; do printf "'%s': num('%s'), " "$n" "${SEQ[$n]}"; done)}
seqp = {$(for n in "${NAMES[@]}"; do printf "'%s': num('%s'), " "$n" "${SEQP50[$n]}"; done)}
conc = {$(for n in "${NAMES[@]}"; do printf "'%s': num('%s'), " "$n" "${CONC[$n]}"; done)}
rtt = {$(for n in "${NAMES[@]}"; do printf "'%s': num('%s'), " "$n" "${RTT[$n]}"; done)}
setup = {$(for n in "${NAMES[@]}"; do printf "'%s': num('%s'), " "$n" "${SETUP[$n]}"; done)}
mem = {$(for n in socksifyd dante microsocks; do printf "'%s': num('%s'), " "$n" "${MEM[$n]}"; done)}
nproc = {$(for n in socksifyd dante microsocks; do printf "'%s': '%s', " "$n" "${NPROC[$n]}"; done)}
membig = num('${MEMBIG[socksifyd]}')
secs, big = sys.argv[1], sys.argv[2]
f = lambda v, p=2: 'n/a' if math.isnan(v) else ('%.*f' % (p, v))
print()
print('| path | up Gbit/s | down Gbit/s | up vs direct | CPU s/GB | seq conn/s | setup p50 us | +echo p50 us | conc-50 conn/s | PSS KiB/idle session (1000) |')
print('|---|---|---|---|---|---|---|---|---|---|')
for n in names:
    print('| %s | %s | %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %s |' % (
        n, f(up[n]), f(down[n]), f(up[n] / up['direct'] * 100, 0) + '%',
        '-' if n == 'direct' else f(cpu[n], 3), seq[n], setup[n], seqp[n], conc[n],
        '-' if n == 'direct' else '%s (%s proc)' % (f(mem[n], 1), nproc[n])))
print()
print('socksifyd with %s idle sessions: %s KiB per session (%s worker process(es))' % (big, f(membig, 1), '$BIG_WORKERS'))
o = 'socksifyd'
print('ratios: socksifyd/dante up %s down %s; socksifyd/microsocks up %s down %s; '
      'seq conn/s socksifyd/dante %s, /microsocks %s' % (
    f(up[o] / up['dante']), f(down[o] / down['dante']),
    f(up[o] / up['microsocks']), f(down[o] / down['microsocks']),
    f(seq[o] / seq['dante']), f(seq[o] / seq['microsocks'])))
# connection setup (connect() until the connection is usable: the CONNECT
# reply read) against a direct connect plus the two SOCKS5 round trips
# (method selection, CONNECT reply) a waiting client pays, each costed as
# the direct path's 1-byte echo round trip.  The proxy's own connect to
# the target happens inside the second round trip and is not in the bound.
bound = setup['direct'] + 2 * rtt['direct']
def tgt(ok, what):
    print('  [%s] %s' % ('met' if ok else 'MISSED', what))
print('targets:')
tgt(up[o] >= 1.3 * up['dante'] and down[o] >= 1.3 * down['dante'],
    'throughput >= 1.3x Dante (up %s, down %s)' % (f(up[o] / up['dante']), f(down[o] / down['dante'])))
tgt(up[o] >= up['microsocks'] and down[o] >= down['microsocks'], 'throughput >= microsocks')
tgt(up[o] >= 0.75 * up['direct'] and down[o] >= 0.75 * down['direct'],
    'throughput >= 75%% of direct (up %s%%, down %s%%)' % (
        f(up[o] / up['direct'] * 100, 0), f(down[o] / down['direct'] * 100, 0)))
tgt(cpu[o] <= 0.20, 'CPU <= 0.20 CPU-s/GB (%s)' % f(cpu[o], 3))
tgt(mem[o] <= 8 and (math.isnan(membig) or membig <= 8),
    '<= 8 KiB per idle relayed session (%s at 1000, %s at %s)' % (f(mem[o], 1), f(membig, 1), big))
tgt(setup[o] <= 1.2 * bound,
    'setup p50 %s us <= 1.2 x (direct connect %s us + 2 x RTT %s us = %s us)' % (
        f(setup[o], 0), f(setup['direct'], 0), f(rtt['direct'], 0), f(bound, 0)))
# the same with the proxy's own connect to the target counted inside the
# CONNECT round trip (no SOCKS server can answer CONNECT before it)
bound2 = 2 * setup['direct'] + 2 * rtt['direct']
print('  (counting the proxy\'s own connect inside the CONNECT round trip: 1.2 x %s = %s us -> %s)' % (
    f(bound2, 0), f(1.2 * bound2, 0), 'met' if setup[o] <= 1.2 * bound2 else 'missed'))
print('  (with the 1-byte echo through the relay: p50 %s us; direct %s us; Dante %s us, microsocks %s us)' % (
    f(seqp[o], 0), f(seqp['direct'], 0), f(seqp['dante'], 0), f(seqp['microsocks'], 0)))
PY

echo
echo "commands used:"
awk '!seen[$0]++ { print "  " $0 }' "$CMDS"
echo "proxychains4 config (one per server, PORT = its port):"; sed "s/^/  /; s/ [0-9]*$/ PORT/" "$TMP/pc.socksifyd.conf"
echo "danted.conf:"; sed "s/^/  /" "$TMP/danted.conf"
