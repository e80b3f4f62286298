#!/usr/bin/env bash
# `vpcfw replay --report` opened in headless Chromium: the page is one file with no external
# reference (no src=/href= to anything but itself, no script), Chromium renders it with no
# console error, its summary and its charts show the numbers of the replay summary
# (--summary-json), and a screenshot is kept in the build directory
# (tests/diagram/replay-report.png). Skips (77) only when chromium is not installed.
#   report_chromium_test.sh VPCFW SOURCE_DIR BUILD_DIR
set -uo pipefail
vpcfw="$(realpath "$1")"; src="$2"; out="$(realpath "$3")"
command -v chromium >/dev/null || { echo "SKIP: chromium not installed (Debian package chromium)"; exit 77; }
cd "$src"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$vpcfw" replay --network examples/network.json --pcap examples/capture.pcap --no-progress \
    --summary-json "$tmp/s.json" --report "$tmp/report.html" >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; exit 1; }
[ ! -e "$tmp/report.html.decisions.tmp" ] || bad "temporary decisions left behind"
grep -Eq '<script|src=|<link|@import|https?://[a-z]' <(sed 's/xmlns[:a-z]*="[^"]*"//g' "$tmp/report.html") &&
    bad "the page references something outside itself: $(grep -Eo '<script|src=[^ ]*|<link|@import|https?://[a-z][^" ]*' <(sed 's/xmlns[:a-z]*="[^"]*"//g' "$tmp/report.html") | sort -u | head -3)"

# Render: DOM after layout, console messages on stderr, and a screenshot.
chromium --headless --disable-gpu --no-sandbox --enable-logging=stderr --v=0 --dump-dom \
    "file://$tmp/report.html" >"$tmp/dom.html" 2>"$tmp/console.log"
grep -i 'CONSOLE' "$tmp/console.log" | grep -iv 'dbus' && bad "console messages while rendering the report"
chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1400,4000 \
    --screenshot="$out/replay-report.png" "file://$tmp/report.html" >/dev/null 2>&1
[ -s "$out/replay-report.png" ] || bad "no screenshot"

# The numbers of the summary, in the rendered page: summary cells and the charts' labels.
num() { jq -r "$1" "$tmp/s.json"; }
for id in packets accepted dropped flows; do
    v="$(num ".$id")"
    grep -q "id=\"$id\">$v<" "$tmp/dom.html" || bad "summary $id $v not in the rendered page"
done
# The drops-by-layer figure holds each layer's count (gnuplot's text labels).
fig="$(sed -n '/<figure id="drops-by-layer">/,/<\/figure>/p' "$tmp/dom.html")"
for layer in $(num '.dropped_by_layer | keys[]'); do
    v="$(num ".dropped_by_layer[\"$layer\"]")"
    grep -q ">$v<" <<<"$fig" || bad "drops-by-layer figure lacks $layer = $v"
    grep -q ">$layer<" <<<"$fig" || bad "drops-by-layer figure lacks the label $layer"
done
fig="$(sed -n '/<figure id="drops-by-rule">/,/<\/figure>/p' "$tmp/dom.html")"
top="$(num '.drop_rules | to_entries | max_by(.value) | .value')"
grep -q ">$top<" <<<"$fig" || bad "drops-by-rule figure lacks the top rule's count $top"
grep -q '<figure id="over-time"><svg' "$tmp/dom.html" || bad "no decisions-over-time chart"
grep -q '<figure id="layers"><svg' "$tmp/dom.html" || bad "no layers diagram"
grep -q 'packets<' "$tmp/dom.html" || bad "the layers diagram shows no packet counts"
[ "$fail" -eq 0 ] && echo "replay report: self-contained, rendered by Chromium without console errors, numbers match; screenshot $out/replay-report.png"
exit "$fail"
