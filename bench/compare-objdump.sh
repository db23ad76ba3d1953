#!/usr/bin/env bash
# Times `sharpbpf objdump -dr` against `llvm-objdump -dr` on a large BPF object (bench/objdump/big_program.c,
# ~41,600 instructions), whole process each time, the two commands interleaved. Prints medians and the ratio.
# Usage: bench/compare-objdump.sh [RUNS]   (default 30; needs clang-14 and llvm-objdump; uses hyperfine if installed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"
out=artifacts/bench-objdump
mkdir -p "$out"

echo "== building sharpbpf (Release, ReadyToRun) and the test object" >&2
dotnet publish src/SharpBpf.Cli -c Release -o "$out/r2r" -v quiet -nologo >&2 # ReadyToRun: the CLI's publish default
dotnet build src/SharpBpf.Cli -c Release -v quiet -nologo >&2
jit_dll=artifacts/bin/SharpBpf.Cli/release/sharpbpf.dll
clang-14 -target bpfel -O2 -g -I/usr/include/x86_64-linux-gnu -c bench/objdump/big_program.c -o "$out/big.o"
insns=$(llvm-objdump -d "$out/big.o" | grep -c '^ *[0-9]*:' || true)

ours="$out/r2r/sharpbpf objdump -dr $out/big.o"
ours_jit="dotnet $jit_dll objdump -dr $out/big.o"
theirs="llvm-objdump -dr $out/big.o"
if ! cmp -s <($theirs) <($ours); then
    echo "outputs differ: fix that before timing" >&2
    diff <($theirs) <($ours) | head >&2
    exit 1
fi
echo "== $insns instructions, $(stat -c %s "$out/big.o") bytes; outputs identical; $runs runs each" >&2

if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/times.json" "$theirs" "$ours" "$ours_jit" >&2
    python3 - "$out/times.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
med = [x["median"] * 1000 for x in r]
names = ["llvm-objdump -dr", "sharpbpf objdump -dr (ReadyToRun)", "sharpbpf objdump -dr (JIT only)"]
for n, m, x in zip(names, med, r):
    print(f"{n:36s} median {m:7.1f} ms   user {x['user']*1000:6.1f} ms   system {x['system']*1000:5.1f} ms")
print(f"ratio sharpbpf(R2R)/llvm-objdump: {med[1]/med[0]:.2f} (median wall), {r[1]['user']/r[0]['user']:.2f} (user CPU)")
print(f"ratio sharpbpf(JIT)/llvm-objdump: {med[2]/med[0]:.2f} (median wall), {r[2]['user']/r[0]['user']:.2f} (user CPU)")
PY
else
    # Fallback: interleaved wall-clock samples with date, medians in python.
    : > "$out/samples.txt"
    for ((i = 0; i < runs; i++)); do
        for cmd in "$theirs" "$ours" "$ours_jit"; do
            start=$(date +%s%N); $cmd > /dev/null; end=$(date +%s%N)
            echo "$cmd|$(( (end - start) / 1000 ))" >> "$out/samples.txt"
        done
    done
    python3 - "$out/samples.txt" "$theirs" "$ours" "$ours_jit" <<'PY'
import sys, statistics
samples = {}
for line in open(sys.argv[1]):
    cmd, us = line.rstrip("\n").rsplit("|", 1)
    samples.setdefault(cmd, []).append(int(us) / 1000)
med = [statistics.median(samples[c]) for c in sys.argv[2:5]]
for name, m in zip(["llvm-objdump -dr", "sharpbpf objdump -dr (ReadyToRun)", "sharpbpf objdump -dr (JIT only)"], med):
    print(f"{name:36s} median {m:7.1f} ms")
print(f"ratio sharpbpf(R2R)/llvm-objdump: {med[1]/med[0]:.2f}; sharpbpf(JIT)/llvm-objdump: {med[2]/med[0]:.2f}")
PY
fi
