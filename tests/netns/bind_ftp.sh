#!/usr/bin/env bash
# Active-mode FTP through socksify and socksifyd (body: netns_bind_ftp_body.sh).
NETNS_PROXY=socksifyd
. "$(dirname "$0")/../helpers/netns_bind_ftp_body.sh"
