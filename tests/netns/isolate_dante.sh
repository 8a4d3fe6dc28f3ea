#!/usr/bin/env bash
# socksify --isolate: Go (static and cgo), static C, raw-syscall programs,
# dig and curl through dante in the leak topology, zero packets around the
# proxy (body: netns_isolate_body.sh).
NETNS_PROXY=dante
. "$(dirname "$0")/../helpers/netns_isolate_body.sh"
