#!/usr/bin/env bash
# Soak and abuse test of `vpcfw run` (issue 17 item 9), bounded to about 45 s: the lab of
# netns_test.sh (web with an Elastic IP, app behind the NAT gateway, an internet host)
# with a small connection table (--capacity 2048). One established connection is kept
# open (tcp-hold, a round trip every 0.2 s) while, at the same time:
#   - the internet host floods raw frames at the web's Elastic IP: SYNs to an allowed, tracked port
#     from fresh source ports, far past the table's capacity; SYNs to a denied port; and
#     malformed frames (cut IPv4 headers, bad versions, lengths beyond the frame);
#   - control clients misbehave: 50 connections held open and idle, slow clients sending a
#     byte at a time, clients that leave before their reply, a 40 MB request;
# then checks that the run is still up and answering, the established connection kept
# flowing through the flood, new flows over capacity were refused at layer `conntrack`
# and counted (conntrack_full), the table entered emergency mode and new connections
# were admitted again within 15 s of the flood's end (embryonic entries expire after 10 s
# in emergency mode), the denied and malformed frames were dropped at their layers, every packet is in exactly one outcome (packets = accepted + dropped, and the
# per-layer drops add up), and the run's memory stayed bounded (RSS growth < 64 MiB).
# Needs root, iproute2, ethtool, python3; exit 77 (skip) without them.
#   usage: soak_test.sh VPCFW [SOURCE_DIR]
set -uo pipefail

VPCFW=$(realpath "$1")
SRC=$(realpath "${2:-$(dirname "$0")/../..}")
LAB="$SRC/tests/run/lab.json"
TOOL="$SRC/tests/run/lab_tool.py"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
for t in ip ethtool python3; do command -v "$t" >/dev/null || skip "needs $t"; done
probe="vpcfw-probe-$$"
ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here"
ip netns del "$probe"

id=$(( $$ % 100000 ))
NS_WEB="vpcfw-sweb-$id" NS_INET="vpcfw-sinet-$id"
IF_WEB="vsw$id" IF_INET="vsi$id"
DIR=$(mktemp -d /tmp/vpcfw-soak-test.XXXXXX)
CTL="$DIR/ctl.sock"
VPCFW_PID=""

cleanup() {
    set +e
    [ -n "$VPCFW_PID" ] && kill "$VPCFW_PID" 2>/dev/null && wait "$VPCFW_PID" 2>/dev/null
    for ns in "$NS_WEB" "$NS_INET"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for i in "$IF_WEB" "$IF_INET"; do ip link del "$i" 2>/dev/null; done
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $DIR"; else rm -rf "$DIR"; fi
}
trap cleanup EXIT INT TERM

fails=0
. "$(dirname "$(realpath "$0")")/lab_hosts.sh"   # pass, fail, host
host "$NS_WEB" "$IF_WEB" 02:00:0a:00:01:0a 10.0.1.10/24 "default via 10.0.1.1"
host "$NS_INET" "$IF_INET" 02:00:c6:33:64:07 198.51.100.7/24 "203.0.113.0/24 dev eth0"
in_web() { ip netns exec "$NS_WEB" "$@"; }
in_inet() { ip netns exec "$NS_INET" "$@"; }
# The web's SYN backlog must not turn the flood into a kernel problem of its own.
in_web sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_max_syn_backlog=128
for p in 80 8080; do in_web python3 "$TOOL" tcp-serve $p & done

"$VPCFW" run --network "$LAB" --workers 1 --capacity 2048 \
    --port "net_af_packet0,iface=$IF_WEB@subnet-0pub00001" \
    --port "net_af_packet1,iface=$IF_INET@internet" \
    --control "$CTL" --stats-interval 5 \
    -- --no-huge --no-pci -m 512 --no-shconf --lcores=0 --no-telemetry --log-level=lib.eal:error \
    >"$DIR/run.out" 2>"$DIR/run.err" &
