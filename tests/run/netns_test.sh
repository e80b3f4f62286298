#!/usr/bin/env bash
# End-to-end test of `vpcfw run` with real kernel traffic: three hosts in their own network
# namespaces (web: public subnet, Elastic IP; app: private subnet behind the NAT gateway;
# inet: an internet host), joined by veth pairs whose host ends are net_af_packet ports of
# `vpcfw run --network tests/run/lab.json`. Checks what AWS would do on the wire (ping, TCP,
# UDP; allowed and denied; EIP in, NAT gateway out), live changes through `vpcfw ctl` (an
# SG rule revoked under an open connection, a NACL deny that cuts it), telemetry/metrics,
# and that the engine's decisions equal the reference evaluator's on the same packets.
# Hostile clients of the control socket and metrics endpoint (early close, reset, idle,
# 200 MB request, reload of a FIFO) must leave the run up and answering.
# Needs root, iproute2, ethtool, python3. Exit 77 (skip) when they are missing.
#   usage: netns_test.sh VPCFW [SOURCE_DIR] [WORKERS]
# With WORKERS > 1 flows are dispatched between workers in software; the decision order
# then interleaves workers, so the comparison with the reference runs with one worker only.
set -uo pipefail

VPCFW=$(realpath "$1")
SRC=$(realpath "${2:-$(dirname "$0")/../..}")
WORKERS=${3:-1}
LAB="$SRC/tests/run/lab.json"
TOOL="$SRC/tests/run/lab_tool.py"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
for t in ip ethtool python3; do command -v "$t" >/dev/null || skip "needs $t"; done
# A container without CAP_SYS_ADMIN / CAP_NET_ADMIN cannot create namespaces or veths.
probe="vpcfw-probe-$$"
ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "$probe"

id=$(( $$ % 100000 ))
NS_WEB="vpcfw-web-$id" NS_APP="vpcfw-app-$id" NS_INET="vpcfw-inet-$id"
IF_WEB="vfw$id" IF_APP="vfa$id" IF_INET="vfi$id"
DIR=$(mktemp -d /tmp/vpcfw-run-test.XXXXXX)
CTL="$DIR/ctl.sock"
VPCFW_PID=""

