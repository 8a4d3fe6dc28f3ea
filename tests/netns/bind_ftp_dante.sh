#!/usr/bin/env bash
# Active-mode FTP through socksify and Dante's sockd (body: netns_bind_ftp_body.sh).
NETNS_PROXY=dante
. "$(dirname "$0")/../helpers/netns_bind_ftp_body.sh"
