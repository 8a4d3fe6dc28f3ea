#!/bin/sh
# libsocksify.so must export exactly the names in src/preload/exports.map:
# the interposed libc functions, nothing of its own.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
lib="$top_builddir/.libs/libsocksify.so"
map="$top_srcdir/src/preload/exports.map"
if [ ! -f "$lib" ]; then
	echo "SKIP: $lib not built"
	exit 77
fi
command -v nm >/dev/null 2>&1 || { echo "SKIP: no nm"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 ~ /^[TtWiDdBb]$/ { print $3 }' |
	sed 's/@.*//' | sort -u >"$tmp/have"
sed -e 's,/\*.*\*/,,' "$map" | sed -n '/global:/,/local:/p' |
	grep -E '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;' |
	sed 's/[[:space:];]//g' | sort -u >"$tmp/want"
if ! [ -s "$tmp/want" ]; then
	echo "FAIL: no names read from $map"
	exit 1
fi
if ! diff -u "$tmp/want" "$tmp/have"; then
	echo "FAIL: exported symbols differ from $map (- map, + library)"
	exit 1
fi
echo "PASS: $(wc -l <"$tmp/want") exported names match $map"
