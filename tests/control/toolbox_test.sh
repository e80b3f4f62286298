#!/usr/bin/env bash
# The toolbox habits of issue 16, end to end on the bundled example: captures as tcpdump
# reads them (-r -, pipes, gzip/zstd, a BPF filter, -c), outputs to stdout, --json and the
# JSON Schemas of docs/schema/, names for ENIs, rule hit counts (`vpcfw rules`), -q, and
# usage errors exiting 2. Usage: toolbox_test.sh VPCFW SOURCE_ROOT. Needs tcpdump, gzip,
# zstd and python3-jsonschema (quickstart.sh test installs them); skips (77) without them.
set -uo pipefail
vpcfw=$(realpath "$1")   # meson passes it relative to the build directory
root=$2
cd "$root" || exit 1
for t in tcpdump gzip zstd jq python3; do command -v "$t" >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIP: no python3-jsonschema"; exit 77; }
net=examples/network.json
cap=examples/capture.pcap
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() {  # check DESCRIPTION COMMAND...: the command must succeed
    local what=$1; shift
    if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}
field() { jq -r "$2" "$1"; }
v() { "$vpcfw" "$@" --no-progress; }

# ---- 1. captures as tcpdump reads them ---------------------------------------------------
v replay -n $net -r $cap --summary-json "$tmp/all.json" --decisions "$tmp/all.jsonl" >/dev/null 2>&1
total=$(field "$tmp/all.json" .packets)
check "plain replay judged the whole capture" [ "$total" -eq 3000 ]
tcp=$(tcpdump -r $cap -nn tcp 2>/dev/null | wc -l)
tcpdump -r $cap -w - 2>/dev/null | v replay -n $net -r - 'tcp' --json >"$tmp/pipe.json" 2>"$tmp/pipe.err"
check "tcpdump -w - | replay -r - 'tcp' exits 0" [ -s "$tmp/pipe.json" ]
check "filter: judged = tcpdump's tcp count ($tcp)" [ "$(field "$tmp/pipe.json" .packets)" -eq "$tcp" ]
check "filter: filtered + judged = read = 3000" \
    [ $(( $(field "$tmp/pipe.json" .filtered) + $(field "$tmp/pipe.json" .packets) )) -eq 3000 -a "$(field "$tmp/pipe.json" .read)" -eq 3000 ]
check "filter: accepted + dropped = judged" \
    [ $(( $(field "$tmp/pipe.json" .accepted) + $(field "$tmp/pipe.json" .dropped) )) -eq "$tcp" ]
gzip -c $cap >"$tmp/capture.pcap.gz"
zstd -q -c $cap >"$tmp/capture.pcap.zst"
v replay -n $net -r "$tmp/capture.pcap.gz" -c 100 --json >"$tmp/gz.json" 2>/dev/null
check "gzip capture, -c 100: 100 judged" [ "$(field "$tmp/gz.json" .packets)" -eq 100 ]
v replay $net "$tmp/capture.pcap.zst" --decisions "$tmp/zst.jsonl" >/dev/null 2>&1
check "zstd capture as positional NET CAPTURE: decisions identical to the plain file" cmp -s "$tmp/zst.jsonl" "$tmp/all.jsonl"
cat $cap | v replay -n $net - --decisions "$tmp/stdin.jsonl" >/dev/null 2>&1
check "capture on stdin as positional -: identical decisions" cmp -s "$tmp/stdin.jsonl" "$tmp/all.jsonl"
mkfifo "$tmp/fifo"
cat $cap >"$tmp/fifo" &
writer=$!
v replay -n $net -r "$tmp/fifo" --decisions "$tmp/fifo.jsonl" >/dev/null 2>&1
kill $writer 2>/dev/null   # (it has ended unless the replay failed to open the FIFO)
check "capture from a FIFO: identical decisions" cmp -s "$tmp/fifo.jsonl" "$tmp/all.jsonl"
head -c 5000 "$tmp/capture.pcap.gz" >"$tmp/cut.pcap.gz"
v replay -n $net -r "$tmp/cut.pcap.gz" >/dev/null 2>"$tmp/cut.err"
check "a cut gzip capture warns, naming the file" grep -q "cut.pcap.gz.*gzip data ends" "$tmp/cut.err"
v replay -n $net -r $cap 'tcp port' >/dev/null 2>"$tmp/badf.err"; rc=$?
check "a bad filter expression exits 2" [ $rc -eq 2 ]