VPCFW_PID=$!
for _ in $(seq 100); do [ -S "$CTL" ] && break; kill -0 "$VPCFW_PID" 2>/dev/null || break; sleep 0.1; done
[ -S "$CTL" ] || { echo "vpcfw run did not start:"; cat "$DIR/run.err"; exit 1; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$VPCFW_PID/status"; }

HOLD="$DIR/hold.log"
in_inet python3 "$TOOL" tcp-hold 203.0.113.10 8080 "$HOLD" &
sleep 1.5
grep -q '^ok' "$HOLD" 2>/dev/null && pass "established connection to EIP tcp/8080 is up" || fail "hold connection: $(cat "$HOLD" 2>/dev/null)"
MAC=$(in_inet ip neigh show 203.0.113.10 dev eth0 | awk '{for (i = 1; i < NF; ++i) if ($i == "lladdr") print $(i + 1)}')
[ -n "$MAC" ] || { fail "no ARP entry for 203.0.113.10"; MAC=ff:ff:ff:ff:ff:ff; }
rss0=$(rss)
before=$(grep -c '^ok' "$HOLD")

echo "# flood (raw frames) and misbehaving control clients, together"
in_inet python3 - "$MAC" >"$DIR/flood.out" 2>&1 <<'PY' &
import socket, struct, sys, time
mac = bytes(int(x, 16) for x in sys.argv[1].split(":"))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("eth0", 0))
src_mac = bytes.fromhex("0200c6336407")
def csum(b):
    if len(b) % 2: b += b"\0"
    v = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while v >> 16: v = (v & 0xffff) + (v >> 16)
    return ~v & 0xffff
