#!/usr/bin/env bash
# Unmodified programs with their own event loops, through the library:
# nc (netcat-openbsd), python3 blocking sockets, python3 asyncio (epoll
# selector), node net.connect (libuv, epoll); IPv4, IPv6 and names that
# resolve only on the proxy side; against socksifyd, microsocks and
# Dante's sockd (each skipped if missing).  Every exchange is an echo
# through the proxy, and the proxy's part is proven: socksifyd's session
# line, or (microsocks -b / Dante external 127.0.0.1) the echo server
# seeing the connection come from 127.0.0.1, where a direct connection to
# 203.0.113.1 would come from 203.0.113.1.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
quick_skip
preload_skip
need_lib
isolate "$@"
unset SOCKS_CONF SOCKS_PROXY SOCKS_USERNAME SOCKS_PASSWORD

start_echo_peer $T4
E4=$ECHO_PORT P4=$ECHO_PEERS
if [ "$HAVE_V6" = 1 ]; then
	start_echo_peer $T6
	E6=$ECHO_PORT P6=$ECHO_PEERS
fi

# proven SERVER HOST PORT: the last exchange went through SERVER
proven() {
	local server=$1 host=$2 port=$3 dst peers
	case $server in
	socksifyd)
		dst=$host
		case $host in *:*) dst="\[?$host\]?" ;; esac
		expect_session "$dst:$port"
		;;
	*)
		case $port in "$E4") peers=$P4 ;; *) peers=$P6 ;; esac
		[ "$(tail -n 1 "$peers")" = peer=127.0.0.1 ] ||
			{ bad "$server: target saw $(tail -n 1 "$peers"), not the proxy"; return 1; }
		;;
	esac
}

# check SERVER WHAT HOST PORT OUTPUT
check() {
	local server=$1 what=$2 host=$3 port=$4 out=$5
	case $out in
	*"echo:ping-$what"*) ;;
	*) bad "$server: $what to $host:$port: '$out'"; return 1 ;;
	esac
	proven "$server" "$host" "$port" && echo "ok: $server: $what $host:$port"
}

# run_all SERVER URL TARGET...: every program to every "HOST PORT" target
run_all() {
	local server=$1 px=$2 t out
	shift 2
	for t in "$@"; do
		set -- $t
		if command -v nc >/dev/null; then
			# -N half-closes after stdin's EOF (so does -q); microsocks
			# ends both directions on a half-close, so there nc keeps
			# its side open and quits after 2 s idle (-w 2)
			local eof="-N -w 5"
			[ "$server" = microsocks ] && eof="-w 2"
			session_mark
			# shellcheck disable=SC2086
			out=$(printf 'ping-nc\n' | SOCKS_PROXY=$px with_lib nc $eof "$1" "$2" 2>&1)
			check "$server" nc "$1" "$2" "echo:$out" ||
				echo "  (nc -N relies on the proxy passing the half-close on to the target)"
		fi
		if [ -n "$PY3" ]; then
			session_mark
			out=$(SOCKS_PROXY=$px with_lib "$PY3" - "$1" "$2" 2>&1 <<'PY'
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
			check "$server" py "$1" "$2" "$out"
			session_mark
			out=$(SOCKS_PROXY=$px with_lib "$PY3" - "$1" "$2" 2>&1 <<'PY'
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
			check "$server" asyncio "$1" "$2" "$out"
		fi
		if command -v node >/dev/null; then
			session_mark
			out=$(SOCKS_PROXY=$px with_lib node -e '
const net = require("net");
const s = net.connect({host: process.argv[1], port: +process.argv[2]});
const t = setTimeout(() => { console.log("timeout"); process.exit(1); }, 10000);
let buf = "";
s.on("connect", () => s.write("ping-node\n"));
s.on("data", d => { buf += d; if (buf.endsWith("\n")) {
	console.log("echo:" + buf.trim()); clearTimeout(t); s.end(); } });
s.on("error", e => { console.log("error " + e.code); process.exit(1); });
' "$1" "$2" 2>&1)
			check "$server" node "$1" "$2" "$out"
		fi
	done
}

ran=()
if [ -x "$SOCKSIFYD" ]; then
	start_socksifyd
	targets=("$N4 $E4" "$T4 $E4")
	[ "$HAVE_V6" = 1 ] && targets+=("$N6 $E6" "$T6 $E6")
	run_all socksifyd socks5h://127.0.0.1:$SOCKSIFYD_PORT "${targets[@]}"
	ran+=(socksifyd)
fi
if command -v microsocks >/dev/null; then
	start_microsocks -b 127.0.0.1
	run_all microsocks socks5h://127.0.0.1:$MICROSOCKS_PORT "$N4 $E4" "$T4 $E4"
	ran+=(microsocks)
fi
if have_dante; then
	start_dante
	run_all dante socks5h://127.0.0.1:$DANTE_PORT "$N4 $E4" "$T4 $E4"
	ran+=(dante)
fi
[ ${#ran[@]} -gt 0 ] || skip "no SOCKS server available"
finish "nc, python3, asyncio, node through the library via ${ran[*]}"
