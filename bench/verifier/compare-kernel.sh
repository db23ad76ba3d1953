#!/bin/sh
# Time to verify: the static verifier against the kernel's verifier on the same programs, the largest of tests/programs
# (by instructions processed) and a generated loop of about 100,000 processed instructions. The kernel's time is the
# "verification time N usec" of its BPF_LOG_STATS log; the static verifier's is measured warm, in process, around the
# same work. Rounds alternate the two; medians. Needs root (the kernel side loads each program).
# Usage: bench/verifier/compare-kernel.sh [ROUNDS] [LARGEST]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-11}
largest=${2:-5}
dotnet build "$root/bench/SharpBpf.Bench" -c Release -v q >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for src in "$root"/tests/programs/*.c; do
  name=$(basename "$src" .c)
  # programs that need more than the defaults (another -mcpu, extra headers) are left out when they do not build so
  clang-14 -target bpf -mcpu=v3 -O2 -g -I/usr/include/x86_64-linux-gnu -I"$root/tests/programs" -c "$src" -o "$out/$name.o" 2>/dev/null \
    || rm -f "$out/$name.o"
done
dotnet "$root/artifacts/bin/SharpBpf.Bench/release/SharpBpf.Bench.dll" verifier-kernel --rounds "$rounds" --largest "$largest" "$out"/*.o
