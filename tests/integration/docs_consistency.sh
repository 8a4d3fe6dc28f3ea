#!/usr/bin/env bash
# Help and man pages agree (issue 12): every option either command's
# --help lists is in its man page and every option the man page lists is
# in --help; every config key the parsers know (their "expected one of"
# lists, top level and each section) is in socks.conf(5) / socksifyd(8),
# and every "key = " the pages document is known; the pages are clean
# under groff -ww -man.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/helpers/lib.sh"
need python3
[ -x "$SOCKSIFY" ] && [ -x "$SOCKSIFYD" ] || skip "not built"
man=$top_srcdir/man

# key lists from the parsers' unknown-key messages
keys() { # WHICH TEXT
	printf '%s\n' "$2" >"$TMP/k.conf"
	if [ "$1" = client ]; then
		"$SOCKSIFY" --check "$TMP/k.conf" 2>&1 || true
	else
		"$SOCKSIFYD" -f "$TMP/k.conf" -l 127.0.0.1:0 2>&1 </dev/null & 
		local p=$!
		PIDS+=("$p")
		wait "$p" || true
	fi | sed -n "s/.*expected one of: \([^)]*\)).*/\1/p" | tr -d ' ' | tr ',' '\n'
}
{
	keys client 'zz_unknown = 1'
	keys client 'proxy "a" { zz_unknown = 1 }'
	keys client 'route { zz_unknown = 1 }'
} | sort -u >"$TMP/client.keys"
{
	keys server 'zz_unknown = 1'
	keys server 'rule { zz_unknown = 1 }'
} | sort -u >"$TMP/server.keys"
[ -s "$TMP/client.keys" ] && [ -s "$TMP/server.keys" ] || fail "no key lists from the parsers"
"$SOCKSIFY" --help >"$TMP/socksify.help"
"$SOCKSIFYD" --help >"$TMP/socksifyd.help"

python3 - "$man" "$TMP" <<'PY' || fail "help, keys and man pages disagree (above)"
import re, sys
man, tmp = sys.argv[1], sys.argv[2]
bad = []
def page(name):
    return open(f"{man}/{name}").read().replace("\\-", "-").replace("\\(dq", '"')
def help_opts(name):
    opts = set()
    for line in open(f"{tmp}/{name}.help"):
        if line.startswith("Usage") or re.match(r"\s", line) or line.startswith("       "):
            opts |= set(re.findall(r"(?<![\w/-])(--[a-z][a-z-]+|-[A-Za-z])\b", line))
    return opts
def man_opts(text):
    # options as items: a .TP (or .TQ) followed by a .B/.BI/.BR line
    found = set()
    for m in re.finditer(r"^\.T[PQ]\n\.(?:B|BI|BR|IR|I) (.*)$", text, re.M):
        found |= set(re.findall(r"(?<![\w/-])(--[a-z][a-z-]+|-[A-Za-z])\b", m.group(1)))
    return found
for cmd, pg in (("socksify", "socksify.1"), ("socksifyd", "socksifyd.8")):
    h, t = help_opts(cmd), page(pg)
    m = man_opts(t)
    for o in sorted(h - m):
        if o not in t:
            bad.append(f"{cmd} --help lists {o}, {pg} does not")
    for o in sorted(m - h):
        bad.append(f"{pg} documents {o}, {cmd} --help does not")
for keysf, pg in (("client.keys", "socks.conf.5"), ("server.keys", "socksifyd.8")):
    t = page(pg)
    keys = {k.strip() for k in open(f"{tmp}/{keysf}") if k.strip()}
    for k in sorted(keys):
        if not re.search(r"(^\.(?:B|BI|BR)\s+\"?|\\fB)%s\b" % re.escape(k), t, re.M):
            bad.append(f"{pg} does not document the key {k}")
    for k in sorted(set(re.findall(r'^\.BI? "?([a-z_0-9]+) = ', t, re.M)) - keys):
        bad.append(f"{pg} documents a key {k} the parser does not know")
for b in bad:
    print("MISMATCH:", b)
sys.exit(1 if bad else 0)
PY
pass "every --help option and config key is in its man page and back"

if command -v groff >/dev/null 2>&1; then
	for p in "$man"/*.[158]; do
		out=$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$p" 2>&1) ||
			fail "groff failed on $p"
		[ -z "$out" ] || fail "groff -ww -man warns on $(basename "$p"): $out"
	done
	pass "man pages clean under groff -ww -man"
fi
