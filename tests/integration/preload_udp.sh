#!/usr/bin/env bash
# UDP fails closed where no proxy can carry it (SPEC section 4): under
# LD_PRELOAD, a real program's datagram to a destination routed via a
# SOCKS4 proxy (no UDP ASSOCIATE in SOCKS4) gets EACCES (Python:
# PermissionError) and nothing reaches the receiver; routed direct, it
# arrives.  Everything on 127.0.0.1, receiver on port 0.  (UDP through a
# SOCKS5 proxy: tests/netns/udp_assoc*.sh.)
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
preload_skip
need python3
[ -f "$LIBSOCKSIFY" ] || skip "libsocksify.so not built"

# The receiver (not preloaded): logs each datagram, one a line, and stops
# after "marker".
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(30)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
with open(sys.argv[2], "a") as log:
    while True:
        d = s.recv(100).decode()
        log.write(d + "\n"); log.flush()
        if d == "marker":
            break
' "$TMP/port" "$TMP/got" &
PIDS+=($!)
wait_for 100 test -s "$TMP/port" || fail "UDP receiver did not start"
PORT=$(cat "$TMP/port")

CLOSED=$(free_port) # a proxy nobody runs: nothing may connect to it
cat >"$TMP/proxied.conf" <<CONF
proxy "p" { url = "socks4://127.0.0.1:$CLOSED" }
route { to = "127.0.0.0/8" via = "p" }
CONF
cat >"$TMP/direct.conf" <<CONF
route { to = "127.0.0.0/8" via = "direct" }
CONF

# send CONF PAYLOAD MODE: a preloaded python sends one datagram (MODE
# sendto, connect or sendmsg); prints "sent" or the exception's name.
send() {
	env SOCKS_CONF="$1" LD_PRELOAD="$LIBSOCKSIFY" \
		python3 -c '
import socket, sys
conf, data, mode, port = sys.argv[1], sys.argv[2].encode(), sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = ("127.0.0.1", port)
try:
    if mode == "connect":
        s.connect(dst); s.send(data)
    elif mode == "sendmsg":
        s.sendmsg([data], [], 0, dst)
    else:
        s.sendto(data, dst)
    print("sent")
except OSError as e:
    print(type(e).__name__)
' "$1" "$2" "$3" "$PORT" 2>>"$TMP/stderr"
}

for mode in sendto connect sendmsg; do
	r=$(send "$TMP/proxied.conf" leak "$mode")
	[ "$r" = PermissionError ] ||
		fail "proxied UDP ($mode): '$r', expected PermissionError"
done
grep -q 'which cannot carry UDP' "$TMP/stderr" ||
	fail "no log line explaining the refusal: $(cat "$TMP/stderr")"
if command -v socat >/dev/null 2>&1; then
	echo leak | env SOCKS_CONF="$TMP/proxied.conf" LD_PRELOAD="$LIBSOCKSIFY" \
		socat -u - "UDP-SENDTO:127.0.0.1:$PORT" 2>/dev/null &&
		fail "socat sent UDP to a proxied destination"
fi
r=$(send "$TMP/direct.conf" direct sendto)
[ "$r" = sent ] || fail "direct UDP: '$r'"
r=$(send "$TMP/direct.conf" marker connect)
[ "$r" = sent ] || fail "direct UDP (connect): '$r'"
wait_for 100 grep -qx marker "$TMP/got" || fail "marker never arrived"
[ "$(cat "$TMP/got")" = "$(printf 'direct\nmarker')" ] ||
	fail "receiver got: $(tr '\n' ' ' <"$TMP/got")"
pass "UDP refused via proxy (python sendto/connect/sendmsg, socat), direct UDP arrives"
