#!/usr/bin/env bash
# The replay clock (docs/replay.md, "Time"): a packet whose timestamp is older than the
# latest one is judged at the latest time, so it neither expires state nor moves a NAT
# mapping's or a connection's last-seen time back. Issue 17's reproduction: 7 packets of
# one TCP flow from a private instance (10.0.11.20) through the NAT gateway of
# examples/network.json, the 3rd (a reply) 400 s older than the 2nd. Before the clock, the
# compiled engine dropped packets 4-7 (`nat idle-timeout`) and the reference only packet 4.
# Now every packet is accepted, by both engines and for 1 and 2 workers, with identical
# decisions; and on the shared captures whose time goes backwards, both engines agree.
# Needs python3 (stdlib) to write the capture; exit 77 without it.
#   usage: replay_clock_test.sh VPCFW [SOURCE_DIR]
set -uo pipefail
VPCFW=$(realpath "$1")
SRC=$(realpath "${2:-$(dirname "$0")/../..}")
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

python3 - "$T/backwards.pcap" <<'PY'
import struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ip4(a): return bytes(int(x) for x in a.split('.'))
def frame(src, sport, dst, dport, flags, seq):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    ph = ip4(src) + ip4(dst) + struct.pack('!BBH', 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', csum(ph + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00' + ip + tcp
S, SA, A, PA, FA = 0x02, 0x12, 0x10, 0x18, 0x11
inst, web = '10.0.11.20', '198.51.100.7'
pkts = [  # (time, outbound?, flags): the 3rd is 400 s older than the 2nd
    (1000.0, True, S), (1000.1, False, SA), (600.1, False, A), (1000.2, True, A),
    (1001.0, True, PA), (1001.1, False, A), (1002.0, True, FA)]
out = open(sys.argv[1], 'wb')
out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i, (t, o, f) in enumerate(pkts):
    fr = frame(inst, 40000, web, 443, f, i) if o else frame(web, 443, inst, 40000, f, i)
    sec = int(t); usec = int(round((t - sec) * 1e6))
    out.write(struct.pack('<IIII', sec, usec, len(fr), len(fr)) + fr)
PY

for engine in compiled reference; do
    for workers in 1 2; do
        out="$T/$engine-$workers.jsonl"
        if ! "$VPCFW" replay --network "$SRC/examples/network.json" --pcap "$T/backwards.pcap" --engine "$engine" \
                --workers "$workers" --decisions "$out" >"$T/summary" 2>"$T/err"; then
            echo "FAIL: replay --engine $engine --workers $workers exited $?"; cat "$T/err"; fail=1; continue
        fi
        n=$(wc -l <"$out"); acc=$(grep -c '"action":"ACCEPT"' "$out")
        if [ "$n" -ne 7 ] || [ "$acc" -ne 7 ]; then
            echo "FAIL: --engine $engine --workers $workers: $acc of $n packets accepted, expected 7 of 7"; grep -o '"seq":[0-9]*\|"action":"[A-Z]*"\|"layer":"[a-z]*"\|"reason":"[a-z-]*"' "$out" | paste -sd" "; fail=1
        fi
    done
done
# The same decision lines from both engines and both worker counts.
for f in "$T"/*.jsonl; do
    cmp -s "$f" "$T/compiled-1.jsonl" || { echo "FAIL: $(basename "$f") differs from compiled-1.jsonl"; fail=1; }
done
# The shared captures whose timestamps go backwards (capinfos: not in strict time order):
# both engines decide every packet alike, with 1 and 2 workers.
for cap in libtrace-vlan.pcap zeek-echo-connections.pcap pcapplusplus-pcapng-example.pcapng; do
    f="$SRC/../shared/data/pcaps/$cap"
    [ -f "$f" ] || { echo "FAIL: $f missing"; fail=1; continue; }
    for workers in 1 2; do
        for engine in compiled reference; do
            "$VPCFW" replay --network "$SRC/examples/network.json" --pcap "$f" --engine "$engine" --workers "$workers" \
                --decisions "$T/$engine.jsonl" >/dev/null 2>"$T/err" || { echo "FAIL: $cap $engine exited $?"; cat "$T/err"; fail=1; }
        done
        cmp -s "$T/compiled.jsonl" "$T/reference.jsonl" ||
            { echo "FAIL: $cap --workers $workers: the engines disagree"; fail=1; }
    done
done
[ "$fail" -eq 0 ] && echo "replay clock: 7 of 7 accepted by both engines, 1 and 2 workers, identical decisions; the engines agree on the shared captures whose time goes backwards"
exit "$fail"
