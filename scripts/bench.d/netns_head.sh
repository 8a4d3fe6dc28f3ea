# shellcheck shell=bash
# Sourced (not run) by the benches that use the tests' namespace topology
# (rtt.sh, isolate.sh): `. scripts/bench.d/netns_head.sh NAME` from the
# source tree's top.  Sets top_srcdir/top_builddir (BUILD= names the build
# directory), ends the bench quietly (exit 0) when not root, and sources
# the test helpers; a helper's "bad" becomes a note, not a failure.
top_srcdir=$(pwd)
top_builddir=${BUILD:-$top_srcdir/build}
export top_srcdir top_builddir
if [ "$(id -u)" -ne 0 ]; then
	echo "bench $1: needs root (network namespaces); not run" >&2
	exit 0
fi
# the helpers exit with 77 to skip: a bench then just says so
. tests/helpers/lib.sh
. tests/helpers/preload_lib.sh
. tests/helpers/netns_lib.sh
. tests/helpers/netns_more_lib.sh
bad() { echo "  note: $*"; }
