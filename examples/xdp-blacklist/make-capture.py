#!/usr/bin/env python3
"""Generates sample.pcap for the xdp-blacklist example, deterministically (fixed seed, fixed clock).

About 200 Ethernet frames: IPv4 UDP/TCP/ICMP from blacklisted sources (blacklist.txt) and from
other sources, a few IPv6 and ARP frames, one 802.1Q VLAN-tagged IPv4 frame from a blacklisted
source, and one frame captured truncated (caplen shorter than the IPv4 header needs).
Classic libpcap format, little-endian, microsecond timestamps, LINKTYPE_ETHERNET.
Python 3 standard library only. Usage: python3 make-capture.py [output.pcap]
"""
import ipaddress
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261122
START = 1_790_000_000  # capture start, unix seconds
LINKTYPE_ETHERNET = 1

ETH_P_IP, ETH_P_ARP, ETH_P_8021Q, ETH_P_IPV6 = 0x0800, 0x0806, 0x8100, 0x86DD
ICMP, TCP, UDP, ICMPV6 = 1, 6, 17, 58


def load_blacklist():
    with open(os.path.join(HERE, "blacklist.txt")) as f:
        lines = (line.split("#", 1)[0].strip() for line in f)
        return [ipaddress.IPv4Address(line) for line in lines if line]


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac(n):
    return bytes([0x02, 0x00, 0x5E, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF])


def ethernet(dst, src, ethertype, payload, vlan=None):
    header = dst + src
    if vlan is not None:
        header += struct.pack("!HH", ETH_P_8021Q, vlan)
    frame = header + struct.pack("!H", ethertype) + payload
    return frame + b"\0" * max(0, 60 - len(frame))  # pad to the Ethernet minimum


def ipv4(src, dst, proto, payload, ident, ttl=64):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, ttl, proto, 0,
                         src.packed, dst.packed)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def l4_checksum(src, dst, proto, segment):
    pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, proto, len(segment))
    return checksum(pseudo + segment)


def udp(src, dst, sport, dport, payload):
    segment = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    csum = l4_checksum(src, dst, UDP, segment) or 0xFFFF
    return segment[:6] + struct.pack("!H", csum) + segment[8:]


def tcp(src, dst, sport, dport, seq, flags, payload=b""):
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload
    csum = l4_checksum(src, dst, TCP, segment)
    return segment[:16] + struct.pack("!H", csum) + segment[18:]


def icmp_echo(ident, seq, payload):
    message = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    return message[:2] + struct.pack("!H", checksum(message)) + message[4:]


def ipv6_udp(src, dst, sport, dport, payload):
    segment = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(segment), UDP)
    csum = checksum(pseudo + segment) or 0xFFFF
    segment = segment[:6] + struct.pack("!H", csum) + segment[8:]
    return struct.pack("!IHBB16s16s", 6 << 28, len(segment), UDP, 64, src.packed, dst.packed) + segment


def arp_request(sender_mac, sender_ip, target_ip):
    return struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, 1, sender_mac, sender_ip.packed,
                       b"\0" * 6, target_ip.packed)


def build_frames(rng, blacklist):
    server = ipaddress.IPv4Address("192.0.2.1")
    server_mac, router_mac = mac(1), mac(2)
    clients = [ipaddress.IPv4Address("198.18.0.0") + rng.randrange(1, 65000) for _ in range(12)]
    frames = []  # (bytes, original length)
    for i in range(188):
        src = rng.choice(blacklist) if rng.random() < 0.3 else rng.choice(clients)
        kind = rng.choice(("udp", "udp", "tcp", "tcp", "icmp"))
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 64)))
        if kind == "udp":
            l4 = udp(src, server, rng.randrange(1024, 65536), rng.choice((4444, 7777, 9999)), payload)
            proto = UDP
        elif kind == "tcp":
            l4 = tcp(src, server, rng.randrange(1024, 65536), rng.choice((4444, 7777, 8765)),
                     rng.getrandbits(32), rng.choice((0x02, 0x10, 0x18)), payload)
            proto = TCP
        else:
            l4 = icmp_echo(rng.getrandbits(16), i, payload)
            proto = ICMP
        frame = ethernet(server_mac, router_mac, ETH_P_IP, ipv4(src, server, proto, l4, ident=i))
        frames.append((frame, len(frame)))

    v6_server = ipaddress.IPv6Address("2001:db8::1")
    for i in range(4):
        v6_src = ipaddress.IPv6Address("2001:db8:66::") + rng.randrange(1, 1 << 16)
        frame = ethernet(server_mac, router_mac, ETH_P_IPV6,
                         ipv6_udp(v6_src, v6_server, 40000 + i, 9999, b"v6 hello %d" % i))
        frames.append((frame, len(frame)))
    for i in range(4):
        frame = ethernet(b"\xff" * 6, mac(100 + i), ETH_P_ARP,
                         arp_request(mac(100 + i), clients[i], server))
        frames.append((frame, len(frame)))

    # A blacklisted source behind an 802.1Q tag (VLAN 42): dropped only if the program skips the tag.
    tagged_src = blacklist[0]
    frame = ethernet(server_mac, router_mac, ETH_P_IP,
                     ipv4(tagged_src, server, UDP, udp(tagged_src, server, 5000, 9999, b"tagged"), ident=9001),
                     vlan=42)
    frames.append((frame, len(frame)))

    # Captured with a small snap length: 14 + 10 bytes of a 60-byte frame, the IPv4 header cut short.
    whole = ethernet(server_mac, router_mac, ETH_P_IP,
                     ipv4(blacklist[1], server, UDP, udp(blacklist[1], server, 1, 2, b""), ident=9002))
    frames.append((whole[:24], len(whole)))

    # Shuffle the special frames into the stream deterministically.
    rng.shuffle(frames)
    return frames


def write_pcap(path, frames, rng):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
        usec = 0
        for frame, original_length in frames:
            usec += rng.randrange(50, 5000)
            out.write(struct.pack("<IIII", START + usec // 1_000_000, usec % 1_000_000, len(frame), original_length))
            out.write(frame)


def main():
    output = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "sample.pcap")
    rng = random.Random(SEED)
    frames = build_frames(rng, load_blacklist())
    write_pcap(output, frames, rng)
    print(f"wrote {len(frames)} frames to {output}")


if __name__ == "__main__":
    main()
