#!/usr/bin/env bash
# Name-table benchmark (./scripts/bench names).  Not a test: prints
# figures and the exact commands.  Through the preloaded library's
# resolver hooks (tests/helpers/names_bench): the median ns per call, over
# 31 blocks of 1000 calls, of
#   alloc    getaddrinfo() of a new name (a fake address allocated)
#   hit      getaddrinfo() of a known name (name -> address)
#   reverse  getnameinfo() of a fake address (address -> name, what
#            connect() does for a fake destination)
# each in a fresh table ($XDG_RUNTIME_DIR set to a new directory).
# BENCH_OLD_LIB=path/to/an/older/libsocksify.so prints its figures too
# (e.g. a build of main before the shared table: "before").
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$(pwd)
B=${BUILD:-$top/build}
LIB=$B/.libs/libsocksify.so
H=$B/tests/helpers/names_bench
[ -x "$H" ] || make -C "$B" -s tests/helpers/names_bench >/dev/null 2>&1
[ -x "$H" ] && [ -f "$LIB" ] || { echo "bench names: build first" >&2; exit 0; }
run() { # LABEL LIB
	local d
	d=$(mktemp -d)
	chmod 700 "$d"
	printf '  $ XDG_RUNTIME_DIR=%s SOCKS_PROXY=socks5h://127.0.0.1:1 LD_PRELOAD=%s %s\n' "$d" "$2" "$H"
	XDG_RUNTIME_DIR=$d SOCKS_PROXY=socks5h://127.0.0.1:1 LD_PRELOAD=$2 "$H" |
		sed "s/^/    $1 /"
	rm -rf "$d"
}
echo "### fake-name table: ns per call, median of 31 blocks of 1000"
[ -n "${BENCH_OLD_LIB:-}" ] && run before "$BENCH_OLD_LIB"
run after "$LIB"
