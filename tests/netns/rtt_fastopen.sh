#!/usr/bin/env bash
# Fewer round trips to the proxy (issue 11), in the leak topology: curl
# in C fetches from T through a proxy in P; a capture on c0 counts the
# round trips before the HTTP response (tests/helpers/rtt_count.py).
#  - TCP Fast Open (default on) to socksifyd (Fast Open on its listeners
#    by default; P's net.ipv4.tcp_fastopen has the server bit): the
#    second connection carries the greeting in its SYN (the kernel's
#    TcpExtTCPFastOpenActive grows) and needs 3 round trips, not 4;
#  - fallback: microsocks and socksifyd with fastopen = false have no
#    Fast Open: same result, 4 round trips, no Fast Open counted;
#  - pipelining (?pipeline=1) against socksifyd: 2 round trips (Fast
#    Open too), against Dante's sockd: 3 (Dante has no Fast Open), and
#    with user/password against socksifyd; against microsocks (which
#    reads each recv as one message) it fails with a log line saying to
#    turn pipelining off;
#  - optimistic data (?optimistic=1) with pipelining and Fast Open: the
#    request and curl's GET ride in the SYN: 1 round trip (2 without
#    Fast Open, 2 without pipelining); a refused CONNECT is the errno
#    (ECONNREFUSED) of the first read after a connect() that succeeded,
#    on a blocking and a non-blocking socket.
# Every run: nothing but proxy traffic leaves C (expect_clean).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
. "$(dirname "$0")/../helpers/netns_more_lib.sh"
quick_skip
preload_skip
need_root
need_lib
need curl tcpdump nstat
[ -x "$SOCKSIFYD" ] || skip "socksifyd not built"
netns_setup
nsx "$NS_P" sysctl -qw net.ipv4.tcp_fastopen=3 || skip "no net.ipv4.tcp_fastopen"
nsx "$NS_C" sysctl -qw net.ipv4.tcp_fastopen=1
netns_http
PROXY_PORT4=0 PROXY_PORT6=0 # only the servers below
more_socksifyd SD
printf 'fastopen = false\nrule { action = "pass" from = { "198.51.100.0/24" } }\n' >"$TMP/nofo.conf"
more_socksifyd SDNOFO -f "$TMP/nofo.conf"
printf 'user "alice" { password = "s3cret" }\nrule { action = "pass" from = { "198.51.100.0/24" } }\n' >"$TMP/auth.conf"
more_socksifyd SDAUTH -f "$TMP/auth.conf"
HAVE_DANTE=0
if command -v danted >/dev/null || command -v sockd >/dev/null; then
	more_dante DANTE
	HAVE_DANTE=1
fi
HAVE_MS=0
command -v microsocks >/dev/null && { more_microsocks MS; HAVE_MS=1; }
URL=http://$T4:$HTTP_PORT4/

# fetch2 NAME PORT URLOPTS [USERINFO]: two curl runs through
# socks5://[USERINFO@]P4:PORT?URLOPTS under capture; sets RTTS ("4 3"),
# TFO (Fast Open SYNs acknowledged meanwhile), LOG (the library's log of
# the second run); checks the body and that nothing leaked.
fetch2() {
	local name=$1 port=$2 opts=$3 ui=${4:-} before i out
	netns_counters
	before=$(tfo_active)
	cap_start "$name"
	for i in 1 2; do
		LOG=$TMP/$name.$i.log
		out=$(nsx "$NS_C" env SOCKS_PROXY="socks5://$ui$P4:$port${opts:+?$opts}" \
			SOCKS_DEBUG=1 SOCKS_LOG="$LOG" LD_PRELOAD="$LIBSOCKSIFY" \
			curl -sS --max-time 10 "$URL" 2>&1) ||
			{ bad "$name: curl run $i: $out $(cat "$LOG")"; }
		case $out in *"hello from $T4"*) ;; *) bad "$name: run $i got '$out'" ;; esac
	done
	cap_stop
	RTTS=$(cap_rtts "$port")
	TFO=$(($(tfo_active) - before))
	expect_clean "$name" || true
	echo "$name: round trips per connection: $RTTS; Fast Open SYNs acked: $TFO"
}

