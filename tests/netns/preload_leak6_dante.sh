#!/usr/bin/env bash
# preload_leak6.sh with Dante's sockd as the proxy in P (NETNS_PROXY=dante).
LEAK_FAMILY=6
NETNS_PROXY=dante
. "$(dirname "$0")/../helpers/netns_leak_body.sh"
