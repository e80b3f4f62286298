#!/bin/bash
# `vpcfw bench` end to end (short: --seconds 0.2 per case): the JSON validates against
# docs/schema/bench.schema.json (every figure positive), the ratios are those of the same
# run's figures, the table prints, and bad input exits 2 naming the problem.
# Usage: bench_test.sh VPCFW SOURCE_DIR
set -u
vpcfw=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --capacity 8192: the warm set fits, the SYN flood reaches the limit within a second.
"$vpcfw" bench --network "$src/examples/network.json" --seconds 0.2 --flows 2000 --capacity 8192 --json > "$tmp/out.json" 2> "$tmp/err" \
    || { cat "$tmp/err" >&2; fail "bench --json exited $?"; }
python3 - "$src/docs/schema/bench.schema.json" "$tmp/out.json" <<'PY' || fail "JSON check"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema)
cases = {c["name"]: c for c in doc["cases"]}
assert set(cases) >= {"mixed", "established", "new"}, cases.keys()
mixed, fwd = cases["mixed"], doc["baselines"]["forward"]
r = doc["ratios"]
assert abs(r["mixed_mpps_vs_forward"] - mixed["mpps"] / fwd["mpps"]) < 1e-9 * max(1, r["mixed_mpps_vs_forward"])
raw = doc["baselines"]["raw_acl"]["cycles_per_lookup"]
est = doc["cycles_per_packet"]["established"]
assert abs(r["established_cycles_vs_raw_acl"] - est / raw) < 1e-9 * max(1, est / raw)
assert est == cases["established"]["cycles_per_packet"]
# the established case is served from the flow cache, the new case opens flows
assert cases["established"]["flow_cache_hits"] > cases["established"]["flow_cache_misses"], cases["established"]
assert cases["new"]["flow_cache_misses"] > 0
assert "denied" in cases and cases["denied"]["dropped"] >= 0.9 * cases["denied"]["packets"], cases.get("denied")
# the same denied flows again: SG/NACL drops are served from the flow cache (negative entries)
rep = cases["denied-repeat"]
assert rep["dropped"] >= 0.9 * rep["packets"] and rep["flow_cache_hits"] > 0, rep
for c in doc["cases"]:
    assert c["accepted"] + c["dropped"] == c["packets"], c
    assert c["burst_latency_us"]["p50"] <= c["burst_latency_us"]["p99"] <= c["burst_latency_us"]["p99_9"]
assert [u["what"] for u in doc["updates"]] == ["apply AuthorizeSecurityGroupIngress", "reload"], doc["updates"]
# every sample of both updates compiled and reached the workers (successive versions once
# failed to compile: rte_fib names collided)
assert all(u["samples"] == 5 and u["error"] == "" for u in doc["updates"]), doc["updates"]
# the connection table at its limit: new flows refused at layer conntrack, established
# flows keep their accepted share, memory does not grow with the flood
lim = doc["conntrack_limit"]
assert lim["reached"] and lim["capacity_per_worker"] == 8192, lim
flood, at_limit, est_case = cases["flood"], cases["established-at-limit"], cases["established"]
assert flood["conntrack_full"] > 0 and flood["drops_by_layer"].get("conntrack", 0) >= flood["conntrack_full"], flood
share = lambda c: c["accepted"] / c["packets"]
assert abs(share(at_limit) - share(est_case)) < 0.05, (share(at_limit), share(est_case))
assert lim["rss_after_bytes"] - lim["rss_at_limit_bytes"] < 16 << 20, lim
assert doc["machine"]["acl_method"] == doc["baselines"]["raw_acl"]["method"]
PY

"$vpcfw" bench --network "$src/examples/network.json" --seconds 0.1 --flows 500 --capacity 4096 > "$tmp/table" 2>&1 || fail "table run"
for w in "case" mixed established new "forward loop" "raw rte_acl_classify" "update: reload" "connection table at its limit" established-at-limit; do
    grep -q "$w" "$tmp/table" || { cat "$tmp/table"; fail "table lacks '$w'"; }
done

# Sweeps draw an SVG (gnuplot): well-formed XML that names its axes, on the bundled network
# and on a real export.
for n in "$src/examples/network.json" "$src/../shared/data/aws-snapshots/test-nat-gateway"; do
    "$vpcfw" bench --network "$n" --seconds 0.05 --flows 200 --sweep rules=1k,10k --svg "$tmp/s.svg" > "$tmp/sweep" 2>&1 \
        || { cat "$tmp/sweep"; fail "sweep on $n"; }
    [ "$(grep -c '^1000 \|^10000 ' "$tmp/sweep")" -eq 2 ] || { cat "$tmp/sweep"; fail "sweep on $n: not one line per point"; }
    python3 - "$tmp/s.svg" <<'PY' || fail "SVG of $n"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag.endswith("svg"), root.tag
text = " ".join(t.strip() for t in root.itertext())
for label in ("rules added", "Mpps", "cycles per packet", "established", "forward loop", "raw rte"):
    assert label in text, (label, text[:400])
PY
done

refuse() {   # expected message part, then arguments
    local want=$1; shift
    "$vpcfw" bench "$@" > /dev/null 2> "$tmp/e"
    local rc=$?
    [ $rc -eq 2 ] || fail "bench $* exited $rc, not 2"
    grep -q -- "$want" "$tmp/e" || { cat "$tmp/e"; fail "bench $*: message lacks '$want'"; }
}
net="$src/examples/network.json"
refuse "--seconds must be" --network "$net" --seconds 0
refuse "--seconds must be" --network "$net" --seconds -1
refuse "--seconds must be" --network "$net" --seconds nan
refuse "--flows must be" --network "$net" --flows 0
refuse "--flows must be" --network "$net" --flows -5
refuse "--workers must be" --network "$net" --workers 0
refuse "--workers must be" --network "$net" --workers 100000
refuse "--new-flow-ratio" --network "$net" --new-flow-ratio 1.5
refuse "--packet-size" --network "$net" --packet-size 20
refuse "--network NET is required"
refuse "no-such" --network "$tmp/no-such.json"
refuse "unknown parameter" --network "$net" --sweep speed=1,2
refuse "is not a count" --network "$net" --sweep rules=1x
refuse "--svg needs --sweep" --network "$net" --svg "$tmp/x.svg"
refuse "NACL entries, but" --network "$net" --rules 1M --seconds 0.1
refuse "is more than the traffic can make" --network "$net" --flows 100000000 --seconds 0.1
echo "ok"
