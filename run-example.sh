#!/usr/bin/env bash
# The README's first Quick start command: build the sharpbpf CLI and the main example, then run
# examples/xdp-blacklist end to end on the embedded VM (no root needed): compile xdp_blacklist.bpf.c with
# clang-14, load it, fill the `blacklist` map from blacklist.txt, run every packet of sample.pcap through it
# and print the verdict counts and the final map contents. `./run-example.sh --engine kernel` (as root) runs
# the same in the Linux kernel.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-prerequisites.sh
out=artifacts/examples
mkdir -p "$out"
echo "building the sharpbpf CLI (NativeAOT, as dotnet tool install gives it) and the example (Release)..."
dotnet publish src/SharpBpf.Cli -c Release -o artifacts/cli -v quiet -nologo >/dev/null
dotnet build examples/xdp-blacklist/XdpBlacklist.csproj -c Release -o "$out/xdp-blacklist" -v quiet -nologo >/dev/null
echo "compiling xdp_blacklist.bpf.c with clang-14..."
clang-14 -target bpf -O2 -g -Wall -I"/usr/include/$(uname -m)-linux-gnu" \
    -c examples/xdp-blacklist/xdp_blacklist.bpf.c -o "$out/xdp_blacklist.o"
echo
cd examples/xdp-blacklist
dotnet "../../$out/xdp-blacklist/XdpBlacklist.dll" "../../$out/xdp_blacklist.o" blacklist.txt sample.pcap "$@"
echo
echo "The same program through the CLI (one line per packet, or --json for runs and maps):"
echo "  artifacts/cli/sharpbpf prog run $out/xdp_blacklist.o --pcap examples/xdp-blacklist/sample.pcap --json"
