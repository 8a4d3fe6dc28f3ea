#!/usr/bin/env bash
# The socksify wrapper (SPEC section 2) and remote DNS through it:
#  A. options, exit codes 127/126/2, config errors with file:line, Go
#     (static and cgo), static and setuid programs refused (and not run)
#     naming --isolate, and run with a warning under --force;
#  B. (preloads the library) environment and LD_PRELOAD appended, exit
#     status passed through, getaddrinfo() with NULL hints answered with a
#     fake address and no DNS packet (strace, inside a network namespace so
#     that a leak could not leave the machine either), fake addresses
#     shared with forked children, and curl through socksifyd / microsocks
#     with the name resolved by the proxy.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
quick_skip
[ -x "$SOCKSIFY" ] || skip "socksify not built"
PROBE=$top_builddir/tests/helpers/gai_probe

# run EXPECTED_STATUS CMD...: run, keep stdout/stderr in $OUT/$ERR.
run() {
	local want=$1 got=0
	shift
	"$@" >"$TMP/out" 2>"$TMP/err" || got=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
	[ "$got" = "$want" ] ||
		fail "$* exited $got, expected $want; stderr: $ERR"
}
expect_err() { # PATTERN: stderr of the last run() matches
	grep -q -- "$1" "$TMP/err" || fail "stderr lacks '$1': $ERR"
}

