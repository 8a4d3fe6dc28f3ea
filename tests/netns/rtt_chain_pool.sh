#!/usr/bin/env bash
# Chains and pools (issue 11) in the leak topology, several SOCKS servers
# in P (tests/helpers/netns_more_lib.sh):
#  - a 2-hop chain socksifyd > Dante and a 3-hop chain Dante > socksifyd
#    > socksifyd (the middle hop SOCKS4a), mode = "chain", the name of
#    the target resolved by the last hop only: each hop's log shows the
#    next hop (or the target) as its destination, the library's -d 1 line
#    names the chain;
#  - mode = "round-robin" over three socksifyd: six connections of one
#    curl go two to each, and the -d 1 lines say which proxy carried each;
#  - a dead proxy first in a failover pool: the first connection is
#    refused there and goes to the next proxy; later ones skip it
#    (proxy_retry): one SYN to the dead port in three connections; with
#    proxy_retry = 0 every connection knocks first.
# Nothing but proxy traffic leaves the client (expect_clean).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
. "$(dirname "$0")/../helpers/netns_more_lib.sh"
quick_skip
preload_skip
need_root
need_lib
need curl tcpdump
[ -x "$SOCKSIFYD" ] || skip "socksifyd not built"
command -v danted >/dev/null || command -v sockd >/dev/null ||
	skip "dante-server not installed (danted): chains mix it"
netns_setup
netns_http
PROXY_PORT4=0 PROXY_PORT6=0 # only the servers below
more_socksifyd S1
more_socksifyd S2
more_socksifyd S3
more_dante D1
more_dead_port DEAD
URL=http://$T4:$HTTP_PORT4/
NURL=http://target4.socksify.test:$HTTP_PORT4/

# run NAME CONF N URL: one curl fetching URL N times under CONF with
# -d 1; each body must come from T; sets LOG (the library's lines).
run() {
	local name=$1 conf=$2 n=$3 url=$4 urls=() i out
	for ((i = 0; i < n; i++)); do urls+=("$url"); done
	LOG=$TMP/$name.lib.log
	netns_counters
	out=$(nsx "$NS_C" env SOCKS_CONF="$conf" SOCKS_DEBUG=1 SOCKS_LOG="$LOG" \
		LD_PRELOAD="$LIBSOCKSIFY" curl -sS --max-time 20 "${urls[@]}" 2>&1) ||
		{ bad "$name: curl: $out $(cat "$LOG")"; return 1; }
	[ "$(printf '%s\n' "$out" | grep -c "hello from $T4")" = "$n" ] ||
		{ bad "$name: want $n bodies from $T4, got: $out"; return 1; }
	expect_clean "$name" || true
}

# want_sessions PORT TEXT N WHAT: within 5 s, the log of the server on
# PORT has N lines holding TEXT (socksifyd "dst=A:P ", Dante "-> ... A.P").
log_of() { eval "echo \$MORE_LOG_$1"; }
has_lines() { [ "$(grep -cF -- "$2" "$(log_of "$1")")" -ge "$3" ]; }
want_sessions() {
	wait_for 50 has_lines "$1" "$2" "$3" ||
		bad "$4: server on port $1 logged no session with '$2': $(tail -n 5 "$(log_of "$1")")"
}

conf_head() {
	cat <<EOC
resolve = "remote"
timeout = 5
proxy "s1" { url = "socks5://$P4:$S1" }
proxy "s2" { url = "socks5://$P4:$S2" }
proxy "s3" { url = "socks5://$P4:$S3" }
proxy "s2v4a" { url = "socks4a://$P4:$S2" }
proxy "d1" { url = "socks5://$P4:$D1" }
proxy "dead" { url = "socks5://$P4:$DEAD" }
EOC
}

# --- chains ---------------------------------------------------------------
{ conf_head; echo 'route { to = { "0.0.0.0/0", "*" } via = { "s1", "d1" } mode = "chain" }'; } >"$TMP/chain2.conf"
run chain2 "$TMP/chain2.conf" 1 "$NURL" &&
	grep -q "via s1 > d1: connected" "$LOG" &&
	echo "ok: chain2: $(grep connected "$LOG")" ||
	bad "chain2: no '-d 1' line naming the chain: $(cat "$LOG")"
