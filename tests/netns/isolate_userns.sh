#!/usr/bin/env bash
# socksify --isolate as an unprivileged user (nobody, through runuser) in
# the client namespace of the leak topology: the daemon builds the
# namespace in a user namespace of its own.  curl by a name only the proxy
# resolves, a raw-syscall and a static program, dig over UDP and TCP reach
# the target through socksifyd with zero packets around it and no DNS
# packet out; the program runs with the user's uid; the fake names live
# in the user's own table (/dev/shm/socksify-names-UID) and a name keeps
# its address from one run to the next.  With /dev/net/tun at mode 0600
# the same run exits 126 with one line naming the device, its mode and
# the way out.  /dev/net/tun is made 0666 (Debian's udev default) for the
# test only if it is not, and its mode is restored on exit.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
. "$(dirname "$0")/../helpers/go_lib.sh"
quick_skip
need_root
need curl dig runuser unshare
ISO=$top_builddir/socksify-isolate
[ -x "$ISO" ] || skip "socksify-isolate not built (liblwip-dev missing?)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
RAW=$top_builddir/tests/helpers/raw_get
RAW_STATIC=$top_builddir/tests/helpers/raw_get_static
[ -x "$RAW" ] || skip "raw_get not built (make check builds it)"
USR=nobody
USR_ID=$(id -u $USR) || skip "no user $USR"
asuser() { runuser -u $USR -- env -u XDG_RUNTIME_DIR "$@"; }
asuser unshare -U -r -n true 2>/dev/null ||
	skip "unprivileged user namespaces are not allowed for $USR here"
asuser test -x "$SOCKSIFY" -a -x "$ISO" -a -x "$RAW" ||
	skip "$USR cannot execute the build tree ($top_builddir)"

TUN_MODE=$(stat -c %a /dev/net/tun)
tun_restore() { chmod "$TUN_MODE" /dev/net/tun; }
netns_setup
trap 'tun_restore; netns_cleanup' EXIT
netns_http
netns_proxy
chmod 0711 "$TMP"
CONF=$TMP/c.conf
write_conf "$CONF" "socks5://$P4:$PROXY_PORT4"
chmod 0644 "$CONF"
TABLE=/dev/shm/socksify-names-$USR_ID
had_table=0
[ -e "$TABLE" ] && had_table=1

# run_user CMD...: CMD under socksify --isolate as the user in C; stdout
# in $out, exit status in $rc, stderr in $TMP/iso.err.
run_user() {
	rc=0
	out=$(nsx "$NS_C" timeout 30 runuser -u $USR -- env -u XDG_RUNTIME_DIR \
		"$SOCKSIFY" -c "$CONF" -d 1 --isolate "$@" 2>"$TMP/iso.err") || rc=$?
}

# The failure first: the device as this container has it (0600).
chmod 0600 /dev/net/tun
netns_counters
run_user "$RAW" "$T4" "$HTTP_PORT4"
if [ "$rc" = 126 ] && [ "$(grep -c . "$TMP/iso.err")" = 1 ] &&
	grep -q "cannot open /dev/net/tun: .*mode is 0600.*run as root, or make /dev/net/tun 0666" "$TMP/iso.err"; then
	echo "ok: /dev/net/tun 0600: exit 126: $(cat "$TMP/iso.err")"
else
	bad "/dev/net/tun 0600: exit $rc, stderr: $(cat "$TMP/iso.err")"
fi
[ "$(count leak)" = 0 ] || bad "/dev/net/tun 0600: leak=$(count leak)"

chmod 0666 /dev/net/tun
# usr_case NAME WANT CMD...: iso_expect (netns_lib.sh) as the user.
usr_case() {
	iso_expect "$1" "$2" run_user "${@:3}"
}
usr_case "as $USR: curl by name (IPv4)" "hello from $T4" \
	curl -sS -m 15 "http://target4.socksify.test:$HTTP_PORT4/"
usr_case "as $USR: curl by name (IPv6)" "hello from $T6" \
	curl -sS -m 15 -6 "http://target6.socksify.test:$HTTP_PORT6/"
usr_case "as $USR: syscall(SYS_connect)" "hello from $T4" "$RAW" "$T4" "$HTTP_PORT4"
# A Go program (CGO_ENABLED=0: its own resolver and system calls), the
# kind isolation is for.
if command -v go >/dev/null 2>&1; then
	GO_STATIC=$(go_build "$top_srcdir/tests/helpers/go_fetch.go" static)
	if asuser test -x "$GO_STATIC"; then
		usr_case "as $USR: Go CGO_ENABLED=0 by name" "hello from $T4" \
			"$GO_STATIC" "http://target4.socksify.test:$HTTP_PORT4/"
	else
		echo "SKIP part: $USR cannot run $GO_STATIC"
	fi
else
	echo "SKIP part: no go (golang-go)"
fi
if [ -x "$RAW_STATIC" ]; then
	usr_case "as $USR: static C program" "hello from $T4" "$RAW_STATIC" "$T4" "$HTTP_PORT4"
else
	echo "SKIP part: no static raw_get (libc.a)"
fi

run_user id -u
if [ "$rc" = 0 ] && [ "$out" = "$USR_ID" ]; then
	echo "ok: the program runs as uid $out"
else
	bad "id -u inside: '$out' (exit $rc), want $USR_ID"
fi

# The user's table: made by the daemon as the user, shared by its runs.
netns_counters
run_user dig +short +tries=1 +time=3 target.socksify.test A
first=$out
run_user dig +tcp +short +tries=1 +time=3 target.socksify.test A
case $first in
198.18.* | 198.19.*) ;;
*) bad "dig as $USR: want a fake address, got '$first'" ;;
esac
[ "$out" = "$first" ] ||
	bad "the second run (over TCP) got '$out', the first '$first'"
[ "$(count leak)" = 0 ] && [ "$(count dns)" = 0 ] ||
	bad "dig as $USR: leak=$(count leak) dns=$(count dns)"
if [ "$(stat -c %u:%a "$TABLE" 2>/dev/null)" = "$USR_ID:600" ]; then
	echo "ok: dig over UDP then TCP: $first both times, table $TABLE"
else
	bad "$TABLE: $(ls -l "$TABLE" 2>&1)"
fi
[ $had_table = 1 ] || rm -f "$TABLE"
finish "socksify --isolate as an unprivileged user"