P=(-p socks5h://127.0.0.1:9) # a valid URL; nothing connects in part A

# ---- A. options and exit codes -------------------------------------------
run 0 "$SOCKSIFY" --help
grep -q '^Usage: socksify' "$TMP/out" || fail "--help: $OUT"
run 0 "$SOCKSIFY" --version
echo "$OUT" | grep -q '^socksify [0-9][0-9.]*$' || fail "--version: $OUT"
run 2 "$SOCKSIFY" "${P[@]}"
expect_err 'no program given'
run 2 "$SOCKSIFY" -x true
expect_err 'unknown option -x'
run 2 "$SOCKSIFY" "${P[@]}" -d 9 true
expect_err 'LEVEL must be'
run 2 "$SOCKSIFY" -c /dev/null -p socks5://127.0.0.1:9 true
expect_err 'exclude each other'
pass "options"

run 127 "$SOCKSIFY" "${P[@]}" socksify-no-such-program-$$
expect_err 'command not found'
run 127 "$SOCKSIFY" "${P[@]}" "$TMP/nonexistent/prog"
expect_err 'No such file'
: >"$TMP/plain"
chmod 644 "$TMP/plain"
if [ "$(id -u)" -ne 0 ]; then # root may execute anything with an x bit only
	run 126 "$SOCKSIFY" "${P[@]}" "$TMP/plain"
	expect_err 'cannot execute'
fi
mkdir -p "$TMP/bin/dirprog"
run 126 env PATH="$TMP/bin" "$SOCKSIFY" "${P[@]}" dirprog
expect_err 'cannot execute'
run 126 "$SOCKSIFY" "${P[@]}" "$TMP"
pass "not found 127, not executable 126"

# Config errors: exit 2 before the program runs, message with file:line.
printf 'debug = 0\nresolve = "remote"\nno_such_key = 1\n' >"$TMP/bad.conf"
run 2 "$SOCKSIFY" -c "$TMP/bad.conf" touch "$TMP/ran-bad-conf"
expect_err "bad.conf:3"
[ ! -e "$TMP/ran-bad-conf" ] || fail "program ran despite a bad config"
run 2 "$SOCKSIFY" -c "$TMP/missing.conf" true
expect_err "missing.conf"
run 2 "$SOCKSIFY" -p 'socks9://127.0.0.1:1' true
expect_err '^socksify: -p: '
run 2 env SOCKS_PROXY='socks5://[::1' "$SOCKSIFY" true
expect_err 'SOCKS_PROXY'
run 2 env -u SOCKS_PROXY SOCKS_CONF="$TMP/nowhere.conf" "$SOCKSIFY" true
expect_err 'nowhere.conf'
pass "invalid config or URL: exit 2 with file:line"

# A statically linked program is refused, and not run.
CC=${CC:-cc}
printf '#include <stdio.h>\nint main(int c, char **v)\n{ FILE *f = fopen(v[1], "w"); return f ? 0 : 1; }\n' \
	>"$TMP/st.c"
if command -v "$CC" >/dev/null 2>&1 &&
	"$CC" -static -o "$TMP/static-prog" "$TMP/st.c" 2>/dev/null; then
	run 126 "$SOCKSIFY" "${P[@]}" "$TMP/static-prog" "$TMP/ran-static"
	expect_err 'statically linked.*socksify --isolate'
	[ ! -e "$TMP/ran-static" ] || fail "the static program ran"
	# a script whose interpreter is static: same answer
	printf '#!%s\n' "$TMP/static-prog" >"$TMP/static.sh"
	chmod 755 "$TMP/static.sh"
	run 126 "$SOCKSIFY" "${P[@]}" "$TMP/static.sh"
	expect_err 'statically linked'
	pass "static program refused (126)"
else
	echo "SKIP part: no $CC -static (libc.a) to build a static program"
fi

# --force runs a static program anyway, with a warning.
if [ -x "$TMP/static-prog" ]; then
	run 0 "$SOCKSIFY" "${P[@]}" --force "$TMP/static-prog" "$TMP/ran-forced"
	expect_err 'warning: .*statically linked.*--force'
	[ -e "$TMP/ran-forced" ] || fail "--force did not run the static program"
	pass "--force runs a static program with a warning"
fi

# Go programs (static with CGO_ENABLED=0, dynamic with cgo) are refused
# with the isolation mode named, and not run; --force runs them.
. "$top_srcdir/tests/helpers/go_lib.sh"
if command -v go >/dev/null 2>&1; then
	for mode in static cgo; do
		gobin=$(go_build "$top_srcdir/tests/helpers/go_hello.go" $mode)
		if [ $mode = cgo ]; then
			readelf -lW "$gobin" | grep -q INTERP ||
				fail "the cgo Go program is not dynamically linked"
		fi
		run 126 "$SOCKSIFY" "${P[@]}" "$gobin" "$TMP/ran-go-$mode"
		expect_err 'is a Go program.*socksify --isolate'
		[ "$(wc -l <"$TMP/err")" = 1 ] || fail "more than one line: $ERR"
		[ ! -e "$TMP/ran-go-$mode" ] || fail "the Go program ran ($mode)"
		# a dynamic (cgo) program under --force gets the library
		# preloaded: not the ASan one into a program built without it
		[ $mode = cgo ] && [ -n "${SOCKSIFY_SANITIZED:-}" ] && continue
		run 0 "$SOCKSIFY" "${P[@]}" --force "$gobin" "$TMP/ran-go-$mode"
		expect_err 'warning: .*Go program'
		[ -e "$TMP/ran-go-$mode" ] || fail "--force: Go program did not run"
	done
	pass "Go programs (static and cgo) refused (126), --force runs them"
else
	echo "SKIP part: go not installed (golang-go) to build a Go program"
fi

# A set-user-ID program (owned by someone else) is refused, and not run.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	cp "$(command -v touch)" "$TMP/suid-touch"
	chown nobody "$TMP/suid-touch"
	chmod 4755 "$TMP/suid-touch"
	run 126 "$SOCKSIFY" "${P[@]}" "$TMP/suid-touch" "$TMP/ran-suid"
	expect_err 'set-user-ID.*socksify --isolate'
	[ ! -e "$TMP/ran-suid" ] || fail "the setuid program ran"
	# (nobody cannot write to $TMP: the program shows it ran on stdout)
	run 0 "$SOCKSIFY" "${P[@]}" --force "$TMP/suid-touch" --version
	expect_err 'warning: .*set-user-ID'
	grep -q touch "$TMP/out" || fail "--force did not run the setuid program"
	chmod 0755 "$TMP/suid-touch"
	chgrp "$(id -gn nobody)" "$TMP/suid-touch"
	chmod 2755 "$TMP/suid-touch"
	if [ "$(id -g)" != "$(id -g nobody)" ]; then
		run 126 "$SOCKSIFY" "${P[@]}" "$TMP/suid-touch" "$TMP/ran-sgid"
		expect_err 'set-group-ID'
		[ ! -e "$TMP/ran-sgid" ] || fail "the setgid program ran"
	fi
	pass "setuid/setgid program refused (126)"
else
	echo "SKIP part: setuid check needs root (to give a file to nobody)"
fi

# ---- B. runs programs with the library preloaded --------------------------
if [ "${SOCKSIFY_SANITIZED:-0}" = 1 ]; then
	echo "SKIP part B: sanitizer build: library cannot be preloaded"
	exit 0
fi
[ -f "$LIBSOCKSIFY" ] || skip "libsocksify.so not built"

run 0 env LD_PRELOAD= "$SOCKSIFY" "${P[@]}" sh -c 'echo "$LD_PRELOAD"'
[ "$OUT" = "$(readlink -f "$LIBSOCKSIFY")" ] || [ "$OUT" = "$LIBSOCKSIFY" ] ||
	fail "LD_PRELOAD is '$OUT'"
other=$(ls /lib/x86_64-linux-gnu/libm.so.6 /usr/lib/*/libm.so.6 /lib/*/libm.so.6 2>/dev/null | head -n 1)
if [ -n "$other" ]; then
	run 0 env LD_PRELOAD="$other" "$SOCKSIFY" "${P[@]}" sh -c 'echo "$LD_PRELOAD"'
	case $OUT in
	"$other:"*libsocksify.so) ;;
	*) fail "LD_PRELOAD not appended: '$OUT'" ;;
	esac
	# already there: not added twice
	run 0 env LD_PRELOAD="$OUT" "$SOCKSIFY" "${P[@]}" sh -c 'echo "$LD_PRELOAD"'
	[ "$(echo "$OUT" | grep -o libsocksify.so | wc -l)" = 1 ] ||
		fail "library listed twice: $OUT"
