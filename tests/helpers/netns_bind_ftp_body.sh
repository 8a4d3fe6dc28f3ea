# shellcheck shell=bash
# Body of tests/netns/bind_ftp.sh and bind_ftp_dante.sh (they set
# NETNS_PROXY): a real active-mode FTP session through socksify.  lftp in
# the client namespace, passive mode off, talks to pyftpdlib in the target
# namespace; its data connections come back through a SOCKS BIND at the
# proxy (IPv4: PORT; IPv6: EPRT, SOCKS5).  Download and upload must carry
# the exact bytes, and the nftables counters on the client's output must
# show zero packets other than to the proxy.  Without the library the same
# session cannot get any data through (the target cannot reach the client).
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
. "$(dirname "$0")/../helpers/netns_lib.sh"
quick_skip
preload_skip
need_root
need_lib
need lftp
[ -x "$SOCKSIFY" ] || skip "socksify not built"
"$PY3" -c 'import pyftpdlib' 2>/dev/null || skip "python3-pyftpdlib not installed"
netns_setup
FTPD=$TMP/ftproot
mkdir -p "$FTPD"
head -c 200000 /dev/urandom >"$FTPD/down.bin"
head -c 150000 /dev/urandom >"$TMP/up.bin"
chmod -R a+rwX "$FTPD"
for fam in 4 6; do
	[ $fam = 4 ] && host=$T4 || host=$T6
	pf=$TMP/ftp$fam.port
	ip netns exec "$NS_T" "$PY3" - "$host" "$pf" "$FTPD" >"$TMP/ftp$fam.log" 2>&1 <<'PY' &
import os, sys, logging
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
host, pf, root = sys.argv[1], sys.argv[2], sys.argv[3]
logging.basicConfig(level=logging.DEBUG)
a = DummyAuthorizer()
a.add_anonymous(root, perm="elradfmw")
class H(FTPHandler):
    authorizer = a
    timeout = 30
srv = FTPServer((host, 0), H)
open(pf + ".tmp", "w").write(str(srv.socket.getsockname()[1])); os.rename(pf + ".tmp", pf)
srv.serve_forever()
PY
	PIDS+=($!)
	wait_for 50 test -s "$pf" || fail "ftp server ($host) did not start: $(cat "$TMP/ftp$fam.log")"
	eval "FTP_PORT$fam=\$(cat \"\$pf\")"
done
netns_proxy
CONF=$TMP/c.conf
write_conf "$CONF" "socks5://$P4:$PROXY_PORT4"
CONF6=$TMP/c6.conf
write_conf "$CONF6" "socks5://[$P6]:$PROXY_PORT6"

# ftp_session CONF URL TAG [bare]: download down.bin, upload up.bin, in
# active mode, through socksify (or without it: "bare").
ftp_session() {
	local conf=$1 url=$2 tag=$3 run=("$SOCKSIFY" -c "$1" -d 1)
	[ "${4:-}" = bare ] && run=()
	rm -f "$TMP/got.$tag" "$FTPD/up.$tag"
	netns_counters
	nsx "$NS_C" env HOME="$TMP" timeout 60 "${run[@]}" lftp -c "
set ftp:passive-mode off
set net:max-retries 1
set net:reconnect-interval-base 1
set net:timeout $([ "${4:-}" = bare ] && echo 3 || echo 8)
set xfer:clobber on
open $url
get down.bin -o $TMP/got.$tag
put $TMP/up.bin -o up.$tag
" >"$TMP/lftp.$tag.log" 2>&1
}

# The counters see the session made without the library: it gets no data.
if ftp_session "$CONF" "ftp://anonymous:x@$T4:$FTP_PORT4" bare bare; then
	bad "FTP without the library got through (the topology is open)"
fi
[ "$(count leak)" -gt 0 ] || bad "the leak counter missed a direct FTP session"

for fam in 4 6; do
	eval "H=\$T$fam FP=\$FTP_PORT$fam"
	[ $fam = 4 ] && url="ftp://anonymous:x@$H:$FP" cmd=PORT c=$CONF ||
		url="ftp://anonymous:x@[$H]:$FP" cmd=EPRT c=$CONF6
	tag=v$fam
	if ! ftp_session "$c" "$url" $tag; then
		bad "IPv$fam active FTP through $PROXY_KIND failed: $(tail -n 15 "$TMP/lftp.$tag.log")"
		continue
	fi
	cmp -s "$FTPD/down.bin" "$TMP/got.$tag" ||
		{ bad "IPv$fam: download differs"; continue; }
	cmp -s "$TMP/up.bin" "$FTPD/up.$tag" ||
		{ bad "IPv$fam: upload differs"; continue; }
	grep -q "$cmd " "$TMP/ftp$fam.log" ||
		{ bad "IPv$fam: the server saw no $cmd command"; continue; }
	grep -q 'listening at .* via p for peer' "$TMP/lftp.$tag.log" ||
		{ bad "IPv$fam: no BIND in the library's log"; continue; }
	expect_clean "IPv$fam active FTP ($cmd) through $PROXY_KIND" || true
done
finish "active-mode FTP (PORT and EPRT) through socksify and $PROXY_KIND, zero packets around it"
