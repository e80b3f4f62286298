#!/usr/bin/env bash
# Fuzzes vpcfw's parsers with libFuzzer, ASan and UBSan (clang++; ruleset/*.cpp and the few
# other sources a target needs compiled directly; output in build-fuzz/). Targets, each a
# tests/fuzz/TARGET_fuzz.cpp with a seed corpus built here:
#   loader   the AWS JSON loader (seeds: the AWS snapshots and the ec2-examples outputs)
#   packet   the packet language (seeds: every packet of tests/scenarios, docs/interface.md's)
#   control  the control-socket protocol, control_reply against a fake run (seeds: requests
#            built from the scenarios' packets and apply steps)
#   pcap     the pcap/pcapng reader (seeds: ../shared/data/pcaps and examples/ under 1 MB)
#   frame    the frame parser, every link type (seeds: the frames of those captures)
#   scenario scenario files through the reference evaluator (seeds: tests/scenarios with
#            their network replaced by examples/network.json); scenario.cpp references the
#            compiler, so this target links the normal build's libraries (VPCFW_BUILD,
#            default build/) and DPDK, and is skipped when that build is missing
#
# Usage: tests/fuzz/run.sh [RUNS] [TARGET...]   (default 100000 inputs, every target;
#        exit status non-zero on a finding)
# Environment: CXX (default clang++), VPCFW_SHARED_DATA (default ../shared/data),
#              FUZZ_SECONDS (a time bound per target, libFuzzer -max_total_time; default
#              none), FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2").
# Findings (crash-*, leak-*, timeout-*) are kept in build-fuzz/TARGET- for replay:
#   build-fuzz/pcap_fuzz build-fuzz/pcap-crash-...
set -euo pipefail

RUNS=${1:-100000}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(loader packet control pcap frame scenario)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${VPCFW_SHARED_DATA:-$ROOT/../shared/data}
CXX=${CXX:-clang++}
OUT=$ROOT/build-fuzz
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I"$ROOT")
NOLINK=("${FLAGS[@]/-fsanitize=fuzzer,address,undefined/-fsanitize=fuzzer-no-link,address,undefined}")

command -v "$CXX" >/dev/null || { echo "run.sh: $CXX not found" >&2; exit 2; }
[ -d "$DATA/aws-snapshots" ] || { echo "run.sh: no data at $DATA" >&2; exit 2; }
mkdir -p "$OUT/obj"

