#!/usr/bin/env bash
# Fuzzes the AWS JSON loader: builds tests/fuzz/loader_fuzz.cpp with libFuzzer, ASan and
# UBSan (clang++, ruleset/*.cpp compiled directly; output in build-fuzz/), seeds a corpus
# from the AWS snapshots and the ec2-examples outputs, and runs RUNS inputs.
#
# Usage: tests/fuzz/run.sh [RUNS]     (default 100000; exit status non-zero on a finding)
# Environment: CXX (default clang++), VPCFW_SHARED_DATA (default ../shared/data),
#              FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2").
# Findings (crash-*, leak-*, timeout-*) are kept in build-fuzz/ for replay:
#   build-fuzz/loader_fuzz build-fuzz/crash-...
set -euo pipefail

RUNS=${1:-100000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${VPCFW_SHARED_DATA:-$ROOT/../shared/data}
CXX=${CXX:-clang++}
OUT=$ROOT/build-fuzz
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I"$ROOT")

command -v "$CXX" >/dev/null || { echo "run.sh: $CXX not found" >&2; exit 2; }
[ -d "$DATA/aws-snapshots" ] || { echo "run.sh: no data at $DATA" >&2; exit 2; }
mkdir -p "$OUT/obj"

# --- build: each ruleset source once (again when it or a header changed), then link
# through an archive so that only what the loader needs is pulled in.
newest_header=$(ls -t "$ROOT"/ruleset/*.hpp | head -1)
objs=()
for src in "$ROOT"/ruleset/*.cpp; do
    obj="$OUT/obj/$(basename "${src%.cpp}").o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
        echo "compiling $(basename "$src")"
        # -fsanitize=fuzzer-no-link: instrument for coverage without a second main().
        # A source the loader does not need may be mid-edit: skip it; the link below
        # fails if the loader needed it after all.
        if ! "$CXX" "${FLAGS[@]/-fsanitize=fuzzer,address,undefined/-fsanitize=fuzzer-no-link,address,undefined}" \
                -c "$src" -o "$obj" 2>"$OUT/obj/last-error.txt"; then
            echo "run.sh: warning: $(basename "$src") does not compile; left out" >&2
            rm -f "$obj"
            continue
        fi
    fi
    objs+=("$obj")
done
rm -f "$OUT/libruleset_fuzz.a"
ar rcs "$OUT/libruleset_fuzz.a" "${objs[@]}"
echo "linking loader_fuzz"
"$CXX" "${FLAGS[@]}" "$ROOT/tests/fuzz/loader_fuzz.cpp" "$OUT/libruleset_fuzz.a" -o "$OUT/loader_fuzz"

# --- corpus: every snapshot file, each snapshot as one bundle, every example output.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vpcfw-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/corpus"
n=0
for f in "$DATA"/aws-snapshots/*/*.json; do
    n=$((n + 1)); cp "$f" "$WORK/corpus/seed-$n.json"
done
for d in "$DATA"/aws-snapshots/*/; do
    n=$((n + 1)); jq -s 'add' "$d"*.json > "$WORK/corpus/seed-$n.json"
done
for f in "$DATA"/ec2-examples/*.json "$DATA"/ec2-examples/cli/*.json; do
    n=$((n + 1)); jq -e '.output | objects' "$f" > "$WORK/corpus/seed-$n.json" 2>/dev/null || rm -f "$WORK/corpus/seed-$n.json"
done
n=$(ls "$WORK/corpus" | wc -l)
# Dictionary (libFuzzer format: one "quoted" token a line): the AWS keys the loader reads,
# as JSON strings, and a few value spellings and literals.
grep -oh '"[A-Za-z0-9]\+"' "$ROOT/ruleset/loader.cpp" | sort -u | sed 's/^"\(.*\)"$/"\\"\1\\""/' > "$WORK/aws.dict"
for t in tcp -1 0.0.0.0/0 ::/0 local igw- vpce- eni- associated blackhole; do
    printf '"\\"%s\\""\n' "$t"
done >> "$WORK/aws.dict"
printf '"%s"\n' true false null '[]' '{}' ': ' ', ' >> "$WORK/aws.dict"
echo "corpus: $n seeds; running $RUNS inputs"

# --- run
start=$(date +%s)
set +e
"$OUT/loader_fuzz" -runs="$RUNS" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -dict="$WORK/aws.dict" -artifact_prefix="$OUT/" -print_final_stats=1 ${FUZZ_ARGS:-} \
    "$WORK/corpus"
status=$?
set -e
echo "run.sh: $RUNS runs in $(( $(date +%s) - start )) s, exit status $status"
exit $status
