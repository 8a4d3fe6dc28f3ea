#!/usr/bin/env bash
# Every libc path around the proxy (tests/helpers/leak_probe), against
# socksifyd: through the proxy or EACCES, zero packets around it
# (body: netns_probe_body.sh).
NETNS_PROXY=socksifyd
. "$(dirname "$0")/../helpers/netns_probe_body.sh"
