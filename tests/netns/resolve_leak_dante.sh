#!/usr/bin/env bash
# resolve_leak.sh against Dante's sockd (NETNS_PROXY=dante).
NETNS_PROXY=dante exec bash "$(dirname "$0")/resolve_leak.sh"
