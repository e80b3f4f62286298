#!/usr/bin/env python3
"""Small TCP/UDP servers and clients for the `vpcfw run` namespace test (tests/run/netns_test.sh).

Servers answer every message with "peer=IP:PORT <message>", so a client learns the source
address the server saw (the NAT gateway's public address for a NAT'd flow).

  tcp-serve PORT                 echo server (threads), until killed
  udp-serve PORT                 echo server, until killed
  tcp-get HOST PORT [TIMEOUT]    connect, send one line, print the reply; exit 1 on failure
  udp-get HOST PORT [TIMEOUT]    send one datagram, print the reply; exit 1 on no reply
  ping HOST [COUNT] [TIMEOUT]    ICMP echo (raw socket, needs root); exit 1 unless every reply came
  tcp-hold HOST PORT LOG         one connection kept open: a line every 0.2 s, and "ok N" or
                                 "fail N" appended to LOG for each round trip; stops at EOF/error
"""
import os
import socket
import struct
import sys
import threading
import time


def tcp_serve(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(16)

    def serve(conn, peer):
        with conn:
            buf = b""
            while True:
                try:
                    data = conn.recv(4096)
                except OSError:
                    return
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    conn.sendall(b"peer=%s:%d %s\n" % (peer[0].encode(), peer[1], line))

    while True:
        conn, peer = srv.accept()
        threading.Thread(target=serve, args=(conn, peer), daemon=True).start()


def udp_serve(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    while True:
        data, peer = s.recvfrom(4096)
        s.sendto(b"peer=%s:%d %s" % (peer[0].encode(), peer[1], data), peer)


def tcp_get(host, port, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout) as c:
            c.settimeout(timeout)
            c.sendall(b"hello\n")
            reply = b""
            while not reply.endswith(b"\n"):
                data = c.recv(4096)
                if not data:
                    break
                reply += data
            print(reply.decode().strip())
            return 0 if reply.endswith(b"hello\n") else 1
    except OSError as e:
        print("error: %s" % e)
        return 1


def udp_get(host, port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(b"hello", (host, port))
        data, _ = s.recvfrom(4096)
        print(data.decode().strip())
        return 0
    except OSError as e:
        print("error: %s" % e)
        return 1


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(host, count, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    got = 0
    for seq in range(1, count + 1):
        payload = b"vpcfw-ping-%d" % seq
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        s.sendto(struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), ident, seq) + payload, (host, 0))
        deadline = time.time() + timeout
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                data, peer = s.recvfrom(2048)
            except socket.timeout:
                break
            ihl = (data[0] & 0x0F) * 4
            t, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if t == 0 and rid == ident and rseq == seq and peer[0] == host:
                got += 1
                break
        time.sleep(0.2)
    print("%d/%d replies from %s" % (got, count, host))
    return 0 if got == count else 1


def tcp_hold(host, port, log):
    out = open(log, "a", buffering=1)
    try:
        c = socket.create_connection((host, port), timeout=3)
    except OSError as e:
        out.write("fail connect %s\n" % e)
        return 1
    c.settimeout(1.0)
    n = 0
    while True:
        n += 1
        try:
            c.sendall(b"round %d\n" % n)
            reply = b""
            while not reply.endswith(b"\n"):
                data = c.recv(4096)
                if not data:
                    out.write("fail %d eof\n" % n)
                    return 1
                reply += data
            out.write("ok %d\n" % n)
        except socket.timeout:
            # The reply may come late (a retransmission); keep reading on the next round.
            out.write("fail %d timeout\n" % n)
        except OSError as e:
            out.write("fail %d %s\n" % (n, e))
            return 1
        time.sleep(0.2)


def main(argv):
    mode = argv[1]
    if mode == "tcp-serve":
        tcp_serve(int(argv[2]))
    elif mode == "udp-serve":
        udp_serve(int(argv[2]))
    elif mode == "tcp-get":
        return tcp_get(argv[2], int(argv[3]), float(argv[4]) if len(argv) > 4 else 2.0)
    elif mode == "udp-get":
        return udp_get(argv[2], int(argv[3]), float(argv[4]) if len(argv) > 4 else 2.0)
    elif mode == "ping":
        return ping(argv[2], int(argv[3]) if len(argv) > 3 else 2, float(argv[4]) if len(argv) > 4 else 2.0)
    elif mode == "tcp-hold":
        return tcp_hold(argv[2], int(argv[3]), argv[4])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
