#!/usr/bin/env bash
# One fake-name table for every socksified process of the user (issue 15),
# in the leak topology (tests/helpers/netns_lib.sh): target names resolve
# only in the proxy's namespace, the client's nftables counters must show
# no DNS and no packet other than to the proxy.
#   1. `getent` then `curl` in a shell pipeline under the wrapper;
#   2. plain LD_PRELOAD: a child started first waits, its parent resolves
#      and exits, the child connects afterwards;
#   3. two unrelated socksify runs share one name;
#   4. a table file made by another user (nobody) is refused, never read;
#   5. 10,000 names through a /22 with fake_ttl = 1: addresses recycled,
#      never one used within the TTL (tests/helpers/names_many.py);
#   6. a headless multi-process browser (chromium) fetching a page by name.
# Each run keeps its table in its own $XDG_RUNTIME_DIR.  Root only.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
quick_skip
preload_skip
need_root
need_lib
need curl getent
[ -x "$SOCKSIFY" ] || skip "socksify wrapper not built"
[ -n "$PY3" ] || skip "python3 needed"
netns_setup
netns_proxy
netns_http
NAME=target4.socksify.test
CONF=$TMP/c.conf
write_conf "$CONF" "socks5://$P4:$PROXY_PORT4"
RUN=$TMP/run
mkdir -m 700 "$RUN"
export XDG_RUNTIME_DIR=$RUN
cx() { nsx "$NS_C" "$@"; }

# The counters can fail: without the library the name is looked up by
# DNS, and the target is not reachable directly.
netns_counters
cx getent ahostsv4 "$NAME" >/dev/null 2>&1 &&
	fail "$NAME resolves in the client namespace without the library"
[ "$(count dns)" -gt 0 ] || fail "the dns counter did not see the lookup"

# 1. the issue's pipeline, through the wrapper
netns_counters
out=$(cx "$SOCKSIFY" -c "$CONF" -- sh -c \
	"a=\$(getent ahostsv4 $NAME | awk 'NR==1{print \$1}'); echo addr=\$a; curl -sS --max-time 10 http://\$a:$HTTP_PORT4/" 2>&1)
echo "$out"
case $out in
*"addr=198.18."*"hello from $T4"*) ;;
*) bad "getent | curl pipeline: $out" ;;
esac
expect_clean "getent then curl in one pipeline"
[ -f "$RUN/socksify-names" ] || bad "no table file in \$XDG_RUNTIME_DIR"
mode=$(stat -c %a "$RUN/socksify-names" 2>/dev/null)
[ "$mode" = 600 ] || bad "table file mode $mode, want 600"

# 2. plain LD_PRELOAD: the child is exec'd before the parent resolves;
# the parent writes the address and exits; the child connects after.
netns_counters
ADDRF=$TMP/addr
out=$(cx env SOCKS_CONF="$CONF" LD_PRELOAD="$LIBSOCKSIFY" sh -c "
	sh -c 'for i in \$(seq 100); do [ -s $ADDRF.done ] && break; sleep 0.1; done
		curl -sS --max-time 10 http://\$(cat $ADDRF):$HTTP_PORT4/ >$TMP/child.out 2>&1
		echo \$? >$TMP/child.rc' &
	echo \$! >$TMP/child.pid
	getent ahostsv4 $NAME | awk 'NR==1{print \$1}' >$ADDRF
	: >$ADDRF.done
	exit 0" 2>&1)
parent_rc=$?
wait_for 150 test -s "$TMP/child.rc" || bad "the child did not finish"
echo "parent exit $parent_rc, child: $(cat "$TMP/child.out" 2>/dev/null)"
grep -q "hello from $T4" "$TMP/child.out" 2>/dev/null ||
	bad "child connecting after its parent exited: $(cat "$TMP/child.out" 2>/dev/null) $out"
expect_clean "a parent resolves and exits, its child connects afterwards"

# 3. two unrelated runs: the second connects to the first one's address
netns_counters
a1=$(cx "$SOCKSIFY" -c "$CONF" -- getent ahostsv4 target.socksify.test | awk 'NR==1{print $1}')
a2=$(cx "$SOCKSIFY" -c "$CONF" -- getent ahostsv4 target.socksify.test | awk 'NR==1{print $1}')
[ -n "$a1" ] && [ "$a1" = "$a2" ] || bad "two runs: $a1 vs $a2"
out=$(cx "$SOCKSIFY" -c "$CONF" -- curl -sS --max-time 10 "http://$a1:$HTTP_PORT4/" 2>&1)
case $out in *"hello from $T4"*) ;; *) bad "second run connecting to $a1: $out" ;; esac
expect_clean "two unrelated socksify runs share one name"

