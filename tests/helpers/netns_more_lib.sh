# shellcheck shell=bash
# More SOCKS servers in the proxy namespace P of the leak topology
# (netns_lib.sh), for pools and chains: each listens on P4 only, port 0
# or a probed free port, and goes out to T through p1.  A chain's later
# hops are reached from P itself (from P4 or, for Dante's `external: p1`,
# from P4T), so every server here admits 198.51.100.0/24 and
# 203.0.113.0/24.  Each start adds its port to NETNS_MORE_PORTS4 (the
# "proxy" counter of netns_counters) and its PID to PIDS.
# Source after netns_lib.sh.

NETNS_MORE_PORTS4=''
NETNS_MORE_N=0

# more_socksifyd VAR [socksifyd args...]: another socksifyd on P4:0; VAR
# gets its port, MORE_LOG_<port> its log file.
more_socksifyd() {
	local var=$1 n log conf port
	shift
	NETNS_MORE_N=$((NETNS_MORE_N + 1))
	n=$NETNS_MORE_N
	log=$TMP/more$n.socksifyd.log conf=$TMP/more$n.socksifyd.conf
	cat >"$conf" <<EOC
rule { action = "pass" from = { "198.51.100.0/24", "203.0.113.0/24" } }
EOC
	ip netns exec "$NS_P" "$SOCKSIFYD" -d 1 -f "$conf" -l $P4:0 "$@" 2>"$log" &
	PIDS+=($!)
	wait_for 50 grep -q 'listening on' "$log" ||
		fail "socksifyd $n did not start: $(cat "$log")"
	port=$(sed -n "s/.*listening on $P4:\([0-9]\+\)\$/\1/p" "$log" | head -n1)
	[ -n "$port" ] || fail "socksifyd $n: no port in $(cat "$log")"
	NETNS_MORE_PORTS4="$NETNS_MORE_PORTS4 $port"
	eval "MORE_LOG_$port=\$log"
	eval "$var=$port"
}

# more_dante VAR: another Dante sockd on P4 (a probed free port), no
# authentication; VAR gets its port, MORE_LOG_<port> its log file.
more_dante() {
	local var=$1 n sockd conf log port
	sockd=$(command -v danted || command -v sockd || true)
	[ -n "$sockd" ] || skip "dante-server not installed (danted)"
	NETNS_MORE_N=$((NETNS_MORE_N + 1))
	n=$NETNS_MORE_N
	conf=$TMP/more$n.danted.conf log=$TMP/more$n.danted.log
	port=$(netns_free_port $P4)
	cat >"$conf" <<EOC
logoutput: $log
internal: $P4 port = $port
external: p1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 198.51.100.0/24 to: 0/0 }
client pass { from: 203.0.113.0/24 to: 0/0 }
socks pass {
	from: 198.51.100.0/24 to: 0/0 command: connect
	log: connect
}
socks pass {
	from: 203.0.113.0/24 to: 0/0 command: connect
	log: connect
}
EOC
	ip netns exec "$NS_P" "$sockd" -V -f "$conf" >"$TMP/more$n.check" 2>&1 ||
		fail "sockd refuses its config: $(cat "$TMP/more$n.check")"
	ip netns exec "$NS_P" "$sockd" -f "$conf" -p "$TMP/more$n.danted.pid" -N 1 \
		>"$TMP/more$n.danted.out" 2>&1 &
	PIDS+=($!)
	wait_for 100 nsx "$NS_P" bash -c "exec 3<>/dev/tcp/$P4/$port" ||
		fail "sockd $n did not start: $(cat "$TMP/more$n.danted.out" "$log" 2>/dev/null)"
	NETNS_MORE_PORTS4="$NETNS_MORE_PORTS4 $port"
	eval "MORE_LOG_$port=\$log"
	eval "$var=$port"
}

# more_microsocks VAR: microsocks on P4 (no Fast Open, no pipelining).
more_microsocks() {
	local var=$1 port
	need microsocks
	NETNS_MORE_N=$((NETNS_MORE_N + 1))
	port=$(netns_free_port $P4)
	ip netns exec "$NS_P" microsocks -i $P4 -p "$port" \
		>"$TMP/more$NETNS_MORE_N.microsocks.log" 2>&1 &
	PIDS+=($!)
	wait_for 50 nsx "$NS_P" bash -c "exec 3<>/dev/tcp/$P4/$port" ||
		fail "microsocks did not start on $P4:$port"
	NETNS_MORE_PORTS4="$NETNS_MORE_PORTS4 $port"
	eval "$var=$port"
}

# more_dead_port VAR: a port on P4 where nothing listens (refused).
more_dead_port() {
	local port
	port=$(netns_free_port $P4)
	NETNS_MORE_PORTS4="$NETNS_MORE_PORTS4 $port"
	eval "$1=$port"
}

# tfo_active: the client namespace's count of Fast Open SYNs whose data
# the server acknowledged (TcpExtTCPFastOpenActive).
tfo_active() {
	nsx "$NS_C" nstat -az TcpExtTCPFastOpenActive 2>/dev/null |
		awk '$1 == "TcpExtTCPFastOpenActive" { print $2; f = 1 } END { if (!f) print 0 }'
}

# cap_start NAME: capture TCP on c0 (the client's link) into
# $TMP/NAME.pcap; cap_stop: end it (every packet written: -U).
cap_start() {
	need tcpdump
	CAP_FILE=$TMP/$1.pcap
	ip netns exec "$NS_C" tcpdump --immediate-mode -i c0 -U -n -s 256 -w "$CAP_FILE" tcp \
		>"$TMP/$1.tcpdump.log" 2>&1 &
	CAP_PID=$!
	PIDS+=($CAP_PID)
	wait_for 50 grep -q 'listening on' "$TMP/$1.tcpdump.log" ||
		fail "tcpdump did not start: $(cat "$TMP/$1.tcpdump.log")"
}
cap_stop() {
	kill -INT "$CAP_PID" 2>/dev/null || true
	wait "$CAP_PID" 2>/dev/null || true
}

# cap_rtts PORT: round trips of each connection to P4:PORT in the last
# capture, oldest first, on one line ("4 3"; "-": no HTTP response).
cap_rtts() {
	"$PY3" "$top_srcdir/tests/helpers/rtt_count.py" "$CAP_FILE" $C4 $P4 "$1" |
		awk '{ printf "%s%s", sep, $2; sep = " " } END { print "" }'
}
