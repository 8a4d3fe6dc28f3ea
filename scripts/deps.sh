# Sourced by ./scripts/test and ./scripts/demo: the Debian packages the
# build, the tests and the demo need, and install_deps, which installs the
# missing ones with apt-get (as root; otherwise it names them and fails).
# PKGS may be narrowed by the caller before install_deps runs.
PKGS=(
	build-essential autoconf automake libtool pkg-config
	libconfuse-dev check
	gcovr
	curl netcat-openbsd socat python3 python3-socks nodejs
	wget git openssh-client lftp python3-pyftpdlib
	dante-client dante-server microsocks proxychains4 iputils-ping iperf3
	iproute2 iptables nftables tcpdump procps psmisc
	openssl dnsutils
	golang-go liblwip-dev
	chromium
	debhelper dpkg-dev lintian fakeroot
)

install_deps() {
	local missing=() p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "scripts/test: missing packages: ${missing[*]} (run as root to install)" >&2
		return 1
	fi
	echo "scripts/test: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
}