# want_rtt NAME WANT: the second connection needed WANT round trips.
want_rtt() {
	local second=${RTTS##* }
	[ "$second" = "$2" ] || bad "$1: second connection took $second round trips, want $2 (all: $RTTS)"
}
# want_rtt_max NAME MAX: at most MAX (where the program's write races the
# proxy's first answer: both are a few microseconds away here).
want_rtt_max() {
	local second=${RTTS##* }
	[ "$second" != - ] && [ "$second" -le "$2" ] ||
		bad "$1: second connection took $second round trips, want at most $2 (all: $RTTS)"
}

fetch2 tfo-socksifyd "$SD" ''
want_rtt tfo-socksifyd 3
[ "$TFO" -ge 1 ] || bad "tfo-socksifyd: no Fast Open SYN acknowledged"

fetch2 tfo-off "$SD" 'fastopen=0'
want_rtt tfo-off 4

fetch2 nofo-socksifyd "$SDNOFO" ''
want_rtt nofo-socksifyd 4
[ "$TFO" = 0 ] || bad "nofo-socksifyd: $TFO Fast Open SYNs acknowledged by a server without it"

if [ $HAVE_MS = 1 ]; then
	fetch2 nofo-microsocks "$MS" ''
	want_rtt nofo-microsocks 4
	[ "$TFO" = 0 ] || bad "nofo-microsocks: $TFO Fast Open SYNs acknowledged"
fi

fetch2 pipe-socksifyd "$SD" 'pipeline=1'
want_rtt pipe-socksifyd 2

fetch2 pipe-nofo-socksifyd "$SD" 'pipeline=1&fastopen=0'
want_rtt pipe-nofo-socksifyd 3

fetch2 pipe-auth-socksifyd "$SDAUTH" 'pipeline=1' 'alice:s3cret@'
want_rtt pipe-auth-socksifyd 2

fetch2 opt-socksifyd "$SD" 'pipeline=1&optimistic=1'
want_rtt opt-socksifyd 1

fetch2 opt-nofo-socksifyd "$SD" 'pipeline=1&optimistic=1&fastopen=0'
want_rtt_max opt-nofo-socksifyd 3

fetch2 opt-nopipe-socksifyd "$SD" 'optimistic=1'
want_rtt_max opt-nopipe-socksifyd 3

# optimistic data and a refused CONNECT (nothing listens on T4:DEAD):
# connect() succeeds, the request's refusal is the errno of the first
# read (ECONNREFUSED, REP 05) and then no more; the same with a blocking
# and a non-blocking socket; SO_ERROR stays 0 (connect had succeeded)
DEADT=$(nsx "$NS_T" "$PY3" -c 'import socket; s=socket.socket(); s.bind(("'$T4'",0)); print(s.getsockname()[1])')
for mode in blocking nonblocking; do
	netns_counters
	out=$(nsx "$NS_C" env SOCKS_PROXY="socks5://$P4:$SD?pipeline=1&optimistic=1" 		LD_PRELOAD="$LIBSOCKSIFY" "$PY3" - "$T4" "$DEADT" "$mode" 2>&1 <<'PY'
import errno, select, socket, sys
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.settimeout(None if mode == "blocking" else 0.0)
try:
    s.connect((host, port))
    print("connect ok")
except BlockingIOError:
    print("connect in progress")
    select.select([], [s], [], 10)
print("send", s.send(b"GET / HTTP/1.0\r\n\r\n"))
# reads until two outcomes other than EAGAIN (a non-blocking socket
# may wake up for the method reply before the request's reply is in)
res = []
for i in range(50):
    if mode != "blocking":
        select.select([s], [], [], 2)
    try:
        res.append(repr(s.recv(100)))
    except OSError as e:
        if e.errno == errno.EAGAIN:
            continue
        res.append(errno.errorcode.get(e.errno, str(e.errno)))
    if len(res) == 2:
        break
print("recv", " ".join(res))
PY
)
	case $out in
	*"send 18"*"recv ECONNREFUSED "*)
		case $out in *"ECONNREFUSED ECONNREFUSED"*) bad "opt-refused ($mode): refusal reported twice: $out" ;; esac
		echo "ok: opt-refused ($mode): $(echo $out)" ;;
	*) bad "opt-refused ($mode): want send ok then ECONNREFUSED on the read: $out" ;;
	esac
	expect_clean "opt-refused ($mode)" || true
done

if [ $HAVE_DANTE = 1 ]; then
	fetch2 pipe-dante "$DANTE" 'pipeline=1'
	want_rtt pipe-dante 3
	fetch2 dante "$DANTE" ''
	want_rtt dante 4
else
	echo "note: dante-server not installed: its cases not run"
fi

if [ $HAVE_MS = 1 ]; then
	# microsocks hangs on a pipelined negotiation: the handshake times
	# out (timeout = 2 s in a config) with a line saying what to change
	cat >"$TMP/ms.conf" <<EOC
timeout = 2
proxy "ms" { url = "socks5://$P4:$MS" pipeline = true }
route { to = "0.0.0.0/0" via = "ms" }
EOC
	netns_counters
	out=$(nsx "$NS_C" env SOCKS_CONF="$TMP/ms.conf" LD_PRELOAD="$LIBSOCKSIFY" \
		curl -sS --max-time 10 "$URL" 2>&1) &&
		bad "pipe-microsocks: went through: $out"
	case $out in
	*"did not answer the pipelined negotiation"*"pipeline = false"*)
		echo "ok: pipe-microsocks fails with: $(printf '%s' "$out" | grep pipelined)" ;;
	*) bad "pipe-microsocks: no clear log line: $out" ;;
	esac
	[ "$(count leak)" = 0 ] || bad "pipe-microsocks: leak"
fi
finish "round trips: Fast Open and pipelining"
