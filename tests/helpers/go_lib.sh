# shellcheck shell=bash
# Go programs built by tests (golang-go from Debian), cached for the whole
# test run in $top_builddir/tests/go-bin (keyed by source and build mode),
# with the Go build cache next to it: CI builds each program once.
# Source after lib.sh.

GO_BIN_DIR=$top_builddir/tests/go-bin

# go_build SRC.go MODE: print the path of SRC built with MODE "static"
# (CGO_ENABLED=0) or "cgo" (CGO_ENABLED=1: dynamically linked when the
# program imports net).  Skips the test when go is missing or fails.
go_build() {
	local src=$1 mode=$2 key out dir cgo=0
	command -v go >/dev/null 2>&1 || skip "go not installed (golang-go)"
	[ "$mode" = cgo ] && cgo=1
	key=$(cat "$src" | sha1sum | cut -c1-16)-$mode
	out=$GO_BIN_DIR/$key
	if [ ! -x "$out" ]; then
		mkdir -p "$GO_BIN_DIR/cache"
		dir=$(mktemp -d "$GO_BIN_DIR/src.XXXXXX")
		cp "$src" "$dir/main.go"
		printf 'module probe\n\ngo 1.19\n' >"$dir/go.mod"
		(cd "$dir" && GOCACHE=$GO_BIN_DIR/cache GOPATH=$GO_BIN_DIR/path \
			GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=$cgo \
			go build -o "$out.tmp" .) >"$dir/log" 2>&1 ||
			skip "go build failed: $(tail -n 3 "$dir/log")"
		mv "$out.tmp" "$out"
		rm -rf "$dir"
	fi
	echo "$out"
}