# ---- 2. outputs for pipes ------------------------------------------------------------------
v replay -n $net -r $cap --decisions - >"$tmp/dash.jsonl" 2>"$tmp/dash.err"
check "--decisions -: the decisions on stdout, identical to the file" cmp -s "$tmp/dash.jsonl" "$tmp/all.jsonl"
check "--decisions -: the summary on stderr" grep -q "^  packets *3000" "$tmp/dash.err"
v replay -n $net -r $cap --dropped - >"$tmp/dropped.pcapng" 2>/dev/null
dropped=$(field "$tmp/all.json" .dropped)
check "--dropped -: a pcapng with every dropped packet" [ "$(tcpdump -r "$tmp/dropped.pcapng" -nn 2>/dev/null | wc -l)" -eq "$dropped" ]
v replay -n $net -r $cap --decisions - --flow-logs - >/dev/null 2>&1; rc=$?
check "two outputs on stdout are a usage error" [ $rc -eq 2 ]
validate() {  # validate SCHEMA FILE(json lines)
    python3 - "$1" "$2" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
val = cls(schema)
n = 0
for line in open(sys.argv[2]):
    if line.strip():
        val.validate(json.loads(line)); n += 1
assert n > 0, "no lines"
PY
}
check "summary JSON matches docs/schema/replay-summary.schema.json" validate docs/schema/replay-summary.schema.json "$tmp/pipe.json"
check "decision lines match docs/schema/decision.schema.json" validate docs/schema/decision.schema.json "$tmp/all.jsonl"
"$vpcfw" explain -n $net --json --from web-1 'tcp 10.0.0.10:41000 -> 10.0.10.20:8080' 'tcp 10.0.0.10:41001 -> 10.0.20.30:22' >"$tmp/explain.jsonl"
check "explain --json matches docs/schema/explain.schema.json" validate docs/schema/explain.schema.json "$tmp/explain.jsonl"
"$vpcfw" check -n $net --json >"$tmp/check.jsonl"
check "check --json matches docs/schema/check.schema.json" validate docs/schema/check.schema.json "$tmp/check.jsonl"

# ---- 3. names ------------------------------------------------------------------------------
eni=eni-0a1b2c3d4e5f60101
for name in web-1 i-0a1b2c3d4e5f60101 10.0.0.10 $eni; do
    out=$("$vpcfw" explain -n $net --json --from "$name" 'tcp 10.0.0.10:41000 -> 10.0.10.20:8080' | jq -r .from)
    check "--from $name is $eni" [ "$out" = "$eni" ]
done
check "explain --json names web-1 and app-1 (their ENIs' Name tags)" \
    [ "$(jq -r '.names["eni-0a1b2c3d4e5f60101"] + "," + .names["eni-0a1b2c3d4e5f60201"]' <(head -1 "$tmp/explain.jsonl"))" = "web-1-eth0,app-1-eth0" ]
"$vpcfw" explain -n $net 'tcp 10.0.0.10:41000 -> 10.0.10.20:8080' | grep -q "names:.*eni-0a1b2c3d4e5f60201=app-1"
check "explain text shows the names" [ $? -eq 0 ]
check "decision lines name their ids: web-1's ENI and its group" \
    [ "$(jq -r 'select(.to=="eni-0a1b2c3d4e5f60101") | .names["eni-0a1b2c3d4e5f60101"]' "$tmp/all.jsonl" | sort -u)" = "web-1-eth0" ]
check "replay summary names the ENIs" [ "$(field "$tmp/all.json" '.names["eni-0a1b2c3d4e5f60102"]')" = "web-2-eth0" ]

