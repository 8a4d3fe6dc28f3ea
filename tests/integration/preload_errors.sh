#!/usr/bin/env bash
# Failed negotiations map to the errno of SPEC §4, for non-blocking
# (SO_ERROR after writability, select/poll/epoll) and blocking connects:
# SOCKS5 REP 02..08, SOCKS4 CD 91, auth failure, proxy hang-up at each
# stage, a proxy that never answers (timeout), an unreachable proxy; and
# rule denial (deny route, no matching route) fails with EACCES without
# any connection attempt.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
quick_skip
preload_skip
need_lib
need_helpers
isolate "$@"
unset SOCKS_CONF SOCKS_PROXY SOCKS_USERNAME SOCKS_PASSWORD

# err URL ERRNO NBCONNECT-ARGS...: the connect fails with ERRNO in
# non-blocking (epoll-et, and with ERR_ALL=1 also poll and select) and
# blocking mode.
err() {
	local url=$1 e=$2 m out modes=("-w epoll-et -B" "-b")
	shift 2
	[ "${ERR_ALL:-0}" = 1 ] && modes+=("-w poll" "-w select")
	for m in "${modes[@]}"; do
		# shellcheck disable=SC2086
		out=$(SOCKS_PROXY=$url with_lib "$NBCONNECT" -t 8000 -E "$e" $m "$@" 2>&1) ||
			{ bad "expected $e via $url ($m $*): $out"; return 1; }
	done
	echo "ok: $e via $url ($*)"
}

# SOCKS5 REP -> errno (SPEC §4)
for pair in 2:EACCES 3:ENETUNREACH 4:EHOSTUNREACH 5:ECONNREFUSED \
	6:ETIMEDOUT 7:EOPNOTSUPP 8:EAFNOSUPPORT; do
	start_slowsocks -r 50 -e "${pair%%:*}"
	n=2
	[ "${pair%%:*}" = 5 ] && n=4
	ERR_ALL=$((n == 4)) err socks5://127.0.0.1:$SLOW_PORT "${pair#*:}" 203.0.113.99 7 &&
		{ [ "$(slow_conns)" -eq $n ] ||
			bad "REP ${pair%%:*}: proxy saw $(slow_conns) requests, expected $n"; } &&
		expect_slow "action=rep=${pair%%:*}"
	kill "$SLOW_PID"
done

# SOCKS4 CD 91 -> ECONNREFUSED
start_slowsocks -r 100 -e 5
err socks4://127.0.0.1:$SLOW_PORT ECONNREFUSED 203.0.113.99 7 && expect_slow 'ver=4'
kill "$SLOW_PID"

# authentication failure -> EACCES
start_slowsocks -u alice:s3cret
err socks5://alice:wrong@127.0.0.1:$SLOW_PORT EACCES 203.0.113.99 7
grep -q 'bad conn=.* reason=auth user=alice' "$SLOW_LOG" || bad "proxy saw no auth attempt"
kill "$SLOW_PID"

# proxy hangs up mid-handshake -> ECONNRESET
for stage in greet request partial; do
	start_slowsocks -r 100 -H $stage
	err socks5://127.0.0.1:$SLOW_PORT ECONNRESET 203.0.113.99 7 &&
		{ [ "$(slow_conns)" -ge 2 ] || bad "hang-up at $stage: proxy saw $(slow_conns) requests"; }
	kill "$SLOW_PID"
done

# proxy never answers -> ETIMEDOUT after the configured timeout (1 s)
start_slowsocks -N
write_conf "$TMP/t.conf" "socks5://127.0.0.1:$SLOW_PORT"
sed -i 's/^timeout = .*/timeout = 1/' "$TMP/t.conf"
for m in "-w epoll-lt" "-b"; do
	# shellcheck disable=SC2086
	out=$(SOCKS_CONF=$TMP/t.conf with_lib "$NBCONNECT" -t 8000 -E ETIMEDOUT $m 203.0.113.99 7 2>&1) ||
		bad "silent proxy ($m): $out"
done
expect_slow 'action=never'

# proxy unreachable -> ECONNREFUSED
dead=$(free_port)
err socks5://127.0.0.1:$dead ECONNREFUSED 203.0.113.99 7

# rule denial: EACCES, and not a single connection to the proxy
start_slowsocks
write_conf "$TMP/deny.conf" "socks5://127.0.0.1:$SLOW_PORT" \
	'route { to = "203.0.113.0/24" ports = "25" via = "deny" }'
for m in "-w poll" "-w epoll-et" "-b"; do
	# shellcheck disable=SC2086
	out=$(SOCKS_CONF=$TMP/deny.conf with_lib "$NBCONNECT" -E EACCES $m 203.0.113.99 25 2>&1) ||
		bad "deny route ($m): $out"
done
# no route matches at all: fail closed
cat >"$TMP/nomatch.conf" <<EOC
proxy "p" { url = "socks5://127.0.0.1:$SLOW_PORT" }
route { to = "198.51.100.0/24" via = "p" }
EOC
out=$(SOCKS_CONF=$TMP/nomatch.conf with_lib "$NBCONNECT" -E EACCES 203.0.113.99 7 2>&1) ||
	bad "unmatched destination: $out"
[ "$(slow_conns)" -eq 0 ] || bad "denied connections reached the proxy: $(cat "$SLOW_LOG")"
# and the same proxy does work for a permitted destination
if out=$(SOCKS_CONF=$TMP/deny.conf with_lib "$NBCONNECT" -i 203.0.113.99 7 2>&1); then
	expect_slow 'action=ok'
else
	bad "permitted destination under the deny config: $out"
fi
finish "negotiation failures and denials map to the documented errno"
