#!/usr/bin/env python3
"""Writes a SYN-flood capture for the connection table at capacity (docs/run.md, perf/README.md).

One established TCP connection to the target, then --syns SYNs from distinct outside
addresses to the target (an Elastic IP whose security group admits the port) spread over
--seconds, then the established connection again, then --late new SYNs --after seconds
after the flood. Replaying it shows the refusals at capacity, their cost per packet, and
the admission of new connections once the flood's entries have expired.

usage: flood_pcap.py OUT.pcap [--target 203.0.113.10] [--port 8080] [--sources 198.51.100.0/24]
                     [--syns 1100000] [--seconds 5] [--after 300] [--late 1000]
The defaults fit tests/run/lab.json: the web's Elastic IP, a port its group admits from
198.51.100.0/24 only (a tracked flow; a rule from 0.0.0.0/0 with all egress open would
leave the flow untracked, docs/semantics.md §4, and fill no table).
Written by hand (struct): a pcap of plain Ethernet/IPv4/TCP headers needs nothing more.
"""
import argparse
import socket
import struct


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, dst, sport, dport, flags, seq, ack):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pseudo = src + dst + struct.pack("!BBH", 0, 6, 20)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--target", default="203.0.113.10")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--sources", default="198.51.100.0/24")
    ap.add_argument("--syns", type=int, default=1100000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--after", type=float, default=300.0)
    ap.add_argument("--late", type=int, default=1000)
    a = ap.parse_args()
    if a.syns < 1 or a.syns > 5_000_000 or a.late < 0 or a.late > 100_000 or a.seconds <= 0:
        ap.error("--syns 1..5M, --late 0..100k, --seconds > 0")
    dst = socket.inet_aton(a.target)
    net, bits = a.sources.split("/")
    base = struct.unpack("!I", socket.inet_aton(net))[0] & ~((1 << (32 - int(bits))) - 1) & 0xFFFFFFFF
    hosts = (1 << (32 - int(bits))) - 2
    if hosts < 2:
        ap.error("--sources needs at least 2 host addresses")
    ports = 64000 // 3

    def source(i, first_port):   # distinct (address, port) pairs
        return struct.pack("!I", base + 1 + i % hosts), first_port + (i // hosts) % ports

    client, _ = source(hosts - 1, 0)
    t0 = 1_700_000_000.0
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

        def put(ts, data):
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, int(round((ts - sec) * 1e6)) % 1000000, len(data), len(data)))
            f.write(data)

        # The established connection: handshake from the client (the reply is the target's).
        put(t0, frame(client, dst, 50000, a.port, 0x02, 1, 0))
        put(t0 + 0.0005, frame(dst, client, a.port, 50000, 0x12, 1, 2))
        put(t0 + 0.001, frame(client, dst, 50000, a.port, 0x10, 2, 1))
        step = a.seconds / a.syns
        for i in range(a.syns):
            src, sport = source(i, 1024)
            put(t0 + 1 + i * step, frame(src, dst, sport, a.port, 0x02, i, 0))
        end = t0 + 1 + a.seconds
        put(end + 0.5, frame(client, dst, 50000, a.port, 0x18, 3, 1))   # still flowing
        put(end + 0.5005, frame(dst, client, a.port, 50000, 0x10, 1, 3))
        for i in range(a.late):
            src, sport = source(i, 1024 + ports)
            put(end + a.after + i * 0.001, frame(src, dst, sport, a.port, 0x02, i, 0))


if __name__ == "__main__":
    main()
