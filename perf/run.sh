#!/usr/bin/env bash
# One benchmark run, baseline beside ours: for each size, dpdk-test-acl on the ClassBench
# rules and the headers our network carries (written by vpcfw-cbnet), then our classifier
# and pipeline benchmarks on the same rules and headers, then one table with the ratios
# measured in this run. Benchmarks, not tests: nothing here runs in `meson test`.
#   perf/run.sh [-b BUILD_DIR] [-s "100 1000 10000 100000"] [-t MIN_TIME] [-a ALG] [-c SET]
#     -b  build dir with perf/ built (default build-perf)
#     -s  rule counts (default "100 1000 10000 100000")
#     -t  --benchmark_min_time per benchmark, seconds (default 0.2; keep it small on shared machines)
#     -a  rte_acl method for every context: scalar|sse|avx2|avx512x16|avx512x32 (default: rte_acl's best)
#     -c  ClassBench family the sets start from: acl1 (default), fw1, ipc1, ...
# Needs jq and dpdk-test-acl (Debian package dpdk-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-perf sizes="100 1000 10000 100000" min_time=0.2 alg="" set=acl1
while getopts "b:s:t:a:c:h" o; do
    case "$o" in
    b) build=$OPTARG ;; s) sizes=$OPTARG ;; t) min_time=$OPTARG ;; a) alg=$OPTARG ;; c) set=$OPTARG ;;
    *) sed -n '2,12p' "$0"; exit 2 ;;
    esac
done
for tool in jq dpdk-test-acl; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install jq dpdk-dev)" >&2; exit 2; }
done
[ -x "$build/perf/vpcfw-cbnet" ] && [ -x "$build/perf/bench_classify" ] ||
    { echo "run.sh: build $build first (meson setup $build && ninja -C $build)" >&2; exit 2; }

data=../shared/data/classbench
work=$(mktemp -d /tmp/vpcfw-perf.XXXXXX)
trap 'rm -rf "$work"' EXIT
export VPCFW_CB_SET=$set
[ -n "$alg" ] && export VPCFW_ACL_ALG=$alg

# The rule files of a size, as perf/bench_env.cpp files_for() picks them: the family's
# _1k (<= 1000 rules) or _10k file first, then the other families in a fixed order.
files_for() {
    local suffix=_10k f list="$data/$set"
    [ "$1" -le 1000 ] && suffix=_1k
    list+=$suffix
    for f in acl1 acl2 acl3 acl4 acl5 fw1 fw2 fw3 fw4 fw5 ipc1 ipc2; do
        [ "$f" = "$set" ] || list+=",$data/$f$suffix"
    done
    echo "$list"
}

echo "== $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
filter=""
declare -A dpdk_ns dpdk_alg
for n in $sizes; do
    # Same files, counts, caps and seed as the benchmarks (perf/bench_env.cpp options_for).
    "$build/perf/vpcfw-cbnet" --rules "$(files_for "$n")" --count "$n" --form both --max-enis 20000 \
        --max-flows 100000 --seed 1 --acl-rules-out "$work/rules_$n" --acl-trace-out "$work/trace_$n" \
        2> "$work/cbnet_$n.log"
    flows=$(wc -l < "$work/trace_$n")
    iter=$(( 2000000 / flows )); [ "$iter" -lt 3 ] && iter=3
    algopt=(); [ -n "$alg" ] && algopt=(--alg="$alg")
    dpdk-test-acl --no-huge --no-pci -m 1024 --no-shconf --lcores=0 --no-telemetry --log-level=error \
        --force-max-simd-bitwidth=512 -- --rulesf="$work/rules_$n" --tracef="$work/trace_$n" \
        --rulenum=$((n + 16)) --tracenum=$((flows + 16)) --tracestep=64 --bldcat=1 --iter="$iter" \
        --verbose=1 "${algopt[@]}" > "$work/dpdk_$n.log" 2>&1 ||
        { echo "dpdk-test-acl failed for $n rules:"; tail -5 "$work/dpdk_$n.log"; exit 3; }
    pps=$(grep -o '[0-9.]* pkt/sec' "$work/dpdk_$n.log" | tail -1 | cut -d' ' -f1)
    cpp=$(grep -o '[0-9.]* cycles/pkt' "$work/dpdk_$n.log" | tail -1 | cut -d' ' -f1)
    a=$(grep -m1 -o 'alg=[0-9]*' "$work/dpdk_$n.log" | cut -d= -f2)
    names=(default scalar sse avx2 neon altivec avx512x16 avx512x32)
    dpdk_alg[$n]=${names[$a]:-$a}
    dpdk_ns[$n]=$(awk -v p="$pps" 'BEGIN { printf "%.1f", 1e9 / p }')
    echo "dpdk-test-acl $n rules: ${flows} headers x $iter, alg ${dpdk_alg[$n]}, $cpp cycles/pkt, ${dpdk_ns[$n]} ns/pkt"
    sed -n '1,3p' "$work/cbnet_$n.log" | sed 's/^/    /'
    filter+="${filter:+|}/$n\$"
done

echo "== our benchmarks (min_time $min_time s)"
"$build/perf/bench_classify" --benchmark_filter="$filter" --benchmark_min_time="$min_time" \
    --benchmark_out="$work/classify.json" --benchmark_out_format=json 2>&1 | grep -E '^(#|[a-z_]+/)' || true
if [ -x "$build/perf/bench_pipeline" ]; then
    "$build/perf/bench_pipeline" --benchmark_filter="^(pipeline|reference).*($filter)" \
        --benchmark_min_time="$min_time" --benchmark_out="$work/pipeline.json" --benchmark_out_format=json 2>&1 |
        grep -E '^(#|[a-z_]+/)' || true
else
    echo '[]' | jq '{benchmarks: .}' > "$work/pipeline.json"
fi

# name -> ns/pkt (rdtsc, wall) and Mpps, from both JSON files.
jq -r '.benchmarks[] | [.name, .["ns/pkt"], .Mpps] | @tsv' "$work/classify.json" "$work/pipeline.json" > "$work/ours.tsv"
get() { awk -v k="$1" -v c="$2" -F'\t' '$1 == k { v = $c } END { if (v == "") print "-"; else printf "%.1f", v }' "$work/ours.tsv"; }

echo
echo "== results: ns per packet (wall clock, rte_rdtsc / dpdk-test-acl), ratio = ours / dpdk-test-acl in this run"
printf '%-7s %-9s %9s %9s %9s %9s %9s %9s %9s %8s %10s %9s %9s\n' rules alg dpdk-acl raw_acl nacl sg nacl+sg \
    pipe_new pipe_est est_Mpps reference "nacl+sg/x" "new/x"
for n in $sizes; do
    d=${dpdk_ns[$n]}
    raw=$(get "raw_acl/$n" 2) nacl=$(get "nacl/$n" 2) sg=$(get "sg/$n" 2) both=$(get "nacl_sg/$n" 2)
    new=$(get "pipeline_new/$n" 2) est=$(get "pipeline_established/$n" 2) mpps=$(get "pipeline_established/$n" 3)
    ref=$(get "reference/$n" 2)
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
    printf '%-7s %-9s %9s %9s %9s %9s %9s %9s %9s %8s %10s %9s %9s\n' "$n" "${dpdk_alg[$n]}" "$d" "$raw" "$nacl" "$sg" \
        "$both" "$new" "$est" "$mpps" "$ref" "$(ratio "$both" "$d")" "$(ratio "$new" "$d")"
done
echo "targets: new-flow (pipe_new) <= 2x dpdk-acl; established >= 14.88 Mpps at 10k rules; reference / pipe_new >= 100"
