#!/usr/bin/env bash
# Installs the Debian packages SharpBpf's example and tests need (clang-14 to compile BPF C, libbpf-dev for
# <bpf/bpf_helpers.h>, and the real tools the tests use as oracles). Does nothing when all are present.
set -euo pipefail
packages=(clang-14 llvm-14 libbpf-dev bpftool iproute2 tcpdump libpcap-dev tshark gcc binutils python3 util-linux systemtap-sdt-dev)
missing=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]]; then
    echo "missing packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "installing ${missing[*]}..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
