#!/usr/bin/env bash
# UDP through socksifyd with UDP ASSOCIATE (body: netns_udp_body.sh).
NETNS_PROXY=socksifyd
. "$(dirname "$0")/../helpers/netns_udp_body.sh"
