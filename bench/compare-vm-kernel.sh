#!/bin/sh
# The VM's interpreter and JIT against the kernel's JIT on the same clang-built XDP programs (bench/programs):
# ns per run (medians of interleaved rounds, net of an empty program's per-run overhead) and ratios.
# Needs root (bpftool prog load/run), clang-14 and bpftool.  Usage: bench/compare-vm-kernel.sh [--rounds N] [--repeat N]
set -e
cd "$(dirname "$0")/.."
dotnet build bench/SharpBpf.Bench -c Release -v quiet -nologo >/dev/null
exec dotnet artifacts/bin/SharpBpf.Bench/release/SharpBpf.Bench.dll vm-kernel "$@"
