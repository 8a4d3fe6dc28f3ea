# shellcheck shell=bash
# Body of tests/netns/preload_probe.sh and preload_probe_dante.sh (they set
# NETNS_PROXY): in the client namespace of the leak topology, leak_probe
# takes every libc path that could put a packet on the wire around the
# proxy (TCP connect in each address form, TCP Fast Open through sendto,
# sendmsg and sendmmsg, UDP through each send call and an AF_UNSPEC
# address, raw and ICMP sockets, SCTP, DCCP) under LD_PRELOAD.  Each path
# must either reach the target through the proxy or fail with EACCES, and
# the nftables counters on the client's output must show zero packets
# other than to the proxy.  ping(8) must fail closed with no ICMP out.
# The same probes without the library show the counters catch them.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
quick_skip
preload_skip
need_root
need_lib
PROBE=$top_builddir/tests/helpers/leak_probe
[ -x "$PROBE" ] || skip "leak_probe not built (make check builds it)"
netns_setup
netns_http
# a UDP echo server in T on both families: a datagram that got there
# comes back, so a UDP path that went around would show
netns_udp_echo
netns_proxy
# the kernel would hand this user ICMP sockets: a refusal is the library's
nsx "$NS_C" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
CONF=$TMP/c.conf
write_conf "$CONF" "socks5://$P4:$PROXY_PORT4" \
	'route { to = "fe80::/10" via = "deny" }'

# probe_run EXPECT PATH HOST PORT [pre]: the probe in C with the library
# ("pre" absent) or without it ("bare"), counters fresh; echoes the
# outcome and sets OUT.
probe_run() {
	local env=(env SOCKS_CONF="$CONF" LD_PRELOAD="$LIBSOCKSIFY")
	[ "${5:-}" = bare ] && env=(env)
	netns_counters
	OUT=$(nsx "$NS_C" "${env[@]}" timeout 20 "$PROBE" "$1" "$2" "$3" "$4" 2>&1)
}

# probe EXPECT PATH HOST PORT: must behave as EXPECT with zero packets
# around the proxy.
probe() {
	local rc=0 l d p
	probe_run "$@" || rc=$?
	[ $rc = 0 ] || probe_run "$@" || true # one retry: a slow namespace
	l=$(count leak) d=$(count dns) p=$(count proxy)
	if [ $rc != 0 ] && ! printf '%s' "$OUT" | grep -q .; then
		bad "$2 ($3): no output"
		return
	fi
	case $OUT in
	*": through"*) [ "$1" = eacces ] && { bad "$2 ($3): went through, want EACCES: $OUT"; return; } ;;
	*": eacces"*) [ "$1" = through ] && { bad "$2 ($3): EACCES, want through: $OUT"; return; } ;;
	*) bad "$2 ($3): $OUT"; return ;;
	esac
	[ "$l" = 0 ] || { bad "$2 ($3): $l packets around the proxy ($OUT)"; return; }
	[ "$d" = 0 ] || { bad "$2 ($3): $d DNS packets ($OUT)"; return; }
	echo "ok: $OUT; proxy=$p leak=0 dns=0"
}

# The counters catch each kind of attempt made without the library.
for c in "tcp $T4 $HTTP_PORT4" "udp_sendto $T4 $UDP_PORT4" "ping $T4 0" \
	"udp_unspec $T4 $UDP_PORT4" "fo_sendto $T6 $HTTP_PORT6" "ping $T6 0"; do
	set -- $c
	probe_run safe "$1" "$2" "$3" bare || true
	[ "$(count leak)" -gt 0 ] ||
		fail "the leak counter missed a direct $1 to $2 ($OUT)"
done
echo "ok: the counters see direct TCP, UDP, ICMP and Fast Open attempts"

for fam in 4 6; do
	eval "H=\$T$fam HP=\$HTTP_PORT$fam UP=\$UDP_PORT$fam"
	probe through tcp "$H" "$HP"
	for p in fo_sendto fo_sendmsg fo_sendmmsg; do
		probe through $p "$H" "$HP"
	done
	# UDP through the proxy (UDP ASSOCIATE): the datagram echoed, or
	# EACCES; never around the proxy
	for p in udp_sendto udp_sendmsg udp_sendmmsg udp_connect; do
		probe safe $p "$H" "$UP"
	done
	for p in raw ping sctp dccp; do
		probe eacces $p "$H" "$HP"
	done
done
probe through tcp6mapped "$T4" "$HTTP_PORT4"
probe through tcp6short "$T6" "$HTTP_PORT6"
probe safe udp_unspec "$T4" "$UDP_PORT4"
probe eacces tcp6scope "fe80::1%c0" 80

# A real program: ping fails closed, no ICMP packet out.
if command -v ping >/dev/null; then
	for h in $T4 $T6; do
		netns_counters
		if out=$(nsx "$NS_C" env SOCKS_CONF="$CONF" LD_PRELOAD="$LIBSOCKSIFY" \
			timeout 10 ping -c 1 -W 1 "$h" 2>&1); then
			bad "ping $h succeeded under the library: $out"
		elif [ "$(count leak)" != 0 ]; then
			bad "ping $h: $(count leak) packets out: $out"
		else
			echo "ok: ping $h fails closed: $(printf '%s' "$out" | tail -n 1)"
		fi
	done
	netns_counters
	nsx "$NS_C" timeout 10 ping -c 1 -W 1 "$T4" >/dev/null 2>&1 || true
	[ "$(count leak)" -gt 0 ] || bad "the leak counter missed a bare ping"
else
	echo "note: ping not installed (iputils-ping): real-program case not run"
fi
finish "every path through $PROXY_KIND or EACCES, zero packets around it"
