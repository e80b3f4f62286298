#!/usr/bin/env bash
# The code map (docs/code-map.md) stays true: every source file of the product folders
# (ruleset/, diagram/, dataplane/, pcap/, bench/, control/, perf/) and every folder of tests/ has its line,
# and every path the map names exists. Run from the project root (meson test does).
set -uo pipefail
map=docs/code-map.md
[ -f "$map" ] || { echo "missing $map"; exit 1; }
fail=0
while IFS= read -r f; do
    grep -qF "\`$f\`" "$map" || { echo "$map: no line for $f"; fail=1; }
done < <(find ruleset diagram dataplane pcap bench control perf -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.sh' \) | sort
         find tests -mindepth 1 -maxdepth 1 -type d | sort | sed 's|$|/|')
while IFS= read -r p; do
    [ -e "$p" ] || { echo "$map: names $p, which does not exist"; fail=1; }
done < <(grep -o '`[a-z][a-zA-Z0-9_./-]*`' "$map" | tr -d '`' | grep '/' | sort -u)
[ "$fail" -eq 0 ] && echo "code map: every source file and test folder is listed"
exit "$fail"
