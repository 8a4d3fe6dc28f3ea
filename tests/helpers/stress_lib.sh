# shellcheck shell=bash
# Shared by the two runs of the stress program (tests/helpers/stress.c):
# tests/integration/preload_stress.sh (real LD_PRELOAD) and
# tests/tsan/stress_tsan.sh (library code in-process, ThreadSanitizer).
# Source after lib.sh.
#
# The target is an echo server on 127.0.0.2: loopback, so nothing leaves
# the machine, but routed via socksifyd by the config, so every tunnel
# the program verifies must show up as a session in socksifyd's log.
# STRESS_SECONDS (default 3) and STRESS_SEED (default: the clock) are
# passed on; the seed is printed by the program to replay a run.

STRESS_T=127.0.0.2

# stress_setup: socksifyd on 127.0.0.1:0, the echo server and the config;
# sets STRESS_CONF (and SOCKSIFYD_*, ECHO_PORT).
stress_setup() {
	start_socksifyd
	start_echo "$STRESS_T"
	STRESS_CONF=$TMP/stress.conf
	cat >"$STRESS_CONF" <<EOC
timeout = 5
proxy "p" { url = "socks5://127.0.0.1:$SOCKSIFYD_PORT" }
route { to = "$STRESS_T/32" via = "p" }
route { to = { "0.0.0.0/0", "::/0" } via = "direct" }
EOC
}

# stress_run OUT CMD...: run CMD (the program and any wrapper) with the
# duration, seed and target; output to OUT and stdout; the exit status
# in STRESS_RC.
stress_run() {
	local out=$1 args=(-d "${STRESS_SECONDS:-3}")
	shift
	[ -n "${STRESS_SEED:-}" ] && args+=(-s "$STRESS_SEED")
	STRESS_RC=0
	"$@" "${args[@]}" "$STRESS_T" "$ECHO_PORT" >"$out" 2>&1 || STRESS_RC=$?
	cat "$out"
}

# stress_check_sessions OUT: the program reported OK, and socksifyd logged
# (bounded wait) at least as many successful sessions to the target as it
# verified tunnels.  A tunnel that went direct has no session line.
stress_check_sessions() {
	local out=$1 tunnels n=0 i
	tunnels=$(sed -n 's/^stress: OK .* tunnels=\([0-9]\+\) .*/\1/p' "$out")
	[ -n "$tunnels" ] || fail "no OK line from the stress program"
	[ "$tunnels" -gt 0 ] || fail "the stress program verified no tunnel"
	for ((i = 0; i < 100 * SOCKSIFY_SLOW; i++)); do
		n=$(grep -c "session: .*dst=$STRESS_T:$ECHO_PORT .*result=succeeded" \
			"$SOCKSIFYD_LOG" || true)
		[ "$n" -ge "$tunnels" ] && break
		sleep 0.1
	done
	[ "$n" -ge "$tunnels" ] ||
		fail "socksifyd logged $n sessions to the target, the program verified $tunnels tunnels (some went direct?)"
	echo "ok: $tunnels verified tunnels, $n socksifyd sessions"
}