fi
printf 'proxy "p" { url = "socks5://127.0.0.1:9" }\nroute { via = "p" }\n' >"$TMP/ok.conf"
(cd "$TMP" && run 0 env -u SOCKS_PROXY "$SOCKSIFY" -c ok.conf -q -l rel.log \
	sh -c 'echo "$SOCKS_CONF|$SOCKS_DEBUG|$SOCKS_LOG|${SOCKS_PROXY-unset}"' &&
	[ "$OUT" = "$TMP/ok.conf|-1|$TMP/rel.log|unset" ]) ||
	fail "environment: $(cat "$TMP/out")"
run 0 "$SOCKSIFY" "${P[@]}" -d 2 sh -c 'echo "$SOCKS_PROXY|$SOCKS_DEBUG"'
[ "$OUT" = "socks5h://127.0.0.1:9|2" ] || fail "environment: $OUT"
run 42 "$SOCKSIFY" "${P[@]}" sh -c 'exit 42'
run 3 "$SOCKSIFY" "${P[@]}" -- sh -c 'exit 3'
pass "environment, LD_PRELOAD appended, exit status passed through"

# Remote DNS: NULL hints get a fake address, and no DNS packet is sent.
[ -x "$PROBE" ] || fail "tests/helpers/gai_probe not built"
run 0 "$SOCKSIFY" "${P[@]}" "$PROBE" www.leaktest.invalid 80
echo "$OUT" | grep -q '^addr 198\.1[89]\.[0-9.]* 1$' || fail "no fake address: $OUT"
echo "$OUT" | grep -q '^name www.leaktest.invalid$' || fail "no reverse name: $OUT"
echo "$OUT" | grep -q '^hostent 198\.1[89]\.' || fail "gethostbyname: $OUT"
pass "getaddrinfo(NULL hints), getnameinfo, gethostbyname: fake address"

# With a config: a deny route limited to a port denies the name for that
# port only; a deny route for a name denies it (and logs it), no DNS.
cat >"$TMP/routes.conf" <<'EOC'
proxy "p" { url = "socks5://127.0.0.1:9" }
route { to = "0.0.0.0/0" ports = "25" via = "deny" }
route { to = "*.blocked.test" via = "deny" }
route { to = { "0.0.0.0/0", "::/0" } via = "p" }
EOC
run 0 "$SOCKSIFY" -c "$TMP/routes.conf" "$PROBE" mail.example.test
echo "$OUT" | grep -q '^addr 198\.1[89]\.' || fail "routes.conf, no port: $OUT"
run 1 "$SOCKSIFY" -c "$TMP/routes.conf" "$PROBE" mail.example.test 25
echo "$OUT" | grep -q '^error ' || fail "routes.conf, port 25: $OUT"
run 1 "$SOCKSIFY" -c "$TMP/routes.conf" "$PROBE" www.blocked.test
expect_err 'www.blocked.test.*denied.*line 3'
pass "routes: port-limited deny, name deny (logged with the route's line)"

netns=()
if unshare -n true 2>/dev/null; then
	netns=(unshare -n)
elif unshare -r -n true 2>/dev/null; then
	netns=(unshare -r -n)
