#!/usr/bin/env bash
# `vpcfw diagram` end to end: every view as SVG (well-formed XML, by xmllint), PNG and DOT
# (on stdout too) for the bundled example and every real export; bad input is exit 2 with a
# message naming the problem (unknown view, unknown --vpc, a packet that does not parse, an
# output extension we do not write); the README pictures regenerate byte for byte.
#   diagram_cli_test.sh VPCFW SOURCE_DIR
set -uo pipefail
vpcfw="$(realpath "$1")"; src="$2"
cd "$src"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

nets=(examples/network.json ../shared/data/aws-snapshots/test-nat-gateway
      ../shared/data/aws-snapshots/test-public-private-subnet ../shared/data/aws-snapshots/test-vpc-peering)
for net in "${nets[@]}"; do
    for view in sg layers; do
        "$vpcfw" diagram --network "$net" --view "$view" --out "$tmp/d.svg" 2>"$tmp/err" || bad "$net $view: exit $?: $(cat "$tmp/err")"
        xmllint --noout "$tmp/d.svg" || bad "$net $view: SVG not well-formed"
        grep -q '<svg' "$tmp/d.svg" || bad "$net $view: no <svg>"
        "$vpcfw" diagram --network "$net" --view "$view" --out - >"$tmp/d.dot" 2>/dev/null || bad "$net $view: DOT on stdout failed"
        head -1 "$tmp/d.dot" | grep -q '^digraph' || bad "$net $view: DOT does not start with digraph"
    done
done
"$vpcfw" diagram --network examples/network.json --view layers --out "$tmp/d.png" 2>/dev/null || bad "png failed"
[ "$(head -c 4 "$tmp/d.png" | tail -c 3)" = PNG ] || bad "not a PNG"
"$vpcfw" diagram --network examples/network.json --view path --from internet \
    --packet 'tcp 8.8.8.8:40000 -> 203.0.113.20:22' --out "$tmp/p.svg" 2>/dev/null || bad "path view failed"
xmllint --noout "$tmp/p.svg" || bad "path SVG not well-formed"
grep -q 'DROP at nacl&#45;ingress\|DROP at nacl-ingress' "$tmp/p.svg" || bad "path SVG does not name the drop"

expect2() {  # expect2 WORD-IN-MESSAGE ARGS...
    local want="$1"; shift
    "$vpcfw" diagram "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
    [ "$rc" -eq 2 ] || bad "diagram $*: exit $rc, want 2"
    grep -q -- "$want" "$tmp/err" || bad "diagram $*: message lacks '$want': $(cat "$tmp/err")"
}
expect2 "chains" --network examples/network.json --view chains --out "$tmp/x.svg"
expect2 "vpc-0000" --network examples/network.json --view layers --vpc vpc-0000 --out "$tmp/x.svg"
expect2 "--packet" --network examples/network.json --view path --packet 'tcp nonsense' --out "$tmp/x.svg"
expect2 "--packet" --network examples/network.json --view path --out "$tmp/x.svg"
expect2 ".jpg" --network examples/network.json --view sg --out "$tmp/x.jpg"
expect2 "--from" --network examples/network.json --view path --packet 'tcp 10.0.0.10:1 -> 10.0.10.20:8080' --from nowhere --out "$tmp/x.svg"
expect2 "required" --network examples/network.json --out "$tmp/x.svg"
[ ! -e "$tmp/x.svg" ] || bad "a refused request wrote its output"
"$vpcfw" diagram --help | grep -q -- "--view" || bad "--help does not describe --view"

# cgraph orders subgraphs by the addresses of their names, so under the sanitizers' allocator
# the same graph lays out differently (equally valid): the byte comparison is the normal
# build's (scripts/test.sh sets VPCFW_SANITIZED for the ASan run).
if [ -z "${VPCFW_SANITIZED:-}" ]; then
    scripts/diagram_pictures.sh "$vpcfw" --check || bad "README pictures differ"
else
    echo "README pictures: not compared under the sanitizers (see above)"
fi
[ "$fail" -eq 0 ] && echo "diagram CLI: views, formats, exit codes and README pictures as expected"
exit "$fail"
