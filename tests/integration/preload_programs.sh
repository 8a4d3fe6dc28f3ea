#!/usr/bin/env bash
# More unmodified programs through the library and socksifyd, each by a
# name that resolves only on the proxy's side (so a success proves remote
# DNS and the tunnel): wget (HTTP), git (git:// from git daemon), ssh (the
# protocol banner exchange with a stand-in server), lftp (FTP, control and
# passive data connection: two tunnels).  Each program is skipped when it
# is not installed; the proxy's part is proven by socksifyd's session line.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/preload_lib.sh"
quick_skip
preload_skip
need_lib
isolate "$@"
unset SOCKS_CONF SOCKS_PROXY SOCKS_USERNAME SOCKS_PASSWORD

start_socksifyd
PX=socks5h://127.0.0.1:$SOCKSIFYD_PORT
ran=()

# run_lib CMD...: CMD under the library, through socksifyd, names remote
run_lib() { SOCKS_PROXY=$PX with_lib "$@"; }

# port_on HOST: a free TCP port on HOST
port_on() {
	"$PY3" -c 'import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

# ---- wget
if command -v wget >/dev/null; then
	start_http_peer $T4
	session_mark
	out=$(run_lib wget -q -O - --tries=1 --timeout=10 "http://$N4:$HTTP_PORT/" 2>&1)
	case $out in
	"hello from $T4 peer="*) expect_session "$N4:$HTTP_PORT" && echo "ok: wget: $out" ;;
	*) bad "wget http://$N4:$HTTP_PORT/: '$out'" ;;
	esac
	ran+=(wget)
fi

# ---- git clone over git:// (git daemon on the target address)
if command -v git >/dev/null && git daemon -h 2>&1 | grep -q -- --base-path; then
	G=$TMP/git
	mkdir -p "$G/work"
	(
		cd "$G/work" || exit 1
		git init -q . && git config user.email t@socksify.test &&
			git config user.name test &&
			echo "socksify git payload" >README &&
			git add README && git commit -qm one &&
			git clone -q --bare . "$G/repo.git"
	) || fail "cannot make a test repository"
	GP=$(port_on $T4)
	git daemon --reuseaddr --export-all --base-path="$G" --listen=$T4 \
		--port="$GP" "$G" >"$TMP/git-daemon.log" 2>&1 &
	PIDS+=($!)
	wait_for 50 bash -c "exec 3<>/dev/tcp/$T4/$GP" || fail "git daemon did not start"
	session_mark
	out=$(run_lib git clone -q "git://$N4:$GP/repo.git" "$TMP/clone" 2>&1)
	if [ "$(cat "$TMP/clone/README" 2>/dev/null)" = "socksify git payload" ]; then
		expect_session "$N4:$GP" && echo "ok: git clone git://$N4:$GP/repo.git"
	else
		bad "git clone git://$N4:$GP/repo.git: '$out'"
	fi
	ran+=(git)
fi

# ---- ssh: a stand-in server sends its banner and records the client's
if command -v ssh >/dev/null; then
	SP=$(port_on $T4)
	"$PY3" - $T4 "$SP" "$TMP/ssh-banner" >"$TMP/ssh-srv.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4)
while True:
    c, _ = s.accept()
    c.settimeout(10)
    c.sendall(b"SSH-2.0-socksify_test_server\r\n")
    line = b""
    try:
        while not line.endswith(b"\n"):
            d = c.recv(1)
            if not d: break
            line += d
    except OSError:
        pass
    open(sys.argv[3], "ab").write(line)
    c.close()
PY
	PIDS+=($!)
	wait_for 50 bash -c "exec 3<>/dev/tcp/$T4/$SP" || fail "ssh stand-in did not start"
	: >"$TMP/ssh-banner"
	session_mark
	# the stand-in hangs up after the banners: ssh fails, as it should
	out=$(run_lib ssh -v -o BatchMode=yes -o ConnectTimeout=10 \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-p "$SP" "test@$N4" true 2>&1)
	if echo "$out" | grep -q 'remote software version socksify_test_server' &&
		grep -q '^SSH-2.0-' "$TMP/ssh-banner"; then
		expect_session "$N4:$SP" && echo "ok: ssh: banners exchanged with $N4:$SP"
	else
		bad "ssh to $N4:$SP: $(echo "$out" | tail -n 5)"
	fi
	ran+=(ssh)
fi

# ---- lftp: FTP control connection and a passive data connection
if command -v lftp >/dev/null && "$PY3" -c 'import pyftpdlib' 2>/dev/null; then
	F=$TMP/ftp
	mkdir -p "$F"
	echo "socksify ftp payload" >"$F/file.txt"
	FP=$(port_on $T4)
	"$PY3" -m pyftpdlib -i $T4 -p "$FP" -d "$F" >"$TMP/ftpd.log" 2>&1 &
	PIDS+=($!)
	wait_for 50 bash -c "exec 3<>/dev/tcp/$T4/$FP" || fail "pyftpdlib did not start"
	session_mark
	out=$(cd "$TMP" && run_lib lftp -e "set net:max-retries 1; set net:timeout 10; \
set ftp:passive-mode on; set ftp:prefer-epsv no; get file.txt -o $TMP/ftp.out; bye" \
		"ftp://anonymous:x@$N4:$FP" 2>&1)
	if [ "$(cat "$TMP/ftp.out" 2>/dev/null)" = "socksify ftp payload" ]; then
		# the data connection is a second tunnel, to the port PASV gave
		# (lftp connects to the control connection's peer: the name)
		data_re="dst=($N4|$T4):[0-9]+ .*result=succeeded"
		expect_session "$N4:$FP" &&
			{ new_sessions | grep -Ev "dst=$N4:$FP " | grep -Eq "$data_re" ||
				bad "lftp: no session line for the passive data connection"; } &&
			echo "ok: lftp: control to $N4:$FP and a passive data connection"
	else
		bad "lftp get ftp://$N4:$FP/file.txt: '$out'"
	fi
	ran+=(lftp)
fi

[ ${#ran[@]} -gt 0 ] || skip "none of wget, git, ssh, lftp+pyftpdlib installed"
finish "${ran[*]} through the library and socksifyd, names resolved by the proxy"
