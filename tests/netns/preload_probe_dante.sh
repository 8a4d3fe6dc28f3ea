#!/usr/bin/env bash
# preload_probe.sh against Dante's sockd (NETNS_PROXY=dante).
NETNS_PROXY=dante
. "$(dirname "$0")/../helpers/netns_probe_body.sh"
