#!/usr/bin/env bash
# Non-blocking connect through a proxy that answers after a delay, in every
# way event loops wait (select, pselect, poll, ppoll, epoll LT/ET with the
# fd registered before or after connect), plus blocking connect, SOCKS4,
# 4a, 5 with and without user/password, IPv4, IPv6 and names, and 50
# concurrent connections.  The destinations exist nowhere: slowsocks
# echoes, and the private namespace has no route, so only traffic that
# went through the proxy can pass.  Every case also checks (nbconnect)
# that socket options, FD_CLOEXEC, O_NONBLOCK and the fd's identity
# survive and that getpeername() is the destination asked for, and
# (slowsocks log) that no program byte reached the proxy before the reply.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
quick_skip
preload_skip
need_lib
need_helpers
isolate "$@"
unset SOCKS_CONF SOCKS_PROXY SOCKS_USERNAME SOCKS_PASSWORD

start_slowsocks -r 200
PX=127.0.0.1:$SLOW_PORT
OPTS=cloexec,nodelay,keepalive,rcvbuf=65536

# The test must be able to fail: without the library the destination is
# unreachable.
"$NBCONNECT" -t 2000 203.0.113.99 7 >/dev/null 2>&1 &&
	fail "203.0.113.99 reachable without the proxy: test cannot prove anything"

# nb URL PATTERNS -- NBCONNECT-ARGS: one proxied connection, which must
# add exactly one request to the slowsocks log matching every PATTERN.
nb() {
	local url=$1 pats=() n0 out
	shift
	while [ "$1" != -- ]; do pats+=("$1"); shift; done
	shift
	n0=$(slow_conns)
	out=$(SOCKS_PROXY=$url with_lib "$NBCONNECT" "$@" 2>&1) ||
		{ bad "nbconnect $* via $url: $out"; return 1; }
	[ "$(slow_conns)" -eq $((n0 + 1)) ] ||
		{ bad "nbconnect $*: expected 1 proxy connection, saw $(($(slow_conns) - n0))"; return 1; }
	expect_slow "${pats[@]}" || return 1
	echo "ok: $out ($*)"
}

REQ4='req=05010001cb0071630007 '
for mode in select pselect poll ppoll epoll-lt epoll-et; do
	nb socks5://$PX "$REQ4" 'action=ok' -- -i -w $mode -o $OPTS 203.0.113.99 7
	case $mode in epoll-*)
		nb socks5://$PX "$REQ4" -- -i -w $mode -B -o $OPTS 203.0.113.99 7 ;;
	esac
done
# blocking connect through the same slow proxy
nb socks5://$PX "$REQ4" -- -b -o $OPTS 203.0.113.99 7
nb socks5://$PX "$REQ4" -- -b -o cloexec 203.0.113.99 7

# IPv6 destination (SOCKS5 ATYP 4)
if [ "$HAVE_V6" = 1 ]; then
	nb socks5://$PX "req=0501000420010db8$(printf '0%.0s' {1..20})00990007 " \
		-- -i -6 -w epoll-et -o $OPTS 2001:db8::99 7
fi
# names resolved by the proxy: SOCKS5 DOMAINNAME, SOCKS4a
nb socks5h://$PX 'ver=5' 'dst=echo\.socksify\.test:7 ' \
	'req=05010003[0-9a-f]*0007 ' -- -i -w poll -o $OPTS echo.socksify.test 7
nb socks4a://$PX 'ver=4' 'dst=echo\.socksify\.test:7 ' -- \
	-i -w epoll-lt -B echo.socksify.test 7
# SOCKS4 with an IPv4 destination: VN CD PORT IP
nb socks4://$PX 'ver=4' 'req=04010007cb007163' -- -i -w select 203.0.113.99 7
kill "$SLOW_PID"

# slow method selection too (each reply delayed)
start_slowsocks -g 150 -r 150
nb socks5://127.0.0.1:$SLOW_PORT "$REQ4" -- -i -w epoll-et -B -o $OPTS 203.0.113.99 7
kill "$SLOW_PID"
# replies whose BND.ADDR type differs from the request's (IPv6, a name):
# the client must parse the reply's own ATYP
for atyp in 4 3; do
	start_slowsocks -r 100 -b $atyp
	nb socks5://127.0.0.1:$SLOW_PORT "$REQ4" -- -i -w poll -o $OPTS 203.0.113.99 7
	kill "$SLOW_PID"
done
# a proxy on IPv6 loopback, for an IPv6 socket (an AF_INET socket cannot
# reach an IPv6 proxy on its own fd)
if [ "$HAVE_V6" = 1 ]; then
	start_slowsocks -l ::1 -r 150
	nb "socks5://[::1]:$SLOW_PORT" 'peer=::1:' \
		"req=0501000420010db8$(printf '0%.0s' {1..20})00990007 " -- \
		-i -6 -w epoll-lt -o $OPTS 2001:db8::99 7
	kill "$SLOW_PID"
fi

# user/password (RFC 1929), credentials in the URL and from the environment
start_slowsocks -r 200 -u alice:s3cret
PX=127.0.0.1:$SLOW_PORT
nb socks5://alice:s3cret@$PX 'method=02' 'user=alice ' 'action=ok' -- \
	-i -w epoll-et -o $OPTS 203.0.113.99 7
n0=$(slow_conns)
if out=$(SOCKS_PROXY=socks5://$PX SOCKS_USERNAME=alice SOCKS_PASSWORD=s3cret \
	with_lib "$NBCONNECT" -i -w ppoll 203.0.113.99 7 2>&1); then
	expect_slow 'method=02' 'user=alice '
else
	bad "SOCKS_USERNAME/SOCKS_PASSWORD: $out"
fi
kill "$SLOW_PID"

# 50 concurrent non-blocking connects: all started, then all completed
start_slowsocks -r 300
n0=$(slow_conns)
for mode in epoll-et poll; do
	out=$(SOCKS_PROXY=socks5://127.0.0.1:$SLOW_PORT with_lib \
		"$NBCONNECT" -i -n 50 -w $mode -o $OPTS 203.0.113.99 7 2>&1) &&
		echo "ok: $out" || bad "50 concurrent ($mode): $out"
done
[ "$(slow_conns)" -eq $((n0 + 100)) ] ||
	bad "expected 100 proxy connections, saw $(($(slow_conns) - n0))"
grep '^conn=' "$SLOW_LOG" | grep -v ' early=0 ' &&
	bad "program bytes reached the proxy before its reply"
finish "non-blocking connect via a slow proxy in every wait mode"
