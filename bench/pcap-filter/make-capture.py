#!/usr/bin/env python3
"""Writes a pcap of N Ethernet frames (default 1,000,000): IPv4/IPv6 TCP, UDP, ICMP, ARP, VLAN-tagged, varied ports and hosts."""
import random, struct, sys

def frame(r):
    eth_type, tag = 0x0800, b""
    if r.random() < 0.1:
        tag = struct.pack("!HH", 0x8100, r.choice([10, 100, 200]))
    kind = r.random()
    if kind < 0.05:
        body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + bytes(20)
        eth_type = 0x0806
    elif kind < 0.25:
        proto = r.choice([6, 17, 58])
        l4 = struct.pack("!HH", r.choice([22, 53, 80, 443, 8080]), r.randrange(1024, 65535)) + bytes(16)
        body = struct.pack("!IHBB", 0x60000000, len(l4), proto, 64) + bytes(15) + bytes([1]) + bytes(15) + bytes([r.randrange(1, 4)]) + l4
        eth_type = 0x86DD
    else:
        proto = r.choice([6, 6, 6, 17, 17, 1])
        if proto == 6:
            l4 = struct.pack("!HHIIBBHHH", r.choice([22, 80, 443, 8080, 1024]), r.randrange(1024, 65535), 0, 0, 0x50, r.choice([2, 0x10, 0x12, 0x18]), 0, 0, 0)
        elif proto == 17:
            l4 = struct.pack("!HHHH", r.choice([53, 123, 5353]), r.randrange(1024, 65535), 8, 0)
        else:
            l4 = struct.pack("!BBHI", r.choice([0, 8, 3]), 0, 0, 0)
        l4 += bytes(r.randrange(0, 64))
        src = bytes([10, 0, r.randrange(4), r.randrange(1, 255)])
        dst = bytes([192, 168, 1, r.randrange(1, 255)])
        body = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(l4), 0, 0, 64, proto, 0) + src + dst + l4
    return bytes([2, 0, 0, 0, 0, 1]) + bytes([2, 0, 0, 0, 0, 2]) + tag + struct.pack("!H", eth_type) + body

def main():
    path, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    r = random.Random(15)
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i in range(count):
            f = frame(r)
            out.write(struct.pack("<IIII", 1767225600 + i // 1000, (i % 1000) * 1000, len(f), len(f)))
            out.write(f)

main()