cleanup() {
    set +e
    [ -n "$VPCFW_PID" ] && kill "$VPCFW_PID" 2>/dev/null && wait "$VPCFW_PID" 2>/dev/null
    for ns in "$NS_WEB" "$NS_APP" "$NS_INET"; do
        # Every process left in the namespace (servers, clients), then the namespace.
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for i in "$IF_WEB" "$IF_APP" "$IF_INET"; do ip link del "$i" 2>/dev/null; done
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT INT TERM

fails=0
. "$(dirname "$(realpath "$0")")/lab_hosts.sh"   # pass, fail, host
expect_ok() { local what=$1; shift; if out=$("$@" 2>&1); then pass "$what"; else fail "$what: $out"; fi; }
expect_fail() { local what=$1; shift; if out=$("$@" 2>&1); then fail "$what (it worked: $out)"; else pass "$what"; fi; }

host "$NS_WEB" "$IF_WEB" 02:00:0a:00:01:0a 10.0.1.10/24 "default via 10.0.1.1"
host "$NS_APP" "$IF_APP" 02:00:0a:00:02:14 10.0.2.20/24 "default via 10.0.2.1"
host "$NS_INET" "$IF_INET" 02:00:c6:33:64:07 198.51.100.7/24 "203.0.113.0/24 dev eth0"

in_web() { ip netns exec "$NS_WEB" "$@"; }
in_app() { ip netns exec "$NS_APP" "$@"; }
in_inet() { ip netns exec "$NS_INET" "$@"; }

# Servers: web on 80, 8080, 22 (tcp) and 5000, 5001 (udp); app on 8000 and 9999; inet on 9000.
for p in 80 8080 22; do in_web python3 "$TOOL" tcp-serve $p & done
for p in 5000 5001; do in_web python3 "$TOOL" udp-serve $p & done
for p in 8000 9999; do in_app python3 "$TOOL" tcp-serve $p & done
in_inet python3 "$TOOL" tcp-serve 9000 &
in_inet python3 "$TOOL" udp-serve 9001 &

METRICS_PORT=$(( 20000 + id % 20000 ))
"$VPCFW" run --network "$LAB" --workers "$WORKERS" \
    --port "web=net_af_packet0,iface=$IF_WEB@subnet-0pub00001" \
    --port "net_af_packet1,iface=$IF_APP@subnet-0prv00001" \
    --port "net_af_packet2,iface=$IF_INET@internet" \
    --control "$CTL" --metrics-port "$METRICS_PORT" --stats-interval 5 \
    --decisions "$DIR/run.jsonl" --capture "$DIR/rx.pcapng" \
    -- --no-huge --no-pci -m 512 --no-shconf --lcores=0 --no-telemetry --log-level=lib.eal:error \
    >"$DIR/run.out" 2>"$DIR/run.err" &
VPCFW_PID=$!
for _ in $(seq 100); do [ -S "$CTL" ] && break; kill -0 "$VPCFW_PID" 2>/dev/null || break; sleep 0.1; done
if [ ! -S "$CTL" ]; then
    echo "vpcfw run did not start:"; cat "$DIR/run.err"; exit 1
fi
perm=$(stat -c %a "$CTL")
[ "$perm" = 600 ] && pass "control socket is owner-only (0600)" || fail "control socket mode is $perm"

echo "# allowed and denied, as AWS"
expect_ok "internet host pings the web instance's Elastic IP" in_inet python3 "$TOOL" ping 203.0.113.10
expect_ok "internet host -> EIP tcp/80 (IGW 1:1 NAT)" in_inet python3 "$TOOL" tcp-get 203.0.113.10 80
out=$(in_inet python3 "$TOOL" tcp-get 203.0.113.10 80 2>&1)
[[ "$out" == peer=198.51.100.7:* ]] && pass "web sees the internet client's own address" || fail "web saw: $out"
expect_fail "internet host -> EIP tcp/22 (no SG rule)" in_inet python3 "$TOOL" tcp-get 203.0.113.10 22 1.5
expect_ok "internet host -> EIP udp/5000" in_inet python3 "$TOOL" udp-get 203.0.113.10 5000
expect_fail "internet host -> EIP udp/5001 (no SG rule)" in_inet python3 "$TOOL" udp-get 203.0.113.10 5001 1.5
expect_fail "internet host -> the web instance's private address (not routed from outside)" \
    in_inet python3 "$TOOL" tcp-get 10.0.1.10 80 1.5
expect_ok "web -> app tcp/8000 (SG rule names the web group)" in_web python3 "$TOOL" tcp-get 10.0.2.20 8000
expect_fail "web -> app tcp/9999 (no SG rule)" in_web python3 "$TOOL" tcp-get 10.0.2.20 9999 1.5
expect_ok "web pings app (ICMP from the VPC)" in_web python3 "$TOOL" ping 10.0.2.20
expect_ok "app pings web (web's group allows ICMP from anywhere)" in_app python3 "$TOOL" ping 10.0.1.10
out=$(in_app python3 "$TOOL" tcp-get 198.51.100.7 9000 2>&1)
[[ "$out" == peer=203.0.113.5:* ]] && pass "app -> internet through the NAT gateway (seen from 203.0.113.5)" \
    || fail "app -> internet via NAT: $out"
expect_ok "app pings the internet host through the NAT gateway" in_app python3 "$TOOL" ping 198.51.100.7
out=$(in_app python3 "$TOOL" udp-get 198.51.100.7 9001 2>&1)
[[ "$out" == peer=203.0.113.5:* ]] && pass "app -> internet udp through the NAT gateway" || fail "udp via NAT: $out"
expect_fail "internet host -> NAT gateway address, unsolicited" in_inet python3 "$TOOL" tcp-get 203.0.113.5 9000 1.5

echo "# live changes"
HOLD="$DIR/hold.log"
in_inet python3 "$TOOL" tcp-hold 203.0.113.10 8080 "$HOLD" &
sleep 1.5
grep -q '^ok' "$HOLD" 2>/dev/null && pass "long-lived connection to EIP tcp/8080 is up" || fail "hold connection: $(cat "$HOLD" 2>/dev/null)"
expect_ok "ctl apply RevokeSecurityGroupIngress (tcp/8080)" "$VPCFW" ctl --control "$CTL" apply RevokeSecurityGroupIngress \
    '{"GroupId":"sg-0web00001","IpPermissions":[{"IpProtocol":"tcp","FromPort":8080,"ToPort":8080,"IpRanges":[{"CidrIp":"198.51.100.0/24"}]}]}'
expect_fail "ctl apply of a rule that is not there is refused" "$VPCFW" ctl --control "$CTL" apply RevokeSecurityGroupIngress \
    '{"GroupId":"sg-0web00001","IpPermissions":[{"IpProtocol":"tcp","FromPort":8080,"ToPort":8080,"IpRanges":[{"CidrIp":"198.51.100.0/24"}]}]}'
before=$(grep -c '^ok' "$HOLD")
sleep 1.5
after=$(grep -c '^ok' "$HOLD")
[ "$after" -gt $((before + 2)) ] && ! tail -n 3 "$HOLD" | grep -q fail \
    && pass "the tracked connection keeps working after the revoke ($before -> $after round trips)" \
    || fail "tracked connection after revoke: $(tail -n 5 "$HOLD")"
expect_fail "a new connection to tcp/8080 fails after the revoke" in_inet python3 "$TOOL" tcp-get 203.0.113.10 8080 1.5
expect_ok "ctl apply CreateNetworkAclEntry (deny the internet host)" "$VPCFW" ctl --control "$CTL" apply CreateNetworkAclEntry \
    '{"NetworkAclId":"acl-0pub00001","RuleNumber":50,"Protocol":"6","RuleAction":"deny","Egress":false,"CidrBlock":"198.51.100.7/32","PortRange":{"From":8080,"To":8080}}'
sleep 1.5
tail -n 3 "$HOLD" | grep -q '^fail' && pass "the NACL deny cuts the open connection at once" \
    || fail "connection after NACL deny: $(tail -n 5 "$HOLD")"
expect_ok "tcp/80 still works beside the NACL deny of tcp/8080" in_inet python3 "$TOOL" tcp-get 203.0.113.10 80

echo "# observability"
stats=$("$VPCFW" ctl --control "$CTL" stats)
echo "$stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["packets"]>0 and s["accepted"]>0 and s["dropped"]>0 and s["arp_replies"]>0 and s["ruleset_version"]==3, s; assert s["workers"]==1 or s["redirected"]>0, "no flow was handed between workers"' \
    && pass "ctl stats: packets, drops, ARP replies, version 3" || fail "ctl stats: $stats"
flows=$("$VPCFW" ctl --control "$CTL" flows)
echo "$flows" | grep -q '"flow":"tcp 198.51.100.7:[0-9]* -> 203.0.113.10:80"' && pass "ctl flows lists the EIP flows" \
    || fail "ctl flows: $(echo "$flows" | head -5)"
echo "$flows" | grep '"kind":"conntrack"' | grep -q '"remote":"198.51.100.7:' && pass "ctl flows dumps the connection-tracking table" \
    || fail "ctl flows has no conntrack entry for the internet host: $(echo "$flows" | grep conntrack | head -3)"
# The NAT gateway maps the app to its private address (10.0.1.5); the IGW then maps that
# to 203.0.113.5, so the mapping's outside end is the private one.
echo "$flows" | grep '"kind":"nat"' | grep -q '"inside":"10.0.2.20:[0-9]*","kind":"nat","last_seen":[0-9.e+]*,"nat":"nat-0lab00001","outside":"10.0.1.5:' \
    && pass "ctl flows dumps the NAT gateway mappings" \
    || fail "ctl flows has no NAT mapping of 10.0.2.20: $(echo "$flows" | grep nat | head -3)"
ex=$("$VPCFW" ctl --control "$CTL" explain 'tcp 198.51.100.7:40000 -> 203.0.113.10:8080')
echo "$ex" | grep -q 'DROP' && pass "ctl explain uses the live rules" || fail "ctl explain: $ex"
# A flow the workers track: explain adds the owning worker's connection-tracking entry.
live_flow=$(echo "$flows" | python3 -c '
import json, sys
names = {6: "tcp", 17: "udp"}
for line in sys.stdin:
    c = json.loads(line)
    if c.get("kind") == "conntrack" and c["proto"] in names:
        print("%s %s -> %s" % (names[c["proto"]], c["remote"], c["local"])); break')
ex=$("$VPCFW" ctl --control "$CTL" explain "$live_flow")
echo "$ex" | grep -q 'live (worker [0-9]*): tracked at eni-' && pass "ctl explain shows the live connection state of the flow" \
    || fail "ctl explain of $live_flow: $ex"
metrics=$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$METRICS_PORT/metrics', timeout=3).read().decode())" 2>&1)
echo "$metrics" | grep -q '^vpcfw_packets_total [1-9]' && echo "$metrics" | grep -q 'vpcfw_dropped_total{layer="sg-ingress"} [1-9]' \
    && pass "Prometheus endpoint on 127.0.0.1" || fail "metrics: $(echo "$metrics" | head -5)"

echo "# hostile clients of the control socket and the metrics endpoint (issue 17)"
# Clients that close before their reply (SIGPIPE once ended the run with status 141),
# metrics clients that reset, an idle client beside a real request, a 200 MB request
# without a newline: the run stays up and answers within its limits.
python3 - "$CTL" "$METRICS_PORT" <<'EOF'
import json, socket, struct, sys, threading, time
ctl, port = sys.argv[1], int(sys.argv[2])
def unix():
    s = socket.socket(socket.AF_UNIX); s.connect(ctl); return s
def ask(req, timeout=5):
    s = unix(); s.settimeout(timeout); s.sendall(req + b"\n"); got = b""
    while True:
        b = s.recv(65536)
        if not b: break
        got += b
    s.close(); return json.loads(got)
fails = []
for _ in range(20):
    s = unix(); s.sendall(b'{"cmd":"stats"}\n'); s.close()
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()
time.sleep(0.5)
if not ask(b'{"cmd":"stats"}')["ok"]: fails.append("stats after clients that left")
idle = unix(); idle.sendall(b'{"cmd"')
t = time.time(); r = ask(b'{"cmd":"stats"}'); dt = time.time() - t
if not r["ok"] or dt > 1.0: fails.append("a request beside an idle client took %.2f s" % dt)
idle.close()
big = unix(); big.settimeout(10)
def flood():
    chunk = b"x" * (1 << 20)
    try:
        for _ in range(200): big.sendall(chunk)
    except OSError:
        pass
t = time.time(); th = threading.Thread(target=flood); th.start()
got = b""
try:
    while True:
        b = big.recv(65536)
        if not b: break
        got += b
except OSError:
    pass
th.join(); dt = time.time() - t; big.close()
if dt > 5 or b"16 MiB limit" not in got: fails.append("200 MB request: %.1f s, reply %r" % (dt, got[:200]))
print("hostile clients: %s" % ("; ".join(fails) or "all answered"))
sys.exit(1 if fails else 0)
EOF
[ $? -eq 0 ] && pass "the run outlives clients that leave early, idle or flood (no SIGPIPE, no stall)" \
    || fail "hostile control clients"
kill -0 "$VPCFW_PID" 2>/dev/null && pass "vpcfw run is still running" || fail "vpcfw run died: $(tail -3 "$DIR/run.err")"
mkfifo "$DIR/net.fifo"
out=$(timeout 10 "$VPCFW" ctl --control "$CTL" reload "$DIR/net.fifo" 2>&1); rc=$?
[ "$rc" -eq 1 ] && echo "$out" | grep -q 'a FIFO, not a regular file' && pass "reload of a FIFO is refused at once" \
    || fail "reload of a FIFO: rc $rc, $out"
expect_ok "ctl stats after the FIFO reload" "$VPCFW" ctl --control "$CTL" stats

echo "# clean stop"
kill -INT "$VPCFW_PID"
wait "$VPCFW_PID"; rc=$?
VPCFW_PID=""
[ "$rc" -eq 0 ] && grep -q 'stopped after' "$DIR/run.out" && pass "SIGINT stops it cleanly with final counters" \
    || fail "stop: rc $rc, $(cat "$DIR/run.out" "$DIR/run.err" | tail -5)"

python3 - "$DIR/run.jsonl" "$IF_APP" <<'EOF' && pass "decisions name ports by NAME= (web) or their SPEC" || fail "port labels in decisions"
import json, sys
ports = {json.loads(l).get("port") for l in open(sys.argv[1])}
assert "web" in ports and any(p and sys.argv[2] in p for p in ports), ports
EOF

echo "# decisions equal the reference evaluator's on the same packets"
if [ "$WORKERS" -ne 1 ]; then
    echo "(skipped with $WORKERS workers: decisions interleave)"
elif "$VPCFW" replay --network "$LAB" --pcap "$DIR/rx.pcapng" --engine reference --decisions "$DIR/ref.jsonl" >/dev/null 2>"$DIR/replay.err"; then
    python3 - "$DIR/run.jsonl" "$DIR/ref.jsonl" <<'EOF'
import json, sys
run = [json.loads(l) for l in open(sys.argv[1])]
ref = [json.loads(l) for l in open(sys.argv[2])]
# The reference replay knows the first network only: compare the packets judged by version 1.
n = 0
bad = []
for a, b in zip(run, ref):
    if a.get("version") != 1:
        break
    n += 1
    for k in ("action", "layer", "to", "rule", "nat"):
        if a.get(k) != b.get(k):
            bad.append("seq %d %s: run %r, reference %r (%s)" % (a["seq"], k, a.get(k), b.get(k), a.get("flow")))
if len(run) != len(ref):
    bad.append("run wrote %d decisions, the capture replayed gives %d" % (len(run), len(ref)))
accepted = sum(1 for a in run[:n] if a["action"] == "ACCEPT")
dropped = n - accepted
if n < 20 or not accepted or not dropped:
    bad.append("too few decisions to compare: %d (%d accepted)" % (n, accepted))
print("compared %d decisions (%d accepted, %d dropped)" % (n, accepted, dropped))
for b in bad[:10]:
    print(b)
sys.exit(1 if bad else 0)
EOF
    [ $? -eq 0 ] && pass "decisions equal the reference evaluator's" || fail "decisions differ from the reference"
else
    fail "reference replay of the capture: $(cat "$DIR/replay.err")"
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed; vpcfw run said:"; tail -n 30 "$DIR/run.err" "$DIR/run.out"
    exit 1
fi
echo "all checks passed"
