#!/usr/bin/env bash
# Leak test, IPv4: the client namespace can reach nothing but the proxy;
# real programs fetch a page by a name only the proxy can resolve, and the
# counters must show 0 leaked and 0 DNS packets (body: netns_leak_body.sh).
LEAK_FAMILY=4
. "$(dirname "$0")/../helpers/netns_leak_body.sh"
