#!/usr/bin/env bash
# The docs that vpcfw's output, docs and code cite are in the repository: every path
# `docs/NAME` named in a source, doc, example or script exists, and no citation names a
# spec by an upper-case file name as the shared folder spells them (they live in docs/).
# Run from the project root (meson test does).
set -uo pipefail
fail=0
files=$(find README.md control dataplane pcap ruleset diagram bench perf examples docs scripts packaging tests \
             -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.md' -o -name '*.json' -o -name '*.sh' \
                        -o -name '*.1' -o -name '*.in' -o -name '*.py' -o -name '*.service' \) 2>/dev/null | sort)
[ -n "$files" ] || { echo "no files to check (run from the project root)"; exit 1; }
cited=0
while IFS=: read -r file path; do
    cited=$((cited + 1))
    [ -e "$path" ] || { echo "$file: cites $path, which does not exist"; fail=1; }
done < <(grep -oE 'docs/[a-z0-9][a-z0-9_.-]*\.md' $files | sort -u)
[ "$cited" -gt 5 ] || { echo "only $cited citations of docs/ found: the search is broken"; fail=1; }
if grep -nE '\b(SEMANTICS|INTERFACE|INSPECTION|AWS-FACTS|ARCHITECTURE|STYLE)\.md' $files; then
    echo "above: citations by the old spec file names; cite docs/semantics.md etc."
    fail=1
fi
for spec in semantics interface inspection aws-facts architecture style; do
    [ -s "docs/$spec.md" ] || { echo "docs/$spec.md is missing"; fail=1; }
done
[ "$fail" -eq 0 ] && echo "docs citations: $cited distinct citations, every cited path exists"
exit "$fail"
