#!/usr/bin/env bash
# udp_assoc.sh against Dante's sockd (NETNS_PROXY=dante).
NETNS_PROXY=dante
. "$(dirname "$0")/../helpers/netns_udp_body.sh"