want_sessions "$S1" "dst=$P4:$D1 " 1 "chain2 hop 1 (socksifyd)"
# Dante, the last hop, resolved the name and logs the target's address
want_sessions "$D1" "$T4.$HTTP_PORT4" 1 "chain2 hop 2 (Dante)"

{ conf_head; echo 'route { to = { "0.0.0.0/0", "*" } via = { "d1", "s2v4a", "s3" } mode = "chain" }'; } >"$TMP/chain3.conf"
run chain3 "$TMP/chain3.conf" 1 "$NURL" &&
	grep -q "via d1 > s2v4a > s3: connected" "$LOG" &&
	echo "ok: chain3: $(grep connected "$LOG")" ||
	bad "chain3: no '-d 1' line naming the chain: $(cat "$LOG")"
want_sessions "$D1" "$P4.$S2" 1 "chain3 hop 1 (Dante)"
want_sessions "$S2" "ver=4 cmd=connect dst=$P4:$S3 " 1 "chain3 hop 2 (socksifyd, SOCKS4a)"
want_sessions "$S3" "dst=target4.socksify.test:$HTTP_PORT4 " 1 "chain3 hop 3 (socksifyd, the name)"

# --- round-robin ----------------------------------------------------------
{ conf_head; echo 'route { to = { "0.0.0.0/0", "*" } via = { "s1", "s2", "s3" } mode = "round-robin" }'; } >"$TMP/rr.conf"
if run rr "$TMP/rr.conf" 6 "$URL"; then
	for p in s1 s2 s3; do
		k=$(grep -c "via $p: connected" "$LOG")
		[ "$k" = 2 ] || bad "rr: $p carried $k of 6 connections, want 2: $(grep connected "$LOG")"
	done
	echo "ok: rr: $(grep -o 'via s[0-9]' "$LOG" | tr '\n' ' ')"
fi

# --- a dead proxy in a pool -----------------------------------------------
syns_to() { # syns to P4:PORT in the last capture
	tcpdump -r "$CAP_FILE" -n "dst host $P4 and dst port $1 and tcp[tcpflags] & tcp-syn != 0" 2>/dev/null | wc -l
}
{ conf_head; echo 'route { to = { "0.0.0.0/0", "*" } via = { "dead", "s1" } }'; } >"$TMP/dead.conf"
cap_start dead
run dead "$TMP/dead.conf" 3 "$URL"
cap_stop
k=$(syns_to "$DEAD")
[ "$k" = 1 ] || bad "dead: $k SYNs to the dead proxy in 3 connections, want 1 (then skipped for proxy_retry)"
[ "$(grep -c 'via s1: connected' "$LOG")" = 3 ] || bad "dead: not all via s1: $(cat "$LOG")"
echo "ok: dead: $k SYN to the dead proxy, then skipped"

{ echo 'proxy_retry = 0'; conf_head; echo 'route { to = { "0.0.0.0/0", "*" } via = { "dead", "s1" } }'; } >"$TMP/dead0.conf"
cap_start dead0
run dead0 "$TMP/dead0.conf" 3 "$URL"
cap_stop
k=$(syns_to "$DEAD")
[ "$k" = 3 ] || bad "dead0: $k SYNs to the dead proxy with proxy_retry = 0, want 3"
echo "ok: dead0: proxy_retry = 0 knocks every time ($k)"

{ conf_head; echo 'route { to = { "0.0.0.0/0", "*" } via = { "dead", "s2" } mode = "round-robin" }'; } >"$TMP/deadrr.conf"
run deadrr "$TMP/deadrr.conf" 4 "$URL" &&
	[ "$(grep -c 'via s2: connected' "$LOG")" = 4 ] &&
	echo "ok: deadrr: all four via s2" || bad "deadrr: $(cat "$LOG")"
finish "chains and pools"