fi
if [ ${#netns[@]} -gt 0 ] && command -v strace >/dev/null 2>&1; then
	trace() { # OUTFILE CMD...: syscalls that could carry a DNS query
		local o=$1
		shift
		"${netns[@]}" strace -f -qq -o "$o" \
			-e trace=connect,sendto,sendmsg,sendmmsg "$@" >/dev/null 2>&1 || true
	}
	# control: without socksify the same lookup does try port 53, so the
	# check below can see a leak
	trace "$TMP/plain.trace" "$PROBE" www.leaktest.invalid 80
	grep -q 'htons(53)' "$TMP/plain.trace" ||
		echo "note: no resolver configured: control run sent no query"
	trace "$TMP/socksified.trace" "$SOCKSIFY" "${P[@]}" "$PROBE" www.leaktest.invalid 80
	[ -s "$TMP/socksified.trace" ] || fail "strace recorded nothing"
	if grep 'htons(53)' "$TMP/socksified.trace"; then
		fail "a DNS packet was sent for a proxied name"
	fi
	pass "no DNS packet for a proxied name (strace in a network namespace)"
else
	echo "SKIP part: no network namespace or strace for the DNS leak check"
fi

# Fake addresses are shared with forked children, even when the parent
# had not resolved anything before fork().
cat >"$TMP/fork.py" <<'PY'
import os, socket
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    ip = socket.getaddrinfo("child.fork.test", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    os.write(w, ip.encode()); os._exit(0)
os.waitpid(pid, 0)
ip = os.read(r, 64).decode()
print(ip, socket.getnameinfo((ip, 80), socket.NI_NAMEREQD)[0],
      socket.getaddrinfo("child.fork.test", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0])
PY
if command -v python3 >/dev/null 2>&1; then
	run 0 "$SOCKSIFY" "${P[@]}" python3 "$TMP/fork.py"
	set -- $OUT
	case $1 in 198.1[89].*) ;; *) fail "fork: child got '$OUT'" ;; esac
	[ "$2" = child.fork.test ] && [ "$3" = "$1" ] || fail "fork: $OUT"
	pass "a name resolved in a child is known to the parent"
fi

# curl through a real proxy, the name resolved by the proxy: the proxy runs
# in its own mount namespace where /etc/hosts knows www.demo.test.
mountns=()
if unshare -m true 2>/dev/null; then
	mountns=(unshare -m)
elif unshare -r -m true 2>/dev/null; then
	mountns=(unshare -r -m)
fi
[ ${#mountns[@]} -gt 0 ] || skip "no mount namespace to give the proxy a hosts file"
need curl python3
printf '127.0.0.1 www.demo.test\n' >"$TMP/hosts"
start_http 127.0.0.1
checked=0

if [ -x "$SOCKSIFYD" ]; then
	cat >"$TMP/socksifyd-hosts" <<EOS
#!/bin/sh
exec ${mountns[*]} sh -c 'mount --bind "\$0" /etc/hosts && exec "\$@"' "$TMP/hosts" "$SOCKSIFYD" "\$@"
EOS
	chmod 755 "$TMP/socksifyd-hosts"
	SOCKSIFYD=$TMP/socksifyd-hosts start_socksifyd
	run 0 "$SOCKSIFY" -d 1 -p "socks5h://127.0.0.1:$SOCKSIFYD_PORT" \
		curl -s -m 10 "http://www.demo.test:$HTTP_PORT/"
	[ "$OUT" = "hello from 127.0.0.1" ] || fail "curl via socksifyd: '$OUT' $ERR"
	wait_for 50 grep -q "www.demo.test:$HTTP_PORT" "$SOCKSIFYD_LOG" ||
		fail "socksifyd did not see the name: $(cat "$SOCKSIFYD_LOG")"
	# IPv6: curl -6 takes the IPv6 fake address (fd53:6f63:6b73::/64)
	run 0 "$SOCKSIFY" -p "socks5h://127.0.0.1:$SOCKSIFYD_PORT" \
		curl -6 -s -m 10 -o "$TMP/body6" -w '%{remote_ip}' \
		"http://www.demo.test:$HTTP_PORT/"
	case $OUT in
	fd53:6f63:6b73:*) ;;
	*) fail "curl -6 via socksifyd connected to '$OUT' $ERR" ;;
	esac
	[ "$(cat "$TMP/body6")" = "hello from 127.0.0.1" ] ||
		fail "curl -6 via socksifyd: '$(cat "$TMP/body6")'"
	checked=$((checked + 1))
	pass "curl -p socks5h:// via socksifyd (IPv4 and IPv6 fakes), name resolved by the proxy"
else
	echo "SKIP part: socksifyd not built"
fi

if command -v microsocks >/dev/null 2>&1; then
	MPORT=$(free_port)
	"${mountns[@]}" sh -c 'mount --bind "$0" /etc/hosts && exec microsocks -i 127.0.0.1 -p "$1"' \
		"$TMP/hosts" "$MPORT" >"$TMP/microsocks.log" 2>&1 &
	PIDS+=("$!")
	wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MPORT" ||
		fail "microsocks did not start: $(cat "$TMP/microsocks.log")"
	run 0 "$SOCKSIFY" -p "socks5h://127.0.0.1:$MPORT" \
		curl -s -m 10 "http://www.demo.test:$HTTP_PORT/"
	[ "$OUT" = "hello from 127.0.0.1" ] || fail "curl via microsocks: '$OUT' $ERR"
	checked=$((checked + 1))
	pass "curl -p socks5h:// via microsocks"
else
	echo "SKIP part: microsocks not installed"
fi
[ "$checked" -gt 0 ] || skip "neither socksifyd nor microsocks available"
exit 0
