#!/bin/bash
# Captures real traffic with tcpdump and tshark for PcapReader's tests: two network namespaces joined
# by a veth pair, UDP datagrams of assorted sizes (answered by ICMP port-unreachable) and the ARP
# exchange before them. Writes into $1: tcpdump-us.pcap, tcpdump-ns.pcap, tcpdump-snap64.pcap,
# tshark.pcapng, and editcap conversions. Tears the namespaces down whatever happens.
set -euo pipefail
out=$1
ns=sharpbpf-pcap-$$
cleanup() {
    for p in ${pids:-}; do kill -TERM "$p" 2>/dev/null || true; done
    ip netns del "${ns}a" 2>/dev/null || true
    ip netns del "${ns}b" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "${ns}a"
ip netns add "${ns}b"
for n in a b; do
    ip netns exec "${ns}$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add vpa netns "${ns}a" type veth peer name vpb netns "${ns}b"
ip -n "${ns}a" addr add 10.211.0.1/24 dev vpa
ip -n "${ns}b" addr add 10.211.0.2/24 dev vpb
ip -n "${ns}a" link set vpa up
ip -n "${ns}b" link set vpb up

# Background jobs of a non-interactive shell ignore SIGINT, so the capturers are stopped with SIGTERM;
# exec makes each $! the capturer itself.
capture() { (exec ip netns exec "${ns}b" "$@" 2>>"$out/capture.log") & pids="${pids:-} $!"; }
capture tcpdump -i vpb -U -w "$out/tcpdump-us.pcap"
capture tcpdump -i vpb -U --time-stamp-precision=nano -w "$out/tcpdump-ns.pcap"
capture tcpdump -i vpb -U -s 64 -w "$out/tcpdump-snap64.pcap"
capture tshark -i vpb -F pcapng -w "$out/tshark.pcapng"
# Wait until all four report that they are listening.
for _ in $(seq 100); do
    [ "$(grep -c -i "listening\|capturing on" "$out/capture.log" 2>/dev/null)" -ge 4 ] && break
    sleep 0.1
done
sleep 0.3
for size in 1 10 100 500 1000 1400; do
    ip netns exec "${ns}a" bash -c "head -c $size /dev/zero | tr '\\0' 'x' > /dev/udp/10.211.0.2/9999"
    sleep 0.05
done
# Stop once every capture holds the last datagram (tcpdump reads pcapng too).
for f in tcpdump-us.pcap tcpdump-ns.pcap tcpdump-snap64.pcap tshark.pcapng; do
    for _ in $(seq 100); do
        tcpdump -r "$out/$f" 2>/dev/null | grep -q "length 1400" && break
        sleep 0.1
    done
done
for p in $pids; do kill -TERM "$p"; done
for p in $pids; do wait "$p" || true; done
pids=
editcap -F pcap "$out/tshark.pcapng" "$out/editcap-us.pcap"
editcap -F nsecpcap "$out/tshark.pcapng" "$out/editcap-ns.pcap"
editcap -F pcapng "$out/tcpdump-us.pcap" "$out/editcap.pcapng"