SRC, DST = bytes([198, 51, 100, 7]), bytes([203, 0, 113, 10])
def syn(sport, dport):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, sport * 7919, 0, 5 << 4, 0x02, 65535, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", csum(SRC + DST + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), sport, 0, 64, 6, 0, SRC, DST)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return mac + src_mac + b"\x08\x00" + ip + tcp
sent = {"allowed": 0, "denied": 0, "malformed": 0}
malformed = [
    mac + src_mac + b"\x08\x00" + b"\x45\x00\x00",                                  # IPv4 header cut short
    mac + src_mac + b"\x08\x00" + b"\x75" + bytes(39),                              # IP version 7
    mac + src_mac + b"\x08\x00" + b"\x4f\x00\x00\x28" + bytes(36),                  # IHL beyond the frame
    mac + src_mac + b"\x08\x00" + b"\x45\x00\xff\xff" + bytes(36),                  # total length beyond the frame
]
t0 = time.time()
for i in range(30000):
    sport = 10000 + i
    s.send(syn(sport, 8080)); sent["allowed"] += 1   # tracked (the rule names 198.51.100.0/24)
    if i % 2 == 0: s.send(syn(sport, 22)); sent["denied"] += 1
    if i % 8 == 0: s.send(malformed[(i // 8) % len(malformed)].ljust(60, b"\0")); sent["malformed"] += 1
    if i % 2000 == 1999: time.sleep(0.05)   # af_packet rings drain
print("sent", sent, "in %.1f s" % (time.time() - t0))
print("flood-end %.3f" % time.time())
PY
FLOOD=$!
python3 - "$CTL" >"$DIR/clients.out" 2>&1 <<'PY' &
import socket, sys, threading, time
ctl = sys.argv[1]
def unix():
    s = socket.socket(socket.AF_UNIX); s.connect(ctl); return s
held = []
for _ in range(50):                       # many connections, idle
    try: held.append(unix())
    except OSError: pass
def slow():                               # a byte at a time
    try:
        s = unix()
        for b in b'{"cmd":"stats"}\n':
            s.send(bytes([b])); time.sleep(0.3)
        s.settimeout(3); s.recv(65536); s.close()
    except OSError:
        pass
ts = [threading.Thread(target=slow) for _ in range(4)]
for t in ts: t.start()
for _ in range(50):                       # leave before the reply
    try:
        s = unix(); s.sendall(b'{"cmd":"stats"}\n'); s.close()
    except OSError:
        pass
try:                                      # oversized, no newline
    s = unix(); s.settimeout(10)
    for _ in range(40): s.sendall(b"x" * (1 << 20))
except OSError:
    pass
for t in ts: t.join()
for s in held: s.close()
print("clients done")
PY
CLIENTS=$!
wait "$FLOOD"; wait "$CLIENTS"
cat "$DIR/flood.out" "$DIR/clients.out"
sleep 1
after=$(grep -c '^ok' "$HOLD")
rss1=$(rss)

# New connections once the flood stops: its entries are embryonic, and in emergency mode
# (CHOICE conntrack_emergency) they expire after 10 s, not 120 s.
flood_end=$(awk '/^flood-end/ {print $2}' "$DIR/flood.out")
readmit=""
for _ in $(seq 60); do
    if in_inet python3 "$TOOL" tcp-get 203.0.113.10 8080 0.5 >/dev/null 2>&1; then
        readmit=$(python3 -c "import time; print('%.1f' % (time.time() - ${flood_end:-0}))")
        break
    fi
    sleep 0.25
done
[ -n "$readmit" ] && [ -n "$flood_end" ] && python3 -c "import sys; sys.exit(0 if $readmit <= 15 else 1)" \
    && pass "new connections admitted again ${readmit} s after the flood stopped (emergency timeout 10 s)" \
    || fail "new connections after the flood: ${readmit:-not admitted within 30 s} (flood end ${flood_end:-unknown})"

kill -0 "$VPCFW_PID" 2>/dev/null && pass "vpcfw run is still running" || fail "vpcfw run died: $(tail -3 "$DIR/run.err")"
stats=$(timeout 5 "$VPCFW" ctl --control "$CTL" stats) && pass "ctl stats answers after the abuse" || fail "ctl stats: $stats"
[ "$after" -gt $((before + 10)) ] && ! grep -q '^fail' "$HOLD" \
    && pass "the established connection kept flowing through the flood ($before -> $after round trips, none failed)" \
    || fail "established connection during the flood: $before -> $after, $(grep '^fail' "$HOLD" | head -3)"
echo "$stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
by = s["dropped_by_layer"]
bad = []
if s["packets"] != s["accepted"] + s["dropped"]: bad.append("packets %d != accepted %d + dropped %d" % (s["packets"], s["accepted"], s["dropped"]))
if sum(by.values()) != s["dropped"]: bad.append("dropped %d != sum by layer %d" % (s["dropped"], sum(by.values())))
if s["conntrack_full"] < 1000 or by.get("conntrack", 0) != s["conntrack_full"]:
    bad.append("conntrack_full %d, dropped at conntrack %d" % (s["conntrack_full"], by.get("conntrack", 0)))
if by.get("sg-ingress", 0) < 5000: bad.append("dropped at sg-ingress %d" % by.get("sg-ingress", 0))
if by.get("parse", 0) < 1000: bad.append("dropped at parse %d" % by.get("parse", 0))
if s["conntrack_entries"] > 2048: bad.append("conntrack_entries %d over the capacity" % s["conntrack_entries"])
if s["conntrack_emergencies"] < 1: bad.append("the table never entered emergency mode")
if s["conntrack_reclaimed"] < 1000: bad.append("conntrack_reclaimed %d" % s["conntrack_reclaimed"])
print("packets %d = accepted %d + dropped %d %s; conntrack_full %d, reclaimed %d, emergencies %d" % (s["packets"], s["accepted"], s["dropped"], json.dumps(by), s["conntrack_full"], s["conntrack_reclaimed"], s["conntrack_emergencies"]))
for b in bad: print(b)
sys.exit(1 if bad else 0)' && pass "counters: every packet in one outcome; refusals at conntrack, denials at sg-ingress, malformed at parse" \
    || fail "counters"
grow=$(( (rss1 - rss0) / 1024 ))
[ "$grow" -lt 64 ] && pass "memory bounded: RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MiB" || fail "RSS grew by $grow MiB ($rss0 -> $rss1 KiB)"

kill -INT "$VPCFW_PID"; wait "$VPCFW_PID"; rc=$?; VPCFW_PID=""
[ "$rc" -eq 0 ] && pass "SIGINT stops it cleanly" || fail "stop: rc $rc, $(tail -5 "$DIR/run.err")"
if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed; vpcfw run said:"; tail -n 20 "$DIR/run.err" "$DIR/run.out"
    exit 1
fi
echo "all checks passed"
