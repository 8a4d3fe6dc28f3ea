#!/usr/bin/env bash
# Unmodified programs with their own event loops, through socksifyd:
# nc (netcat-openbsd), python3 blocking sockets, python3 asyncio (epoll
# selector), node net.connect (libuv, epoll); IPv4, IPv6 and names that
# resolve only on the proxy side.  Each exchange is an echo through the
# proxy, and socksifyd's session line for it is checked.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
quick_skip
preload_skip
need_lib
isolate "$@"
unset SOCKS_CONF SOCKS_PROXY SOCKS_USERNAME SOCKS_PASSWORD
[ -x "$SOCKSIFYD" ] || skip "socksifyd not built"
PY=$(command -v /usr/bin/python3 || command -v python3)

start_echo $T4
E4=$ECHO_PORT
if [ "$HAVE_V6" = 1 ]; then
	start_echo $T6
	E6=$ECHO_PORT
fi
start_socksifyd
PX=socks5h://127.0.0.1:$SOCKSIFYD_PORT
TARGETS=("$N4 $E4" "$T4 $E4")
[ "$HAVE_V6" = 1 ] && TARGETS+=("$N6 $E6" "$T6 $E6")

# check NAME HOST PORT OUTPUT: the program printed the echo and socksifyd
# saw the session.
check() {
	local what=$1 host=$2 port=$3 out=$4 dst
	case $out in
	*"echo:ping-$what"*) ;;
	*) bad "$what to $host:$port: '$out'"; return 1 ;;
	esac
	dst=$host
	case $host in *:*) dst="\[?$host\]?" ;; esac
	expect_session "$dst:$port" && echo "ok: $what $host:$port"
}

ran=()
if command -v nc >/dev/null; then
	for t in "${TARGETS[@]}"; do
		set -- $t
		session_mark
		out=$(printf 'ping-nc\n' | SOCKS_PROXY=$PX with_lib nc -N -w 5 "$1" "$2" 2>&1)
		check nc "$1" "$2" "echo:$out"
	done
	ran+=(nc)
fi

if [ -n "$PY" ]; then
	for t in "${TARGETS[@]}"; do
		set -- $t
		session_mark
		out=$(SOCKS_PROXY=$PX with_lib "$PY" - "$1" "$2" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(b"ping-py\n")
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(100)
    if not d: break
    buf += d
print("echo:" + buf.decode().strip())
PY
)
		check py "$1" "$2" "$out"
		session_mark
		out=$(SOCKS_PROXY=$PX with_lib "$PY" - "$1" "$2" 2>&1 <<'PY'
import asyncio, sys
async def main():
    r, w = await asyncio.wait_for(asyncio.open_connection(sys.argv[1], int(sys.argv[2])), 10)
    w.write(b"ping-asyncio\n")
    await w.drain()
    line = await asyncio.wait_for(r.readline(), 10)
    print("echo:" + line.decode().strip())
    w.close()
asyncio.run(main())
PY
)
		check asyncio "$1" "$2" "$out"
	done
	ran+=(python3)
fi

if command -v node >/dev/null; then
	for t in "${TARGETS[@]}"; do
		set -- $t
		session_mark
		out=$(SOCKS_PROXY=$PX with_lib node -e '
const net = require("net");
const s = net.connect({host: process.argv[1], port: +process.argv[2]});
const t = setTimeout(() => { console.log("timeout"); process.exit(1); }, 10000);
let buf = "";
s.on("connect", () => s.write("ping-node\n"));
s.on("data", d => { buf += d; if (buf.endsWith("\n")) {
	console.log("echo:" + buf.trim()); clearTimeout(t); s.end(); } });
s.on("error", e => { console.log("error " + e.code); process.exit(1); });
' "$1" "$2" 2>&1)
		check node "$1" "$2" "$out"
	done
	ran+=(node)
fi
[ ${#ran[@]} -gt 0 ] || skip "none of nc, python3, node installed"
finish "${ran[*]} through the library"