# 4. a table file made by another user is refused.  nobody makes a valid
# table (in its own private directory) holding a name of its choosing;
# the file, still nobody's, is put where root's table goes (as nobody
# could pre-create /dev/shm/socksify-names-0).  Root must refuse it with
# a log line, never follow the planted mapping, and work on with a
# private table.
if command -v runuser >/dev/null && id nobody >/dev/null 2>&1; then
	nfail=${#FAILED[@]}
	PUB=$TMP/pub
	mkdir -m 755 "$PUB"
	chmod 755 "$TMP"
	cp "$LIBSOCKSIFY" "$CONF" "$PUB/"
	chmod 644 "$PUB"/*
	NRUN=$TMP/nrun
	mkdir -m 700 "$NRUN" && chown nobody "$NRUN"
	planted=$(cx runuser -u nobody -- env XDG_RUNTIME_DIR="$NRUN" \
		SOCKS_CONF="$PUB/c.conf" LD_PRELOAD="$PUB/libsocksify.so" \
		getent ahostsv4 evil.example | awk 'NR==1{print $1}')
	[ -n "$planted" ] || bad "nobody could not make a table"
	PRUN=$TMP/prun
	mkdir -m 1777 "$PRUN" # a sticky directory like /dev/shm
	runuser -u nobody -- cp "$NRUN/socksify-names" "$PRUN/socksify-names" ||
		bad "nobody cannot plant its table"
	RRUN=$TMP/rrun
	mkdir -m 700 "$RRUN"
	mv "$PRUN/socksify-names" "$RRUN/socksify-names"
	[ "$(stat -c %U "$RRUN/socksify-names")" = nobody ] || bad "planted file not nobody's"
	sum0=$(md5sum <"$RRUN/socksify-names")
	netns_counters
	out=$(cx env XDG_RUNTIME_DIR="$RRUN" SOCKS_CONF="$CONF" LD_PRELOAD="$LIBSOCKSIFY" \
		curl -sS --max-time 10 "http://$planted:$HTTP_PORT4/" 2>&1)
	echo "$out"
	case $out in
	*"refusing the name table $RRUN/socksify-names"*"owner 65534"*) ;;
	*) bad "another user's table: no refusal line: $out" ;;
	esac
	case $out in
	*"$planted is a fake address with no name behind it"*) ;;
	*) bad "another user's planted mapping was followed: $out" ;;
	esac
	[ "$(md5sum <"$RRUN/socksify-names")" = "$sum0" ] ||
		bad "another user's table was changed"
	# root still resolves and connects, with a private table
	out=$(cx env XDG_RUNTIME_DIR="$RRUN" SOCKS_CONF="$CONF" LD_PRELOAD="$LIBSOCKSIFY" \
		curl -sS --max-time 10 "http://$NAME:$HTTP_PORT4/" 2>&1)
	case $out in *"hello from $T4"*) ;; *) bad "private table after a refusal: $out" ;; esac
	[ "$(count leak)" = 0 ] && [ "$(count dns)" = 0 ] ||
		bad "refused table: packets left the client"
	# and nobody cannot read root's table
	runuser -u nobody -- cat "$RUN/socksify-names" >/dev/null 2>&1 &&
		bad "nobody can read root's table"
	[ ${#FAILED[@]} = "$nfail" ] &&
		echo "ok: another user's table refused, its mapping not followed"
else
	echo "runuser or user nobody missing: other-user case not run"
fi

# 5. 10,000 names, fake_ttl = 1, a /22: recycling, never a live address
CONF5=$TMP/c5.conf
write_conf "$CONF5" "socks5://$P4:$PROXY_PORT4" 'fake_network = "198.18.4.0/22"' 'fake_ttl = 1'
netns_counters
out=$(cx env SOCKS_CONF="$CONF5" LD_PRELOAD="$LIBSOCKSIFY" timeout 120 \
	"$PY3" "$top_srcdir/tests/helpers/names_many.py" 10000 1 2>&1)
echo "$out" | tail -n 3
case $out in *"names_many: ok"*) ;; *) bad "10,000 names: $out" ;; esac
[ "$(count leak)" = 0 ] && [ "$(count dns)" = 0 ] ||
	bad "10,000 names: packets left the client (dns $(count dns), leak $(count leak))"

# 6. a headless multi-process browser fetching a page by name
BROWSER=$(command -v chromium || true)
if [ -n "$BROWSER" ]; then
	netns_counters
	HOMEB=$TMP/home
	mkdir -p "$HOMEB"
	out=$(cx env HOME="$HOMEB" timeout 90 "$SOCKSIFY" -c "$CONF" -- "$BROWSER" \
		--headless --no-sandbox --disable-gpu --no-first-run \
		--disable-features=AsyncDns --user-data-dir="$HOMEB/profile" \
		--dump-dom "http://$NAME:$HTTP_PORT4/" 2>"$TMP/browser.err")
	echo "chromium: $out"
	case $out in
	*"hello from $T4"*) expect_clean "chromium --headless --dump-dom by name" ;;
	*) bad "chromium: $out $(tail -n 20 "$TMP/browser.err")" ;;
	esac
else
	echo "chromium not installed: browser case not run"
fi
finish "one name table for every process of the user ($PROXY_KIND)"