# compile SRC [required]: an instrumented object (again when it or a header changed), its
# path on stdout. A ruleset source the targets do not need may be mid-edit: skipped with a
# warning (the link fails if a target needed it after all); a required one must compile.
newest_header=$(ls -t "$ROOT"/ruleset/*.hpp "$ROOT"/control/control_socket.hpp "$ROOT"/pcap/reader.hpp "$ROOT"/pcap/capture_stream.hpp | head -1)
compile() {  # compile SRC [required [EXTRA FLAGS...]]
    local src=$1 req=${2:-} obj
    shift $(( $# < 2 ? $# : 2 ))
    obj="$OUT/obj/$(basename "$(dirname "$src")")-$(basename "${src%.cpp}").o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
        echo "compiling ${src#$ROOT/}" >&2
        # -fsanitize=fuzzer-no-link: instrument for coverage without a second main().
        if ! "$CXX" "${NOLINK[@]}" "$@" -c "$src" -o "$obj" 2>"$OUT/obj/last-error.txt"; then
            rm -f "$obj"
            if [ "$req" = required ]; then cat "$OUT/obj/last-error.txt" >&2; return 1; fi
            echo "run.sh: warning: $(basename "$src") does not compile; left out" >&2
            return 0
        fi
    fi
    echo "$obj"
}

# --- build: the ruleset library once (linked through an archive, so that only what a
# target needs is pulled in), then each target.
objs=()
for src in "$ROOT"/ruleset/*.cpp; do
    o=$(compile "$src") || exit 2
    [ -n "$o" ] && objs+=("$o")
done
rm -f "$OUT/libruleset_fuzz.a"
ar rcs "$OUT/libruleset_fuzz.a" "${objs[@]}"
BUILD=${VPCFW_BUILD:-$ROOT/build}
built=()
for t in "${TARGETS[@]}"; do
    extra=() libs=() flags=()
    case $t in
        loader|packet) ;;
        scenario)
            if [ ! -f "$BUILD/control/libvpcfw_compiler.a" ] || ! pkg-config --exists libdpdk; then
                echo "run.sh: scenario target skipped: no $BUILD/control/libvpcfw_compiler.a or no DPDK" >&2
                continue
            fi
            # shellcheck disable=SC2207
            extra=("$(compile "$ROOT/control/scenario.cpp" required $(pkg-config --cflags libdpdk))") || exit 2
            libs=("$BUILD/control/libvpcfw_compiler.a" "$BUILD/dataplane/libvpcfw_pipeline.a"
                  "$BUILD/dataplane/libvpcfw_parse.a" "$OUT/libruleset_fuzz.a" $(pkg-config --libs libdpdk))
            flags=(-DVPCFW_SOURCE_DIR="\"$ROOT\"" $(pkg-config --cflags libdpdk)) ;;
        control) extra=("$(compile "$ROOT/control/control_socket.cpp" required)") || exit 2 ;;
        pcap) extra=("$(compile "$ROOT/pcap/reader.cpp" required)" "$(compile "$ROOT/pcap/capture_stream.cpp" required)") || exit 2
              libs=(-lpcap -lz -lzstd) ;;
        frame) extra=("$(compile "$ROOT/dataplane/parse.cpp" required)") || exit 2 ;;
        *) echo "run.sh: unknown target '$t' (loader, packet, control, pcap, frame, scenario)" >&2; exit 2 ;;
    esac
    echo "linking ${t}_fuzz"
    "$CXX" "${FLAGS[@]}" "${flags[@]}" "$ROOT/tests/fuzz/${t}_fuzz.cpp" "${extra[@]}" "$OUT/libruleset_fuzz.a" "${libs[@]}" \
        -o "$OUT/${t}_fuzz" || exit 2
    built+=("$t")
done

# --- corpora and dictionaries (libFuzzer format: one "quoted" token a line).
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vpcfw-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
seed() {  # seed TARGET < TEXT: one seed file
    local d="$WORK/$1"; mkdir -p "$d"
    cat > "$d/seed-$(ls "$d" | wc -l)"
}
scenario_packets() {
    { jq -r '.steps[]? | .packet? // empty' "$ROOT"/tests/scenarios/*.json 2>/dev/null || true; } | sort -u | head -400
}
corpus_loader() {
    local f d w
    for f in "$DATA"/aws-snapshots/*/*.json; do seed loader < "$f"; done
    for d in "$DATA"/aws-snapshots/*/; do jq -s 'add' "$d"*.json | seed loader; done
    for f in "$DATA"/ec2-examples/*.json "$DATA"/ec2-examples/cli/*.json; do
        { jq -e '.output | objects' "$f" 2>/dev/null || true; } | seed loader
    done
    find "$WORK/loader" -size 0 -delete
    grep -oh '"[A-Za-z0-9]\+"' "$ROOT/ruleset/loader.cpp" | sort -u | sed 's/^"\(.*\)"$/"\\"\1\\""/' > "$WORK/loader.dict"
    for w in tcp -1 0.0.0.0/0 ::/0 local igw- vpce- eni- associated blackhole; do
        printf '"\\"%s\\""\n' "$w"
    done >> "$WORK/loader.dict"
    printf '"%s"\n' true false null '[]' '{}' ': ' ', ' >> "$WORK/loader.dict"
}
corpus_packet() {
    local p
    while IFS= read -r p; do printf '%s' "$p" | seed packet; done < <(scenario_packets)
    for p in 'tcp 10.0.1.10:40000 -> 10.0.2.20:443 flags=S' 'icmpv6 [2001:db8:1::10] -> [2001:db8:2::20] type=128 code=0' \
             '17 10.0.1.10 -> 10.0.2.20 frag=last id=7' 'udp 10.0.1.10:5353 -> 10.0.0.2:53 len=100 ttl=1 vlan=5'; do
        printf '%s' "$p" | seed packet
    done
    printf '"%s"\n' tcp udp icmp icmpv6 ' -> ' 'flags=' 'type=' 'code=' 'len=' 'ttl=' 'vlan=' 'frag=' 'id=' \
        first more last '[' ']:' ':' > "$WORK/packet.dict"
}
corpus_control() {
    local p
    printf '{"cmd":"stats"}' | seed control
    printf '{"cmd":"flows"}' | seed control
    printf '{"cmd":"reload","network":"/tmp/net.json"}' | seed control
    while IFS= read -r p; do jq -nc --arg p "$p" '{cmd:"explain",packet:$p,from:"auto"}' | seed control; done \
        < <(scenario_packets | head -50)
    { jq -c '.steps[]? | .apply? // empty | {cmd:"apply", action:.action, params:(.params // {})}' \
        "$ROOT"/tests/scenarios/*.json 2>/dev/null || true; } | sort -u | head -200 |
        while IFS= read -r p; do printf '%s' "$p" | seed control; done
    printf '"%s"\n' '"cmd"' '"apply"' '"reload"' '"stats"' '"flows"' '"explain"' '"action"' '"params"' '"packet"' \
        '"from"' '"network"' '{' '}' '[' ']' > "$WORK/control.dict"
}
corpus_scenario() {
    local f
    for f in "$ROOT"/tests/scenarios/*.json; do
        { jq -c '.network = "network.json"' "$f" 2>/dev/null || true; } | seed scenario
    done
    find "$WORK/scenario" -size 0 -delete
    printf '"%s"\n' '"steps"' '"at"' '"from"' '"packet"' '"expect"' '"apply"' '"action"' '"params"' \
        '"expect_error"' '"network"' '"network.json"' '{' '}' '[' ']' > "$WORK/scenario.dict"
}
corpus_pcap() {
    local f
    for f in "$DATA"/pcaps/*.pcap* "$ROOT"/examples/*.pcap*; do
        if [ "$(stat -c %s "$f")" -lt 1000000 ]; then seed pcap < "$f"; fi
    done
    : > "$WORK/pcap.dict"
}
corpus_frame() {   # [link byte][0][frame] for the first 200 frames of each classic pcap
    mkdir -p "$WORK/frame"
    python3 - "$WORK/frame" "$DATA"/pcaps/*.pcap "$ROOT"/examples/*.pcap <<'PY'
import struct, sys, os
out, links = sys.argv[1], {0: 0, 1: 1, 9: 2, 12: 3, 14: 4, 50: 5, 101: 6, 108: 7, 113: 8, 228: 9, 229: 10, 276: 11}
n = 0
for path in sys.argv[2:]:
    try:
        b = open(path, "rb").read(1 << 20)
        magic = b[:4]
        e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">" if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d") else None
        if e is None or len(b) < 24: continue
        link = struct.unpack(e + "I", b[20:24])[0] & 0xFFFF
        if link not in links: continue
        off, k = 24, 0
        while off + 16 <= len(b) and k < 200:
            cap = struct.unpack(e + "I", b[off + 8:off + 12])[0]
            if cap > 65535 or off + 16 + cap > len(b): break
            open(os.path.join(out, "seed-%d" % n), "wb").write(bytes([links[link], 0]) + b[off + 16:off + 16 + cap])
            off, k, n = off + 16 + cap, k + 1, n + 1
    except OSError:
        pass
PY
    : > "$WORK/frame.dict"
}

# --- run each target for RUNS inputs (or FUZZ_SECONDS).
status=0
for t in "${built[@]}"; do
    "corpus_$t"
    dict=()
    [ -s "$WORK/$t.dict" ] && dict=(-dict="$WORK/$t.dict")
    bound=()
    [ -n "${FUZZ_SECONDS:-}" ] && bound=(-max_total_time="$FUZZ_SECONDS")
    echo "$t: $(ls "$WORK/$t" | wc -l) seeds; running $RUNS inputs${FUZZ_SECONDS:+ (at most $FUZZ_SECONDS s)}"
    start=$(date +%s)
    set +e
    "$OUT/${t}_fuzz" -runs="$RUNS" "${bound[@]}" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
        "${dict[@]}" -artifact_prefix="$OUT/$t-" -print_final_stats=1 ${FUZZ_ARGS:-} "$WORK/$t" 2>&1 |
        grep -v '^#[0-9]*\s*\(NEW\|REDUCE\|pulse\)'
    rc=${PIPESTATUS[0]}
    set -e
    echo "run.sh: $t: exit status $rc after $(( $(date +%s) - start )) s"
    [ "$rc" -eq 0 ] || status=$rc
done
exit $status
