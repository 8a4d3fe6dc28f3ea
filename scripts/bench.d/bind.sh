#!/usr/bin/env bash
# BIND benchmark (./scripts/bench bind).  Not a test: prints figures and
# the exact commands; never fails on a number.
#
#  The time from the peer's connect() to the program's accept() returning,
#  for an inbound connection through a SOCKS BIND (an FTP-like callback:
#  tests/helpers/bind_bench, one listener per round, blocking accept):
#  libsocksify + socksifyd next to Dante's socksify + sockd, same run.
#
# Runs in a private network namespace (unshare -n) with only lo, where
# 203.0.113.1 is the peer's address.  BENCH_BIND_ROUNDS (default 200).
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
B=${BUILD:-$top/build}

if [ "${SOCKSIFY_BENCH_NS:-0}" != 1 ]; then
	u=()
	[ "$(id -u)" -eq 0 ] || u=(-r)
	if unshare "${u[@]}" -n true 2>/dev/null; then
		SOCKSIFY_BENCH_NS=1 exec unshare "${u[@]}" -n bash "$0" "$@"
	fi
	echo "bench bind: cannot create a private network namespace; not run" >&2
	exit 0
fi
ip link set lo up
ip addr add 203.0.113.1/32 dev lo

LIB=$B/.libs/libsocksify.so
BB=$B/tests/helpers/bind_bench
[ -x "$BB" ] || make -C "$B" -s tests/helpers/bind_bench >/dev/null 2>&1 ||
	{ echo "bench bind: cannot build bind_bench" >&2; exit 0; }
[ -f "$LIB" ] && [ -x "$B/socksifyd" ] ||
	{ echo "bench bind: library or socksifyd not built" >&2; exit 0; }
PY3=$(command -v /usr/bin/python3 || command -v python3)
TMP=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"' EXIT
ROUNDS=${BENCH_BIND_ROUNDS:-200}
show() { printf '  $ %s\n' "$*"; }

# The peer: for each "PORT ADDR PORT" line, CLOCK_MONOTONIC (ns) just
# before connect(), then those 8 bytes as the first data.
"$PY3" - "$TMP/cb.port" >"$TMP/cb.log" 2>&1 <<'PY' &
import os, socket, struct, sys, threading, time
pf = sys.argv[1]
def ctrl(c):
    for line in c.makefile("r"):
        w = line.split()
        if len(w) != 3 or w[0] != "PORT":
            continue
        s = socket.socket()
        t0 = time.monotonic_ns()
        s.connect((w[1], int(w[2])))
        s.sendall(struct.pack("=q", t0))
        s.close()
srv = socket.socket()
srv.bind(("203.0.113.1", 0)); srv.listen(8)
open(pf + ".tmp", "w").write(str(srv.getsockname()[1])); os.rename(pf + ".tmp", pf)
while True:
    c, _ = srv.accept()
    threading.Thread(target=ctrl, args=(c,), daemon=True).start()
PY
PIDS+=($!)
for _ in $(seq 50); do [ -s "$TMP/cb.port" ] && break; sleep 0.1; done
CB=$(cat "$TMP/cb.port")

echo "### BIND: peer's connect() to the program's accept() returning, $ROUNDS rounds"
"$B/socksifyd" -l 127.0.0.1:0 2>"$TMP/sd.log" &
PIDS+=($!)
for _ in $(seq 50); do grep -q 'listening on' "$TMP/sd.log" && break; sleep 0.1; done
SD=$(sed -n 's/.*listening on .*:\([0-9]\+\)$/\1/p' "$TMP/sd.log" | head -n 1)
printf 'proxy "p" { url = "socks5://127.0.0.1:%s" }\nroute { via = "p" }\n' "$SD" >"$TMP/s.conf"
cmd=(env "SOCKS_CONF=$TMP/s.conf" "LD_PRELOAD=$LIB" "$BB" 203.0.113.1 "$CB" "$ROUNDS")
show "${cmd[*]}"
echo "  libsocksify + socksifyd: $("${cmd[@]}" 2>&1 | tail -n 1)"

sockd=$(command -v danted || command -v sockd || true)
if [ -n "$sockd" ] && [ -x /usr/bin/socksify ]; then
	DP=$("$PY3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$TMP/danted.conf" <<EOC
logoutput: $TMP/danted.log
internal: 127.0.0.1 port = $DP
external: 203.0.113.1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 command: bind connect bindreply }
EOC
	"$sockd" -f "$TMP/danted.conf" -p "$TMP/danted.pid" -N 1 >"$TMP/danted.out" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$DP) 2>/dev/null && break; sleep 0.1; done
	cat >"$TMP/dante.conf" <<EOC
route {
	from: 0.0.0.0/0 to: 0.0.0.0/0 via: 127.0.0.1 port = $DP
	proxyprotocol: socks_v5
	method: none
	command: connect bind
}
EOC
	dcmd=(env "SOCKS_CONF=$TMP/dante.conf" /usr/bin/socksify "$BB" 203.0.113.1 "$CB" "$ROUNDS")
	show "${dcmd[*]}"
	# our client against Dante's server too: the server's share
	printf 'proxy "p" { url = "socks5://127.0.0.1:%s" }\nroute { via = "p" }\n' "$DP" >"$TMP/sd2.conf"
	ocmd=(env "SOCKS_CONF=$TMP/sd2.conf" "LD_PRELOAD=$LIB" "$BB" 203.0.113.1 "$CB" "$ROUNDS")
	show "${ocmd[*]}"
	echo "  libsocksify + sockd: $("${ocmd[@]}" 2>&1 | tail -n 1)"
	out=$(timeout 120 "${dcmd[@]}" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		echo "  Dante socksify + sockd: $(echo "$out" | tail -n 1)"
	else
		# Debian's dante-client 1.4.2 has crashed here (SIGSEGV in its
		# Rsendto() on the control connection): shown, not hidden
		echo "  Dante socksify + sockd: failed (exit $rc): $(echo "$out" | grep -v '^ *ru_' | tail -n 2 | tr '\n' ' ')"
	fi
else
	echo "  Dante: not installed (dante-client, dante-server)"
fi