# ---- 4. rule hits --------------------------------------------------------------------------
v replay -n $net -r $cap --engine reference --summary-json "$tmp/ref.json" >/dev/null 2>&1
check "rule_hits identical in both engines" cmp -s <(jq -S .rule_hits "$tmp/all.json") <(jq -S .rule_hits "$tmp/ref.json")
# acl-…0101:ingress:100 passed = decisions whose path holds it.
want=$(grep -c '"acl-0a1b2c3d4e5f60101:ingress:100"' "$tmp/all.jsonl")
check "a NACL allow entry counted as in the decisions ($want)" [ "$(field "$tmp/all.json" '.rule_hits["acl-0a1b2c3d4e5f60101:ingress:100"]')" -eq "$want" ]
want=$(jq -r 'select(.action=="DROP" and .rule=="acl-0a1b2c3d4e5f60103:egress:*") | .seq' "$tmp/all.jsonl" | wc -l)
check "a NACL * deny counted as in the decisions ($want)" [ "$(field "$tmp/all.json" '.rule_hits["acl-0a1b2c3d4e5f60103:egress:*"]')" -eq "$want" ]
"$vpcfw" rules -n $net --eni web-1 --hits "$tmp/all.json" >"$tmp/rules.txt"; rc=$?
check "rules --eni web-1 --hits exits 0" [ $rc -eq 0 ]
sgsum=$(jq '[.rule_hits | to_entries[] | select((.key|startswith("sg-0a1b2c3d4e5f60101:ingress:")) and (.key|endswith(":*")|not)) | .value] | add' "$tmp/all.json")
check "rules lists prod-web's inbound rules with counts" grep -q "sg-0a1b2c3d4e5f60101:ingress:tcp/443:0.0.0.0/0" "$tmp/rules.txt"
check "rules lists rules that never matched" grep -q "^never matched" "$tmp/rules.txt"
"$vpcfw" rules -n $net --eni web-1 --hits "$tmp/all.json" --json >"$tmp/rules.json"
got=$(jq '[.rules[] | select(.section=="sg-ingress" and (.rule|endswith(":*")|not)) | .hits] | add' "$tmp/rules.json")
check "rules --json: prod-web inbound hits add up to the summary's ($sgsum)" [ "$got" -eq "$sgsum" ]
got=$(jq '[.rules[] | select(.rule=="acl-0a1b2c3d4e5f60101:ingress:100") | .hits][0]' "$tmp/rules.json")
check "rules --json: the public NACL's entry 100 count" [ "$got" -eq "$(field "$tmp/all.json" '.rule_hits["acl-0a1b2c3d4e5f60101:ingress:100"]')" ]
check "the summary table shows drop reasons beside rules" grep -q "nacl-egress acl-0a1b2c3d4e5f60103:egress:\* (default-deny)" <(v replay -n $net -r $cap 2>/dev/null)

# ---- 6. quiet and usage errors -------------------------------------------------------------
mkdir -p "$tmp/export"
cp $net "$tmp/export/net.json"
echo '{"AvailabilityZones": []}' >"$tmp/export/AvailabilityZones.json"
"$vpcfw" explain -n "$tmp/export" 'tcp 10.0.0.10:41000 -> 10.0.10.20:8080' >/dev/null 2>"$tmp/warn.err"
check "without -q: the AvailabilityZones.json warning" grep -q "AvailabilityZones.json" "$tmp/warn.err"
"$vpcfw" explain -q -n "$tmp/export" 'tcp 10.0.0.10:41000 -> 10.0.10.20:8080' >/dev/null 2>"$tmp/quiet.err"
check "with -q: no warning" [ ! -s "$tmp/quiet.err" ]
"$vpcfw" diagram -n "$tmp/export" --view sg --out "$tmp/q.dot" 2>"$tmp/dwarn.err"
check "diagram without -q: the warning" grep -q "AvailabilityZones.json" "$tmp/dwarn.err"
"$vpcfw" diagram -q -n "$tmp/export" --view sg --out "$tmp/q.dot" 2>"$tmp/dquiet.err"
check "diagram with -q: no warning" [ "$(grep -c AvailabilityZones "$tmp/dquiet.err")" = 0 ]
usage() {  # usage DESCRIPTION ARGS...: vpcfw ARGS must exit 2 with a message
    local what=$1; shift
    "$vpcfw" "$@" >"$tmp/usage.out" 2>"$tmp/usage.err"; local rc=$?
    check "$what exits 2 ($(head -c 120 "$tmp/usage.err" | tr '\n' ' '))" [ $rc -eq 2 -a -s "$tmp/usage.err" -a ! -s "$tmp/usage.out" ]
}
usage "explain --from eni-bogus" explain -n $net --from eni-bogus 'tcp 10.0.0.10:41000 -> 10.0.10.20:8080'
usage "explain --from web-9" explain -n $net --from web-9 'tcp 10.0.0.10:41000 -> 10.0.10.20:8080'
usage "replay --from eni-bogus" replay -n $net -r $cap --from eni-bogus
usage "rules --eni eni-bogus" rules -n $net --eni eni-bogus
usage "rules --subnet bogus" rules -n $net --subnet bogus
usage "rules --hits on a file that is not a summary" rules -n $net --eni web-1 --hits $net
exit $fail
